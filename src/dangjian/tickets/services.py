"""Every write to a ticket: one function per action that checks role, scope and state, writes the change and
its event, and notifies, inside one transaction. The ticket row is locked first, so two people acting on one
ticket at once are serialised and the second finds the state already changed (409)."""

import datetime as dt
import uuid

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts.models import RoleAssignment
from dangjian.core import workdays
from dangjian.core.audit import acting
from dangjian.core.notify import notify
from dangjian.core.scope import user_scope
from dangjian.places.models import Household, Region
from dangjian.units.models import Department

from .errors import Conflict, Forbidden, Invalid
from .models import (
    Assignment,
    GridWorker,
    Ticket,
    TicketCategory,
    TicketCounter,
    TicketEvent,
    TicketPhoto,
    TicketPolicy,
    Visit,
)
from .photos import check_photos

Status = Ticket.Status
AStatus = Assignment.Status
Kind = TicketEvent.Kind


# ---- who may act ----------------------------------------------------------------------------------------
def _covers(prefixes, path: str) -> bool:
    return any(path.startswith(p) for p in prefixes)


def may_command(user, ticket: Ticket) -> bool:
    scope = user_scope(user, "command")
    return scope.unrestricted or _covers(scope.regions, ticket.region_path)


def may_handle(user, assignment: Assignment) -> bool:
    scope = user_scope(user, "handle")
    return scope.unrestricted or _covers(scope.departments, assignment.department_path)


def _require_command(user, ticket: Ticket, what: str) -> None:
    if not may_command(user, ticket):
        raise Forbidden(f"只有工单所在地的指挥中心可以{what}")


def _require_reason(text, field="reason", label="理由") -> str:
    text = (text or "").strip()
    if not text:
        raise Invalid(f"请填写{label}", field)
    if len(text) > 500:
        raise Invalid(f"{label}不能超过 500 字", field)
    return text


def _state_conflict(ticket: Ticket, what: str) -> Conflict:
    return Conflict(f"工单{ticket.number}当前为“{ticket.get_status_display()}”，不能{what}")


# ---- helpers ---------------------------------------------------------------------------------------------
def _lock(ticket) -> Ticket:
    # of=("self",): lock the ticket row only, not the category row joined for reading
    return (Ticket.objects.select_for_update(of=("self",)).select_related("category")
            .get(pk=getattr(ticket, "pk", ticket)))


def record_event(ticket, kind, actor, at, *, note="", assignment=None, data=None) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket, assignment=assignment, kind=kind, at=at, note=note, data=data or {},
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_name=str(actor) if getattr(actor, "is_authenticated", False) else "系统",
    )  # fmt: skip


def _save_photos(ticket, event, files) -> None:
    for n, (f, content_type, ext) in enumerate(check_photos(files), 1):
        photo = TicketPhoto(ticket=ticket, event=event, content_type=content_type, size=f.size)
        photo.image.save(f"{event.pk}-{n}.{ext}", f, save=False)
        photo.save()


def _next_number(day: dt.date) -> str:
    """GD + yyyymmdd + the day's next sequence: one upsert, whose row lock lasts until commit."""
    table = TicketCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (day, last) VALUES (%s, 1) ON CONFLICT (day) "
                       f"DO UPDATE SET last = {table}.last + 1 RETURNING last", [day])
        (last,) = cursor.fetchone()
    return f"GD{day:%Y%m%d}{last:04d}"


def ticket_url(ticket) -> str:
    return reverse("ticket-detail", args=[ticket.pk])


def command_users(region_path: str):
    """Users of the command centers (township and county) whose region contains `region_path`."""
    return _users_covering("region", region_path, ("township_admin", "county_admin"))


def handler_users(department_path: str):
    return _users_covering("department", department_path, ("department_handler",))


