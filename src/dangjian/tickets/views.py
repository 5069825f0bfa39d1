"""Ticket pages: command-center queue, department inbox, detail with timeline and action forms, the mobile
report page, the map, metrics and the grid-worker assessment. Thin: reads in queries, writes in services."""

import datetime as dt
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from dangjian.core import workdays
from dangjian.core.scope import user_scope
from dangjian.core.tables import Col, attr
from dangjian.core.views import ObjectListView, xlsx_response
from dangjian.places.models import Household, Region
from dangjian.units.models import Department

from . import queries, services
from .api import PAYLOADS
from .errors import TicketError
from .filters import AssignmentFilterSet, TicketFilterSet
from .forms import CategoryForm, PolicyForm
from .metrics import METRICS
from .models import Assignment, GridWorker, Ticket, TicketCategory, TicketPhoto, TicketPolicy, Visit

CRUMBS = [{"label": "吹哨报到"}]


def time_left(deadline, now=None) -> str:
    """'剩余 2天3小时' or '超期 5小时'."""
    if deadline is None:
        return ""
    seconds = (deadline - (now or timezone.now())).total_seconds()
    hours = int(abs(seconds) // 3600)
    text = f"{hours // 24}天{hours % 24}小时" if hours >= 24 else f"{hours}小时{int(abs(seconds) % 3600 // 60)}分"
    return f"超期 {text}" if seconds < 0 else f"剩余 {text}"


def _deadline_cell(t):
    return time_left(t.deadline) if t.is_open and t.deadline else ""


TICKET_COLUMNS = [
    Col("工单编号", attr("number"), link=lambda t: reverse("ticket-detail", args=[t.pk])),
    Col("标题", attr("title")),
    Col("事件分类", lambda t: str(t.category)),
    Col("来源", attr("get_source_display")),
    Col("网格", attr("grid.name")),
    Col("状态", attr("get_status_display")),
    Col("紧急", lambda t: "紧急" if t.urgent else ""),
    Col("上报时间", lambda t: timezone.localtime(t.created_at).strftime("%Y-%m-%d %H:%M"),
        export=lambda t: timezone.localtime(t.created_at).replace(tzinfo=None)),
    Col("办结期限", lambda t: t.deadline and timezone.localtime(t.deadline).strftime("%Y-%m-%d %H:%M") or ""),
    Col("剩余时间", _deadline_cell),
]


class TicketListView(ObjectListView):
    model = Ticket
    filterset_class = TicketFilterSet
    title = "工单查询"
    breadcrumbs = CRUMBS
    select_related = ("category__parent", "grid")
    export_object_type = "ticket"
    columns = TICKET_COLUMNS

    def get_queryset(self, action="view"):
        return queries.visible_tickets(self.request.user).select_related(*self.select_related)


class CategoryListView(ObjectListView):
    """事件分类: the list for everyone; county administrators get the edit links and settings."""

    model = TicketCategory
    title = "事件分类"
    breadcrumbs = CRUMBS
    select_related = ("parent",)
    export_object_type = "ticket_category"
    columns = [
        Col("分类代码", attr("code")),
        Col("大类", lambda c: c.parent.name if c.parent_id else c.name),
        Col("小类", lambda c: c.name if c.parent_id else ""),
        Col("默认办理部门类别", attr("get_department_kind_display")),
        Col("办理时限", lambda c: c.limit_label if c.parent_id else ""),
        Col("启用", lambda c: "是" if c.is_active else "否"),
    ]

    def get_queryset(self, action="view"):
        return TicketCategory.objects.select_related("parent").order_by("code")

    def get(self, request):
        if request.user.can("configure"):
            self.columns = _category_columns()
        return super().get(request)

    def get_actions(self):
        if not self.request.user.can("configure"):
            return []
        return [{"label": "新增分类", "url": reverse("ticket-category-add"), "icon": "bi-plus"},
                {"label": "时限与考核参数", "url": reverse("ticket-policy"), "icon": "bi-sliders"}]


def _category_columns():
    edit = Col("操作", lambda c: "编辑", link=lambda c: reverse("ticket-category-edit", args=[c.pk]))
    return [*CategoryListView.columns, edit]


def _settings_page(request, form, title, done_message, save):
    if not request.user.can("configure"):
        raise Http404
    if request.method == "POST" and form.is_valid():
        try:
            save(form)
        except TicketError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, done_message)
            return redirect("ticket-categories")
    return render(request, "tickets/settings_form.html", {
        "title": title, "form": form,
        "breadcrumbs": [*CRUMBS, {"label": "事件分类", "url": reverse("ticket-categories")}, {"label": title}],
    }, status=400 if request.method == "POST" else 200)  # fmt: skip


