"""Reads of the statistics, always scoped: what the dashboards, the 大屏, the briefings and the statistical
tables use. Values come from the snapshots (`services.do_refresh`); where a period has no complete snapshot they
are computed live from the raw tables with the same grouped functions.

Types used throughout:

- `Node` (registry.Node): ``tree`` ("org" | "region"), ``path`` ('' = the whole tree), ``code``, ``name``,
  ``pk``. Get one with `resolve_node` (scoped: 404 outside the user's scope) or `node_for(obj)`.
- `Period` (registry.Period): ``Period.of("month", date)``, ``Period.parse("2026-11")``; kinds day, month, year.
- a value: ``int`` for counts, ``float`` for rates (a fraction: 0.979 means 97.9%) and averages, ``None`` when
  unknown (a rate whose denominator is 0, a stock figure of a past period that was never snapshotted).
"""

import datetime as dt
from collections.abc import Iterable

from django.db.models import Sum
from django.http import Http404
from django.utils import timezone

from dangjian.core.scope import user_scope

from .models import Snapshot, SnapshotRun
from .registry import (
    SOURCES,
    TREES,
    Group,
    Metric,
    Node,
    Period,
    load,
    metric,
    metrics_on,
    needed_counts,
    rate,
    with_rates,
)

Value = int | float | None


class OutOfScope(Http404):
    """The node does not exist or lies outside the user's scope (answered as 404)."""


# ---- nodes -------------------------------------------------------------------------------------------------
def _tree(tree: str):
    load()
    if tree not in TREES:
        raise Http404(f"未登记的统计树：{tree}")
    return TREES[tree]


def node_for(obj) -> Node:
    """The `Node` of a PartyOrg or Region instance (or of a Node, returned as is)."""
    if isinstance(obj, Node):
        return obj
    load()
    label = obj._meta.concrete_model._meta.label
    for t in TREES.values():
        if t.model == label:
            return Node(t.key, obj.path, getattr(obj, t.code_field), obj.name, obj.pk)
    raise ValueError(f"{label} is not a registered statistics tree")


def whole_tree(tree: str) -> Node:
    _tree(tree)
    return Node(tree, "", "", "全部", None)


def resolve_node(user, tree: str, code: str | None = None) -> Node:
    """The node `code` (an organisation code or a division code) of `tree` inside the user's view scope; without
    `code`, the user's top node (for an unrestricted user with several roots: the whole tree). Raises
    `OutOfScope` (a 404) when the node is unknown or outside the scope. `user` None is the system."""
    t = _tree(tree)
    model = t.get_model()
    visible = model.objects.restrict(user, "view")
    if code:
        obj = visible.filter(**{t.code_field: code}).first()
        if obj is None:
            raise OutOfScope(f"找不到代码为“{code}”的{t.label}，或不在您的权限范围内")
        return node_for(obj)
    if user_scope(user, "view").unrestricted:
        roots = list(model.objects.get_root_nodes()[:2])
        return node_for(roots[0]) if len(roots) == 1 else whole_tree(tree)
    top = visible.order_by("depth", "path").first()
    if top is None:
        raise OutOfScope(f"您的权限范围内没有{t.label}")
    return node_for(top)


def may_see(user, node: Node, action: str = "view") -> bool:
    """Whether `node` lies inside the user's scope for `action` (the whole tree: only for an unrestricted one)."""
    scope = user_scope(user, action)
    if scope.unrestricted:
        return True
    prefixes = scope.orgs if node.tree == "org" else scope.regions
    return bool(node.path) and any(node.path.startswith(p) for p in prefixes)


