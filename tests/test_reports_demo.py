"""Reports on the demo county (built once for the module): every registered figure against counts made here in
Python from the rows, a full rebuild, snapshots equal to live figures at every township and village, and the
ticket figures equal to the tickets app's own."""

import datetime as dt
import random
import time
from collections import Counter

import pytest
from django.test import override_settings
from django.utils import timezone

from dangjian.checkup.models import Finding
from dangjian.core.dictionaries import EDUCATIONS
from dangjian.demo.generator import build_demo
from dangjian.demo.ledger import reset_ledger
from dangjian.members.filters import AGE_BANDS
from dangjian.members.metrics import JOIN_PERIODS, occupation_of
from dangjian.members.models import Member
from dangjian.orgs.models import PartyOrg
from dangjian.places.models import Region
from dangjian.reports import queries, services
from dangjian.reports.models import Snapshot, SnapshotRun
from dangjian.reports.registry import SOURCES, Group, Node, Period, metrics_on
from dangjian.tickets import queries as ticket_queries
from dangjian.tickets.models import Assignment

fast_hashing = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo county (seed 1) with a full snapshot rebuild, removed again afterwards."""
    with django_db_blocker.unblock(), fast_hashing:
        counts = build_demo(seed=1)
        started = time.monotonic()
        counts["rebuild"] = services.do_refresh(full=True)
        counts["rebuild_seconds"] = time.monotonic() - started
        started = time.monotonic()
        counts["incremental"] = services.do_refresh()
        counts["incremental_seconds"] = time.monotonic() - started
    yield counts
    with django_db_blocker.unblock():
        Snapshot.objects.all().delete()
        SnapshotRun.objects.all().delete()
        Finding.objects.all().delete()
        reset_ledger()


def this_month() -> Period:
    return Period.of("month", timezone.localdate())


def age(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def band_of(years: int) -> str:
    for band, _ in AGE_BANDS:
        low, _, high = band.partition("-")
        if years >= int(low.rstrip("+")) and (not high or years <= int(high)):
            return band
    return ""


def python_member_counts(members, today) -> Counter:
    """The member figures counted row by row in Python (an independent twin of members/metrics.py)."""
    c = Counter()
    edu_keys = {"10": "postgraduate", "20": "bachelor", "30": "college", "40": "secondary_vocational",
                "50": "technical", "60": "high_school", "70": "junior", "80": "primary", "90": "other"}
    for m in members:
        c[f"members.{m.status}"] += 1
        if m.status not in ("full", "probationary"):
            continue
        c["members.total"] += 1
        c[f"members.{m.gender}"] += 1
        c["members.han" if m.ethnicity == "01" else "members.minority"] += 1
        years = age(m.birth_date, today)
        band = "age_" + band_of(years).replace("-", "_").replace("+", "_plus")
        c[f"members.{band}"] += 1
        c[f"members.{m.gender}_{band}"] += 1
        c["members.age_35_below"] += years <= 35
        c[f"members.edu_{edu_keys.get(m.education, 'unknown')}"] += 1
        c["members.edu_college_above"] += m.education in ("10", "20", "30")
        period = "unknown"
        for key, start, end, _ in JOIN_PERIODS:
            if m.joined_on and (start is None or m.joined_on >= start) and (end is None or m.joined_on < end):
                period = key
        c[f"members.joined_{period}"] += 1
        c[f"members.occ_{occupation_of(m.job)}"] += 1
        c["members.mobile"] += m.is_mobile
    return c


@pytest.mark.django_db
def test_demo_figures_match_the_rows(demo):
    today = timezone.localdate()
    month = this_month()
    root = queries.resolve_node(None, "org")
    assert root.name == "中共示范县委员会"
    values = queries.metric_values(root, month)
    members = list(Member.objects.only("status", "gender", "ethnicity", "birth_date", "education", "joined_on",
                                       "job", "is_mobile", "org_path"))
    expected = python_member_counts(members, today)
    for m in metrics_on("org"):
        if m.key.startswith("members.") and not m.is_rate:
            assert values[m.key] == expected[m.key], m.key
    assert values["members.total"] > 10_000 and values["members.minority"] > 0
    assert sum(values[k] for k in values if k.startswith("members.occ_")) == values["members.total"]
    assert values["members.occ_farmer"] > 0 and values["members.occ_retired"] > 0
    assert values["members.occ_professional"] > 0 and values["members.occ_worker"] > 0
    # the member list's occupation filter (a plain condition) agrees with the CASE the figures group on
    from dangjian.members.metrics import OCCUPATION_LABELS, PARTY, occupation_q

    for code in OCCUPATION_LABELS:
        assert Member.objects.filter(PARTY).filter(occupation_q(code)).count() == values[f"members.occ_{code}"], code
    kinds = Counter(PartyOrg.objects.filter(status="active").values_list("kind", flat=True))
    for kind in PartyOrg.Kind:
        assert values[f"orgs.{kind.value}"] == kinds[kind.value], kind
    assert values["orgs.total"] == sum(kinds.values()) - kinds["group"]
    # the township committees: each subtree counted in Python too
    for row in queries.children_values(root, month, ["members.total", "members.female", "members.age_71_plus"]):
        inside = [m for m in members if m.org_path.startswith(row["path"])]
        c = python_member_counts(inside, today)
        assert row["values"] == {"members.total": c["members.total"], "members.female": c["members.female"],
                                 "members.age_71_plus": c["members.age_71_plus"]}, row["name"]


@pytest.mark.django_db
def test_demo_places_coverage_grid_branches_and_groups(demo):
    region = queries.resolve_node(None, "region")
    values = queries.metric_values(region, this_month())
    assert values["orgs.grid_branches"] == 94 and values["orgs.grid_groups"] == 18  # “网格设置党支部94个、党小组18个”
    villages = Region.objects.filter(level__in=("village", "community"))
    with_org = set(PartyOrg.objects.filter(status="active", kind__in=("committee", "general_branch", "branch",
                                                                      "joint_branch"))
                   .values_list("region__path", flat=True))
    covered = sum(1 for v in villages if any(p and p.startswith(v.path) for p in with_org))
    assert values["orgs.villages"] == 141 and values["orgs.communities"] == 6
    assert values["orgs.places_covered"] == covered
    assert values["orgs.coverage"] == round(covered / 147, 4)


@pytest.mark.django_db
def test_demo_ticket_figures_are_the_tickets_app_figures(demo):
    region = queries.resolve_node(None, "region")
    keys = [m.key for m in metrics_on("region") if m.key.startswith("tickets.")]
    months = [this_month().shift(-i) for i in range(3)]
    total = 0
    for month in months:
        ours = queries.metric_values(region, month, keys)
        start, end = Group("region", "", 0, month, timezone.now()).start, Group("region", "", 0, month,
                                                                              timezone.now()).end
        assignments = Assignment.objects.filter(dispatched_at__gte=start, dispatched_at__lt=end)
        theirs = ticket_queries.ticket_metrics(assignments)
        for key, value in theirs.items():
            if key == "avg_hours_to_close" and value is not None:
                assert ours[f"tickets.{key}"] == pytest.approx(value, abs=0.051), (month, key)
            elif key != "overdue_open":  # "overdue now": the snapshot keeps the moment of its refresh
                assert ours[f"tickets.{key}"] == value, (month, key)
        total += ours["tickets.dispatched"]
        by_child = {r["code"]: r for r in ticket_queries.ticket_metrics_by(assignments, f"child:{region.path}")}
        for row in queries.children_ranking(region, month, "tickets.acceptance_rate"):
            assert row["value"] == by_child[row["code"]]["acceptance_rate"], row["name"]
            assert row["denominator"] == by_child[row["code"]]["dispatched"]
    assert total > 1000


@pytest.mark.django_db
def test_demo_snapshots_equal_live_figures(demo):
    """Each township and village (region tree) and each organisation down to the branches of a sample
    (organisation tree): snapshot reads equal the live computation, for this month and today."""
    rng = random.Random(5)
    regions = list(Region.objects.filter(level__in=("township", "street", "village", "community")))
    orgs = list(PartyOrg.objects.filter(depth__lte=2)) + rng.sample(list(PartyOrg.objects.filter(depth__gt=2)), 40)
    today = Period.of("day", timezone.localdate())
    for obj in regions + orgs:
        n = queries.node_for(obj)
        for period in (this_month(), today):
            snap, live = queries.metric_values(n, period), queries.live_values(n, period)
            # tickets' "overdue now" moves with the clock between the refresh and this read
            snap.pop("tickets.overdue_open", None)
            live.pop("tickets.overdue_open", None)
            assert snap == live, (obj.name, period)
    assert Snapshot.objects.filter(tree="region", metric="tickets.dispatched", period_kind="month").values(
        "period_start").distinct().count() >= 3


@pytest.mark.django_db
def test_demo_grouped_equals_per_node(demo):
    month = this_month()
    now = timezone.now()
    rng = random.Random(9)
    for source in SOURCES.values():
        model = Region if source.tree == "region" else PartyOrg
        nodes = [Node(source.tree, "")] + [queries.node_for(o) for o in rng.sample(list(model.objects.all()), 25)]
        grouped = services.compute_all_depths(source, month, now)
        for n in nodes:
            alone = source.compute(Group(source.tree, n.path, len(n.path), month, now)).get(n.path, {})
            assert grouped.get(n.path, {}) == alone, (source.key, n.name)


@pytest.mark.django_db
def test_demo_rebuild_and_refresh_figures(demo):
    rebuild, incremental = demo["rebuild"], demo["incremental"]
    assert rebuild["full"] and rebuild["periods"] > incremental["periods"] > 0
    assert rebuild["values"] > 10_000
    # nothing changed between the two: the incremental refresh recomputes today and this month only
    assert incremental["periods"] == 2 * len(SOURCES)
    print(f"\ndemo full rebuild: {demo['rebuild_seconds']:.1f} s, {rebuild['values']} values in "
          f"{rebuild['periods']} (source, period); incremental: {demo['incremental_seconds']:.1f} s")


@pytest.mark.django_db
def test_demo_statistical_tables(demo, client):
    from dangjian.accounts.models import User
    from dangjian.reports import tables

    admin = User.objects.filter(assignments__role="county_admin").first()
    client.force_login(admin)
    year = timezone.localdate().year
    response = client.get("/reports/tables/", {"table": "education", "year": str(year)})
    assert response.status_code == 200
    built = response.context["built"]
    assert len(built.rows) == 1 + PartyOrg.objects.filter(depth=2).count()
    keys = [c.key for c in tables.TABLES_BY_KEY["education"].leaves]
    total_row = dict(zip(keys, [c["value"] for c in built.rows[0]["cells"]], strict=True))
    assert total_row["members.total"] == sum(total_row[k] for k in tables.EDU_KEYS)
    assert [h["label"] for h in built.headers[1]][:3] == [EDUCATIONS["10"], EDUCATIONS["20"], EDUCATIONS["30"]]
    children_sum = sum(r["cells"][0]["value"] for r in built.rows[1:])
    direct = Member.objects.filter(org_path=PartyOrg.objects.get(depth=1).path, status__in=("full", "probationary"))
    assert children_sum + direct.count() == total_row["members.total"]
