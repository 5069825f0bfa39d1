"""Run the registered rules for a subtree and a date, and keep the findings: new violations open, violations
that are gone resolve by themselves, waived ones stay waived while the violation lasts (and open again if it
resolves and later comes back).

County settings (RuleSetting) are merged over each rule's defaults per subtree: an organisation is checked with
the deepest setting above it, the rest of the tree with the defaults, and every violation is counted once."""

import contextlib
import datetime as dt
import itertools
from dataclasses import dataclass

from django.db import connection, transaction

from . import params as rule_params
from .models import Finding, RuleSetting
from .registry import RULES, Rule, Violation


@dataclass(frozen=True)
class Setting:
    path: str
    params: dict
    enabled: bool


def load_settings(rule_ids, path: str = "") -> dict[str, list[Setting]]:
    """rule id → the settings that bear on the subtree at `path`: those above it and those inside it."""
    found: dict[str, list[Setting]] = {}
    rows = RuleSetting.objects.filter(rule__in=list(rule_ids)).values_list("rule", "org__path", "params", "enabled")
    for rule_id, org_path, stored, enabled in rows:
        if path.startswith(org_path) or org_path.startswith(path):
            found.setdefault(rule_id, []).append(Setting(org_path, stored or {}, enabled))
    return found


def effective(rule: Rule, chain: list[Setting]) -> tuple[dict, bool]:
    """The parameters and the on/off switch that a chain of settings (outermost first) gives a rule."""
    merged, enabled = dict(rule.params), True
    for s in chain:
        merged = rule_params.merge(merged, s.params)
        enabled = s.enabled
    return merged, enabled


def settings_at(rule: Rule, path: str, settings: list[Setting] | None = None) -> tuple[dict, bool, Setting | None]:
    """(params, enabled, own setting or None) for the organisation at `path`, as the engine would use them."""
    if settings is None:
        settings = load_settings([rule.id], path).get(rule.id, [])
    chain = sorted((s for s in settings if path.startswith(s.path)), key=lambda s: len(s.path))
    merged, enabled = effective(rule, chain)
    own = next((s for s in chain if s.path == path), None)
    return merged, enabled, own


def _evaluate_rule(rule: Rule, path: str, as_of: dt.date, settings: list[Setting], extra: dict):
    """The rule over the subtree, each part with its own settings: the subtree root with the settings above it,
    each setting inside it for its own subtree, minus the subtrees of the settings deeper still."""
    above = sorted((s for s in settings if path.startswith(s.path)), key=lambda s: len(s.path))
    inside = sorted((s for s in settings if s.path.startswith(path) and s.path != path), key=lambda s: len(s.path))
    parts = [(path, above)] + [(s.path, above + [t for t in inside if s.path.startswith(t.path)]) for s in inside]
    for part_path, chain in parts:
        merged, enabled = effective(rule, chain)
        if not enabled:
            continue
        merged.update(extra)
        deeper = [t.path for t in inside if t.path.startswith(part_path) and t.path != part_path]
        for v in rule.evaluate(part_path, as_of, merged):
            if deeper and any(v.org_path.startswith(d) for d in deeper):
                continue
            yield v


def violations(path: str = "", as_of: dt.date | None = None, rules=None, params=None):
    """(rule id, violation) for every selected rule over the subtree at `path` ('' = everything), as the rules
    yield them, one rule after another. `params` ({rule id: {name: value}}) overrides the stored settings, for
    trying values out."""
    as_of = as_of or dt.date.today()
    selected = list(rules or sorted(RULES))
    settings = load_settings(selected, path)
    for rule in (RULES[r] for r in selected):
        extra = (params or {}).get(rule.id, {})
        for v in _evaluate_rule(rule, path, as_of, settings.get(rule.id, []), extra):
            yield rule.id, v


def evaluate(path: str = "", as_of: dt.date | None = None, rules=None, params=None) -> list[tuple[str, Violation]]:
    """The violations (see `violations`) as a list, read with the run's database settings."""
    with tuned():
        return list(violations(path, as_of, rules, params))


