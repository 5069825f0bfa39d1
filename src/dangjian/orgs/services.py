"""Every write to committees and terms: checks, writes and audit in one transaction each."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from dangjian.core.audit import acting
from dangjian.core.scope import user_scope
from dangjian.members.models import Member

from .models import TERM_CITATION, BranchCommittee, CommitteeSeat, PartyOrg, term_years_for

ROLE_LABELS = dict(CommitteeSeat.Role.choices)


class CommitteeError(ValueError):
    """A write was refused; the message is Chinese and names the field and the reason."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def _require_change(actor, org: PartyOrg) -> None:
    scope = user_scope(actor, "change")
    if not (scope.unrestricted or any(org.path.startswith(p) for p in scope.orgs)):
        raise CommitteeError(f"您不能维护“{org.name}”的委员会", "org")


def _check_date(value, label: str, field: str, today: dt.date) -> dt.date:
    if not isinstance(value, dt.date):
        raise CommitteeError(f"请填写{label}", field)
    if value > today:
        raise CommitteeError(f"{label}不能晚于今天", field)
    return value


def _eligible(org: PartyOrg, member: Member, field: str) -> None:
    """Only 正式党员 of the organisation or its subtree may hold a seat."""
    fresh = Member.objects.filter(pk=member.pk).values("org_path", "status").first()
    if fresh is None or not fresh["org_path"].startswith(org.path):
        raise CommitteeError(f"{member.name}不是“{org.name}”的党员，不能当选", field)
    if fresh["status"] != Member.Status.FULL:
        raise CommitteeError(f"{member.name}不是正式党员，不能当选委员会成员", field)


def _current(org: PartyOrg) -> BranchCommittee | None:
    return BranchCommittee.objects.filter(org=org, ended_on__isnull=True).first()


@transaction.atomic
def do_elect_committee(*, actor, org: PartyOrg, elected_on: dt.date, approved_on: dt.date, seats, today=None
                       ) -> BranchCommittee:
    """Record a (re-)election: the current committee ends on the election day, the new one starts with its seats
    (`seats` = [(member, role), …], exactly one secretary), and the organisation's secretary follows."""
    today = today or timezone.localdate()
    _require_change(actor, org)
    # The organisation's row lock serialises elections: the second one sees the first one's committee as current.
    org = PartyOrg.objects.select_for_update(of=("self",)).select_related("region").get(pk=org.pk)
    if org.kind == PartyOrg.Kind.GROUP:
        raise CommitteeError("党小组不设委员会", "org")
    if org.status != PartyOrg.Status.ACTIVE:
        raise CommitteeError(f"“{org.name}”已撤销，不能选举委员会", "org")
    _check_date(elected_on, "选举日期", "elected_on", today)
    _check_date(approved_on, "上级批复日期", "approved_on", today)
    if approved_on < elected_on:
        raise CommitteeError("上级批复日期不能早于选举日期", "approved_on")
    seats = list(seats or [])
    if not seats:
        raise CommitteeError("请填写当选的委员会成员", "seats")
    for member, role in seats:
        if role not in CommitteeSeat.Role.values:
            raise CommitteeError(f"{member.name}的职务“{role}”无效，应为书记、副书记或委员", "seats")
    secretaries = [m for m, role in seats if role == CommitteeSeat.Role.SECRETARY]
    if len(secretaries) != 1:
        raise CommitteeError(f"委员会应有且只有 1 名书记，现为 {len(secretaries)} 名", "seats")
    seen = set()
    for member, _role in seats:
        if member.pk in seen:
            raise CommitteeError(f"{member.name}重复填写，同一党员只能担任一个职务", "seats")
        seen.add(member.pk)
        _eligible(org, member, "seats")
    current = _current(org)
    if current is not None and elected_on <= current.elected_on:
        raise CommitteeError(f"选举日期应晚于本届委员会的选举日期（{current.elected_on:%Y-%m-%d}）", "elected_on")
    with acting(actor):
        if current is not None:
            current.ended_on = elected_on
            current.save(update_fields=["ended_on"])
        committee = BranchCommittee.objects.create(org=org, elected_on=elected_on, approved_on=approved_on,
                                                   term_years=term_years_for(org))
        for member, role in seats:
            CommitteeSeat.objects.create(committee=committee, member=member, role=role, elected_on=elected_on,
                                         approved_on=approved_on)
        org.secretary = secretaries[0]
        org.save(update_fields=["secretary"])
    return committee


