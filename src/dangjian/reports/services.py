"""Writes of the statistics: `do_refresh` computes the snapshots, `do_mark_stale` flags periods to recompute.

A refresh computes every registered source for every depth of its tree with one grouped query per depth and
period (never one query per node), and upserts the values: running it twice gives the same rows. Each
(source, period) is written in its own transaction, so readers see either the old or the new figures of a period,
never half of them, and a province rebuild does not hold one lock for its whole duration.
"""

import datetime as dt
import hashlib
import time
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from .models import Snapshot, SnapshotRun
from .registry import SOURCES, TREES, Group, Period, Source, load

DAY_HISTORY_MONTHS = 2  # a full rebuild writes day snapshots from the first of the previous month
DAY_RETENTION_DAYS = 400  # day snapshots older than this are removed (months are kept for good)
MAX_NODES_PER_DEPTH = 20_000  # default of settings.DANGJIAN_STATS_MAX_NODES, see stored_depth()
CHUNK = 500


def stored_depth(tree: str) -> int:
    """The deepest depth of `tree` whose nodes the snapshots keep: every depth while it has at most
    settings.DANGJIAN_STATS_MAX_NODES nodes (a county keeps every node; a province stops above its ~100,000 grids
    and branches, whose small subtrees are computed live when asked for)."""
    limit = getattr(settings, "DANGJIAN_STATS_MAX_NODES", MAX_NODES_PER_DEPTH)
    counts = dict(TREES[tree].get_model().objects.order_by().values_list("depth").annotate(n=Count("id")))
    depth = 0
    while counts.get(depth + 1, 0) and counts[depth + 1] <= limit:
        depth += 1
    return depth


def compute_all_depths(source: Source, period: Period, now: dt.datetime, max_depth: int | None = None) -> dict:
    """{node path: {key: value}} for every node of the source's tree down to `max_depth` (and '' for the whole
    tree): ONE grouped query at `max_depth` (records of shallower nodes kept under their own path), summed exactly
    up to every ancestor — the counts are additive over the tree."""
    steplen = TREES[source.tree].steplen
    depth = stored_depth(source.tree) if max_depth is None else max_depth
    deepest = source.compute(Group(source.tree, "", depth * steplen, period, now, shallower=True))
    values: dict[str, dict[str, float]] = {}
    for path, keyed in deepest.items():
        for cut in range(0, len(path) + 1, steplen):
            target = values.setdefault(path[:cut], {})
            for key, value in keyed.items():
                target[key] = target.get(key, 0) + value
    return values


STAGE = "reports_snapshot_stage"


def _update_values(cursor, changed: list[tuple[int, float]], moment) -> None:
    """Set new values on existing rows by id: through a temporary table filled by COPY on PostgreSQL, row by row
    (executemany) elsewhere."""
    table = connection.ops.quote_name(Snapshot._meta.db_table)
    if connection.vendor != "postgresql":
        cursor.executemany(f"UPDATE {table} SET value = %s, refreshed_at = %s WHERE id = %s",
                           [(value, moment, pk) for pk, value in changed])
        return
    cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE} (id bigint PRIMARY KEY, value double precision)")
    cursor.execute(f"TRUNCATE {STAGE}")
    with cursor.copy(f"COPY {STAGE} (id, value) FROM STDIN") as copy:
        for row in changed:
            copy.write_row(row)
    cursor.execute(f"UPDATE {table} t SET value = s.value, refreshed_at = %s FROM {STAGE} s WHERE t.id = s.id",
                   [moment])


def _load(cursor, source: Source, period: Period, rows: list[tuple[str, int, str, float]], stamp) -> None:
    """Write the rows of a (source, period) that holds nothing yet straight into the table (COPY on PostgreSQL)."""
    table = connection.ops.quote_name(Snapshot._meta.db_table)
    columns = "tree, path, depth, period_kind, period_start, metric, value, refreshed_at"
    if connection.vendor == "postgresql":
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for path, depth, key, value in rows:
                copy.write_row((source.tree, path, depth, period.kind, period.start, key, value, stamp))
        return
    day = Snapshot._meta.get_field("period_start").get_db_prep_save(period.start, connection)
    moment = Snapshot._meta.get_field("refreshed_at").get_db_prep_save(stamp, connection)
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        marks = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
        cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {marks}",
                       [v for path, depth, key, value in chunk
                        for v in (source.tree, path, depth, period.kind, day, key, value, moment)])


