from django import forms

from dangjian.core.dictionaries import EDUCATION_CHOICES, ETHNICITY_CHOICES
from dangjian.orgs.models import PartyOrg

from .models import TRANSFER_DEFAULT_VALID_DAYS, TRANSFER_MAX_VALID_DAYS, ContactLog, Member, Transfer


class MemberForm(forms.Form):
    """Edits a member through services.do_update_member; personal data is re-entered in full or left blank."""

    name = forms.CharField(label="姓名", max_length=50)
    ethnicity = forms.ChoiceField(label="民族", choices=ETHNICITY_CHOICES)
    education = forms.ChoiceField(label="学历", choices=[("", "—"), *EDUCATION_CHOICES], required=False)
    status = forms.ChoiceField(label="人员类别", choices=Member.Status.choices)
    joined_on = forms.DateField(label="入党日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    full_on = forms.DateField(label="转为正式党员日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    job = forms.CharField(label="工作岗位", max_length=100, required=False)
    org = forms.CharField(label="所在党组织代码", max_length=32)
    is_mobile = forms.BooleanField(label="流动党员", required=False)
    phone = forms.CharField(label="新联系电话", required=False, help_text="留空表示不修改")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        for field in self.fields.values():
            css = "form-check-input" if isinstance(field.widget, forms.CheckboxInput) else "form-control"
            if isinstance(field.widget, forms.Select):
                css = "form-select"
            field.widget.attrs.setdefault("class", css)

    def clean_org(self):
        code = self.cleaned_data["org"].strip()
        org = PartyOrg.objects.restrict(self.user, "change").filter(code=code).first()
        if org is None:
            raise forms.ValidationError(f"党组织“{code}”不存在或不在您的管辖范围内")
        return org

    @classmethod
    def initial_for(cls, member: Member) -> dict:
        return {"name": member.name, "ethnicity": member.ethnicity, "education": member.education,
                "status": member.status, "joined_on": member.joined_on, "full_on": member.full_on,
                "job": member.job, "org": member.org.code, "is_mobile": member.is_mobile}  # fmt: skip


def _styled(form: forms.Form) -> None:
    for field in form.fields.values():
        css = "form-select form-select-sm" if isinstance(field.widget, forms.Select) else "form-control form-control-sm"
        field.widget.attrs.setdefault("class", css)


class TransferIssueForm(forms.Form):
    """Issue a transfer letter (组织关系介绍信) through services.do_issue_transfer."""

    kind = forms.ChoiceField(label="介绍信类型", choices=Transfer.Kind.choices,
                             help_text="外出6个月以上用介绍信，不足6个月用证明信，地点或时间不确定用流动党员活动证")
    to_org = forms.CharField(label="转入党组织代码（系统内）", max_length=32, required=False)
    to_org_name = forms.CharField(label="转入党组织名称（系统外）", max_length=200, required=False)
    issued_on = forms.DateField(label="开具日期", widget=forms.DateInput(attrs={"type": "date"}))
    valid_days = forms.IntegerField(label="有效期（天）", initial=TRANSFER_DEFAULT_VALID_DAYS, min_value=1,
                                    max_value=TRANSFER_MAX_VALID_DAYS, help_text="一般30天，最长90天（中组发〔2004〕10号）")
    letter_no = forms.CharField(label="介绍信编号", max_length=50, required=False)
    note = forms.CharField(label="备注", max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)

    def clean_to_org(self):
        code = self.cleaned_data["to_org"].strip()
        if not code:
            return None
        org = PartyOrg.objects.filter(code=code).first()
        if org is None:
            raise forms.ValidationError(f"党组织“{code}”不存在")
        return org


class ContactForm(forms.Form):
    contacted_on = forms.DateField(label="联系日期", widget=forms.DateInput(attrs={"type": "date"}))
    method = forms.ChoiceField(label="联系方式", choices=ContactLog.Method.choices)
    note = forms.CharField(label="联系情况", max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)


class MobileStayForm(forms.Form):
    left_on = forms.DateField(label="外出日期", widget=forms.DateInput(attrs={"type": "date"}))
    destination = forms.CharField(label="外出地点", max_length=200)
    reason = forms.CharField(label="外出原因", max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)


class MobileReturnForm(forms.Form):
    returned_on = forms.DateField(label="返回日期", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)
