"""Every metric of tickets/metrics.py on hand-built scenarios: numerators, denominators, null for an empty
denominator, 4-decimal rounding, the period by dispatch date, scope by region / organisation / department code,
the filters and group_by; and the county's 2196 / 2150 / 46 example built through the HTTP API."""

import datetime as dt
import io
import json
import time

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from dangjian.tickets import queries, services
from dangjian.tickets.errors import Invalid
from dangjian.tickets.metrics import METRICS
from dangjian.tickets.models import Assignment, Ticket
from tests.tickets_helpers import GRID, build_world, local, report

NOW = local(2026, 3, 20, 12, 0)
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
COUNTS = ("dispatched", "accepted", "returned", "closed", "on_time", "extended", "overdue_open", "rated",
          "dissatisfied", "resolved", "reopened", "whistled", "responded")


@pytest.fixture
def w(county):
    return build_world(county)


def metrics(user, *, now=NOW, period=MARCH, **filters):
    qs = queries.scoped_assignments(user, date_from=period[0], date_to=period[1], **filters)
    return queries.ticket_metrics(qs, now=now)


def pick(figures, *keys):
    return {k: figures[k] for k in keys}


# ---- the scenario ---------------------------------------------------------------------------------------------
@pytest.fixture
def scenario(w):
    """Five tickets in March 2026 (see each block); returns the assignments by name."""
    town, county, handler, water = w["township_admin"], w["county_admin"], w["department_handler"], w["water_handler"]
    s = {}

    # t1: lead to the station, closed on time and rated satisfied; an assist to BM002 accepted, never resolved
    t1 = report(w, now=local(2026, 3, 2, 8, 0), source="grid_worker")
    services.do_register(actor=town, ticket=t1, now=local(2026, 3, 2, 8, 30))
    s["A1"] = services.do_dispatch(actor=town, ticket=t1, department="BM001-01", now=local(2026, 3, 2, 9, 0))
    s["A2"] = services.do_dispatch(actor=county, ticket=t1, department="BM002", role="assist",
                                   now=local(2026, 3, 2, 9, 10))
    services.do_accept(actor=handler, ticket=t1, assignment=s["A1"].pk, now=local(2026, 3, 2, 10, 0))
    services.do_accept(actor=water, ticket=t1, now=local(2026, 3, 2, 10, 30))
    services.do_resolve(actor=handler, ticket=t1, assignment=s["A1"].pk, result="已清运", now=local(2026, 3, 3, 15))
    services.do_verify(actor=town, ticket=t1, passed=True, now=local(2026, 3, 3, 16, 30))  # 32 h after registration
    services.do_rate(actor=w["grid_worker"], ticket=t1, satisfaction="satisfied", now=local(2026, 3, 4, 9))

    # t2 (hotline): returned by the station, dispatched again to BM001, resolved late, reworked once, closed,
    # rated dissatisfied
    t2 = report(w, now=local(2026, 3, 2, 8, 0), source="hotline")
    services.do_register(actor=town, ticket=t2, now=local(2026, 3, 2, 8, 30))
    s["A3"] = services.do_dispatch(actor=town, ticket=t2, department="BM001-01", now=local(2026, 3, 2, 9, 0))
    services.do_return(actor=w["station_handler"], ticket=t2, reason="需县住建局办理", now=local(2026, 3, 2, 11, 0))
    s["A4"] = services.do_dispatch(actor=county, ticket=t2, department="BM001", now=local(2026, 3, 3, 9, 0))
    assert s["A4"].deadline == local(2026, 3, 5, 23, 59, 59)
    services.do_accept(actor=handler, ticket=t2, now=local(2026, 3, 3, 10, 0))
    services.do_resolve(actor=handler, ticket=t2, result="已处理", now=local(2026, 3, 6, 10, 0))
    services.do_verify(actor=town, ticket=t2, passed=False, note="未处理完", now=local(2026, 3, 6, 11, 0))
    services.do_resolve(actor=handler, ticket=t2, result="已处理完", now=local(2026, 3, 6, 15, 0))
    services.do_verify(actor=town, ticket=t2, passed=True, now=local(2026, 3, 6, 16, 30))  # 104 h
    services.do_rate(actor=w["grid_worker"], ticket=t2, satisfaction="dissatisfied", now=local(2026, 3, 7, 9))

    # t3 (a resident's report): accepted, 2 days' extension granted, still open and overdue on the 20th;
    # two departments whistled, one responded
    t3 = report(w, now=local(2026, 3, 5, 8, 0), actor=w["resident"], source="resident")
    services.do_register(actor=town, ticket=t3, now=local(2026, 3, 5, 8, 30))
    s["A5"] = services.do_dispatch(actor=town, ticket=t3, department="BM001-01", now=local(2026, 3, 5, 9, 0))
    services.do_accept(actor=handler, ticket=t3, now=local(2026, 3, 5, 10, 0))
    services.do_extend(actor=handler, ticket=t3, days=2, reason="需协调", now=local(2026, 3, 5, 11, 0))
    services.do_approve_extension(actor=town, ticket=t3, now=local(2026, 3, 6, 8, 0))
    s["W1"], s["W2"] = services.do_whistle(actor=town, ticket=t3, departments=["BM001", "BM002"], reason="多部门到场",
                                           now=local(2026, 3, 6, 9, 0))
    services.do_respond(actor=handler, ticket=t3, note="已到场", now=local(2026, 3, 6, 12, 0))

    # t4: dispatched on the 19th, still pending, not yet due on the 20th
    t4 = report(w, now=local(2026, 3, 19, 8, 0), source="grid_worker")
    services.do_register(actor=town, ticket=t4, now=local(2026, 3, 19, 8, 30))
    s["A6"] = services.do_dispatch(actor=town, ticket=t4, department="BM001-01", now=local(2026, 3, 19, 9, 0))

    # t5 (河西镇, an inspector's find): dispatched by the county to BM002, closed on time, rated basically satisfied
    t5 = report(w, now=local(2026, 3, 10, 8, 0), actor=w["hexi_admin"], grid="369901002001001", source="inspector")
    services.do_register(actor=county, ticket=t5, now=local(2026, 3, 10, 8, 30))
    s["A7"] = services.do_dispatch(actor=county, ticket=t5, department="BM002", now=local(2026, 3, 10, 9, 0))
    services.do_accept(actor=water, ticket=t5, now=local(2026, 3, 10, 10, 0))
    services.do_resolve(actor=water, ticket=t5, result="已修复", now=local(2026, 3, 11, 10, 0))
    services.do_verify(actor=county, ticket=t5, passed=True, now=local(2026, 3, 11, 12, 0))  # 27.5 h
    services.do_rate(actor=county, ticket=t5, satisfaction="basically_satisfied", now=local(2026, 3, 12, 9))

    for a in s.values():
        a.refresh_from_db()
    return s


