"""Storing a run's findings (engine.run, set-based: a temporary table loaded with COPY on PostgreSQL or executemany
on SQLite, one INSERT … ON CONFLICT and one UPDATE): the counts and every status transition, on both databases."""

import contextlib
import datetime as dt

import pytest
from django.db import connection

from dangjian.checkup import engine, services
from dangjian.checkup.models import Finding
from dangjian.checkup.registry import RULES, Citation, Rule, Violation, register_rule
from dangjian.orgs.models import PartyOrg

DAY = dt.date(2026, 11, 20)
CITATION = Citation("《测试规则》", "第二条", "2026", "2026-01-01")


def day(n: int) -> dt.date:
    return DAY + dt.timedelta(days=n)


@pytest.fixture
def rules():
    """Two test rules flagging the organisations listed in `active[rule]` ({code: (message, due, severity)}),
    each violation as often as `repeat` says (a rule that yields one twice counts it once)."""
    active = {"test.store.a": {}, "test.store.b": {}}
    repeat = {"n": 1}

    def make(rule_id):
        def evaluate(path, as_of, params):
            for org in PartyOrg.objects.filter(path__startswith=path, code__in=active[rule_id]).order_by("path"):
                message, due, severity = active[rule_id][org.code]
                for _ in range(repeat["n"]):
                    yield Violation("org", org.pk, org.code, org.path, message, due=due, severity=severity)

        return Rule(rule_id, "测试存储", CITATION, "warning", "org", evaluate)

    for rule_id in active:
        register_rule(make(rule_id))
    yield active, repeat
    for rule_id in active:
        RULES.pop(rule_id, None)


def run(as_of, rules=("test.store.a", "test.store.b"), path=""):
    return engine.run(path, as_of, rules=list(rules))


def get(code, rule="test.store.a"):
    return Finding.objects.get(rule=rule, subject_code=code)


@contextlib.contextmanager
def written():
    """The number of finding rows inserted or updated inside the block (PostgreSQL: rows whose xmin moved;
    SQLite: counted by temporary triggers), so a test can tell an unchanged row that was left alone."""
    out = {"rows": 0}
    with connection.cursor() as c:
        if connection.vendor == "postgresql":
            c.execute("SELECT id, xmin::text FROM checkup_finding")
            before = dict(c.fetchall())
            yield out
            c.execute("SELECT id, xmin::text FROM checkup_finding")
            out["rows"] = sum(1 for pk, x in c.fetchall() if before.get(pk) != x)
        else:
            c.execute("CREATE TEMP TABLE finding_writes (n integer)")
            for event in ("INSERT", "UPDATE"):
                c.execute(f"CREATE TEMP TRIGGER finding_{event.lower()} AFTER {event} ON checkup_finding "
                          "BEGIN INSERT INTO finding_writes VALUES (1); END")
            yield out
            c.execute("SELECT COUNT(*) FROM finding_writes")
            out["rows"] = c.fetchone()[0]
            c.execute("DROP TRIGGER finding_insert")
            c.execute("DROP TRIGGER finding_update")
            c.execute("DROP TABLE finding_writes")


def test_new_findings_open_with_the_violation_and_the_rule(county, rules):
    active, repeat = rules
    active["test.store.a"].update({"D010101": ("东风村问题", day(10), None), "D010201": ("柳林村问题", None, "error")})
    active["test.store.b"]["D010101"] = ("另一规则", None, None)
    repeat["n"] = 2  # each violation yielded twice: stored once
    with written() as w:
        assert run(DAY) == {"opened": 3, "open": 0, "resolved": 0}
    assert w["rows"] == 3
    f = get("D010101")
    assert (f.status, f.first_seen, f.last_seen, f.resolved_on) == ("open", DAY, DAY, None)
    assert (f.subject, f.subject_id, f.key, f.org_path) == ("org", county.branch_a.pk, "", county.branch_a.path)
    assert (f.message, f.due, f.severity, f.citation) == ("东风村问题", day(10), "warning", str(CITATION))
    assert get("D010201").severity == "error" and get("D010201").due is None  # the violation's own severity
    assert get("D010101", "test.store.b").message == "另一规则"


