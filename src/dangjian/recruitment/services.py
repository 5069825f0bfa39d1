"""Every write to recruitment: checks, writes and audit in one transaction each. The person lives in the
member ledger; their status, joining date (the 支部大会 vote) and conversion date are changed only through
`members.services`, so the ledger and the recruitment records never disagree."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from dangjian.core.audit import acting, record_access
from dangjian.core.scope import user_scope
from dangjian.members import services as member_services
from dangjian.members.models import Member
from dangjian.orgs.models import PartyOrg

from . import queries, steps, timing
from .models import RecruitmentCase, RuleSet, Sponsor, StepDocument, StepRecord, TimingRule, Training

MAX_FILES = 10
MAX_FILE_BYTES = 20 * 1024 * 1024
FILE_TYPES = {"pdf", "ofd", "jpg", "jpeg", "png", "doc", "docx", "xls", "xlsx", "wps", "txt"}
UNENTERED_ARTICLE = "待按正式文本录入"


class RecruitmentError(ValueError):
    """A write was refused; the message is Chinese and names the field and the reason."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _may_change_org(actor, org) -> bool:
    scope = user_scope(actor, "change")
    return scope.unrestricted or any(org.path.startswith(p) for p in scope.orgs)


def _check_day(value, label: str, field: str, today: dt.date) -> dt.date:
    if not isinstance(value, dt.date):
        raise RecruitmentError(f"{label}：请填写日期", field)
    if value > today:
        raise RecruitmentError(f"{label}：不能晚于今天（{today:%Y-%m-%d}）", field)
    return value


def _text(value, limit: int) -> str:
    return str(value or "").strip()[:limit]


def _check_files(files) -> list:
    files = [f for f in (files or []) if f]
    if len(files) > MAX_FILES:
        raise RecruitmentError(f"附件：最多 {MAX_FILES} 个，收到 {len(files)} 个", "files")
    for f in files:
        name = getattr(f, "name", "") or "附件"
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if ext not in FILE_TYPES:
            raise RecruitmentError(f"附件：“{name}”的类型不受支持（可上传 {'、'.join(sorted(FILE_TYPES))}）", "files")
        if f.size > MAX_FILE_BYTES:
            raise RecruitmentError(f"附件：“{name}”大小 {f.size / 1048576:.1f} MB，超过 20 MB 上限", "files")
    return files


def _refresh(case: RecruitmentCase, today: dt.date) -> None:
    """Recompute the summary fields the list filters read."""
    fields = queries.summary(queries.facts_for(case), queries.rulesets_in_force(), today)
    if case.status != RecruitmentCase.Status.OPEN:
        fields["next_due"] = None
        fields["next_step"] = None
    for key, value in fields.items():
        setattr(case, key, value)
    case.save(update_fields=[*fields, "updated_at"])


def _save_documents(record: StepRecord, files) -> None:
    for f in files:
        name = (getattr(f, "name", "") or "附件").rsplit("/", 1)[-1][:150]
        doc = StepDocument(record=record, name=name, size=f.size)
        doc.file.save(name, f, save=False)
        doc.save()


@transaction.atomic
def do_open_case(*, actor, org: PartyOrg, name: str, id_number, applied_on: dt.date, phone=None, education="",
                 job="", responsible="", document_names="", notes="", files=None,
                 today: dt.date | None = None) -> RecruitmentCase:
    """申请入党: the person enters the member ledger as an applicant and step 1 is recorded."""
    today = today or timezone.localdate()
    if org is None:
        raise RecruitmentError("党组织：请选择接收入党申请的党组织", "org")
    if not _may_change_org(actor, org):
        raise RecruitmentError(f"党组织：您不能为“{org.name}”登记入党申请", "org")
    if org.kind not in PartyOrg.BRANCH_KINDS:
        raise RecruitmentError(f"党组织：入党申请应由党支部接收，“{org.name}”不是党支部", "org")
    name = _text(name, 50)
    if not name:
        raise RecruitmentError("姓名：必须填写", "name")
    _check_day(applied_on, "递交入党申请书日期", "applied_on", today)
    files = _check_files(files)
    try:
        member = member_services.do_create_member(actor=actor, name=name, id_number=id_number, org=org, phone=phone,
                                                  status=Member.Status.APPLICANT, education=education or "",
                                                  job=_text(job, 100))
    except member_services.MemberError as exc:
        raise RecruitmentError(str(exc), "id_number") from None
    except ValueError as exc:  # an invalid ID number or phone
        raise RecruitmentError(f"公民身份号码或联系电话：{exc}", "id_number") from None
    case = RecruitmentCase(member=member, applied_on=applied_on)
    with acting(actor):
        case.save()
        record = StepRecord.objects.create(case=case, step=1, done_on=applied_on, responsible=_text(responsible, 50),
                                           document_names=_text(document_names, 2000), notes=_text(notes, 2000),
                                           recorded_by=_user(actor))
        _save_documents(record, files)
        _refresh(case, today)
    return case


