"""Two or more people acting on one assignment at the same moment, over real HTTP against a live server with
one database connection per request thread: exactly one succeeds, the others get 409 with a Chinese message,
and the event log holds exactly one event for the action.

On PostgreSQL this is pytest-django's live_server. The SQLite test database is in memory, and a live server
would share the test's single connection between all request threads (no concurrency, and unsafe); for SQLite
the test database is therefore copied to a file and served with a connection per thread and the project's own
SQLite options (WAL, BEGIN IMMEDIATE), as in production.
"""

import importlib
import json
import sqlite3
import threading
import urllib.error
import urllib.request

import pytest
from django.apps import apps as django_apps
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connections
from django.test.testcases import LiveServerThread

from dangjian.accounts.services import do_create_user, do_issue_token
from dangjian.tickets import services
from dangjian.tickets.models import Assignment, Ticket, TicketCategory, TicketEvent
from tests.factories import PASSWORD, build_county
from tests.tickets_helpers import GRID, HANZI

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 4  # fresh tickets per race: a lucky interleaving once is not enough


# ---- a live server with a database connection per request thread ----------------------------------------------
class _PerThreadServer(ThreadedWSGIServer):
    settings_dict = None

    def process_request_thread(self, request, client_address):
        from django.db import connections as thread_connections

        backend = type(connections["default"])
        thread_connections["default"] = backend(dict(self.settings_dict), "default")
        super().process_request_thread(request, client_address)


class _FileLiveServerThread(LiveServerThread):
    server_class = _PerThreadServer


@pytest.fixture
def base_url(request, transactional_db, tmp_path):
    default = connections["default"]
    if not (default.vendor == "sqlite" and default.is_in_memory_db()):
        yield request.getfixturevalue("live_server").url
        return
    path = tmp_path / "concurrency.sqlite3"
    default.ensure_connection()
    with sqlite3.connect(path) as target:
        default.connection.backup(target)
    target.close()
    file_settings = {**default.settings_dict, "NAME": str(path)}
    main = type(default)(dict(file_settings), "default")
    connections["default"] = main
    _PerThreadServer.settings_dict = file_settings
    from django.contrib.staticfiles.handlers import StaticFilesHandler

    thread = _FileLiveServerThread("127.0.0.1", StaticFilesHandler)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    try:
        assert main.vendor == "sqlite" and not main.is_in_memory_db()
        yield f"http://127.0.0.1:{thread.port}"
    finally:
        thread.terminate()
        main.close()
        connections["default"] = default


@pytest.fixture
def world(base_url):
    """The factory county (with the categories a flush of an earlier transactional test may have removed),
    four station handlers, and an API token per user."""
    if not TicketCategory.objects.exists():
        importlib.import_module("dangjian.tickets.migrations.0002_categories").load(django_apps, None)
    county = build_county()
    users = dict(county.users)
    for n in range(1, 5):
        users[f"station{n}"], _ = do_create_user(actor=None, username=f"station{n}", password=PASSWORD,
                                                 role="department_handler", scope_code="BM001-01")
    tokens = {name: do_issue_token(user=user) for name, user in users.items()}
    return base_url, users, tokens


