"""Pages of the briefings: the monthly 工作通报 (preview and .docx download), the figures of exchange material
(a text filled from the template language) and the uploaded .docx templates. Thin: reads in briefing/templating,
writes in briefing_services. Open to users who may export (county and township admins, branch secretaries);
a scope outside theirs answers 404."""

from urllib.parse import quote, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from . import briefing, templating
from .briefing_models import BriefingTemplate
from .briefing_services import (
    BriefingError,
    do_delete_briefing_template,
    do_export_briefing,
    do_upload_briefing_template,
    may_delete,
)
from .queries import OutOfScope, may_see, scope_nodes
from .registry import Period

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CRUMBS = [{"label": "统计分析"}]
EXAMPLE = ("{{ period.label }}，{{ scope.name }}流转事件工单{{ tickets.dispatched }}件，"
           "受理率达{{ tickets.acceptance_rate|percent }}，较上月{{ mom.tickets.acceptance_rate }}。\n"
           "全县共有党员{{ members.total|number }}名，网格党支部{{ orgs.grid_branches }}个、"
           "网格党小组{{ orgs.grid_groups }}个。")  # fmt: skip


def register_menu_items() -> None:
    """The briefing entries of the 统计分析 menu group (called from ReportsConfig.ready)."""
    from dangjian.core.menu import MenuItem, register_menu

    register_menu("reports", "统计分析", "bi-bar-chart", 55, [
        MenuItem("工作通报", "briefing", "export"),
        MenuItem("交流材料数据", "briefing-figures", "export"),
        MenuItem("通报模板", "briefing-templates", "export"),
    ])  # fmt: skip


def parse_period(text: str | None, *, default: Period, allow_year: bool, today=None) -> tuple[Period, str | None]:
    """The month (or year) typed in the filter bar; an invalid or future one falls back to `default` with a
    Chinese warning."""
    text = (text or "").strip()
    if not text:
        return default, None
    today = today or timezone.localdate()
    wanted = "2026-11" + ("或 2026" if allow_year else "")
    try:
        period = Period.parse(text)
    except ValueError:
        return default, f"统计月份“{text}”无效，应为 {wanted} 这样的写法，已改用{default.label}"
    if period.kind == "day" or (period.kind == "year" and not allow_year):
        return default, f"统计月份“{text}”无效，应为 {wanted} 这样的写法，已改用{default.label}"
    if period.start > today:
        return default, f"统计月份“{text}”还没有到，已改用{default.label}"
    return period, None


def _nodes(request, code: str | None):
    """The scope (`queries.scope_nodes`) of the filter bar, inside the user's export scope (404 otherwise)."""
    if not request.user.can("export"):
        raise Http404("无权生成通报")
    found = scope_nodes(request.user, (code or "").strip() or None)
    nodes = {tree: (n if n is not None and may_see(request.user, n, "export") else None) for tree, n in found.items()}
    if not any(nodes.values()):
        raise OutOfScope("该范围不在您的权限范围内")
    return nodes


def _this_month() -> Period:
    return Period.of("month", timezone.localdate())


def docx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=DOCX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def _filters(nodes, period) -> dict:
    main = nodes.get("region") or nodes.get("org")
    return {"scope": main.code, "month": period.code}


def _visible_templates(user):
    return BriefingTemplate.objects.filter(briefing.template_scope_q(user)).select_related("uploaded_by")


def _months(count: int = 24) -> list[Period]:
    current = _this_month()
    return [current.shift(-i) for i in range(count)]


@login_required
def briefing_page(request):
    """工作通报: the content for a scope and a month, and the .docx (?export=docx)."""
    nodes = _nodes(request, request.GET.get("scope"))
    period, warning = parse_period(request.GET.get("month"), default=_this_month().previous, allow_year=False)
    issuer = (request.GET.get("issuer") or "").strip()[:60] or None
    if request.GET.get("export") == "docx":
        data, filename = do_export_briefing(actor=request.user, nodes=nodes, period=period, issuer=issuer)
        return docx_response(data, filename)
    doc = briefing.collect(nodes, period, issuer=issuer)
    filters = _filters(nodes, period) | ({"issuer": issuer} if issuer else {})
    return render(request, "reports/briefing.html", {
        "title": "工作通报", "doc": doc, "nodes": nodes, "period": period, "warning": warning,
        "main": nodes.get("region") or nodes.get("org"), "months": _months(), "issuer": doc.issuer,
        "export_query": urlencode(filters | {"export": "docx"}), "query": urlencode(_filters(nodes, period)),
        "templates": _visible_templates(request.user)[:20], "date": briefing.cn_date(doc.date),
        "breadcrumbs": [*CRUMBS, {"label": "工作通报"}],
    })  # fmt: skip


