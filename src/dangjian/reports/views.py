"""Pages of the statistics: the yearly party statistics tables (党内统计) with their xlsx export, and the click-through
from a figure to the list of its records. Thin: reads in queries and tables."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from dangjian.core.audit import record_access
from dangjian.core.views import xlsx_response

from . import tables
from .queries import OutOfScope, may_see, resolve_node
from .registry import Period, metric

CRUMBS = [{"label": "统计分析"}]
FIRST_YEAR = 1921


def _year(request) -> tuple[int, str | None]:
    this_year = timezone.localdate().year
    text = (request.GET.get("year") or "").strip()
    if not text:
        return this_year, None
    if not text.isdigit() or not FIRST_YEAR <= int(text) <= this_year:
        return this_year, f"统计年度“{text}”无效，应为 {FIRST_YEAR} 至 {this_year} 之间的年份，已改用 {this_year} 年"
    return int(text), None


@login_required
def stat_tables(request):
    """党内统计: one table on the page (tabs for the others); ?export=xlsx writes all of them, one sheet each."""
    node = resolve_node(request.user, "org", (request.GET.get("scope") or "").strip() or None)
    year, warning = _year(request)
    if request.GET.get("export") == "xlsx":
        if not request.user.can("export") or not may_see(request.user, node, "export"):
            raise OutOfScope("无权导出该范围的统计表")
        built = [tables.build(t, node, year) for t in tables.TABLES]
        data = tables.workbook(built)
        title = f"党内统计-{node.name}-{year}年"
        record_access("export", object_type="party_statistics", object_repr=title, count=sum(len(b.rows) for b in built),
                      user=request.user, detail={"scope": node.code, "year": year})
        return xlsx_response(data, f"{title}.xlsx")
    key = request.GET.get("table") or tables.TABLES[0].key
    if key not in tables.TABLES_BY_KEY:
        raise Http404("没有这张统计表")
    built = tables.build(tables.TABLES_BY_KEY[key], node, year)
    this_year = timezone.localdate().year
    if not warning and all(c["value"] is None for r in built.rows for c in r["cells"]):
        warning = (f"{year}年没有保存统计快照（快照自系统运行起按月保存，年度数据取当年12月的快照），"
                   "无法给出该年度的数字")
    return render(request, "reports/tables.html", {
        "title": "党内统计", "built": built, "node": node, "year": year, "warning": warning,
        "tables": tables.TABLES, "current": key, "years": list(range(this_year, this_year - 10, -1)),
        "can_export": request.user.can("export") and may_see(request.user, node, "export"),
        "breadcrumbs": [*CRUMBS, {"label": "党内统计"}],
    })  # fmt: skip


@login_required
def records(request):
    """?metric=KEY&code=NODE&period=2026-11 (what `Metric.link` writes): redirect to the list of the records behind
    the figure of that node and period. 404 for an unknown metric, a node outside the user's scope, or a figure
    without a list."""
    try:
        m = metric((request.GET.get("metric") or "").strip())
        period = Period.parse(request.GET.get("period") or "")
    except (KeyError, ValueError) as exc:
        raise Http404(str(exc).strip("'\"")) from None
    node = resolve_node(request.user, m.tree, (request.GET.get("code") or "").strip() or None)
    url = m.url(node, period)
    if url is None:
        raise Http404(f"指标“{m.label}”没有对应的记录列表")
    return redirect(url)
