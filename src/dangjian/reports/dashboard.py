"""The data of the home dashboard and the command-center screen (大屏): one call, `dashboard_data`, returns every
figure, chart series, ranking and heat-map cell of a scope and month as JSON-able data.

It reads the snapshots, in a small fixed number of queries whatever the size of the scope:

- the scope's two nodes (the organisation and the region of the same place, `queries.paired_node`);
- one query for which (tree, month, source) the snapshots hold completely, one for every stored value of the two
  nodes over the month, its 环比 and 同比 bases and the trend months (`_node_values`);
- the ranking of the child nodes by the chosen metric (`queries.children_ranking`: the children, then one read
  per source);
- the heat-map: the children and grandchildren of the region node and one read per source (`descendant_values`).

Where a period has no complete snapshot (a fresh install before the first `dangjian stats refresh`), the figures
fall back to the public reads of `queries` (computed live for the current month and for flow figures, unknown for a
stock figure of a past month), a bounded number of extra queries per source, still independent of the scope size.

The grid map with boundaries (`grid_map`) is a separate read: the boundaries are large and do not change with the
month, so the page loads them once and `dashboard_data` carries only the heat-map table.
"""

import datetime as dt
import math

from django.db.models import Q
from django.utils import timezone

from .models import Snapshot, SnapshotRun
from .queries import (
    OutOfScope,
    _counts,
    _finish,
    _number,
    children_ranking,
    format_value,
    may_see,
    metric_values,
    node_for,
    paired_node,
)
from .registry import (
    METRICS,
    SOURCES,
    TREES,
    Metric,
    Node,
    Period,
    load,
    metric,
    needed_counts,
    rate,
    with_rates,
)

TREND_MONTHS = 12
# the headline cards, in order; a key nobody registered is left out
CARDS = ["members.total", "orgs.total", "orgs.coverage", "tickets.dispatched", "tickets.acceptance_rate",
         "tickets.closure_rate", "tickets.overdue_open", "checkup.open"]  # fmt: skip
FUNNEL = ["tickets.dispatched", "tickets.accepted", "tickets.resolved", "tickets.closed", "tickets.on_time"]
TICKET_RATES = ["tickets.acceptance_rate", "tickets.closure_rate", "tickets.on_time_rate",
                "tickets.satisfaction_rate", "tickets.return_rate", "tickets.rework_rate"]  # fmt: skip
TICKET_EXTRA = ["tickets.overdue_open", "tickets.extended", "tickets.whistled", "tickets.responded",
                "tickets.response_rate", "tickets.avg_hours_to_close"]  # fmt: skip
TREND_KEYS = ["tickets.dispatched", "tickets.closed", "tickets.acceptance_rate"]
COVERAGE = ["orgs.village_coverage", "orgs.community_coverage", "orgs.coverage"]
GRID_ORGS = ["orgs.grid_branches", "orgs.grid_groups"]
CHECKUP_TOP_RULES = 8
DEFAULT_RANK = ("tickets.acceptance_rate", "members.total")
DEFAULT_MAP = "tickets.dispatched"
STATUS_GROUP, GENDER_GROUP, AGE_GROUP, EDUCATION_GROUP = "人员类别", "性别", "年龄", "学历"
ORG_KIND_GROUP = "党组织"


# ---- small helpers --------------------------------------------------------------------------------------------
def _registered(keys) -> list[str]:
    load()
    return [k for k in keys if k in METRICS]


def _node_json(node: Node | None) -> dict | None:
    if node is None:
        return None
    return {"tree": node.tree, "code": node.code, "name": node.name, "path": node.path, "depth": node.depth}


def _figure(m: Metric, values: dict, node: Node, period: Period) -> dict:
    """A figure as the charts and cards read it: value, display text, numerator/denominator, link."""
    value = values.get(m.key)
    out = {"key": m.key, "label": m.label, "unit": m.unit, "value": value, "display": format_value(m, value),
           "is_rate": m.is_rate, "url": m.link(node, period), "help": m.help}
    if m.is_rate:
        num, den = metric(m.numerator), metric(m.denominator)
        out |= {"numerator": values.get(m.numerator), "denominator": values.get(m.denominator),
                "num_label": num.label, "den_label": den.label,
                "num_display": format_value(num, values.get(m.numerator)),
                "den_display": format_value(den, values.get(m.denominator))}
    return out