def call(base, path, token, payload=None):
    request = urllib.request.Request(base + path, method="POST", data=json.dumps(payload or {}).encode(),
                                     headers={"Authorization": f"Token {token}",
                                              "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def race(base, calls):
    """Send every (path, token, payload) at the same moment, one thread each; the (status, body) in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, path, token, payload):
        barrier.wait()
        results[i] = call(base, path, token, payload)

    threads = [threading.Thread(target=run, args=(i, *c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert all(r is not None for r in results), results
    return results


def _dispatched(users):
    """A ticket dispatched to the station BM001-01 by the township."""
    ticket = services.do_report_ticket(actor=users["grid_worker"], title="井盖缺失", description="村口井盖缺失",
                                       category="0102", grid=GRID, source="grid_worker")
    services.do_register(actor=users["township_admin"], ticket=ticket)
    services.do_dispatch(actor=users["township_admin"], ticket=ticket, department="BM001-01")
    return ticket


def _one_winner(results):
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [409] * (len(results) - 1), results
    for status, body in results:
        if status == 409:
            assert HANZI.search(body["detail"]) and body["code"] == "conflict", body
    return next(body for status, body in results if status == 200)


def test_handlers_accepting_the_same_assignment_at_once(world):
    base, users, tokens = world
    for _ in range(ROUNDS):
        ticket = _dispatched(users)
        path = f"/api/v1/tickets/{ticket.pk}/accept/"
        results = race(base, [(path, tokens[f"station{n}"], {}) for n in range(1, 5)])
        winner = _one_winner(results)
        assert winner["status"] == "processing"
        a = Assignment.objects.get(ticket=ticket)
        assert a.status == "accepted"
        accepts = TicketEvent.objects.filter(ticket=ticket, kind="accept")
        assert accepts.count() == 1 and accepts.get().assignment_id == a.pk
        assert Ticket.objects.get(pk=ticket.pk).status == "processing"


def test_return_racing_accept(world):
    base, users, tokens = world
    outcomes = set()
    for _ in range(ROUNDS):
        ticket = _dispatched(users)
        base_path = f"/api/v1/tickets/{ticket.pk}/"
        calls = [(base_path + "accept/", tokens["station1"], {}),
                 (base_path + "return/", tokens["station2"], {"reason": "不属于本站职责"}),
                 (base_path + "accept/", tokens["station3"], {}),
                 (base_path + "return/", tokens["station4"], {"reason": "不属于本站职责"})]
        winner = _one_winner(race(base, calls))
        a = Assignment.objects.get(ticket=ticket)
        kinds = list(TicketEvent.objects.filter(ticket=ticket, kind__in=("accept", "return"))
                     .values_list("kind", flat=True))
        assert len(kinds) == 1, kinds
        outcomes.add(kinds[0])
        if kinds == ["accept"]:
            assert a.status == "accepted" and a.returned_at is None and winner["status"] == "processing"
        else:
            assert a.status == "returned" and a.accepted_at is None and winner["status"] == "registered"
            assert a.return_reason == "不属于本站职责"
    assert outcomes <= {"accept", "return"}


def test_verify_twice(world):
    base, users, tokens = world
    for passed in (True, True, False, True):
        ticket = _dispatched(users)
        services.do_accept(actor=users["station1"], ticket=ticket)
        services.do_resolve(actor=users["station1"], ticket=ticket, result="已补装井盖")
        path = f"/api/v1/tickets/{ticket.pk}/verify/"
        payload = {"passed": passed, "note": "核查"}
        winner = _one_winner(race(base, [(path, tokens["township_admin"], payload),
                                         (path, tokens["county_admin"], payload)]))
        kind = "close" if passed else "reopen"
        assert TicketEvent.objects.filter(ticket=ticket, kind__in=("close", "reopen")).count() == 1
        assert TicketEvent.objects.get(ticket=ticket, kind__in=("close", "reopen")).kind == kind
        ticket.refresh_from_db()
        assert ticket.status == winner["status"] == ("closed" if passed else "processing")
        a = Assignment.objects.get(ticket=ticket)
        assert (a.status, a.reopen_count) == (("closed", 0) if passed else ("accepted", 1))


def test_simultaneous_reports_get_distinct_consecutive_numbers(world):
    base, users, tokens = world
    payload = {"title": "路灯不亮", "description": "路灯不亮", "category": "0904", "grid": GRID}
    results = race(base, [("/api/v1/tickets/", tokens["grid_worker"], payload) for _ in range(6)])
    assert [status for status, _ in results] == [201] * 6, results
    numbers = sorted(body["number"] for _, body in results)
    day = numbers[0][:10]
    assert all(n.startswith(day) for n in numbers)
    assert [int(n[10:]) for n in numbers] == list(range(int(numbers[0][10:]), int(numbers[0][10:]) + 6))
    assert Ticket.objects.filter(number__in=numbers).count() == 6
    assert not Ticket.objects.filter(number__startswith="TMP").exists()
