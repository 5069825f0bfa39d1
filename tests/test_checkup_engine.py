"""The checkup engine beyond single runs: county settings merged per subtree, waivers that last while the
violation lasts, incremental re-checks when a transaction commits, the overflow queue and the daily tick."""

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from dangjian.branchlife.models import Meeting
from dangjian.branchlife.services import do_record_meeting
from dangjian.checkup import engine, services, watch
from dangjian.checkup import params as rule_params
from dangjian.checkup.jobs import run_checkup
from dangjian.checkup.models import DailyRun, Finding, QueuedSubtree, RuleSetting
from dangjian.checkup.registry import RULES, Citation, Rule, Violation, register_rule
from dangjian.orgs.models import PartyOrg

AS_OF = dt.date(2026, 11, 20)
FEW = "org.branch.too_few_full_members"
TEST_CITATION = Citation("《测试规则》", "第一条", "2026", "2026-01-01")


def codes(found, rule=FEW):
    return sorted(v.subject_code for r, v in found if r == rule)


@pytest.fixture
def test_rule():
    """Register a rule for the test only (and remove it afterwards); returns a function that registers it."""
    added = []

    def add(rule):
        added.append(register_rule(rule))
        return rule

    yield add
    for rule in added:
        RULES.pop(rule.id, None)


# ---- settings per subtree -------------------------------------------------------------------------------------
def test_a_subtree_with_its_own_setting_is_checked_with_it_and_the_rest_with_the_defaults(county):
    assert codes(engine.evaluate("", AS_OF)) == ["D010101", "D010201"]  # one full member each
    admin = county.users["county_admin"]
    services.do_save_rule_setting(actor=admin, rule_id=FEW, org=county.town_b_org, data={"minimum": "1"})
    setting = RuleSetting.objects.get(rule=FEW, org=county.town_b_org)
    assert setting.params == {"minimum": 1} and setting.updated_by == admin
    found = engine.evaluate("", AS_OF)
    assert codes(found) == ["D010101"]  # town B allows one full member; town A keeps the default 3
    assert codes(engine.evaluate(county.branch_b.path, AS_OF)) == []  # a run below the setting uses it too
    assert codes(engine.evaluate(county.town_a_org.path, AS_OF)) == ["D010101"]
    # a county-wide setting, and town B's own one still wins inside town B: nothing is counted twice
    services.do_save_rule_setting(actor=admin, rule_id=FEW, org=county.county_org, data={"minimum": "2"})
    assert codes(engine.evaluate("", AS_OF)) == ["D010101"]
    services.do_save_rule_setting(actor=admin, rule_id=FEW, org=county.town_b_org, data={"minimum": "5"})
    found = engine.evaluate("", AS_OF)
    assert codes(found) == ["D010101", "D010201"]
    assert "少于 5 名" in next(v.message for r, v in found if r == FEW and v.subject_code == "D010201")
    assert "少于 2 名" in next(v.message for r, v in found if r == FEW and v.subject_code == "D010101")
    # switched off for town A: none there, town B unaffected
    services.do_save_rule_setting(actor=admin, rule_id=FEW, org=county.town_a_org, data={"minimum": "2"},
                                  enabled=False)
    assert codes(engine.evaluate("", AS_OF)) == ["D010201"]
    # back to what town A inherits: its own setting is dropped
    assert services.do_reset_rule_setting(actor=admin, rule_id=FEW, org=county.town_a_org)
    assert codes(engine.evaluate("", AS_OF)) == ["D010101", "D010201"]
    assert LogEntry.objects.get_for_model(RuleSetting).filter(action=LogEntry.Action.DELETE).count() == 1
    assert LogEntry.objects.get_for_model(RuleSetting).filter(actor=admin).count() >= 4


