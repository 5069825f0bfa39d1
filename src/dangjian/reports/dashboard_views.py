"""Pages of the dashboards: the home dashboard (also at 统计分析 → 数据看板), the command-center screen (大屏), the
JSON they refresh from, the grid map and the xlsx export of the ranking. Thin: the figures come from
`dashboard.dashboard_data`.

Who sees what: a user with a region or an organisation in their view scope gets the dashboard of that subtree
(county and township admins, branch secretaries, grid workers); other nodes answer 404. Users without a ledger
scope (department handlers, members, residents) get the plain home page with the links of their work instead
(the JSON, the map and the export answer 404 for them)."""

import io
import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from dangjian.core.audit import record_access
from dangjian.core.views import xlsx_response

from . import dashboard
from .queries import OutOfScope, children, format_value, may_see, scope_nodes
from .registry import TREES, Node, Period

CRUMBS = [{"label": "统计分析"}]
REFRESH_SECONDS = 60  # the 大屏's default refresh interval; ?refresh=N (at least 2) overrides it
MIN_REFRESH = 2


def _month(request) -> tuple[Period, str | None]:
    """?month=YYYY-MM (default: this month); a bad or future month falls back to this month with a warning."""
    this = Period.of("month", timezone.localdate())
    text = (request.GET.get("month") or "").strip()
    if not text:
        return this, None
    try:
        period = Period.parse(text)
    except ValueError:
        period = None
    if period is None or period.kind != "month" or period > this:
        return this, f"统计月份“{text}”无效，应为不晚于本月的年月（如 {this.code}），已改用本月"
    return period, None


def _nodes(request) -> dict[str, Node | None]:
    """The scope of ?scope=<division or organisation code> (default: the user's top node): OutOfScope (404) outside
    the user's view scope or for a user without a ledger scope."""
    code = (request.GET.get("scope") or "").strip() or None
    return scope_nodes(request.user, code)


def _options(request) -> dict:
    return {"rank": (request.GET.get("rank") or "").strip() or None,
            "map_metric": (request.GET.get("map") or "").strip() or None}


def _scope_choices(user, node: Node) -> list[dict]:
    """The scope picker: the node's ancestors inside the user's scope, the node, and its children."""
    model = TREES[node.tree].get_model()
    steplen = TREES[node.tree].steplen
    prefixes = [node.path[:i] for i in range(steplen, len(node.path), steplen)]
    code_field = TREES[node.tree].code_field
    up = [Node(node.tree, o.path, getattr(o, code_field), o.name) for o in model.objects.filter(path__in=prefixes)]
    choices = [{"code": n.code, "label": "　" * i + n.name, "current": False}
               for i, n in enumerate(sorted((n for n in up if may_see(user, n)), key=lambda n: n.path))]
    depth = len(choices)
    choices.append({"code": node.code, "label": "　" * depth + node.name, "current": True})
    choices += [{"code": c.code, "label": "　" * (depth + 1) + c.name, "current": False} for c in children(node)]
    return choices


def dashboard_context(request) -> dict:
    """What the home page adds for the dashboard: {"dashboard": data, …}, or {"dashboard": None} for a user
    without a ledger scope (the page then shows the links of their work). 404 for a scope outside theirs."""
    try:
        nodes = _nodes(request)
    except OutOfScope:
        if request.GET.get("scope"):
            raise
        return {"dashboard": None, "shortcuts": _shortcuts(request.user)}
    period, warning = _month(request)
    try:
        data = dashboard.dashboard_data(request.user, nodes, period, **_options(request))
    except KeyError as exc:  # a bad ?rank= or ?map=: the defaults, and say why
        data = dashboard.dashboard_data(request.user, nodes, period)
        warning = " ".join(filter(None, [warning, f"{exc.args[0]}，已改用默认指标"]))
    main = nodes["region"] or nodes["org"]
    return {
        "dashboard": data, "period": period, "month_warning": warning, "scope_choices": _scope_choices(request.user, main),
        "has_boundaries": dashboard.has_grid_boundaries(nodes["region"]),
        "export_trees": json.dumps(_export_trees(request.user, nodes)),  # for the page's script
        "this_month": Period.of("month", timezone.localdate()).code,
    }  # fmt: skip


def _export_trees(user, nodes: dict) -> list[str]:
    """The trees whose node of the scope the user may export (a branch secretary sees the region of the branch but
    exports only the organisation's figures)."""
    return [tree for tree, node in nodes.items() if node is not None and may_see(user, node, "export")]


