"""Reads of tickets, always scoped: visible tickets, queues, inboxes, metrics and the grid-worker assessment."""

import datetime as dt
from decimal import Decimal

from django.db.models import Avg, Count, F, Q, Sum
from django.db.models.functions import Substr
from django.utils import timezone

from dangjian.core.scope import prefix_q, user_scope
from dangjian.places.models import Region

from .errors import Invalid
from .metrics import METRICS
from .models import BAND_LABELS, Assignment, GridWorker, Ticket, TicketCategory, TicketPolicy, Visit


def visible_tickets(user):
    """Tickets the user may see: in their scope, or reported by them."""
    scope = user_scope(user, "view")
    if scope.unrestricted:
        return Ticket.objects.all()
    q = Ticket.scope_q(scope) if not scope.empty else Q(pk__in=[])
    if getattr(user, "is_authenticated", False):
        q |= Q(reporter=user)
    return Ticket.objects.filter(q)


def open_tickets_under(user, region):
    return visible_tickets(user).filter(region_path__startswith=region.path, status__in=Ticket.OPEN_STATUSES)


def open_counts_by_prefix(tickets, length: int) -> dict[str, int]:
    """Open tickets per region path cut to `length` characters: one grouped query, no join."""
    rows = tickets.annotate(prefix=Substr("region_path", 1, length)).values("prefix").annotate(n=Count("pk"))
    return {r["prefix"]: r["n"] for r in rows}


def command_queue(user):
    scope = user_scope(user, "command")
    qs = Ticket.objects.all() if scope.unrestricted else Ticket.objects.filter(prefix_q("region_path", scope.regions))
    return qs


def inbox(user):
    """Assignments of the user's departments, open ones first, the nearest deadline first."""
    scope = user_scope(user, "handle")
    qs = Assignment.objects.all()
    if not scope.unrestricted:
        qs = qs.filter(prefix_q("department_path", scope.departments))
    return qs.select_related("ticket", "department", "ticket__category", "ticket__grid")


def categories_tree():
    parents = TicketCategory.objects.filter(parent=None, is_active=True).prefetch_related("children")
    return [{"code": p.code, "name": p.name,
             "children": [{"code": c.code, "name": c.name, "department_kind": c.department_kind,
                           "time_limit": c.time_limit, "time_unit": c.time_unit}
                          for c in p.children.all() if c.is_active]} for p in parents]  # fmt: skip


# ---- metrics ------------------------------------------------------------------------------------------------
def metric_filters(now) -> dict[str, Q]:
    """The assignments each count metric counts: one definition for the figures and for their lists."""
    loop = ~Q(role="whistle")  # 流转 = lead and assisting dispatches; whistles are counted apart
    rated = Q(role="lead") & ~Q(satisfaction="")
    return {
        "dispatched": loop,
        "accepted": loop & Q(accepted_at__isnull=False),
        "returned": Q(status="returned"),
        "closed": loop & Q(closed_at__isnull=False),
        "on_time": loop & Q(on_time=True),
        "extended": Q(extension_days__gt=0),
        "overdue_open": loop & Assignment.overdue_q(now),
        "rated": rated,
        "dissatisfied": rated & Q(satisfaction="dissatisfied"),
        "satisfied": rated & ~Q(satisfaction="dissatisfied"),
        "resolved": loop & Q(resolve_count__gt=0),
        "reopened": loop & Q(reopen_count__gt=0),
        "whistled": Q(role="whistle"),
        "responded": Q(role="whistle", responded_at__isnull=False),
    }


def _aggregates(now):
    filters = metric_filters(now)
    counts = {key: Count("id", filter=q) for key, q in filters.items() if key not in ("resolved", "reopened")}
    # resolutions and reworks count every occurrence (a ticket reworked twice counts twice)
    counts["resolved"] = Sum("resolve_count", filter=filters["resolved"], default=0)
    counts["reopened"] = Sum("reopen_count", filter=filters["reopened"], default=0)
    counts["avg_hours_to_close"] = Avg("hours_to_close", filter=Q(role="lead"))
    return counts


def _rate(numerator, denominator):
    return None if not denominator else round(numerator / denominator, 4)


def _with_rates(counts: dict) -> dict:
    if counts["avg_hours_to_close"] is not None:
        counts["avg_hours_to_close"] = round(counts["avg_hours_to_close"], 1)
    for m in METRICS.values():
        if m.is_rate:
            counts[m.key] = _rate(counts[m.numerator], counts[m.denominator])
    return counts


def period_bounds(date_from: dt.date | None, date_to: dt.date | None):
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=tz) if date_from else None
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz) if date_to else None
    return start, end


def node_path_filter(code: str | None, user) -> Q:
    """The assignments under the node `code` (a region, organisation or department code) visible to `user`."""
    if not code:
        return Q()
    from dangjian.orgs.models import PartyOrg
    from dangjian.units.models import Department

    region = Region.objects.restrict(user, "view").filter(division_code=code).first()
    if region is not None:
        return Q(region_path__startswith=region.path)
    org = PartyOrg.objects.restrict(user, "view").filter(code=code).select_related("region").first()
    if org is not None:
        if org.region_id is None:
            raise Invalid(f"党组织“{org.name}”没有对应的区划，无法统计工单", "scope")
        return Q(region_path__startswith=org.region.path)
    department = Department.objects.restrict(user, "view").filter(code=code).first()
    if department is not None:
        return Q(department_path__startswith=department.path)
    raise Invalid(f"找不到代码为“{code}”的区划、党组织或部门，或不在您的权限范围内", "scope")