def _change(m: Metric, value, base) -> tuple:
    """(delta, ratio) as `queries.change` computes them."""
    if value is None or base is None:
        return None, None
    return round(value - base, m.digits), (rate(value - base, base, 4) if base else None)


def _direction(delta) -> str:
    if delta is None:
        return ""
    return "up" if delta > 0 else ("down" if delta < 0 else "flat")


# ---- the batched read of the scope's own figures --------------------------------------------------------------
def _node_values(nodes: list[Node], periods: list[Period], keys_by_tree: dict[str, list[str]],
                 trend_periods: list[Period], trend_keys: dict[str, list[str]], now) -> dict:
    """{(tree, period start): {count key: value}} for each node (one per tree) over `periods` (every key of its
    tree) and `trend_periods` (the trend keys only), from the snapshots in two queries; a (tree, period, source)
    without a complete snapshot is read through `queries.metric_values` instead (live or unknown, as it decides)."""
    today = timezone.localdate(now) if now else timezone.localdate()
    all_periods = sorted(set(periods) | set(trend_periods))
    trees = [n.tree for n in nodes]
    done = set(SnapshotRun.objects.filter(tree__in=trees, stale=False, period_kind="month",
                                          period_start__in=[p.start for p in all_periods])
               .values_list("tree", "period_start", "source"))  # fmt: skip
    wanted = Q()
    for n in nodes:
        # depth with path, so the snapshot_nodes index bounds the scan to the node (not every node of the period)
        base = Q(tree=n.tree, depth=n.depth, path=n.path, period_kind="month")
        wanted |= base & Q(period_start__in=[p.start for p in periods], metric__in=keys_by_tree[n.tree])
        if trend_keys.get(n.tree):
            wanted |= base & Q(period_start__in=[p.start for p in trend_periods], metric__in=trend_keys[n.tree])
    stored: dict[tuple[str, dt.date], dict[str, float]] = {}
    if wanted:
        for tree, start, key, value in Snapshot.objects.filter(wanted).values_list("tree", "period_start", "metric",
                                                                                  "value"):
            stored.setdefault((tree, start), {})[key] = _number(value)
    out: dict[tuple[str, dt.date], dict] = {}
    for n in nodes:
        plan = [(p, keys_by_tree[n.tree]) for p in periods]
        plan += [(p, trend_keys.get(n.tree, [])) for p in trend_periods if p not in periods]
        for p, keys in plan:
            values = out.setdefault((n.tree, p.start), {})
            by_source: dict[str, list[str]] = {}
            for key in keys:
                by_source.setdefault(METRICS[key].source, []).append(key)
            for source, source_keys in by_source.items():
                if (n.tree, p.start, source) in done:
                    row = stored.get((n.tree, p.start), {})
                    values.update({k: row.get(k, 0) for k in source_keys})
                elif p.contains(today) or (p in periods and SOURCES[source].kind == "flow"):
                    values.update(metric_values(n, p, source_keys, now=now))
                else:  # a stock figure of a past month, or a trend month, never snapshotted: unknown
                    values.update(dict.fromkeys(source_keys))
    return out


def descendant_values(node: Node, period: Period, keys, levels: int = 2, *, now=None) -> dict[str, dict]:
    """{node path: {metric key: value}} for every node `levels` below `node` (1 = the children), counts and rates,
    from the snapshots (one grouped read per source) or live where the period has none. Nodes without records are
    absent (read them as 0)."""
    metrics = [metric(k) for k in keys]
    steplen = TREES[node.tree].steplen
    length = len(node.path) + levels * steplen
    counts = _counts(node.tree, node.path, length, period, needed_counts(metrics), now)
    return {path: _finish(values, metrics) for path, values in counts.items()}


