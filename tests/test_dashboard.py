"""The home dashboard and the 大屏 data (reports.dashboard): figures against hand counts of the factory county,
环比/同比 against queries.change, the lists behind every figure showing the same counts, the ranking and its xlsx
export, the heat-map and the grid map, scope (404 outside it, a plain home for roles without a ledger scope), and
a query count that does not grow with the scope."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.checkup.models import Finding
from dangjian.orgs.models import PartyOrg
from dangjian.places.models import Region
from dangjian.reports import dashboard, queries, services
from dangjian.reports.registry import Period, metric
from tests.browser_helpers import read_xlsx, table_after_header
from tests.tickets_helpers import build, build_world, local

NOW = local(2026, 3, 20, 12, 0)
MARCH = Period("month", dt.date(2026, 3, 1))
TOTAL = re.compile(r'data-testid="total">([\d,]+)<')
# a square around 东风村一网格 (GeoJSON, lon/lat)
SQUARE = {"type": "Polygon", "coordinates": [[[116.0, 39.0], [116.01, 39.0], [116.01, 39.01], [116.0, 39.01],
                                              [116.0, 39.0]]]}  # fmt: skip


@pytest.fixture
def dash(county):
    return populate(county)


def populate(county):
    """The factory county (张三: full, male, 本科, branch A; 李四: full, female, 大专, branch B; 5 organisations,
    two villages each with a branch) plus tickets in 东风村一网格 — March 2026: closed, processing, returned and
    pending; February 2026: closed; March 2025: pending — and two open findings and one resolved."""
    c = county
    c.world = build_world(c)
    for state, day in (("closed", local(2026, 3, 2, 9)), ("processing", local(2026, 3, 3, 9)),
                       ("returned", local(2026, 3, 4, 9)), ("dispatched", local(2026, 3, 5, 9)),
                       ("closed", local(2026, 2, 10, 9)), ("dispatched", local(2025, 3, 10, 9))):
        build(c.world, state, now=day)
    Finding.objects.all().delete()
    for org, rule, severity, status in ((c.branch_a, "org.term.expired", "error", "open"),
                                        (c.branch_b, "org.branch.too_few_full_members", "warning", "open"),
                                        (c.branch_a, "org.committee.missing", "error", "resolved")):
        Finding.objects.create(rule=rule, subject="org", subject_id=org.pk, subject_code=org.code, org_path=org.path,
                               severity=severity, message="问题", citation="依据", first_seen=dt.date(2026, 3, 1),
                               last_seen=dt.date(2026, 3, 1), status=status)
    services.do_refresh(now=NOW, full=True)
    return c


def region(obj) -> queries.Node:
    return queries.node_for(Region.objects.get(pk=obj.pk))


def org(obj) -> queries.Node:
    return queries.node_for(PartyOrg.objects.get(pk=obj.pk))


def by_key(figures) -> dict:
    return {f["key"]: f for f in figures}


def values(figures) -> dict:
    return {f["key"]: f["value"] for f in figures}


def test_figures_equal_hand_counts(dash):
    admin = dash.users["county_admin"]
    data = dashboard.dashboard_data(admin, region(dash.county), MARCH, now=NOW)
    assert data["scope"]["region"]["code"] == "369901" and data["scope"]["org"]["code"] == "D01"
    cards = by_key(data["cards"])
    assert {k: c["value"] for k, c in cards.items()} == {
        "members.total": 2, "orgs.total": 5, "orgs.coverage": 1.0, "tickets.dispatched": 4,
        "tickets.acceptance_rate": 0.5, "tickets.closure_rate": 0.25, "tickets.overdue_open": 2, "checkup.open": 2}
    # rates carry their numerator and denominator
    acceptance = cards["tickets.acceptance_rate"]
    assert (acceptance["numerator"], acceptance["denominator"], acceptance["display"]) == (2, 4, "50.0%")
    assert (acceptance["num_label"], acceptance["den_label"]) == ("受理", "流转工单")
    assert (cards["orgs.coverage"]["numerator"], cards["orgs.coverage"]["denominator"]) == (2, 2)
    members = data["members"]
    status = values(members["status"])
    assert status["members.full"] == 2 and status["members.probationary"] == 0
    assert values(members["gender"]) == {"members.male": 1, "members.female": 1}
    age = values(members["age"])
    assert age["members.age_41_45"] == 2 and sum(age.values()) == 2  # both born in 1985
    pyramid = {row["band"]: (row["male"]["value"], row["female"]["value"]) for row in members["pyramid"]}
    assert pyramid["41至45岁"] == (1, 1) and sum(m + f for m, f in pyramid.values()) == 2
    assert list(pyramid)[0] == "30岁及以下"  # youngest band first
    education = values(members["education"])
    assert education["members.edu_bachelor"] == 1 and education["members.edu_college"] == 1
    assert sum(education.values()) == 2
    kinds = values(data["orgs"]["kinds"])
    assert kinds["orgs.committee"] == 3 and kinds["orgs.branch"] == 2 and sum(kinds.values()) == 5
    coverage = by_key(data["orgs"]["coverage"])
    assert coverage["orgs.village_coverage"]["value"] == 1.0 and coverage["orgs.community_coverage"]["value"] is None
    funnel = values(data["tickets"]["funnel"])
    assert funnel == {"tickets.dispatched": 4, "tickets.accepted": 2, "tickets.resolved": 1, "tickets.closed": 1,
                      "tickets.on_time": 1}
    rates = by_key(data["tickets"]["rates"])
    assert (rates["tickets.return_rate"]["numerator"], rates["tickets.return_rate"]["denominator"]) == (1, 4)
    assert rates["tickets.satisfaction_rate"]["value"] is None  # no visit rated: denominator 0
    assert data["tickets"]["overdue"]["value"] == 2
    trend = {r["code"]: r for r in data["tickets"]["trend"]}
    assert len(trend) == 12 and trend["2026-03"]["tickets.dispatched"] == 4
    assert trend["2026-02"]["tickets.dispatched"] == 1 and trend["2026-02"]["tickets.closed"] == 1
    checkup = data["checkup"]
    assert checkup["open"]["value"] == 2
    assert values(checkup["severity"]) == {"checkup.open_error": 1, "checkup.open_warning": 1,
                                           "checkup.open_notice": 0}
    assert [(r["key"], r["value"]) for r in checkup["rules"]] == [
        ("checkup.rule_org_branch_too_few_full_members", 1), ("checkup.rule_org_term_expired", 1)]


def test_month_on_month_and_year_on_year_as_change_computes_them(dash):
    admin = dash.users["county_admin"]
    nodes = {"region": region(dash.county), "org": org(dash.county_org)}
    data = dashboard.dashboard_data(admin, nodes, MARCH, now=NOW)
    dispatched = by_key(data["cards"])["tickets.dispatched"]
    assert (dispatched["previous"], dispatched["year_ago"]) == (1, 1)
    assert (dispatched["mom_delta"], dispatched["mom_ratio"], dispatched["mom_dir"]) == (3, 3.0, "up")
    for card in data["cards"]:
        expected = queries.change(nodes[metric(card["key"]).tree], card["key"], MARCH, now=NOW)
        got = {k: card[k] for k in expected}
        assert got == expected, card["key"]


def test_ranking_and_heat_map(dash):
    admin = dash.users["county_admin"]
    data = dashboard.dashboard_data(admin, region(dash.county), MARCH, now=NOW)
    ranking = data["ranking"]
    assert ranking["metric"] == "tickets.acceptance_rate" and ranking["parent"]["code"] == "369901"
    rows = {r["name"]: r for r in ranking["rows"]}
    assert (rows["城关镇"]["rank"], rows["城关镇"]["value"], rows["城关镇"]["numerator"],
            rows["城关镇"]["denominator"]) == (1, 0.5, 2, 4)
    assert rows["河西镇"]["value"] is None and rows["河西镇"]["rank"] is None  # no dispatch: the rate is unknown
    by_members = dashboard.dashboard_data(admin, region(dash.county), MARCH, rank="members.total", now=NOW)["ranking"]
    assert [(r["name"], r["value"]) for r in by_members["rows"]] == [("城关镇党委", 1), ("河西镇党委", 1)]
    assert by_members["tree"] == "org" and by_members["rows"][0]["rank"] == by_members["rows"][1]["rank"] == 1
    heat = data["map"]
    assert heat["metric"] == "tickets.dispatched"
    assert [(r["name"], r["value"], [(c["name"], c["value"]) for c in r["cells"]]) for r in heat["rows"]] == [
        ("城关镇", 4, [("东风村", 4)]), ("河西镇", 0, [("柳林村", 0)])]
    assert heat["rows"][0]["level"] == 4 and heat["rows"][1]["level"] == 0
    with pytest.raises(KeyError):
        dashboard.dashboard_data(admin, region(dash.county), MARCH, rank="no.such_metric", now=NOW)


def _listed(client, url) -> int:
    response = client.get(url, follow=True)  # a figure's link redirects to its list
    assert response.status_code == 200, url
    found = TOTAL.search(response.content.decode())
    assert found, f"no total on {url}"
    return int(found.group(1).replace(",", ""))


def test_every_figure_links_to_a_list_with_the_same_count(dash, client, monkeypatch):
    """The tickets' lists read the period from the URL; the members', organisations' and findings' lists show the
    present state, which is what a snapshot of the current month holds."""
    admin = dash.users["county_admin"]
    client.force_login(admin)
    data = dashboard.dashboard_data(admin, region(dash.county), MARCH, now=NOW)
    figures = (data["cards"] + data["members"]["status"] + data["members"]["gender"] + data["members"]["age"]
               + data["members"]["education"] + data["orgs"]["kinds"] + data["tickets"]["funnel"]
               + data["tickets"]["rates"] + data["checkup"]["severity"] + data["checkup"]["rules"])
    checked = 0
    for f in figures:
        if f["url"] is None:
            continue
        expected = f["numerator"] if f["is_rate"] else f["value"]
        if f["key"] == "tickets.overdue_open":
            continue  # overdue is judged at the time the list is opened, not on 20 March
        assert _listed(client, f["url"]) == expected, (f["key"], f["url"])
        checked += 1
    assert checked >= 30
    for row in data["ranking"]["rows"] + [c for r in data["map"]["rows"] for c in r["cells"]]:
        key = data["ranking"]["metric"] if row in data["ranking"]["rows"] else data["map"]["metric"]
        expected = row.get("numerator", row["value"]) if key.endswith("_rate") else row["value"]
        assert _listed(client, row["url"]) == (expected or 0), row["url"]


def test_query_count_is_small_and_the_same_for_small_and_large_scopes(dash, django_assert_max_num_queries):
    admin = dash.users["county_admin"]
    dashboard.dashboard_data(admin, region(dash.county), MARCH, now=NOW)  # warm the user's scope and the registry
    counts = {}
    for name, node in (("county", region(dash.county)), ("township", region(dash.town_a)),
                       ("village", region(dash.village_a)), ("organisation", org(dash.town_a_org))):
        with django_assert_max_num_queries(14), CaptureQueriesContext(connection) as queries_run:
            dashboard.dashboard_data(admin, node, MARCH, now=NOW)
        counts[name] = len(queries_run)
    assert counts["county"] == counts["township"] == counts["village"] == counts["organisation"], counts
    # the system (user None, as the benchmark and the CLI call it) sees everything
    assert dashboard.dashboard_data(None, region(dash.county), MARCH, now=NOW)["cards"][0]["value"] == 2


def test_scope(dash, client):
    town_admin = dash.users["township_admin"]
    data = dashboard.dashboard_data(town_admin, region(dash.town_a), MARCH, now=NOW)
    assert data["scope"]["org"]["code"] == "D0101"
    for outside in (region(dash.town_b), org(dash.town_b_org), region(dash.county)):
        with pytest.raises(queries.OutOfScope):
            dashboard.dashboard_data(town_admin, outside, MARCH, now=NOW)
    client.force_login(town_admin)
    assert client.get(reverse("home"), {"scope": "369901002"}).status_code == 404
    assert client.get(reverse("dashboard-data"), {"scope": "D0102"}).status_code == 404
    assert client.get(reverse("bigscreen"), {"scope": "369901"}).status_code == 404
    assert client.get(reverse("dashboard-ranking-export"), {"scope": "369901002"}).status_code == 404
    own = client.get(reverse("dashboard-data"), {"scope": "369901001", "month": "2026-03"})
    assert own.status_code == 200 and own.json()["scope"]["name"] == "城关镇"
    # the default scope is the user's top node
    assert client.get(reverse("dashboard-data")).json()["scope"]["code"] == "369901001"


@pytest.mark.parametrize("role", ["department_handler", "member", "resident"])
def test_roles_without_a_ledger_scope_get_their_work_links(dash, client, role):
    client.force_login(dash.users[role])
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="home-shortcuts"' in page and "dj-dashboard-data" not in page
    expected = {"department_handler": "待办工单", "member": "随手拍上报", "resident": "随手拍上报"}[role]
    assert expected in page
    assert client.get(reverse("dashboard-data")).status_code == 404
    assert client.get(reverse("dashboard-map")).status_code == 404
    assert "没有区划或党组织管辖范围" in client.get(reverse("bigscreen")).content.decode()


def test_pages_render_with_the_filter_bar(dash, client):
    client.force_login(dash.users["county_admin"])
    home = client.get(reverse("home"), {"month": "2026-03"}).content.decode()
    for part in ('data-testid="home-stats"', 'data-testid="dashboard-filter"', 'id="dj-dashboard-data"',
                 'value="2026-03"', "城关镇", "ranking-export"):
        assert part in home, part
    bad = client.get(reverse("dashboard"), {"month": "2026-13"}).content.decode()
    assert "统计月份“2026-13”无效" in bad
    future = client.get(reverse("dashboard-data"), {"month": "2999-01"}).json()
    assert "无效" in future["warning"]
    big = client.get(reverse("bigscreen"), {"refresh": "1"})
    assert big.status_code == 200 and big.context["refresh"] == 2  # at least 2 seconds
    grid_worker = client
    grid_worker.force_login(dash.users["grid_worker"])
    data = grid_worker.get(reverse("dashboard-data")).json()
    assert data["scope"]["region"]["code"] == "369901001001001" and data["members"] is None


def test_ranking_export(dash, client):
    client.force_login(dash.users["county_admin"])
    response = client.get(reverse("dashboard-ranking-export"),
                          {"scope": "369901", "month": "2026-03", "rank": "tickets.acceptance_rate"})
    assert response.status_code == 200
    header, rows = table_after_header(read_xlsx(response.content), "排名")
    assert header == ["排名", "名称", "代码", "受理率", "受理", "流转工单"]
    assert rows[0] == {"排名": 1, "名称": "城关镇", "代码": "369901001", "受理率": "50.0%", "受理": 2, "流转工单": 4}
    assert rows[1]["名称"] == "河西镇" and rows[1]["受理率"] == ""
    counts = client.get(reverse("dashboard-ranking-export"), {"scope": "369901", "month": "2026-03",
                                                              "rank": "members.total"})
    header, rows = table_after_header(read_xlsx(counts.content), "排名")
    assert header == ["排名", "名称", "代码", "党员总数（人）"] and [r["党员总数（人）"] for r in rows] == [1, 1]
    assert client.get(reverse("dashboard-ranking-export"), {"rank": "no.such"}).status_code == 404
    client.force_login(dash.users["grid_worker"])  # may view, may not export
    assert client.get(reverse("dashboard-ranking-export")).status_code == 404
    # a branch secretary sees the village's tickets but exports only the organisation's figures
    client.force_login(dash.users["branch_secretary"])
    assert client.get(reverse("dashboard-ranking-export")).status_code == 404
    assert client.get(reverse("dashboard-ranking-export"), {"rank": "members.total"}).status_code == 200


def test_grid_map_with_boundaries(dash, client):
    admin = dash.users["county_admin"]
    node = region(dash.county)
    assert dashboard.has_grid_boundaries(node) is False
    Region.objects.filter(pk=dash.grid_a.pk).update(boundary=SQUARE)
    assert dashboard.has_grid_boundaries(node) is True
    found = dashboard.grid_map(admin, node, MARCH, now=NOW)
    assert found["metric"] == "tickets.dispatched" and len(found["features"]) == 1
    feature = found["features"][0]
    assert feature["geometry"] == SQUARE
    assert (feature["properties"]["name"], feature["properties"]["value"], feature["properties"]["level"]) == (
        "东风村一网格", 4, 4)
    client.force_login(admin)
    assert _listed(client, feature["properties"]["url"]) == 4
    rates = dashboard.grid_map(admin, node, MARCH, "tickets.acceptance_rate", now=NOW)
    assert rates["features"][0]["properties"]["value"] == 0.5
    assert 'data-testid="map"' in client.get(reverse("home")).content.decode()
    assert client.get(reverse("dashboard-map"), {"scope": "369901"}).json()["features"][0]["properties"]["code"] \
        == "369901001001001"
    with pytest.raises(queries.OutOfScope):
        dashboard.grid_map(dash.users["township_admin"], region(dash.town_b), MARCH, now=NOW)


def test_without_snapshots_the_figures_are_computed_live(dash):
    """Before the first refresh of a month the current month is computed live (same figures)."""
    from dangjian.reports.models import Snapshot, SnapshotRun

    admin = dash.users["county_admin"]
    stored = dashboard.dashboard_data(admin, region(dash.county), MARCH, now=NOW)
    Snapshot.objects.all().delete()
    SnapshotRun.objects.all().delete()
    live = dashboard.dashboard_data(admin, region(dash.county), MARCH, now=NOW)
    assert live["cards"] == stored["cards"] and live["members"] == stored["members"]
    assert live["ranking"] == stored["ranking"] and live["map"] == stored["map"]