@login_required
def category_edit(request, pk=None):
    category = get_object_or_404(TicketCategory, pk=pk) if pk else None
    form = CategoryForm(request.POST or None, instance=category)
    return _settings_page(request, form, f"编辑分类：{category}" if category else "新增分类", "分类已保存",
                          lambda f: services.do_save_category(actor=request.user, form=f))


@login_required
def policy_edit(request):
    form = PolicyForm(request.POST or None, instance=TicketPolicy.current())
    return _settings_page(request, form, "时限与考核参数", "参数已保存",
                          lambda f: services.do_save_policy(actor=request.user, form=f))


@login_required
def queue(request):
    """指挥中心: the tickets of the actor's command scope, overdue first, with counts and bulk dispatch."""
    base = queries.command_queue(request.user)
    if not user_scope(request.user, "command").unrestricted and not user_scope(request.user, "command").regions:
        raise Http404
    params = request.GET.copy()
    if "status" not in params and "overdue" not in params:
        params["status"] = "open"  # the desk works on open tickets unless asked otherwise
    filterset = TicketFilterSet(params, queryset=base.select_related("category__parent", "grid"), request=request)
    now = timezone.now()
    qs = filterset.qs.annotate(
        late=Count("pk", filter=Ticket.overdue_q(now)),
    ).order_by("-late", "-urgent", F("deadline").asc(nulls_last=True), "-created_at")
    counts = dict(base.values_list("status").annotate(n=Count("pk")))
    overdue = base.filter(Ticket.overdue_q(now)).count()
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    params.pop("page", None)
    scope = user_scope(request.user, "command")
    departments = Department.objects.all() if scope.unrestricted else Department.objects.filter(
        pk__in=[d.pk for d in Department.objects.all() if any(d.path.startswith(p) for p in scope.departments)])
    return render(request, "tickets/queue.html", {
        "title": "指挥中心", "breadcrumbs": [*CRUMBS, {"label": "指挥中心"}], "filter": filterset,
        "page_obj": page, "page_query": f"{params.urlencode()}&" if params else "",
        "status_counts": [(value, label, counts.get(value, 0)) for value, label in Ticket.Status.choices],
        "overdue": overdue, "departments": departments, "now": now,
        "rows": [(t, time_left(t.deadline, now) if t.is_open and t.deadline else "", t.is_overdue(now))
                 for t in page.object_list],
    })  # fmt: skip


@login_required
@require_POST
def bulk_dispatch(request):
    """批量派单: register (when needed) and dispatch every chosen ticket to one department; each one is its own
    transaction, so one refusal does not undo the others, and every refusal is reported by ticket number."""
    if not request.user.can("command"):
        raise Http404
    numbers = request.POST.getlist("tickets")
    department = request.POST.get("department")
    if not numbers or not department:
        messages.error(request, "请勾选工单并选择办理部门")
        return redirect(reverse("ticket-queue") + "?" + request.POST.get("back", ""))
    done, failed = 0, []
    for ticket in queries.command_queue(request.user).filter(pk__in=numbers):
        try:
            if ticket.status == Ticket.Status.REPORTED:
                services.do_register(actor=request.user, ticket=ticket)
            services.do_dispatch(actor=request.user, ticket=ticket, department=department)
            done += 1
        except TicketError as exc:
            failed.append(f"{ticket.number}：{exc.message}")
    if done:
        messages.success(request, f"已派单 {done} 件")
    for line in failed:
        messages.error(request, line)
    return redirect(reverse("ticket-queue") + "?" + request.POST.get("back", ""))


class AssignmentInboxView(ObjectListView):
    """部门收件箱: the dispatches and whistles of the user's departments, open first, nearest deadline first."""

    model = Assignment
    filterset_class = AssignmentFilterSet
    title = "部门收件箱"
    breadcrumbs = CRUMBS
    export_object_type = "ticket_assignment"
    columns = [
        Col("工单编号", attr("ticket.number"), link=lambda a: reverse("ticket-detail", args=[a.ticket_id])),
        Col("标题", attr("ticket.title")),
        Col("办理部门", attr("department.name")),
        Col("办理方式", attr("get_role_display")),
        Col("状态", attr("get_status_display")),
        Col("派单时间", lambda a: timezone.localtime(a.dispatched_at).strftime("%Y-%m-%d %H:%M")),
        Col("受理期限", lambda a: timezone.localtime(a.response_deadline).strftime("%Y-%m-%d %H:%M")),
        Col("办结期限", lambda a: timezone.localtime(a.deadline).strftime("%Y-%m-%d %H:%M")),
        Col("剩余时间", lambda a: time_left(a.deadline) if a.is_open else ""),
    ]

    def get_queryset(self, action="view"):
        if not self.request.user.can("handle"):
            raise Http404
        open_first = Q(status__in=("pending", "accepted"))
        return queries.inbox(self.request.user).annotate(
            open_=Count("pk", filter=open_first)).order_by("-open_", "deadline")