def _shortcuts(user) -> list[dict]:
    """The home links of a user without a ledger scope (decided: ticket work only)."""
    links = []
    if user.can("handle"):
        links += [{"label": "待办工单", "icon": "bi-inbox", "url": reverse("ticket-inbox"),
                   "note": "派给本部门的工单：受理、退回、申请延期、办结反馈"},
                  {"label": "工单统计", "icon": "bi-graph-up", "url": reverse("ticket-metrics"),
                   "note": "本部门的受理率、办结率、按期办结率和满意率"}]  # fmt: skip
    if user.can("report"):
        links += [{"label": "随手拍上报", "icon": "bi-camera", "url": reverse("ticket-report"),
                   "note": "上报身边的问题，跟踪办理进度"},
                  {"label": "我的工单", "icon": "bi-card-checklist", "url": reverse("ticket-mine"),
                   "note": "我上报的事件和办理结果，办结后可评价"}]  # fmt: skip
    return links


@login_required
def dashboard_page(request):
    """数据看板: the same dashboard as the home page, under the reports menu."""
    context = dashboard_context(request)
    return render(request, "reports/dashboard.html", context | {
        "title": "数据看板", "breadcrumbs": [*CRUMBS, {"label": "数据看板"}]})


@login_required
def dashboard_json(request):
    """The dashboard figures as JSON (the charts' selects and the 大屏's refresh fetch this)."""
    nodes = _nodes(request)
    period, warning = _month(request)
    try:
        data = dashboard.dashboard_data(request.user, nodes, period, **_options(request))
    except KeyError as exc:
        return JsonResponse({"error": str(exc.args[0]) if exc.args else "指标无效"}, status=400)
    return JsonResponse(data | {"warning": warning}, json_dumps_params={"ensure_ascii": False})


@login_required
def grid_map_json(request):
    """The grids with boundaries under the region of the scope, coloured by ?map=<metric> (GeoJSON features)."""
    nodes = _nodes(request)
    if nodes["region"] is None:
        raise Http404("该范围没有区划")
    period, _ = _month(request)
    return JsonResponse(dashboard.grid_map(request.user, nodes["region"], period, _options(request)["map_metric"]),
                        json_dumps_params={"ensure_ascii": False})


RANKING_HEADERS = ["排名", "名称", "代码", "数值", "分子", "分母"]


@login_required
def ranking_export(request):
    """The ranking of the child nodes by ?rank=<metric> as xlsx (export permission on the scope)."""
    nodes = _nodes(request)
    period, _ = _month(request)
    try:
        m, parent, rows = dashboard.ranking_rows(request.user, nodes, period, _options(request)["rank"])
    except KeyError as exc:
        raise Http404(str(exc.args[0]) if exc.args else "指标无效") from None
    if parent.tree not in _export_trees(request.user, nodes):
        raise OutOfScope("无权导出该范围的统计数据")
    from dangjian.core.excel import write_xlsx

    headers = list(RANKING_HEADERS)
    headers[3] = f"{m.label}（{m.unit}）" if m.unit != "%" else m.label
    if m.is_rate:
        from .registry import metric

        headers[4], headers[5] = metric(m.numerator).label, metric(m.denominator).label
    body = [[r["rank"], r["name"], r["code"], (format_value(m, r["value"]) if r["value"] is not None else None) if m.is_percent
             else r["value"],
             r["numerator"], r["denominator"]] if m.is_rate else [r["rank"], r["name"], r["code"], r["value"]]
            for r in rows]  # fmt: skip
    if not m.is_rate:
        headers = headers[:4]
    title = f"{parent.name}下级{m.label}排名-{period.label}"
    buffer = io.BytesIO()
    count = write_xlsx(buffer, headers, body, sheet_name="排名", title=title)
    record_access("export", object_type="dashboard_ranking", object_repr=title, count=count, user=request.user,
                  detail={"scope": parent.code, "month": period.code, "metric": m.key})
    return xlsx_response(buffer.getvalue(), f"{title}.xlsx")


@login_required
def bigscreen(request):
    """大屏: the full-screen dark command-center view; it refetches the JSON every ?refresh= seconds."""
    context = dashboard_context(request)
    try:
        refresh = max(MIN_REFRESH, int(request.GET.get("refresh") or REFRESH_SECONDS))
    except ValueError:
        refresh = REFRESH_SECONDS
    return render(request, "reports/bigscreen.html", context | {"title": "指挥中心大屏", "refresh": refresh,
                                                                "time_zone": settings.TIME_ZONE})