def scoped_assignments(user, *, scope=None, date_from=None, date_to=None, department=None, grid=None,
                       category=None, source=None):
    qs = Assignment.objects.restrict(user, "view").filter(node_path_filter(scope, user))
    start, end = period_bounds(date_from, date_to)
    if start:
        qs = qs.filter(dispatched_at__gte=start)
    if end:
        qs = qs.filter(dispatched_at__lt=end)
    if department:
        qs = qs.filter(node_path_filter(department, user))
    if grid:
        qs = qs.filter(grid__division_code=grid)
    if category:
        qs = qs.filter(Q(category__code=category) | Q(category__parent__code=category))
    if source:
        qs = qs.filter(source=source)
    return qs


def ticket_metrics(assignments, now=None) -> dict:
    """Every metric of METRICS over `assignments` (the dispatches of the period)."""
    return _with_rates(assignments.aggregate(**_aggregates(now or timezone.now())))


GROUPS = {
    "department": ("department__code", "department__name"),
    "category": ("category__parent__code", "category__parent__name"),
    "source": ("source", None),
    "grid": ("grid__division_code", "grid__name"),
}


def ticket_metrics_by(assignments, group: str, now=None) -> list[dict]:
    """The metrics per department, category (大类), source, grid, or child region (`child:<path>`)."""
    now = now or timezone.now()
    if group.startswith("child:"):
        return _metrics_by_child(assignments, group[6:], now)
    key, label = GROUPS[group]
    fields = [key] + ([label] if label else [])
    rows = assignments.values(*fields).annotate(**_aggregates(now)).order_by(key)
    sources = dict(Assignment._meta.get_field("source").choices)
    out = []
    for row in rows:
        code = row.pop(key)
        name = row.pop(label) if label else sources.get(code, code)
        out.append({"code": code, "name": name, **_with_rates(row)})
    return out


def _metrics_by_child(assignments, parent_path: str, now) -> list[dict]:
    """One row per child region of `parent_path`, grouping on the path prefix (no join)."""
    depth = len(parent_path) + Region.steplen
    children = {r.path: r for r in Region.objects.filter(path__startswith=parent_path, depth=depth // Region.steplen)}
    rows = (assignments.filter(region_path__startswith=parent_path)
            .annotate(child=Substr("region_path", 1, depth)).values("child").annotate(**_aggregates(now)))
    by_child = {row.pop("child"): row for row in rows}
    empty = {k: 0 for k in _aggregates(now)} | {"avg_hours_to_close": None}
    return [{"code": r.division_code, "name": r.name, "path": r.path, **_with_rates(dict(by_child.get(p, empty)))}
            for p, r in sorted(children.items())]


# ---- grid-worker assessment -----------------------------------------------------------------------------------
def _band(score: Decimal, bands) -> str:
    for band in bands:
        if score >= Decimal(str(band["min"])):
            return band["band"]
    return bands[-1]["band"] if bands else "red"


def assessment(user, month: dt.date) -> list[dict]:
    """Per grid worker for the month: reports, valid reports, visits, average hours to report, band, reward."""
    policy = TicketPolicy.current()
    start = month.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    t0, t1 = period_bounds(start, end - dt.timedelta(days=1))
    workers = GridWorker.objects.restrict(user, "view").select_related("grid", "user")
    reports = {r["reporter"]: r for r in Ticket.objects.filter(created_at__gte=t0, created_at__lt=t1,
                                                               reporter__in=workers.values("user"))
               .values("reporter").annotate(made=Count("id"),
                                            valid=Count("id", filter=Q(registered_at__isnull=False)),
                                            lag=Avg(F("created_at") - F("occurred_at")))}
    visits = dict(Visit.objects.filter(worker__in=workers, visited_on__gte=start, visited_on__lt=end)
                  .values("worker").annotate(n=Count("id")).values_list("worker", "n"))
    rows = []
    for w in workers:
        r = reports.get(w.user_id, {})
        made, valid, lag = r.get("made", 0), r.get("valid", 0), r.get("lag")
        n_visits = visits.get(w.pk, 0)
        score = Decimal(valid) * policy.report_weight + Decimal(n_visits) * policy.visit_weight
        band = _band(score, policy.bands)
        rows.append({
            "worker": w, "name": w.name, "kind": w.get_kind_display(), "grid": w.grid.name,
            "reports": made, "valid": valid, "visits": n_visits,
            "avg_hours_to_report": None if lag is None else round(lag.total_seconds() / 3600, 1),
            "score": score, "band": band, "band_label": BAND_LABELS.get(band, band),
            "reward": (policy.micro_reward * valid) if w.kind == GridWorker.Kind.MICRO else None,
        })  # fmt: skip
    return rows