def _users_covering(node: str, path: str, roles):
    """Active users holding one of `roles` on `path` or any of its ancestors (one indexed query)."""
    step = {"region": Region, "department": Department}[node].steplen
    ancestors = [path[:n] for n in range(step, len(path) + 1, step)]
    rows = RoleAssignment.objects.filter(role__in=roles, **{f"{node}__path__in": ancestors, "user__is_active": True})
    return list({a.user_id: a.user for a in rows.select_related("user")}.values())


LOOP = (Status.REGISTERED, Status.DISPATCHED, Status.PROCESSING, Status.RESOLVED)
_LEAD_TO_TICKET = {AStatus.PENDING: Status.DISPATCHED, AStatus.ACCEPTED: Status.PROCESSING,
                   AStatus.RESOLVED: Status.RESOLVED}


def status_for_lead(lead: Assignment | None) -> tuple[str, dt.datetime | None]:
    """While a ticket is in the dispatch loop, its status and deadline follow its active lead assignment
    (there is at most one); with none it waits for a dispatch."""
    if lead is None or lead.status not in _LEAD_TO_TICKET:
        return Status.REGISTERED, None
    return _LEAD_TO_TICKET[lead.status], lead.deadline


def _follow_lead(ticket: Ticket, changed: Assignment) -> None:
    """After `changed` moved, bring the ticket along with one UPDATE (assisting dispatches do not move it)."""
    if changed.role != Assignment.Role.LEAD or ticket.status not in LOOP:
        return
    status, deadline = status_for_lead(changed)
    if (ticket.status, ticket.deadline) != (status, deadline):
        ticket.status, ticket.deadline = status, deadline
        Ticket.objects.filter(pk=ticket.pk).update(status=status, deadline=deadline)


def _pick(ticket: Ticket, actor, *, roles, statuses, what: str, assignment_id=None) -> Assignment:
    """The actor's department's assignment on this ticket in one of `statuses`, locked.

    No assignment of the actor's departments at all → 403; one exists but in another state → 409."""
    mine = [a for a in ticket.assignments.select_for_update(of=("self",)).select_related("department")
            .filter(role__in=roles)
            if may_handle(actor, a) and (assignment_id is None or a.pk == int(assignment_id))]
    if not mine:
        raise Forbidden(f"工单{ticket.number}没有派给您所在的部门，不能{what}")
    ready = [a for a in mine if a.status in statuses]
    if not ready:
        a = mine[-1]
        raise Conflict(f"{a.department.name}的派单当前为“{a.get_status_display()}”，不能{what}")
    return ready[0]


# ---- report ----------------------------------------------------------------------------------------------
def _category(code) -> TicketCategory:
    if isinstance(code, TicketCategory):
        return code
    category = TicketCategory.objects.filter(code=str(code or "").strip(), is_active=True).first()
    if category is None:
        raise Invalid(f"事件分类“{code}”不存在或已停用", "category")
    if category.parent_id is None:
        raise Invalid(f"“{category.name}”是大类，请选择其下的小类", "category")
    return category


def _grid(code) -> Region:
    if isinstance(code, Region):
        grid = code
    else:
        grid = Region.objects.defer("boundary").filter(division_code=str(code or "").strip()).first()
        if grid is None:
            raise Invalid(f"网格“{code}”不存在", "grid")
    if grid.level != Region.Level.GRID:
        raise Invalid(f"“{grid.name}”不是网格，请选择事件所在的网格", "grid")
    return grid


def _coordinate(value, field, low, high):
    if value in (None, ""):
        return None
    try:
        number = round(float(value), 6)
    except (TypeError, ValueError):
        raise Invalid(f"{'纬度' if field == 'lat' else '经度'}“{value}”不是数字", field) from None
    if not low <= number <= high:
        raise Invalid(f"{'纬度' if field == 'lat' else '经度'}应在 {low} 到 {high} 之间", field)
    return number