def _lock_case(actor, case: RecruitmentCase) -> RecruitmentCase:
    case = RecruitmentCase.objects.select_for_update(of=("self",)).select_related("member", "member__org").get(
        pk=case.pk)
    if not _may_change_org(actor, case.member.org):
        raise RecruitmentError(f"发展党员：您不能管理{case.member.name}的发展党员工作", "case")
    return case


def _check_order(case: RecruitmentCase, number: int, done_on: dt.date) -> None:
    recorded = dict(case.step_records.values_list("step", "done_on"))
    if number in recorded:
        raise RecruitmentError(f"步骤：{steps.label(number)}已于 {recorded[number]:%Y-%m-%d} 登记，不能重复登记", "step")
    missing = [s for s in steps.previous_required(number) if s.number not in recorded]
    if missing:
        raise RecruitmentError(f"步骤：{steps.label(number)}之前须先登记{steps.label(missing[0].number)}", "step")
    earlier = [(d, n) for n, d in recorded.items() if n < number and steps.BY_NUMBER[n].required]
    if earlier:
        last_day, last_step = max(earlier)
        if done_on < last_day:
            raise RecruitmentError(f"日期：{steps.label(number)}不能早于{steps.label(last_step)}的日期"
                                   f"（{last_day:%Y-%m-%d}）", "done_on")


def _check_period(info: steps.Step, period_start, period_end, today: dt.date):
    """The step's date range: required for the training (11) and the notice (13), consistent when given."""
    if not info.period:
        return None, None
    needed = info.training or info.number == 13
    if period_start is None and needed:
        raise RecruitmentError(f"{info.period}：请填写起始日期", "period_start")
    if period_start is not None:
        _check_day(period_start, f"{info.period}起始日期", "period_start", today)
        if period_end is None and needed:
            raise RecruitmentError(f"{info.period}：请填写结束日期", "period_end")
    if period_end is not None:
        _check_day(period_end, f"{info.period}结束日期", "period_end", today)
        if period_start is None or period_end < period_start:
            raise RecruitmentError(f"{info.period}：结束日期不能早于起始日期", "period_end")
    return period_start, period_end


def _check_sponsors(case: RecruitmentCase, sponsors, done_on: dt.date) -> list[Member]:
    sponsors = [s for s in (sponsors or []) if s is not None]
    if len(sponsors) != 2 or sponsors[0].pk == sponsors[1].pk:
        raise RecruitmentError("入党介绍人：须确定两名不同的正式党员作入党介绍人（第十四条）", "sponsors")
    checked = []
    for sponsor in Member.all_objects.filter(pk__in=[s.pk for s in sponsors]).order_by("pk"):
        if sponsor.pk == case.member_id:
            raise RecruitmentError("入党介绍人：不能由本人担任", "sponsors")
        if sponsor.deleted_at is not None:
            raise RecruitmentError(f"入党介绍人：{sponsor.name}已不在党员名册中", "sponsors")
        if sponsor.status != Member.Status.FULL or (sponsor.full_on and sponsor.full_on > done_on):
            raise RecruitmentError(f"入党介绍人：{sponsor.name}在 {done_on:%Y-%m-%d} 不是正式党员"
                                   f"（{sponsor.get_status_display()}），入党介绍人须为正式党员", "sponsors")
        checked.append(sponsor)
    return checked