def test_a_finding_seen_again_moves_only_what_changed(county, rules):
    active, _ = rules
    active["test.store.a"].update({"D010101": ("问题", day(10), None), "D010201": ("问题", None, None)})
    run(DAY)
    with written() as w:  # the same day, nothing new: no row is written
        assert run(DAY) == {"opened": 0, "open": 2, "resolved": 0}
    assert w["rows"] == 0
    with written() as w:  # the next day: only last_seen moves
        assert run(day(1)) == {"opened": 0, "open": 2, "resolved": 0}
    assert w["rows"] == 2
    f = get("D010101")
    assert (f.status, f.first_seen, f.last_seen) == ("open", DAY, day(1))
    active["test.store.a"]["D010101"] = ("问题变了", None, "error")  # message, due and severity change
    with written() as w:
        assert run(day(1)) == {"opened": 0, "open": 2, "resolved": 0}
    assert w["rows"] == 1
    f = get("D010101")
    assert (f.message, f.due, f.severity, f.first_seen, f.status) == ("问题变了", None, "error", DAY, "open")
    active["test.store.a"]["D010101"] = ("问题变了", day(3), "error")  # a due date where there was none
    run(day(1))
    assert get("D010101").due == day(3)


def test_resolved_then_found_again_opens_with_first_seen_reset(county, rules):
    active, _ = rules
    active["test.store.a"].update({"D010101": ("问题", None, None), "D010201": ("问题", None, None)})
    run(DAY)
    del active["test.store.a"]["D010101"]
    assert run(day(1)) == {"opened": 0, "open": 1, "resolved": 1}
    f = get("D010101")
    assert (f.status, f.resolved_on, f.last_seen) == ("resolved", day(1), DAY)
    with written() as w:  # still gone: a resolved finding is not written again
        assert run(day(2)) == {"opened": 0, "open": 1, "resolved": 0}
    assert w["rows"] == 1  # only branch B's last_seen
    active["test.store.a"]["D010101"] = ("问题又出现", None, None)
    assert run(day(3)) == {"opened": 0, "open": 2, "resolved": 0}  # found again: counted with the open ones
    f = get("D010101")
    assert (f.status, f.resolved_on, f.first_seen, f.last_seen, f.message) == ("open", None, day(3), day(3),
                                                                                "问题又出现")
    assert Finding.objects.filter(rule="test.store.a", subject_code="D010101").count() == 1


def test_waived_stays_waived_while_found_resolves_when_gone_and_opens_cleared_when_back(county, rules):
    active, _ = rules
    secretary = county.users["branch_secretary"]
    active["test.store.a"]["D010101"] = ("问题", None, None)
    run(DAY)
    services.do_waive_finding(actor=secretary, finding=get("D010101"), reason="正在合并")
    active["test.store.a"]["D010101"] = ("问题措辞变了", None, None)
    assert run(day(1)) == {"opened": 0, "open": 1, "resolved": 0}
    f = get("D010101")
    assert (f.status, f.waived_by, f.waived_reason, f.last_seen, f.message) == ("waived", secretary, "正在合并",
                                                                                 day(1), "问题措辞变了")
    waived_at = f.waived_at
    assert waived_at is not None and f.first_seen == DAY
    active["test.store.a"].clear()
    assert run(day(2)) == {"opened": 0, "open": 0, "resolved": 1}
    f = get("D010101")
    assert (f.status, f.resolved_on, f.waived_reason) == ("resolved", day(2), "正在合并")  # the record of the waiver
    active["test.store.a"]["D010101"] = ("问题", None, None)
    assert run(day(3)) == {"opened": 0, "open": 1, "resolved": 0}
    f = get("D010101")
    assert (f.status, f.waived_by, f.waived_reason, f.waived_at, f.resolved_on, f.first_seen) == (
        "open", None, "", None, None, day(3))