@login_required
def figures_page(request):
    """交流材料数据: a text in the template language filled for a scope and a period, and every variable."""
    source = request.POST if request.method == "POST" else request.GET
    nodes = _nodes(request, source.get("scope"))
    period, warning = parse_period(source.get("month"), default=_this_month(), allow_year=True)
    text = source.get("text")
    result, problems = None, []
    if text is None:
        text = EXAMPLE
    elif text.strip():
        try:
            result = templating.render_text(text, templating.context_for(nodes, period))
        except templating.TemplateProblem as exc:
            problems = [str(p) for p in exc.problems]
    return render(request, "reports/briefing_figures.html", {
        "title": "交流材料数据", "nodes": nodes, "period": period, "warning": warning, "text": text,
        "result": result, "problems": problems, "main": nodes.get("region") or nodes.get("org"),
        "catalog": templating.catalog(nodes, period), "months": _months(),
        "breadcrumbs": [*CRUMBS, {"label": "交流材料数据"}],
    }, status=400 if problems else 200)  # fmt: skip


@login_required
def templates_page(request):
    """通报模板: the uploaded .docx templates the user may use, the upload form and every variable."""
    nodes = _nodes(request, request.POST.get("scope") if request.method == "POST" else request.GET.get("scope"))
    period, warning = parse_period(request.GET.get("month"), default=_this_month(), allow_year=True)
    error, status = None, 200
    if request.method == "POST":
        try:
            t = do_upload_briefing_template(actor=request.user, name=request.POST.get("name", ""),
                                            upload=request.FILES.get("file"), nodes=nodes)
        except BriefingError as exc:
            error, status = exc.message, 400
        else:
            messages.success(request, f"模板“{t.name}”已上传，使用了 {len(t.variables)} 个变量")
            return redirect(reverse("briefing-templates") + "?" + urlencode(_filters(nodes, period)))
    rows = [{"t": t, "may_delete": may_delete(request.user, t)} for t in _visible_templates(request.user)]
    return render(request, "reports/briefing_templates.html", {
        "title": "通报模板", "nodes": nodes, "period": period, "warning": warning, "rows": rows, "error": error,
        "name": request.POST.get("name", "") if request.method == "POST" else "",
        "main": nodes.get("region") or nodes.get("org"), "catalog": templating.catalog(nodes, period),
        "query": urlencode(_filters(nodes, period)), "months": _months(),
        "max_mb": briefing.MAX_TEMPLATE_BYTES // 1024 // 1024,
        "breadcrumbs": [*CRUMBS, {"label": "工作通报", "url": reverse("briefing")}, {"label": "通报模板"}],
    }, status=status)  # fmt: skip


@login_required
def template_render(request, pk: int):
    """An uploaded template filled for the scope and period of the filter bar, downloaded (audited)."""
    if not request.user.can("export"):
        raise Http404("无权生成通报")
    t = get_object_or_404(_visible_templates(request.user), pk=pk)
    nodes = _nodes(request, request.GET.get("scope"))
    period, warning = parse_period(request.GET.get("month"), default=_this_month(), allow_year=True)
    back = reverse("briefing-templates") + "?" + urlencode(_filters(nodes, period))
    if warning:
        messages.error(request, warning)
        return redirect(back)
    try:
        data, filename = do_export_briefing(actor=request.user, nodes=nodes, period=period, template=t)
    except templating.TemplateProblem as exc:
        messages.error(request, f"模板“{t.name}”无法生成：{exc}")
        return redirect(back)
    return docx_response(data, filename)


@login_required
@require_POST
def template_delete(request, pk: int):
    if not request.user.can("export"):
        raise Http404("无权管理通报模板")
    t = get_object_or_404(_visible_templates(request.user), pk=pk)
    try:
        do_delete_briefing_template(actor=request.user, template=t)
    except BriefingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"模板“{t.name}”已删除")
    return redirect(reverse("briefing-templates") + "?" + urlencode({"scope": request.POST.get("scope", "")}))