class DispatchListView(ObjectListView):
    """流转记录: the dispatches behind a figure — the same scope, period and metric filter as the metrics."""

    model = Assignment
    title = "流转记录"
    breadcrumbs = [*CRUMBS, {"label": "工单统计", "url": "/tickets/metrics/"}]
    export_object_type = "ticket_assignment"
    columns = [
        Col("工单编号", attr("ticket.number"), link=lambda a: reverse("ticket-detail", args=[a.ticket_id])),
        Col("标题", attr("ticket.title")),
        Col("网格", attr("grid.name")),
        Col("办理部门", attr("department.name")),
        Col("办理方式", attr("get_role_display")),
        Col("状态", attr("get_status_display")),
        Col("派单时间", lambda a: timezone.localtime(a.dispatched_at).strftime("%Y-%m-%d %H:%M")),
        Col("办结期限", lambda a: timezone.localtime(a.deadline).strftime("%Y-%m-%d %H:%M")),
        Col("按期", lambda a: {True: "是", False: "否"}.get(a.on_time, "")),
        Col("评价", attr("get_satisfaction_display")),
    ]

    def get_queryset(self, action="view"):
        p = self.request.GET
        try:
            date_from = dt.date.fromisoformat(p["from"]) if p.get("from") else None
            date_to = dt.date.fromisoformat(p["to"]) if p.get("to") else None
            qs = queries.scoped_assignments(self.request.user, scope=p.get("scope") or None, date_from=date_from,
                                            date_to=date_to, category=p.get("category") or None)
        except (ValueError, TicketError):
            raise Http404 from None
        metric = p.get("metric") or "dispatched"
        filters = queries.metric_filters(timezone.now())
        if metric not in filters:
            raise Http404
        label = METRICS[metric].label
        self.title = f"流转记录 · {label}" + (f"（{p['from']} 至 {p['to']} 派单）" if date_from and date_to else "")
        if action != "view":
            qs = qs & Assignment.objects.restrict(self.request.user, action)
        return qs.filter(filters[metric]).select_related("ticket", "grid", "department").order_by("-dispatched_at")


def _visible(request, pk) -> Ticket:
    return get_object_or_404(queries.visible_tickets(request.user).select_related("category__parent", "grid",
                                                                                   "reporter", "duplicate_of"), pk=pk)


def _available_actions(user, ticket: Ticket) -> list[str]:
    """The actions this user could take now (the services re-check everything on submit)."""
    names = []
    if services.may_command(user, ticket):
        names += {"reported": ["register", "reject", "merge"], "registered": ["dispatch", "whistle", "merge"],
                  "dispatched": ["dispatch", "whistle"], "processing": ["dispatch", "whistle"],
                  "resolved": ["verify"]}.get(ticket.status, [])
        if ticket.assignments.filter(requested_days__gt=0).exists():
            names.append("approve_extension")
    mine = [a for a in ticket.assignments.all() if services.may_handle(user, a)]
    for a in mine:
        if a.role == "whistle":
            names += ["respond"] if a.status == "pending" else []
        elif a.status == "pending":
            names += ["accept", "return"]
        elif a.status == "accepted":
            names += ["resolve"] + ([] if a.requested_days else ["extend"])
    if ticket.status == "closed" and not ticket.satisfaction and (
            ticket.reporter_id == user.pk or services.may_command(user, ticket)):
        names.append("rate")
    return list(dict.fromkeys(names))