def test_the_scenario_is_what_the_figures_are_computed_from(scenario):
    s = scenario
    assert {k: a.status for k, a in s.items()} == {
        "A1": "closed", "A2": "closed", "A3": "returned", "A4": "closed", "A5": "accepted", "A6": "pending",
        "A7": "closed", "W1": "responded", "W2": "pending"}
    assert [s[k].on_time for k in ("A1", "A2", "A4", "A7")] == [True, False, False, True]
    assert [s[k].hours_to_close for k in ("A1", "A4", "A7")] == [32.0, 104.0, 27.5]
    assert s["A5"].deadline == local(2026, 3, 11, 23, 59, 59)


def test_county_figures(w, scenario):
    m = metrics(w["county_admin"], scope="369901")
    assert pick(m, *COUNTS) == {
        "dispatched": 7, "accepted": 5, "returned": 1, "closed": 4, "on_time": 2, "extended": 1, "overdue_open": 1,
        "rated": 3, "dissatisfied": 1, "resolved": 4, "reopened": 1, "whistled": 2, "responded": 1}
    assert m[METRICS["satisfaction_rate"].numerator] == 2  # rated − dissatisfied
    assert pick(m, "acceptance_rate", "return_rate", "closure_rate", "on_time_rate", "extension_rate",
                "satisfaction_rate", "rework_rate", "response_rate") == {
        "acceptance_rate": 0.7143, "return_rate": 0.1429, "closure_rate": 0.5714, "on_time_rate": 0.5,
        "extension_rate": 0.1429, "satisfaction_rate": 0.6667, "rework_rate": 0.25, "response_rate": 0.5}
    assert m["avg_hours_to_close"] == 54.5  # the leads: (32 + 104 + 27.5) / 3


