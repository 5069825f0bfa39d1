"""checkup: the regulation health check (制度体检) over a generated province on PostgreSQL.

Steps, on the database dangjian_bench_checkup of the local PostgreSQL server (BENCH_POSTGRES):
  1. prepare (worker): migrate; unless the database already holds a province generated with the same
     parameters (the table bench_checkup_info says so), build it with dangjian.demo.province (100 counties,
     3,000,000 members, ~150,000 organisations, a year of meetings, 12 months of dues, study records, transfers,
     mobile members; COPY in parallel workers; indexes rebuilt; VACUUM ANALYZE). The database is kept between runs
     so a re-run starts measuring at once; --rebuild (or BENCH_REBUILD=1) drops it and generates it again.
  2. measure (worker), as of AS_OF, with every rule registered at that moment:
     - the full run: engine.run over the whole province into an empty findings table, the violations streaming
       from the rules into the database as the daily job runs it (the figure `seconds`); the time spent inside
       each rule is recorded while it runs (their sum is `evaluate_seconds`, the rest, storing, `store_seconds`);
       then a second run over the stored findings (steady state: nothing new);
     - one county (the median county by members): engine.run for its subtree (`county_seconds`);
     - the naive way, for a 1 % sample of members: one member at a time through the ORM, a separate query for
       each check of the member rules (attendance in the last six months, consecutive unpaid dues months, study
       hours of the last and the current year against 32 or 56, probation end and overdue conversion, the last
       contact of a mobile member, expired transfer letters); the time is extrapolated to all members and set
       against the member rules' share of the full run;
     - for every rule that took more than SLOW_RULE_SECONDS, EXPLAIN (ANALYZE, BUFFERS) of its slowest query.
  The peak resident set size of the measuring process tree is sampled with psutil.

Goals (2 cores): full run < 120 s, one county < 5 s.

Result keys: `members`, `seconds`, `county_seconds`, `naive_extrapolated_seconds`, `peak_rss_mb`, plus `ratio`,
`per_rule`, `findings`, `orgs`, `generation`, `explain` and more.

Worker steps (python -m scenarios.checkup STEP with DJANGO_SETTINGS_MODULE=settings_bench): prepare | measure.
"""

import datetime as dt
import json
import os
import sys
import time

from common import Goal, KeptDatabase, emit, load_average, print_table, run_streamed

NAME = "checkup"
MODULE = "scenarios.checkup"
DATABASE = "dangjian_bench_checkup"
AS_OF = dt.date(2026, 12, 1)  # fixed: the data is generated up to the day before, and re-runs compare alike
COUNTIES = 100
COUNTY_MEMBERS = 30_000
SEED = 1
SAMPLE_SHARE = 0.01
SLOW_RULE_SECONDS = 10.0
GOAL_FULL_SECONDS = 120
GOAL_COUNTY_SECONDS = 5
# A fixed field key for the bench database only (synthetic people): the data is reused between runs, so the key
# must not change with the throw-away var directory.
BENCH_FIELD_KEY = "62656e63682d636865636b75702d6669656c642d6b65792d6e6f742d7365637265"


DB = KeptDatabase(DATABASE, BENCH_FIELD_KEY)


