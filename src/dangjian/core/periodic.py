"""Periodic jobs run by `dangjian tick` (cron or a systemd timer). Apps register them from AppConfig.ready.

Every job must be idempotent: running tick twice in a row changes nothing the second time.
"""

from collections.abc import Callable

JOBS: dict[str, Callable[..., dict]] = {}


def register_job(name: str, job: Callable[..., dict]) -> None:
    """`job(now)` does its work and returns a summary of counts for the log."""
    JOBS[name] = job
