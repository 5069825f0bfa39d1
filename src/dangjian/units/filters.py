import django_filters as filters
from django import forms
from django.db.models import Q

from .models import Department, Unit

TEXT = forms.TextInput(attrs={"class": "form-control form-control-sm"})
SELECT = forms.Select(attrs={"class": "form-select form-select-sm"})


class CodeNameFilterSet(filters.FilterSet):
    """Search by name fragment or exact code, plus the model's `kind`."""

    q = filters.CharFilter(label="名称或代码", method="search", widget=TEXT)

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__contains=value.strip()) | Q(code=value.strip()))


class DepartmentFilterSet(CodeNameFilterSet):
    kind = filters.ChoiceFilter(label="部门类别", choices=Department.Kind.choices, empty_label="全部", widget=SELECT)

    class Meta:
        model = Department
        fields = ["q", "kind"]


class UnitFilterSet(CodeNameFilterSet):
    kind = filters.ChoiceFilter(label="单位类别", choices=Unit.Kind.choices, empty_label="全部", widget=SELECT)

    class Meta:
        model = Unit
        fields = ["q", "kind"]