def _training_numbers(days, hours) -> tuple[Decimal, Decimal]:
    try:
        days = Decimal(str(days or 0))
        hours = Decimal(str(hours or 0))
    except InvalidOperation:
        raise RecruitmentError("培训天数、学时：必须是数字", "days") from None
    if days < 0 or hours < 0 or days > 365 or hours > 2000:
        raise RecruitmentError("培训天数、学时：超出合理范围（天数 0–365，学时 0–2000）", "days")
    return days, hours


def _apply_status(actor, case: RecruitmentCase, step: steps.Step, done_on: dt.date, today: dt.date) -> None:
    """Move the person along the ledger through the members' own service."""
    member = case.member
    changes = {}
    if step.status and step.status != member.status:
        changes["status"] = step.status
    if step.number == steps.VOTE_STEP:
        changes["joined_on"] = done_on
    if step.number == steps.CONVERSION_STEP:
        probation = next((c for c in timing.evaluate(queries.facts_for(case), queries.rulesets_in_force(), today)
                          if c.rule.code == "probation"), None)
        # 预备期满之日 is the date of conversion; without a probation rule (or approved before it ended, which the
        # checkup flags), the approval date itself.
        end = probation.earliest if probation else None
        changes["full_on"] = end if end and end <= done_on else done_on
    if changes:
        try:
            member_services.do_update_member(actor=actor, member=member, **changes)
        except member_services.MemberError as exc:
            raise RecruitmentError(f"党员名册：{exc}", "done_on") from None


@transaction.atomic
def do_record_step(*, actor, case: RecruitmentCase, step: int, done_on: dt.date, responsible="", document_names="",
                   notes="", files=None, period_start=None, period_end=None, sponsors=None, training=None,
                   today: dt.date | None = None) -> StepRecord:
    """Record one step. Order is enforced (no step before the previous required one, no date in the future);
    timing rules are not: a late or early date is recorded, shown as a warning and flagged by the checkup.

    `sponsors` (step 9): two full members. `training` (step 11): {"days", "hours", "organiser"}, recorded as a
    concentrated training over the step's period."""
    today = today or timezone.localdate()
    try:
        number = int(step)
        info = steps.BY_NUMBER[number]
    except (TypeError, ValueError, KeyError):
        raise RecruitmentError(f"步骤：“{step}”不是有效的步骤（1–{steps.LAST}）", "step") from None
    case = _lock_case(actor, case)
    if not case.is_open:
        raise RecruitmentError(f"发展党员：该发展党员工作{case.get_status_display()}，不能再登记步骤", "case")
    _check_day(done_on, "日期", "done_on", today)
    _check_order(case, number, done_on)
    if number == 1:
        raise RecruitmentError("步骤：递交入党申请书在登记入党申请时记录", "step")
    period_start, period_end = _check_period(info, period_start, period_end, today)
    chosen = _check_sponsors(case, sponsors, done_on) if info.sponsors else []
    days = hours = None
    if info.training:
        training = training or {}
        days, hours = _training_numbers(training.get("days"), training.get("hours"))
        if not days and not hours:
            raise RecruitmentError("培训天数、学时：请至少填写一项", "days")
    files = _check_files(files)
    record = StepRecord(case=case, step=number, done_on=done_on, period_start=period_start, period_end=period_end,
                        responsible=_text(responsible, 50), document_names=_text(document_names, 2000),
                        notes=_text(notes, 2000), recorded_by=_user(actor))
    with acting(actor):
        record.save()
        _save_documents(record, files)
        for sponsor in chosen:
            Sponsor.objects.create(case=case, member=sponsor, since=done_on)
        if info.training:
            Training.objects.create(case=case, record=record, kind=Training.Kind.CONCENTRATED,
                                    start_on=period_start, end_on=period_end, days=days, hours=hours,
                                    organiser=_text(training.get("organiser"), 100), recorded_by=_user(actor))
        _apply_status(actor, case, info, done_on, today)
        if number == steps.LAST:
            case.status = RecruitmentCase.Status.FINISHED
            case.closed_on = done_on
            case.save(update_fields=["status", "closed_on", "updated_at"])
        _refresh(case, today)
    return record