# --- the scenario (parent process) ----------------------------------------------------------------
def run(rows: int | None = None, workers: str | None = None, rebuild: bool | None = None) -> dict:
    """rows: members per county (default 30,000); workers: generating processes (default 2)."""
    rebuild = bool(rebuild) or os.environ.get("BENCH_REBUILD") == "1"
    county_members = rows or COUNTY_MEMBERS
    loads = [load_average()]
    DB.ensure(rebuild)
    with DB.env() as env:
        print(f"  database {DATABASE}: migrate, then the province (reused when already generated) …", flush=True)
        prepared = run_streamed(MODULE, "prepare", [str(county_members), str(workers or 2)], env)
        generation = prepared["generation"]
        if prepared["generated"]:
            print(f"    generated in {generation['seconds']['total']:.0f} s", flush=True)
        else:
            print(f"    reusing the province generated on {generation.get('generated_at', '?')} "
                  f"(in {generation['seconds']['total']:.0f} s); --rebuild to generate it again", flush=True)
        print(f"  checkup as of {AS_OF} …", flush=True)
        m = run_streamed(MODULE, "measure", [], env)
    loads.append(load_average())
    size = DB.size()
    goals = [Goal("full run, whole province", m["seconds"], GOAL_FULL_SECONDS, "s"),
             Goal("one county", m["county_seconds"], GOAL_COUNTY_SECONDS, "s")]  # fmt: skip
    table = [
        ("members (live)", f"{m['members']:,}", None),
        ("organisations", f"{m['orgs']:,}", None),
        ("rules registered", f"{len(m['rules'])}", None),
        ("full run: inside the rules", f"{m['evaluate_seconds']:.1f} s", None),
        ("full run: storing the findings (empty table)", f"{m['store_seconds']:.1f} s", None),
        ("full run, whole province", f"{m['seconds']:.1f} s", goals[0]),
        ("  findings", f"{m['findings']:,}", None),
        ("second run (findings stored, nothing new)", f"{m['rerun_seconds']:.1f} s", None),
        (f"one county ({m['county']['name']}, {m['county']['members']:,} members)", f"{m['county_seconds']:.2f} s",
         goals[1]),
        (f"naive, {m['naive']['members']:,} members one at a time", f"{m['naive']['seconds']:.1f} s", None),
        ("  per member", f"{m['naive']['ms_per_member']:.2f} ms", None),
        ("  extrapolated to all members", f"{m['naive_extrapolated_seconds']:.0f} s", None),
        ("  ratio to the member rules of the full run", f"{m['ratio']:.0f}×", None),
        ("  ratio to the whole full run", f"{m['ratio_to_full']:.0f}×", None),
        ("peak RSS of the measuring process", f"{m['peak_rss_mb']:.0f} MiB", None),
        ("full run CPU s: python / backend / other processes",
         f"{m['cpu']['full_run']['python_cpu']:.0f} / {m['cpu']['full_run']['backend_cpu']:.0f} / "
         f"{m['cpu']['full_run']['other_cpu']:.0f}", None),
        ("database size", size, None),
    ]  # fmt: skip
    print_table(f"checkup — PostgreSQL, {m['members']:,} members, as of {AS_OF}", table)
    print("per rule (seconds inside the rule during the full run, findings):")
    for rule_id, r in sorted(m["per_rule"].items(), key=lambda kv: -kv[1]["seconds"]):
        print(f"  {rule_id:<44}{r['seconds']:8.2f} s {r['findings']:>9,}")
    other = m["cpu"]["full_run"]["other_cpu"] / max(m["cpu"]["full_run"]["wall"], 1)
    if other > 0.3:
        print(f"note: other processes used {other:.1f} of the 2 cores during the full run (load average {loads[0]} → "
              f"{loads[1]}); the figures are slower than on an idle machine.")
    for rule_id, e in m["explain"].items():
        print(f"\nslow rule {rule_id}: its slowest query took {e['ms']:.0f} ms; plan:\n  " + "\n  ".join(e["plan"][:25]))
    return {
        "members": m["members"],
        "seconds": m["seconds"],
        "county_seconds": m["county_seconds"],
        "naive_extrapolated_seconds": m["naive_extrapolated_seconds"],
        "peak_rss_mb": m["peak_rss_mb"],
        "ratio": m["ratio"],
        "ratio_to_full": m["ratio_to_full"],
        "evaluate_seconds": m["evaluate_seconds"],
        "store_seconds": m["store_seconds"],
        "rerun_seconds": m["rerun_seconds"],
        "findings": m["findings"],
        "findings_by_rule": {k: v["findings"] for k, v in m["per_rule"].items()},
        "per_rule": m["per_rule"],
        "rules": m["rules"],
        "orgs": m["orgs"],
        "county": m["county"],
        "naive": m["naive"],
        "explain": m["explain"],
        "as_of": AS_OF.isoformat(),
        "generation": generation,
        "generation_peak_rss_mb": prepared["peak_rss_mb"] if prepared["generated"] else None,
        "database": {"name": DATABASE, "size": size, "postgres": m["postgres_version"],
                     "settings": m["postgres_settings"]},
        "load_average": loads,
        "cpu": m["cpu"],
        "goals": [g.as_dict() for g in goals],
    }


# --- worker steps (child processes, Django configured by settings_bench) ---------------------------
def _prepare(county_members: str, workers: str) -> dict:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    wanted = {"counties": COUNTIES, "county_members": int(county_members), "seed": SEED, "as_of": AS_OF.isoformat()}
    with connection.cursor() as c:
        c.execute("CREATE TABLE IF NOT EXISTS bench_checkup_info (key text PRIMARY KEY, value jsonb NOT NULL)")
        c.execute("SELECT value FROM bench_checkup_info WHERE key = 'province'")
        row = c.fetchone()
    if row:
        stored = row[0] if isinstance(row[0], dict) else json.loads(row[0])
        if stored.get("parameters") == wanted:
            return {"generated": False, "generation": stored}
        raise RuntimeError(f"{DATABASE} holds a province generated with {stored.get('parameters')}, not {wanted}: "
                           "run with --rebuild")  # fmt: skip
    from dangjian.demo.province import build_province

    started = time.perf_counter()
    counts = build_province(counties=COUNTIES, county_members=int(county_members), seed=SEED, today=AS_OF,
                            workers=int(workers), log=lambda line: print(line, flush=True))  # fmt: skip
    info = {"parameters": wanted, **counts, "generated_at": dt.datetime.now().isoformat(timespec="seconds"),
            "wall_seconds": round(time.perf_counter() - started, 1)}  # fmt: skip
    with connection.cursor() as c:
        c.execute("INSERT INTO bench_checkup_info (key, value) VALUES ('province', %s)", [json.dumps(info)])
    return {"generated": True, "generation": info}


def main(argv: list[str]) -> None:
    import django

    django.setup()
    step, *args = argv
    if step == "prepare":
        emit(_prepare(*args))
    elif step == "measure":
        from .checkup_measure import measure

        emit(measure(AS_OF, SAMPLE_SHARE, SLOW_RULE_SECONDS))
    else:
        raise SystemExit(f"unknown step {step}")


if __name__ == "__main__":
    main(sys.argv[1:])
