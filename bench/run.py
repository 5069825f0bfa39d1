"""Run the benchmark scenarios: `python bench/run.py` (all), `python bench/run.py import-members` (one).

The scenario may also come from the SCENARIO environment variable (`make bench SCENARIO=import-members`).
--clients, --seconds, --workers and --rebuild go to the scenarios that take them (tickets, checkup).
Each scenario's figures are written to bench/results/<name>.json. A missed goal is printed as MISSED
but does not fail the run; a scenario that crashes does (exit status 1).
"""

import argparse
import inspect
import json
import os
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS_DIR, machine  # noqa: E402
from scenarios import SCENARIOS, load  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Dangjian benchmarks")
    parser.add_argument(
        "scenarios", nargs="*", metavar="scenario", help=f"one of: {', '.join(SCENARIOS)} (default: all)"
    )
    parser.add_argument(
        "--rows", type=int, default=None, help="rows for data-size scenarios (import-members: 100000)"
    )
    parser.add_argument("--clients", type=int, default=None, help="concurrent HTTP clients (tickets: 16)")
    parser.add_argument(
        "--seconds", type=float, default=None, help="measuring window of each load run (tickets: 15)"
    )
    parser.add_argument(
        "--workers", default=None,
        help="gunicorn worker counts to measure, e.g. 3 or 2,3,4,5 (tickets: 2,3,4,5); generating processes (checkup: 2)",
    )
    parser.add_argument(
        "--rebuild", action="store_true", default=None,
        help="generate the kept data again (checkup: drop dangjian_bench_checkup and build the province anew)",
    )
    args = parser.parse_args(argv)
    options = {k: v for k, v in vars(args).items()
               if k in ("clients", "seconds", "workers", "rebuild") and v is not None}
    names = (
        args.scenarios
        or [n for n in os.environ.get("SCENARIO", "").replace(",", " ").split() if n]
        or list(SCENARIOS)
    )
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")

    RESULTS_DIR.mkdir(exist_ok=True)
    info = machine()
    print(
        f"Dangjian benchmarks — Python {info['python']}, SQLite {info['sqlite']}, {info['cpus']} CPUs, {info['platform']}"
    )
    failed, missed = [], []
    for name in names:
        print(f"\n=== {name} ===")
        started = time.perf_counter()
        try:
            scenario = load(name)
            accepted = inspect.signature(scenario.run).parameters
            figures = scenario.run(rows=args.rows, **{k: v for k, v in options.items() if k in accepted})
        except Exception:
            traceback.print_exc()
            failed.append(name)
            continue
        figures.setdefault("scenario", name)
        figures.setdefault("machine", info)
        figures["bench_seconds"] = round(time.perf_counter() - started, 1)
        path = RESULTS_DIR / f"{name}.json"
        path.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n")
        missed += [f"{name}: {g['name']}" for g in figures.get("goals", []) if not g["met"]]
        print(f"→ {path.relative_to(RESULTS_DIR.parent.parent)} ({figures['bench_seconds']} s in all)")

    print()
    if missed:
        print("MISSED goals:\n  " + "\n  ".join(missed))
    elif not failed:
        print("All goals met.")
    if failed:
        print("FAILED scenarios: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