def test_settings_keep_their_types_and_bad_values_are_refused_in_chinese(county, test_rule):
    seen = {}

    def evaluate(path, as_of, params):
        seen[path] = params
        return []

    test_rule(Rule("test.typed", "测试参数类型", TEST_CITATION, "notice", "org", evaluate,
                   {"hours": {"member": 32, "secretary": 56}, "ratio": Decimal("0.5"), "strict": False},
                   {"hours.member": "党员学时"}))
    admin = county.users["county_admin"]
    good = {"hours.member": "40", "hours.secretary": "56", "ratio": "0.75", "strict": "on"}
    services.do_save_rule_setting(actor=admin, rule_id="test.typed", org=county.county_org, data=good)
    assert RuleSetting.objects.get(rule="test.typed").params == {"hours": {"member": 40}, "ratio": "0.75",
                                                                  "strict": True}
    engine.evaluate("", AS_OF, rules=["test.typed"])
    assert seen[""] == {"hours": {"member": 32, "secretary": 56}, "ratio": Decimal("0.5"), "strict": False}
    seen = seen[county.county_org.path]  # the county's subtree is checked with its setting
    assert seen == {"hours": {"member": 40, "secretary": 56}, "ratio": Decimal("0.75"), "strict": True}
    assert isinstance(seen["hours"]["member"], int) and isinstance(seen["ratio"], Decimal)
    for data, message in ((dict(good, **{"hours.member": "4.5"}), "“党员学时”应为整数"),
                          (dict(good, **{"hours.member": ""}), "请填写“党员学时”"),
                          (dict(good, ratio="abc"), "“ratio”应为数值"),
                          (dict(good, ratio="-1"), "“ratio”不能为负数")):
        with pytest.raises(services.CheckupError, match=message):
            services.do_save_rule_setting(actor=admin, rule_id="test.typed", org=county.county_org, data=data)
    assert RuleSetting.objects.get(rule="test.typed").params["hours"] == {"member": 40}  # unchanged
    with pytest.raises(services.CheckupError, match="不能修改"):
        services.do_save_rule_setting(actor=county.users["township_admin"], rule_id="test.typed",
                                      org=county.town_a_org, data=good)
    # a stored value the rule can no longer read falls back to the default
    assert rule_params.merge({"n": 3}, {"n": "x", "gone": 1}) == {"n": 3}


# ---- waivers ----------------------------------------------------------------------------------------------------
@pytest.fixture
def flagged(test_rule):
    """A test rule that flags the branches whose codes are in the returned set."""
    active: set[str] = set()

    def evaluate(path, as_of, params):
        for org in PartyOrg.objects.filter(path__startswith=path, code__in=active):
            yield Violation("org", org.pk, org.code, org.path, f"{org.name}测试问题", due=AS_OF)

    test_rule(Rule("test.flag", "测试问题", TEST_CITATION, "warning", "org", evaluate))
    return active


def test_a_waived_finding_stays_waived_while_it_lasts_and_opens_again_when_it_recurs(county, flagged):
    secretary = county.users["branch_secretary"]
    flagged.update({"D010101", "D010201"})
    engine.run("", AS_OF, rules=["test.flag"])
    finding = Finding.objects.get(rule="test.flag", subject_code="D010101")
    with pytest.raises(services.CheckupError, match="请填写豁免理由"):
        services.do_waive_finding(actor=secretary, finding=finding, reason="  ")
    with pytest.raises(services.CheckupError, match="本组织以外"):
        services.do_waive_finding(actor=county.users["township_admin"],
                                  finding=Finding.objects.get(subject_code="D010201"), reason="村党支部正在合并")
    flagged.discard("D010201")
    services.do_waive_finding(actor=secretary, finding=finding, reason="村党支部正在合并")
    finding.refresh_from_db()
    assert (finding.status, finding.waived_by, finding.waived_reason) == ("waived", secretary, "村党支部正在合并")
    assert finding.waived_at is not None
    assert LogEntry.objects.get_for_object(finding).filter(actor=secretary).exists()
    with pytest.raises(services.CheckupError, match="只有待整改的问题可以豁免"):
        services.do_waive_finding(actor=secretary, finding=finding, reason="再次")
    assert engine.run("", AS_OF + dt.timedelta(days=1), rules=["test.flag"]) == {"opened": 0, "open": 1,
                                                                                 "resolved": 1}  # branch B's
    finding.refresh_from_db()
    assert finding.status == "waived"  # still violated: still waived
    flagged.clear()
    engine.run("", AS_OF + dt.timedelta(days=2), rules=["test.flag"])
    finding.refresh_from_db()
    assert (finding.status, finding.resolved_on) == ("resolved", AS_OF + dt.timedelta(days=2))
    flagged.add("D010101")
    engine.run("", AS_OF + dt.timedelta(days=3), rules=["test.flag"])
    finding.refresh_from_db()
    assert (finding.status, finding.waived_by, finding.waived_reason, finding.resolved_on) == ("open", None, "", None)
    assert finding.first_seen == AS_OF + dt.timedelta(days=3)
    # reopening by hand
    services.do_waive_finding(actor=secretary, finding=finding, reason="暂缓")
    services.do_reopen_finding(actor=secretary, finding=finding)
    finding.refresh_from_db()
    assert finding.status == "open" and finding.waived_by is None
    with pytest.raises(services.CheckupError, match="只有已豁免的问题可以撤销豁免"):
        services.do_reopen_finding(actor=secretary, finding=finding)