# PostgreSQL settings for the statements of a checkup (SET LOCAL: they end with its transaction), measured on the
# province of the checkup benchmark (2.9 million members, 2 cores):
# - work_mem 256MB: the absence rule's set of members and the store's joins of several hundred thousand findings
#   hash in memory instead of in batches on disk (each hash or sort node of a query may take that much; a run holds
#   one query at a time);
# - jit off: compiling costs about 0.4 s a query and gains nothing on these plans;
# - no parallel workers: on two cores the per-member aggregates ran slower gathered from workers (a Gather Merge of
#   millions of groups) than in one process, and a run shares the machine with the web workers;
# - random_page_cost 1.1: the tables a run reads are in memory (or on SSD). With the default 4 the planner read the
#   whole dues table (3 GB) into a hash of 3 million members rather than the index (member, month) in member order
#   (1 GB, aggregated as it goes): 15 s instead of 6.
RUN_SETTINGS = {"jit": "off", "work_mem": "256MB", "max_parallel_workers_per_gather": "0", "random_page_cost": "1.1"}


@contextlib.contextmanager
def tuned():
    """A transaction (or savepoint) with RUN_SETTINGS in force on PostgreSQL."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as c:
                for name, value in RUN_SETTINGS.items():
                    c.execute("SELECT set_config(%s, %s, true)", [name, value])
        yield


# ---- storing the findings -------------------------------------------------------------------------------------
# The violations of a run go into a temporary table (COPY on PostgreSQL, executemany elsewhere), then three
# statements do the rest: a count of those already stored, one INSERT … ON CONFLICT … DO UPDATE that opens the new
# ones and brings the others up to date (only where something changed), and one UPDATE that resolves the open and
# waived findings of the subtree and rules that were not seen. No finding is loaded into Python.
SEEN = "checkup_seen"
SEEN_COLUMNS = ("rule", "subject", "subject_id", "key", "subject_code", "org_path", "severity", "message", "citation",
                "due")  # fmt: skip
SEEN_TYPES = ("varchar(80)", "varchar(8)", "bigint", "varchar(40)", "varchar(40)", "varchar(255)", "varchar(8)",
              "varchar(500)", "varchar(300)", "date")  # fmt: skip
KEY = ("rule", "subject", "subject_id", "key")
CHUNK = 20_000  # rows buffered between two loads (the rules' queries and a COPY cannot interleave)
# the finding's own columns compared with the violation's: a change of any of them (or of last_seen) is written
COMPARED = ("subject_code", "org_path", "severity", "message", "citation", "due")


def _seen_rows(found):
    """The temporary table's rows: each (rule, subject, subject id, key) once, the first violation winning.
    `found` comes one rule after another (as `violations` yields it), so one rule's keys are held at a time."""
    adapt = connection.ops.adapt_datefield_value
    current, keys, done = None, set(), set()
    for rule_id, v in found:
        if rule_id != current:
            if rule_id in done:
                raise ValueError(f"violations of {rule_id} must come together, one rule after another")
            done.add(current)
            current, keys = rule_id, set()
            rule = RULES[rule_id]
            citation = str(rule.citation)[:300]
        key = (v.subject, v.subject_id, v.key)
        if key in keys:
            continue
        keys.add(key)
        yield (rule_id, v.subject, v.subject_id, v.key, v.subject_code, v.org_path, v.severity or rule.severity,
               v.message[:500], citation, adapt(v.due))


def _names(names) -> str:
    return ", ".join(connection.ops.quote_name(n) for n in names)


def _load_seen(cursor, rows) -> int:
    """Create the temporary table and fill it; returns the number of rows."""
    cursor.execute(f"DROP TABLE IF EXISTS {SEEN}")
    qn = connection.ops.quote_name
    columns = ", ".join(f"{qn(name)} {kind}" for name, kind in zip(SEEN_COLUMNS, SEEN_TYPES, strict=True))
    cursor.execute(f"CREATE TEMPORARY TABLE {SEEN} ({columns})")
    postgres = connection.vendor == "postgresql"
    insert = f"INSERT INTO {SEEN} ({_names(SEEN_COLUMNS)}) VALUES ({', '.join(['%s'] * len(SEEN_COLUMNS))})"
    loaded, chunk = 0, []
    for row in itertools.chain(rows, [None]):
        if row is not None:
            chunk.append(row)
            if len(chunk) < CHUNK:
                continue
        if chunk:
            if postgres:  # the psycopg 3 cursor under Django's wrapper
                with cursor.cursor.copy(f"COPY {SEEN} ({_names(SEEN_COLUMNS)}) FROM STDIN") as copy:
                    for r in chunk:
                        copy.write_row(r)
            else:
                cursor.executemany(insert, chunk)
            loaded += len(chunk)
            chunk = []
    if postgres:
        cursor.execute(f"ANALYZE {SEEN}")  # the planner's row counts for the joins below
    else:
        cursor.execute(f"CREATE INDEX {SEEN}_key ON {SEEN} ({_names(KEY)})")
    return loaded