# ---- the dashboard --------------------------------------------------------------------------------------------
def scope_pair(user, node: Node | dict) -> dict[str, Node | None]:
    """{"org": Node | None, "region": Node | None}: `node` and its pair on the other tree, checked against the
    user's scope (OutOfScope otherwise)."""
    if isinstance(node, dict):
        nodes = {"org": node.get("org"), "region": node.get("region")}
    else:
        node = node_for(node)
        nodes = {node.tree: node, ("region" if node.tree == "org" else "org"): paired_node(user, node)}
    for n in nodes.values():
        if n is not None and not may_see(user, n):
            raise OutOfScope("该范围不在您的权限范围内")
    if not any(nodes.values()):
        raise OutOfScope("您的权限范围内没有区划或党组织")
    return nodes


def metric_options(nodes: dict[str, Node | None]) -> list[dict]:
    """The metrics a ranking or the map may use, for the trees the scope has, grouped as the registry lists them:
    [{"key", "label", "unit", "group", "tree", "is_rate"}]."""
    load()
    found = [m for m in METRICS.values() if nodes.get(m.tree) is not None]
    found.sort(key=lambda m: (m.order, m.key))
    return [{"key": m.key, "label": m.label, "unit": m.unit, "group": m.group or "其他", "tree": m.tree,
             "is_rate": m.is_rate} for m in found]  # fmt: skip


def _choose(key: str | None, nodes: dict, defaults, tree: str | None = None) -> str | None:
    """`key` when the scope has a node on its tree (KeyError with a Chinese message otherwise); without `key`, the
    first of `defaults` that fits; None when none does."""
    load()

    def fits(candidate):
        m = METRICS.get(candidate)
        return m is not None and nodes.get(m.tree) is not None and (tree is None or m.tree == tree)

    if key:
        if not fits(key):
            where = "区划" if tree == "region" else "本范围"
            raise KeyError(f"指标“{key}”未登记，或不是{where}上的指标")
        return key
    return next((k for k in defaults if fits(k)), None)


def _ranking(nodes: dict, period: Period, key: str | None, now) -> dict | None:
    if key is None:
        return None
    m = metric(key)
    node = nodes[m.tree]
    rows = children_ranking(node, period, key, now=now)
    return {"metric": key, "label": m.label, "unit": m.unit, "is_rate": m.is_rate, "tree": m.tree,
            "num_label": metric(m.numerator).label if m.is_rate else "",
            "den_label": metric(m.denominator).label if m.is_rate else "",
            "parent": _node_json(node),
            "rows": [{"rank": r["rank"], "code": r["code"], "name": r["name"], "path": r["path"], "value": r["value"],
                      "display": format_value(m, r["value"]), "numerator": r["numerator"],
                      "denominator": r["denominator"], "url": r["url"]} for r in rows]}  # fmt: skip


def heat_levels(values, whole: bool = False) -> tuple[list[float], list[dict]]:
    """Colour levels: 0 for zero or unknown, then 1–4 split at quarters of the largest value (whole numbers, rounded
    up, for counts); and the legend [{"level", "upto"}]."""
    top = max((v for v in values if v is not None), default=0)
    if not top:
        return [], [{"level": 0, "label": "0"}]
    bounds = [top * k / 4 for k in (1, 2, 3)]
    if whole:
        bounds = sorted({math.ceil(b) for b in bounds} - {top})
    legend = [{"level": 0, "upto": 0}] + [{"level": i + 1, "upto": b} for i, b in enumerate(bounds)]
    return bounds, legend + [{"level": len(bounds) + 1, "upto": top}]


def _level(value, bounds) -> int:
    if not value or not bounds:
        return 0
    return 1 + sum(value > b for b in bounds)


def _short(name: str, parent: str) -> str:
    return name[len(parent):] if parent and name.startswith(parent) and name != parent else name


