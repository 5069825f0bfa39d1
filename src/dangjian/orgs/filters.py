import django_filters as filters
from django import forms

from dangjian.places.models import Region

from .models import PartyOrg


class OrgFilterSet(filters.FilterSet):
    q = filters.CharFilter(label="名称或代码", method="search",
                           widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))
    kind = filters.ChoiceFilter(label="组织类别", choices=PartyOrg.Kind.choices + [
        ("organisation", "党组织（不含党小组）"), ("branches", "党支部（含联合党支部）")], empty_label="全部",
        method="of_kind", widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    status = filters.ChoiceFilter(label="状态", choices=PartyOrg.Status.choices, empty_label="全部",
                                  widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    region = filters.CharFilter(label="所在区划代码（含下级）", method="in_region",
                                widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))
    org = filters.CharFilter(label="党组织代码（含下级）", method="in_org",
                             widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))
    region_level = filters.ChoiceFilter(label="所在区划层级", field_name="region__level", empty_label="全部",
                                        choices=lambda: Region.Level.choices,
                                        widget=forms.Select(attrs={"class": "form-select form-select-sm"}))

    class Meta:
        model = PartyOrg
        fields = ["q", "kind", "status", "region", "org", "region_level"]

    def search(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(name__contains=value.strip()) | Q(code=value.strip()))

    def in_region(self, queryset, name, value):
        return queryset.filter(region__division_code__startswith=value.strip())

    def of_kind(self, queryset, name, value):
        if value == "organisation":
            return queryset.exclude(kind=PartyOrg.Kind.GROUP)
        if value == "branches":
            return queryset.filter(kind__in=PartyOrg.BRANCH_KINDS)
        return queryset.filter(kind=value)

    def in_org(self, queryset, name, value):
        org = PartyOrg.objects.filter(code=value.strip()).first()
        return queryset.filter(path__startswith=org.path) if org else queryset.none()