@login_required
def detail(request, pk):
    ticket = _visible(request, pk)
    assignments = list(ticket.assignments.select_related("department").order_by("dispatched_at", "id"))
    events = list(ticket.events.select_related("assignment__department").prefetch_related("photos"))
    scope = user_scope(request.user, "command")
    dispatchable = [] if not services.may_command(request.user, ticket) else [
        d for d in Department.objects.order_by("path") if scope.unrestricted or
        any(d.path.startswith(p) for p in scope.departments)]
    now = timezone.now()
    return render(request, "tickets/detail.html", {
        "title": f"工单 {ticket.number}", "ticket": ticket, "events": events,
        "assignments": [(a, time_left(a.deadline, now) if a.is_open else "", a.is_overdue(now))
                        for a in assignments],
        "actions": _available_actions(request.user, ticket), "dispatchable": dispatchable,
        "county_departments": Department.objects.filter(kind="county").order_by("path"),
        "satisfactions": Ticket.Satisfaction.choices, "time_left": time_left(ticket.deadline, now)
        if ticket.is_open and ticket.deadline else "",
        "overdue": ticket.is_overdue(now),
        "unofficial_years": workdays.unofficial_years(*(timezone.localtime(a.deadline).date() for a in assignments)),
        "breadcrumbs": [*CRUMBS, {"label": "工单查询", "url": reverse("ticket-list")}, {"label": ticket.number}],
    })  # fmt: skip


@login_required
@require_POST
def act(request, pk, name):
    """One action button on the detail page: the same service and payload mapping as the API."""
    if name not in services.ACTIONS:
        raise Http404
    ticket = _visible(request, pk)
    try:
        services.ACTIONS[name](actor=request.user, ticket=ticket, **PAYLOADS[name](request.POST, request.FILES))
    except TicketError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "操作成功")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("ticket-detail", args=[ticket.pk])
    return redirect(back)


@login_required
def photo(request, pk):
    item = get_object_or_404(TicketPhoto.objects.filter(ticket__in=queries.visible_tickets(request.user)), pk=pk)
    return FileResponse(item.image.open("rb"), content_type=item.content_type)


# ---- the mobile report page ---------------------------------------------------------------------------------
SOURCE_BY_ROLE = {"grid_worker": "grid_worker", "resident": "resident", "member": "member"}


def _default_source(user) -> str:
    roles = [a.role for a in user.assignments.all()]
    if "grid_worker" in roles:
        return "grid_worker"
    if "member" in roles:
        return "member"
    return "resident" if "resident" in roles else "inspector"


def _reportable_grids(user):
    scope = user_scope(user, "report")
    grids = Region.objects.filter(level=Region.Level.GRID)
    if not scope.unrestricted:
        from dangjian.core.scope import prefix_q

        grids = grids.filter(prefix_q("path", scope.regions))
    return grids.order_by("path")


@login_required
def report(request):
    """随手拍: a phone-sized form: category picker, photos, location, then 'my reports'."""
    if not request.user.can("report"):
        raise Http404
    grids = _reportable_grids(request.user)
    sources = Ticket.Source.choices
    if request.method == "POST":
        data = request.POST
        try:
            ticket = services.do_report_ticket(
                actor=request.user, title=data.get("title"), description=data.get("description"),
                category=data.get("category"), grid=data.get("grid"),
                source=data.get("source") or _default_source(request.user), address=data.get("address", ""),
                lat=data.get("lat"), lng=data.get("lng"), urgent=data.get("urgent") == "on",
                photos=request.FILES.getlist("photos"),
            )  # fmt: skip
        except TicketError as exc:
            return render(request, "tickets/report.html", {
                "title": "随手拍", "grids": grids[:500], "categories": queries.categories_tree(), "error": exc,
                "had_photos": bool(request.FILES.getlist("photos")),
                "data": data, "sources": sources, "breadcrumbs": [*CRUMBS, {"label": "随手拍"}],
            }, status=400)  # fmt: skip
        messages.success(request, f"上报成功，工单编号 {ticket.number}")
        return redirect("ticket-mine")
    return render(request, "tickets/report.html", {
        "title": "随手拍", "grids": grids[:500], "categories": queries.categories_tree(),
        "data": {"source": _default_source(request.user)}, "sources": sources,
        "breadcrumbs": [*CRUMBS, {"label": "随手拍"}],
    })  # fmt: skip


@login_required
def mine(request):
    """我的上报: status, remaining time and the rating buttons once closed."""
    tickets = Ticket.objects.filter(reporter=request.user).select_related("category__parent", "grid")
    page = Paginator(tickets, 20).get_page(request.GET.get("page"))
    return render(request, "tickets/mine.html", {
        "title": "我的上报", "page_obj": page, "satisfactions": Ticket.Satisfaction.choices,
        "breadcrumbs": [*CRUMBS, {"label": "随手拍", "url": reverse("ticket-report")}, {"label": "我的上报"}],
    })  # fmt: skip


