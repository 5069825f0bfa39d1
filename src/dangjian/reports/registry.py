"""The metrics registry. Each app declares its figures in its own `metrics.py` and registers them from
AppConfig.ready; `reports` imports no feature app.

Three kinds of entries:

- a **tree** (`Tree`): a materialised-path tree the figures are kept on — ``org`` (PartyOrg, members and
  organisations) or ``region`` (Region, tickets and places). Nodes are addressed by their path; the empty path
  is the whole tree (above every root).
- a **source** (`Source`): one function that computes several count metrics at once, for every node of one depth
  of a tree, in one grouped query (``GROUP BY substr(path, 1, length)``), for one period. A ``stock`` source
  counts the state at the moment of computation (members by gender, open findings); a ``flow`` source counts what
  happened inside the period (tickets dispatched in the month).
- a **metric** (`Metric`): a key such as ``members.female``, a Chinese label, a unit and the source that counts it;
  a rate (``tickets.acceptance_rate``) instead names its numerator and denominator metrics and is never stored:
  rate = numerator / denominator, None when the denominator is 0.

Every count is additive over the tree (a node's value is the sum over the records whose path starts with the
node's path): a refresh groups once at the deepest depth it keeps and sums upwards exactly; a per-node read groups
on the node's own path. Adding figures to an app (see members/metrics.py, tickets/metrics.py)::

    def compute(group):                      # every node of one depth, one query
        qs = group.grouped(Visit.objects.filter(visited_on__gte=group.period.start,
                                                visited_on__lt=group.period.end), "region_path")
        return group.rows(qs.annotate(visits=Count("id")), prefix="visits.")

    def register():                          # from AppConfig.ready
        register_source(Source("visits.done", "region", "flow", ("visits.visits",), compute),
                        [Metric("visits.visits", "走访户次", "次", "region", records=…)])
        register_metric(Metric("visits.per_grid", …, numerator="visits.visits", denominator="…"))
"""

import calendar
import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import quote

from django.db.models import F, Value
from django.db.models.functions import Substr

STEPLEN = 4  # treebeard MP_Node.steplen of PartyOrg and Region
TREE_KEYS = ("org", "region")
PERIOD_KINDS = ("day", "month", "year")


