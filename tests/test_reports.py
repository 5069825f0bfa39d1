"""Reports: every registered metric on a hand-counted county, grouped computation against per-node computation,
snapshots against live figures, refresh idempotence, 环比/同比, the records behind each figure, the 党内统计 page
and its xlsx export, and scope."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from dangjian.checkup.models import Finding
from dangjian.core.periodic import JOBS
from dangjian.members.models import Member
from dangjian.members.services import do_create_member
from dangjian.orgs.models import PartyOrg
from dangjian.places.models import Region
from dangjian.reports import queries, services, tables
from dangjian.reports.models import Snapshot, SnapshotRun
from dangjian.reports.registry import (
    METRICS,
    SOURCES,
    Group,
    Node,
    Period,
    check_registry,
    load,
    metric,
    metrics_on,
    rate,
)
from dangjian.reports.services import compute_all_depths
from dangjian.tickets import queries as ticket_queries
from dangjian.tickets.models import Assignment
from tests.factories import id_number
from tests.tickets_helpers import build, build_world, local

NOW = local(2026, 3, 20, 12, 0)
MARCH = Period("month", dt.date(2026, 3, 1))
FEBRUARY = Period("month", dt.date(2026, 2, 1))


def _add_org(parent, **data):
    return PartyOrg.objects.add_child(PartyOrg.objects.get(pk=parent.pk), data)


def _add_region(parent, **data):
    return Region.objects.add_child(Region.objects.get(pk=parent.pk), data)


@pytest.fixture
def rich(county):
    """The factory county plus, by hand: three more members (a minority probationary woman, an applicant, a
    retired mobile man in the township committee itself) and a soft-deleted one; a grid branch, a party group in
    the grid, a dissolved branch, a community without an organisation; tickets in March 2026, February 2026 and
    March 2025; open and resolved findings."""
    c = county
    w = build_world(c)
    m = c.members
    m["c"] = do_create_member(actor=None, name="王五", id_number=id_number(birth=dt.date(1998, 6, 1), male=False),
                              org=c.branch_a, status="probationary", ethnicity="03", education="",
                              job="种植户（农民）", joined_on=dt.date(2026, 3, 1))
    m["d"] = do_create_member(actor=None, name="赵六", id_number=id_number(birth=dt.date(2000, 1, 1)), org=c.branch_a,
                              status="applicant", education="20")
    m["f"] = do_create_member(actor=None, name="钱七", id_number=id_number(birth=dt.date(1950, 1, 1)), org=c.town_a_org,
                              status="full", education="60", job="退休教师", joined_on=dt.date(1975, 5, 1),
                              full_on=dt.date(1976, 5, 1), is_mobile=True)
    gone = do_create_member(actor=None, name="孙八", id_number=id_number(birth=dt.date(1990, 1, 1), male=False),
                            org=c.branch_b, status="full", joined_on=dt.date(2015, 1, 1), full_on=dt.date(2016, 1, 1))
    Member.all_objects.filter(pk=gone.pk).update(deleted_at=NOW)
    c.grid_branch = _add_org(c.town_a_org, code="D010102", name="东风村一网格党支部", kind="branch", region=c.grid_a)
    c.group = _add_org(c.branch_a, code="D01010101", name="东风村一网格党小组", kind="group", region=c.grid_a)
    _add_org(c.town_b_org, code="D010202", name="柳林村老支部", kind="branch", region=c.village_b, status="dissolved")
    c.community = _add_region(c.town_b, division_code="369901002002", name="河西社区", level="community")
    build(w, "closed", now=local(2026, 3, 2, 9, 0))
    build(w, "processing", now=local(2026, 3, 3, 9, 0))
    build(w, "returned", now=local(2026, 3, 4, 9, 0))
    build(w, "dispatched", now=local(2026, 3, 5, 9, 0))
    build(w, "closed", now=local(2026, 2, 10, 9, 0))
    build(w, "dispatched", now=local(2025, 3, 10, 9, 0))
    Finding.objects.all().delete()  # only the findings below, whatever the checkup watchers did
    for org, rule, severity, status, key in ((c.branch_a, "org.term.expired", "error", "open", ""),
                                             (c.branch_a, "org.term.expired", "error", "open", "2"),
                                             (c.branch_b, "org.branch.too_few_full_members", "warning", "open", ""),
                                             (c.branch_a, "org.committee.missing", "error", "resolved", "")):
        Finding.objects.create(rule=rule, subject="org", subject_id=org.pk, subject_code=org.code, key=key,
                               org_path=org.path, severity=severity, message="问题", citation="依据",
                               first_seen=dt.date(2026, 3, 1), last_seen=dt.date(2026, 3, 1), status=status)
    c.world = w
    return c


def node(obj) -> Node:
    return queries.node_for(PartyOrg.objects.get(pk=obj.pk) if isinstance(obj, PartyOrg) else
                            Region.objects.get(pk=obj.pk))


# Hand counts. Members of 中共示范县委员会 (D01): a 张三 (full, male, 汉, born 1985-03-14, 本科, joined 2010, job ""),
# b 李四 (full, female, 汉, 1985, 大专, 2012-07-01), c 王五 (probationary, female, 回族, born 1998, no education,
# joined 2026, 农民), f 钱七 (full, male, 汉, born 1950, 高中, joined 1975, 退休教师, mobile); d 赵六 is an applicant.
ORG_ROOT = {
    "members.total": 4, "members.full": 3, "members.probationary": 1, "members.applicant": 1,
    "members.male": 2, "members.female": 2, "members.han": 3, "members.minority": 1,
    "members.age_18_30": 1, "members.age_41_45": 2, "members.age_71_plus": 1, "members.age_35_below": 1,
    "members.female_age_18_30": 1, "members.male_age_41_45": 1, "members.female_age_41_45": 1,
    "members.male_age_71_plus": 1,
    "members.edu_bachelor": 1, "members.edu_college": 1, "members.edu_high_school": 1, "members.edu_unknown": 1,
    "members.edu_college_above": 2,
    "members.joined_1949_1978": 1, "members.joined_1978_2012": 2, "members.joined_since_2012": 1,
    "members.occ_other": 2, "members.occ_farmer": 1, "members.occ_retired": 1, "members.mobile": 1,
    "members.female_share": 0.5, "members.minority_share": 0.25, "members.young_share": 0.25,
    "members.college_share": 0.5, "members.probationary_share": 0.25,
    "orgs.total": 6, "orgs.committee": 3, "orgs.branch": 3, "orgs.group": 1,
    "checkup.open": 3, "checkup.open_error": 2, "checkup.open_warning": 1,
    "checkup.rule_org_term_expired": 2, "checkup.rule_org_branch_too_few_full_members": 1,
}  # fmt: skip
# 城关镇党委 (D0101): a, c, f; orgs: itself, 东风村党支部, the grid branch, the group.
TOWN_A_ORG = {
    "members.total": 3, "members.full": 2, "members.probationary": 1, "members.applicant": 1, "members.male": 2,
    "members.female": 1, "members.minority": 1, "members.han": 2, "members.mobile": 1,
    "members.age_18_30": 1, "members.age_41_45": 1, "members.age_71_plus": 1, "members.age_35_below": 1,
    "members.female_age_18_30": 1, "members.male_age_41_45": 1, "members.male_age_71_plus": 1,
    "members.edu_bachelor": 1, "members.edu_unknown": 1, "members.edu_high_school": 1, "members.edu_college_above": 1,
    "members.joined_1978_2012": 1, "members.joined_since_2012": 1, "members.joined_1949_1978": 1,
    "members.occ_other": 1, "members.occ_farmer": 1, "members.occ_retired": 1,
    "orgs.total": 3, "orgs.committee": 1, "orgs.branch": 2, "orgs.group": 1,
    "checkup.open": 2, "checkup.open_error": 2, "checkup.rule_org_term_expired": 2,
}  # fmt: skip
# 示范县 (369901): villages 东风村, 柳林村 (both with a branch), 河西社区 without one; the grid branch and group in
# 东风村一网格. Tickets of March 2026 (all in 东风村一网格, lead to the station): closed, processing, returned, pending.
REGION_ROOT = {
    "orgs.villages": 2, "orgs.villages_covered": 2, "orgs.communities": 1, "orgs.communities_covered": 0,
    "orgs.places": 3, "orgs.places_covered": 2, "orgs.village_coverage": 1.0, "orgs.community_coverage": 0.0,
    "orgs.coverage": 0.6667, "orgs.grid_branches": 1, "orgs.grid_groups": 1,
    "tickets.dispatched": 4, "tickets.accepted": 2, "tickets.returned": 1, "tickets.closed": 1, "tickets.on_time": 1,
    "tickets.resolved": 1, "tickets.close_count": 1, "tickets.overdue_open": 2,  # processing and pending, on 20 March
    "tickets.close_hours": 0.67, "tickets.avg_hours_to_close": 0.7,  # closed 40 min after registering (0.67 h)
    "tickets.acceptance_rate": 0.5, "tickets.return_rate": 0.25, "tickets.closure_rate": 0.25,
    "tickets.on_time_rate": 1.0, "tickets.extension_rate": 0.0, "tickets.rework_rate": 0.0,
    "tickets.satisfaction_rate": None, "tickets.response_rate": None,
}  # fmt: skip
TOWN_B_REGION = {"orgs.villages": 1, "orgs.villages_covered": 1, "orgs.communities": 1, "orgs.places": 2,
                 "orgs.places_covered": 1, "orgs.coverage": 0.5, "orgs.village_coverage": 1.0,
                 "orgs.community_coverage": 0.0, "tickets.acceptance_rate": None}  # fmt: skip


def expected_values(hand: dict, tree: str) -> dict:
    """Every metric of the tree: the hand count, or 0 for a count not listed; a rate not listed is computed from
    its listed parts (None when its denominator is 0)."""
    out = {}
    for m in metrics_on(tree):
        if m.key in hand:
            out[m.key] = hand[m.key]
        elif m.is_rate:
            out[m.key] = rate(hand.get(m.numerator, 0), hand.get(m.denominator, 0), m.digits)
        else:
            out[m.key] = 0
    return out


def test_registry_is_sound():
    load()
    assert check_registry() == []
    assert {"members.total", "members.female", "orgs.branch", "tickets.dispatched", "tickets.acceptance_rate",
            "orgs.coverage", "orgs.grid_branches", "orgs.grid_groups", "checkup.open"} <= set(METRICS)
    for m in METRICS.values():
        assert m.label and all("\u4e00" <= ch <= "\u9fff" or not ch.isalpha() for ch in m.label), m.key
        assert m.unit in ("人", "个", "件", "次", "小时", "%"), m.key
        assert m.is_rate == (m.source is None)
        if m.is_rate:
            assert METRICS[m.numerator].tree == METRICS[m.denominator].tree == m.tree
    assert {s.tree for s in SOURCES.values()} == {"org", "region"}
    assert all(METRICS[k].source == s.key for s in SOURCES.values() for k in s.keys)


@pytest.mark.django_db
def test_every_metric_against_hand_counts(rich):
    for obj, hand, tree in ((rich.county_org, ORG_ROOT, "org"), (rich.town_a_org, TOWN_A_ORG, "org"),
                            (rich.county, REGION_ROOT, "region"), (rich.town_b, TOWN_B_REGION, "region")):
        n = node(obj)
        got = queries.live_values(n, MARCH, now=NOW)
        want = expected_values(hand, tree)
        assert set(got) == set(want)
        wrong = {k: (got[k], want[k]) for k in want if got[k] != want[k]}
        assert not wrong, (obj.name, wrong)
    # the branch of 东风村: a and c (d is an applicant), its group; 河西镇党委: b only (孙八 is deleted)
    branch = queries.live_values(node(rich.branch_a), MARCH, ["members.total", "members.applicant", "orgs.group",
                                                               "orgs.total", "checkup.open_error"], now=NOW)
    assert branch == {"members.total": 2, "members.applicant": 1, "orgs.group": 1, "orgs.total": 1,
                      "checkup.open_error": 2}
    town_b = queries.live_values(node(rich.town_b_org), MARCH, ["members.total", "members.female", "orgs.branch"],
                                 now=NOW)
    assert town_b == {"members.total": 1, "members.female": 1, "orgs.branch": 1}


@pytest.mark.django_db
def test_ticket_metrics_are_the_tickets_own_definitions(rich):
    """Each ticket figure equals tickets.queries.ticket_metrics over the same dispatches, for the county and per
    child region (ticket_metrics_by child:)."""
    county = node(rich.county)
    ours = queries.live_values(county, MARCH, [m.key for m in metrics_on("region") if m.key.startswith("tickets.")],
                               now=NOW)
    march = Assignment.objects.filter(dispatched_at__gte=local(2026, 3, 1), dispatched_at__lt=local(2026, 4, 1))
    theirs = ticket_queries.ticket_metrics(march, now=NOW)
    for key, value in theirs.items():
        assert ours[f"tickets.{key}"] == value, key
    by_child = {r["path"]: r for r in ticket_queries.ticket_metrics_by(march, f"child:{county.path}", now=NOW)}
    for row in queries.children_values(county, MARCH, ["tickets.dispatched", "tickets.accepted",
                                                       "tickets.acceptance_rate", "tickets.avg_hours_to_close"],
                                       now=NOW):
        for key in ("dispatched", "accepted", "acceptance_rate", "avg_hours_to_close"):
            assert row["values"][f"tickets.{key}"] == by_child[row["path"]][key], (row["name"], key)


def all_nodes(tree: str) -> list[Node]:
    model = Region if tree == "region" else PartyOrg
    return [Node(tree, "")] + [queries.node_for(o) for o in model.objects.all()]


@pytest.mark.django_db
def test_grouped_computation_equals_per_node_computation(rich):
    for source in SOURCES.values():
        grouped = compute_all_depths(source, MARCH, NOW)
        for n in all_nodes(source.tree):
            alone = source.compute(Group(source.tree, n.path, len(n.path), MARCH, NOW)).get(n.path, {})
            assert grouped.get(n.path, {}) == alone, (source.key, n.name)
        # and grouped under a root: the children of the first root only
        root = all_nodes(source.tree)[1]
        under = source.compute(Group(source.tree, root.path, len(root.path) + 4, MARCH, NOW))
        assert under == {p: v for p, v in grouped.items() if len(p) == len(root.path) + 4 and p.startswith(root.path)}


def snapshot_rows():
    return sorted(Snapshot.objects.values_list("id", "tree", "path", "depth", "period_kind", "period_start", "metric",
                                               "value"))


@pytest.mark.django_db
def test_refresh_is_idempotent_and_follows_changes(rich):
    first = services.do_refresh(now=NOW)
    assert first["periods"] == 2 * len(SOURCES)  # today's day and month of every source
    rows = snapshot_rows()
    assert rows and SnapshotRun.objects.count() == 2 * len(SOURCES)
    assert first["inserted"] == first["values"] > 0
    again = services.do_refresh(now=NOW)
    assert again["values"] == first["values"]
    assert (again["inserted"], again["updated"], again["deleted"]) == (0, 0, 0)
    assert snapshot_rows() == rows  # the same rows, ids included: nothing rewritten
    # snapshots equal the live figures for every node of both trees, day and month
    for tree in ("org", "region"):
        for n in all_nodes(tree):
            for period in (MARCH, Period("day", dt.date(2026, 3, 20))):
                assert queries.metric_values(n, period, now=NOW) == queries.live_values(n, period, now=NOW), n.name
    # the snapshot is what is read: a change shows live at once, in the snapshots after the next refresh
    root = node(rich.county_org)
    Member.all_objects.filter(pk=rich.members["c"].pk).update(deleted_at=NOW)
    assert queries.metric_values(root, MARCH, ["members.minority"], now=NOW) == {"members.minority": 1}
    assert queries.live_values(root, MARCH, ["members.minority"], now=NOW) == {"members.minority": 0}
    changed = services.do_refresh(now=NOW)
    assert changed["inserted"] == 0 and changed["updated"] > 0 and changed["deleted"] > 0
    assert queries.metric_values(root, MARCH, ["members.minority", "members.total"], now=NOW) == {
        "members.minority": 0, "members.total": 3}
    assert not Snapshot.objects.filter(path=root.path, metric="members.minority").exists()  # zero: no row
    # a full rebuild compares with the rows themselves: a row lost behind the refresh's back comes back
    Snapshot.objects.filter(path=root.path, metric="members.total").delete()
    assert services.do_refresh(now=NOW)["inserted"] == 0  # same digest: not even read
    assert services.do_refresh(now=NOW, full=True)["inserted"] >= 2  # the day's and the month's (and past months)
    assert Snapshot.objects.filter(path=root.path, metric="members.total").count() == 2
    assert Snapshot.objects.get(path=root.path, metric="members.total", period_kind="month").value == 3


@pytest.mark.django_db
def test_stale_and_changed_periods_are_recomputed(rich):
    services.do_refresh(now=NOW, full=True)
    region = node(rich.county)
    assert queries.metric_values(region, FEBRUARY, ["tickets.dispatched"], now=NOW) == {"tickets.dispatched": 1}
    # a February dispatch accepted after the fact, without any event: a stale mark brings it in
    feb = Assignment.objects.get(dispatched_at__lt=local(2026, 3, 1), dispatched_at__gte=local(2026, 2, 1))
    Assignment.objects.filter(pk=feb.pk).update(returned_at=NOW, status="returned")
    assert services.do_mark_stale(dt.date(2026, 2, 10)) == 2  # the tickets' day and month (a full rebuild stores days
    # from the first of the previous month); stock sources have no February runs
    assert services.plan(now=NOW) and SnapshotRun.objects.filter(stale=True, period_kind="month").get().period_start \
        == FEBRUARY.start
    # readers fall back to live figures meanwhile
    assert queries.metric_values(region, FEBRUARY, ["tickets.returned"], now=NOW) == {"tickets.returned": 1}
    summary = services.do_refresh(now=NOW)
    assert summary["by_source"]["tickets.dispatches"] >= 3  # today, March, and February again
    assert not SnapshotRun.objects.filter(stale=True).exists()
    assert Snapshot.objects.get(tree="region", path="", period_kind="month", period_start=FEBRUARY.start,
                                metric="tickets.returned").value == 1


@pytest.mark.django_db
def test_trends_month_on_month_and_year_on_year(rich):
    services.do_refresh(now=NOW, full=True)
    region = node(rich.county)
    series = queries.trend(region, "tickets.dispatched", 13, now=NOW)
    assert [s["code"] for s in series][:2] == ["2025-03", "2025-04"] and series[-1]["code"] == "2026-03"
    assert [s["value"] for s in series] == [1] + [0] * 10 + [1, 4]
    assert series[-1]["label"] == "2026年3月"
    change = queries.change(region, "tickets.dispatched", MARCH, now=NOW)
    assert change == {"value": 4, "previous": 1, "year_ago": 1, "mom_delta": 3, "mom_ratio": 3.0, "yoy_delta": 3,
                      "yoy_ratio": 3.0}
    rates = queries.change(region, "tickets.acceptance_rate", MARCH, now=NOW)
    assert (rates["value"], rates["previous"], rates["mom_delta"]) == (0.5, 1.0, -0.5)
    assert rates["year_ago"] == 0.0  # March 2025: one pending dispatch, none accepted
    # stock figures: a February snapshot, then one more member in March
    feb_now = local(2026, 2, 20, 12, 0)
    services.do_refresh(now=feb_now)
    do_create_member(actor=None, name="周九", id_number=id_number(birth=dt.date(1980, 5, 5)), org=rich.branch_b,
                     status="full", joined_on=dt.date(2005, 1, 1), full_on=dt.date(2006, 1, 1))
    services.do_refresh(now=NOW)
    root = node(rich.county_org)
    total = queries.change(root, "members.total", MARCH, now=NOW)
    assert (total["value"], total["previous"], total["mom_delta"], total["mom_ratio"]) == (5, 4, 1, 0.25)
    assert total["year_ago"] is None and total["yoy_ratio"] is None  # never snapshotted: unknown, not 0
    assert [s["value"] for s in queries.trend(root, "members.total", 3, now=NOW)] == [None, 4, 5]


@pytest.mark.django_db
def test_children_ranking_and_variables(rich):
    services.do_refresh(now=NOW)
    root = node(rich.county_org)
    ranking = queries.children_ranking(root, MARCH, "members.total", now=NOW)
    assert [(r["rank"], r["code"], r["value"]) for r in ranking] == [(1, "D0101", 3), (2, "D0102", 1)]
    assert ranking[0]["url"] == "/reports/records/?metric=members.total&code=D0101&period=2026-03"
    shares = queries.children_ranking(root, MARCH, "members.female_share", descending=False, now=NOW)
    assert [(r["code"], r["value"], r["numerator"], r["denominator"]) for r in shares] == [
        ("D0101", 0.3333, 1, 3), ("D0102", 1.0, 1, 1)]
    region = node(rich.county)
    tickets = queries.children_ranking(region, MARCH, "tickets.acceptance_rate", now=NOW)
    assert [(r["code"], r["value"]) for r in tickets] == [("369901001", 0.5), ("369901002", None)]
    assert tickets[1]["rank"] is None
    nodes = queries.scope_nodes(rich.users["county_admin"], "369901")
    assert nodes["region"].code == "369901" and nodes["org"].code == "D01"
    variables = queries.variables(nodes, MARCH, now=NOW)
    assert variables["tickets.dispatched"] == 4 and variables["tickets.acceptance_rate"] == 0.5
    assert variables["members.total"] == 4 and variables["orgs.grid_branches"] == 1
    assert set(variables) == set(METRICS)
    assert queries.nested(variables)["tickets"]["acceptance_rate"] == 0.5
    assert queries.format_value("tickets.acceptance_rate", 0.979) == "97.9%"
    assert queries.format_value("members.total", 12034) == "12,034人"
    catalog = queries.variable_catalog(nodes, MARCH, now=NOW)
    assert {v["key"] for v in catalog} == set(METRICS)
    assert next(v for v in catalog if v["key"] == "tickets.dispatched")["label"] == "流转工单"
    # a township administrator's pair of nodes, and nothing outside
    town = queries.scope_nodes(rich.users["township_admin"])
    assert (town["region"].code, town["org"].code) == ("369901001", "D0101")
    with pytest.raises(queries.OutOfScope):
        queries.scope_nodes(rich.users["township_admin"], "369901002")
    with pytest.raises(queries.OutOfScope):
        queries.resolve_node(rich.users["township_admin"], "org", "D0102")
    details = queries.metric_details(region, MARCH, ["tickets.acceptance_rate"], now=NOW)[0]
    assert (details["num_value"], details["den_value"], details["num_label"], details["den_label"]) == (
        2, 4, "受理", "流转工单")
    assert details["url"].startswith("/tickets/dispatches/?scope=369901&from=2026-03-01&to=2026-03-31&metric=")


def list_total(client, url) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    count = response.context["page_obj"].paginator.count
    return getattr(count, "value", count)  # a capped count (list pages at province scale) or a plain number


@pytest.mark.django_db
def test_every_figure_links_to_its_records(client, rich, settings):
    """For the county, both townships and 东风村's branch: each count with a list behind it (member list, org list,
    dispatch list, findings list) shows exactly that many records."""
    client.force_login(rich.users["county_admin"])
    checked = set()
    for obj in (rich.county_org, rich.town_a_org, rich.town_b_org, rich.branch_a, rich.county, rich.town_a,
                rich.town_b):
        n = node(obj)
        for d in queries.metric_details(n, MARCH, now=NOW):
            if d["is_rate"] or not d["url"] or d["unit"] == "小时":
                continue
            if d["key"].startswith("tickets.") and d["key"] in ("tickets.close_count",):
                continue  # linked to every closed dispatch (assisting ones too): a superset by design
            if d["key"].startswith("tickets."):
                # the dispatch list counts with the real clock; the March figures here with NOW
                d["value"] = queries.live_values(n, MARCH, [d["key"]])[d["key"]]
            assert list_total(client, d["url"]) == d["value"], (n.name, d["key"], d["url"])
            checked.add(d["key"])
    assert {"members.minority", "members.occ_farmer", "members.joined_1949_1978", "members.edu_unknown",
            "members.age_35_below", "orgs.total", "orgs.grid_branches", "orgs.grid_groups", "tickets.accepted",
            "checkup.open_error"} <= checked


@pytest.mark.django_db
def test_a_figure_link_redirects_to_its_list_inside_the_scope_only(client, rich):
    """Metric.link (the dashboard's figures, rankings, heat-map cells and grid map) goes through /reports/records/, which redirects
    to the list page the metric names, for a node in the user's scope; anything else is a 404 with a reason."""
    services.do_refresh(now=NOW)
    root = node(rich.county_org)
    link = metric("members.female_share").link(node(rich.town_a_org), MARCH)
    client.force_login(rich.users["township_admin"])
    response = client.get(link)
    assert response.status_code == 302
    assert response["Location"] == metric("members.female").url(node(rich.town_a_org), MARCH)  # a rate: its numerator
    assert list_total(client, response["Location"]) == queries.metric_values(
        node(rich.town_a_org), MARCH, ["members.female"], now=NOW)["members.female"]
    dispatched = client.get(metric("tickets.dispatched").link(node(rich.town_a), MARCH))
    assert dispatched["Location"].startswith("/tickets/dispatches/?scope=369901001&from=2026-03-01&to=2026-03-31")
    for bad in (metric("members.total").link(node(rich.town_b_org), MARCH),  # the other township
                metric("members.total").link(root, MARCH),  # above the township admin's scope
                "/reports/records/?metric=no.such&code=D0101&period=2026-03",
                "/reports/records/?metric=members.total&code=D0101&period=2026-13"):
        response = client.get(bad)
        assert response.status_code == 404, bad
    reason = client.get("/reports/records/?metric=members.total&period=2026-13").content.decode()
    assert 'data-testid="error-reason">统计周期“2026-13”无效' in reason and "返回首页" in reason
    assert metric("orgs.villages").link(node(rich.county), MARCH) is None  # no list behind it


@pytest.mark.django_db
def test_stats_command_and_tick_job(rich):
    out = io.StringIO()
    call_command("stats", "refresh", "--format", "json", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["periods"] == 2 * len(SOURCES) and summary["values"] > 0
    out = io.StringIO()
    call_command("stats", "refresh", "--period", "month", "--format", "json", stdout=out)
    assert json.loads(out.getvalue())["periods"] == len(SOURCES)
    out = io.StringIO()
    call_command("stats", "show", "--scope", "369901", "--period", "2026-03", "--live", "--format", "json",
                 stdout=out)
    shown = json.loads(out.getvalue())
    assert shown["nodes"] == {"region": "369901", "org": "D01"} and shown["values"]["tickets.dispatched"] == 4
    out = io.StringIO()
    call_command("stats", "show", "--scope", "D0101", "--period", "2026-03", stdout=out)
    assert "党员总数（members.total）：—" in out.getvalue()  # a past month never snapshotted: unknown
    out = io.StringIO()
    call_command("stats", "show", "--scope", "D0101", stdout=out)  # this month: live where not yet snapshotted
    assert "党员总数（members.total）：3人" in out.getvalue()
    assert "stats_refresh" in JOBS
    out = io.StringIO()
    call_command("tick", "--only", "stats_refresh", "--now", "2026-03-20T12:00:00+08:00", stdout=out)
    assert json.loads(out.getvalue())["stats_refresh"]["periods"] > 0
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="统计周期"):
        call_command("stats", "show", "--period", "2026-13")
    with pytest.raises(CommandError, match="日期"):
        call_command("stats", "refresh", "--date", "not-a-date")


def test_periods():
    p = Period.parse("2026-03")
    assert (p.kind, p.start, p.end, p.label, p.previous.code, p.year_ago.code) == (
        "month", dt.date(2026, 3, 1), dt.date(2026, 4, 1), "2026年3月", "2026-02", "2025-03")
    assert Period.parse("2026-01").previous.code == "2025-12"
    assert Period.parse("2024-02-29").year_ago.code == "2023-02-28"
    assert Period.parse("2026").end == dt.date(2027, 1, 1)
    with pytest.raises(ValueError, match="统计周期"):
        Period.parse("2026-3-x")


# ---- the 党内统计 tables ---------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_statistical_table_page(client, rich):
    client.force_login(rich.users["county_admin"])
    response = client.get(reverse("report-tables"), {"table": "gender_ethnicity", "year": "2026"})
    assert response.status_code == 200
    built = response.context["built"]
    assert [r["name"] for r in built.rows] == ["中共示范县委员会（合计）", "城关镇党委", "河西镇党委"]
    assert [h["label"] for h in built.headers[0]] == ["单位", "党员总数", "人员类别", "性别", "民族"]
    assert [h["label"] for h in built.headers[1]] == ["正式党员", "预备党员", "男党员", "女党员", "汉族党员",
                                                      "少数民族党员"]
    assert [c["value"] for c in built.rows[0]["cells"]] == [4, 3, 1, 2, 2, 3, 1]
    assert [c["value"] for c in built.rows[1]["cells"]] == [3, 2, 1, 2, 1, 2, 1]
    html = response.content.decode()
    assert 'rowspan="2"' in html and 'colspan="2"' in html and "党内统计" in html
    assert 'href="/members/?org=D0101&amp;minority=true&amp;party=true"' in html
    for t in tables.TABLES:
        assert client.get(reverse("report-tables"), {"table": t.key}).status_code == 200
    assert client.get(reverse("report-tables"), {"table": "nonsense"}).status_code == 404
    past = client.get(reverse("report-tables"), {"year": "2020"})
    assert "2020年没有保存统计快照" in past.content.decode()
    assert all(c["value"] is None for r in past.context["built"].rows for c in r["cells"])
    bad_year = client.get(reverse("report-tables"), {"year": "1900"})
    assert bad_year.status_code == 200 and "统计年度“1900”无效" in bad_year.content.decode()
    orgs = client.get(reverse("report-tables"), {"table": "org_kind", "scope": "D0101"}).context["built"]
    assert [c["value"] for c in orgs.rows[0]["cells"]] == [3, 1, 0, 0, 0, 0, 2, 0, 1]
    assert [r["name"] for r in orgs.rows] == ["城关镇党委（合计）", "东风村党支部", "东风村一网格党支部"]


@pytest.mark.django_db
def test_statistical_tables_export(client, rich):
    from openpyxl import load_workbook

    from dangjian.core.models import AccessLog

    client.force_login(rich.users["county_admin"])
    response = client.get(reverse("report-tables"), {"scope": "D01", "year": "2026", "export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    assert [s.title for s in book.worksheets] == [f"{t.number}{t.title}"[:31] for t in tables.TABLES]
    sheet = book.worksheets[0]
    assert sheet["A1"].value == "表一  党员性别、民族情况"
    assert "统计范围：中共示范县委员会" in sheet["A2"].value and "2026年" in sheet["A2"].value
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A3:A4", "B3:B4", "C3:D3", "E3:F3", "G3:H3"} <= merged
    assert [sheet.cell(3, c).value for c in (1, 2, 3, 5, 7)] == ["单位", "党员总数", "人员类别", "性别", "民族"]
    assert [sheet.cell(4, c).value for c in range(3, 9)] == ["正式党员", "预备党员", "男党员", "女党员", "汉族党员",
                                                             "少数民族党员"]
    assert [sheet.cell(5, c).value for c in range(1, 9)] == ["中共示范县委员会（合计）", 4, 3, 1, 2, 2, 3, 1]
    assert [sheet.cell(6, c).value for c in range(1, 3)] == ["城关镇党委", 3]
    ages = book.worksheets[1]
    assert ages.cell(3, 3).value == "年龄" and ages.cell(4, 3).value == "30岁及以下"
    year = Period("year", dt.date(2026, 1, 1))
    values = queries.metric_values(node(rich.county_org), year, tables.AGE_KEYS)
    assert [ages.cell(5, c).value for c in range(3, 12)] == [values[k] for k in tables.AGE_KEYS]
    occupations = book.worksheets[3]
    assert [occupations.cell(4, c).value for c in range(3, 11)][:2] == ["工人（工勤技能人员）", "农牧渔民"]
    assert occupations.cell(5, 4).value == 1  # 王五, 农民
    kinds = book.worksheets[5]
    assert kinds.cell(3, 2).value == "党组织总数（不含党小组）" and kinds.cell(5, 2).value == 6
    log = AccessLog.objects.filter(action="export", object_type="party_statistics").get()
    assert log.user == rich.users["county_admin"] and log.count == 6 * 3


@pytest.mark.django_db
@pytest.mark.parametrize("role, code, status", [
    ("county_admin", "D0102", 200), ("township_admin", "D0101", 200), ("township_admin", "D0102", 404),
    ("township_admin", "D01", 404), ("branch_secretary", "D010101", 200), ("branch_secretary", "D0101", 404),
    ("grid_worker", "", 200), ("grid_worker", "D0101", 404), ("department_handler", "", 404), ("member", "", 404), ("resident", "", 404),
])  # fmt: skip
def test_statistical_tables_scope(client, rich, role, code, status):
    client.force_login(rich.users[role])
    params = {"scope": code} if code else {}
    assert client.get(reverse("report-tables"), params).status_code == status
    export = client.get(reverse("report-tables"), {**params, "export": "xlsx"})
    may_export = role in ("county_admin", "township_admin", "branch_secretary")
    assert export.status_code == (status if may_export else 404)


@pytest.mark.django_db
def test_township_admin_sees_own_township_by_default(client, rich):
    client.force_login(rich.users["township_admin"])
    built = client.get(reverse("report-tables")).context["built"]
    assert built.node.code == "D0101" and built.rows[0]["cells"][0]["value"] == 3
    client.force_login(rich.users["branch_secretary"])
    built = client.get(reverse("report-tables")).context["built"]
    assert [r["name"] for r in built.rows] == ["东风村党支部（合计）", "东风村一网格党小组"]
    client.force_login(rich.users["grid_worker"])  # the organisations located in the grid
    assert client.get(reverse("report-tables")).context["built"].node.code == "D010102"
    assert response_has_menu(client)


def response_has_menu(client) -> bool:
    html = client.get(reverse("report-tables")).content.decode()
    return "统计分析" in html and 'href="/reports/tables/"' in html


@pytest.mark.django_db
def test_incremental_refresh_follows_ticket_events(rich):
    """A February ticket acted on after the last refresh: the next incremental refresh recomputes February (the
    tickets source reports the days of the dispatches acted on since then)."""
    from dangjian.tickets import services as ticket_services

    services.do_refresh(now=NOW, full=True)
    region = node(rich.county)
    pending = Assignment.objects.get(dispatched_at__gte=local(2025, 3, 1), dispatched_at__lt=local(2025, 4, 1))
    march_2025 = Period("month", dt.date(2025, 3, 1))
    assert queries.metric_values(region, march_2025, ["tickets.accepted"], now=NOW) == {"tickets.accepted": 0}
    later = timezone.now() + dt.timedelta(seconds=1)
    ticket_services.do_accept(actor=rich.world["department_handler"], ticket=pending.ticket, now=later)
    work = services.plan(now=later)
    assert ("tickets.dispatches", march_2025) in {key for key, _ in work}
    assert ("members.ledger", march_2025) not in {key for key, _ in work}  # stock: the present only
    services.do_refresh(now=later)
    assert Snapshot.objects.get(tree="region", path="", period_kind="month", period_start=march_2025.start,
                                metric="tickets.accepted").value == 1


@pytest.mark.django_db
def test_a_year_sums_its_months_and_keeps_stock_at_its_end(rich):
    services.do_refresh(now=NOW, full=True)
    region = node(rich.county)
    year = Period("year", dt.date(2026, 1, 1))
    values = queries.metric_values(region, year, ["tickets.dispatched", "tickets.accepted", "tickets.acceptance_rate"],
                                   now=NOW)
    assert values == {"tickets.dispatched": 5, "tickets.accepted": 3, "tickets.acceptance_rate": 0.6}
    assert values == queries.live_values(region, year, list(values), now=NOW)
    assert queries.metric_values(node(rich.county_org), year, ["members.total"], now=NOW) == {"members.total": 4}
    with pytest.raises(KeyError, match="不在党组织树上"):
        queries.metric_values(node(rich.county_org), year, ["tickets.dispatched"])
    with pytest.raises(KeyError, match="未登记的指标"):
        queries.metric_values(node(rich.county_org), year, ["members.nonsense"])


@pytest.mark.django_db
def test_deep_nodes_beyond_the_stored_depth_are_computed_live(rich, settings):
    """With at most 2 nodes a depth kept (a province keeps no grids or branches), the deeper nodes have no
    snapshot rows and are read live; the kept ones still sum everything below them."""
    settings.DANGJIAN_STATS_MAX_NODES = 2
    assert services.stored_depth("org") == 2 and services.stored_depth("region") == 2
    services.do_refresh(now=NOW)
    assert not Snapshot.objects.filter(depth__gt=2).exists()
    assert set(SnapshotRun.objects.values_list("max_depth", flat=True)) == {2}
    for tree in ("org", "region"):
        for n in all_nodes(tree):
            assert queries.metric_values(n, MARCH, now=NOW) == queries.live_values(n, MARCH, now=NOW), n.name
    assert queries.metric_values(node(rich.county_org), MARCH, ["members.total"], now=NOW) == {"members.total": 4}
    branch = [r["values"]["members.total"] for r in
              queries.children_values(node(rich.town_a_org), MARCH, ["members.total"], now=NOW)]
    assert branch == [2, 0]  # 东风村党支部 (a, c), the grid branch: live, under a stored node


@pytest.mark.django_db
def test_a_refresh_that_loses_a_race_compares_with_the_winner(rich, monkeypatch):
    """Two refreshes storing the same new period: the one whose load collides retries against the stored rows."""
    from django.db import IntegrityError

    real_load, calls = services._load, []

    def colliding(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise IntegrityError("duplicate key value violates unique constraint snapshot_once")
        return real_load(*args, **kwargs)

    monkeypatch.setattr(services, "_load", colliding)
    counts = services.refresh_source(SOURCES["members.ledger"], MARCH, NOW)
    assert counts["inserted"] == counts["values"] > 0 and len(calls) == 2
    assert queries.metric_values(node(rich.county_org), MARCH, ["members.total"], now=NOW) == {"members.total": 4}
    # rows left behind without their run (a run deleted by hand) are replaced, not duplicated
    SnapshotRun.objects.all().delete()
    monkeypatch.setattr(services, "_load", real_load)
    assert services.refresh_source(SOURCES["members.ledger"], MARCH, NOW)["inserted"] == counts["values"]
