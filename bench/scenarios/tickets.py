"""tickets: 吹哨报到 work orders on PostgreSQL — complete lifecycles over HTTP against the production server,
two baselines (pgbench, a minimal DRF endpoint), and the county metrics query over 500,000 historical tickets.

Steps, on a throw-away database dangjian_bench_tickets_<pid> of the local PostgreSQL server (BENCH_POSTGRES):
  1. setup (worker): migrate; the county of tests/factories.build_county plus 7 grids and 3 township
     stations (ticket_county.py); API tokens for a grid worker (reports), the township command center
     (register, dispatch, verify) and a county department handler (accept, resolve); 4,000 dispatched
     tickets for the floor endpoint and pgbench.
  2. history (worker): `rows` (default 500,000) tickets over three years, COPYed with their assignments and
     events (ticket_history.py), then VACUUM ANALYZE — the server runs against a database of realistic size.
  3. For each worker count (default 2, 3, 4, 5): gunicorn exactly as `make serve` starts it
     (dangjian.wsgi:application, sync workers, --timeout 120, access log to a file; --no-control-socket so
     runs never meet a server started by hand), settings_tickets.py (the project's settings with the floor
     endpoint added to the URLconf). `clients` (16) threads of load_client.py drive complete lifecycles
     (report → register → dispatch → accept → resolve → verify) for `warmup` + `seconds`; requests completed
     in the window count. Then the same server config for the floor endpoint (floor_app.py: token
     authentication and the SQL of one accept, nothing else). The best worker count of each is reported.
     During each window the CPU time of the client, the gunicorn workers, PostgreSQL and everything else
     on the machine is sampled, so the figures say where the two cores went.
  4. pgbench (pgbench_accept.sql: the accept's SQL statements) with the same number of clients → TPS.
  5. metrics (worker): queries.ticket_metrics over queries.scoped_assignments(county admin, scope=county code)
     for the last full month and the last 12 full months; the median of 7 runs after one warm-up, measured
     as a request would run it (fresh user, scope resolved, aggregate query).

Goals (2 cores, 16 clients): ≥ 400 action requests/s with p99 < 150 ms; ≥ 0.6 of the floor's requests/s;
the county metrics query (one month) < 200 ms.

Options: --rows (historical tickets), --clients, --seconds (measuring window per run), --workers (e.g. 3 or
2,3,4,5); or BENCH_ROWS, BENCH_CLIENTS, BENCH_SECONDS, BENCH_WORKERS. BENCH_KEEP=1 keeps the database.

Worker steps (python -m scenarios.tickets STEP with DJANGO_SETTINGS_MODULE=settings_tickets):
setup | history ROWS | metrics.
"""

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import BENCH_DIR, Goal, emit, free_port, load_average, postgres_env, print_table, run_worker

NAME = "tickets"
MODULE = "scenarios.tickets"
DEFAULT_ROWS = 500_000
DEFAULT_CLIENTS = 16
DEFAULT_SECONDS = 15.0
WARMUP = 3.0
DEFAULT_WORKERS = (2, 3, 4, 5)
METRICS_RUNS = 7

GOAL_ACTIONS = 400
GOAL_P99 = 150
GOAL_FLOOR_RATIO = 0.6
GOAL_METRICS_MS = 200


