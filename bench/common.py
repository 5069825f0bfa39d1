"""Helpers shared by the benchmark scenarios: throw-away databases, measured worker processes, goal tables."""

import contextlib
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
PROJECT_ROOT = BENCH_DIR.parent


class WorkerFailed(RuntimeError):
    pass


@contextlib.contextmanager
def django_env(name: str):
    """Environment for worker processes: bench settings and a fresh SQLite database in a temporary var dir.

    DATABASE_URL is removed so a PostgreSQL server configured for the tests is never touched.
    The directory is deleted afterwards unless BENCH_KEEP=1.
    """
    var_dir = Path(tempfile.mkdtemp(prefix=f"dangjian-bench-{name}-"))
    env = os.environ.copy()
    env.pop("DATABASE_URL", None)
    env["DANGJIAN_VAR_DIR"] = str(var_dir)
    env["DJANGO_SETTINGS_MODULE"] = "settings_bench"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(BENCH_DIR), env.get("PYTHONPATH", "")) if p)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    try:
        yield env
    finally:
        if os.environ.get("BENCH_KEEP") == "1":
            print(f"  (kept {var_dir})")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)


def run_worker(module: str, args: list[str], env: dict, poll: float = 0.02) -> dict:
    """Run `python -m module args…` and return the JSON object it prints last on stdout.

    While it runs, its resident set size is sampled with psutil; the result gains `polled_peak_rss_mb`
    and `process_seconds` (wall time of the whole process, start-up included).
    """
    import psutil

    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", module, *args], env=env, stdout=out, stderr=err, text=True
        )
        peak = 0
        try:
            handle = psutil.Process(proc.pid)
            while proc.poll() is None:
                with contextlib.suppress(psutil.Error):
                    peak = max(peak, handle.memory_info().rss)
                time.sleep(poll)
        except psutil.NoSuchProcess:
            pass
        proc.wait()
        elapsed = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise WorkerFailed(f"{module} {' '.join(args)} exited {proc.returncode}:\n{stderr[-4000:]}")
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise WorkerFailed(
            f"{module} {' '.join(args)} printed no result:\n{stdout[-2000:]}\n{stderr[-2000:]}"
        )
    result = json.loads(lines[-1])
    result["polled_peak_rss_mb"] = round(peak / 2**20, 1)
    result["process_seconds"] = round(elapsed, 3)
    return result