def test_every_rate_is_its_numerator_over_its_denominator(w, scenario):
    m = metrics(w["county_admin"], scope="369901")
    for metric in METRICS.values():
        assert metric.key in m, metric.key
        if metric.is_rate:
            num, den = m[metric.numerator], m[metric.denominator]
            assert m[metric.key] == (round(num / den, 4) if den else None), metric.key


def test_township_and_its_party_committee_see_the_same(w, scenario):
    expected = {"dispatched": 6, "accepted": 4, "returned": 1, "closed": 3, "on_time": 1, "extended": 1,
                "overdue_open": 1, "rated": 2, "dissatisfied": 1, "resolved": 3, "reopened": 1, "whistled": 2,
                "responded": 1}
    for user, code in ((w["township_admin"], "369901001"), (w["county_admin"], "369901001"),
                       (w["county_admin"], "D0101"), (w["township_admin"], "D0101"), (w["township_admin"], None)):
        m = metrics(user, scope=code)
        assert pick(m, *COUNTS) == expected, (user, code)
        assert (m["satisfaction_rate"], m["rework_rate"], m["avg_hours_to_close"]) == (0.5, 0.3333, 68.0)
        assert (m["acceptance_rate"], m["closure_rate"], m["on_time_rate"]) == (0.6667, 0.5, 0.3333)
    # 河西镇 alone: the one ticket there
    m = metrics(w["county_admin"], scope="369901002")
    assert pick(m, "dispatched", "closed", "on_time", "rated", "whistled") == {
        "dispatched": 1, "closed": 1, "on_time": 1, "rated": 1, "whistled": 0}
    assert (m["closure_rate"], m["response_rate"], m["avg_hours_to_close"]) == (1.0, None, 27.5)


def test_scope_by_department_code(w, scenario):
    bm001 = metrics(w["county_admin"], scope="BM001")  # the county bureau and its station
    assert pick(bm001, *COUNTS) == {
        "dispatched": 5, "accepted": 3, "returned": 1, "closed": 2, "on_time": 1, "extended": 1, "overdue_open": 1,
        "rated": 2, "dissatisfied": 1, "resolved": 3, "reopened": 1, "whistled": 1, "responded": 1}
    assert bm001["response_rate"] == 1.0 and bm001["avg_hours_to_close"] == 68.0
    # the department handler's own view is the same tree
    assert pick(metrics(w["department_handler"]), *COUNTS) == pick(bm001, *COUNTS)
    assert pick(metrics(w["department_handler"], scope="BM001"), *COUNTS) == pick(bm001, *COUNTS)
    station = metrics(w["county_admin"], scope="BM001-01")
    assert pick(station, *COUNTS) == {
        "dispatched": 4, "accepted": 2, "returned": 1, "closed": 1, "on_time": 1, "extended": 1, "overdue_open": 1,
        "rated": 1, "dissatisfied": 0, "resolved": 1, "reopened": 0, "whistled": 0, "responded": 0}
    assert (station["satisfaction_rate"], station["rework_rate"], station["response_rate"]) == (1.0, 0.0, None)
    assert (station["acceptance_rate"], station["return_rate"]) == (0.5, 0.25)
    water = metrics(w["county_admin"], scope="BM002")
    assert pick(water, *COUNTS) == {
        "dispatched": 2, "accepted": 2, "returned": 0, "closed": 2, "on_time": 1, "extended": 0, "overdue_open": 0,
        "rated": 1, "dissatisfied": 0, "resolved": 1, "reopened": 0, "whistled": 1, "responded": 0}
    assert (water["response_rate"], water["return_rate"], water["avg_hours_to_close"]) == (0.0, 0.0, 27.5)
    # a department outside the user's view is not a scope
    with pytest.raises(Invalid, match="找不到代码为“BM002”"):
        metrics(w["township_admin"], scope="BM002")