# --- the server -----------------------------------------------------------------------------------
class Server:
    """gunicorn as `make serve` starts it, on a free loopback port, with `workers` sync workers."""

    def __init__(self, env: dict, workers: int, log_dir: Path, app: str = "dangjian.wsgi:application",
                 extra: tuple[str, ...] = ()):  # fmt: skip
        self.env, self.workers, self.app, self.extra = env, workers, app, extra
        self.port = free_port()
        self.log_dir = log_dir
        self.proc = None

    def __enter__(self):
        gunicorn = Path(sys.executable).with_name("gunicorn")
        cmd = [str(gunicorn), self.app, "--bind", f"127.0.0.1:{self.port}",
               "--workers", str(self.workers), "--access-logfile", str(self.log_dir / "access.log"),
               "--timeout", "120", "--no-control-socket", *self.extra]  # fmt: skip
        self.log = open(self.log_dir / f"gunicorn-{self.workers}.log", "a")
        self.proc = subprocess.Popen(cmd, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                     cwd=str(BENCH_DIR))  # fmt: skip
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_ready(self, timeout=60.0):
        import psutil

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited {self.proc.returncode}; see {self.log.name}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"GET /api/v1/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    if s.recv(16).startswith(b"HTTP/1."):
                        if len(psutil.Process(self.proc.pid).children()) >= self.workers:
                            return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer on port {self.port} within {timeout:.0f} s")

    def processes(self):
        import psutil

        master = psutil.Process(self.proc.pid)
        return [master, *master.children(recursive=True)]

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# --- CPU accounting -------------------------------------------------------------------------------
class CpuSample:
    """CPU seconds (user + system) of process groups, and of the whole machine, at one moment.

    A group is a function returning its processes now; processes that appear between two samples count
    with all their CPU time (they started inside the window), those that vanish are lost (none should).
    """

    def __init__(self, groups: dict):
        import psutil

        self.when = time.perf_counter()
        self.machine = psutil.cpu_times()
        self.groups = {}
        for name, find in groups.items():
            seconds = {}
            for p in find():
                try:
                    t = p.cpu_times()
                    seconds[p.pid] = t.user + t.system
                except psutil.Error:
                    pass
            self.groups[name] = seconds

    @staticmethod
    def _busy(t) -> float:
        return sum(t) - t.idle - getattr(t, "iowait", 0.0)

    def until(self, later: "CpuSample") -> dict:
        """CPU seconds per group between two samples, `other` = the rest of the machine, plus cores busy."""
        wall = later.when - self.when
        out = {}
        for name, after in later.groups.items():
            before = self.groups.get(name, {})
            out[name] = sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())
        busy = self._busy(later.machine) - self._busy(self.machine)
        out["other"] = max(0.0, busy - sum(out.values()))
        out = {k: round(v, 2) for k, v in out.items()}
        out["wall"] = round(wall, 2)
        out["cores_busy"] = round(busy / wall, 2) if wall else None
        return out


def postgres_processes(database: str):
    """A function listing the PostgreSQL server's processes that work for `database`: its backends and the
    server's own background processes (WAL writer, checkpointer, autovacuum …), not other databases' backends."""
    import psutil

    def find():
        found = []
        for p in psutil.process_iter(["name", "cmdline"]):
            if not (p.info["name"] or "").startswith("postgres"):
                continue
            title = " ".join(p.info["cmdline"] or [])
            is_backend = "(" in title and ")" in title or "[local]" in title
            if not is_backend or f" {database} " in f"{title} ":
                found.append(p)
        return found

    return find