@transaction.atomic
def do_report_ticket(*, actor, title, description, category, grid, source, address="", lat=None, lng=None,
                     urgent=False, occurred_at=None, photos=(), now=None) -> Ticket:
    now = now or timezone.now()
    title, description = (title or "").strip(), (description or "").strip()
    if not title:
        raise Invalid("请填写标题", "title")
    if len(title) > 100:
        raise Invalid("标题不能超过 100 字", "title")
    if not description:
        raise Invalid("请填写事件描述", "description")
    if source not in Ticket.Source.values:
        raise Invalid(f"来源“{source}”无效，可选：{'、'.join(Ticket.Source.values)}", "source")
    category, grid = _category(category), _grid(grid)
    scope = user_scope(actor, "report")
    if not (scope.unrestricted or _covers(scope.regions, grid.path)):
        raise Forbidden(f"您不能在“{grid.name}”上报事件")
    lat, lng = _coordinate(lat, "lat", -90, 90), _coordinate(lng, "lng", -180, 180)
    if (lat is None) != (lng is None):
        raise Invalid("经纬度须同时填写", "lat" if lat is None else "lng")
    if occurred_at and occurred_at > now:
        raise Invalid("发现时间不能晚于上报时间", "occurred_at")
    check_photos(photos)
    ticket = Ticket.objects.create(
        number=f"TMP{uuid.uuid4().hex[:17]}", title=title, description=description,
        category=category, source=source, grid=grid, region_path=grid.path, address=(address or "")[:200],
        lat=lat, lng=lng, urgent=bool(urgent), reporter=actor if getattr(actor, "is_authenticated", False) else None,
        occurred_at=occurred_at or now, created_at=now,
    )  # fmt: skip
    event = record_event(ticket, Kind.REPORT, actor, now, note=description)
    _save_photos(ticket, event, photos)
    notify(command_users(ticket.region_path), key=f"ticket:{ticket.pk}:reported", title=f"新上报事件：{title}",
           body=f"{grid.name} · {category}", url=ticket_url(ticket))
    # The day's counter row stays locked until commit: take the number last, so reports queue only briefly.
    ticket.number = _next_number(timezone.localtime(now).date())
    Ticket.objects.filter(pk=ticket.pk).update(number=ticket.number)
    return ticket


# ---- command center ----------------------------------------------------------------------------------------
@transaction.atomic
def do_register(*, actor, ticket, category=None, urgent=None, note="", now=None) -> Ticket:
    now = now or timezone.now()
    ticket = _lock(ticket)
    _require_command(actor, ticket, "立案")
    if ticket.status != Status.REPORTED:
        raise _state_conflict(ticket, "立案")
    if category:
        ticket.category = _category(category)
    if urgent is not None:
        ticket.urgent = bool(urgent)
    ticket.status, ticket.registered_at = Status.REGISTERED, now
    ticket.save(update_fields=["status", "registered_at", "category", "urgent"])
    record_event(ticket, Kind.REGISTER, actor, now, note=note)
    return ticket


@transaction.atomic
def do_reject(*, actor, ticket, reason, now=None) -> Ticket:
    now = now or timezone.now()
    ticket = _lock(ticket)
    _require_command(actor, ticket, "不予立案")
    reason = _require_reason(reason)
    if ticket.status != Status.REPORTED:
        raise _state_conflict(ticket, "不予立案")
    ticket.status, ticket.closed_at = Status.REJECTED, now
    ticket.save(update_fields=["status", "closed_at"])
    record_event(ticket, Kind.REJECT, actor, now, note=reason)
    notify([ticket.reporter], key=f"ticket:{ticket.pk}:rejected", title=f"您上报的事件不予立案：{ticket.title}",
           body=reason, url=ticket_url(ticket), level="warning")
    return ticket


def _department(code) -> Department:
    if isinstance(code, Department):
        return code
    department = Department.objects.filter(code=str(code or "").strip()).first()
    if department is None:
        raise Invalid(f"部门“{code}”不存在", "department")
    return department