def paired_node(user, node: Node) -> Node | None:
    """The node of the other tree for the same place: a region → the topmost organisation located in the region
    itself (the township → its 党委), else the topmost one located below it; an organisation → the region it is
    located in. None when there is none in scope."""
    other = "region" if node.tree == "org" else "org"
    if not node.path:
        return whole_tree(other) if user_scope(user, "view").unrestricted else None
    t, o = _tree(node.tree), _tree(other)
    if node.tree == "org":
        obj = t.get_model().objects.filter(path=node.path).select_related("region").first()
        region = getattr(obj, "region", None)
        found = node_for(region) if region is not None else None
    else:
        orgs = o.get_model().objects.order_by("depth", "path")
        here = orgs.filter(region_id=node.pk) if node.pk else orgs.filter(region__path=node.path)
        obj = here.first() or orgs.filter(region__path__startswith=node.path).first()
        found = node_for(obj) if obj is not None else None
    return found if found is not None and may_see(user, found) else None


def scope_nodes(user, code: str | None = None) -> dict[str, Node | None]:
    """{"org": Node | None, "region": Node | None} for a scope code (a division code or an organisation code; the
    user's top region when omitted): the node itself and its pair on the other tree. OutOfScope when `code` is
    neither inside the scope."""
    for tree in ("region", "org"):
        try:
            node = resolve_node(user, tree, code)
        except OutOfScope:
            continue
        return {tree: node, ("org" if tree == "region" else "region"): paired_node(user, node)}
    raise OutOfScope(f"找不到代码为“{code}”的区划或党组织，或不在您的权限范围内")


def children(node: Node) -> list[Node]:
    """The child nodes of `node` (the roots for the whole tree), by path."""
    t = _tree(node.tree)
    model = t.get_model()
    qs = model.objects.get_root_nodes() if not node.path else model.objects.filter(
        path__startswith=node.path, depth=node.depth + 1)
    return [node_for(obj) for obj in qs.order_by("path")]


# ---- reading counts ----------------------------------------------------------------------------------------
def _today(now=None) -> dt.date:
    return timezone.localdate(now) if now else timezone.localdate()


def _storage(period: Period, today: dt.date) -> Period:
    """The snapshot period that holds a stock figure for `period`: the day or month itself; for a year, its
    December (or the current month while the year runs)."""
    if period.kind != "year":
        return period
    return Period.of("month", min(period.last_day, today))


def _complete(tree: str, periods: Iterable[Period], depth: int = 0) -> set[tuple[str, dt.date, str]]:
    """(period kind, start, source) of the complete, fresh snapshot runs among `periods` that keep nodes of
    `depth` (deeper nodes than a run keeps are computed live)."""
    periods = list(periods)
    if not periods:
        return set()
    rows = SnapshotRun.objects.filter(tree=tree, stale=False, period_kind__in={p.kind for p in periods},
                                      period_start__in={p.start for p in periods}, max_depth__gte=depth)
    return set(rows.values_list("period_kind", "period_start", "source"))


