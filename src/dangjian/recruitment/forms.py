from django import forms

from dangjian.core.dictionaries import EDUCATION_CHOICES
from dangjian.members.models import Member
from dangjian.orgs.models import PartyOrg

from . import steps, timing
from .models import Training

DATE = {"type": "date"}


def date_input():
    """An HTML date input: its value must be ISO (the zh-hans input format 2026/03/10 leaves it blank)."""
    return forms.DateInput(attrs=DATE, format="%Y-%m-%d")


def _styled(form: forms.Form) -> None:
    for field in form.fields.values():
        if isinstance(field.widget, forms.Select):
            css = "form-select form-select-sm"
        elif isinstance(field.widget, forms.CheckboxInput):
            css = "form-check-input"
        else:
            css = "form-control form-control-sm"
        field.widget.attrs.setdefault("class", css)


class OpenCaseForm(forms.Form):
    """申请入党登记: the person and step 1 (递交入党申请书)."""

    org = forms.ModelChoiceField(label="接收申请的党支部", queryset=PartyOrg.objects.none(), empty_label=None)
    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(label="公民身份号码", max_length=18)
    applied_on = forms.DateField(label="递交入党申请书日期", widget=date_input())
    phone = forms.CharField(label="联系电话", max_length=20, required=False)
    education = forms.ChoiceField(label="学历", choices=[("", "—"), *EDUCATION_CHOICES], required=False)
    job = forms.CharField(label="工作岗位", max_length=100, required=False)
    responsible = forms.CharField(label="负责人", max_length=50, required=False)
    document_names = forms.CharField(label="材料名称（每行一份）", required=False,
                                     widget=forms.Textarea(attrs={"rows": 2}), initial="入党申请书")
    notes = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, orgs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs if orgs is not None else PartyOrg.objects.none()
        _styled(self)


class StepForm(forms.Form):
    done_on = forms.DateField(label="日期", widget=date_input())
    period_start = forms.DateField(label="起始日期", required=False, widget=date_input())
    period_end = forms.DateField(label="结束日期", required=False, widget=date_input())
    sponsor_1 = forms.ModelChoiceField(label="入党介绍人（一）", queryset=Member.objects.none(), required=False)
    sponsor_2 = forms.ModelChoiceField(label="入党介绍人（二）", queryset=Member.objects.none(), required=False)
    days = forms.DecimalField(label="培训天数", required=False, min_value=0, max_digits=5, decimal_places=1)
    hours = forms.DecimalField(label="培训学时", required=False, min_value=0, max_digits=6, decimal_places=1)
    organiser = forms.CharField(label="举办单位", max_length=100, required=False)
    responsible = forms.CharField(label="负责人", max_length=50, required=False)
    document_names = forms.CharField(label="材料名称（每行一份）", required=False,
                                     widget=forms.Textarea(attrs={"rows": 3}))
    notes = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, step: steps.Step, sponsors=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.step = step
        if step.period:
            self.fields["period_start"].label = f"{step.period}起始日期"
            self.fields["period_end"].label = f"{step.period}结束日期"
        else:
            del self.fields["period_start"], self.fields["period_end"]
        if step.sponsors:
            for name in ("sponsor_1", "sponsor_2"):
                self.fields[name].queryset = sponsors if sponsors is not None else Member.objects.none()
                self.fields[name].required = True
        else:
            del self.fields["sponsor_1"], self.fields["sponsor_2"]
        if not step.training:
            del self.fields["days"], self.fields["hours"], self.fields["organiser"]
        _styled(self)


class TrainingForm(forms.Form):
    kind = forms.ChoiceField(label="培训类型", choices=Training.Kind.choices)
    start_on = forms.DateField(label="开始日期", widget=date_input())
    end_on = forms.DateField(label="结束日期", widget=date_input())
    days = forms.DecimalField(label="天数", required=False, min_value=0, max_digits=5, decimal_places=1)
    hours = forms.DecimalField(label="学时", required=False, min_value=0, max_digits=6, decimal_places=1)
    organiser = forms.CharField(label="举办单位", max_length=100, required=False)
    notes = forms.CharField(label="备注", max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)


class StopForm(forms.Form):
    reason = forms.CharField(label="终止原因", max_length=200)
    stopped_on = forms.DateField(label="终止日期", widget=date_input())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)


class RuleSetForm(forms.Form):
    document = forms.CharField(label="文件名称", max_length=100)
    doc_number = forms.CharField(label="文号", max_length=50, required=False)
    issued_on = forms.DateField(label="印发日期", required=False, widget=date_input())
    effective_on = forms.DateField(label="施行日期", required=False, widget=date_input())
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    confirm = forms.BooleanField(label="已按正式文本核对，确认生效", required=False)

    def __init__(self, *args, rules=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.rule_rows = list(rules)
        for row in self.rule_rows:
            self.fields[f"{row.code}-amount"] = forms.IntegerField(label=f"{row.title}：数值", min_value=1,
                                                                   max_value=1000, initial=row.amount)
            units = [(k, v) for k, v in timing.UNIT_CHOICES if row.kind != "offset" or k != "hours"]
            self.fields[f"{row.code}-unit"] = forms.ChoiceField(label=f"{row.title}：单位", choices=units,
                                                                initial=row.unit)
            if row.kind == "training":
                self.fields[f"{row.code}-alt_amount"] = forms.IntegerField(
                    label=f"{row.title}：或数值", min_value=1, max_value=1000, required=False, initial=row.alt_amount)
                self.fields[f"{row.code}-alt_unit"] = forms.ChoiceField(
                    label=f"{row.title}：或单位", choices=[("", "—"), *timing.UNIT_CHOICES], required=False,
                    initial=row.alt_unit)
            self.fields[f"{row.code}-article"] = forms.CharField(label=f"{row.title}：条款", max_length=100,
                                                                 initial=row.article)
        _styled(self)

    def rule_fields(self):
        """[(row, [bound fields])] for the template's table."""
        out = []
        for row in self.rule_rows:
            names = [n for n in (f"{row.code}-amount", f"{row.code}-unit", f"{row.code}-alt_amount",
                                 f"{row.code}-alt_unit", f"{row.code}-article") if n in self.fields]
            out.append((row, [self[n] for n in names]))
        return out

    def rule_values(self) -> dict:
        data = self.cleaned_data
        values = {}
        for row in self.rule_rows:
            values[row.code] = {key: data.get(f"{row.code}-{key}") for key in ("amount", "unit", "article")}
            if row.kind == "training":
                values[row.code]["alt_amount"] = data.get(f"{row.code}-alt_amount")
                values[row.code]["alt_unit"] = data.get(f"{row.code}-alt_unit") or ""
        return values