@login_required
def visits(request):
    """走访登记: a grid worker records household visits in their grid and sees this month's."""
    worker = GridWorker.objects.filter(user=request.user).select_related("grid").first()
    if worker is None:
        if not request.user.can("report"):
            raise Http404
        return render(request, "tickets/visits.html", {"title": "走访登记", "worker": None,
                                                       "breadcrumbs": [*CRUMBS, {"label": "走访登记"}]})
    error = None
    if request.method == "POST":
        try:
            visited_on = dt.date.fromisoformat(request.POST.get("visited_on") or "")
        except ValueError:
            visited_on = None
        try:
            services.do_record_visit(actor=request.user, household=request.POST.get("household"),
                                     visited_on=visited_on, note=request.POST.get("note", ""))
        except TicketError as exc:
            error = exc
        else:
            messages.success(request, "走访已登记")
            return redirect("ticket-visits")
    today = timezone.localdate()
    done = Visit.objects.filter(worker=worker, visited_on__gte=today.replace(day=1)).select_related("household")
    return render(request, "tickets/visits.html", {
        "title": "走访登记", "worker": worker, "error": error, "today": today, "visits": done,
        "households": Household.objects.filter(region_path__startswith=worker.region_path).order_by("head_name")[:1000],
        "breadcrumbs": [*CRUMBS, {"label": "走访登记"}],
    }, status=400 if error else 200)  # fmt: skip


# ---- map, metrics, assessment ----------------------------------------------------------------------------------
def _scope_root(request, departments=False):
    """The node the page looks at: ?scope=<region or department code> inside the user's scope, else their
    top region (or, for department users, their top department)."""
    regions = Region.objects.restrict(request.user, "view")
    code = request.GET.get("scope")
    if code:
        found = regions.filter(division_code=code).first()
        if found is None and departments:
            found = Department.objects.restrict(request.user, "view").filter(code=code).first()
        if found is None:
            raise Http404
        return found
    root = regions.order_by("depth", "path").first()
    if root is None and departments:
        root = Department.objects.restrict(request.user, "view").order_by("depth", "path").first()
    if root is None:
        raise Http404
    return root


def _heat_levels(counts):
    """Five colour levels split at quarters of the largest count, and the legend that names them."""
    top = max(counts, default=0)
    bounds = sorted({max(1, round(top * k / 4)) for k in (1, 2, 3)})

    def span(low, high):
        return f"{low}件" if low == high else f"{low}–{high}件"

    legend = [(0, "0件")] + [(i + 1, span(([0] + bounds)[i] + 1, b)) for i, b in enumerate(bounds)]
    if top > bounds[-1]:
        legend.append((len(bounds) + 1, f"{bounds[-1] + 1}件以上"))
    return (lambda n: 0 if n == 0 else 1 + sum(n > b for b in bounds)), legend


@login_required
def ticket_map(request):
    """Open tickets by place: Leaflet with grid boundaries when present; otherwise a table heat-map of the
    children of the chosen region (rows) and their children (cells), each drilling down one level."""
    root = _scope_root(request)
    tickets = queries.open_tickets_under(request.user, root)
    step = Region.steplen
    below = Region.objects.filter(path__startswith=root.path)
    children = list(below.filter(depth=root.depth + 1).order_by("path"))
    grandchildren = list(below.filter(depth=root.depth + 2).order_by("path"))
    row_counts = queries.open_counts_by_prefix(tickets, len(root.path) + step)
    cell_counts = queries.open_counts_by_prefix(tickets, len(root.path) + 2 * step)
    level, legend = _heat_levels(cell_counts.values() or row_counts.values())
    cells = {}
    for g in grandchildren:
        short = g.name
        parent_name = next((c.name for c in children if g.path.startswith(c.path)), "")
        if parent_name and short.startswith(parent_name) and short != parent_name:
            short = short[len(parent_name):]
        n = cell_counts.get(g.path, 0)
        cells.setdefault(g.path[:len(root.path) + step], []).append(
            {"region": g, "short": short, "open": n, "level": level(n), "drill": g.numchild > 0})
    rows = sorted(({"place": c, "open": row_counts.get(c.path, 0), "cells": cells.get(c.path, []),
                    "level": level(row_counts.get(c.path, 0)), "drill": c.numchild > 0} for c in children),
                  key=lambda r: (-r["open"], r["place"].path))  # fmt: skip
    open_by_grid = dict(tickets.values_list("grid").annotate(n=Count("pk")))
    features = [{"type": "Feature", "geometry": g.boundary, "properties": {
        "name": g.name, "code": g.division_code, "open": open_by_grid.get(g.pk, 0),
        "url": reverse("ticket-list") + f"?region={g.division_code}&status=open"}}
        for g in below.filter(level=Region.Level.GRID, boundary__isnull=False)]  # fmt: skip
    parent = Region.objects.filter(path=root.path[:-step]).first() if root.depth > 1 else None
    return render(request, "tickets/map.html", {
        "title": "工单地图", "root": root, "parent": parent, "features": features, "rows": rows, "legend": legend,
        "total_open": tickets.count(), "breadcrumbs": [*CRUMBS, {"label": "工单地图"}],
    })  # fmt: skip