def dispatch_deadlines(ticket: Ticket, policy: TicketPolicy, now) -> tuple[dt.datetime, dt.datetime]:
    """(response deadline, finish deadline) for a dispatch at `now`, from the category and the policy."""
    category = ticket.category
    hours = category.time_limit if category.time_unit == TicketCategory.Unit.HOURS else None
    if ticket.urgent:
        finish = workdays.deadline(now, hours=min(policy.urgent_finish_hours, hours or policy.urgent_finish_hours))
        return min(finish, workdays.deadline(now, hours=policy.urgent_response_hours)), finish
    finish = (workdays.deadline(now, hours=hours) if hours
              else workdays.deadline(now, workdays=category.time_limit or policy.finish_workdays))
    return min(finish, workdays.deadline(now, workdays=policy.response_workdays)), finish


@transaction.atomic
def do_dispatch(*, actor, ticket, department, role="lead", note="", now=None) -> Assignment:
    now = now or timezone.now()
    ticket = _lock(ticket)
    _require_command(actor, ticket, "派单")
    if role not in (Assignment.Role.LEAD, Assignment.Role.ASSIST):
        raise Invalid("办理方式只能是 lead（主办）或 assist（协办）", "role")
    department = _department(department)
    scope = user_scope(actor, "command")
    if not (scope.unrestricted or _covers(scope.departments, department.path)):
        raise Forbidden(f"“{department.name}”不在您的派单范围内；需要县直部门到场请使用“吹哨”")
    if ticket.status not in (Status.REGISTERED, Status.DISPATCHED, Status.PROCESSING):
        raise _state_conflict(ticket, "派单")
    active = ticket.assignments.filter(status__in=Assignment.ACTIVE_STATUSES)
    if role == Assignment.Role.LEAD and active.filter(role=Assignment.Role.LEAD).exists():
        raise Conflict(f"工单{ticket.number}已有主办部门，不能重复派主办")
    if active.filter(department=department, role__in=("lead", "assist")).exists():
        raise Conflict(f"工单{ticket.number}已派给“{department.name}”")
    response_deadline, deadline = dispatch_deadlines(ticket, TicketPolicy.current(), now)
    assignment = Assignment.objects.create(
        ticket=ticket, department=department, department_path=department.path, region_path=ticket.region_path,
        grid_id=ticket.grid_id, category_id=ticket.category_id, source=ticket.source, role=role,
        dispatched_at=now, dispatched_by=actor if getattr(actor, "is_authenticated", False) else None,
        response_deadline=response_deadline, deadline=deadline,
    )  # fmt: skip
    record_event(ticket, Kind.DISPATCH, actor, now, note=note, assignment=assignment,
           data={"department": department.code, "role": role, "deadline": deadline.isoformat()})
    _follow_lead(ticket, assignment)
    notify(handler_users(department.path), key=f"assignment:{assignment.pk}:dispatched",
           title=f"新派单：{ticket.title}", body=f"{ticket.number} · {assignment.get_role_display()} · "
           f"受理期限 {timezone.localtime(response_deadline):%m-%d %H:%M}", url=ticket_url(ticket))
    return assignment