def test_overdue_open_depends_on_now(w, scenario):
    county = w["county_admin"]
    assert metrics(county, now=local(2026, 3, 11, 23, 59, 59))["overdue_open"] == 0  # A5 is due at that moment
    assert metrics(county, now=local(2026, 3, 12, 0, 0))["overdue_open"] == 1
    assert metrics(county, now=local(2026, 3, 24, 0, 0))["overdue_open"] == 2  # A6 (due on the 23rd) too
    # whistles past due are not counted; W2 is pending since the 6th
    assert Assignment.objects.get(pk=scenario["W2"].pk).deadline < local(2026, 3, 24)


def test_the_period_is_by_dispatch_date(w, scenario):
    county = w["county_admin"]
    m = metrics(county, period=(dt.date(2026, 3, 5), dt.date(2026, 3, 10)))
    assert pick(m, "dispatched", "accepted", "closed", "whistled", "responded", "extended") == {
        "dispatched": 2, "accepted": 2, "closed": 1, "whistled": 2, "responded": 1, "extended": 1}  # A5, A7
    # the re-dispatch of t2 on the 3rd is in a period that excludes its first dispatch on the 2nd
    m = metrics(county, period=(dt.date(2026, 3, 3), dt.date(2026, 3, 3)))
    assert pick(m, "dispatched", "returned", "closed", "reopened") == {
        "dispatched": 1, "returned": 0, "closed": 1, "reopened": 1}
    m = metrics(county, period=(dt.date(2026, 3, 2), dt.date(2026, 3, 2)))
    assert pick(m, "dispatched", "returned", "accepted") == {"dispatched": 3, "returned": 1, "accepted": 2}
    # open ends
    assert metrics(county, period=(dt.date(2026, 3, 11), None))["dispatched"] == 1
    assert metrics(county, period=(None, dt.date(2026, 3, 2)))["dispatched"] == 3
    assert metrics(county, period=(None, None))["dispatched"] == 7
    # an empty period: every count 0, every rate null, no division error
    empty = metrics(county, period=(dt.date(2026, 4, 1), dt.date(2026, 4, 30)))
    assert all(empty[k] == 0 for k in COUNTS)
    assert all(empty[m.key] is None for m in METRICS.values() if m.is_rate)
    assert empty["avg_hours_to_close"] is None


def test_period_bounds_are_local_days(w):
    """A dispatch at 23:59:59 on 31 March (15:59:59 UTC) is in March; one at 00:00 on 1 April is in April."""
    town = w["township_admin"]
    for moment in (local(2026, 2, 28, 23, 59, 59), local(2026, 3, 1, 0, 0), local(2026, 3, 31, 23, 59, 59),
                   local(2026, 4, 1, 0, 0)):
        t = report(w, now=moment - dt.timedelta(hours=1))
        services.do_register(actor=town, ticket=t, now=moment - dt.timedelta(minutes=30))
        services.do_dispatch(actor=town, ticket=t, department="BM001-01", now=moment)
    assert metrics(town, period=MARCH)["dispatched"] == 2
    assert metrics(town, period=(dt.date(2026, 2, 28), dt.date(2026, 2, 28)))["dispatched"] == 1
    assert metrics(town, period=(dt.date(2026, 4, 1), dt.date(2026, 4, 1)))["dispatched"] == 1
    assert metrics(town, period=(dt.date(2026, 3, 31), dt.date(2026, 4, 1)))["dispatched"] == 2


