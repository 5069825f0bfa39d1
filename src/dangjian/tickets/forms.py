from django import forms

from .models import TicketCategory, TicketPolicy

SMALL = {"class": "form-control form-control-sm"}


def _style(form):
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select form-select-sm")
        else:
            widget.attrs.setdefault("class", "form-control form-control-sm")


class CategoryForm(forms.ModelForm):
    class Meta:
        model = TicketCategory
        fields = ["code", "name", "parent", "department_kind", "time_limit", "time_unit", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = TicketCategory.objects.filter(parent=None)
        self.fields["parent"].empty_label = "（无：这是一个大类）"
        if self.instance.pk:
            self.fields["code"].disabled = True  # tickets and exports refer to it
        _style(self)

    def clean(self):
        data = super().clean()
        if self.instance.pk and data.get("parent") is None and self.instance.parent_id:
            raise forms.ValidationError("小类不能改为大类")
        if self.instance.pk and self.instance.children.exists() and data.get("parent") is not None:
            raise forms.ValidationError("大类下已有小类，不能改为小类")
        if data.get("time_limit") == 0:
            self.add_error("time_limit", "办理时限至少为 1")
        return data


class PolicyForm(forms.ModelForm):
    class Meta:
        model = TicketPolicy
        fields = ["response_workdays", "return_workdays", "finish_workdays", "max_extension_workdays",
                  "urgent_response_hours", "urgent_finish_hours", "whistle_response_hours", "warn_hours",
                  "report_weight", "visit_weight", "micro_reward"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bands = {b["band"]: b["min"] for b in (self.instance.bands or [])}
        for key, label in (("green", "绿"), ("blue", "蓝"), ("yellow", "黄"), ("orange", "橙")):
            self.fields[f"band_{key}"] = forms.DecimalField(label=f"{label}色最低得分", min_value=0,
                                                            initial=bands.get(key, 0))
        _style(self)

    def clean(self):
        data = super().clean()
        mins = [data.get(f"band_{k}") for k in ("green", "blue", "yellow", "orange")]
        if None not in mins and mins != sorted(mins, reverse=True):
            raise forms.ValidationError("五色阈值应从绿到橙依次降低")
        if data.get("response_workdays") == 0 or data.get("finish_workdays") == 0:
            raise forms.ValidationError("受理和办结时限至少为 1 个工作日")
        return data

    def bands(self) -> list[dict]:
        d = self.cleaned_data
        return [*({"band": k, "min": float(d[f"band_{k}"])} for k in ("green", "blue", "yellow", "orange")),
                {"band": "red", "min": 0}]
