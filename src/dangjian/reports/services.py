"""Writes of the statistics: `do_refresh` computes the snapshots, `do_mark_stale` flags periods to recompute.

A refresh computes every registered source for every depth of its tree with one grouped query per depth and
period (never one query per node), and upserts the values: running it twice gives the same rows. Each
(source, period) is written in its own transaction, so readers see either the old or the new figures of a period,
never half of them, and a province rebuild does not hold one lock for its whole duration.
"""

import datetime as dt
import time
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from .models import Snapshot, SnapshotRun
from .registry import SOURCES, TREES, Group, Period, Source, load

DAY_HISTORY_MONTHS = 2  # a full rebuild writes day snapshots from the first of the previous month
CHUNK = 500


def _max_depth(tree: str) -> int:
    return TREES[tree].get_model().objects.aggregate(n=Max("depth"))["n"] or 0


def compute_all_depths(source: Source, period: Period, now: dt.datetime, max_depth: int | None = None) -> dict:
    """{node path: {key: value}} for every node of the source's tree (and '' for the whole tree): one grouped
    query per depth."""
    tree = TREES[source.tree]
    depth = _max_depth(source.tree) if max_depth is None else max_depth
    values: dict[str, dict[str, float]] = {}
    for d in range(depth + 1):
        values.update(source.compute(Group(source.tree, "", d * tree.steplen, period, now)))
    return values


def _upsert(rows: list[tuple]) -> None:
    """INSERT … ON CONFLICT DO UPDATE of (tree, path, depth, period_kind, period_start, metric, value,
    refreshed_at) rows, several hundred per statement (PostgreSQL and SQLite share the syntax)."""
    table = connection.ops.quote_name(Snapshot._meta.db_table)
    columns = "tree, path, depth, period_kind, period_start, metric, value, refreshed_at"
    conflict = "tree, period_kind, period_start, path, metric"
    field = {f.column: f for f in Snapshot._meta.concrete_fields}
    prep_date, prep_time = field["period_start"], field["refreshed_at"]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start:start + CHUNK]
            marks = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
            params = []
            for tree, path, depth, kind, day, key, value, stamp in chunk:
                params += [tree, path, depth, kind, prep_date.get_db_prep_save(day, connection), key, float(value),
                           prep_time.get_db_prep_save(stamp, connection)]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {marks} ON CONFLICT ({conflict}) DO UPDATE SET "
                "value = excluded.value, depth = excluded.depth, refreshed_at = excluded.refreshed_at",
                params,
            )


