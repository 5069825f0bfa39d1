"""The members part of `dangjian tick`: expire transfer letters past their validity, flag mobile members."""

from django.utils import timezone

from .services import do_expire_transfers, do_refresh_mobile_flags


def run_member_upkeep(now=None) -> dict:
    today = timezone.localdate(now) if now else timezone.localdate()
    return {"transfers_expired": do_expire_transfers(today=today),
            "members_flagged_mobile": do_refresh_mobile_flags(today=today)}