def test_filters(w, scenario):
    county = w["county_admin"]
    assert metrics(county, scope="369901", department="BM001-01")["dispatched"] == 4
    assert metrics(county, scope="369901", department="BM001")["dispatched"] == 5
    assert metrics(county, scope="369901", grid="369901002001001")["dispatched"] == 1
    assert metrics(county, scope="369901", grid=GRID)["dispatched"] == 6
    assert metrics(county, scope="369901", category="01")["dispatched"] == 7  # a 大类 takes its 小类
    assert metrics(county, scope="369901", category="0102")["dispatched"] == 7
    nothing = metrics(county, scope="369901", category="0503")
    assert nothing["dispatched"] == 0 and nothing["acceptance_rate"] is None
    hotline = metrics(county, scope="369901", source="hotline")
    assert pick(hotline, "dispatched", "returned", "accepted", "closed", "reopened", "rated", "dissatisfied") == {
        "dispatched": 2, "returned": 1, "accepted": 1, "closed": 1, "reopened": 1, "rated": 1, "dissatisfied": 1}
    assert (hotline["acceptance_rate"], hotline["satisfaction_rate"], hotline["rework_rate"]) == (0.5, 0.0, 0.5)


def test_group_by(w, scenario):
    county = w["county_admin"]
    qs = queries.scoped_assignments(county, scope="369901", date_from=MARCH[0], date_to=MARCH[1])
    by_department = {row["code"]: row for row in queries.ticket_metrics_by(qs, "department", now=NOW)}
    assert list(by_department) == ["BM001", "BM001-01", "BM002"]
    assert by_department["BM001"]["name"] == "县住房和城乡建设局"
    assert pick(by_department["BM001"], "dispatched", "accepted", "closed", "whistled", "responded", "rated",
                "dissatisfied") == {"dispatched": 1, "accepted": 1, "closed": 1, "whistled": 1, "responded": 1,
                                    "rated": 1, "dissatisfied": 1}
    assert by_department["BM001"]["satisfaction_rate"] == 0.0 and by_department["BM001"]["on_time_rate"] == 0.0
    assert pick(by_department["BM001-01"], "dispatched", "returned", "acceptance_rate") == {
        "dispatched": 4, "returned": 1, "acceptance_rate": 0.5}
    assert sum(row["dispatched"] for row in by_department.values()) == 7
    by_source = queries.ticket_metrics_by(qs, "source", now=NOW)
    assert [(r["code"], r["name"], r["dispatched"]) for r in by_source] == [
        ("grid_worker", "网格员上报", 3), ("hotline", "12345热线", 2), ("inspector", "巡查发现", 1),
        ("resident", "群众上报", 1)]
    resident = by_source[-1]
    assert (resident["whistled"], resident["responded"], resident["overdue_open"]) == (2, 1, 1)
    by_grid = queries.ticket_metrics_by(qs, "grid", now=NOW)
    assert [(r["code"], r["name"], r["dispatched"], r["closed"]) for r in by_grid] == [
        (GRID, "东风村一网格", 6, 3), ("369901002001001", "柳林村一网格", 1, 1)]
    by_category = queries.ticket_metrics_by(qs, "category", now=NOW)
    assert [(r["code"], r["name"], r["dispatched"]) for r in by_category] == [("01", "市容环境", 7)]
    whole = metrics(county, scope="369901")
    assert pick(by_category[0], *COUNTS) == pick(whole, *COUNTS)
    by_child = queries.ticket_metrics_by(qs, f"child:{w.county.county.path}", now=NOW)
    assert [(r["code"], r["name"], r["dispatched"], r["acceptance_rate"]) for r in by_child] == [
        ("369901001", "城关镇", 6, 0.6667), ("369901002", "河西镇", 1, 1.0)]
    # a child region without dispatches is listed with zeros and null rates
    empty = queries.ticket_metrics_by(qs.filter(region_path__startswith=w.county.town_a.path),
                                      f"child:{w.county.county.path}", now=NOW)
    assert empty[1]["code"] == "369901002" and empty[1]["dispatched"] == 0 and empty[1]["acceptance_rate"] is None


