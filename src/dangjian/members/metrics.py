"""Member figures for the reports (registered from MembersConfig.ready): the party statistics (党内统计) breakdowns
by status, gender, ethnicity, age, education, occupation and join period, for every organisation subtree.

One grouped query counts all of them for every organisation of one depth; a figure of the structure counts party
members (正式党员 and 预备党员) only, as the statistics tables do; the status figures count every person in the
ledger. Each figure links to the member list with the filters that show exactly its records."""

import datetime as dt
from urllib.parse import urlencode

from django.db.models import Case, CharField, Count, Q, Value, When
from django.urls import reverse
from django.utils import timezone

from dangjian.core.dictionaries import EDUCATIONS

from .filters import AGE_BANDS, birth_range
from .models import Member

PARTY_STATUSES = (Member.Status.FULL, Member.Status.PROBATIONARY)
PARTY = Q(status__in=PARTY_STATUSES)

# 入党时间 as the yearly statistics communiqué (中国共产党党内统计公报) groups it: [start, end) and label.
JOIN_PERIODS = [
    ("before_1949", None, dt.date(1949, 10, 1), "新中国成立前"),
    ("1949_1978", dt.date(1949, 10, 1), dt.date(1978, 12, 18), "新中国成立后至党的十一届三中全会前"),
    ("1978_2012", dt.date(1978, 12, 18), dt.date(2012, 11, 8), "党的十一届三中全会后至党的十八大前"),
    ("since_2012", dt.date(2012, 11, 8), None, "党的十八大以来"),
]

# 职业 as the communiqué groups it. The ledger keeps the job as free text (工作岗位); it is classified by the first
# matching keyword, in this order; anything else is 其他职业人员.
OCCUPATIONS = [
    ("retired", "离退休人员", ("离退休", "退休", "离休")),
    ("student", "学生", ("学生",)),
    ("official", "党政机关工作人员", ("公务员", "参照公务员法", "机关工作人员", "机关干部")),
    ("farmer", "农牧渔民", ("农民", "牧民", "渔民", "村干部", "村党组织书记", "合作社", "外出务工", "种养")),
    ("professional", "企事业单位、社会组织专业技术人员",
     ("专业技术", "教师", "医生", "护士", "医技", "医务", "工程师", "律师", "会计", "社会工作者")),
    ("manager", "企事业单位、社会组织管理人员", ("管理人员", "负责人", "经理", "厂长")),
    ("worker", "工人（工勤技能人员）", ("职工", "工人", "工勤", "快递员", "驾驶员", "骑手", "物业服务", "技工")),
]
OTHER_OCCUPATION = ("other", "其他职业人员")
OCCUPATION_LABELS = dict([(code, label) for code, label, _ in OCCUPATIONS] + [OTHER_OCCUPATION])


def occupation_case():
    """The occupation code of a member's job text, as one SQL CASE (the same for the figures and the list)."""
    whens = [When(job__contains=word, then=Value(code)) for code, _, words in OCCUPATIONS for word in words]
    return Case(*whens, default=Value(OTHER_OCCUPATION[0]), output_field=CharField())


def occupation_q(code: str) -> Q:
    """The members whose job text is of occupation `code`, as a plain condition (no annotation): it has one of the
    code's words and none of the words of the occupations tried before it — the same first match as the CASE."""

    def any_word(words) -> Q:
        q = Q(pk__in=[])
        for word in words:
            q |= Q(job__contains=word)
        return q

    earlier: list[str] = []
    for key, _, words in OCCUPATIONS:
        if key == code:
            return any_word(words) & ~any_word(earlier)
        earlier += words
    if code == OTHER_OCCUPATION[0]:
        return ~any_word(earlier)
    raise ValueError(code)


def occupation_of(job: str) -> str:
    for code, _, words in OCCUPATIONS:
        if any(word in (job or "") for word in words):
            return code
    return OTHER_OCCUPATION[0]


def join_period_q(code: str) -> Q:
    for key, start, end, _ in JOIN_PERIODS:
        if key == code:
            q = Q(joined_on__isnull=False)
            if start:
                q &= Q(joined_on__gte=start)
            if end:
                q &= Q(joined_on__lt=end)
            return q
    if code == "unknown":
        return Q(joined_on__isnull=True)
    raise ValueError(code)


def age_band_q(band: str, today: dt.date) -> Q:
    earliest, latest = birth_range(band, today)
    q = Q(birth_date__lte=latest)
    return q & Q(birth_date__gt=earliest) if earliest else q


def _age_key(band: str) -> str:
    return "age_" + band.replace("-", "_").replace("+", "_plus")


def _young_q(today: dt.date) -> Q:
    """35 岁及以下."""
    earliest, _ = birth_range("18-35", today)
    return Q(birth_date__gt=earliest)


EDUCATION_KEYS = {"10": "postgraduate", "20": "bachelor", "30": "college", "40": "secondary_vocational",
                  "50": "technical", "60": "high_school", "70": "junior", "80": "primary", "90": "other"}  # fmt: skip
COLLEGE_ABOVE = ("10", "20", "30")


