import django_filters as filters
from django import forms

from .models import Meeting

SELECT = forms.Select(attrs={"class": "form-select form-select-sm"})
DATE = forms.DateInput(attrs={"class": "form-control form-control-sm", "type": "date"})


class MeetingFilterSet(filters.FilterSet):
    kind = filters.ChoiceFilter(label="会议类型", choices=Meeting.Kind.choices, widget=SELECT, empty_label="全部")
    org = filters.CharFilter(label="党组织代码", method="in_org",
                             widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))
    held_from = filters.DateFilter(label="召开日期起", field_name="held_on", lookup_expr="gte", widget=DATE)
    held_to = filters.DateFilter(label="召开日期止", field_name="held_on", lookup_expr="lte", widget=DATE)

    class Meta:
        model = Meeting
        fields = ["kind", "org", "held_from", "held_to"]

    def in_org(self, queryset, name, value):
        from dangjian.orgs.models import PartyOrg

        org = PartyOrg.objects.filter(code=value.strip()).first()
        return queryset.filter(org_path__startswith=org.path) if org else queryset.none()
