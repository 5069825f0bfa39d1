"""Recruitment services (the path from application to full member, and their refusals), rule sets and the
checkup rules through the engine."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dangjian.checkup.engine import evaluate
from dangjian.members.models import Member
from dangjian.members.services import do_create_member
from dangjian.recruitment import queries, services
from dangjian.recruitment.models import RecruitmentCase, RuleSet, Sponsor, StepDocument, StepRecord, Training
from dangjian.recruitment.services import RecruitmentError
from tests.factories import id_number

D = dt.date
RULES = ["recruitment.step.too_early", "recruitment.step.too_late"]
APPLIED, BORN, AS_OF = D(2024, 3, 1), D(2000, 1, 1), D(2026, 12, 1)
EFFECTIVE_2026, ISSUED_2026 = D(2026, 7, 1), D(2026, 5, 20)

# A path that keeps every timing rule of 2014 (13 May 2025: the notice 6–12 May counts 5 working days after
# the Labour Day holiday of 1–5 May).
ON_TIME = {2: D(2024, 3, 15), 3: D(2024, 4, 1), 5: D(2024, 4, 5), 7: D(2025, 4, 1), 9: D(2025, 4, 2),
           10: D(2025, 4, 10), 11: D(2025, 4, 20), 12: D(2025, 4, 25), 13: D(2025, 5, 13), 14: D(2025, 5, 14),
           15: D(2025, 5, 20), 16: D(2025, 5, 25), 17: D(2025, 6, 10), 19: D(2025, 6, 11), 20: D(2025, 7, 1),
           22: D(2026, 5, 10), 23: D(2026, 5, 20), 24: D(2026, 6, 10), 25: D(2026, 6, 20)}  # fmt: skip


@pytest.fixture
def sponsors(county):
    second = do_create_member(actor=None, name="钱七", id_number=id_number(D(1980, 5, 5)), org=county.branch_a,
                              status="full", joined_on=D(2005, 7, 1), full_on=D(2006, 7, 1))
    return [county.members["a"], second]


def open_case(county, applied=APPLIED, birth=BORN, org=None, actor=None, **extra):
    return services.do_open_case(actor=actor, org=org or county.branch_a, name="王五", id_number=id_number(birth),
                                 applied_on=applied, **extra)


def record(case, step, day, sponsors=None, **extra):
    if step == 9:
        extra.setdefault("sponsors", sponsors)
    if step == 11:
        extra.setdefault("period_start", D(2025, 4, 15))
        extra.setdefault("period_end", D(2025, 4, 17))
        extra.setdefault("training", {"days": 3, "hours": 24, "organiser": "城关镇党委"})
    if step == 13:
        extra.setdefault("period_start", D(2025, 5, 6))
        extra.setdefault("period_end", D(2025, 5, 12))
    return services.do_record_step(actor=None, case=case, step=step, done_on=day, **extra)


def walk(case, sponsors, until=25, dates=ON_TIME):
    for step, day in sorted(dates.items()):
        if step <= until:
            record(case, step, day, sponsors)
    case.refresh_from_db()
    case.member.refresh_from_db()
    return case


def found(path="", as_of=AS_OF):
    return [(rule, v) for rule, v in evaluate(path, as_of, rules=RULES)]


@pytest.mark.django_db
def test_the_whole_path_moves_the_person_through_the_ledger(county, sponsors):
    case = open_case(county, document_names="入党申请书",
                     files=[SimpleUploadedFile("申请书.pdf", b"%PDF-1.4 test", "application/pdf")])
    assert case.member.status == Member.Status.APPLICANT and case.member.org == county.branch_a
    assert case.member.id_number_masked.endswith(case.member._plain_id_number()[-4:])
    assert StepDocument.objects.get(record__case=case).file.read() == b"%PDF-1.4 test"
    assert (case.last_step, case.next_step, case.stage, case.next_due) == (1, 2, 1, D(2024, 4, 1))
    walk(case, sponsors, until=3)
    assert case.member.status == Member.Status.ACTIVIST and case.stage == 2
    walk(case, sponsors, until=7, dates={k: v for k, v in ON_TIME.items() if 3 < k <= 7})
    assert case.member.status == Member.Status.CANDIDATE
    walk(case, sponsors, until=15, dates={k: v for k, v in ON_TIME.items() if 7 < k <= 15})
    assert case.member.status == Member.Status.PROBATIONARY and case.member.joined_on == D(2025, 5, 20)
    assert sorted(Sponsor.objects.filter(case=case).values_list("member__name", flat=True)) == ["张三", "钱七"]
    training = Training.objects.get(case=case)
    assert (training.kind, training.days, training.hours) == ("concentrated", 3, 24)
    walk(case, sponsors, dates={k: v for k, v in ON_TIME.items() if k > 15})
    assert case.member.status == Member.Status.FULL
    assert case.member.full_on == D(2026, 5, 20)  # 预备期满之日, not the approval date
    assert case.status == RecruitmentCase.Status.FINISHED and case.closed_on == D(2026, 6, 20)
    view = queries.case_view(case, D(2026, 12, 1))
    assert view.warnings == [] and view.next is None
    assert {c.state for c in view.checks} == {"ok"}
    assert len([row for _, rows in view.stages for row in rows]) == 25


@pytest.mark.django_db
def test_refusals_name_the_field_and_change_nothing(county, sponsors):
    case = open_case(county)
    before = StepRecord.objects.count()
    with pytest.raises(RecruitmentError, match="之前须先登记第2步") as exc:
        record(case, 3, D(2024, 4, 1))
    assert exc.value.field == "step"
    record(case, 2, D(2024, 3, 15))
    with pytest.raises(RecruitmentError, match="不能早于第2步“党组织派人谈话”.*2024-03-15"):
        record(case, 3, D(2024, 3, 14))
    with pytest.raises(RecruitmentError, match="不能晚于今天"):
        services.do_record_step(actor=None, case=case, step=3, done_on=D(2026, 12, 2), today=D(2026, 12, 1))
    with pytest.raises(RecruitmentError, match="不能重复登记"):
        record(case, 2, D(2024, 3, 16))
    with pytest.raises(RecruitmentError, match="不是有效的步骤"):
        record(case, 26, D(2024, 3, 16))
    assert StepRecord.objects.count() == before + 1
    case.member.refresh_from_db()
    assert case.member.status == Member.Status.APPLICANT


@pytest.mark.django_db
def test_sponsors_must_be_two_full_members(county, sponsors):
    case = walk(open_case(county), sponsors, until=7)
    probationary = do_create_member(actor=None, name="孙八", id_number=id_number(D(1995, 1, 1)), org=county.branch_a,
                                    status="probationary", joined_on=D(2026, 1, 10))
    for chosen, message in ([[sponsors[0]], "两名不同的正式党员"], [[sponsors[0], sponsors[0]], "两名不同的正式党员"],
                            [[sponsors[0], probationary], "孙八在 2025-04-02 不是正式党员（预备党员）"],
                            [[sponsors[0], case.member], "不能由本人担任"]):
        with pytest.raises(RecruitmentError, match=message) as exc:
            record(case, 9, D(2025, 4, 2), sponsors=chosen)
        assert exc.value.field == "sponsors"
    assert not Sponsor.objects.filter(case=case).exists() and not case.step_records.filter(step=9).exists()
    # Full only since after the step: not a full member on that day.
    late_full = do_create_member(actor=None, name="周九", id_number=id_number(D(1990, 1, 1)), org=county.branch_a,
                                 status="full", joined_on=D(2024, 6, 1), full_on=D(2025, 6, 1))
    with pytest.raises(RecruitmentError, match="周九在 2025-04-02 不是正式党员"):
        record(case, 9, D(2025, 4, 2), sponsors=[sponsors[0], late_full])


@pytest.mark.django_db
def test_opening_a_case_is_refused_outside_scope_and_for_a_known_id_number(county):
    with pytest.raises(RecruitmentError, match="您不能为“柳林村党支部”登记入党申请") as exc:
        open_case(county, org=county.branch_b, actor=county.users["township_admin"])
    assert exc.value.field == "org"
    with pytest.raises(RecruitmentError, match="不是党支部"):
        open_case(county, org=county.town_a_org)
    with pytest.raises(RecruitmentError, match="公民身份号码已在党员名册中") as exc:
        services.do_open_case(actor=None, org=county.branch_a, name="张三", id_number=county.members["a"]._plain_id_number(),
                              applied_on=D(2026, 3, 1))
    assert exc.value.field == "id_number"
    with pytest.raises(RecruitmentError, match="类型不受支持"):
        open_case(county, files=[SimpleUploadedFile("a.exe", b"MZ", "application/octet-stream")])
    assert not RecruitmentCase.objects.exists() and Member.objects.count() == 2


@pytest.mark.django_db
def test_training_and_notice_periods_are_checked_in_the_service(county, sponsors):
    case = walk(open_case(county), sponsors, until=10)
    with pytest.raises(RecruitmentError, match="培训天数、学时：请至少填写一项"):
        record(case, 11, D(2025, 4, 20), training={"days": 0, "hours": 0})
    with pytest.raises(RecruitmentError, match="培训期：结束日期不能早于起始日期"):
        record(case, 11, D(2025, 4, 20), period_start=D(2025, 4, 17), period_end=D(2025, 4, 15))
    with pytest.raises(RecruitmentError, match="结束日期：不能早于开始日期"):
        services.do_add_training(actor=None, case=case, kind="activist", start_on=D(2025, 3, 2),
                                 end_on=D(2025, 3, 1), days=1)
    walk(case, sponsors, until=12, dates={11: ON_TIME[11], 12: ON_TIME[12]})
    with pytest.raises(RecruitmentError, match="公示期：请填写起始日期"):
        record(case, 13, D(2025, 5, 13), period_start=None, period_end=None)


@pytest.mark.django_db
def test_a_late_talk_is_recorded_and_flagged_with_the_step_and_the_article(county, sponsors):
    case = open_case(county, applied=D(2026, 1, 31))
    record(case, 2, D(2026, 3, 1))  # one day past 28 February
    (rule, v), = found()
    assert rule == "recruitment.step.too_late" and v.key == "talk" and v.subject == "member"
    assert v.subject_id == case.member_id and v.org_path == county.branch_a.path and v.due == D(2026, 2, 28)
    assert v.severity == "warning"
    assert "第2步“党组织派人谈话”" in v.message and "1个月内" in v.message and "第七条" in v.message
    assert "2014" not in v.message  # the rule's own citation (2014) is not repeated
    assert found(county.town_b_org.path) == []  # outside the subtree
    assert [w.rule.code for w in queries.case_view(case, D(2026, 12, 1)).warnings] == ["talk"]


@pytest.mark.django_db
def test_an_unrecorded_step_is_overdue_after_its_latest_date(county):
    open_case(county, applied=D(2026, 1, 31))
    assert found(as_of=D(2026, 2, 28)) == []
    (rule, v), = found(as_of=D(2026, 3, 1))
    assert (rule, v.key, v.due) == ("recruitment.step.too_late", "talk", D(2026, 2, 28))
    assert "至今未登记" in v.message


@pytest.mark.django_db
def test_too_early_steps_one_violation_per_rule(county, sponsors):
    dates = {**ON_TIME, 7: D(2025, 3, 31), 9: D(2025, 4, 1)}  # one day short of a year of training
    case = walk(open_case(county, applied=D(2024, 3, 1), birth=D(2006, 3, 2)), sponsors, until=9, dates=dates)
    results = found()
    early = sorted((v.key, v.severity) for rule, v in results if rule == "recruitment.step.too_early")
    assert early == [("activist_period", "error"), ("age", "error")]  # 17 on the day of application
    assert all(v.subject_id == case.member_id for _, v in results)
    age = next(v for _, v in results if v.key == "age")
    assert "第1步“递交入党申请书”" in age.message and "2024-03-02" in age.message


@pytest.mark.django_db
def test_the_checkup_loads_a_subtree_in_a_few_queries(county, sponsors):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for_the_cases():
        with CaptureQueriesContext(connection) as ctx:
            results = found()
        return len(ctx.captured_queries), results

    for n in range(2):
        case = open_case(county, applied=D(2025, 1, 1 + n))
        walk(case, sponsors, until=3, dates={2: D(2025, 3, 1), 3: D(2025, 3, 2)})
    few, _ = queries_for_the_cases()
    for n in range(2, 6):
        case = open_case(county, applied=D(2025, 1, 1 + n))
        walk(case, sponsors, until=3, dates={2: D(2025, 3, 1), 3: D(2025, 3, 2)})
    more, results = queries_for_the_cases()
    assert len(results) == 6 and {v.key for _, v in results} == {"talk"}
    assert more == few <= 20  # a fixed number of queries (PostgreSQL adds the run's SET LOCALs), not one per case


@pytest.mark.django_db
def test_finished_and_stopped_cases_are_not_checked(county, sponsors):
    case = open_case(county, applied=D(2026, 1, 31))
    assert found(as_of=D(2026, 3, 1))
    services.do_stop_case(actor=None, case=case, reason="本人撤回申请", stopped_on=D(2026, 3, 1))
    case.refresh_from_db()
    assert case.status == "stopped" and found(as_of=D(2026, 3, 1)) == []
    assert not Member.objects.filter(pk=case.member_id).exists()  # left the ledger, kept for history
    assert Member.all_objects.get(pk=case.member_id).deleted_reason == "终止发展：本人撤回申请"
    with pytest.raises(RecruitmentError, match="已终止"):
        record(case, 2, D(2026, 3, 1))


def _confirm_2026(actor=None, effective=EFFECTIVE_2026, issued=ISSUED_2026, **changes):
    revised = RuleSet.objects.get(code="2026")
    rules = {r.code: {"amount": r.amount, "unit": r.unit, "article": f"第{r.position + 1}条",
                      "alt_amount": r.alt_amount, "alt_unit": r.alt_unit} for r in revised.rules.all()}
    rules["talk"].update(amount=20, unit="days", article="第八条")
    for code, values in changes.items():
        rules[code].update(values)
    return services.do_save_ruleset(actor=actor, ruleset=revised, document="《中国共产党发展党员工作细则》",
                                    doc_number="中办发〔2026〕99号", issued_on=issued, effective_on=effective,
                                    rules=rules, confirm=True)


@pytest.mark.django_db
def test_the_2026_set_applies_only_once_confirmed_and_from_its_date(county):
    assert [s.code for s in queries.rulesets_in_force()] == ["2014"]
    before = open_case(county, applied=D(2026, 6, 30))
    after = services.do_open_case(actor=None, org=county.branch_a, name="吴十", id_number=id_number(D(2001, 1, 1)),
                                  applied_on=D(2026, 7, 1))
    for case in (before, after):
        record(case, 2, D(2026, 7, 25))
    assert found() == []  # 2014: within one month
    _confirm_2026()
    assert [s.code for s in queries.rulesets_in_force()] == ["2014", "2026"]
    (rule, v), = found()
    assert v.subject_id == after.member_id and v.key == "talk" and v.due == D(2026, 7, 21)
    assert "20天内" in v.message and "（中办发〔2026〕99号，2026-07-01起施行）第八条" in v.message
    after.refresh_from_db()
    assert after.next_step == 3


@pytest.mark.django_db
def test_rule_set_refusals(county):
    revised = RuleSet.objects.get(code="2026")
    base = dict(document="《中国共产党发展党员工作细则》", doc_number="中办发〔2026〕99号", issued_on=D(2026, 5, 20),
                effective_on=D(2026, 7, 1), rules={})
    with pytest.raises(RecruitmentError, match="只有县级管理员"):
        services.do_save_ruleset(actor=county.users["township_admin"], ruleset=revised, confirm=True, **base)
    with pytest.raises(RecruitmentError, match="确认生效前须按正式文本录入条款"):
        services.do_save_ruleset(actor=None, ruleset=revised, confirm=True, **base)
    with pytest.raises(RecruitmentError, match="施行日期：确认生效前必须填写"):
        _confirm_2026(effective=None)
    with pytest.raises(RecruitmentError, match="谈话时限：数值应在 1–1000 之间"):
        _confirm_2026(talk={"amount": 0})
    with pytest.raises(RecruitmentError, match="与“《中国共产党发展党员工作细则》（2014）”相同"):
        _confirm_2026(effective=D(2014, 6, 10), issued=D(2014, 6, 10))
    revised.refresh_from_db()
    assert not revised.in_force and revised.effective_on is None
    assert revised.rules.get(code="talk").amount == 1
    confirmed = _confirm_2026(actor=county.users["county_admin"])
    assert confirmed.in_force and confirmed.confirmed_by == county.users["county_admin"]


@pytest.mark.django_db
def test_correcting_a_step_keeps_the_order_and_moves_the_ledger_dates(county, sponsors):
    case = walk(open_case(county), sponsors, until=24)
    assert (case.member.joined_on, case.member.full_on) == (D(2025, 5, 20), D(2026, 5, 20))
    vote = case.step_records.get(step=15)
    with pytest.raises(RecruitmentError, match="不能晚于已登记的第16步“上级党委派人谈话”.*2025-05-25") as exc:
        services.do_update_step(actor=None, record=vote, done_on=D(2025, 5, 26))
    assert exc.value.field == "done_on"
    with pytest.raises(RecruitmentError, match="不能早于第14步“填写入党志愿书”"):
        services.do_update_step(actor=None, record=vote, done_on=D(2025, 5, 13))
    services.do_update_step(actor=None, record=vote, done_on=D(2025, 5, 18), notes="更正会议日期")
    case.member.refresh_from_db()
    assert (case.member.joined_on, case.member.full_on) == (D(2025, 5, 18), D(2026, 5, 18))
    training = case.step_records.get(step=11)
    services.do_update_step(actor=None, record=training, done_on=D(2025, 4, 20), period_start=D(2025, 4, 15),
                            period_end=D(2025, 4, 16), training={"days": 2, "hours": 16})
    (row,) = Training.objects.filter(case=case)
    assert (row.days, row.hours, row.end_on) == (2, 16, D(2025, 4, 16))
    early = [c.rule.code for c in queries.case_view(case, D(2026, 12, 1)).warnings]
    assert early == ["concentrated_training"]  # 2 days / 16 hours is short, now a warning
    application = case.step_records.get(step=1)
    services.do_update_step(actor=None, record=application, done_on=D(2024, 2, 20))
    case.refresh_from_db()
    assert case.applied_on == D(2024, 2, 20)


@pytest.mark.django_db
def test_the_list_deadline_is_the_nearest_of_any_step_not_yet_recorded(county, sponsors):
    case = walk(open_case(county), sponsors, until=17)  # voted 2025-05-20, approved 2025-06-10
    assert case.next_step == 19
    assert case.next_due == D(2026, 8, 20)  # conversion approval: probation end 2026-05-20 + 3 months
    keys = {(rule, v.key) for rule, v in found(as_of=D(2026, 8, 21))}
    assert keys == {("recruitment.step.too_late", "conversion_approval")}
