import django_filters as filters
from django import forms
from django.utils import timezone

from .models import Finding
from .registry import RULES

TEXT = forms.TextInput(attrs={"class": "form-control form-control-sm"})
SELECT = forms.Select(attrs={"class": "form-select form-select-sm"})
DATE = forms.DateInput(attrs={"class": "form-control form-control-sm", "type": "date"})
YES_NO = forms.Select(choices=[("", "全部"), ("true", "是"), ("false", "否")],
                      attrs={"class": "form-select form-select-sm"})


def _rule_choices():
    return [(r.id, r.title) for r in sorted(RULES.values(), key=lambda r: r.id)]


class FindingFilterSet(filters.FilterSet):
    rule = filters.ChoiceFilter(label="规则", choices=_rule_choices, widget=SELECT, empty_label="全部")
    severity = filters.ChoiceFilter(label="级别", choices=Finding.Severity.choices, widget=SELECT, empty_label="全部")
    status = filters.ChoiceFilter(label="状态", choices=Finding.Status.choices, widget=SELECT, empty_label="全部")
    org = filters.CharFilter(label="党组织代码（含下级）", method="in_org", widget=TEXT)
    overdue = filters.BooleanFilter(label="已超期", method="is_overdue", widget=YES_NO)
    due_from = filters.DateFilter(label="期限起", field_name="due", lookup_expr="gte", widget=DATE)
    due_to = filters.DateFilter(label="期限止", field_name="due", lookup_expr="lte", widget=DATE)
    q = filters.CharFilter(label="问题包含", field_name="message", lookup_expr="contains", widget=TEXT)

    class Meta:
        model = Finding
        fields = ["rule", "severity", "status", "org", "overdue", "due_from", "due_to", "q"]

    def in_org(self, queryset, name, value):
        from dangjian.orgs.models import PartyOrg

        org = PartyOrg.objects.filter(code=value.strip()).first()
        return queryset.filter(org_path__startswith=org.path) if org else queryset.none()

    def is_overdue(self, queryset, name, value):
        overdue = dict(status=Finding.Status.OPEN, due__lt=timezone.localdate())
        return queryset.filter(**overdue) if value else queryset.exclude(**overdue)
