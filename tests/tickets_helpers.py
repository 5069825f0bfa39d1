"""Shared helpers of the ticket tests: extra users and places around tests.factories.build_county(), tickets
driven to a given state through the services, and a snapshot of everything an action may change."""

import contextlib
import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass

import pytest

from dangjian.accounts.services import do_create_user
from dangjian.core.models import Notification
from dangjian.tickets import services
from dangjian.tickets.models import Assignment, Ticket, TicketEvent, TicketPhoto
from dangjian.units.models import Department
from tests.factories import PASSWORD, County

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
GRID = "369901001001001"
HANZI = re.compile(r"[\u4e00-\u9fff]")


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


T0 = local(2026, 3, 2, 9, 0)  # an ordinary Monday


@dataclass
class World:
    county: County
    users: dict
    water: Department  # BM002, a county department outside BM001's tree
    grid_b: object  # a grid in 河西镇, outside township_admin's command scope

    def __getitem__(self, role):
        return self.users[role]


def build_world(county: County) -> World:
    """The factory county plus: a station handler (BM001-01 only), a BM002 handler, 河西镇's admin and a grid there."""
    users = dict(county.users)
    water = Department.objects.add_root(dict(code="BM002", name="县水利局", kind="county", region=county.county))
    for username, role, scope in (("station_handler", "department_handler", "BM001-01"),
                                  ("water_handler", "department_handler", "BM002"),
                                  ("hexi_admin", "township_admin", "369901002")):
        users[username], _ = do_create_user(actor=None, username=username, password=PASSWORD, role=role,
                                            scope_code=scope)
    grid_b = type(county.village_b).objects.add_child(
        county.village_b, dict(division_code="369901002001001", name="柳林村一网格", level="grid", grid_kind="standard"))
    return World(county, users, water, grid_b)


def report(w: World, *, now=T0, actor=None, category="0102", grid=GRID, **kw) -> Ticket:
    return services.do_report_ticket(actor=actor or w["grid_worker"], title=kw.pop("title", "路边垃圾堆放"),
                                     description=kw.pop("description", "东风村村口垃圾三天未清运"),
                                     category=category, grid=grid, source=kw.pop("source", "grid_worker"),
                                     now=now, **kw)


STATES = ("reported", "rejected", "merged", "registered", "returned", "dispatched", "processing", "resolved",
          "closed")


def build(w: World, state: str, *, now=T0, **report_kw) -> Ticket:
    """A fresh ticket driven through the services to `state`; its lead goes to BM001-01 (the township's station).

    "returned" is a registered ticket whose only dispatch was returned."""
    admin, handler = w["township_admin"], w["department_handler"]
    ticket = report(w, now=now, **report_kw)
    step = dt.timedelta(minutes=10)
    if state == "reported":
        return _fresh(ticket)
    if state == "rejected":
        services.do_reject(actor=admin, ticket=ticket, reason="不属于受理范围", now=now + step)
        return _fresh(ticket)
    if state == "merged":
        target = report(w, now=now)
        services.do_merge(actor=admin, ticket=ticket, into=target.number, now=now + step)
        return _fresh(ticket)
    services.do_register(actor=admin, ticket=ticket, now=now + step)
    if state == "registered":
        return _fresh(ticket)
    services.do_dispatch(actor=admin, ticket=ticket, department="BM001-01", now=now + 2 * step)
    if state == "dispatched":
        return _fresh(ticket)
    if state == "returned":
        services.do_return(actor=handler, ticket=ticket, reason="不属于本站职责", now=now + 3 * step)
        return _fresh(ticket)
    services.do_accept(actor=handler, ticket=ticket, now=now + 3 * step)
    if state == "processing":
        return _fresh(ticket)
    services.do_resolve(actor=handler, ticket=ticket, result="已清运", now=now + 4 * step)
    if state == "resolved":
        return _fresh(ticket)
    services.do_verify(actor=admin, ticket=ticket, passed=True, now=now + 5 * step)
    assert state == "closed", state
    return _fresh(ticket)


def _fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def world_state():
    """Every row an action may write, to prove that a refusal changed nothing."""
    return (
        list(Ticket.objects.order_by("pk").values()),
        list(Assignment.objects.order_by("pk").values()),
        list(TicketEvent.objects.order_by("pk").values_list("pk", "ticket_id", "kind")),
        list(Notification.objects.order_by("pk").values_list("pk", "user_id", "key")),
        TicketPhoto.objects.count(),
    )


def refused(error, action, **kwargs):
    """Run `action(**kwargs)`, expect `error` with a Chinese message, and check that nothing changed."""
    before = world_state()
    with pytest.raises(error) as info:
        action(**kwargs)
    assert type(info.value) is error
    assert HANZI.search(info.value.message), info.value.message
    assert world_state() == before
    return info.value


@contextlib.contextmanager
def case(*label):
    """Name the case of a loop in the failure message."""
    try:
        yield
    except AssertionError as exc:
        raise AssertionError(f"{' / '.join(map(str, label))}: {exc}") from exc
    except Exception as exc:
        raise AssertionError(f"{' / '.join(map(str, label))}: {type(exc).__name__}: {exc}") from exc


def kinds(ticket) -> list[str]:
    return list(TicketEvent.objects.filter(ticket=ticket).order_by("at", "id").values_list("kind", flat=True))


def notified(user, key) -> bool:
    return Notification.objects.filter(user=user, key=key).exists()


# ---- real, tiny images ---------------------------------------------------------------------------------------
def png_bytes(width=2, height=2, rgb=(200, 30, 30)) -> bytes:
    """A valid RGB PNG, built with zlib (no imaging library needed)."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def jpeg_bytes() -> bytes:
    """A valid baseline JPEG: one 8×8 grey block (DC and AC tables with a single one-bit code each)."""
    segments = [
        b"\xff\xd8",  # SOI
        b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00",  # APP0
        b"\xff\xdb\x00\x43\x00" + b"\x01" * 64,  # DQT: table 0, all ones
        b"\xff\xc0\x00\x0b\x08\x00\x08\x00\x08\x01\x01\x11\x00",  # SOF0: 8 bits, 8×8, one component
        b"\xff\xc4\x00\x14\x00" + b"\x01" + b"\x00" * 15 + b"\x00",  # DHT DC 0: one code '0' → category 0
        b"\xff\xc4\x00\x14\x10" + b"\x01" + b"\x00" * 15 + b"\x00",  # DHT AC 0: one code '0' → EOB
        b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00",  # SOS
        b"\x3f",  # DC diff 0 ('0'), EOB ('0'), padded with ones
        b"\xff\xd9",  # EOI
    ]
    return b"".join(segments)