def test_the_metrics_endpoint(w, scenario):
    c = Client()
    c.force_login(w["county_admin"])
    body = c.get("/api/v1/tickets/metrics/?scope=369901&from=2026-03-01&to=2026-03-31&group_by=department").json()
    expected_overdue = sum(1 for k in ("A5", "A6") if scenario[k].deadline < timezone.now())
    assert pick(body, "dispatched", "accepted", "returned", "closed", "on_time", "rated", "resolved", "reopened") == {
        "dispatched": 7, "accepted": 5, "returned": 1, "closed": 4, "on_time": 2, "rated": 3, "resolved": 4,
        "reopened": 1}
    assert body["overdue_open"] == expected_overdue
    assert (body["acceptance_rate"], body["closure_rate"], body["satisfaction_rate"]) == (0.7143, 0.5714, 0.6667)
    assert [g["code"] for g in body["groups"]] == ["BM001", "BM001-01", "BM002"]
    body = c.get("/api/v1/tickets/metrics/?scope=D0101&from=2026-03-02&to=2026-03-02&source=hotline").json()
    assert pick(body, "dispatched", "returned", "acceptance_rate", "return_rate") == {
        "dispatched": 1, "returned": 1, "acceptance_rate": 0.0, "return_rate": 1.0}
    body = c.get("/api/v1/tickets/metrics/?scope=369901&from=2026-03-01&to=2026-03-31&grid=369901002001001"
                 "&category=01&department=BM002").json()
    assert (body["dispatched"], body["on_time_rate"], body["avg_hours_to_close"]) == (1, 1.0, 27.5)
    # the dates are lenient like every date field of the product
    assert c.get("/api/v1/tickets/metrics/?scope=369901&from=2026年3月1日&to=20260331").json()["dispatched"] == 7


def _cli(*args):
    out = io.StringIO()
    call_command("tickets", "metrics", *args, stdout=out)
    return out.getvalue()


def test_the_metrics_command(w, scenario):
    body = json.loads(_cli("--scope", "369901", "--from", "2026-03-01", "--to", "2026-03-31", "--format", "json",
                           "--group-by", "source"))
    c = Client()
    c.force_login(w["county_admin"])
    api = c.get("/api/v1/tickets/metrics/?scope=369901&from=2026-03-01&to=2026-03-31&group_by=source").json()
    api.pop("definitions")
    assert body == api
    assert (body["acceptance_rate"], body["dispatched"], body["accepted"]) == (0.7143, 7, 5)
    assert [g["code"] for g in body["groups"]] == ["grid_worker", "hotline", "inspector", "resident"]
    text = _cli("--scope", "369901", "--from", "2026-03-01", "--to", "2026-03-31")
    assert "受理率：71.4%（5 / 7）" in text and "满意率：66.7%（2 / 3）" in text and "报到率：50.0%（1 / 2）" in text
    assert "流转工单：7件" in text and "平均结案用时：54.5小时" in text
    empty = _cli("--scope", "369901", "--from", "2026-04-01", "--to", "2026-04-30")
    assert "受理率：—（分母为 0）（0 / 0）" in empty and "平均结案用时：—小时" in empty
    # as a user: that user's view
    town = json.loads(_cli("--as", "township_admin", "--from", "2026-03-01", "--to", "2026-03-31", "--format",
                           "json"))
    assert town["dispatched"] == 6
    with pytest.raises(CommandError, match="找不到代码为“369901002”"):
        _cli("--as", "township_admin", "--scope", "369901002")
    with pytest.raises(CommandError, match="日期不存在：2026-02-30"):
        _cli("--scope", "369901", "--from", "2026-02-30")
    with pytest.raises(CommandError, match="无法识别的日期"):
        _cli("--scope", "369901", "--to", "月底")
    with pytest.raises(CommandError, match="不存在或已停用"):
        _cli("--as", "nobody")