def refresh_source(source: Source, period: Period, now: dt.datetime, max_depth: int | None = None) -> int:
    """Compute and store one source for one day or month; returns the number of stored values."""
    started = time.monotonic()
    values = compute_all_depths(source, period, now, max_depth)
    steplen = TREES[source.tree].steplen
    with transaction.atomic():
        stamp = timezone.now()
        rows = [(source.tree, path, len(path) // steplen, period.kind, period.start, key, value, stamp)
                for path, keyed in values.items() for key, value in keyed.items() if value]
        _upsert(rows)
        # values that became 0 (or nodes that went away): what this run did not write
        (Snapshot.objects.filter(tree=source.tree, period_kind=period.kind, period_start=period.start,
                                 metric__in=source.keys).exclude(refreshed_at=stamp).delete())
        SnapshotRun.objects.update_or_create(
            tree=source.tree, period_kind=period.kind, period_start=period.start, source=source.key,
            defaults={"refreshed_at": stamp, "rows": len(rows), "stale": False,
                      "seconds": round(time.monotonic() - started, 3)})  # fmt: skip
    return len(rows)


def _months_between(first: dt.date, last: dt.date) -> list[Period]:
    p, end, out = Period.of("month", first), Period.of("month", last), []
    while p <= end:
        out.append(p)
        p = p.shift(1)
    return out


def _days_between(first: dt.date, last: dt.date) -> list[Period]:
    return [Period("day", first + dt.timedelta(days=i)) for i in range((last - first).days + 1)]


def plan(*, kinds: Iterable[str] = ("day", "month"), day: dt.date | None = None, full: bool = False,
         now: dt.datetime | None = None, sources: Iterable[str] | None = None) -> list[tuple[Source, Period]]:
    """The (source, period) pairs a refresh computes.

    - incremental (default): the day and month of `day` (today), the periods marked stale, and the months (and
      already stored days) whose records a flow source reports as changed since its last refresh;
    - `full`: every month since the first day with data and every day since the first of the previous month
      for flow sources; stock sources count the present state, so only the current day and month (their past
      snapshots are history and are kept).
    A stock source is computed only for periods that contain today."""
    load()
    now = now or timezone.now()
    today = timezone.localdate(now)
    day = day or today
    kinds = tuple(kinds)
    chosen = [SOURCES[k] for k in (sources or sorted(SOURCES))]
    todo: dict[tuple[str, Period], Source] = {}

    def add(source: Source, period: Period):
        if period.kind not in kinds or period.start > today:
            return
        if source.kind == "stock" and not period.contains(today):
            return
        todo[(source.key, period)] = source

    for source in chosen:
        for kind in ("day", "month"):
            add(source, Period.of(kind, day))
        if full and source.kind == "flow":
            first = source.first_day() if source.first_day else None
            if first is not None:
                for p in _months_between(min(first, today), today):
                    add(source, p)
                since = max(first, Period.of("month", today).shift(1 - DAY_HISTORY_MONTHS).start)
                for p in _days_between(since, today):
                    add(source, p)
    stale = SnapshotRun.objects.filter(stale=True, source__in=[s.key for s in chosen])
    for key, kind, start in stale.values_list("source", "period_kind", "period_start"):
        add(SOURCES[key], Period(kind, start))
    if not full:
        for source in chosen:
            if source.changed is None:
                continue
            last = SnapshotRun.objects.filter(source=source.key).aggregate(t=Max("refreshed_at"))["t"]
            if last is None:
                continue
            stored_days = set(SnapshotRun.objects.filter(source=source.key, period_kind="day")
                              .values_list("period_start", flat=True))
            for changed in set(source.changed(last)):
                add(source, Period.of("month", changed))
                if changed in stored_days:
                    add(source, Period("day", changed))
    return sorted(todo.items(), key=lambda item: (item[0][1].kind, item[0][1].start, item[0][0]))


def do_refresh(*, kinds: Iterable[str] = ("day", "month"), day: dt.date | None = None, full: bool = False,
               now: dt.datetime | None = None, sources: Iterable[str] | None = None) -> dict:
    """Compute the snapshots `plan` names and store them (upsert; idempotent). Returns a summary:
    {"periods": number of (source, period) computed, "values": values stored, "seconds": …,
     "full": bool, "by_source": {source: periods}}."""
    now = now or timezone.now()
    started = time.monotonic()
    work = plan(kinds=kinds, day=day, full=full, now=now, sources=sources)
    depths = {tree: _max_depth(tree) for tree in TREES}
    stored, by_source = 0, {}
    for (key, period), source in work:
        stored += refresh_source(source, period, now, depths[source.tree])
        by_source[key] = by_source.get(key, 0) + 1
    summary = {"periods": len(work), "values": stored, "seconds": round(time.monotonic() - started, 2),
               "full": full, "by_source": by_source}
    return summary


def do_mark_stale(day: dt.date, *, trees: Iterable[str] | None = None, sources: Iterable[str] | None = None) -> int:
    """Mark the stored day and month containing `day` as stale (records of that day changed after the fact); the
    next refresh recomputes them and readers fall back to live figures meanwhile. Returns the runs marked."""
    qs = SnapshotRun.objects.filter(Q(period_kind="day", period_start=day)
                                    | Q(period_kind="month", period_start=day.replace(day=1)))
    if trees is not None:
        qs = qs.filter(tree__in=list(trees))
    if sources is not None:
        qs = qs.filter(source__in=list(sources))
    return qs.update(stale=True)