@transaction.atomic
def do_verify(*, actor, ticket, passed: bool, note="", now=None) -> Ticket:
    now = now or timezone.now()
    ticket = _lock(ticket)
    _require_command(actor, ticket, "核查")
    if ticket.status != Status.RESOLVED:
        raise _state_conflict(ticket, "核查")
    if not isinstance(passed, bool):
        raise Invalid("请说明核查是否通过（passed: true 或 false）", "passed")
    if passed:
        ticket.status, ticket.closed_at = Status.CLOSED, now
        ticket.save(update_fields=["status", "closed_at"])
        hours = (now - (ticket.registered_at or ticket.created_at)).total_seconds() / 3600
        for a in ticket.assignments.select_for_update():
            if a.role != Assignment.Role.WHISTLE and a.status in (AStatus.ACCEPTED, AStatus.RESOLVED):
                a.status, a.closed_at, a.hours_to_close = AStatus.CLOSED, now, round(hours, 2)
                a.on_time = a.resolved_at is not None and a.resolved_at <= a.deadline
                a.save(update_fields=["status", "closed_at", "hours_to_close", "on_time"])
            elif a.status == AStatus.PENDING:
                a.status = AStatus.CANCELLED
                a.save(update_fields=["status"])
        record_event(ticket, Kind.CLOSE, actor, now, note=note)
        reporters = [ticket.reporter, *(d.reporter for d in ticket.duplicates.select_related("reporter"))]
        notify(reporters, key=f"ticket:{ticket.pk}:closed", title=f"您上报的事件已办结：{ticket.title}",
               body="请对办理结果进行评价", url=ticket_url(ticket))
        return ticket
    note = _require_reason(note, "note", "核查不通过的原因")
    lead = ticket.assignments.select_for_update(of=("self",)).get(role=Assignment.Role.LEAD, status=AStatus.RESOLVED)
    lead.status, lead.reopen_count = AStatus.ACCEPTED, lead.reopen_count + 1
    lead.save(update_fields=["status", "reopen_count"])
    record_event(ticket, Kind.REOPEN, actor, now, note=note, assignment=lead)
    _follow_lead(ticket, lead)
    notify(handler_users(lead.department_path), key=f"assignment:{lead.pk}:reopen:{lead.reopen_count}",
           title=f"工单返工：{ticket.title}", body=note, url=ticket_url(ticket), level="warning")
    return ticket


@transaction.atomic
def do_approve_extension(*, actor, ticket, approved=True, note="", assignment=None, now=None) -> Assignment:
    now = now or timezone.now()
    ticket = _lock(ticket)
    _require_command(actor, ticket, "审批延期")
    pending = ticket.assignments.select_for_update().filter(requested_days__gt=0)
    if assignment is not None:
        pending = pending.filter(pk=assignment)
    a = pending.first()
    if a is None:
        raise Conflict(f"工单{ticket.number}没有待审批的延期申请")
    days, a.requested_days = a.requested_days, 0
    if approved:
        a.extension_days += days
        a.deadline = workdays.deadline(a.deadline, workdays=days)
    a.save(update_fields=["requested_days", "extension_days", "deadline"])
    record_event(ticket, Kind.APPROVE_EXTENSION, actor, now, assignment=a, note=note,
           data={"approved": bool(approved), "days": days, "deadline": a.deadline.isoformat()})
    _follow_lead(ticket, a)
    notify(handler_users(a.department_path), key=f"assignment:{a.pk}:extension:{a.extension_days}:{now.timestamp()}",
           title=f"延期申请{'已批准' if approved else '未批准'}：{ticket.title}",
           body=f"办结期限 {timezone.localtime(a.deadline):%Y-%m-%d %H:%M}", url=ticket_url(ticket))
    return a


@transaction.atomic
def do_whistle(*, actor, ticket, departments, reason, now=None) -> list[Assignment]:
    """吹哨: summon several county departments to a ticket the township cannot solve alone."""
    now = now or timezone.now()
    ticket = _lock(ticket)
    _require_command(actor, ticket, "吹哨")
    reason = _require_reason(reason)
    if not departments or not isinstance(departments, list | tuple):
        raise Invalid("请选择至少一个要吹哨召集的部门", "departments")
    if ticket.status not in (Status.REGISTERED, Status.DISPATCHED, Status.PROCESSING):
        raise _state_conflict(ticket, "吹哨")
    chosen = list({d.pk: d for d in (_department(code) for code in departments)}.values())
    already = set(ticket.assignments.filter(role=Assignment.Role.WHISTLE, status=AStatus.PENDING)
                  .values_list("department_id", flat=True))
    if any(d.pk in already for d in chosen):
        names = "、".join(d.name for d in chosen if d.pk in already)
        raise Conflict(f"已向{names}吹哨，尚未报到")
    due = workdays.deadline(now, hours=TicketPolicy.current().whistle_response_hours)
    created = []
    for d in chosen:
        a = Assignment.objects.create(
            ticket=ticket, department=d, department_path=d.path, region_path=ticket.region_path,
            grid_id=ticket.grid_id, category_id=ticket.category_id, source=ticket.source,
            role=Assignment.Role.WHISTLE, dispatched_at=now, response_deadline=due, deadline=due,
            dispatched_by=actor if getattr(actor, "is_authenticated", False) else None,
        )  # fmt: skip
        created.append(a)
        notify(handler_users(d.path), key=f"assignment:{a.pk}:whistle", title=f"吹哨报到：{ticket.title}",
               body=reason, url=ticket_url(ticket), level="warning")
    record_event(ticket, Kind.WHISTLE, actor, now, note=reason, data={"departments": [d.code for d in chosen]})
    return created