def _sync_member_dates(actor, case: RecruitmentCase, today: dt.date) -> None:
    """After a correction: joined_on is the date of the 支部大会 vote (step 15), full_on the end of probation."""
    dates = dict(case.step_records.values_list("step", "done_on"))
    member = Member.all_objects.get(pk=case.member_id)
    changes = {}
    if steps.VOTE_STEP in dates and member.joined_on != dates[steps.VOTE_STEP]:
        changes["joined_on"] = dates[steps.VOTE_STEP]
    if steps.CONVERSION_STEP in dates:
        probation = next((c for c in timing.evaluate(queries.facts_for(case), queries.rulesets_in_force(), today)
                          if c.rule.code == "probation"), None)
        end = probation.earliest if probation else None
        approved = dates[steps.CONVERSION_STEP]
        full_on = end if end and end <= approved else approved
        if member.full_on != full_on:
            changes["full_on"] = full_on
    if changes:
        try:
            member_services.do_update_member(actor=actor, member=member, **changes)
        except member_services.MemberError as exc:
            raise RecruitmentError(f"党员名册：{exc}", "done_on") from None


@transaction.atomic
def do_update_step(*, actor, record: StepRecord, done_on: dt.date, responsible="", document_names="", notes="",
                   files=None, period_start=None, period_end=None, sponsors=None, training=None,
                   today: dt.date | None = None) -> StepRecord:
    """Correct a recorded step (historical data is often entered wrongly first). The date must stay between
    the previous required step and the steps recorded after it; the ledger dates follow (joining date for the
    支部大会 vote, conversion date for the approval); attachments are added to the ones already there."""
    today = today or timezone.localdate()
    case = _lock_case(actor, record.case)
    record = StepRecord.objects.select_for_update().get(pk=record.pk, case=case)
    info = steps.BY_NUMBER[record.step]
    if case.status == RecruitmentCase.Status.STOPPED:
        raise RecruitmentError("发展党员：该发展党员工作已终止，不能修改", "case")
    _check_day(done_on, "日期", "done_on", today)
    others = dict(case.step_records.exclude(pk=record.pk).values_list("step", "done_on"))
    before = [(d, n) for n, d in others.items() if n < record.step and steps.BY_NUMBER[n].required]
    if before and done_on < max(before)[0]:
        day, number = max(before)
        raise RecruitmentError(f"日期：{steps.label(record.step)}不能早于{steps.label(number)}的日期"
                               f"（{day:%Y-%m-%d}）", "done_on")
    if info.required:
        after = [(d, n) for n, d in others.items() if n > record.step]
        if after and done_on > min(after)[0]:
            day, number = min(after)
            raise RecruitmentError(f"日期：{steps.label(record.step)}不能晚于已登记的{steps.label(number)}的日期"
                                   f"（{day:%Y-%m-%d}）", "done_on")
    period_start, period_end = _check_period(info, period_start, period_end, today)
    chosen = _check_sponsors(case, sponsors, done_on) if info.sponsors and sponsors is not None else None
    days = hours = None
    if info.training and training is not None:
        days, hours = _training_numbers(training.get("days"), training.get("hours"))
        if not days and not hours:
            raise RecruitmentError("培训天数、学时：请至少填写一项", "days")
    files = _check_files(files)
    record.done_on, record.period_start, record.period_end = done_on, period_start, period_end
    record.responsible = _text(responsible, 50)
    record.document_names, record.notes = _text(document_names, 2000), _text(notes, 2000)
    with acting(actor):
        record.save()
        _save_documents(record, files)
        if chosen is not None:
            Sponsor.objects.filter(case=case).delete()
            for sponsor in chosen:
                Sponsor.objects.create(case=case, member=sponsor, since=done_on)
        if days is not None:
            Training.objects.update_or_create(
                record=record, defaults=dict(case=case, kind=Training.Kind.CONCENTRATED, start_on=period_start,
                                             end_on=period_end, days=days, hours=hours,
                                             organiser=_text(training.get("organiser"), 100)))
        if record.step == 1 and case.applied_on != done_on:
            case.applied_on = done_on
            case.save(update_fields=["applied_on", "updated_at"])
        if record.step == steps.LAST and case.closed_on != done_on:
            case.closed_on = done_on
            case.save(update_fields=["closed_on", "updated_at"])
        _sync_member_dates(actor, case, today)
        _refresh(case, today)
    return record