def _store(rows, path: str, as_of: dt.date, selected) -> dict:
    qn = connection.ops.quote_name
    table = qn(Finding._meta.db_table)
    day = connection.ops.adapt_datefield_value(as_of)
    distinct = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    same_key = " AND ".join(f"s.{qn(c)} = {table}.{qn(c)}" for c in KEY)
    open_, resolved_, waived_ = Finding.Status.OPEN.value, Finding.Status.RESOLVED.value, Finding.Status.WAIVED.value
    with connection.cursor() as c:
        seen = _load_seen(c, rows)
        c.execute(f"SELECT COUNT(*) FROM {SEEN} s WHERE EXISTS (SELECT 1 FROM {table} WHERE {same_key})")
        known = c.fetchone()[0]
        # a resolved finding found again opens again: first seen today, any waiver given before cleared; an open or
        # waived one keeps its status; either way only a row with something new is written
        again = f"{table}.{qn('status')} = '{resolved_}'"
        reset = {"status": f"'{open_}'", "first_seen": f"excluded.{qn('first_seen')}", "resolved_on": "NULL",
                 "waived_by_id": "NULL", "waived_reason": "''", "waived_at": "NULL"}
        assign = [f"{qn(name)} = excluded.{qn(name)}" for name in (*COMPARED, "last_seen")]
        assign += [f"{qn(name)} = CASE WHEN {again} THEN {value} ELSE {table}.{qn(name)} END"
                   for name, value in reset.items()]
        changed = " OR ".join([again, *(f"{table}.{qn(name)} {distinct} excluded.{qn(name)}"
                                        for name in (*COMPARED, "last_seen"))])
        columns = (*SEEN_COLUMNS, "status", "first_seen", "last_seen", "resolved_on", "waived_by_id", "waived_reason",
                   "waived_at")  # fmt: skip
        # WHERE true: SQLite's parser needs it before ON CONFLICT in INSERT … SELECT
        c.execute(f"INSERT INTO {table} ({_names(columns)}) "
                  f"SELECT {_names(SEEN_COLUMNS)}, %s, %s, %s, NULL, NULL, '', NULL FROM {SEEN} WHERE true "
                  f"ON CONFLICT ({_names(KEY)}) DO UPDATE SET {', '.join(assign)} WHERE {changed}",
                  [open_, day, day])
        where = [f"{qn('rule')} IN ({', '.join(['%s'] * len(selected))})", f"{qn('status')} IN (%s, %s)"]
        params = [*selected, open_, waived_]
        if path:
            where.append(f"{qn('org_path')} LIKE %s")
            params.append(path + "%")  # treebeard paths are letters and digits: nothing to escape
        c.execute(f"UPDATE {table} SET {qn('status')} = %s, {qn('resolved_on')} = %s WHERE {' AND '.join(where)} "
                  f"AND NOT EXISTS (SELECT 1 FROM {SEEN} s WHERE {same_key})", [resolved_, day, *params])
        resolved = c.rowcount
        c.execute(f"DROP TABLE {SEEN}")
    return {"opened": seen - known, "open": known, "resolved": resolved}


def run(path: str = "", as_of: dt.date | None = None, rules=None, params=None, found=None) -> dict:
    """Evaluate (unless `found` is given: (rule id, violation) pairs one rule after another, as `evaluate` returns
    them) and store: returns counts of opened (new), still open (found again: open, waived, or resolved and opened
    again) and resolved. The violations stream from the rules into the database; none is kept in memory.

    A finding that was resolved and is found again opens again (a waiver given before does not carry over); a
    waived one stays waived while it is found; an open or waived one not found resolves. A concurrent run of an
    overlapping subtree may have just opened the same finding: the INSERT then updates it instead."""
    as_of = as_of or dt.date.today()
    selected = list(rules or sorted(RULES))
    with tuned():
        if found is None:
            found = violations(path, as_of, selected, params)
        return _store(_seen_rows(found), path, as_of, selected)