def _by_source(keys: Iterable[str]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for key in keys:
        grouped.setdefault(metric(key).source, []).append(key)
    return grouped


def _live(tree: str, root: str, length: int, period: Period, source: str, keys: list[str], now) -> dict:
    group = Group(tree, root, length, period, now or timezone.now())
    computed = SOURCES[source].compute(group)
    return {path: {k: values.get(k, 0) for k in keys} for path, values in computed.items()}


def _snapshot_periods(source, period: Period, today: dt.date) -> list[Period]:
    """The stored periods that hold `period` for `source`: a stock figure's day or month (a year's last month), a
    flow figure's day or month itself (a year: its months up to now, summed)."""
    if source.kind == "stock":
        return [_storage(period, today)]
    if period.kind != "year":
        return [period]
    return [p for p in (Period("month", period.start).shift(i) for i in range(12)) if p.start <= today]


def _counts(tree: str, root: str, length: int, period: Period, keys: list[str], now=None,
            paths: Iterable[str] | None = None) -> dict[str, dict[str, Value]]:
    """{node path: {count key: value}} for the nodes of path length `length` under `root`, from the snapshots where
    complete, else live. Nodes without records are absent (read them as 0); a stock value that cannot be known
    (a past period never snapshotted) is None for every node listed in `paths`.

    One query finds the complete snapshot runs, one reads the stored values (per distinct set of periods)."""
    today = _today(now)
    out: dict[str, dict[str, Value]] = {}
    depth = length // _tree(tree).steplen
    by_source = _by_source(keys)
    wanted = {key: _snapshot_periods(SOURCES[key], period, today) for key in by_source}
    done = _complete(tree, {p for periods in wanted.values() for p in periods}, depth)
    stored: dict[tuple[Period, ...], list[str]] = {}
    for source_key, source_keys in by_source.items():
        periods = wanted[source_key]
        if periods and all((p.kind, p.start, source_key) in done for p in periods):
            stored.setdefault(tuple(periods), []).extend(source_keys)
        elif SOURCES[source_key].kind == "flow" or periods[0].contains(today):
            _merge(out, _live(tree, root, length, period, source_key, source_keys, now))
        else:  # a past stock figure that was never snapshotted cannot be known
            for path in (paths or ()):
                out.setdefault(path, {}).update(dict.fromkeys(source_keys))
    for periods, stored_keys in stored.items():
        _read_into(out, tree, root, depth, length, list(periods), stored_keys)
    return out


def _merge(out: dict, more: dict) -> None:
    for path, values in more.items():
        out.setdefault(path, {}).update(values)


def _read_into(out, tree, root, depth, length, periods: list[Period], keys: list[str]) -> None:
    qs = Snapshot.objects.filter(tree=tree, depth=depth, period_kind=periods[0].kind, metric__in=keys,
                                 period_start__in=[p.start for p in periods])
    qs = qs.filter(path=root) if len(root) == length else qs.filter(path__startswith=root)
    if len(periods) > 1:
        rows = qs.values("path", "metric").annotate(total=Sum("value")).values_list("path", "metric", "total")
    else:
        rows = qs.values_list("path", "metric", "value")
    found: dict[str, dict[str, Value]] = {}
    for path, key, value in rows:
        found.setdefault(path, {})[key] = value
    for path, values in found.items():
        out.setdefault(path, {}).update({k: _number(values.get(k, 0)) for k in keys})


def _number(value) -> int | float:
    return int(value) if float(value).is_integer() else value


def _finish(counts: dict[str, Value], metrics: list[Metric]) -> dict[str, Value]:
    full = {k: counts.get(k, 0) for k in needed_counts(metrics)}
    full = with_rates(full, metrics)
    return {m.key: full.get(m.key) for m in metrics}


def _metrics(node_or_tree, keys) -> list[Metric]:
    tree = node_or_tree.tree if isinstance(node_or_tree, Node) else node_or_tree
    found = metrics_on(tree, keys) if keys is not None else metrics_on(tree)
    wrong = [m.key for m in found if m.tree != tree]
    if wrong:
        raise KeyError(f"指标{'、'.join(wrong)}不在{_tree(tree).label}树上")
    return found


# ---- the API -----------------------------------------------------------------------------------------------
def metric_values(node: Node, period: Period, keys: Iterable[str] | None = None, *, now=None) -> dict[str, Value]:
    """{metric key: value} for one node and period: every metric of the node's tree, or exactly `keys` (all on
    that tree; KeyError otherwise). From the snapshots, live where a period has none."""
    metrics = _metrics(node, list(keys) if keys is not None else None)
    counts = _counts(node.tree, node.path, len(node.path), period, needed_counts(metrics), now, paths=[node.path])
    return _finish(counts.get(node.path, {}), metrics)


def live_values(node: Node, period: Period, keys: Iterable[str] | None = None, *, now=None) -> dict[str, Value]:
    """Like `metric_values`, but always computed from the raw tables (never the snapshots): the benchmark's
    baseline, and what a refresh stores."""
    metrics = _metrics(node, list(keys) if keys is not None else None)
    counts: dict[str, Value] = {}
    for source_key, source_keys in _by_source(needed_counts(metrics)).items():
        live = _live(node.tree, node.path, len(node.path), period, source_key, source_keys, now)
        counts.update(live.get(node.path, {}))
    return _finish(counts, metrics)


def metric_details(node: Node, period: Period, keys: Iterable[str] | None = None, *, now=None) -> list[dict]:
    """The figures of `metric_values` with what a card or a briefing needs, in listing order:
    [{"key", "label", "unit", "group", "value", "is_rate", "numerator", "denominator" (keys or None),
      "num_value", "den_value", "num_label", "den_label", "url" (records behind it, or None)}]."""
    metrics = _metrics(node, list(keys) if keys is not None else None)
    parts = [metric(k) for k in needed_counts(metrics)]
    values = metric_values(node, period, [m.key for m in metrics] + [p.key for p in parts if p.key not in
                                                                         {m.key for m in metrics}], now=now)
    out = []
    for m in metrics:
        out.append({
            "key": m.key, "label": m.label, "unit": m.unit, "group": m.group, "value": values[m.key],
            "is_rate": m.is_rate, "numerator": m.numerator, "denominator": m.denominator,
            "num_value": values.get(m.numerator) if m.is_rate else None,
            "den_value": values.get(m.denominator) if m.is_rate else None,
            "num_label": metric(m.numerator).label if m.is_rate else "",
            "den_label": metric(m.denominator).label if m.is_rate else "",
            "url": m.url(node, period),
        })  # fmt: skip
    return out


def children_values(node: Node, period: Period, keys: Iterable[str], *, now=None) -> list[dict]:
    """One row per child node (all children, zeros included), by path:
    [{"node": Node, "code", "name", "path", "values": {key: value}}] — one grouped read (or live query) per
    source, whatever the number of children."""
    metrics = _metrics(node, list(keys))
    kids = children(node)
    if not kids:
        return []
    length = len(kids[0].path)
    counts = _counts(node.tree, node.path, length, period, needed_counts(metrics), now, paths=[k.path for k in kids])
    return [{"node": k, "code": k.code, "name": k.name, "path": k.path,
             "values": _finish(counts.get(k.path, {}), metrics)} for k in kids]  # fmt: skip


def children_ranking(node: Node, period: Period, key: str, *, descending: bool = True, now=None) -> list[dict]:
    """The child nodes ranked by metric `key` (None values last):
    [{"rank", "node": Node, "code", "name", "path", "value", "numerator", "denominator", "url"}] where
    numerator/denominator are the parts' values for a rate (None for a count). Ties share a rank."""
    m = metric(key)
    keys = [key] + ([m.numerator, m.denominator] if m.is_rate else [])
    rows = children_values(node, period, keys, now=now)
    known = sorted((r for r in rows if r["values"][key] is not None), key=lambda r: r["values"][key],
                   reverse=descending)
    ranked, last, rank = [], object(), 0
    for i, r in enumerate(known + [r for r in rows if r["values"][key] is None]):
        value = r["values"][key]
        if value != last:
            rank, last = i + 1, value
        ranked.append({"rank": rank if value is not None else None, "node": r["node"], "code": r["code"],
                       "name": r["name"], "path": r["path"], "value": value,
                       "numerator": r["values"].get(m.numerator) if m.is_rate else None,
                       "denominator": r["values"].get(m.denominator) if m.is_rate else None,
                       "url": m.link(r["node"], period)})  # fmt: skip
    return ranked


def trend(node: Node, key: str, months: int = 12, *, end: Period | None = None, now=None) -> list[dict]:
    """The monthly series of `key` for the `months` months ending with `end` (default: the current month),
    oldest first: [{"period": Period, "code": "2026-11", "label": "2026年11月", "value": value}]. Read from the
    month snapshots (one query); a month without a complete snapshot is None, except the current month, which
    is computed live when missing."""
    m = metric(key)
    today = _today(now)
    end = end or Period.of("month", today)
    periods = [end.shift(-i) for i in range(months - 1, -1, -1)]
    parts = needed_counts([m])
    done = _complete(node.tree, periods, node.depth)
    rows = Snapshot.objects.filter(tree=node.tree, path=node.path, metric__in=parts, period_kind="month",
                                   period_start__in=[p.start for p in periods]).values_list("period_start",
                                                                                            "metric", "value")
    stored: dict[dt.date, dict[str, float]] = {}
    for start, key_, value in rows:
        stored.setdefault(start, {})[key_] = value
    out = []
    for p in periods:
        counts: dict[str, Value] = {}
        known = True
        for part in parts:
            source = metric(part).source
            if (p.kind, p.start, source) in done:
                counts[part] = _number(stored.get(p.start, {}).get(part, 0))
            elif p.contains(today):
                counts.update(_live(node.tree, node.path, len(node.path), p, source, [part], now)
                              .get(node.path, {part: 0}))
            else:
                known = False
        value = _finish(counts, [m])[key] if known else None
        out.append({"period": p, "code": p.code, "label": p.label, "value": value})
    return out


def change(node: Node, key: str, period: Period, *, now=None) -> dict:
    """The value of `key` with its 环比 (against the previous period) and 同比 (the same period a year before):
    {"value", "previous", "year_ago", "mom_delta", "mom_ratio", "yoy_delta", "yoy_ratio"}. ``*_delta`` is the
    difference (for a rate: in fractions, 0.012 = 1.2 个百分点), ``*_ratio`` the relative change (0.05 = 增长5%;
    None when the base is 0 or unknown). Month periods read their bases from the month snapshots."""
    m = metric(key)
    value = metric_values(node, period, [key], now=now)[key]
    previous = metric_values(node, period.previous, [key], now=now)[key]
    year_ago = metric_values(node, period.year_ago, [key], now=now)[key]

    def delta(base):
        return None if value is None or base is None else round(value - base, m.digits)

    def ratio(base):
        return None if value is None or not base else rate(value - base, base, 4)

    return {"value": value, "previous": previous, "year_ago": year_ago, "mom_delta": delta(previous),
            "mom_ratio": ratio(previous), "yoy_delta": delta(year_ago), "yoy_ratio": ratio(year_ago)}


def variables(nodes: Node | dict[str, Node | None], period: Period, *, now=None) -> dict[str, Value]:
    """Every metric of the given node(s) as one flat dict for the briefing template language:
    {"members.total": 12034, "tickets.dispatched": 3456, "tickets.acceptance_rate": 0.979, …}. `nodes` is a
    Node or the {"org": …, "region": …} of `scope_nodes`; metrics of a tree without a node are left out. Use
    `nested()` to get {"tickets": {"dispatched": …}} for Jinja-style ``{{ tickets.dispatched }}``."""
    if isinstance(nodes, Node):
        nodes = {nodes.tree: nodes}
    out: dict[str, Value] = {}
    for node in nodes.values():
        if node is not None:
            out.update(metric_values(node, period, now=now))
    return out


def variable_catalog(nodes: Node | dict[str, Node | None], period: Period, *, now=None) -> list[dict]:
    """Every variable with its label, unit, tree and current value, for the page that lists them:
    [{"key", "label", "unit", "group", "tree", "value", "url"}] in listing order."""
    if isinstance(nodes, Node):
        nodes = {nodes.tree: nodes}
    out = []
    for tree, node in nodes.items():
        if node is None:
            continue
        for d in metric_details(node, period, now=now):
            out.append({k: d[k] for k in ("key", "label", "unit", "group", "value", "url")} | {"tree": tree})
    return out


def nested(flat: dict[str, Value]) -> dict:
    """{"tickets.dispatched": 3} → {"tickets": {"dispatched": 3}} (keys are never prefixes of one another)."""
    out: dict = {}
    for key, value in flat.items():
        *heads, last = key.split(".")
        target = out
        for h in heads:
            target = target.setdefault(h, {})
        target[last] = value
    return out


def format_value(m: Metric | str, value: Value) -> str:
    """A value as people read it: “97.9%”, “12,034人”, “3.5小时”; “—” when unknown."""
    m = metric(m) if isinstance(m, str) else m
    if value is None:
        return "—"
    if m.is_percent:
        return f"{value * 100:.1f}%"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}{m.unit}"
    return f"{int(value):,}{m.unit}"
