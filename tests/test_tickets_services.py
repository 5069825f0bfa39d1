"""The work-order state machine through the services: every allowed and forbidden transition, the refusals
(wrong state → Conflict, wrong role → Forbidden, missing reason → Invalid) changing nothing, deadlines,
returns, extensions, whistles, merges, ratings, and a hypothesis state machine over random action sequences."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from dangjian.core import workdays
from dangjian.core.models import Notification
from dangjian.tickets import services
from dangjian.tickets.errors import Conflict, Forbidden, Invalid, TicketError
from dangjian.tickets.models import Assignment, Ticket, TicketCategory, TicketEvent, TicketPolicy
from tests.tickets_helpers import (
    STATES,
    T0,
    build,
    build_world,
    case,
    kinds,
    local,
    notified,
    refused,
    report,
    world_state,
)

H = dt.timedelta(hours=1)


@pytest.fixture
def w(county):
    return build_world(county)


@pytest.fixture(autouse=True)
def _fresh_calendar():
    workdays.forget_entries()
    yield
    workdays.forget_entries()


# ---- the transition matrix ---------------------------------------------------------------------------------
def _call(w, action, ticket, now):
    """`action` on `ticket` by its proper actor with a valid payload (a merge target is reported right away)."""
    admin, handler = w["township_admin"], w["department_handler"]
    into = report(w, now=T0).number if action == "merge" else None
    calls = {
        "register": lambda: services.do_register(actor=admin, ticket=ticket, now=now),
        "reject": lambda: services.do_reject(actor=admin, ticket=ticket, reason="重复上报", now=now),
        "dispatch": lambda: services.do_dispatch(actor=admin, ticket=ticket, department="BM001-01", now=now),
        "verify": lambda: services.do_verify(actor=admin, ticket=ticket, passed=True, now=now),
        "whistle": lambda: services.do_whistle(actor=admin, ticket=ticket, departments=["BM001"],
                                               reason="需要住建局到场", now=now),
        "merge": lambda: services.do_merge(actor=admin, ticket=ticket, into=into, now=now),
        "approve_extension": lambda: services.do_approve_extension(actor=admin, ticket=ticket, now=now),
        "rate": lambda: services.do_rate(actor=w["grid_worker"], ticket=ticket, satisfaction="satisfied", now=now),
        "accept": lambda: services.do_accept(actor=handler, ticket=ticket, now=now),
        "return": lambda: services.do_return(actor=handler, ticket=ticket, reason="不属于本站职责", now=now),
        "extend": lambda: services.do_extend(actor=handler, ticket=ticket, days=2, reason="需协调", now=now),
        "resolve": lambda: services.do_resolve(actor=handler, ticket=ticket, result="已清运", now=now),
        "respond": lambda: services.do_respond(actor=handler, ticket=ticket, note="已到场", now=now),
    }
    return calls[action]


# action → ({allowed state: (resulting status, event kind)}, {refused state: error}); every other state → Conflict
NO_ASSIGNMENT = {"reported": Forbidden, "rejected": Forbidden, "merged": Forbidden, "registered": Forbidden}
MATRIX = {
    "register": ({"reported": ("registered", "register")}, {}),
    "reject": ({"reported": ("rejected", "reject")}, {}),
    "dispatch": ({"registered": ("dispatched", "dispatch"), "returned": ("dispatched", "dispatch")}, {}),
    "verify": ({"resolved": ("closed", "close")}, {}),
    "whistle": ({"registered": ("registered", "whistle"), "returned": ("registered", "whistle"),
                 "dispatched": ("dispatched", "whistle"), "processing": ("processing", "whistle")}, {}),
    "merge": ({"reported": ("merged", "merge"), "registered": ("merged", "merge"), "returned": ("merged", "merge")},
              {}),
    "approve_extension": ({}, {}),  # nothing to approve in any of these states
    "rate": ({"closed": ("closed", "rate")}, {}),
    "accept": ({"dispatched": ("processing", "accept")}, NO_ASSIGNMENT),
    "return": ({"dispatched": ("registered", "return")}, NO_ASSIGNMENT),
    "extend": ({"processing": ("processing", "extend")}, NO_ASSIGNMENT),
    "resolve": ({"processing": ("resolved", "resolve")}, NO_ASSIGNMENT),
    "respond": ({}, dict.fromkeys(STATES, Forbidden)),  # no whistle: no assignment of the handler's to report to
}


@pytest.mark.parametrize("action", list(MATRIX))
def test_transition_matrix(w, action):
    """`action` by its proper actor from each state: allowed → the new status and one event; else the refusal."""
    allowed, errors = MATRIX[action]
    for state in STATES:
        with case(action, state):
            ticket = build(w, state)
            now = T0 + H
            if state in allowed:
                status, kind = allowed[state]
                events_before = TicketEvent.objects.filter(ticket=ticket).count()
                _call(w, action, ticket, now)()
                ticket.refresh_from_db()
                assert ticket.status == status
                after = kinds(ticket)
                assert len(after) == events_before + 1 and after[-1] == kind
                assert TicketEvent.objects.filter(ticket=ticket).order_by("-id").first().at == now
            else:
                refused(errors.get(state, Conflict), _call(w, action, ticket, now))


def test_every_action_is_in_the_matrix():
    assert set(MATRIX) == set(services.ACTIONS)


# ---- wrong role ---------------------------------------------------------------------------------------------
COMMAND_ACTIONS = {
    "register": ("reported", {}),
    "reject": ("reported", {"reason": "重复上报"}),
    "dispatch": ("registered", {"department": "BM001-01"}),
    "verify": ("resolved", {"passed": True}),
    "whistle": ("processing", {"departments": ["BM001"], "reason": "需要住建局到场"}),
}


@pytest.mark.parametrize("action", list(COMMAND_ACTIONS))
def test_command_actions_refuse_other_roles(w, action):
    state, payload = COMMAND_ACTIONS[action]
    ticket = build(w, state)
    for role in ("grid_worker", "resident", "member", "branch_secretary", "department_handler", "station_handler",
                 "hexi_admin"):
        with case(action, role):
            error = refused(Forbidden, services.ACTIONS[action], actor=w[role], ticket=ticket, now=T0 + H, **payload)
            assert "指挥中心" in error.message
    services.ACTIONS[action](actor=w["township_admin"], ticket=ticket, now=T0 + H, **payload)  # the proper one


def test_merge_and_approve_extension_refuse_other_roles(w):
    ticket, target = build(w, "reported"), build(w, "reported")
    extended = build(w, "processing")
    services.do_extend(actor=w["department_handler"], ticket=extended, days=1, reason="需协调", now=T0 + H)
    for role in ("grid_worker", "resident", "department_handler", "hexi_admin"):
        with case(role):
            refused(Forbidden, services.do_merge, actor=w[role], ticket=ticket, into=target.number)
            refused(Forbidden, services.do_approve_extension, actor=w[role], ticket=extended)
    services.do_merge(actor=w["township_admin"], ticket=ticket, into=target.number, now=T0 + H)
    services.do_approve_extension(actor=w["township_admin"], ticket=extended, now=T0 + H)


HANDLER_ACTIONS = {
    "accept": ("dispatched", {}),
    "return": ("dispatched", {"reason": "不属于本站职责"}),
    "extend": ("processing", {"days": 1, "reason": "需协调"}),
    "resolve": ("processing", {"result": "已清运"}),
}


@pytest.mark.parametrize("action", list(HANDLER_ACTIONS))
def test_handler_actions_refuse_other_roles(w, action):
    state, payload = HANDLER_ACTIONS[action]
    ticket = build(w, state)
    for role in ("township_admin", "county_admin", "grid_worker", "resident", "water_handler"):
        with case(action, role):
            error = refused(Forbidden, services.ACTIONS[action], actor=w[role], ticket=ticket, now=T0 + H, **payload)
            assert "没有派给您所在的部门" in error.message
    services.ACTIONS[action](actor=w["station_handler"], ticket=ticket, now=T0 + H, **payload)  # the proper one


def test_a_station_handler_cannot_act_on_the_county_departments_dispatch(w):
    ticket = build(w, "registered")
    a = services.do_dispatch(actor=w["county_admin"], ticket=ticket, department="BM001", now=T0 + H)
    station = w["station_handler"]
    refused(Forbidden, services.do_accept, actor=station, ticket=ticket, now=T0 + 2 * H)
    refused(Forbidden, services.do_accept, actor=station, ticket=ticket, assignment=a.pk, now=T0 + 2 * H)
    # the county department's handler (BM001 and its stations) may
    services.do_accept(actor=w["department_handler"], ticket=ticket, assignment=a.pk, now=T0 + 2 * H)
    # and the station handler handles its own station's dispatches
    other = build(w, "dispatched")
    services.do_accept(actor=station, ticket=other, now=T0 + 2 * H)
    assert Ticket.objects.get(pk=other.pk).status == "processing"


def test_a_handler_naming_another_departments_assignment_is_refused(w):
    ticket = build(w, "dispatched")
    assist = services.do_dispatch(actor=w["county_admin"], ticket=ticket, department="BM002", role="assist",
                                  now=T0 + H)
    lead = ticket.assignments.get(role="lead")
    refused(Forbidden, services.do_accept, actor=w["department_handler"], ticket=ticket, assignment=assist.pk)
    refused(Forbidden, services.do_accept, actor=w["water_handler"], ticket=ticket, assignment=lead.pk)
    services.do_accept(actor=w["water_handler"], ticket=ticket, assignment=assist.pk, now=T0 + 2 * H)
    assert Ticket.objects.get(pk=ticket.pk).status == "dispatched"  # the ticket follows its lead only


def test_rate_refuses_anyone_but_the_reporter_and_the_command_center(w):
    ticket = build(w, "closed")
    for role in ("department_handler", "resident", "hexi_admin", "branch_secretary", "member"):
        with case(role):
            error = refused(Forbidden, services.do_rate, actor=w[role], ticket=ticket, satisfaction="satisfied")
            assert "上报人" in error.message


@pytest.mark.parametrize("role", ["grid_worker", "county_admin"])
def test_rate_by_the_reporter_or_the_command_center_once(w, role):
    ticket = build(w, "closed")
    services.do_rate(actor=w[role], ticket=ticket, satisfaction="basically_satisfied", note="回访", now=T0 + H)
    ticket.refresh_from_db()
    assert ticket.satisfaction == "basically_satisfied"
    assert ticket.assignments.get(role="lead").satisfaction == "basically_satisfied"
    event = ticket.events.get(kind="rate")
    assert event.actor == w[role] and event.data == {"satisfaction": "basically_satisfied"}
    for again in ("grid_worker", "township_admin"):
        error = refused(Conflict, services.do_rate, actor=w[again], ticket=ticket, satisfaction="dissatisfied")
        assert "已评价为“基本满意”" in error.message


def test_rate_refuses_an_unknown_satisfaction(w):
    ticket = build(w, "closed")
    for value in ("", "good", None, "满意"):
        refused(Invalid, services.do_rate, actor=w["grid_worker"], ticket=ticket, satisfaction=value)


# ---- missing reasons --------------------------------------------------------------------------------------------
REASONS = [
    ("reject", "reported", "township_admin", "reason", {}),
    ("return", "dispatched", "department_handler", "reason", {}),
    ("extend", "processing", "department_handler", "reason", {"days": 1}),
    ("resolve", "processing", "department_handler", "result", {}),
    ("whistle", "processing", "township_admin", "reason", {"departments": ["BM001"]}),
    ("verify", "resolved", "township_admin", "note", {"passed": False}),
]


@pytest.mark.parametrize(("action", "state", "role", "field", "payload"), REASONS)
def test_missing_reason_is_invalid_and_changes_nothing(w, action, state, role, field, payload):
    ticket = build(w, state)
    for blank in (None, "", "   \n\t"):
        with case(action, repr(blank)):
            error = refused(Invalid, services.ACTIONS[action], actor=w[role], ticket=ticket, now=T0 + H,
                            **{field: blank}, **payload)
            assert error.field == field and "请填写" in error.message


@pytest.mark.parametrize(("action", "state", "role", "field", "payload"),
                         [r for r in REASONS if r[3] != "result"])
def test_a_reason_over_500_characters_is_invalid(w, action, state, role, field, payload):
    ticket = build(w, state)
    error = refused(Invalid, services.ACTIONS[action], actor=w[role], ticket=ticket, now=T0 + H,
                    **{field: "理" * 501}, **payload)
    assert error.field == field and "500" in error.message
    services.ACTIONS[action](actor=w[role], ticket=ticket, now=T0 + H, **{field: "理" * 500}, **payload)


def test_respond_needs_a_note(w):
    ticket = build(w, "processing")
    services.do_whistle(actor=w["township_admin"], ticket=ticket, departments=["BM001"], reason="需要到场")
    for blank in (None, "", "  "):
        error = refused(Invalid, services.do_respond, actor=w["department_handler"], ticket=ticket, note=blank)
        assert error.field == "note"


def test_verify_needs_a_boolean(w):
    ticket = build(w, "resolved")
    for value in (None, "true", 1, "yes"):
        error = refused(Invalid, services.do_verify, actor=w["township_admin"], ticket=ticket, passed=value)
        assert error.field == "passed"


# ---- reporting ------------------------------------------------------------------------------------------------
def test_report_numbers_restart_every_day(w):
    first, second = report(w, now=T0), report(w, now=T0 + H)
    third = report(w, now=local(2026, 3, 3, 0, 0, 1))
    late = report(w, now=local(2026, 3, 3, 23, 59))
    early = report(w, now=local(2026, 3, 4, 7, 0))  # still the 3rd in UTC: the number takes the local day
    assert [t.number for t in (first, second, third, late, early)] == [
        "GD202603020001", "GD202603020002", "GD202603030001", "GD202603030002", "GD202603040001"]
    assert first.status == "reported" and first.region_path == w.county.grid_a.path
    assert first.reporter == w["grid_worker"] and first.created_at == T0 and first.occurred_at == T0
    assert kinds(first) == ["report"]
    for admin in ("township_admin", "county_admin"):
        assert notified(w[admin], f"ticket:{first.pk}:reported")


REPORT_ERRORS = [
    ({"title": " "}, "title"),
    ({"title": "长" * 101}, "title"),
    ({"description": ""}, "description"),
    ({"category": "01"}, "category"),  # a 大类
    ({"category": "9999"}, "category"),
    ({"grid": "369901001001"}, "grid"),  # a village, not a grid
    ({"grid": "000000"}, "grid"),
    ({"source": "wechat"}, "source"),
    ({"lat": "abc", "lng": "117.1"}, "lat"),
    ({"lat": "91", "lng": "117.1"}, "lat"),
    ({"lat": "36.6", "lng": "181"}, "lng"),
    ({"lat": "36.6"}, "lng"),
    ({"occurred_at": T0 + H}, "occurred_at"),
]


def test_report_validation(w):
    for kwargs, field in REPORT_ERRORS:
        with case(kwargs):
            error = refused(Invalid, report, w=w, **kwargs)
            assert error.field == field


def test_report_refuses_a_grid_outside_the_reporters_scope_and_an_inactive_category(w):
    refused(Forbidden, report, w=w, grid="369901002001001")  # the grid worker's grid is in 城关镇
    report(w, actor=w["hexi_admin"], grid="369901002001001")
    TicketCategory.objects.filter(code="0103").update(is_active=False)
    refused(Invalid, report, w=w, category="0103")


def test_report_keeps_coordinates_and_the_occurrence_time(w):
    ticket = report(w, lat="36.651216", lng="117.120095", address="村口", occurred_at=T0 - 3 * H, urgent=True)
    ticket.refresh_from_db()
    assert (str(ticket.lat), str(ticket.lng), ticket.urgent) == ("36.651216", "117.120095", True)
    assert ticket.occurred_at == T0 - 3 * H and ticket.address == "村口"


# ---- register, reject, dispatch ---------------------------------------------------------------------------------
def test_register_may_change_the_category_and_urgency(w):
    ticket = report(w)
    services.do_register(actor=w["county_admin"], ticket=ticket, category="0503", urgent=True, note="燃气泄漏",
                         now=T0 + H)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.category.code, ticket.urgent, ticket.registered_at) == (
        "registered", "0503", True, T0 + H)
    refused(Invalid, services.do_register, actor=w["county_admin"], ticket=report(w), category="05")


def test_reject_informs_the_reporter(w):
    ticket = report(w, actor=w["resident"])
    services.do_reject(actor=w["township_admin"], ticket=ticket, reason="非本辖区事项", now=T0 + H)
    ticket.refresh_from_db()
    assert ticket.status == "rejected" and ticket.closed_at == T0 + H
    note = Notification.objects.get(user=w["resident"], key=f"ticket:{ticket.pk}:rejected")
    assert note.body == "非本辖区事项" and note.level == "warning"


def test_dispatch_scope_of_the_township_and_the_county(w):
    ticket = build(w, "registered")
    township, county = w["township_admin"], w["county_admin"]
    error = refused(Forbidden, services.do_dispatch, actor=township, ticket=ticket, department="BM001")
    assert "吹哨" in error.message
    refused(Forbidden, services.do_dispatch, actor=township, ticket=ticket, department="BM002", role="assist")
    refused(Invalid, services.do_dispatch, actor=township, ticket=ticket, department="BM999")
    refused(Invalid, services.do_dispatch, actor=township, ticket=ticket, department="BM001-01", role="owner")
    lead = services.do_dispatch(actor=county, ticket=ticket, department="BM001", now=T0 + H)
    # one active lead at a time, and one active dispatch per department
    refused(Conflict, services.do_dispatch, actor=township, ticket=ticket, department="BM001-01")
    refused(Conflict, services.do_dispatch, actor=county, ticket=ticket, department="BM001", role="assist")
    assist = services.do_dispatch(actor=township, ticket=ticket, department="BM001-01", role="assist", now=T0 + H)
    assert (lead.role, assist.role, lead.status, assist.status) == ("lead", "assist", "pending", "pending")
    assert lead.dispatched_by == county and lead.department_path == w.county.department.path
    assert (lead.region_path, lead.grid_id, lead.category_id, lead.source) == (
        ticket.region_path, ticket.grid_id, ticket.category_id, ticket.source)
    event = ticket.events.get(kind="dispatch", assignment=lead)
    assert (event.data["department"], event.data["role"]) == ("BM001", "lead")
    assert dt.datetime.fromisoformat(event.data["deadline"]) == lead.deadline
    assert notified(w["department_handler"], f"assignment:{lead.pk}:dispatched")
    assert not notified(w["station_handler"], f"assignment:{lead.pk}:dispatched")
    assert notified(w["station_handler"], f"assignment:{assist.pk}:dispatched")


def test_an_assist_alone_leaves_the_ticket_waiting_for_its_lead(w):
    ticket = build(w, "registered")
    services.do_dispatch(actor=w["county_admin"], ticket=ticket, department="BM001", role="assist", now=T0 + H)
    ticket.refresh_from_db()
    assert ticket.status == "registered" and ticket.deadline is None
    services.do_dispatch(actor=w["county_admin"], ticket=ticket, department="BM001-01", now=T0 + H)
    ticket.refresh_from_db()
    assert ticket.status == "dispatched"


# ---- deadlines ---------------------------------------------------------------------------------------------------
def _dispatch(w, *, now, category="0102", urgent=False, department="BM001-01"):
    ticket = report(w, now=now - H, category=category, urgent=urgent)
    services.do_register(actor=w["county_admin"], ticket=ticket, now=now - H / 2)
    a = services.do_dispatch(actor=w["county_admin"], ticket=ticket, department=department, now=now)
    ticket.refresh_from_db()
    assert ticket.deadline == a.deadline
    return a


def test_working_day_deadlines_from_the_category(w):
    a = _dispatch(w, now=T0)  # 0102 暴露垃圾: 2 working days
    assert a.deadline == local(2026, 3, 4, 23, 59, 59)
    assert a.response_deadline == local(2026, 3, 3, 23, 59, 59)  # the policy: 1 working day to accept
    friday = _dispatch(w, now=local(2026, 3, 6, 16, 0), category="0701")  # 宅基地纠纷: 10 working days
    assert friday.deadline == local(2026, 3, 20, 23, 59, 59)
    assert friday.response_deadline == local(2026, 3, 9, 23, 59, 59)


def test_deadlines_across_the_2026_spring_festival(w):
    a = _dispatch(w, now=local(2026, 2, 13, 10, 0))  # Friday before the holiday
    assert a.response_deadline == local(2026, 2, 14, 23, 59, 59)  # the make-up Saturday
    assert a.deadline == local(2026, 2, 24, 23, 59, 59)
    inside = _dispatch(w, now=local(2026, 2, 18, 10, 0), category="0101")  # 5 working days, dispatched in the holiday
    assert inside.response_deadline == local(2026, 2, 24, 23, 59, 59)
    assert inside.deadline == local(2026, 2, 28, 23, 59, 59)  # 24, 25, 26, 27 and the make-up Saturday


def test_urgent_tickets_get_hour_deadlines(w):
    start = local(2026, 2, 16, 22, 0)  # in the Spring Festival: clock hours do not stop for holidays
    a = _dispatch(w, now=start, urgent=True)
    policy = TicketPolicy.current()
    assert a.response_deadline == start + policy.urgent_response_hours * H == local(2026, 2, 17, 0, 0)
    assert a.deadline == start + policy.urgent_finish_hours * H == local(2026, 2, 17, 22, 0)
    fire = _dispatch(w, now=start, urgent=True, category="0507")  # 火灾: 2 hours, shorter than the urgent 24
    assert fire.deadline == fire.response_deadline == start + 2 * H
    policy.urgent_finish_hours, policy.urgent_response_hours = 6, 1
    policy.save()
    b = _dispatch(w, now=start, urgent=True)
    assert (b.response_deadline, b.deadline) == (start + H, start + 6 * H)


def test_register_can_make_a_ticket_urgent(w):
    ticket = report(w)
    services.do_register(actor=w["township_admin"], ticket=ticket, urgent=True, now=T0)
    a = services.do_dispatch(actor=w["township_admin"], ticket=ticket, department="BM001-01", now=T0)
    assert (a.response_deadline, a.deadline) == (T0 + 2 * H, T0 + 24 * H)


def test_categories_with_an_hours_unit(w):
    gas = _dispatch(w, now=T0, category="0503")  # 燃气管道泄漏: 12 hours
    assert gas.deadline == T0 + 12 * H
    assert gas.response_deadline == T0 + 12 * H  # the earlier of the finish deadline and one working day
    water = _dispatch(w, now=local(2026, 3, 6, 9, 0), category="0502")  # 24 hours from a Friday morning
    assert water.deadline == local(2026, 3, 7, 9, 0)  # Saturday: hours ignore weekends
    assert water.response_deadline == water.deadline  # earlier than Monday 23:59:59, one working day later
    category = TicketCategory.objects.get(code="0102")
    category.time_unit, category.time_limit = "hours", 5
    category.save()
    assert _dispatch(w, now=T0).deadline == T0 + 5 * H


def test_a_category_without_a_limit_uses_the_policy(w):
    TicketCategory.objects.filter(code="0102").update(time_limit=0)
    policy = TicketPolicy.current()
    policy.finish_workdays, policy.response_workdays = 3, 2
    policy.save()
    a = _dispatch(w, now=T0)
    assert a.deadline == local(2026, 3, 5, 23, 59, 59)
    assert a.response_deadline == local(2026, 3, 4, 23, 59, 59)


def test_a_calendar_entry_moves_deadlines(w):
    from dangjian.core.models import CalendarDay

    CalendarDay.objects.create(date=dt.date(2026, 3, 3), is_workday=False, name="临时停工")
    a = _dispatch(w, now=T0)
    assert a.response_deadline == local(2026, 3, 4, 23, 59, 59)
    assert a.deadline == local(2026, 3, 5, 23, 59, 59)


# ---- accept and return ---------------------------------------------------------------------------------------
def test_accept(w):
    ticket = build(w, "dispatched")
    a = services.do_accept(actor=w["station_handler"], ticket=ticket, note="马上处理", now=T0 + H)
    ticket.refresh_from_db()
    assert (a.status, a.accepted_at, ticket.status, ticket.deadline) == ("accepted", T0 + H, "processing", a.deadline)
    error = refused(Conflict, services.do_accept, actor=w["department_handler"], ticket=ticket)
    assert "办理中" in error.message


RETURN_WINDOWS = [
    (local(2026, 3, 2, 9), local(2026, 3, 2, 18), True),  # same day
    (local(2026, 3, 2, 9), local(2026, 3, 4, 23, 59), True),  # 2 working days
    (local(2026, 3, 2, 9), local(2026, 3, 5, 0, 1), False),  # 3 working days
    (local(2026, 3, 6, 17), local(2026, 3, 10, 23), True),  # Friday → Tuesday: Mon, Tue
    (local(2026, 3, 6, 17), local(2026, 3, 11, 8), False),
    (local(2026, 2, 13, 10), local(2026, 2, 24, 17), True),  # across the Spring Festival: the 14th and the 24th
    (local(2026, 2, 13, 10), local(2026, 2, 25, 9), False),
    (local(2026, 9, 30, 10), local(2026, 10, 9, 17), True),  # National Day: 8 and 9 October
    (local(2026, 9, 30, 10), local(2026, 10, 10, 9), False),  # the make-up Saturday is the third
]


def test_return_is_allowed_within_two_working_days(w):
    for dispatched, returned, allowed in RETURN_WINDOWS:
        with case(dispatched, returned):
            _check_return_window(w, dispatched, returned, allowed)


def _check_return_window(w, dispatched, returned, allowed):
    ticket = build(w, "registered", now=dispatched - H)
    a = services.do_dispatch(actor=w["township_admin"], ticket=ticket, department="BM001-01", now=dispatched)
    if not allowed:
        error = refused(Conflict, services.do_return, actor=w["department_handler"], ticket=ticket,
                        reason="不属于本站职责", now=returned)
        assert "超过 2 个工作日的退回时限" in error.message
        return
    services.do_return(actor=w["department_handler"], ticket=ticket, reason="不属于本站职责", now=returned)
    a.refresh_from_db()
    ticket.refresh_from_db()
    assert (a.status, a.returned_at, a.return_reason) == ("returned", returned, "不属于本站职责")
    assert (ticket.status, ticket.deadline) == ("registered", None)
    event = ticket.events.get(kind="return")
    assert (event.assignment_id, event.note, event.actor) == (a.pk, "不属于本站职责", w["department_handler"])
    for admin in ("township_admin", "county_admin"):
        assert notified(w[admin], f"assignment:{a.pk}:returned")
    assert not notified(w["hexi_admin"], f"assignment:{a.pk}:returned")


def test_the_return_window_follows_the_policy(w):
    policy = TicketPolicy.current()
    policy.return_workdays = 0
    policy.save()
    ticket = build(w, "dispatched")
    refused(Conflict, services.do_return, actor=w["department_handler"], ticket=ticket, reason="不归我们管",
            now=local(2026, 3, 3, 9))
    services.do_return(actor=w["department_handler"], ticket=ticket, reason="不归我们管", now=local(2026, 3, 2, 23))


def test_a_returned_ticket_is_dispatched_again_and_counts_twice(w):
    ticket = build(w, "returned")
    refused(Conflict, services.do_accept, actor=w["department_handler"], ticket=ticket)
    second = services.do_dispatch(actor=w["county_admin"], ticket=ticket, department="BM001", now=T0 + H)
    ticket.refresh_from_db()
    assert ticket.status == "dispatched" and ticket.deadline == second.deadline
    services.do_accept(actor=w["department_handler"], ticket=ticket, now=T0 + 2 * H)
    assert sorted(ticket.assignments.values_list("status", flat=True)) == ["accepted", "returned"]
    assert kinds(ticket).count("dispatch") == 2


def test_after_a_return_the_same_department_may_be_dispatched_again(w):
    ticket = build(w, "returned")
    services.do_dispatch(actor=w["township_admin"], ticket=ticket, department="BM001-01", now=T0 + H)
    assert ticket.assignments.filter(department__code="BM001-01").count() == 2


# ---- extensions -----------------------------------------------------------------------------------------------
def test_extension_request_approval_and_limit(w):
    ticket = build(w, "processing")
    handler, admin = w["department_handler"], w["township_admin"]
    a = ticket.assignments.get()
    original = a.deadline
    assert original == local(2026, 3, 4, 23, 59, 59)
    refused(Conflict, services.do_approve_extension, actor=admin, ticket=ticket)  # nothing requested
    for days in ("abc", None, 0, -1):
        refused(Invalid, services.do_extend, actor=handler, ticket=ticket, days=days, reason="需协调")
    error = refused(Invalid, services.do_extend, actor=handler, ticket=ticket, days=6, reason="需协调")
    assert "累计延期不能超过 5 个工作日" in error.message and error.field == "days"
    services.do_extend(actor=handler, ticket=ticket, days="3", reason="需协调产权单位", now=T0 + H)
    a.refresh_from_db()
    assert (a.requested_days, a.extension_reason, a.extension_days, a.deadline) == (3, "需协调产权单位", 0, original)
    assert ticket.events.get(kind="extend").data == {"days": 3}
    assert notified(admin, f"assignment:{a.pk}:extend:{(T0 + H).timestamp()}")
    error = refused(Conflict, services.do_extend, actor=handler, ticket=ticket, days=1, reason="再延")
    assert "待审批" in error.message
    services.do_approve_extension(actor=admin, ticket=ticket, note="同意", now=T0 + 2 * H)
    a.refresh_from_db()
    ticket.refresh_from_db()
    assert (a.requested_days, a.extension_days) == (0, 3)
    assert a.deadline == ticket.deadline == local(2026, 3, 9, 23, 59, 59)  # Wed + 3 working days = Monday
    approval = ticket.events.get(kind="approve_extension")
    assert (approval.data["approved"], approval.data["days"]) == (True, 3)
    assert dt.datetime.fromisoformat(approval.data["deadline"]) == a.deadline
    refused(Conflict, services.do_approve_extension, actor=admin, ticket=ticket)
    # 3 granted: 3 more would pass the limit of 5, 2 more reach it exactly
    error = refused(Invalid, services.do_extend, actor=handler, ticket=ticket, days=3, reason="再延")
    assert "已延期 3 个工作日" in error.message
    services.do_extend(actor=handler, ticket=ticket, days=2, reason="再延", now=T0 + 3 * H)
    services.do_approve_extension(actor=admin, ticket=ticket, approved=False, note="不同意", now=T0 + 4 * H)
    a.refresh_from_db()
    assert (a.requested_days, a.extension_days, a.deadline) == (0, 3, local(2026, 3, 9, 23, 59, 59))
    assert ticket.events.filter(kind="approve_extension").last().data["approved"] is False
    services.do_extend(actor=handler, ticket=ticket, days=2, reason="再延", now=T0 + 5 * H)
    services.do_approve_extension(actor=admin, ticket=ticket, now=T0 + 6 * H)
    a.refresh_from_db()
    assert (a.extension_days, a.deadline) == (5, local(2026, 3, 11, 23, 59, 59))
    refused(Invalid, services.do_extend, actor=handler, ticket=ticket, days=1, reason="再延")


def test_the_extension_limit_follows_the_policy_and_extensions_skip_holidays(w):
    policy = TicketPolicy.current()
    policy.max_extension_workdays = 1
    policy.save()
    ticket = build(w, "processing", now=local(2026, 2, 12, 9, 0))  # 0102 (2 working days) from a Thursday
    a = ticket.assignments.get()
    assert a.deadline == local(2026, 2, 14, 23, 59, 59)
    refused(Invalid, services.do_extend, actor=w["department_handler"], ticket=ticket, days=2, reason="过年")
    services.do_extend(actor=w["department_handler"], ticket=ticket, days=1, reason="过年", now=local(2026, 2, 13, 9))
    services.do_approve_extension(actor=w["county_admin"], ticket=ticket, now=local(2026, 2, 13, 10))
    a.refresh_from_db()
    assert a.deadline == local(2026, 2, 24, 23, 59, 59)


def test_only_an_accepted_assignment_may_ask_for_more_time(w):
    for state in ("dispatched", "resolved", "closed"):
        ticket = build(w, state)
        refused(Conflict, services.do_extend, actor=w["department_handler"], ticket=ticket, days=1, reason="需协调")


# ---- resolve and verify -------------------------------------------------------------------------------------
def test_resolve_verify_fail_rework_and_close(w):
    ticket = build(w, "processing")
    handler, admin = w["department_handler"], w["township_admin"]
    a = ticket.assignments.get()
    services.do_resolve(actor=handler, ticket=ticket, result="已清运", now=T0 + H)
    a.refresh_from_db()
    ticket.refresh_from_db()
    assert (a.status, a.resolved_at, a.result, a.resolve_count, ticket.status) == (
        "resolved", T0 + H, "已清运", 1, "resolved")
    assert notified(admin, f"assignment:{a.pk}:resolved:1")
    refused(Conflict, services.do_resolve, actor=handler, ticket=ticket, result="再次办结")
    services.do_verify(actor=admin, ticket=ticket, passed=False, note="仍有垃圾", now=T0 + 2 * H)
    a.refresh_from_db()
    ticket.refresh_from_db()
    assert (a.status, a.reopen_count, ticket.status) == ("accepted", 1, "processing")
    assert notified(handler, f"assignment:{a.pk}:reopen:1")
    assert ticket.events.get(kind="reopen").note == "仍有垃圾"
    refused(Conflict, services.do_verify, actor=admin, ticket=ticket, passed=True)
    services.do_resolve(actor=handler, ticket=ticket, result="已彻底清运", now=T0 + 3 * H)
    services.do_verify(actor=admin, ticket=ticket, passed=True, note="现场已整洁", now=T0 + 4 * H)
    a.refresh_from_db()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.closed_at) == ("closed", T0 + 4 * H)
    assert (a.status, a.closed_at, a.resolve_count, a.reopen_count, a.on_time) == ("closed", T0 + 4 * H, 2, 1, True)
    registered_at = ticket.registered_at
    assert a.hours_to_close == round((T0 + 4 * H - registered_at).total_seconds() / 3600, 2)
    assert notified(w["grid_worker"], f"ticket:{ticket.pk}:closed")
    assert kinds(ticket) == ["report", "register", "dispatch", "accept", "resolve", "reopen", "resolve", "close"]


def test_a_late_resolution_is_closed_but_not_on_time(w):
    ticket = build(w, "processing")
    a = ticket.assignments.get()
    services.do_resolve(actor=w["department_handler"], ticket=ticket, result="已清运", now=a.deadline + dt.timedelta(seconds=1))
    services.do_verify(actor=w["township_admin"], ticket=ticket, passed=True, now=a.deadline + H)
    a.refresh_from_db()
    assert a.status == "closed" and a.on_time is False
    exactly = build(w, "processing")
    b = exactly.assignments.get()
    services.do_resolve(actor=w["department_handler"], ticket=exactly, result="已清运", now=b.deadline)
    services.do_verify(actor=w["township_admin"], ticket=exactly, passed=True, now=b.deadline + H)
    b.refresh_from_db()
    assert b.on_time is True


def test_closing_closes_accepted_assists_and_cancels_pending_ones(w):
    ticket = build(w, "processing")
    county = w["county_admin"]
    accepted = services.do_dispatch(actor=county, ticket=ticket, department="BM001", role="assist", now=T0 + H)
    pending = services.do_dispatch(actor=county, ticket=ticket, department="BM002", role="assist", now=T0 + H)
    services.do_accept(actor=w["department_handler"], ticket=ticket, assignment=accepted.pk, now=T0 + 2 * H)
    services.do_resolve(actor=w["department_handler"], ticket=ticket, assignment=accepted.pk, result="协办完成",
                        now=T0 + 3 * H)
    assert Ticket.objects.get(pk=ticket.pk).status == "processing"  # an assist's resolution does not move the ticket
    lead = ticket.assignments.get(role="lead")
    services.do_resolve(actor=w["department_handler"], ticket=ticket, assignment=lead.pk, result="已清运",
                        now=T0 + 4 * H)
    services.do_verify(actor=county, ticket=ticket, passed=True, now=T0 + 5 * H)
    statuses = dict(ticket.assignments.values_list("pk", "status"))
    assert statuses == {lead.pk: "closed", accepted.pk: "closed", pending.pk: "cancelled"}
    refused(Conflict, services.do_accept, actor=w["water_handler"], ticket=ticket)


# ---- whistle and respond ------------------------------------------------------------------------------------------
def test_whistle_and_respond(w):
    ticket = build(w, "processing")
    admin, handler = w["township_admin"], w["department_handler"]
    whistles = services.do_whistle(actor=admin, ticket=ticket, departments=["BM001", "BM002", "BM001"],
                                   reason="违建涉及多部门，需要到场", now=T0 + H)
    assert sorted(a.department.code for a in whistles) == ["BM001", "BM002"]  # duplicates collapse
    policy = TicketPolicy.current()
    for a in whistles:
        assert (a.role, a.status, a.response_deadline, a.deadline) == (
            "whistle", "pending", T0 + H + policy.whistle_response_hours * H, T0 + H + policy.whistle_response_hours * H)
        assert a.dispatched_by == admin
    event = ticket.events.get(kind="whistle")
    assert sorted(event.data["departments"]) == ["BM001", "BM002"] and event.note == "违建涉及多部门，需要到场"
    bm001 = next(a for a in whistles if a.department.code == "BM001")
    assert notified(handler, f"assignment:{bm001.pk}:whistle")
    assert Ticket.objects.get(pk=ticket.pk).status == "processing"  # the lead is unaffected
    error = refused(Conflict, services.do_whistle, actor=admin, ticket=ticket, departments=["BM001"], reason="再次")
    assert "尚未报到" in error.message
    refused(Invalid, services.do_whistle, actor=admin, ticket=ticket, departments=[], reason="到场")
    refused(Invalid, services.do_whistle, actor=admin, ticket=ticket, departments="BM001", reason="到场")
    refused(Invalid, services.do_whistle, actor=admin, ticket=ticket, departments=["BM404"], reason="到场")
    refused(Forbidden, services.do_respond, actor=w["station_handler"], ticket=ticket, note="已到场")
    services.do_respond(actor=handler, ticket=ticket, note="已到场并约谈当事人", now=T0 + 2 * H)
    bm001.refresh_from_db()
    assert (bm001.status, bm001.responded_at, bm001.result) == ("responded", T0 + 2 * H, "已到场并约谈当事人")
    assert notified(admin, f"assignment:{bm001.pk}:responded")
    refused(Conflict, services.do_respond, actor=handler, ticket=ticket, note="再次报到")
    services.do_respond(actor=w["water_handler"], ticket=ticket, note="已到场", now=T0 + 3 * H)
    # once the department has responded it may be summoned again
    services.do_whistle(actor=admin, ticket=ticket, departments=["BM001"], reason="再次召集", now=T0 + 4 * H)
    assert ticket.assignments.filter(role="whistle", department__code="BM001").count() == 2
    # whistles do not count as a handler's assignment for accept/resolve
    assert ticket.assignments.get(role="lead").status == "accepted"


def test_whistle_is_refused_outside_the_dispatch_loop(w):
    for state in ("reported", "rejected", "merged", "resolved", "closed"):
        refused(Conflict, services.do_whistle, actor=w["township_admin"], ticket=build(w, state),
                departments=["BM001"], reason="到场")


# ---- merge ---------------------------------------------------------------------------------------------------
def test_merge_and_both_reporters_hear_of_the_close(w):
    target = build(w, "reported")  # reported by the grid worker
    duplicate = report(w, actor=w["resident"], title="村口垃圾没人管")
    services.do_merge(actor=w["township_admin"], ticket=duplicate, into=f" {target.number} ", now=T0 + H)
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.duplicate_of, duplicate.closed_at) == ("merged", target, T0 + H)
    assert duplicate.events.get(kind="merge").data == {"into": target.number}
    assert target.events.get(kind="merge").data == {"from": duplicate.number}
    assert notified(w["resident"], f"ticket:{duplicate.pk}:merged")
    # the target then runs its course; when it closes both reporters are told
    admin, handler = w["township_admin"], w["department_handler"]
    services.do_register(actor=admin, ticket=target, now=T0 + 2 * H)
    services.do_dispatch(actor=admin, ticket=target, department="BM001-01", now=T0 + 2 * H)
    services.do_accept(actor=handler, ticket=target, now=T0 + 3 * H)
    services.do_resolve(actor=handler, ticket=target, result="已清运", now=T0 + 4 * H)
    assert not Notification.objects.filter(key=f"ticket:{target.pk}:closed").exists()
    services.do_verify(actor=admin, ticket=target, passed=True, now=T0 + 5 * H)
    closed = Notification.objects.filter(key=f"ticket:{target.pk}:closed")
    assert set(closed.values_list("user__username", flat=True)) == {"grid_worker", "resident"}
    # a merged ticket is finished: no action moves it
    for action in ("register", "reject", "dispatch", "whistle", "merge"):
        refused(Conflict, _call(w, action, duplicate, T0 + 6 * H))


def test_merge_refusals(w):
    admin = w["township_admin"]
    ticket, target = build(w, "reported"), build(w, "registered")
    refused(Invalid, services.do_merge, actor=admin, ticket=ticket, into="GD000000000000")
    refused(Invalid, services.do_merge, actor=admin, ticket=ticket, into="")
    refused(Invalid, services.do_merge, actor=admin, ticket=ticket, into=ticket.number)
    for state in ("merged", "rejected"):
        refused(Invalid, services.do_merge, actor=admin, ticket=ticket, into=build(w, state).number)
    for state in ("dispatched", "processing", "resolved", "closed", "rejected"):
        error = refused(Conflict, services.do_merge, actor=admin, ticket=build(w, state), into=target.number)
        assert "不能合并" in error.message
    # a target in another township is outside the township's command scope
    elsewhere = report(w, actor=w["hexi_admin"], grid="369901002001001")
    error = refused(Forbidden, services.do_merge, actor=admin, ticket=ticket, into=elsewhere.number)
    assert "指挥范围" in error.message
    services.do_merge(actor=w["county_admin"], ticket=ticket, into=elsewhere.number, now=T0 + H)
    # merging into a ticket already being handled is fine
    other = build(w, "reported")
    services.do_merge(actor=admin, ticket=other, into=build(w, "processing").number, now=T0 + H)


def test_a_ticket_with_an_active_dispatch_is_not_merged_away(w):
    """A registered ticket may have an active assisting dispatch (an assist alone does not move the ticket to
    "dispatched"). do_merge only checks the ticket's status, so it merges the ticket and leaves the dispatch
    pending: the department can still accept and resolve it on a merged ticket, it never closes, and tick keeps
    sending overdue notices. The refusal's own words are "已派单的工单不能合并". Either refusing the merge or
    cancelling the dispatch satisfies this test."""
    ticket, target = build(w, "registered"), build(w, "reported")
    services.do_dispatch(actor=w["county_admin"], ticket=ticket, department="BM001", role="assist", now=T0 + H)
    try:
        services.do_merge(actor=w["county_admin"], ticket=ticket, into=target.number, now=T0 + 2 * H)
    except Conflict:
        pass
    ticket.refresh_from_db()
    active = ticket.assignments.filter(role__in=("lead", "assist"), status__in=Assignment.ACTIVE_STATUSES)
    assert not (ticket.status == "merged" and active.exists()), list(active.values_list("role", "status"))


# ---- a refused action rolls back every write it made ----------------------------------------------------------
def test_an_unknown_code_among_several_or_a_bad_photo_leaves_nothing_behind(w):
    ticket = build(w, "processing")
    refused(Invalid, services.do_whistle, actor=w["township_admin"], ticket=ticket, departments=["BM001", "BM404"],
            reason="到场")
    fake = SimpleUploadedFile("a.jpg", b"not an image at all", content_type="image/jpeg")
    photo_error = refused(Invalid, services.do_resolve, actor=w["department_handler"], ticket=ticket,
                          result="已清运", photos=[fake])
    assert "a.jpg" in photo_error.message
    assert Ticket.objects.get(pk=ticket.pk).status == "processing"


# ---- a hypothesis state machine over random action sequences ------------------------------------------------------
ACTORS = ["township_admin", "county_admin", "department_handler", "station_handler", "water_handler", "grid_worker",
          "resident"]
COMMANDERS = {"township_admin", "county_admin"}
HANDLES = {"department_handler": ("BM001",), "station_handler": ("BM001-01",), "water_handler": ("BM002",)}
DISPATCHABLE = {"township_admin": {"BM001-01"}, "county_admin": {"BM001", "BM001-01", "BM002"}}
REASON = st.sampled_from(["不属于本部门职责", "需要协调", "已到场处理", "", "  "])
LOOP = ("registered", "dispatched", "processing")
RESULT_KIND = {"verify": None, "register": "register", "reject": "reject", "dispatch": "dispatch", "accept": "accept",
               "return": "return", "extend": "extend", "approve_extension": "approve_extension", "resolve": "resolve",
               "rate": "rate", "whistle": "whistle", "respond": "respond", "merge": "merge"}


class TicketMachine(RuleBasedStateMachine):
    """Random actors send random actions to a few tickets; a small oracle predicts success or the refusal, and the
    invariants hold after every step."""

    world = None  # set by the test

    @initialize()
    def start(self):
        self.now = local(2026, 2, 9, 9, 0)  # the week before the Spring Festival
        self.tickets = [report(self.world, now=self.now)]

    # -- helpers
    def _user(self, name):
        return self.world[name]

    def _handles(self, actor, a):
        return any(a.department_path.startswith(p) for p in self._handle_paths(actor))

    def _handle_paths(self, actor):
        from dangjian.units.models import Department
        return [d.path for d in Department.objects.filter(code__in=HANDLES.get(actor, ()))]

    def _ticket(self, i):
        return Ticket.objects.get(pk=self.tickets[i % len(self.tickets)].pk)

    def _run(self, action, ticket, expected, **kwargs):
        """Run the action; check the oracle's prediction and the event log."""
        tickets = list({ticket.pk, *([kwargs["_target"].pk] if "_target" in kwargs else [])})
        kwargs.pop("_target", None)
        counts = {pk: TicketEvent.objects.filter(ticket_id=pk).count() for pk in tickets}
        before = world_state()
        self.now += dt.timedelta(minutes=7)
        try:
            services.ACTIONS[action](ticket=ticket, now=self.now, **kwargs)
        except TicketError as exc:
            assert world_state() == before, action
            assert expected is not None and isinstance(exc, expected), (action, kwargs, exc, expected)
            event(f"{action}: {type(exc).__name__}")
            return False
        assert expected is None, (action, kwargs, "succeeded, expected", expected)
        event(f"{action}: ok")
        kind = RESULT_KIND[action] or ("close" if kwargs["passed"] else "reopen")
        for pk in tickets:
            events = list(TicketEvent.objects.filter(ticket_id=pk).order_by("id"))
            assert len(events) == counts[pk] + 1, (action, pk)
            assert events[-1].kind == kind and events[-1].at == self.now
        return True

    # -- rules
    @rule()
    def report_another(self):
        if len(self.tickets) < 3:
            self.now += dt.timedelta(minutes=3)
            self.tickets.append(report(self.world, now=self.now))

    @rule(hours=st.sampled_from([1, 5, 20, 30, 70, 200]))
    def advance(self, hours):
        self.now += dt.timedelta(hours=hours)

    @rule(i=st.integers(0, 2), actor=st.sampled_from(ACTORS))
    def register(self, i, actor):
        t = self._ticket(i)
        expected = Forbidden if actor not in COMMANDERS else None if t.status == "reported" else Conflict
        self._run("register", t, expected, actor=self._user(actor))

    @rule(i=st.integers(0, 2), actor=st.sampled_from(ACTORS), reason=REASON)
    def reject(self, i, actor, reason):
        t = self._ticket(i)
        expected = (Forbidden if actor not in COMMANDERS else Invalid if not reason.strip()
                    else None if t.status == "reported" else Conflict)
        self._run("reject", t, expected, actor=self._user(actor), reason=reason)

    @rule(i=st.integers(0, 2), actor=st.sampled_from(ACTORS), department=st.sampled_from(["BM001", "BM001-01", "BM002"]),
          role=st.sampled_from(["lead", "lead", "assist"]))
    def dispatch(self, i, actor, department, role):
        t = self._ticket(i)
        active = t.assignments.filter(status__in=Assignment.ACTIVE_STATUSES)
        if actor not in COMMANDERS or department not in DISPATCHABLE[actor]:
            expected = Forbidden
        elif t.status not in LOOP:
            expected = Conflict
        elif role == "lead" and active.filter(role="lead").exists():
            expected = Conflict
        elif active.filter(department__code=department, role__in=("lead", "assist")).exists():
            expected = Conflict
        else:
            expected = None
        self._run("dispatch", t, expected, actor=self._user(actor), department=department, role=role)

    def _handler_expectation(self, t, actor, roles, statuses, extra=None):
        mine = [a for a in t.assignments.filter(role__in=roles) if self._handles(actor, a)]
        if not mine:
            return Forbidden
        ready = [a for a in mine if a.status in statuses]
        if not ready:
            return Conflict
        return extra(ready[0]) if extra else None

    @rule(i=st.integers(0, 2), actor=st.sampled_from(ACTORS))
    def accept(self, i, actor):
        t = self._ticket(i)
        expected = self._handler_expectation(t, actor, ("lead", "assist"), ("pending",))
        self._run("accept", t, expected, actor=self._user(actor))

    @rule(i=st.integers(0, 2), actor=st.sampled_from(ACTORS), reason=REASON)
    def return_(self, i, actor, reason):
        t = self._ticket(i)

        def window(a):
            used = workdays.workdays_between(a.dispatched_at.astimezone(self.now.tzinfo).date(),
                                             (self.now + dt.timedelta(minutes=7)).date())
            return Conflict if used > TicketPolicy.current().return_workdays else None

        expected = Invalid if not reason.strip() else self._handler_expectation(
            t, actor, ("lead", "assist"), ("pending",), window)
        self._run("return", t, expected, actor=self._user(actor), reason=reason)

    @rule(i=st.integers(0, 2), actor=st.sampled_from(ACTORS), days=st.integers(0, 4), reason=REASON)
    def extend(self, i, actor, days, reason):
        t = self._ticket(i)
        limit = TicketPolicy.current().max_extension_workdays

        def pending(a):
            return Conflict if a.requested_days else Invalid if a.extension_days + days > limit else None

        expected = (Invalid if not reason.strip() or days < 1
                    else self._handler_expectation(t, actor, ("lead", "assist"), ("accepted",), pending))
        self._run("extend", t, expected, actor=self._user(actor), days=days, reason=reason)

    @rule(i=st.integers(0, 2), actor=st.sampled_from(ACTORS), approved=st.booleans())
    def approve_extension(self, i, actor, approved):
        t = self._ticket(i)
        expected = (Forbidden if actor not in COMMANDERS
                    else None if t.assignments.filter(requested_days__gt=0).exists() else Conflict)
        self._run("approve_extension", t, expected, actor=self._user(actor), approved=approved)

    @rule(i=st.integers(0, 2), actor=st.sampled_from(ACTORS), result=st.sampled_from(["", "已处理"]))
    def resolve(self, i, actor, result):
        t = self._ticket(i)
        expected = Invalid if not result else self._handler_expectation(t, actor, ("lead", "assist"), ("accepted",))
        self._run("resolve", t, expected, actor=self._user(actor), result=result)

    @rule(i=st.integers(0, 2), actor=st.sampled_from(ACTORS), passed=st.booleans(), note=REASON)
    def verify(self, i, actor, passed, note):
        t = self._ticket(i)
        expected = (Forbidden if actor not in COMMANDERS else Conflict if t.status != "resolved"
                    else Invalid if not passed and not note.strip() else None)
        self._run("verify", t, expected, actor=self._user(actor), passed=passed, note=note)

    @rule(i=st.integers(0, 2), actor=st.sampled_from(ACTORS),
          satisfaction=st.sampled_from(["satisfied", "basically_satisfied", "dissatisfied", "bad"]))
    def rate(self, i, actor, satisfaction):
        t = self._ticket(i)
        if actor not in COMMANDERS and actor != "grid_worker":
            expected = Forbidden
        elif satisfaction == "bad":
            expected = Invalid
        elif t.status != "closed" or t.satisfaction:
            expected = Conflict
        else:
            expected = None
        self._run("rate", t, expected, actor=self._user(actor), satisfaction=satisfaction)

    @rule(i=st.integers(0, 2), actor=st.sampled_from(ACTORS),
          departments=st.lists(st.sampled_from(["BM001", "BM002"]), min_size=1, max_size=2), reason=REASON)
    def whistle(self, i, actor, departments, reason):
        t = self._ticket(i)
        waiting = set(t.assignments.filter(role="whistle", status="pending").values_list("department__code", flat=True))
        expected = (Forbidden if actor not in COMMANDERS else Invalid if not reason.strip()
                    else Conflict if t.status not in LOOP or waiting & set(departments) else None)
        self._run("whistle", t, expected, actor=self._user(actor), departments=departments, reason=reason)

    @rule(i=st.integers(0, 2), actor=st.sampled_from(ACTORS), note=REASON)
    def respond(self, i, actor, note):
        t = self._ticket(i)
        expected = Invalid if not note.strip() else self._handler_expectation(t, actor, ("whistle",), ("pending",))
        self._run("respond", t, expected, actor=self._user(actor), note=note)

    @rule(i=st.integers(0, 2), j=st.integers(0, 2), actor=st.sampled_from(ACTORS))
    def merge(self, i, j, actor):
        t, target = self._ticket(i), self._ticket(j)
        if actor not in COMMANDERS:
            expected = Forbidden
        elif target.pk == t.pk:
            expected = Invalid
        elif t.status not in ("reported", "registered"):
            expected = Conflict
        elif target.status in ("merged", "rejected"):
            expected = Invalid
        else:
            expected = None
        self._run("merge", t, expected, actor=self._user(actor), into=target.number, _target=target)

    # -- the usual next step by the proper actor, so that random sequences reach the later states
    @rule(i=st.integers(0, 2), choice=st.integers(0, 3))
    def forward(self, i, choice):
        t = self._ticket(i)
        lead = t.assignments.filter(role="lead", status__in=Assignment.ACTIVE_STATUSES).first()
        if t.status == "reported":
            self.register(i, ("township_admin", "county_admin")[choice % 2])
        elif t.status == "registered":
            self.dispatch(i, *(("township_admin", "BM001-01"), ("county_admin", "BM001"))[choice % 2], "lead")
        elif t.status == "dispatched":
            self.accept(i, "department_handler") if choice else self.return_(i, "station_handler", "不归本站管")
        elif t.status == "processing":
            if choice == 0 and lead.requested_days:
                self.approve_extension(i, "county_admin", True)
            elif choice == 0:
                self.extend(i, "department_handler", 2, "需协调")
            elif choice == 1:
                self.whistle(i, "township_admin", ["BM001", "BM002"], "需要多部门到场")
            else:
                self.resolve(i, "department_handler", "已处理")
        elif t.status == "resolved":
            self.verify(i, "township_admin", choice != 0, "仍未处理好")
        elif t.status == "closed":
            self.rate(i, "grid_worker", ("satisfied", "basically_satisfied", "dissatisfied", "satisfied")[choice])

    @rule(i=st.integers(0, 2), choice=st.integers(0, 3))
    def forward_again(self, i, choice):
        self.forward(i, choice)

    @rule(i=st.integers(0, 2))
    def respond_to_whistles(self, i):
        self.respond(i, ("department_handler", "water_handler")[i % 2], "已到场")

    # -- invariants
    @invariant()
    def consistent(self):
        for t in self.tickets:
            t = Ticket.objects.get(pk=t.pk)
            leads = list(t.assignments.filter(role="lead", status__in=Assignment.ACTIVE_STATUSES))
            assert len(leads) <= 1, t.number
            lead = leads[0] if leads else None
            if t.status in ("registered", "dispatched", "processing", "resolved"):
                expected = {None: "registered", "pending": "dispatched", "accepted": "processing",
                            "resolved": "resolved"}[lead and lead.status]
                assert t.status == expected
                assert t.deadline == (lead.deadline if lead else None)
            if t.status in ("reported", "rejected"):
                assert not t.assignments.exists()
            if t.status == "closed":
                assert t.closed_at is not None and not leads
                assert not t.assignments.filter(role__in=("lead", "assist"), status__in=Assignment.ACTIVE_STATUSES
                                                 ).exists()
                assert t.assignments.filter(role="lead", status="closed").count() == 1
            if t.status == "merged":
                assert t.duplicate_of_id is not None and t.duplicate_of_id != t.pk
            for a in t.assignments.all():
                assert a.extension_days <= TicketPolicy.current().max_extension_workdays
                assert a.response_deadline <= a.deadline
                assert (a.accepted_at is not None) == (a.status in ("accepted", "resolved", "closed")) or \
                    a.status == "cancelled"
                assert (a.returned_at is not None) == (a.status == "returned")
            assert t.events.first().kind == "report"
            assert t.events.filter(kind="dispatch").count() == t.assignments.exclude(role="whistle").count()
            assert t.events.filter(kind="accept").count() == t.assignments.exclude(accepted_at=None).count()
            assert t.events.filter(kind="close").count() == (1 if t.status == "closed" else 0)
            assert t.events.filter(kind="rate").count() == (1 if t.satisfaction else 0)


def test_random_action_sequences_keep_the_invariants(w):
    TicketMachine.world = w
    run_state_machine_as_test(TicketMachine, settings=settings(
        max_examples=20, stateful_step_count=35, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]))
