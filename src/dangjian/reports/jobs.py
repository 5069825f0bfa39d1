"""The statistics part of `dangjian tick`: the incremental refresh (today, this month, stale and changed periods)."""

from .services import do_refresh


def run_refresh(now=None) -> dict:
    summary = do_refresh(now=now)
    return {k: summary[k] for k in ("periods", "values", "inserted", "updated", "deleted", "seconds")}
