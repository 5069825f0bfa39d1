"""The statistics part of `dangjian tick`: the incremental refresh (today, this month, stale and changed periods)."""

from .services import do_refresh


def run_refresh(now=None) -> dict:
    summary = do_refresh(now=now)
    return {"periods": summary["periods"], "values": summary["values"], "seconds": summary["seconds"]}