@transaction.atomic
def do_postpone_term(*, actor, committee: BranchCommittee, postponed_to: dt.date, approved_on: dt.date,
                     document: str, today=None) -> BranchCommittee:
    """Record an upper-level-approved postponement of the re-election, at most 1 year beyond the normal end."""
    today = today or timezone.localdate()
    _require_change(actor, committee.org)
    committee = BranchCommittee.objects.select_for_update(of=("self",)).select_related("org").get(pk=committee.pk)
    if not committee.is_current:
        raise CommitteeError("该届委员会已换届，不能延期", "committee")
    if not isinstance(postponed_to, dt.date):
        raise CommitteeError("请填写延期换届日期", "postponed_to")
    if postponed_to <= committee.ends_on:
        raise CommitteeError(f"延期换届日期应晚于任期届满日期（{committee.ends_on:%Y-%m-%d}）", "postponed_to")
    if postponed_to > committee.postponement_limit:
        raise CommitteeError(f"延期换届日期不能晚于 {committee.postponement_limit:%Y-%m-%d}：延期一般不超过 1 年"
                             f"（{TERM_CITATION}）", "postponed_to")
    _check_date(approved_on, "延期批复日期", "approved_on", today)
    if approved_on < committee.elected_on:
        raise CommitteeError("延期批复日期不能早于本届委员会的选举日期", "approved_on")
    document = (document or "").strip()
    if not document:
        raise CommitteeError("请填写上级党组织同意延期的批复文号", "document")
    committee.postponed_to = postponed_to
    committee.postponement_approved_on = approved_on
    committee.postponement_document = document[:100]
    with acting(actor):
        committee.save(update_fields=["postponed_to", "postponement_approved_on", "postponement_document"])
    return committee


@transaction.atomic
def do_vacate_seat(*, actor, seat: CommitteeSeat, left_on: dt.date, reason: str, today=None) -> CommitteeSeat:
    """A member leaves the committee; the seat stays as a vacancy until a by-election fills it."""
    today = today or timezone.localdate()
    seat = CommitteeSeat.objects.select_for_update(of=("self",)).select_related("committee__org", "member").get(pk=seat.pk)
    org = seat.committee.org
    _require_change(actor, org)
    if not seat.committee.is_current:
        raise CommitteeError("该届委员会已换届，不能登记离任", "seat")
    if seat.left_on is not None:
        raise CommitteeError(f"{seat.member.name}已于 {seat.left_on:%Y-%m-%d} 离任", "seat")
    _check_date(left_on, "离任日期", "left_on", today)
    if left_on < seat.elected_on:
        raise CommitteeError(f"离任日期不能早于当选日期（{seat.elected_on:%Y-%m-%d}）", "left_on")
    reason = (reason or "").strip()
    if not reason:
        raise CommitteeError("请填写离任原因", "reason")
    seat.left_on = left_on
    seat.left_reason = reason[:200]
    with acting(actor):
        seat.save(update_fields=["left_on", "left_reason"])
        if seat.role == CommitteeSeat.Role.SECRETARY and org.secretary_id == seat.member_id:
            PartyOrg.objects.filter(pk=org.pk).update(secretary=None)
            org.secretary = None
    return seat


@transaction.atomic
def do_fill_seat(*, actor, committee: BranchCommittee, member: Member, role: str, elected_on: dt.date, today=None
                 ) -> CommitteeSeat:
    """A by-election (补选) fills a vacancy of the current committee, of the same role when there is one."""
    today = today or timezone.localdate()
    _require_change(actor, committee.org)
    committee = BranchCommittee.objects.select_for_update(of=("self",)).select_related("org").get(pk=committee.pk)
    org = committee.org
    if not committee.is_current:
        raise CommitteeError("该届委员会已换届，不能补选", "committee")
    if role not in CommitteeSeat.Role.values:
        raise CommitteeError(f"职务“{role}”无效，应为书记、副书记或委员", "role")
    _check_date(elected_on, "补选日期", "elected_on", today)
    if elected_on < committee.elected_on:
        raise CommitteeError(f"补选日期不能早于本届委员会的选举日期（{committee.elected_on:%Y-%m-%d}）", "elected_on")
    vacancies = list(committee.vacancies.order_by("left_on", "id"))
    if not vacancies:
        raise CommitteeError("本届委员会没有空缺职位，无需补选", "committee")
    vacancy = next((v for v in vacancies if v.role == role), vacancies[0])
    if role == CommitteeSeat.Role.SECRETARY and committee.open_seats.filter(role=role).exists():
        raise CommitteeError("委员会已有书记，不能再补选书记", "role")
    if committee.open_seats.filter(member=member).exists():
        raise CommitteeError(f"{member.name}已是本届委员会成员", "member")
    _eligible(org, member, "member")
    with acting(actor):
        seat = CommitteeSeat.objects.create(committee=committee, member=member, role=role, elected_on=elected_on,
                                            fills=vacancy)
        if role == CommitteeSeat.Role.SECRETARY:
            org.secretary = member
            org.save(update_fields=["secretary"])
    return seat