def _period(request):
    today = timezone.localdate()
    try:
        date_from = dt.date.fromisoformat(request.GET["from"]) if request.GET.get("from") else today.replace(day=1)
        date_to = dt.date.fromisoformat(request.GET["to"]) if request.GET.get("to") else today
    except ValueError:
        return today.replace(day=1), today, "日期格式应为 2026-11-01，已改用本月"
    return date_from, date_to, None


@login_required
def metrics_page(request):
    """指标: the figures with numerator and denominator, a chart, and a ranking of child regions."""
    root = _scope_root(request, departments=True)
    is_region = isinstance(root, Region)
    code = root.division_code if is_region else root.code
    date_from, date_to, warning = _period(request)
    qs = queries.scoped_assignments(request.user, scope=code, date_from=date_from, date_to=date_to)
    figures = queries.ticket_metrics(qs)
    children = queries.ticket_metrics_by(qs, f"child:{root.path}" if is_region else "department")
    by_category = queries.ticket_metrics_by(qs, "category")
    return render(request, "tickets/metrics.html", {
        "title": "工单统计", "root": root, "date_from": date_from, "date_to": date_to, "warning": warning,
        "figures": figures, "children": children, "by_category": by_category,
        "code": code, "is_region": is_region,
        "period": f"from={date_from}&to={date_to}",
        "dispatches": reverse("ticket-dispatches") + f"?scope={code}&from={date_from}&to={date_to}",
        "cards": [{"key": m.key, "label": m.label, "value": figures[m.key], "num": figures[m.numerator],
                   "numerator": m.numerator, "denominator": m.denominator,
                   "num_label": METRICS[m.numerator].label,
                   "den": figures[m.denominator], "den_label": METRICS[m.denominator].label}
                  for m in METRICS.values() if m.is_rate],
        "breadcrumbs": [*CRUMBS, {"label": "工单统计"}],
    })  # fmt: skip


ASSESSMENT_HEADERS = ["网格员", "类别", "网格", "上报数", "有效上报", "走访户数", "平均上报用时（小时）", "得分",
                      "五色评定", "奖励（元）"]


@login_required
def assessment_page(request):
    """网格员月度考核: a page and an xlsx export."""
    try:
        month = dt.date.fromisoformat((request.GET.get("month") or timezone.localdate().strftime("%Y-%m")) + "-01")
    except ValueError:
        month = timezone.localdate().replace(day=1)
        messages.warning(request, "月份格式应为 2026-11，已改用本月")
    rows = queries.assessment(request.user, month)
    if request.GET.get("export") == "xlsx":
        if not request.user.can("export"):
            raise Http404
        from dangjian.core.services import do_export

        buffer = io.BytesIO()
        do_export(buffer, actor=request.user, object_type="grid_worker_assessment", headers=ASSESSMENT_HEADERS,
                  rows=([r["name"], r["kind"], r["grid"], r["reports"], r["valid"], r["visits"],
                         r["avg_hours_to_report"], float(r["score"]), r["band_label"],
                         None if r["reward"] is None else float(r["reward"])] for r in rows),
                  title=f"网格员考核 {month:%Y-%m}", unmasked=False)
        return xlsx_response(buffer.getvalue(), f"网格员考核-{month:%Y-%m}.xlsx")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "tickets/assessment.html", {
        "title": "网格员考核", "month": month, "page_obj": page, "page_query": f"month={month:%Y-%m}&",
        "can_export": request.user.can("export"), "breadcrumbs": [*CRUMBS, {"label": "网格员考核"}],
        "band_counts": {label: sum(1 for r in rows if r["band_label"] == label) for label in "绿蓝黄橙红"},
    })  # fmt: skip


