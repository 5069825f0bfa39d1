"""The member filter set: the same filters serve the list page, its export and the API."""

import datetime as dt

import django_filters as filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from dangjian.core import crypto
from dangjian.core.dictionaries import EDUCATION_CHOICES, ETHNICITY_CHOICES
from dangjian.core.idnumber import IdNumberError, parse_id_number
from dangjian.core.scope import prefix_q, user_scope
from dangjian.orgs.models import PartyOrg

from .models import Member, Transfer
from .queries import PROMPT_EXPEL, PROMPT_LABELS, expulsion_prompted, suspension_prompted

# Age bands of the party statistics tables (党内统计).
AGE_BANDS = [("18-30", "30岁及以下"), ("31-35", "31至35岁"), ("36-40", "36至40岁"), ("41-45", "41至45岁"),
             ("46-50", "46至50岁"), ("51-55", "51至55岁"), ("56-60", "56至60岁"), ("61-70", "61至70岁"),
             ("71+", "71岁及以上")]  # fmt: skip


def birth_range(band: str, today: dt.date) -> tuple[dt.date | None, dt.date]:
    """Birth dates (exclusive lower, inclusive upper) of people whose age on `today` lies in `band`."""
    low, _, high = band.partition("-")
    low = int(low.rstrip("+"))
    latest = _years_before(today, low)
    earliest = _years_before(today, int(high) + 1) if high else None
    return earliest, latest


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


class Select(forms.Select):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, attrs={"class": "form-select form-select-sm"}, **kwargs)