def _heat(node: Node | None, period: Period, key: str | None, now) -> dict | None:
    """The table heat-map: the children of the region node (rows) and their children (cells), coloured by `key`."""
    if node is None or key is None:
        return None
    m = metric(key)
    model = TREES[node.tree].get_model()
    depth = node.depth
    below = model.objects.filter(path__startswith=node.path) if node.path else model.objects.all()
    nodes = list(below.filter(depth__in=[depth + 1, depth + 2]).order_by("path")
                 .values_list("path", "depth", TREES[node.tree].code_field, "name", "numchild"))  # fmt: skip
    # both reads always run (a fixed number of queries, whatever the depth of the scope)
    rows_v = descendant_values(node, period, [key], 1, now=now)
    cells_v = descendant_values(node, period, [key], 2, now=now)

    def value(found, path):
        v = found.get(path, {}).get(key)
        return v if path in found else (None if m.is_rate else 0)

    kids = [n for n in nodes if n[1] == depth + 1]
    grand = [n for n in nodes if n[1] == depth + 2]
    all_values = [value(cells_v, g[0]) for g in grand] or [value(rows_v, k[0]) for k in kids]
    bounds, legend = heat_levels(all_values, whole=not m.is_rate)
    row_bounds = heat_levels([value(rows_v, k[0]) for k in kids], whole=not m.is_rate)[0] if grand else bounds
    for item in legend:
        if "upto" in item:
            item["label"] = format_value(m, item["upto"])
    steplen = TREES[node.tree].steplen
    under: dict[str, list] = {}
    for g in grand:
        under.setdefault(g[0][:-steplen], []).append(g)
    rows = []
    for path, _, code, name, numchild in kids:
        cells = []
        for g_path, _, g_code, g_name, g_numchild in under.get(path, ()):
            v = value(cells_v, g_path)
            g_node = Node(node.tree, g_path, g_code, g_name)
            cells.append({"code": g_code, "name": g_name, "short": _short(g_name, name), "value": v,
                          "display": format_value(m, v), "level": _level(v, bounds), "url": m.link(g_node, period),
                          "drill": g_numchild > 0})  # fmt: skip
        v = value(rows_v, path)
        rows.append({"code": code, "name": name, "value": v, "display": format_value(m, v),
                     "level": _level(v, row_bounds),
                     "url": m.link(Node(node.tree, path, code, name), period), "drill": numchild > 0, "cells": cells})
    rows.sort(key=lambda r: (-(r["value"] or 0), r["code"]))
    return {"metric": key, "label": m.label, "unit": m.unit, "is_rate": m.is_rate, "rows": rows, "legend": legend,
            "parent": _node_json(node)}


def _group(tree_metrics: list[Metric], group: str, exclude=()) -> list[Metric]:
    return [m for m in tree_metrics if m.group == group and not m.is_rate and m.key not in exclude]


def _pyramid(org_metrics: dict[str, Metric]):
    """Age bands (youngest first) with the male and female metric of each, when the members app registers the
    cross counts ``members.male_age_*`` / ``members.female_age_*``; else None."""
    bands = [m for m in org_metrics.values() if m.group == AGE_GROUP and m.key.startswith("members.age_")
             and m.key != "members.age_35_below"]
    pairs = []
    for band in sorted(bands, key=lambda m: m.order):
        suffix = band.key.removeprefix("members.")
        male, female = org_metrics.get(f"members.male_{suffix}"), org_metrics.get(f"members.female_{suffix}")
        if male is None or female is None:
            return None
        pairs.append((band, male, female))
    return pairs or None