def emit(result: dict) -> None:
    """Worker side: print the result as the last line of stdout."""
    sys.stdout.write("\n" + json.dumps(result, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def peak_rss_mb() -> float:
    """Worker side: this process's peak resident set size so far (kernel high-water mark), in MiB."""
    import resource

    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(maxrss / (2**20 if sys.platform == "darwin" else 2**10), 1)


@dataclass
class Goal:
    name: str
    value: float
    target: float
    unit: str
    higher_is_better: bool = False

    @property
    def met(self) -> bool:
        return self.value >= self.target if self.higher_is_better else self.value < self.target

    @property
    def label(self) -> str:
        unit = self.unit if self.unit in ("×", "%") else f" {self.unit}"
        return f"{'≥' if self.higher_is_better else '<'} {self.target:g}{unit}".rstrip()

    def as_dict(self) -> dict:
        return {**asdict(self), "met": self.met}


def print_table(title: str, rows: list[tuple[str, str, Goal | None]]) -> None:
    """rows: (measure, value as text, goal or None)."""
    width = max(len(r[0]) for r in rows) + 2
    vwidth = max(len(r[1]) for r in rows) + 2
    print()
    print(title)
    print("-" * (width + vwidth + 30))
    print(f"{'measure':<{width}}{'value':>{vwidth}}  {'goal':<16}status")
    for measure, value, goal in rows:
        if goal is None:
            print(f"{measure:<{width}}{value:>{vwidth}}")
        else:
            print(f"{measure:<{width}}{value:>{vwidth}}  {goal.label:<16}{'met' if goal.met else 'MISSED'}")
    print("-" * (width + vwidth + 30))


def load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def machine() -> dict:
    return {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


# --- PostgreSQL and served scenarios ---------------------------------------------------------------
POSTGRES_URL = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")


@contextlib.contextmanager
def postgres_env(name: str, settings: str = "settings_bench"):
    """Environment for worker processes on a throw-away PostgreSQL database `dangjian_bench_<name>_<pid>`.

    The server is BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432, trust authentication).
    The database is created here and dropped afterwards (WITH (FORCE): pooled connections of servers that
    were not shut down cleanly are cut), unless BENCH_KEEP=1. DANGJIAN_VAR_DIR is a temporary directory.
    Yields (env, database_url).
    """
    import psycopg

    database = f"dangjian_bench_{name.replace('-', '_')}_{os.getpid()}"
    url = f"{POSTGRES_URL.rstrip('/')}/{database}"
    admin = f"{POSTGRES_URL.rstrip('/')}/postgres"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{database}"')
    except psycopg.OperationalError as exc:
        raise RuntimeError(f"no PostgreSQL server at {POSTGRES_URL} (set BENCH_POSTGRES): {exc}") from exc
    var_dir = Path(tempfile.mkdtemp(prefix=f"dangjian-bench-{name}-"))
    env = os.environ.copy()
    env["DATABASE_URL"] = url
    env["DANGJIAN_VAR_DIR"] = str(var_dir)
    env["DJANGO_SETTINGS_MODULE"] = settings
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(BENCH_DIR), str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p
    )
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    try:
        yield env, url
    finally:
        if os.environ.get("BENCH_KEEP") == "1":
            print(f"  (kept database {database} and {var_dir})")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def free_port() -> int:
    """A TCP port on the loopback interface that nobody listens on right now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]



class KeptDatabase:
    """A PostgreSQL database on BENCH_POSTGRES kept between runs (a generated province takes half an hour), with a
    fixed field key: the encrypted columns are reused by later runs, so the key must not change with the
    throw-away var directory."""

    def __init__(self, name: str, field_key: str):
        self.name, self.field_key = name, field_key

    @staticmethod
    def _admin():
        import psycopg

        return psycopg.connect(f"{POSTGRES_URL.rstrip('/')}/postgres", autocommit=True, connect_timeout=5)

    def ensure(self, rebuild: bool) -> None:
        """Create the database unless it exists (drop it first when `rebuild`)."""
        import psycopg

        try:
            with self._admin() as conn:
                if rebuild:
                    conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
                if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.name]).fetchone():
                    conn.execute(f'CREATE DATABASE "{self.name}"')
        except psycopg.OperationalError as exc:
            raise RuntimeError(f"no PostgreSQL server at {POSTGRES_URL} (set BENCH_POSTGRES): {exc}") from exc

    def size(self) -> str:
        with self._admin() as conn:
            return conn.execute("SELECT pg_size_pretty(pg_database_size(%s))", [self.name]).fetchone()[0]

    @contextlib.contextmanager
    def env(self):
        """Environment for worker processes on this database (bench settings, a temporary var directory)."""
        var_dir = Path(tempfile.mkdtemp(prefix=f"{self.name.replace('_', '-')}-"))
        (var_dir / "static").mkdir()
        env = os.environ.copy()
        env["DATABASE_URL"] = f"{POSTGRES_URL.rstrip('/')}/{self.name}"
        env["DANGJIAN_VAR_DIR"] = str(var_dir)
        env["DANGJIAN_FIELD_KEY"] = self.field_key
        env["DJANGO_SETTINGS_MODULE"] = "settings_bench"
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(BENCH_DIR), str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p
        )
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        try:
            yield env
        finally:
            shutil.rmtree(var_dir, ignore_errors=True)


def run_streamed(module: str, step: str, args: list[str], env: dict) -> dict:
    """Run the worker step `python -m module step args…`, streaming its progress lines; returns the JSON it prints
    last, with the peak RSS of its process tree (`peak_rss_mb`, sampled with psutil every 50 ms)."""
    import psutil

    proc = subprocess.Popen([sys.executable, "-m", module, step, *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, bufsize=1)  # fmt: skip
    peak = [0]
    stop = threading.Event()

    def sample():
        try:
            root = psutil.Process(proc.pid)
        except psutil.Error:
            return
        while not stop.is_set():
            total = 0
            with contextlib.suppress(psutil.Error):
                for p in [root, *root.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        total += p.memory_info().rss
            peak[0] = max(peak[0], total)
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    last, tail = None, []
    for line in proc.stdout:
        if line.startswith("{"):
            last = line
        else:
            print(line, end="", flush=True)
            tail = (tail + [line])[-40:]
    proc.wait()
    stop.set()
    sampler.join()
    if proc.returncode != 0 or last is None:
        raise WorkerFailed(f"{module} {step} exited {proc.returncode}:\n{''.join(tail)}")
    result = json.loads(last)
    result["peak_rss_mb"] = round(peak[0] / 2**20, 1)
    return result