def test_a_run_takes_the_same_statements_whatever_it_finds(county, flagged):
    """Set-based storing: the statements of a run do not grow with the findings (test_checkup_store checks that
    nothing is written when nothing changed)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    flagged.add("D010101")
    engine.run("", AS_OF, rules=["test.flag"])
    with CaptureQueriesContext(connection) as one:
        assert engine.run("", AS_OF, rules=["test.flag"])["opened"] == 0
    flagged.add("D010201")
    with CaptureQueriesContext(connection) as two:
        assert engine.run("", AS_OF, rules=["test.flag"])["opened"] == 1
    assert len(one) == len(two) <= 16


# ---- incremental ------------------------------------------------------------------------------------------------
@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    """Capture the on-commit callbacks of the test's writes. The test database never commits, so earlier writes
    (of the fixtures, or of the test before the block) left a batch waiting for a commit that never comes: each
    capture starts with none."""
    from django.db import connection

    def capture(**kwargs):
        connection.checkup_batch = None
        return django_capture_on_commit_callbacks(**kwargs)

    return capture


@pytest.fixture
def theme_day_rule(test_rule):
    """A branch without a 主题党日 in the month of the check (test-only; the real rule is branchlife's)."""

    def evaluate(path, as_of, params):
        first = as_of.replace(day=1)
        held = Meeting.objects.filter(kind="theme_day", held_on__gte=first, held_on__lte=as_of,
                                      org_path__startswith=path).values_list("org_id", flat=True)
        for org in PartyOrg.objects.filter(path__startswith=path, kind__in=PartyOrg.BRANCH_KINDS).exclude(pk__in=held):
            yield Violation("org", org.pk, org.code, org.path, f"{org.name}本月尚未开展主题党日")

    return test_rule(Rule("test.theme_day", "本月未开展主题党日", TEST_CITATION, "warning", "org", evaluate))


def test_recording_a_theme_day_resolves_the_finding_when_the_transaction_commits(
        county, theme_day_rule, commits):
    today = timezone.localdate()
    engine.run("", today)
    finding = Finding.objects.get(rule="test.theme_day", subject_code="D010101")
    other = Finding.objects.get(rule="test.theme_day", subject_code="D010201")
    with commits(execute=False) as callbacks:
        do_record_meeting(actor=county.users["branch_secretary"], org=county.branch_a, kind="theme_day",
                          held_on=today, topic="重温入党誓词", attendance={county.members["a"].pk: "present"})
    finding.refresh_from_db()
    assert finding.status == "open"  # nothing happens before the commit
    assert len(callbacks) == 1  # one re-check for the whole transaction
    for callback in callbacks:
        callback()
    finding.refresh_from_db()
    other.refresh_from_db()
    assert (finding.status, finding.resolved_on) == ("resolved", today)
    assert other.status == "open"  # branch B was not re-checked (and is still in violation)
    assert not QueuedSubtree.objects.exists()


def test_new_members_resolve_the_branch_size_finding_on_commit(county, commits):
    from dangjian.members.services import do_create_member
    from tests.factories import id_number

    engine.run("", timezone.localdate())
    finding = Finding.objects.get(rule=FEW, subject_code="D010101")
    with commits(execute=True) as callbacks:
        for i in range(2):
            do_create_member(actor=None, name=f"新党员{i}", id_number=id_number(), org=county.branch_a, status="full",
                             joined_on=dt.date(2015, 7, 1), full_on=dt.date(2016, 7, 1))
    assert callbacks  # the members app's watch collected branch A
    finding.refresh_from_db()
    assert finding.status == "resolved"
    assert Finding.objects.get(rule=FEW, subject_code="D010201").status == "open"


def test_a_member_moved_to_another_branch_rechecks_both(county, commits):
    from dangjian.members.services import do_create_member, do_update_member
    from tests.factories import id_number

    added = [do_create_member(actor=None, name=f"新党员{i}", id_number=id_number(), org=county.branch_b,
                              status="full", joined_on=dt.date(2015, 7, 1), full_on=dt.date(2016, 7, 1))
             for i in range(2)]
    engine.run("", timezone.localdate())
    assert not Finding.objects.filter(rule=FEW, subject_code="D010201").exists()  # three full members
    with commits(execute=True):
        do_update_member(actor=None, member=added[0], org=county.branch_a)
    # branch B (where the member was) is re-checked too, not only branch A (where the member is now)
    assert Finding.objects.get(rule=FEW, subject_code="D010201").status == "open"
    assert "只有正式党员 2 名" in Finding.objects.get(rule=FEW, subject_code="D010101").message


def test_a_rolled_back_transaction_checks_nothing(county, theme_day_rule, commits):
    engine.run("", timezone.localdate())
    with commits(execute=True) as callbacks:
        try:
            with transaction.atomic():
                do_record_meeting(actor=None, org=county.branch_a, kind="theme_day", held_on=timezone.localdate(),
                                  topic="学习", attendance={})
                raise RuntimeError("abandon")
        except RuntimeError:
            pass
        # the next transaction starts a batch of its own
        with transaction.atomic():
            watch.touch([county.branch_b.path])
    assert len(callbacks) == 1
    assert Finding.objects.get(rule="test.theme_day", subject_code="D010101").status == "open"


def test_more_subtrees_than_the_limit_are_queued_and_tick_runs_them_once(county, flagged, monkeypatch, commits):
    monkeypatch.setattr(watch, "MAX_SUBTREES", 1)
    flagged.add("D010101")
    with commits(execute=True):
        with transaction.atomic():
            watch.touch([county.branch_a.path])
            watch.touch([county.branch_b.path, county.branch_a.path + "0001"])  # the last one lies under branch a
    assert sorted(QueuedSubtree.objects.values_list("path", flat=True)) == [county.branch_a.path,
                                                                             county.branch_b.path]
    assert not Finding.objects.filter(rule="test.flag").exists()
    now = timezone.make_aware(dt.datetime(2026, 11, 20, 9, 0))
    DailyRun.objects.create(day=dt.date(2026, 11, 20))  # today's full run is done already: only the queue runs
    summary = run_checkup(now)
    assert (summary["full_run"], summary["subtrees"]) == (0, 2) and summary["opened"] >= 1
    assert not QueuedSubtree.objects.exists()
    assert Finding.objects.get(rule="test.flag").status == "open"
    assert run_checkup(now) == {"full_run": 0, "subtrees": 0, "opened": 0, "resolved": 0}


def test_tick_runs_the_full_check_once_a_day(county, flagged):
    flagged.add("D010201")
    QueuedSubtree.objects.create(path=county.branch_a.path)

    def tick(moment):
        out = io.StringIO()
        call_command("tick", "--only", "checkup", "--now", moment, stdout=out)
        return json.loads(out.getvalue())["checkup"]

    first = tick("2026-11-20T08:00:00+08:00")
    assert first["full_run"] == 1 and first["opened"] >= 1
    assert not QueuedSubtree.objects.exists()  # the full run covered the queue
    run = DailyRun.objects.get(day=dt.date(2026, 11, 20))
    assert run.finished_at is not None and run.counts["opened"] == first["opened"]
    assert Finding.objects.get(rule="test.flag").last_seen == dt.date(2026, 11, 20)
    assert tick("2026-11-20T18:00:00+08:00") == {"full_run": 0, "subtrees": 0, "opened": 0, "resolved": 0}
    flagged.clear()
    second_day = tick("2026-11-21T08:00:00+08:00")
    assert second_day["full_run"] == 1 and second_day["resolved"] >= 1
    assert Finding.objects.get(rule="test.flag").status == "resolved"


def test_the_command_takes_a_region_code_for_the_organisations_located_in_it(county):
    from django.core.management.base import CommandError

    out = io.StringIO()
    call_command("checkup", "--scope", "369901002", "--as-of", "2026-11-20", "--rule", FEW, "--format", "json",
                 stdout=out)
    findings = json.loads(out.getvalue())["findings"]
    assert [(f["rule"], f["subject"], f["severity"], f["due"]) for f in findings] == [(FEW, "D010201", "warning", None)]
    assert set(findings[0]) == {"rule", "subject", "severity", "message", "citation", "due"}
    assert list(Finding.objects.values_list("subject_code", flat=True)) == ["D010201"]
    with pytest.raises(CommandError, match="党组织代码或区划代码"):
        call_command("checkup", "--scope", "BM001", stdout=io.StringIO())