class MemberFilterSet(filters.FilterSet):
    q = filters.CharFilter(label="姓名/拼音首字母/身份证号", method="search",
                           widget=forms.TextInput(attrs=dict(placeholder="张三、zs 或身份证号", **{"class": "form-control form-control-sm"})))
    org = filters.CharFilter(label="党组织代码（含下级）", method="in_org",
                             widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))
    status = filters.ChoiceFilter(label="人员类别", choices=Member.Status.choices, widget=Select, empty_label="全部")
    gender = filters.ChoiceFilter(label="性别", choices=Member.Gender.choices, widget=Select, empty_label="全部")
    age_band = filters.ChoiceFilter(label="年龄段", choices=AGE_BANDS + [("18-35", "35岁及以下")], method="in_age_band",
                                    widget=Select, empty_label="全部")
    ethnicity = filters.ChoiceFilter(label="民族", choices=ETHNICITY_CHOICES, widget=Select, empty_label="全部")
    education = filters.ChoiceFilter(label="学历", choices=EDUCATION_CHOICES + [("college_above", "大专及以上"),
                                     ("none", "未填")], method="in_education", widget=Select, empty_label="全部")
    join_year = filters.NumberFilter(label="入党年份", method="joined_in",
                                     widget=forms.NumberInput(attrs={"class": "form-control form-control-sm", "min": 1921}))
    is_mobile = filters.BooleanFilter(label="流动党员", widget=forms.Select(
        attrs={"class": "form-select form-select-sm"}, choices=[("", "全部"), ("true", "是"), ("false", "否")]))
    # the filters behind the statistics figures (members/metrics.py): same definitions as the counts
    party = filters.BooleanFilter(label="仅党员（正式、预备）", method="only_party", widget=forms.Select(
        attrs={"class": "form-select form-select-sm"}, choices=[("", "全部"), ("true", "是")]))
    minority = filters.BooleanFilter(label="少数民族", method="is_minority", widget=forms.Select(
        attrs={"class": "form-select form-select-sm"}, choices=[("", "全部"), ("true", "是"), ("false", "否")]))
    join_period = filters.ChoiceFilter(label="入党时间", method="in_join_period", widget=Select, empty_label="全部",
                                       choices=lambda: _metric_choices("join"))
    occupation = filters.ChoiceFilter(label="职业", method="in_occupation", widget=Select, empty_label="全部",
                                      choices=lambda: _metric_choices("occupation"))

    class Meta:
        model = Member
        fields = ["q", "org", "status", "gender", "age_band", "ethnicity", "education", "join_year", "is_mobile",
                  "party", "minority", "join_period", "occupation"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        try:
            parsed = parse_id_number(value)
        except IdNumberError:
            pass
        else:
            return queryset.filter(id_number_index=crypto.blind_index(parsed.value))
        if value.isascii() and value.isalpha():
            return queryset.filter(Q(name_initials__startswith=value.lower()) | Q(name__icontains=value))
        return queryset.filter(name__contains=value)

    def in_org(self, queryset, name, value):
        org = PartyOrg.objects.filter(code=value.strip()).first()
        return queryset.filter(org_path__startswith=org.path) if org else queryset.none()

    def in_age_band(self, queryset, name, value):
        earliest, latest = birth_range(value, dt.date.today())
        queryset = queryset.filter(birth_date__lte=latest)
        return queryset.filter(birth_date__gt=earliest) if earliest else queryset

    def joined_in(self, queryset, name, value):
        start = dt.date(int(value), 1, 1)
        return queryset.filter(joined_on__gte=start, joined_on__lt=start.replace(year=start.year + 1))

    def in_education(self, queryset, name, value):
        from .metrics import COLLEGE_ABOVE

        if value == "college_above":
            return queryset.filter(education__in=COLLEGE_ABOVE)
        return queryset.filter(education="" if value == "none" else value)

    def only_party(self, queryset, name, value):
        from .metrics import PARTY

        return queryset.filter(PARTY) if value else queryset

    def is_minority(self, queryset, name, value):
        return queryset.exclude(ethnicity="01") if value else queryset.filter(ethnicity="01")

    def in_join_period(self, queryset, name, value):
        from .metrics import join_period_q

        return queryset.filter(join_period_q(value))

    def in_occupation(self, queryset, name, value):
        from .metrics import occupation_q

        return queryset.filter(occupation_q(value))


def _metric_choices(kind: str) -> list[tuple[str, str]]:
    from .metrics import JOIN_PERIODS, OCCUPATION_LABELS

    if kind == "join":
        return [(code, label) for code, _, _, label in JOIN_PERIODS] + [("unknown", "不详")]
    return list(OCCUPATION_LABELS.items())


class TransferFilterSet(filters.FilterSet):
    """Filters of the 组织关系转接 list (page and export)."""

    q = filters.CharFilter(label="党员姓名", method="search",
                           widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))
    direction = filters.ChoiceFilter(label="方向", choices=[("in", "转入"), ("out", "转出")], method="in_direction",
                                     widget=Select, empty_label="全部")
    status = filters.ChoiceFilter(label="状态", choices=Transfer.Status.choices, widget=Select, empty_label="全部")
    kind = filters.ChoiceFilter(label="介绍信类型", choices=Transfer.Kind.choices, widget=Select, empty_label="全部")
    year = filters.NumberFilter(label="开具年份", method="issued_in",
                                widget=forms.NumberInput(attrs={"class": "form-control form-control-sm", "min": 2000}))

    class Meta:
        model = Transfer
        fields = ["q", "direction", "status", "kind", "year"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(member__name__contains=value) if value else queryset

    def in_direction(self, queryset, name, value):
        scope = user_scope(getattr(self.request, "user", None), "view")
        if scope.unrestricted:
            return queryset.filter(to_org__isnull=True) if value == "out" else queryset.filter(to_org__isnull=False)
        field = "to_org_path" if value == "in" else "from_org_path"
        return queryset.filter(prefix_q(field, scope.orgs))

    def issued_in(self, queryset, name, value):
        start = dt.date(int(value), 1, 1)
        return queryset.filter(issued_on__gte=start, issued_on__lt=start.replace(year=start.year + 1))


class MobileMemberFilterSet(filters.FilterSet):
    """Filters of the mobile member list: by name and by the Art 24 prompt."""

    q = filters.CharFilter(label="党员姓名", method="search",
                           widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))
    prompt = filters.ChoiceFilter(label="提示", choices=list(PROMPT_LABELS.items()), method="with_prompt",
                                  widget=Select, empty_label="全部")

    class Meta:
        model = Member
        fields = ["q", "prompt"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(name__contains=value) if value else queryset

    def with_prompt(self, queryset, name, value):
        today = timezone.localdate()
        if value == PROMPT_EXPEL:
            return expulsion_prompted(queryset, today)
        return suspension_prompted(queryset, today).exclude(pk__in=expulsion_prompted(queryset, today).values("pk"))