@transaction.atomic
def do_add_training(*, actor, case: RecruitmentCase, kind: str, start_on: dt.date, end_on: dt.date, days=0, hours=0,
                    organiser="", notes="", today: dt.date | None = None) -> Training:
    """A training record: the activist's education, the candidate's concentrated training (counted by the
    3 days / 24 hours rule), the probationary member's education."""
    today = today or timezone.localdate()
    if kind not in Training.Kind.values:
        raise RecruitmentError(f"培训类型：“{kind}”无效", "kind")
    case = _lock_case(actor, case)
    if not case.is_open:
        raise RecruitmentError(f"发展党员：该发展党员工作{case.get_status_display()}，不能再登记培训", "case")
    _check_day(start_on, "开始日期", "start_on", today)
    _check_day(end_on, "结束日期", "end_on", today)
    if end_on < start_on:
        raise RecruitmentError("结束日期：不能早于开始日期", "end_on")
    if start_on < case.applied_on:
        raise RecruitmentError(f"开始日期：不能早于递交入党申请书日期（{case.applied_on:%Y-%m-%d}）", "start_on")
    days, hours = _training_numbers(days, hours)
    if not days and not hours:
        raise RecruitmentError("培训天数、学时：请至少填写一项", "days")
    training = Training(case=case, kind=kind, start_on=start_on, end_on=end_on, days=days, hours=hours,
                        organiser=_text(organiser, 100), notes=_text(notes, 500), recorded_by=_user(actor))
    with acting(actor):
        training.save()
        _refresh(case, today)
    return training


@transaction.atomic
def do_stop_case(*, actor, case: RecruitmentCase, reason: str, stopped_on: dt.date | None = None,
                 today: dt.date | None = None) -> RecruitmentCase:
    """终止发展 (not admitted, withdrawn, left): the case closes; a person not yet a member leaves the ledger
    (soft delete with the reason); a probationary member stays for the branch to decide (取消预备党员资格)."""
    today = today or timezone.localdate()
    reason = _text(reason, 200)
    if not reason:
        raise RecruitmentError("终止原因：必须填写", "reason")
    stopped_on = _check_day(stopped_on or today, "终止日期", "stopped_on", today)
    case = _lock_case(actor, case)
    if not case.is_open:
        raise RecruitmentError(f"发展党员：该发展党员工作{case.get_status_display()}", "case")
    case.status = RecruitmentCase.Status.STOPPED
    case.stopped_reason = reason
    case.closed_on = stopped_on
    with acting(actor):
        case.save()
        if case.member.status in (Member.Status.APPLICANT, Member.Status.ACTIVIST, Member.Status.CANDIDATE):
            member_services.do_delete_member(actor=actor, member=case.member, reason=f"终止发展：{reason}")
        _refresh(case, today)
    return case


def open_document(*, actor, document: StepDocument):
    """An attachment's file for download; every download is in the access log (they hold personal data)."""
    record_access("export", object_type="recruitment_document", object_id=document.pk,
                  object_repr=f"{document.record.case.member.name} {document.name}", user=actor)
    return document.file.open("rb")


# ---- rule sets -------------------------------------------------------------------------------------------------

def refresh_open_cases(today: dt.date | None = None) -> int:
    """Recompute the summary of every open case (after a rule set changed): bounded to open cases."""
    today = today or timezone.localdate()
    rulesets = timing.Plan(queries.rulesets_in_force())
    cases = list(RecruitmentCase.objects.filter(status=RecruitmentCase.Status.OPEN)
                 .values_list("pk", "member__birth_date"))
    changed = []
    for start in range(0, len(cases), 2000):
        chunk = dict(cases[start:start + 2000])
        facts = queries.facts_by_case({"pk__in": list(chunk)}, chunk)
        for pk, f in facts.items():
            changed.append(RecruitmentCase(pk=pk, **queries.summary(f, rulesets, today)))
    RecruitmentCase.objects.bulk_update(changed, ["last_step", "next_step", "stage", "next_due"], batch_size=1000)
    return len(changed)