# ---- periods ----------------------------------------------------------------------------------------------
@dataclass(frozen=True, order=True)
class Period:
    """A calendar day, month or year: ``kind`` and its first day ``start``; ``end`` is exclusive.

    Snapshots are kept for ``day`` and ``month``; ``year`` is for the yearly statistical tables and is read
    from the December month snapshot (or the current month for the running year)."""

    kind: str
    start: dt.date

    def __post_init__(self):
        if self.kind not in PERIOD_KINDS:
            raise ValueError(f"统计周期“{self.kind}”无效，应为 day、month 或 year")

    @classmethod
    def of(cls, kind: str, day: dt.date) -> "Period":
        """The period of `kind` that contains `day`."""
        if kind == "day":
            return cls("day", day)
        if kind == "month":
            return cls("month", day.replace(day=1))
        return cls("year", day.replace(month=1, day=1))

    @classmethod
    def parse(cls, text: str) -> "Period":
        """'2026' → year, '2026-11' → month, '2026-11-05' → day; ValueError with a Chinese message otherwise."""
        text = (text or "").strip()
        try:
            if len(text) == 4:
                return cls("year", dt.date(int(text), 1, 1))
            if len(text) == 7:
                return cls("month", dt.date.fromisoformat(text + "-01"))
            return cls("day", dt.date.fromisoformat(text))
        except ValueError:
            raise ValueError(f"统计周期“{text}”无效，应为 2026、2026-11 或 2026-11-05") from None

    @property
    def end(self) -> dt.date:
        if self.kind == "day":
            return self.start + dt.timedelta(days=1)
        if self.kind == "month":
            return (self.start + dt.timedelta(days=32)).replace(day=1)
        return self.start.replace(year=self.start.year + 1)

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    def shift(self, n: int) -> "Period":
        """The period `n` steps later (earlier when negative): days, months or years."""
        if self.kind == "day":
            return Period("day", self.start + dt.timedelta(days=n))
        if self.kind == "month":
            index = self.start.year * 12 + self.start.month - 1 + n
            return Period("month", dt.date(index // 12, index % 12 + 1, 1))
        return Period("year", self.start.replace(year=self.start.year + n))

    @property
    def previous(self) -> "Period":
        """环比的基期: the period just before."""
        return self.shift(-1)

    @property
    def year_ago(self) -> "Period":
        """同比的基期: the same period one year earlier (29 February → 28 February)."""
        if self.kind == "year":
            return self.shift(-1)
        if self.kind == "month":
            return self.shift(-12)
        year = self.start.year - 1
        return Period("day", self.start.replace(year=year, day=min(self.start.day, calendar.monthrange(year, self.start.month)[1])))

    def contains(self, day: dt.date) -> bool:
        return self.start <= day < self.end

    @property
    def code(self) -> str:
        """'2026', '2026-11' or '2026-11-05' (what `parse` reads)."""
        s = self.start
        if self.kind == "month":
            return f"{s.year:04d}-{s.month:02d}"
        return f"{s.year:04d}-{s.month:02d}-{s.day:02d}" if self.kind == "day" else f"{s.year:04d}"

    @property
    def label(self) -> str:
        """'2026年', '2026年11月' or '2026年11月5日'."""
        s = self.start
        return {"day": f"{s.year}年{s.month}月{s.day}日", "month": f"{s.year}年{s.month}月", "year": f"{s.year}年"}[self.kind]

    def __str__(self) -> str:
        return self.code


# ---- trees and nodes --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Tree:
    key: str  # "org" or "region"
    label: str  # "党组织" / "行政区划"
    model: str  # app label of the MP_Node model, e.g. "orgs.PartyOrg"
    code_field: str  # the field users type: "code" / "division_code"
    steplen: int = STEPLEN

    def get_model(self):
        from django.apps import apps

        return apps.get_model(self.model)


@dataclass(frozen=True)
class Node:
    """A node of a tree as the reports see it. ``path`` '' is the whole tree (name “全部”)."""

    tree: str
    path: str
    code: str = ""
    name: str = "全部"
    pk: int | None = None

    @property
    def depth(self) -> int:
        return len(self.path) // TREES[self.tree].steplen if self.tree in TREES else len(self.path) // STEPLEN


# ---- what a source computes -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Group:
    """One grouped computation: every node whose path has `length` characters under `root`, for `period`,
    evaluated at `now` (stock sources count the state at `now`; flow sources the records dated in `period`).

    `length` == len(root) computes the root node alone (the per-node computation). With `shallower`, records of
    nodes shallower than `length` are kept under their own path (a refresh groups once at its deepest depth and
    sums upwards)."""

    tree: str
    root: str
    length: int
    period: Period
    now: dt.datetime
    shallower: bool = False

    def grouped(self, queryset, path_field: str, *also: str):
        """`queryset` cut to the subtree and annotated with ``node`` = the path prefix of the group, as values
        (grouped on ``node`` and on the fields or annotations `also`).

        Use ``.annotate(key=Count(...))`` on the result, then `rows()`."""
        qs = queryset.filter(**{f"{path_field}__startswith": self.root}) if self.root else queryset
        qs = qs.order_by()  # a model's default ordering must not reach the GROUP BY
        if self.length == 0:
            return qs.annotate(node=Value("")).values("node", *also)
        return qs.annotate(node=Substr(F(path_field), 1, self.length)).values("node", *also)

    @staticmethod
    def fetch(queryset) -> list[dict]:
        """The rows of a values() queryset as dicts, read with a plain cursor: Django's per-value converters cost
        seconds on the 100,000 groups of a province and counts need none."""
        from django.db import connections

        sql, params = queryset.query.get_compiler(queryset.db).as_sql()
        with connections[queryset.db].cursor() as cursor:
            cursor.execute(sql, params)
            names = [c[0] for c in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def rows(self, rows, prefix: str = "") -> dict[str, dict[str, float]]:
        """{node path: {prefix + column: value}} from grouped rows (dicts with "node" and one column per count),
        dropping zero values and, unless `shallower`, the records of shallower nodes (whose path is shorter than
        `length`, so their prefix is not a node of this depth). `prefix` turns column names into metric keys
        ("tickets."). Rows of the same node are summed. A values() queryset is read with `fetch`."""
        if hasattr(rows, "query"):
            rows = self.fetch(rows)
        out: dict[str, dict[str, float]] = {}
        for row in rows:
            row = dict(row)
            node = row.pop("node") or ""
            if len(node) != self.length and not (self.shallower and len(node) < self.length):
                continue
            values = out.setdefault(node, {})
            for key, value in row.items():
                if value:
                    values[prefix + key] = values.get(prefix + key, 0) + value
        return out

    @property
    def start(self) -> dt.datetime:
        """The period's first moment in the current time zone (for DateTimeField filters)."""
        from django.utils import timezone

        return dt.datetime.combine(self.period.start, dt.time.min, tzinfo=timezone.get_current_timezone())

    @property
    def end(self) -> dt.datetime:
        from django.utils import timezone

        return dt.datetime.combine(self.period.end, dt.time.min, tzinfo=timezone.get_current_timezone())


@dataclass(frozen=True)
class Source:
    """Computes the count metrics `keys` for a `Group`: ``compute(group) -> {node path: {key: value}}``.

    Values of 0 may be left out. ``changed(since)`` (optional, flow sources) answers the days whose figures may
    have changed since `since` (records acted on since then), so an incremental refresh recomputes their months.
    ``first_day()`` (optional, flow sources) is the first day with data, where a full rebuild starts."""

    key: str
    tree: str
    kind: str  # "stock" or "flow"
    keys: tuple[str, ...]
    compute: Callable[[Group], dict[str, dict[str, float]]]
    changed: Callable[[dt.datetime], Iterable[dt.date]] | None = None
    first_day: Callable[[], dt.date | None] | None = None


@dataclass(frozen=True)
class Metric:
    """One figure.

    - ``key``: dotted, app first (``members.female``, ``tickets.acceptance_rate``);
    - ``label``: the Chinese name shown and written into briefings; ``unit``: 人, 个, 件, 次, 小时, %;
    - ``tree``: "org" or "region"; ``source``: the key of the `Source` that counts it (None for a rate);
    - ``numerator`` / ``denominator``: for a rate (or an average, unit 小时), the metric keys; its value is
      numerator / denominator rounded to ``digits`` (a % rate is a fraction, 0.979 → “97.9%”), None when the
      denominator is 0;
    - ``records(node, period)``: the URL of the existing list page showing the records behind the figure, with
      its filters (None when there is no such page);
    - ``group``: the heading the metric is listed under (e.g. “党员年龄”); ``order``: position in listings."""

    key: str
    label: str
    unit: str
    tree: str
    source: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    records: Callable[[Node, Period], str | None] | None = None
    group: str = ""
    help: str = ""
    digits: int = 4
    order: int = 0

    @property
    def is_rate(self) -> bool:
        return self.denominator is not None

    @property
    def is_percent(self) -> bool:
        return self.unit == "%"

    def url(self, node: Node, period: Period) -> str | None:
        """The list behind the figure; a rate links to its numerator's records."""
        if self.records is not None:
            return self.records(node, period)
        if self.is_rate and self.numerator in METRICS:
            return METRICS[self.numerator].url(node, period)
        return None

    @property
    def has_records(self) -> bool:
        if self.records is not None:
            return True
        return self.is_rate and self.numerator in METRICS and METRICS[self.numerator].has_records

    def link(self, node: Node, period: Period) -> str | None:
        """A link to the list behind the figure through the view `report-records`, which redirects to `url`: a
        format string instead of a reverse() and an urlencode() per figure, for the dashboards, which show thousands
        of figures (heat-map cells, rankings, the grid map). None when there is no list."""
        if not self.has_records:
            return None
        return f"{_records_base()}?metric={self.key}&code={quote(node.code)}&period={period.code}"


@functools.cache
def _records_base() -> str:
    from django.urls import reverse

    return reverse("report-records")


TREES: dict[str, Tree] = {}
SOURCES: dict[str, Source] = {}
METRICS: dict[str, Metric] = {}
_LATER: list[Callable[[], None]] = []
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


def register_later(register: Callable[[], None]) -> None:
    """Run `register()` on first use of the registry, once every app is ready: for metrics that depend on another
    registry filled by other apps (the checkup findings by rule need every rule registered first)."""
    _LATER.append(register)


def load() -> None:
    """Run the deferred registrations. Every read below calls it; code reading METRICS directly calls it first."""
    while _LATER:
        _LATER.pop(0)()


def register_tree(tree: Tree) -> Tree:
    """Register a tree; registering the same tree again (two apps declaring it) is allowed."""
    if tree.key not in TREE_KEYS:
        raise ValueError(f"unknown tree {tree.key}")
    if tree.key in TREES and TREES[tree.key] != tree:
        raise ValueError(f"tree {tree.key} registered twice with different definitions")
    TREES[tree.key] = tree
    return tree


def register_source(source: Source, metrics: Iterable[Metric] = ()) -> Source:
    """Register a source and the count metrics it computes (each metric's `source` is filled in)."""
    if source.key in SOURCES:
        raise ValueError(f"source {source.key} registered twice")
    if source.kind not in ("stock", "flow"):
        raise ValueError(f"source {source.key}: kind must be stock or flow")
    SOURCES[source.key] = source
    for metric in metrics:
        if metric.key not in source.keys:
            raise ValueError(f"metric {metric.key} is not computed by source {source.key}")
        register_metric(Metric(**{**metric.__dict__, "source": source.key, "tree": source.tree}))
    return source


def register_metric(metric: Metric) -> Metric:
    if not KEY_PATTERN.match(metric.key):
        raise ValueError(f"metric key {metric.key!r}: dotted lower-case identifiers, e.g. members.female")
    if metric.key in METRICS:
        raise ValueError(f"metric {metric.key} registered twice")
    if metric.tree not in TREE_KEYS:
        raise ValueError(f"metric {metric.key}: tree must be org or region")
    if metric.is_rate == (metric.source is not None):
        raise ValueError(f"metric {metric.key}: a metric has either a source or a numerator and denominator")
    if metric.is_rate and not metric.numerator:
        raise ValueError(f"metric {metric.key}: a rate needs a numerator")
    METRICS[metric.key] = metric
    return metric


def check_registry() -> list[str]:
    """Problems in what the apps registered (run by the tests and `dangjian stats check`): [] when sound."""
    load()
    problems = []
    keys = sorted(METRICS)
    for a, b in zip(keys, keys[1:], strict=False):
        if b.startswith(a + "."):
            problems.append(f"{a} is both a metric and the prefix of {b} (templates could not nest them)")
    for m in METRICS.values():
        if m.tree not in TREES:
            problems.append(f"{m.key}: tree {m.tree} is not registered")
        if m.is_rate:
            for part in (m.numerator, m.denominator):
                if part not in METRICS:
                    problems.append(f"{m.key}: {part} is not a registered metric")
                elif METRICS[part].tree != m.tree:
                    problems.append(f"{m.key}: {part} lives on another tree")
                elif METRICS[part].is_rate:
                    problems.append(f"{m.key}: {part} is itself a rate")
        elif m.source not in SOURCES:
            problems.append(f"{m.key}: source {m.source} is not registered")
    for s in SOURCES.values():
        for key in s.keys:
            if key not in METRICS:
                problems.append(f"source {s.key}: computes {key}, which has no metric")
    return problems


def metrics_on(tree: str | None = None, keys: Iterable[str] | None = None) -> list[Metric]:
    """Registered metrics (optionally of one tree, or exactly `keys` in that order), in listing order."""
    load()
    if keys is not None:
        missing = [k for k in keys if k not in METRICS]
        if missing:
            raise KeyError(f"未登记的指标：{'、'.join(missing)}")
        return [METRICS[k] for k in keys]
    found = [m for m in METRICS.values() if tree is None or m.tree == tree]
    return sorted(found, key=lambda m: (m.order, m.key))


def metric(key: str) -> Metric:
    """The metric `key`; KeyError (with a Chinese message) when no app registered it."""
    load()
    if key not in METRICS:
        raise KeyError(f"未登记的指标：{key}")
    return METRICS[key]


def rate(numerator, denominator, digits: int = 4):
    """numerator / denominator rounded; None when the denominator is 0 or either part is unknown."""
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, digits)


def with_rates(values: dict[str, float | None], metrics: Iterable[Metric]) -> dict[str, float | None]:
    """`values` (counts by key) completed with every rate of `metrics` whose parts it holds."""
    out = dict(values)
    for m in metrics:
        if m.is_rate:
            out[m.key] = rate(values.get(m.numerator), values.get(m.denominator), m.digits)
    return out


def needed_counts(metrics: Iterable[Metric]) -> list[str]:
    """The count keys to read for `metrics`: their own keys, rates replaced by their numerator and denominator."""
    keys: dict[str, None] = {}
    for m in metrics:
        for key in ((m.numerator, m.denominator) if m.is_rate else (m.key,)):
            keys[key] = None
    return list(keys)
