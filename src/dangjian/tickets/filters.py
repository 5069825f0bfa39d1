import django_filters as filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from .models import Assignment, Ticket, TicketCategory

TEXT = forms.TextInput(attrs={"class": "form-control form-control-sm"})
SELECT = forms.Select(attrs={"class": "form-select form-select-sm"})
DATE = forms.DateInput(attrs={"class": "form-control form-control-sm", "type": "date"})
YES_NO = forms.Select(choices=[("", "全部"), ("true", "是"), ("false", "否")],
                      attrs={"class": "form-select form-select-sm"})


def _top_categories():
    return [(c.code, c.name) for c in TicketCategory.objects.filter(parent=None)]


class TicketFilterSet(filters.FilterSet):
    q = filters.CharFilter(label="编号或标题", method="search", widget=TEXT)
    status = filters.ChoiceFilter(label="状态", choices=[("open", "全部未结案"), *Ticket.Status.choices],
                                  method="in_status", widget=SELECT, empty_label="全部")
    category = filters.ChoiceFilter(label="事件大类", choices=_top_categories, method="in_category",
                                    widget=SELECT, empty_label="全部")
    source = filters.ChoiceFilter(label="来源", choices=Ticket.Source.choices, widget=SELECT, empty_label="全部")
    region = filters.CharFilter(label="区划代码", method="in_region", widget=TEXT)
    urgent = filters.BooleanFilter(label="紧急", widget=YES_NO)
    overdue = filters.BooleanFilter(label="超期", method="is_overdue", widget=YES_NO)
    created_from = filters.DateFilter(label="上报起", field_name="created_at", lookup_expr="date__gte", widget=DATE)
    created_to = filters.DateFilter(label="上报止", field_name="created_at", lookup_expr="date__lte", widget=DATE)

    class Meta:
        model = Ticket
        fields = ["q", "status", "category", "source", "region", "urgent", "overdue", "created_from", "created_to"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(number=value.upper()) | Q(title__contains=value))

    def in_status(self, queryset, name, value):
        return queryset.filter(status__in=Ticket.OPEN_STATUSES) if value == "open" else queryset.filter(status=value)

    def in_category(self, queryset, name, value):
        return queryset.filter(Q(category__code=value) | Q(category__parent__code=value))

    def in_region(self, queryset, name, value):
        from dangjian.places.models import Region

        region = Region.objects.filter(division_code=value.strip()).first()
        return queryset.filter(region_path__startswith=region.path) if region else queryset.none()

    def is_overdue(self, queryset, name, value):
        q = Ticket.overdue_q(timezone.now())
        return queryset.filter(q) if value else queryset.exclude(q)


class AssignmentFilterSet(filters.FilterSet):
    status = filters.ChoiceFilter(label="状态", choices=Assignment.Status.choices, widget=SELECT, empty_label="全部")
    role = filters.ChoiceFilter(label="办理方式", choices=Assignment.Role.choices, widget=SELECT, empty_label="全部")
    overdue = filters.BooleanFilter(label="超期", method="is_overdue", widget=YES_NO)

    class Meta:
        model = Assignment
        fields = ["status", "role", "overdue"]

    def is_overdue(self, queryset, name, value):
        q = Assignment.overdue_q(timezone.now())
        return queryset.filter(q) if value else queryset.exclude(q)
