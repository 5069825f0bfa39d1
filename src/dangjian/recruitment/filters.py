"""The case filter set: the same filters serve the list page and its export."""

import django_filters as filters
from django import forms
from django.utils import timezone

from dangjian.members.models import Member
from dangjian.orgs.models import PartyOrg

from . import steps
from .models import RecruitmentCase


class Select(forms.Select):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, attrs={"class": "form-select form-select-sm"}, **kwargs)


TEXT = {"class": "form-control form-control-sm"}


class CaseFilterSet(filters.FilterSet):
    q = filters.CharFilter(label="姓名", method="search", widget=forms.TextInput(attrs=TEXT))
    org = filters.CharFilter(label="党组织代码（含下级）", method="in_org", widget=forms.TextInput(attrs=TEXT))
    stage = filters.ChoiceFilter(label="所处阶段", choices=steps.STAGE_CHOICES, widget=Select, empty_label="全部")
    member_status = filters.ChoiceFilter(label="人员类别", field_name="member__status", choices=Member.Status.choices,
                                         widget=Select, empty_label="全部")
    status = filters.ChoiceFilter(label="状态", choices=RecruitmentCase.Status.choices, widget=Select,
                                  empty_label="全部")
    overdue = filters.BooleanFilter(label="有步骤超期未办", method="is_overdue", widget=forms.Select(
        attrs={"class": "form-select form-select-sm"}, choices=[("", "全部"), ("true", "是"), ("false", "否")]))

    class Meta:
        model = RecruitmentCase
        fields = ["q", "org", "stage", "member_status", "status", "overdue"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(member__name__contains=value) if value else queryset

    def in_org(self, queryset, name, value):
        org = PartyOrg.objects.filter(code=value.strip()).first()
        return queryset.filter(member__org_path__startswith=org.path) if org else queryset.none()

    def is_overdue(self, queryset, name, value):
        late = queryset.filter(status=RecruitmentCase.Status.OPEN, next_due__lt=timezone.localdate())
        return late if value else queryset.exclude(pk__in=late.values("pk"))
