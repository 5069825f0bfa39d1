"""Every write to the member ledger: checks, writes and audit in one transaction each."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from dangjian.core import crypto
from dangjian.core.audit import acting, record_access
from dangjian.core.idnumber import parse_id_number
from dangjian.core.phone import mask_phone, normalize_phone
from dangjian.core.pinyin import initials

from .models import Member
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