@transaction.atomic
def do_merge(*, actor, ticket, into, now=None) -> Ticket:
    now = now or timezone.now()
    ticket = _lock(ticket)
    _require_command(actor, ticket, "合并工单")
    target = Ticket.objects.select_for_update().filter(number=str(into or "").strip()).first()
    if target is None:
        raise Invalid(f"工单“{into}”不存在", "into")
    if not may_command(actor, target):
        raise Forbidden(f"工单{target.number}不在您的指挥范围内")
    if target.pk == ticket.pk:
        raise Invalid("不能把工单合并到它自己", "into")
    if ticket.status not in (Status.REPORTED, Status.REGISTERED) or ticket.assignments.filter(
            status__in=(*Assignment.ACTIVE_STATUSES,)).exists():
        raise _state_conflict(ticket, "合并（已派单的工单不能合并）")
    if target.status in (Status.MERGED, Status.REJECTED, Status.CLOSED):
        raise Invalid(f"工单{target.number}为“{target.get_status_display()}”，不能作为合并目标"
                      + ("；问题再次出现时请作为新工单办理" if target.status == Status.CLOSED else ""), "into")
    ticket.status, ticket.duplicate_of, ticket.closed_at = Status.MERGED, target, now
    ticket.save(update_fields=["status", "duplicate_of", "closed_at"])
    record_event(ticket, Kind.MERGE, actor, now, data={"into": target.number}, note=f"与工单{target.number}重复，已合并")
    record_event(target, Kind.MERGE, actor, now, data={"from": ticket.number}, note=f"合并了重复工单{ticket.number}")
    notify([ticket.reporter], key=f"ticket:{ticket.pk}:merged", title=f"您上报的事件已合并：{ticket.title}",
           body=f"与工单{target.number}为同一事件，办理结果将一并告知您", url=ticket_url(target))
    return ticket


# ---- departments ------------------------------------------------------------------------------------------
@transaction.atomic
def do_accept(*, actor, ticket, assignment=None, note="", now=None) -> Assignment:
    now = now or timezone.now()
    ticket = _lock(ticket)
    a = _pick(ticket, actor, roles=("lead", "assist"), statuses=(AStatus.PENDING,), what="受理",
              assignment_id=assignment)
    a.status, a.accepted_at = AStatus.ACCEPTED, now
    a.save(update_fields=["status", "accepted_at"])
    record_event(ticket, Kind.ACCEPT, actor, now, note=note, assignment=a)
    _follow_lead(ticket, a)
    return a


