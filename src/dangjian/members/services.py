"""Every write to the member ledger: checks, writes and audit in one transaction each."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from dangjian.core import crypto
from dangjian.core.audit import acting, record_access
from dangjian.core.idnumber import parse_id_number
from dangjian.core.phone import mask_phone, normalize_phone
from dangjian.core.pinyin import initials

from .models import (
    TRANSFER_DEFAULT_VALID_DAYS,
    TRANSFER_MAX_VALID_DAYS,
    ContactLog,
    Member,
    MobileStay,
    Transfer,
)
from .validation import date_problems


class MemberError(ValueError):
    """A write was refused; the message is Chinese and names the field."""


def set_id_number(member: Member, raw) -> None:
    """Validate `raw`, then store it encrypted with its blind index, masked form, birth date and gender."""
    parsed = parse_id_number(raw)
    member.id_number_enc = crypto.encrypt(parsed.value)
    member.id_number_index = crypto.blind_index(parsed.value)
    member.id_number_masked = parsed.masked
    member.birth_date = parsed.birth_date
    member.gender = parsed.gender


def set_phone(member: Member, raw) -> None:
    if raw in (None, ""):
        member.phone_enc = member.phone_masked = ""
        return
    value = normalize_phone(raw)
    member.phone_enc = crypto.encrypt(value)
    member.phone_masked = mask_phone(value)


def build_member(*, name: str, id_number, org, phone=None, **fields) -> Member:
    """An unsaved Member with every derived field set (encryption, index, masks, initials, org path)."""
    member = Member(name=name, org=org, org_path=org.path, name_initials=initials(name), **fields)
    set_id_number(member, id_number)
    set_phone(member, phone)
    return member


def find_by_id_number(raw, queryset=None):
    """Exact lookup through the blind index; None when the value is not a valid ID number."""
    try:
        value = parse_id_number(raw).value
    except ValueError:
        return None
    return (queryset if queryset is not None else Member.objects).filter(id_number_index=crypto.blind_index(value))


def _check_dates(member: Member, today: dt.date) -> None:
    problems = date_problems(birth_date=member.birth_date, status=member.status, joined_on=member.joined_on,
                             full_on=member.full_on, today=today)
    if problems:
        raise MemberError("；".join(f"{column}：{reason}" for column, reason in problems))


@transaction.atomic
def do_create_member(*, actor, name, id_number, org, phone=None, **fields) -> Member:
    member = build_member(name=name, id_number=id_number, org=org, phone=phone, **fields)
    _check_dates(member, timezone.localdate())
    if Member.objects.filter(id_number_index=member.id_number_index).exists():
        raise MemberError("公民身份号码已在党员名册中")
    with acting(actor):
        member.save()
    return member


@transaction.atomic
def do_update_member(*, actor, member: Member, **changes) -> Member:
    member = Member.objects.select_for_update().get(pk=member.pk)
    if "id_number" in changes:
        set_id_number(member, changes.pop("id_number"))
        clash = Member.objects.filter(id_number_index=member.id_number_index).exclude(pk=member.pk)
        if clash.exists():
            raise MemberError("公民身份号码已在党员名册中")
    if "phone" in changes:
        set_phone(member, changes.pop("phone"))
    if "org" in changes:
        if changes["org"].pk != member.org_id and Transfer.objects.open().filter(member=member).exists():
            raise MemberError("所在党组织：该党员有未办结的组织关系转接，请通过转接接收或撤销后再修改")
        member.org = changes.pop("org")
        member.org_path = member.org.path
    if "name" in changes:
        member.name_initials = initials(changes["name"])
    for key, value in changes.items():
        setattr(member, key, value)
    _check_dates(member, timezone.localdate())
    with acting(actor):
        member.save()
    return member


@transaction.atomic
def do_delete_member(*, actor, member: Member, reason: str) -> None:
    """Soft delete: the row stays for history; the ID number may be entered again afterwards."""
    if not reason.strip():
        raise MemberError("删除党员必须填写原因")
    member = Member.objects.select_for_update().get(pk=member.pk)
    member.deleted_at = timezone.now()
    member.deleted_reason = reason.strip()[:200]
    with acting(actor):
        member.save(update_fields=["deleted_at", "deleted_reason", "updated_at"])


def reveal_member(*, actor, member: Member) -> dict:
    """The plain ID number and phone of one member, for a user allowed to unmask; always audited."""
    if not Member.objects.restrict(actor, "unmask").filter(pk=member.pk).exists():
        raise PermissionError("您无权查看该党员的身份证号和电话明文")
    record_access("unmask", object_type="member", object_id=member.pk, object_repr=member.name, user=actor)
    return {"id_number": member._plain_id_number(), "phone": member._plain_phone()}


# ---- transfers (组织关系转接) ---------------------------------------------------------------------------------

TRANSFER_OUT_REASON = "转出"


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` months earlier, clamped to the month's end (31 Aug − 6 months → 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def kind_for(*, months_away: int | None, place_certain: bool = True) -> str:
    """The letter a move calls for (条例 Art 25): 介绍信 for 6 months or more, 证明信 for less, 流动党员活动证
    when the place or the time is uncertain (months_away None)."""
    if not place_certain or months_away is None:
        return Transfer.Kind.MOBILE_CARD
    return Transfer.Kind.INTRODUCTION if months_away >= 6 else Transfer.Kind.CERTIFICATE


def may_change_org(actor, org) -> bool:
    from dangjian.orgs.models import PartyOrg

    return actor is None or PartyOrg.objects.restrict(actor, "change").filter(pk=org.pk).exists()


def _may_change_member(actor, member) -> bool:
    return actor is None or Member.all_objects.restrict(actor, "change").filter(pk=member.pk).exists()


def _lock(transfer: Transfer) -> tuple[Member, Transfer]:
    """Lock the member row first (every transfer write for a member goes through it), then the transfer."""
    member = Member.all_objects.select_for_update().get(pk=transfer.member_id)
    transfer = Transfer.objects.select_for_update(of=("self",)).select_related("from_org", "to_org").get(pk=transfer.pk)
    return member, transfer


def _require_open(transfer: Transfer, verb: str) -> None:
    if transfer.status != Transfer.Status.ISSUED:
        raise MemberError(f"状态：该组织关系转接{transfer.get_status_display()}，不能{verb}")


def may_answer_transfer(actor, transfer: Transfer) -> bool:
    """The receiving side answers (receive or return); for an organisation outside the system, the sending side
    records the receipt slip (回执) or the refusal."""
    return may_change_org(actor, transfer.from_org if transfer.is_external else transfer.to_org)


@transaction.atomic
def do_issue_transfer(*, actor, member: Member, kind=Transfer.Kind.INTRODUCTION, to_org=None, to_org_name="",
                      issued_on: dt.date | None = None, valid_days=TRANSFER_DEFAULT_VALID_DAYS, letter_no="",
                      note="") -> Transfer:
    today = timezone.localdate()
    issued_on = issued_on or today
    to_org_name = (to_org_name or "").strip()
    if kind not in Transfer.Kind.values:
        raise MemberError(f"介绍信类型：“{kind}”不是有效的类型")
    try:
        valid_days = int(valid_days)
    except (TypeError, ValueError):
        raise MemberError("有效期：必须是天数") from None
    if valid_days < 1:
        raise MemberError("有效期：至少 1 天")
    if valid_days > TRANSFER_MAX_VALID_DAYS:
        raise MemberError(f"有效期：最长 {TRANSFER_MAX_VALID_DAYS} 天（3个月，中组发〔2004〕10号），不能为 {valid_days} 天")
    if issued_on > today:
        raise MemberError("开具日期：不能晚于今天")
    if (to_org is None) == (not to_org_name):
        raise MemberError("转入党组织：请选择系统内的党组织，或填写系统外党组织名称（二者只填其一）")
    member = Member.all_objects.select_for_update(of=("self",)).select_related("org").get(pk=member.pk)
    if member.deleted_at is not None:
        raise MemberError("党员：该党员已删除，不能开具介绍信")
    if not _may_change_member(actor, member):
        raise MemberError("党员：您无权为该党员办理组织关系转出")
    if to_org is not None and to_org.pk == member.org_id:
        raise MemberError(f"转入党组织：党员已在“{to_org.name}”，不能转入同一党组织")
    current = Transfer.objects.open().filter(member=member).first()
    if current is not None:
        raise MemberError(f"组织关系转接：该党员已有未办结的转接（转往“{current.destination}”，{current.issued_on:%Y-%m-%d} 开具）")
    transfer = Transfer(
        member=member, kind=kind, from_org=member.org, from_org_path=member.org.path, to_org=to_org,
        to_org_path=to_org.path if to_org is not None else "", to_org_name=to_org_name,
        letter_no=str(letter_no or "").strip()[:50], issued_on=issued_on, valid_days=valid_days,
        expires_on=issued_on + dt.timedelta(days=valid_days), note=str(note or "").strip()[:500],
    )  # fmt: skip
    try:
        with transaction.atomic(), acting(actor):
            transfer.save()
    except IntegrityError:
        raise MemberError("组织关系转接：该党员已有未办结的转接") from None
    return transfer


@transaction.atomic
def do_receive_transfer(*, actor, transfer: Transfer, received_on: dt.date | None = None) -> Transfer:
    """The receiving side records receipt: the member moves to to_org (or, out of the system, leaves the ledger
    with reason 转出) in this same transaction. A 流动党员活动证 keeps the membership where it is: the member
    joins 组织生活 at the destination and is marked mobile."""
    member, transfer = _lock(transfer)
    _require_open(transfer, "接收")
    if not may_answer_transfer(actor, transfer):
        raise MemberError("转入党组织：您无权接收转入该党组织的党员")
    received_on = received_on or timezone.localdate()
    if received_on > timezone.localdate():
        raise MemberError("接收日期：不能晚于今天")
    if received_on < transfer.issued_on:
        raise MemberError("接收日期：不能早于开具日期")
    if received_on > transfer.expires_on:
        raise MemberError(f"接收日期：介绍信已于 {transfer.expires_on:%Y-%m-%d} 过期，请退回并由转出党组织重新开具")
    if member.deleted_at is not None:
        raise MemberError("党员：该党员已删除，不能接收")
    if member.org_id != transfer.from_org_id:
        raise MemberError("转出党组织：党员已不在开具介绍信的党组织，不能接收")
    transfer.status = Transfer.Status.RECEIVED
    transfer.received_on = received_on
    with acting(actor):
        transfer.save()
        if transfer.kind == Transfer.Kind.MOBILE_CARD:
            if not MobileStay.objects.filter(member=member, returned_on__isnull=True).exists():
                MobileStay.objects.create(member=member, left_on=transfer.issued_on, destination=transfer.destination,
                                          reason="流动党员活动证")
            if not member.is_mobile:
                member.is_mobile = True
                member.save(update_fields=["is_mobile", "updated_at"])
        elif transfer.is_external:
            member.deleted_at = timezone.now()
            member.deleted_reason = TRANSFER_OUT_REASON
            member.save(update_fields=["deleted_at", "deleted_reason", "updated_at"])
        else:
            member.org = transfer.to_org
            member.org_path = transfer.to_org.path
            member.save(update_fields=["org", "org_path", "updated_at"])
    return transfer


@transaction.atomic
def do_return_transfer(*, actor, transfer: Transfer, reason: str) -> Transfer:
    """The receiving side refuses the letter (退回), with a reason; the member stays where they are."""
    reason = (reason or "").strip()
    if not reason:
        raise MemberError("退回原因：必须填写")
    member, transfer = _lock(transfer)
    _require_open(transfer, "退回")
    if not may_answer_transfer(actor, transfer):
        raise MemberError("转入党组织：您无权退回转入该党组织的介绍信")
    transfer.status = Transfer.Status.RETURNED
    transfer.closed_reason = reason[:200]
    with acting(actor):
        transfer.save()
    return transfer


@transaction.atomic
def do_cancel_transfer(*, actor, transfer: Transfer, reason: str = "") -> Transfer:
    """The sending side withdraws a letter not yet received (撤销)."""
    member, transfer = _lock(transfer)
    _require_open(transfer, "撤销")
    if not may_change_org(actor, transfer.from_org):
        raise MemberError("转出党组织：您无权撤销该党组织开具的介绍信")
    transfer.status = Transfer.Status.CANCELLED
    transfer.closed_reason = (reason or "").strip()[:200]
    with acting(actor):
        transfer.save()
    return transfer


@transaction.atomic
def do_expire_transfers(*, today: dt.date | None = None, actor=None) -> int:
    """Mark every letter past issued_on + valid_days and not received as expired; idempotent (a periodic job)."""
    today = today or timezone.localdate()
    count = 0
    for transfer in Transfer.objects.open().filter(expires_on__lt=today).order_by("pk"):
        member, transfer = _lock(transfer)
        if transfer.status != Transfer.Status.ISSUED:  # answered meanwhile
            continue
        transfer.status = Transfer.Status.EXPIRED
        with acting(actor):
            transfer.save(update_fields=["status", "updated_at"])
        count += 1
    return count


# ---- mobile members (流动党员) ---------------------------------------------------------------------------------

MOBILE_AFTER_MONTHS = 6  # away 6 months or more without a transfer → mobile member


def _live_member_for_change(actor, member: Member) -> Member:
    member = Member.all_objects.select_for_update().get(pk=member.pk)
    if member.deleted_at is not None:
        raise MemberError("党员：该党员已删除")
    if not _may_change_member(actor, member):
        raise MemberError("党员：您无权管理该党员")
    return member


@transaction.atomic
def do_record_contact(*, actor, member: Member, contacted_on: dt.date | None = None,
                      method=ContactLog.Method.PHONE, note="") -> ContactLog:
    contacted_on = contacted_on or timezone.localdate()
    if contacted_on > timezone.localdate():
        raise MemberError("联系日期：不能晚于今天")
    if method not in ContactLog.Method.values:
        raise MemberError(f"联系方式：“{method}”不是有效的方式")
    member = _live_member_for_change(actor, member)
    log = ContactLog(member=member, contacted_on=contacted_on, method=method, note=str(note or "").strip()[:500],
                     by=actor if getattr(actor, "is_authenticated", False) else None)
    with acting(actor):
        log.save()
    return log


def _sync_mobile_flag(member: Member, stay: MobileStay | None, today: dt.date) -> None:
    """is_mobile follows the open stay: set once it reaches 6 months, cleared when the member returns."""
    if stay is None or stay.returned_on is not None:
        mobile = False
    else:
        mobile = stay.left_on <= months_before(today, MOBILE_AFTER_MONTHS)
    if member.is_mobile != mobile:
        member.is_mobile = mobile
        member.save(update_fields=["is_mobile", "updated_at"])


@transaction.atomic
def do_start_mobile_stay(*, actor, member: Member, left_on: dt.date, destination: str, reason="",
                         today: dt.date | None = None) -> MobileStay:
    today = today or timezone.localdate()
    destination = (destination or "").strip()
    if left_on is None:
        raise MemberError("外出日期：必须填写")
    if left_on > today:
        raise MemberError("外出日期：不能晚于今天")
    if not destination:
        raise MemberError("外出地点：必须填写")
    member = _live_member_for_change(actor, member)
    if MobileStay.objects.filter(member=member, returned_on__isnull=True).exists():
        raise MemberError("外出日期：该党员已有未结束的外出记录")
    stay = MobileStay(member=member, left_on=left_on, destination=destination[:200], reason=str(reason or "")[:200])
    with acting(actor):
        stay.save()
        _sync_mobile_flag(member, stay, today)
    return stay


@transaction.atomic
def do_end_mobile_stay(*, actor, member: Member, returned_on: dt.date | None = None) -> MobileStay:
    returned_on = returned_on or timezone.localdate()
    if returned_on > timezone.localdate():
        raise MemberError("返回日期：不能晚于今天")
    member = _live_member_for_change(actor, member)
    stay = MobileStay.objects.select_for_update().filter(member=member, returned_on__isnull=True).first()
    if stay is None:
        raise MemberError("返回日期：该党员没有未结束的外出记录")
    if returned_on < stay.left_on:
        raise MemberError("返回日期：不能早于外出日期")
    stay.returned_on = returned_on
    with acting(actor):
        stay.save()
        _sync_mobile_flag(member, stay, returned_on)
    return stay


@transaction.atomic
def do_refresh_mobile_flags(*, today: dt.date | None = None, actor=None) -> int:
    """Mark as mobile every member whose open stay has reached 6 months; idempotent (a periodic job)."""
    today = today or timezone.localdate()
    due = Member.objects.filter(is_mobile=False, mobile_stays__returned_on__isnull=True,
                                mobile_stays__left_on__lte=months_before(today, MOBILE_AFTER_MONTHS))
    ids = set(due.values_list("pk", flat=True))
    count = 0
    with acting(actor):
        for member in Member.objects.select_for_update().filter(pk__in=ids, is_mobile=False):
            member.is_mobile = True
            member.save(update_fields=["is_mobile", "updated_at"])
            count += 1
    return count
