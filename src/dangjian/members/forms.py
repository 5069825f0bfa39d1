from django import forms

from dangjian.core.dictionaries import EDUCATION_CHOICES, ETHNICITY_CHOICES
from dangjian.orgs.models import PartyOrg

from .models import Member


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
