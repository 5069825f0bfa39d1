"""The checkup part of `dangjian tick`: one full run a day (claimed by inserting the day's DailyRun row, so two
ticks never both run it), then the subtrees queued by large transactions (each claimed by deleting its row)."""

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import engine
from .models import DailyRun, QueuedSubtree

logger = logging.getLogger(__name__)

QUEUE_BATCH = 500  # queued subtrees handled per tick; the rest wait for the next one
STALE_CLAIM = dt.timedelta(hours=3)  # a day claimed this long ago and never finished was interrupted


def _claim_day(day: dt.date, now) -> DailyRun | None:
    try:
        with transaction.atomic():
            return DailyRun.objects.create(day=day)
    except IntegrityError:
        pass
    stale = DailyRun.objects.filter(day=day, finished_at__isnull=True, started_at__lt=now - STALE_CLAIM)
    if stale.update(started_at=now):  # conditional update: only one tick takes over an interrupted run
        return DailyRun.objects.get(day=day)
    return None


def run_checkup(now=None) -> dict:
    now = now or timezone.now()
    today = timezone.localdate(now)
    counts = {"full_run": 0, "subtrees": 0, "opened": 0, "resolved": 0}
    claim = _claim_day(today, timezone.now())
    if claim is not None:
        started = timezone.now()
        try:
            result = engine.run("", today)
        except Exception:
            DailyRun.objects.filter(pk=claim.pk).delete()  # let the next tick try again
            raise
        DailyRun.objects.filter(pk=claim.pk).update(finished_at=timezone.now(), counts=result)
        QueuedSubtree.objects.filter(queued_at__lte=started).delete()  # the full run covered them
        counts.update(full_run=1, opened=result["opened"], resolved=result["resolved"])
    for row in list(QueuedSubtree.objects.order_by("queued_at", "path")[:QUEUE_BATCH]):
        if not QueuedSubtree.objects.filter(pk=row.pk).delete()[0]:
            continue  # another tick took it
        try:
            result = engine.run(row.path, today)
        except Exception:
            logger.exception("queued checkup of %s failed", row.path)
            QueuedSubtree.objects.get_or_create(path=row.path)
            continue
        counts["subtrees"] += 1
        counts["opened"] += result["opened"]
        counts["resolved"] += result["resolved"]
    return counts