@transaction.atomic
def do_save_ruleset(*, actor, ruleset: RuleSet, document: str, doc_number: str, issued_on, effective_on,
                    note: str = "", rules: dict, confirm: bool = False) -> RuleSet:
    """Enter or correct a rule set's citation and numbers ({code: {amount, unit, alt_amount, alt_unit, article}}).
    `confirm` puts it in force: only with its effective date, its document number and every article entered."""
    if actor is not None and not actor.can("configure"):
        raise RecruitmentError("规则集：只有县级管理员可以录入和确认发展党员时限规则", "ruleset")
    ruleset = RuleSet.objects.select_for_update().get(pk=ruleset.pk)
    document = _text(document, 100)
    if not document:
        raise RecruitmentError("文件名称：必须填写", "document")
    if issued_on and effective_on and effective_on < issued_on:
        raise RecruitmentError("施行日期：不能早于印发日期", "effective_on")
    rows = {r.code: r for r in ruleset.rules.all()}
    unknown = sorted(set(rules) - set(rows))
    if unknown:
        raise RecruitmentError(f"时限规则：“{unknown[0]}”不属于该规则集", "rules")
    for code, values in rules.items():
        row = rows[code]
        try:
            amount = int(values.get("amount"))
        except (TypeError, ValueError):
            raise RecruitmentError(f"{row.title}：数值必须是整数", f"{code}-amount") from None
        if amount < 1 or amount > 1000:
            raise RecruitmentError(f"{row.title}：数值应在 1–1000 之间", f"{code}-amount")
        unit = values.get("unit", row.unit)
        if unit not in timing.UNITS or (row.kind == "offset" and unit == "hours"):
            raise RecruitmentError(f"{row.title}：单位“{unit}”不适用于该规则", f"{code}-unit")
        alt_amount = values.get("alt_amount", row.alt_amount)
        if row.kind == "training":
            try:
                alt_amount = int(alt_amount) if alt_amount not in (None, "") else None
            except (TypeError, ValueError):
                raise RecruitmentError(f"{row.title}：“或”数值必须是整数", f"{code}-alt_amount") from None
        else:
            alt_amount = None
        article = _text(values.get("article", row.article), 100)
        if not article:
            raise RecruitmentError(f"{row.title}：条款必须填写", f"{code}-article")
        row.amount, row.unit, row.alt_amount, row.article = amount, unit, alt_amount, article
        row.alt_unit = _text(values.get("alt_unit", row.alt_unit), 16) if alt_amount else ""
        if row.alt_unit and row.alt_unit not in timing.UNITS:
            raise RecruitmentError(f"{row.title}：单位“{row.alt_unit}”无效", f"{code}-alt_unit")
    ruleset.document, ruleset.doc_number = document, _text(doc_number, 50)
    ruleset.issued_on, ruleset.effective_on, ruleset.note = issued_on, effective_on, str(note or "")
    if confirm and not ruleset.in_force:
        if not ruleset.effective_on:
            raise RecruitmentError("施行日期：确认生效前必须填写", "effective_on")
        if not ruleset.doc_number:
            raise RecruitmentError("文号：确认生效前必须填写", "doc_number")
        unentered = next((r for r in rows.values() if UNENTERED_ARTICLE in r.article), None)
        if unentered is not None:
            raise RecruitmentError(f"{unentered.title}：确认生效前须按正式文本录入条款", f"{unentered.code}-article")
        ruleset.in_force = True
        ruleset.confirmed_by = _user(actor)
        ruleset.confirmed_at = timezone.now()
    if ruleset.in_force and not ruleset.effective_on:
        raise RecruitmentError("施行日期：已生效的规则集必须有施行日期", "effective_on")
    clash = RuleSet.objects.filter(in_force=True, effective_on=ruleset.effective_on).exclude(pk=ruleset.pk)
    if ruleset.in_force and clash.exists():
        raise RecruitmentError(f"施行日期：与“{clash.first()}”相同，无法判断适用哪一版本", "effective_on")
    with acting(actor):
        for row in rows.values():
            row.save()
        ruleset.save()
    refresh_open_cases()
    return ruleset


def ruleset_rows(ruleset: RuleSet) -> list[TimingRule]:
    return list(ruleset.rules.order_by("position", "id"))