def member_filters(today: dt.date) -> dict[str, Q]:
    """The members each count metric counts (key without the "members." prefix), on the day `today`."""
    f = {"total": PARTY}
    for status in Member.Status:
        f[status.value] = Q(status=status.value)
    f["male"] = PARTY & Q(gender="male")
    f["female"] = PARTY & Q(gender="female")
    f["han"] = PARTY & Q(ethnicity="01")
    f["minority"] = PARTY & ~Q(ethnicity="01")
    for band, _ in AGE_BANDS:
        f[_age_key(band)] = PARTY & age_band_q(band, today)
        for gender in ("male", "female"):  # the age pyramid
            f[f"{gender}_{_age_key(band)}"] = PARTY & Q(gender=gender) & age_band_q(band, today)
    f["age_35_below"] = PARTY & _young_q(today)
    for code, key in EDUCATION_KEYS.items():
        f[f"edu_{key}"] = PARTY & Q(education=code)
    f["edu_unknown"] = PARTY & Q(education="")
    f["edu_college_above"] = PARTY & Q(education__in=COLLEGE_ABOVE)
    for code, *_ in JOIN_PERIODS:
        f[f"joined_{code}"] = PARTY & join_period_q(code)
    f["joined_unknown"] = PARTY & join_period_q("unknown")
    f["mobile"] = PARTY & Q(is_mobile=True)
    return f


def compute(group) -> dict:
    """Every member count for every organisation of one depth: one grouped query, grouped on the occupation too
    (the CASE over the job text is evaluated once a row; the other counts are summed over the occupations)."""
    today = timezone.localdate(group.now)
    counts = {k: Count("id", filter=q) for k, q in member_filters(today).items()}
    qs = group.grouped(Member.objects.annotate(occupation=occupation_case()), "org_path", "occupation")
    rows = []
    for row in group.fetch(qs.annotate(**counts)):
        occupation = row.pop("occupation")
        row[f"occ_{occupation}"] = row["total"]  # party members of this occupation
        rows.append(row)
    return group.rows(rows, prefix="members.")


def _list(**params):
    """The member list of the node's subtree with `params` as filters."""

    def url(node, period):
        query = ({"org": node.code} if node.path else {}) | params
        return reverse("member-list") + "?" + urlencode(query)

    return url


def register() -> None:
    from dangjian.reports.registry import (
        Metric,
        Source,
        Tree,
        register_metric,
        register_source,
        register_tree,
    )

    register_tree(Tree("org", "党组织", "orgs.PartyOrg", "code"))
    party = {"party": "true"}
    m = [Metric("members.total", "党员总数", "人", "org", records=_list(**party), group="党员总数", order=100,
                help="正式党员和预备党员")]
    for i, status in enumerate(Member.Status):
        m.append(Metric(f"members.{status.value}", status.label, "人", "org", records=_list(status=status.value),
                        group="人员类别", order=110 + i))
    m += [Metric("members.male", "男党员", "人", "org", records=_list(gender="male", **party), group="性别", order=200),
          Metric("members.female", "女党员", "人", "org", records=_list(gender="female", **party), group="性别",
                 order=201),
          Metric("members.han", "汉族党员", "人", "org", records=_list(ethnicity="01", **party), group="民族", order=210),
          Metric("members.minority", "少数民族党员", "人", "org", records=_list(minority="true", **party), group="民族",
                 order=211)]  # fmt: skip
    for i, (band, label) in enumerate(AGE_BANDS):
        m.append(Metric(f"members.{_age_key(band)}", label, "人", "org", records=_list(age_band=band, **party),
                        group="年龄", order=300 + i))
    for i, (band, label) in enumerate(AGE_BANDS):
        for j, (gender, word) in enumerate((("male", "男"), ("female", "女"))):
            m.append(Metric(f"members.{gender}_{_age_key(band)}", f"{label}{word}党员", "人", "org",
                            records=_list(age_band=band, gender=gender, **party), group="年龄性别",
                            order=340 + 2 * i + j))
    m.append(Metric("members.age_35_below", "35岁及以下党员", "人", "org", group="年龄", order=320,
                    records=_list(age_band="18-35", **party)))
    for i, (code, key) in enumerate(EDUCATION_KEYS.items()):
        m.append(Metric(f"members.edu_{key}", EDUCATIONS[code], "人", "org", records=_list(education=code, **party),
                        group="学历", order=400 + i))
    m.append(Metric("members.edu_unknown", "学历未填", "人", "org", group="学历", order=419,
                    records=_list(education="none", **party)))
    m.append(Metric("members.edu_college_above", "大专及以上学历党员", "人", "org", group="学历", order=420,
                    records=_list(education="college_above", **party)))
    for i, (code, _, _, label) in enumerate(JOIN_PERIODS):
        m.append(Metric(f"members.joined_{code}", f"{label}入党", "人", "org", group="入党时间", order=500 + i,
                        records=_list(join_period=code, **party)))
    m.append(Metric("members.joined_unknown", "入党时间不详", "人", "org", group="入党时间", order=509,
                    records=_list(join_period="unknown", **party)))
    for i, (code, label) in enumerate(OCCUPATION_LABELS.items()):
        m.append(Metric(f"members.occ_{code}", label, "人", "org", group="职业", order=600 + i,
                        records=_list(occupation=code, **party)))
    m.append(Metric("members.mobile", "流动党员", "人", "org", group="流动党员", order=700,
                    records=_list(is_mobile="true", **party)))
    keys = tuple(x.key for x in m)
    register_source(Source("members.ledger", "org", "stock", keys, compute), m)
    for key, label, part, order in (("female_share", "女党员占比", "female", 800),
                                    ("minority_share", "少数民族党员占比", "minority", 801),
                                    ("young_share", "35岁及以下党员占比", "age_35_below", 802),
                                    ("college_share", "大专及以上学历党员占比", "edu_college_above", 803),
                                    ("probationary_share", "预备党员占比", "probationary", 804)):
        register_metric(Metric(f"members.{key}", label, "%", "org", numerator=f"members.{part}",
                               denominator="members.total", group="结构占比", order=order))
