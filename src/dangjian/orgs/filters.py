import django_filters as filters
from django import forms

from .models import PartyOrg


class OrgFilterSet(filters.FilterSet):
    q = filters.CharFilter(label="名称或代码", method="search",
                           widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))
    kind = filters.ChoiceFilter(label="组织类别", choices=PartyOrg.Kind.choices, empty_label="全部",
                                widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    status = filters.ChoiceFilter(label="状态", choices=PartyOrg.Status.choices, empty_label="全部",
                                  widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    region = filters.CharFilter(label="所在区划代码（含下级）", method="in_region",
                                widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))

    class Meta:
        model = PartyOrg
        fields = ["q", "kind", "status", "region"]

    def search(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(name__contains=value.strip()) | Q(code=value.strip()))

    def in_region(self, queryset, name, value):
        return queryset.filter(region__division_code__startswith=value.strip())