def _store(source: Source, period: Period, values: dict[str, dict[str, float]], stamp: dt.datetime,
           empty: bool = False) -> dict:
    """Make the stored values of (source, period) equal `values` (an upsert): insert the new ones, update the
    changed ones, delete those that became 0; rows whose value did not change are not written. `empty`: nothing
    is stored for the (source, period) yet, so every row is loaded directly. Returns the counts."""
    steplen = TREES[source.tree].steplen
    rows = [(path, len(path) // steplen, key, float(value))
            for path, keyed in values.items() for key, value in keyed.items() if value]
    moment = Snapshot._meta.get_field("refreshed_at").get_db_prep_save(stamp, connection)
    stored = Snapshot.objects.filter(tree=source.tree, period_kind=period.kind, period_start=period.start,
                                     metric__in=source.keys)
    existing: dict[tuple[str, str], tuple[int, float]] = {}
    if not empty:
        existing = {(path, key): (pk, value) for pk, path, key, value in
                    stored.values_list("id", "path", "metric", "value").iterator(chunk_size=20_000)}
    elif stored.exists():  # a run was lost: start afresh
        stored.delete()
    new, changed = [], []
    for path, depth, key, value in rows:
        old = existing.pop((path, key), None)
        if old is None:
            new.append((path, depth, key, value))
        elif old[1] != value:
            changed.append((old[0], value))
    gone = [pk for pk, _ in existing.values()]
    with connection.cursor() as cursor:
        _load(cursor, source, period, new, stamp)
        if changed:
            _update_values(cursor, changed, moment)
    for start in range(0, len(gone), 10_000):
        Snapshot.objects.filter(pk__in=gone[start:start + 10_000]).delete()
    return {"values": len(rows), "inserted": len(new), "updated": len(changed), "deleted": len(gone)}


def digest(values: dict[str, dict[str, float]]) -> str:
    """An order-independent digest of the values (the sum of a 64-bit hash of each (path, key, value), and their
    number): equal digests mean, but for a 2^-64 chance, equal values."""
    total, count = 0, 0
    for path, keyed in values.items():
        for key, value in keyed.items():
            if value:
                total += int.from_bytes(hashlib.blake2b(f"{path}\x1f{key}\x1f{float(value)!r}".encode(),
                                                        digest_size=8).digest(), "big")
                count += 1
    return f"{total % 2**64:016x}{count:x}"[:32]


def refresh_source(source: Source, period: Period, now: dt.datetime, max_depth: int | None = None,
                   values: dict | None = None, force: bool = False) -> dict:
    """Compute (unless `values` is given: a stock source computed once for several periods) and store one source
    for one day or month, in one transaction; returns {"values", "inserted", "updated", "deleted"}. When the values'
    digest equals the stored run's, nothing is read or written (unless `force`: then the rows are compared)."""
    started = time.monotonic()
    if values is None:
        values = compute_all_depths(source, period, now, max_depth)
    depth = stored_depth(source.tree) if max_depth is None else max_depth
    sign = digest(values)
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                stamp = timezone.now()
                run = SnapshotRun.objects.select_for_update().filter(
                    tree=source.tree, period_kind=period.kind, period_start=period.start, source=source.key).first()
                if not force and run is not None and run.digest == sign and run.max_depth == depth:
                    counts = {"values": run.rows, "inserted": 0, "updated": 0, "deleted": 0}  # nothing changed
                else:
                    counts = _store(source, period, values, stamp, empty=run is None)
                SnapshotRun.objects.update_or_create(
                    tree=source.tree, period_kind=period.kind, period_start=period.start, source=source.key,
                    defaults={"refreshed_at": stamp, "rows": counts["values"], "stale": False, "max_depth": depth,
                              "digest": sign, "seconds": round(time.monotonic() - started, 3)})  # fmt: skip
            return counts
        except IntegrityError:
            # another refresh stored this (source, period) first, between our look and our load: compare with it
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


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
    {"periods": number of (source, period) computed, "values": values held, "inserted", "updated", "deleted":
     rows written, "seconds": …, "full": bool, "by_source": {source: periods}, "pruned_days": rows removed}."""
    now = now or timezone.now()
    started = time.monotonic()
    work = plan(kinds=kinds, day=day, full=full, now=now, sources=sources)
    depths = {tree: stored_depth(tree) for tree in TREES}
    totals = dict.fromkeys(("values", "inserted", "updated", "deleted"), 0)
    by_source: dict[str, int] = {}
    stock: dict[str, dict] = {}
    for (key, period), source in work:
        values = None
        if source.kind == "stock":  # the present state: computed once, stored for today and this month
            if key not in stock:
                stock[key] = compute_all_depths(source, period, now, depths[source.tree])
            values = stock[key]
        for name, n in refresh_source(source, period, now, depths[source.tree], values, force=full).items():
            totals[name] += n
        by_source[key] = by_source.get(key, 0) + 1
    pruned = prune_days(timezone.localdate(now))
    summary = {"periods": len(work), **totals, "seconds": round(time.monotonic() - started, 2), "full": full,
               "by_source": by_source, "pruned_days": pruned}
    return summary


def prune_days(today: dt.date, keep_days: int = DAY_RETENTION_DAYS) -> int:
    """Remove day snapshots (and their runs) older than `keep_days`: a province writes millions of values a day."""
    cutoff = today - dt.timedelta(days=keep_days)
    old = SnapshotRun.objects.filter(period_kind="day", period_start__lt=cutoff)
    if not old.exists():
        return 0
    deleted, _ = Snapshot.objects.filter(period_kind="day", period_start__lt=cutoff).delete()
    old.delete()
    return deleted


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