def test_a_run_resolves_only_inside_its_subtree_and_rules(county, rules):
    active, _ = rules
    for rule_id in active:
        active[rule_id].update({"D010101": ("问题", None, None), "D010201": ("问题", None, None)})
    run(DAY)
    for rule_id in active:
        active[rule_id].clear()
    # town A's subtree, rule a only: branch B and rule b are not touched
    assert run(day(1), rules=["test.store.a"], path=county.town_a_org.path) == {"opened": 0, "open": 0,
                                                                               "resolved": 1}
    assert get("D010101").status == "resolved"
    assert get("D010201").status == "open" and get("D010201").last_seen == DAY
    assert get("D010101", "test.store.b").status == "open"
    assert run(day(1)) == {"opened": 0, "open": 0, "resolved": 3}
    assert not Finding.objects.filter(status="open").exists()


def test_a_member_finding_moves_with_the_member(county, rules):
    """A finding stored under one subtree and found by a run of another (the subject moved) is the same finding:
    brought up to date, not stored twice."""
    active, _ = rules
    active["test.store.a"]["D010101"] = ("问题", None, None)
    run(DAY)
    Finding.objects.filter(rule="test.store.a").update(org_path=county.town_b_org.path + "9999")  # stored elsewhere
    assert run(day(1), rules=["test.store.a"], path=county.town_a_org.path) == {"opened": 0, "open": 1,
                                                                               "resolved": 0}
    f = get("D010101")
    assert (f.org_path, f.last_seen) == (county.branch_a.path, day(1))


def test_large_runs_are_loaded_in_chunks(county, rules, monkeypatch):
    monkeypatch.setattr(engine, "CHUNK", 2)
    org_rule = Rule("test.store.many", "测试分批", CITATION, "notice", "org", lambda path, as_of, params: (
        Violation("org", i, f"X{i}", county.branch_a.path, f"问题{i}") for i in range(7)))
    register_rule(org_rule)
    try:
        assert engine.run("", DAY, rules=["test.store.many"]) == {"opened": 7, "open": 0, "resolved": 0}
        assert engine.run("", day(1), rules=["test.store.many"]) == {"opened": 0, "open": 7, "resolved": 0}
        assert Finding.objects.filter(rule="test.store.many", last_seen=day(1)).count() == 7
    finally:
        RULES.pop("test.store.many", None)


def test_given_violations_are_stored_and_must_come_rule_by_rule(county, rules):
    active, _ = rules
    active["test.store.a"]["D010101"] = ("问题", None, None)
    active["test.store.b"]["D010201"] = ("问题", None, None)
    found = engine.evaluate("", DAY, rules=["test.store.a", "test.store.b"])
    assert [r for r, _ in found] == ["test.store.a", "test.store.b"]
    assert engine.run("", DAY, rules=["test.store.a", "test.store.b"], found=found)["opened"] == 2
    mixed = [found[0], found[1], found[0]]
    with pytest.raises(ValueError, match="one rule after another"):
        engine.run("", DAY, rules=["test.store.a", "test.store.b"], found=mixed)
    assert Finding.objects.count() == 2  # the refused run changed nothing


def test_a_subtree_switched_off_resolves_there(county, rules):
    active, _ = rules
    active["test.store.a"].update({"D010101": ("问题", None, None), "D010201": ("问题", None, None)})
    run(DAY)
    services.do_save_rule_setting(actor=county.users["county_admin"], rule_id="test.store.a", org=county.town_a_org,
                                  data={}, enabled=False)
    assert run(day(1)) == {"opened": 0, "open": 1, "resolved": 1}
    assert (get("D010101").status, get("D010201").status) == ("resolved", "open")