@transaction.atomic
def do_return(*, actor, ticket, reason, assignment=None, now=None) -> Assignment:
    now = now or timezone.now()
    ticket = _lock(ticket)
    reason = _require_reason(reason)
    a = _pick(ticket, actor, roles=("lead", "assist"), statuses=(AStatus.PENDING,), what="退回",
              assignment_id=assignment)
    limit = TicketPolicy.current().return_workdays
    used = workdays.workdays_between(timezone.localtime(a.dispatched_at).date(), timezone.localtime(now).date())
    if used > limit:
        raise Conflict(f"派单已过 {used} 个工作日，超过 {limit} 个工作日的退回时限，不能退回")
    a.status, a.returned_at, a.return_reason = AStatus.RETURNED, now, reason
    a.save(update_fields=["status", "returned_at", "return_reason"])
    record_event(ticket, Kind.RETURN, actor, now, note=reason, assignment=a)
    _follow_lead(ticket, a)
    notify(command_users(ticket.region_path), key=f"assignment:{a.pk}:returned",
           title=f"工单被退回：{ticket.title}", body=f"{a.department.name}：{reason}", url=ticket_url(ticket),
           level="warning")
    return a


@transaction.atomic
def do_extend(*, actor, ticket, days, reason, assignment=None, now=None) -> Assignment:
    now = now or timezone.now()
    ticket = _lock(ticket)
    reason = _require_reason(reason)
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise Invalid(f"延期天数“{days}”不是整数", "days") from None
    if days < 1:
        raise Invalid("延期天数至少 1 个工作日", "days")
    a = _pick(ticket, actor, roles=("lead", "assist"), statuses=(AStatus.ACCEPTED,), what="申请延期",
              assignment_id=assignment)
    if a.requested_days:
        raise Conflict(f"已有 {a.requested_days} 个工作日的延期申请待审批")
    limit = TicketPolicy.current().max_extension_workdays
    if a.extension_days + days > limit:
        raise Invalid(f"累计延期不能超过 {limit} 个工作日（已延期 {a.extension_days} 个工作日）", "days")
    a.requested_days, a.extension_reason = days, reason
    a.save(update_fields=["requested_days", "extension_reason"])
    record_event(ticket, Kind.EXTEND, actor, now, note=reason, assignment=a, data={"days": days})
    notify(command_users(ticket.region_path), key=f"assignment:{a.pk}:extend:{now.timestamp()}",
           title=f"延期申请：{ticket.title}", body=f"{a.department.name}申请延期 {days} 个工作日：{reason}",
           url=ticket_url(ticket))
    return a


@transaction.atomic
def do_resolve(*, actor, ticket, result, photos=(), assignment=None, now=None) -> Assignment:
    now = now or timezone.now()
    ticket = _lock(ticket)
    result = (result or "").strip()
    if not result:
        raise Invalid("请填写办理结果", "result")
    check_photos(photos)
    a = _pick(ticket, actor, roles=("lead", "assist"), statuses=(AStatus.ACCEPTED,), what="办结",
              assignment_id=assignment)
    a.status, a.resolved_at, a.result, a.resolve_count = AStatus.RESOLVED, now, result, a.resolve_count + 1
    a.save(update_fields=["status", "resolved_at", "result", "resolve_count"])
    event = record_event(ticket, Kind.RESOLVE, actor, now, note=result, assignment=a)
    _save_photos(ticket, event, photos)
    _follow_lead(ticket, a)
    if a.role == Assignment.Role.LEAD:
        notify(command_users(ticket.region_path), key=f"assignment:{a.pk}:resolved:{a.resolve_count}",
               title=f"工单待核查：{ticket.title}", body=result[:200], url=ticket_url(ticket))
    return a


@transaction.atomic
def do_respond(*, actor, ticket, note, assignment=None, now=None) -> Assignment:
    """报到: the summoned department records that it has arrived and acted."""
    now = now or timezone.now()
    ticket = _lock(ticket)
    note = _require_reason(note, "note", "报到情况")
    a = _pick(ticket, actor, roles=("whistle",), statuses=(AStatus.PENDING,), what="报到", assignment_id=assignment)
    a.status, a.responded_at, a.result = AStatus.RESPONDED, now, note
    a.save(update_fields=["status", "responded_at", "result"])
    record_event(ticket, Kind.RESPOND, actor, now, note=note, assignment=a)
    notify(command_users(ticket.region_path), key=f"assignment:{a.pk}:responded",
           title=f"{a.department.name}已报到：{ticket.title}", body=note[:200], url=ticket_url(ticket))
    return a