# --- load runs ------------------------------------------------------------------------------------
def drive(server: Server, mode: str, county: dict, clients: int, seconds: float, work_dir: Path) -> dict:
    """Run load_client.py against the server; returns its figures plus the CPU split of the window."""
    import psutil

    config = {
        "port": server.port, "mode": mode, "clients": clients, "warmup": WARMUP, "seconds": seconds,
        "tokens": county["tokens"], "grids": county["grids"], "categories": county["categories"],
        "departments": county["departments"], "floor_pool": county["floor_pool"], "seed": 7,
    }  # fmt: skip
    path = work_dir / f"client-{mode}-{server.workers}.json"
    path.write_text(json.dumps(config))
    client = subprocess.Popen([sys.executable, str(BENCH_DIR / "load_client.py"), str(path)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    first = client.stdout.readline()
    if not first.startswith("START"):
        client.wait()
        raise RuntimeError(f"load client failed: {first}{client.stderr.read()[-2000:]}")
    started = time.perf_counter()
    client_process = psutil.Process(client.pid)
    groups = {"client": lambda: [client_process], "gunicorn": server.processes,
              "postgres": postgres_processes(county["database"])}
    time.sleep(max(0.0, started + WARMUP - time.perf_counter()))
    before = CpuSample(groups)
    time.sleep(max(0.0, started + WARMUP + seconds - time.perf_counter()))
    after = CpuSample(groups)
    out, err = client.communicate(timeout=120)
    if client.returncode != 0:
        raise RuntimeError(f"load client exited {client.returncode}:\n{err[-3000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    result["workers"] = server.workers
    cpu = before.until(after)
    result["cpu_seconds"] = cpu
    count = result["count"] or 1
    result["cpu_ms_per_request"] = {k: round(cpu[k] / count * 1000, 2) for k in ("client", "gunicorn", "postgres",
                                                                                "other")}  # fmt: skip
    return result


def sweep(env, mode, county, clients, seconds, worker_counts, work_dir) -> dict[int, dict]:
    results = {}
    for workers in worker_counts:
        with Server(env, workers, work_dir) as server:
            r = drive(server, mode, county, clients, seconds, work_dir)
        results[workers] = r
        cpu = r["cpu_ms_per_request"]
        print(f"    {workers} workers: {r['per_s']:7.1f} req/s  p50 {r['p50_ms']:6.1f} ms  p99 {r['p99_ms']:6.1f} ms"
              f"  errors {r['error_count']}  CPU ms/request: gunicorn {cpu['gunicorn']}, PostgreSQL "
              f"{cpu['postgres']}, client {cpu['client']}, other {cpu['other']}", flush=True)  # fmt: skip
        for sample in r["error_samples"][:3]:
            print(f"      error: {sample[:200]}")
    return results


# --- pgbench --------------------------------------------------------------------------------------
def pgbench(url: str, county: dict, clients: int, seconds: float) -> dict:
    """pgbench running pgbench_accept.sql; tps excludes the initial connection time."""
    import re
    import shutil

    binary = shutil.which("pgbench")
    if binary is None:
        return {"tps": None, "skipped": "pgbench not found (Debian package postgresql-client)"}
    first, last = county["floor_pool"]
    cmd = [binary, "-n", "-M", "simple", "-c", str(clients), "-j", "2", "-T", str(int(round(seconds))),
           "-f", str(BENCH_DIR / "pgbench_accept.sql"), "-D", f"first={first}", "-D", f"last={last}",
           "-D", f"uid={county['user_ids']['handler']}", "-D", f"uname='{county['handler_name']}'", url]  # fmt: skip
    before = CpuSample({"postgres": postgres_processes(county["database"])})
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out, _ = proc.communicate()
    after = CpuSample({"postgres": postgres_processes(county["database"])})
    if proc.returncode != 0:
        raise RuntimeError(f"pgbench failed:\n{out[-2000:]}")
    tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", out).group(1))
    latency = re.search(r"latency average = ([\d.]+) ms", out)
    failed = re.search(r"number of failed transactions: (\d+)", out)
    cpu = before.until(after)
    return {"tps": round(tps, 1), "latency_ms": float(latency.group(1)) if latency else None,
            "failed": int(failed.group(1)) if failed else 0, "clients": clients, "seconds": seconds,
            "cores_busy": cpu["cores_busy"], "command": " ".join(cmd[1:-1])}  # fmt: skip


# --- the scenario (parent process) ----------------------------------------------------------------
def _option(value, env_name, default, kind):
    if value is not None:
        return value
    raw = os.environ.get(env_name)
    return kind(raw) if raw else default


def run(rows: int | None = None, clients: int | None = None, seconds: float | None = None,
        workers: str | None = None) -> dict:  # fmt: skip
    rows = _option(rows, "BENCH_ROWS", DEFAULT_ROWS, int)
    clients = _option(clients, "BENCH_CLIENTS", DEFAULT_CLIENTS, int)
    seconds = _option(seconds, "BENCH_SECONDS", DEFAULT_SECONDS, float)
    workers = _option(workers, "BENCH_WORKERS", None, str)
    worker_counts = tuple(int(w) for w in str(workers).replace(",", " ").split()) if workers else DEFAULT_WORKERS
    loads = [load_average()]
    with postgres_env(NAME, settings="settings_tickets") as (env, url), \
            tempfile.TemporaryDirectory(prefix="dangjian-bench-tickets-") as tmp:  # fmt: skip
        work_dir = Path(tmp)
        Path(env["DANGJIAN_VAR_DIR"], "static").mkdir(parents=True, exist_ok=True)
        print(f"  database {url.rsplit('/', 1)[-1]}: migrate, county, users and tokens, floor pool …", flush=True)
        county = run_worker(MODULE, ["setup"], env)
        county["database"] = url.rsplit("/", 1)[-1]
        print(f"  {rows:,} historical tickets (COPY) …", flush=True)
        history = run_worker(MODULE, ["history", str(rows)], env)
        print(f"    {history['tickets']:,} tickets, {history['assignments']:,} assignments, {history['events']:,} "
              f"events in {history['load_seconds']} s (+ VACUUM ANALYZE {history['vacuum_analyze_seconds']} s)")
        print(f"  lifecycles over HTTP, {clients} clients, {seconds:g} s per run after {WARMUP:g} s warm-up:",
              flush=True)
        real = sweep(env, "lifecycle", county, clients, seconds, worker_counts, work_dir)
        print("  framework floor (token auth + the accept's SQL):", flush=True)
        floor = sweep(env, "floor", county, clients, seconds, worker_counts, work_dir)
        print(f"  pgbench, {clients} clients …", flush=True)
        pg = pgbench(url, county, clients, seconds)
        if pg["tps"] is None:
            print(f"    skipped: {pg['skipped']}", flush=True)
        else:
            print(f"    {pg['tps']:.0f} TPS, latency {pg['latency_ms']} ms", flush=True)
        print("  metrics query …", flush=True)
        metrics = run_worker(MODULE, ["metrics"], env)
        if os.environ.get("BENCH_KEEP") == "1":
            import shutil

            keep = Path(env["DANGJIAN_VAR_DIR"]) / "run"
            shutil.copytree(work_dir, keep, dirs_exist_ok=True)
    loads.append(load_average())

    best_w = max(real, key=lambda w: real[w]["per_s"])
    best = real[best_w]
    floor_w = max(floor, key=lambda w: floor[w]["per_s"])
    floor_best = floor[floor_w]
    ratio = best["per_s"] / floor_best["per_s"] if floor_best["per_s"] else 0.0
    error_rate = best["error_count"] / max(1, best["count"] + best["error_count"])
    goals = [
        Goal("action requests per second", best["per_s"], GOAL_ACTIONS, "req/s", higher_is_better=True),
        Goal("p99 latency", best["p99_ms"], GOAL_P99, "ms"),
        Goal("share of the framework floor", round(ratio, 2), GOAL_FLOOR_RATIO, "×", higher_is_better=True),
        Goal("county metrics query, one month", metrics["month_ms"], GOAL_METRICS_MS, "ms"),
    ]
    rows_table = [
        (f"lifecycle actions/s ({best_w} workers, {clients} clients)", f"{best['per_s']:.1f}", goals[0]),
        ("  p50 latency", f"{best['p50_ms']:.1f} ms", None),
        ("  p99 latency", f"{best['p99_ms']:.1f} ms", goals[1]),
        ("  complete lifecycles/s", f"{best['lifecycles_per_s']:.1f}", None),
        ("  errors in the window", f"{best['error_count']}", None),
    ]
    for action, a in best["actions"].items():
        rows_table.append((f"    {action}: p50 / p99", f"{a['p50_ms']:.0f} / {a['p99_ms']:.0f} ms", None))
    cpu = best["cpu_ms_per_request"]
    rows_table += [
        ("  CPU ms per request: gunicorn", f"{cpu['gunicorn']:.2f}", None),
        ("  CPU ms per request: PostgreSQL", f"{cpu['postgres']:.2f}", None),
        ("  CPU ms per request: load client", f"{cpu['client']:.2f}", None),
        ("  CPU ms per request: other processes", f"{cpu['other']:.2f}", None),
        (f"framework floor req/s ({floor_w} workers)", f"{floor_best['per_s']:.1f}", None),
        ("  p50 / p99 latency", f"{floor_best['p50_ms']:.1f} / {floor_best['p99_ms']:.1f} ms", None),
        ("lifecycle actions / floor", f"{ratio:.2f}×", goals[2]),
        (f"pgbench TPS (accept's SQL, {clients} clients)", "skipped" if pg["tps"] is None else f"{pg['tps']:.0f}",
         None),
        (f"metrics query, {metrics['month']['from']} … {metrics['month']['to']}", f"{metrics['month_ms']:.1f} ms",
         goals[3]),
        (f"metrics query, {metrics['year']['from']} … {metrics['year']['to']}", f"{metrics['year_ms']:.1f} ms", None),
    ]  # fmt: skip
    print_table(
        f"tickets — PostgreSQL, gunicorn sync workers, {history['tickets']:,} historical tickets, "
        f"{clients} clients, {seconds:g} s windows",
        rows_table,
    )
    print("worker sweep (req/s, p99 ms): lifecycle "
          + ", ".join(f"{w}: {r['per_s']:.0f}/{r['p99_ms']:.0f}" for w, r in real.items())
          + "; floor " + ", ".join(f"{w}: {r['per_s']:.0f}/{r['p99_ms']:.0f}" for w, r in floor.items()))  # fmt: skip
    print(f"load client: {best['client_cpu_us_per_request']} µs CPU per request "
          f"({cpu['client'] / (cpu['client'] + cpu['gunicorn'] + cpu['postgres']) * 100:.0f} % of the CPU the run used)")
    if error_rate > 0.01:
        print(f"note: {error_rate:.1%} of the lifecycle requests failed: {best['error_samples'][:2]}")
    foreign = max(r["cpu_seconds"]["other"] / r["cpu_seconds"]["wall"] for r in [*real.values(), *floor.values()])
    if foreign > 0.2:
        print(f"note: other processes used up to {foreign:.1f} cores during the runs (1-minute load average "
              f"{loads[0]} → {loads[1]}); the figures are lower than on an idle machine.")

    def slim(r):
        return {k: r[k] for k in ("per_s", "p50_ms", "p99_ms", "error_count", "lifecycles_per_s", "cpu_ms_per_request",
                                  "client_cpu_us_per_request") if k in r} | {"cores_busy": r["cpu_seconds"]["cores_busy"]}

    return {
        "actions_per_s": best["per_s"],
        "p50_ms": best["p50_ms"],
        "p99_ms": best["p99_ms"],
        "pgbench_tps": pg["tps"],
        "floor_per_s": floor_best["per_s"],
        "metrics_query_ms": metrics["month_ms"],
        "metrics_query_year_ms": metrics["year_ms"],
        "ratio_to_floor": round(ratio, 3),
        "workers": best_w,
        "floor_workers": floor_w,
        "clients": clients,
        "seconds": seconds,
        "lifecycles_per_s": best["lifecycles_per_s"],
        "errors": best["error_count"],
        "per_action": best["actions"],
        "cpu_ms_per_request": best["cpu_ms_per_request"],
        "floor_p50_ms": floor_best["p50_ms"],
        "floor_p99_ms": floor_best["p99_ms"],
        "floor_cpu_ms_per_request": floor_best["cpu_ms_per_request"],
        "client_cpu_us_per_request": best["client_cpu_us_per_request"],
        "sweep": {"lifecycle": {w: slim(r) for w, r in real.items()}, "floor": {w: slim(r) for w, r in floor.items()}},
        "pgbench": pg,
        "metrics": metrics,
        "history": history,
        "database": f"PostgreSQL {county.get('postgres_version', '')}".strip(),
        "server": "gunicorn dangjian.wsgi:application --workers N --timeout 120 --access-logfile FILE (sync)",
        "load_average": loads,
        "goals": [g.as_dict() for g in goals],
    }


# --- worker steps (child processes, Django configured by settings_tickets) ------------------------
def _setup() -> dict:
    from django.db import connection

    from dangjian.accounts.models import User

    from .ticket_county import build

    county = build()
    county["handler_name"] = str(User.objects.get(pk=county["user_ids"]["handler"]))
    with connection.cursor() as c:
        c.execute("SHOW server_version")
        county["postgres_version"] = c.fetchone()[0]
    return county


def _history(rows: str) -> dict:
    from .ticket_history import load

    return load(int(rows))


def _metrics() -> dict:
    import datetime as dt

    from django.utils import timezone

    from dangjian.accounts.models import User
    from dangjian.tickets import queries

    from .ticket_county import COUNTY_CODE

    today = timezone.localtime().date()
    month_end = today.replace(day=1) - dt.timedelta(days=1)
    month = (month_end.replace(day=1), month_end)
    year = ((month_end.replace(day=1) - dt.timedelta(days=335)).replace(day=1), month_end)

    def once(period):
        user = User.objects.get(username="county_admin")  # fresh: the scope is resolved as in a request
        started = time.perf_counter()
        qs = queries.scoped_assignments(user, scope=COUNTY_CODE, date_from=period[0], date_to=period[1])
        figures = queries.ticket_metrics(qs)
        return (time.perf_counter() - started) * 1000, figures, qs

    out = {}
    for key, period in (("month", month), ("year", year)):
        once(period)  # warm-up
        times, figures, qs = [], None, None
        for _ in range(METRICS_RUNS):
            ms, figures, qs = once(period)
            times.append(ms)
        plan = _aggregate_plan(qs)
        out[key] = {
            "from": period[0].isoformat(), "to": period[1].isoformat(), "median_ms": round(statistics.median(times), 1),
            "runs_ms": [round(t, 1) for t in times], "dispatched": figures["dispatched"],
            "acceptance_rate": figures["acceptance_rate"], "closure_rate": figures["closure_rate"],
            "on_time_rate": figures["on_time_rate"], "overdue_open": figures["overdue_open"],
            "satisfaction_rate": figures["satisfaction_rate"], "plan": plan,
        }  # fmt: skip
    out["month_ms"] = out["month"]["median_ms"]
    out["year_ms"] = out["year"]["median_ms"]
    return out


def _aggregate_plan(qs) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of the aggregate query that ticket_metrics runs on `qs`."""
    from django.db import connection

    from dangjian.tickets import queries

    captured = []

    def capture(execute, sql, params, many, context):
        captured.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        queries.ticket_metrics(qs)
    sql, params = captured[-1]
    with connection.cursor() as c:
        c.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return [row[0] for row in c.fetchall()]


def main(argv: list[str]) -> None:
    import django

    django.setup()
    step, *args = argv
    steps = {"setup": _setup, "history": _history, "metrics": _metrics}
    emit(steps[step](*args))


if __name__ == "__main__":
    main(sys.argv[1:])