def test_rounding_to_four_decimals(w):
    """1 of 3 accepted: 0.3333; 2 of 3: 0.6667 (half up at the 5th decimal); exact fractions stay short."""
    town, handler = w["township_admin"], w["department_handler"]
    assignments = []
    for n in range(3):
        t = report(w, now=local(2026, 3, 2, 8, n))
        services.do_register(actor=town, ticket=t, now=local(2026, 3, 2, 8, 30))
        assignments.append(services.do_dispatch(actor=town, ticket=t, department="BM001-01",
                                                now=local(2026, 3, 2, 9, n)))
    services.do_accept(actor=handler, ticket=assignments[0].ticket, now=local(2026, 3, 2, 10))
    m = metrics(town)
    assert (m["accepted"], m["dispatched"], m["acceptance_rate"]) == (1, 3, 0.3333)
    services.do_accept(actor=handler, ticket=assignments[1].ticket, now=local(2026, 3, 2, 10))
    assert metrics(town)["acceptance_rate"] == 0.6667
    assert metrics(town)["closure_rate"] == 0.0 and metrics(town)["on_time_rate"] is None
    assert queries._rate(2150, 2196) == 0.9791 and queries._rate(1, 7) == 0.1429 and queries._rate(0, 0) is None


# ---- the county's example, through the HTTP API ------------------------------------------------------------------
def _lifecycles(w, closed: int, returned: int):
    """`closed` tickets reported, registered, dispatched, accepted, resolved and verified over HTTP; `returned` of
    them returned once by the station before the station is dispatched again. Each role uses one logged-in
    client and the smallest payloads the API accepts."""
    clients = {}
    for role in ("grid_worker", "township_admin", "department_handler"):
        clients[role] = Client()
        clients[role].force_login(w[role])
    reporter, command, handler = clients["grid_worker"], clients["township_admin"], clients["department_handler"]

    def post(client, path, payload, status=200):
        r = client.post(path, payload, content_type="application/json")
        assert r.status_code == status, (path, r.status_code, r.content.decode())
        return r.json()

    report_payload = {"title": "垃圾", "description": "垃圾", "category": "0102", "grid": GRID}
    dispatch = {"department": "BM001-01"}
    for n in range(closed):
        tid = post(reporter, "/api/v1/tickets/", report_payload, 201)["id"]
        base = f"/api/v1/tickets/{tid}/"
        post(command, base + "register/", {})
        post(command, base + "dispatch/", dispatch)
        if n < returned:
            post(handler, base + "return/", {"reason": "不属于本站职责"})
            post(command, base + "dispatch/", dispatch)
        post(handler, base + "accept/", {})
        post(handler, base + "resolve/", {"result": "已清运"})
        assert post(command, base + "verify/", {"passed": True})["status"] == "closed"


@pytest.mark.slow  # about 13,000 requests: several minutes; deselect with -m "not slow" while iterating
def test_the_2196_2150_46_example_through_the_api(w):
    start = time.monotonic()
    first_day = timezone.localdate()
    _lifecycles(w, closed=2150, returned=46)
    last_day = timezone.localdate()
    built = time.monotonic() - start
    c = Client()
    c.force_login(w["county_admin"])
    r = c.get(f"/api/v1/tickets/metrics/?scope=369901&from={first_day}&to={last_day}")
    assert r.status_code == 200
    body = r.json()
    assert pick(body, "dispatched", "accepted", "returned", "closed") == {
        "dispatched": 2196, "accepted": 2150, "returned": 46, "closed": 2150}
    assert body["acceptance_rate"] == 0.9791 and body["closure_rate"] == 0.9791
    assert body["return_rate"] == 0.0209
    assert body["definitions"]["acceptance_rate"]["denominator"] == "dispatched"
    assert Ticket.objects.filter(status="closed").count() == 2150
    cli = json.loads(_cli("--scope", "369901", "--from", str(first_day), "--to", str(last_day), "--format", "json"))
    assert pick(cli, "dispatched", "accepted", "returned", "closed", "acceptance_rate", "closure_rate") == {
        "dispatched": 2196, "accepted": 2150, "returned": 46, "closed": 2150, "acceptance_rate": 0.9791,
        "closure_rate": 0.9791}
    assert "受理率：97.9%（2150 / 2196）" in _cli("--scope", "369901", "--from", str(first_day), "--to", str(last_day))
    print(f"\n2196/2150/46 built over HTTP in {built:.1f} s ({2150 * 6 + 46 * 2} requests)")