# ---- reporter ---------------------------------------------------------------------------------------------
@transaction.atomic
def do_rate(*, actor, ticket, satisfaction, note="", now=None) -> Ticket:
    """回访评价: by the reporter, or by the command center after a follow-up call."""
    now = now or timezone.now()
    ticket = _lock(ticket)
    if not (actor is not None and ticket.reporter_id == getattr(actor, "pk", None)) and not may_command(actor, ticket):
        raise Forbidden("只有上报人或指挥中心回访人员可以评价")
    if satisfaction not in Ticket.Satisfaction.values:
        raise Invalid("评价只能是 satisfied（满意）、basically_satisfied（基本满意）或 dissatisfied（不满意）",
                      "satisfaction")
    if ticket.status != Status.CLOSED:
        raise _state_conflict(ticket, "评价（结案后才能评价）")
    if ticket.satisfaction:
        raise Conflict(f"工单{ticket.number}已评价为“{ticket.get_satisfaction_display()}”")
    ticket.satisfaction = satisfaction
    ticket.save(update_fields=["satisfaction"])
    ticket.assignments.filter(role=Assignment.Role.LEAD, status=AStatus.CLOSED).update(satisfaction=satisfaction)
    record_event(ticket, Kind.RATE, actor, now, note=note, data={"satisfaction": satisfaction})
    return ticket


# ---- grid workers --------------------------------------------------------------------------------------------
@transaction.atomic
def do_record_visit(*, actor, household, visited_on: dt.date, note="", today=None) -> Visit:
    """民情家访: a grid worker records a visit to a household of their own grid."""
    today = today or timezone.localdate()
    worker = GridWorker.objects.filter(user=actor).select_related("grid").first() if actor is not None else None
    if worker is None:
        raise Forbidden("只有登记在册的网格员可以登记走访")
    if not isinstance(household, Household):
        household = Household.objects.filter(pk=household).first()
        if household is None:
            raise Invalid("请选择走访的户", "household")
    if not household.region_path.startswith(worker.region_path):
        raise Forbidden(f"“{household.head_name}”户不在您的网格“{worker.grid.name}”内")
    if not isinstance(visited_on, dt.date):
        raise Invalid("请填写走访日期", "visited_on")
    if visited_on > today:
        raise Invalid("走访日期不能晚于今天", "visited_on")
    if visited_on < (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1):
        raise Invalid("只能补登本月和上月的走访", "visited_on")
    if Visit.objects.filter(worker=worker, household=household, visited_on=visited_on).exists():
        raise Conflict(f"{visited_on} 已登记过对“{household.head_name}”户的走访")
    return Visit.objects.create(worker=worker, household=household, region_path=household.region_path,
                                visited_on=visited_on, note=(note or "").strip())


# ---- county settings ----------------------------------------------------------------------------------------
def _require_configure(actor) -> None:
    if actor is not None and not actor.can("configure"):
        raise Forbidden("只有县级管理员可以修改工单设置")


@transaction.atomic
def do_save_category(*, actor, form) -> TicketCategory:
    """Create or change a category from a valid CategoryForm (audited)."""
    _require_configure(actor)
    with acting(actor):
        return form.save()


@transaction.atomic
def do_save_policy(*, actor, form) -> TicketPolicy:
    _require_configure(actor)
    policy = form.save(commit=False)
    policy.bands = form.bands()
    with acting(actor):
        policy.save()
    return policy


ACTIONS = {
    "register": do_register, "reject": do_reject, "dispatch": do_dispatch, "accept": do_accept,
    "return": do_return, "extend": do_extend, "approve_extension": do_approve_extension, "resolve": do_resolve,
    "verify": do_verify, "rate": do_rate, "whistle": do_whistle, "respond": do_respond, "merge": do_merge,
}  # fmt: skip