def dashboard_data(user, node: Node | dict, period: Period, *, rank: str | None = None, map_metric: str | None = None,
                   now=None) -> dict:
    """Everything the home dashboard and the 大屏 show for the scope of `node` (a Node of either tree, or the
    {"org", "region"} pair of `queries.scope_nodes`) and the month `period`. OutOfScope (404) when the node lies
    outside the user's scope. `rank` and `map_metric` choose the metric of the ranking and of the heat-map.

    Returns {"scope", "period", "cards", "members", "orgs", "tickets", "checkup", "ranking", "map", "options",
    "generated_at"}: every figure carries its value, its display text, numerator and denominator for a rate, and the
    URL of the list of records behind it."""
    if period.kind != "month":
        raise ValueError("看板按月统计，请选择月份（如 2026-11）")
    load()
    nodes = scope_pair(user, node)
    org, region = nodes["org"], nodes["region"]
    by_tree = {t: [m for m in METRICS.values() if m.tree == t] for t in TREES}
    bases = [period, period.previous, period.year_ago]
    trend_periods = [period.shift(-i) for i in range(TREND_MONTHS - 1, -1, -1)]
    present = [n for n in (org, region) if n is not None]
    keys_by_tree = {n.tree: needed_counts(by_tree[n.tree]) for n in present}
    trend_keys = {n.tree: needed_counts([metric(k) for k in _registered(TREND_KEYS) if metric(k).tree == n.tree])
                  for n in present}  # fmt: skip
    stored = _node_values(present, bases, keys_by_tree, trend_periods, trend_keys, now)

    def values_of(tree: str, p: Period) -> dict:
        return with_rates(stored.get((tree, p.start), {}), by_tree[tree])

    current = {n.tree: values_of(n.tree, period) for n in present}

    def fig(key: str) -> dict | None:
        m = METRICS.get(key)
        if m is None or nodes.get(m.tree) is None:
            return None
        return _figure(m, current[m.tree], nodes[m.tree], period)

    def figs(keys) -> list[dict]:
        return [f for f in (fig(k) for k in keys) if f is not None]

    cards = []
    for f in figs(CARDS):
        m = METRICS[f["key"]]
        previous = values_of(m.tree, period.previous).get(m.key)
        year_ago = values_of(m.tree, period.year_ago).get(m.key)
        mom_delta, mom_ratio = _change(m, f["value"], previous)
        yoy_delta, yoy_ratio = _change(m, f["value"], year_ago)
        cards.append(f | {"previous": previous, "year_ago": year_ago, "mom_delta": mom_delta, "mom_ratio": mom_ratio,
                          "yoy_delta": yoy_delta, "yoy_ratio": yoy_ratio, "mom_dir": _direction(mom_delta),
                          "yoy_dir": _direction(yoy_delta),
                          # for a count, more overdue tickets or open findings is worse
                          "lower_is_better": m.key in ("tickets.overdue_open", "checkup.open")})  # fmt: skip

    members = orgs = tickets = checkup = None
    if org is not None:
        org_metrics = {m.key: m for m in by_tree["org"]}
        pyramid = _pyramid(org_metrics)
        members = {
            "total": fig("members.total"),
            "status": figs(m.key for m in _group(by_tree["org"], STATUS_GROUP)),
            "gender": figs(m.key for m in _group(by_tree["org"], GENDER_GROUP)),
            "age": figs(m.key for m in sorted(_group(by_tree["org"], AGE_GROUP, exclude=["members.age_35_below"]),
                                              key=lambda m: m.order) if m.key.startswith("members.age_")),
            "pyramid": None if pyramid is None else [
                {"band": band.label, "male": fig(male.key), "female": fig(female.key)}
                for band, male, female in pyramid],
            "education": figs(m.key for m in _group(by_tree["org"], EDUCATION_GROUP,
                                                    exclude=["members.edu_college_above"])),
            "shares": figs(m.key for m in by_tree["org"] if m.key.startswith("members.") and m.is_rate),
        }  # fmt: skip
        orgs = {"total": fig("orgs.total"),
                "kinds": figs(m.key for m in _group(by_tree["org"], ORG_KIND_GROUP, exclude=["orgs.total"]))}
        open_rules = sorted((f for f in figs(m.key for m in by_tree["org"] if m.key.startswith("checkup.rule_"))
                             if f["value"]), key=lambda f: -f["value"])  # fmt: skip
        if "checkup.open" in METRICS:
            checkup = {"open": fig("checkup.open"),
                       "severity": figs(m.key for m in sorted(by_tree["org"], key=lambda m: m.order)
                                        if m.key.startswith("checkup.open_")),
                       "rules": open_rules[:CHECKUP_TOP_RULES], "rules_total": len(open_rules)}  # fmt: skip
    if region is not None:
        orgs = (orgs or {}) | {"coverage": figs(COVERAGE), "grid": figs(GRID_ORGS)}
        trend_rows = []
        for p in trend_periods:
            values = values_of("region", p)
            label = p.label if p.start.month == 1 or p == trend_periods[0] else f"{p.start.month}月"
            trend_rows.append({"code": p.code, "label": label, "full_label": p.label}
                              | {k: values.get(k) for k in _registered(TREND_KEYS)})
        tickets = {"funnel": figs(FUNNEL), "rates": figs(TICKET_RATES), "extra": figs(TICKET_EXTRA),
                   "overdue": fig("tickets.overdue_open"), "trend": trend_rows}
    ranking = _ranking(nodes, period, _choose(rank, nodes, DEFAULT_RANK), now)
    heat = _heat(region, period, _choose(map_metric, nodes, [DEFAULT_MAP], tree="region"), now)
    main = region or org
    return {
        "scope": {"code": main.code, "name": main.name, "org": _node_json(org), "region": _node_json(region)},
        "period": {"code": period.code, "label": period.label, "previous": period.previous.label,
                   "year_ago": period.year_ago.label},
        "cards": cards, "members": members, "orgs": orgs, "tickets": tickets, "checkup": checkup,
        "ranking": ranking, "map": heat, "options": metric_options(nodes),
        "generated_at": timezone.localtime(now or timezone.now()).strftime("%Y-%m-%d %H:%M:%S"),
    }  # fmt: skip


# ---- the grid map (Leaflet), loaded apart from the figures -----------------------------------------------------
GRID_MAP_LIMIT = 5000


def grid_map(user, node: Node, period: Period, key: str | None = None, *, now=None) -> dict:
    """The grids with a boundary under the region `node`, as GeoJSON features coloured by the region metric `key`
    (default: tickets dispatched): {"metric", "label", "unit", "features": [...], "legend", "truncated"}. Each
    feature's properties: code, name, value, display, level and url (the records behind the grid's figure)."""
    node = node_for(node)
    if node.tree != "region" or not may_see(user, node):
        raise OutOfScope("该区划不在您的权限范围内")
    key = _choose(key, {"region": node}, [DEFAULT_MAP], tree="region")
    if key is None:
        return {"metric": None, "features": [], "legend": [], "truncated": False}
    m = metric(key)
    model = TREES["region"].get_model()
    qs = model.objects.filter(level="grid", boundary__isnull=False)
    qs = qs.filter(path__startswith=node.path) if node.path else qs
    grids = list(qs.order_by("path").values_list("path", "division_code", "name", "boundary")[:GRID_MAP_LIMIT + 1])
    truncated = len(grids) > GRID_MAP_LIMIT
    grids = grids[:GRID_MAP_LIMIT]
    values: dict[str, dict] = {}
    steplen = TREES["region"].steplen
    for levels in sorted({(len(path) - len(node.path)) // steplen for path, *_ in grids}):
        if levels > 0:
            values.update(descendant_values(node, period, [key], levels, now=now))
        else:
            values[node.path] = metric_values(node, period, [key], now=now)
    found = [values.get(path, {}).get(key, None if m.is_rate else 0) for path, *_ in grids]
    bounds, legend = heat_levels(found, whole=not m.is_rate)
    for item in legend:
        if "upto" in item:
            item["label"] = format_value(m, item["upto"])
    features = []
    for (path, code, name, boundary), value in zip(grids, found, strict=True):
        features.append({"type": "Feature", "geometry": boundary, "properties": {
            "code": code, "name": name, "value": value, "display": format_value(m, value),
            "level": _level(value, bounds), "url": m.link(Node("region", path, code, name), period)}})  # fmt: skip
    return {"metric": key, "label": m.label, "unit": m.unit, "features": features, "legend": legend,
            "truncated": truncated}


def has_grid_boundaries(node: Node | None) -> bool:
    """Whether any grid under the region `node` has a boundary (the page then draws the Leaflet map)."""
    if node is None or node.tree != "region":
        return False
    model = TREES["region"].get_model()
    qs = model.objects.filter(level="grid", boundary__isnull=False)
    return (qs.filter(path__startswith=node.path) if node.path else qs).exists()


def ranking_rows(user, node: Node | dict, period: Period, key: str | None, *, now=None) -> tuple[Metric, Node, list[dict]]:
    """The ranking of the child nodes by `key` for the xlsx export: (metric, parent node, rows)."""
    nodes = scope_pair(user, node)
    chosen = _choose(key, nodes, DEFAULT_RANK)
    if chosen is None:
        raise KeyError("本范围没有可排名的指标")
    m = metric(chosen)
    return m, nodes[m.tree], children_ranking(nodes[m.tree], period, chosen, now=now)
