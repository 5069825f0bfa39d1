"""Incremental checkup. Apps say, from their AppConfig.ready, which organisation subtrees a change of one of
their records bears on (`register_watch(Model, paths_of)`); the paths touched by a transaction are collected
and, once it commits, the engine runs again for just those subtrees with today's date. A transaction that
touches more than MAX_SUBTREES subtrees queues them instead (QueuedSubtree), for `dangjian tick`; imports that
bypass signals (bulk inserts) are covered by the daily full run."""

import contextlib
import logging
import threading
from collections.abc import Callable, Iterable

from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone

from dangjian.core.scope import minimal_prefixes

logger = logging.getLogger(__name__)

MAX_SUBTREES = 50
WATCHES: dict[str, Callable] = {}
_paused = threading.local()


def register_watch(model, paths_of: Callable[[object], Iterable[str]], previous: bool = False) -> None:
    """After a save or delete of `model`, `paths_of(instance)` names the organisation paths whose checkup may
    change (the engine then runs for each of their subtrees). With `previous`, the paths of the row as it was
    stored before the save count too (one query per save: for records that can move, e.g. a member whose
    organisation is corrected)."""
    label = model._meta.label
    WATCHES[label] = paths_of
    post_save.connect(_changed, sender=model, weak=False, dispatch_uid=f"checkup-watch-save-{label}")
    post_delete.connect(_changed, sender=model, weak=False, dispatch_uid=f"checkup-watch-delete-{label}")
    if previous:
        pre_save.connect(_before, sender=model, weak=False, dispatch_uid=f"checkup-watch-before-{label}")


def _before(sender, instance, **kwargs):
    if kwargs.get("raw") or getattr(_paused, "on", False) or instance.pk is None:
        return
    old = sender._base_manager.using(kwargs.get("using") or DEFAULT_DB_ALIAS).filter(pk=instance.pk).first()
    if old is not None:
        try:
            instance._checkup_previous_paths = [p for p in WATCHES[sender._meta.label](old) if p is not None]
        except Exception:
            logger.exception("checkup watch for %s failed", sender._meta.label)


@contextlib.contextmanager
def paused():
    """Collect nothing inside this block (a caller that runs the engine itself afterwards, e.g. a generator)."""
    previous = getattr(_paused, "on", False)
    _paused.on = True
    try:
        yield
    finally:
        _paused.on = previous


def _changed(sender, instance, **kwargs):
    if kwargs.get("raw") or getattr(_paused, "on", False):
        return
    paths_of = WATCHES.get(sender._meta.label)
    if paths_of is None:
        return
    try:
        paths = [p for p in paths_of(instance) if p is not None] + instance.__dict__.pop("_checkup_previous_paths", [])
    except Exception:  # a half-built instance must never break the write itself; the daily run covers it
        logger.exception("checkup watch for %s failed", sender._meta.label)
        return
    if paths:
        touch(paths, using=kwargs.get("using") or DEFAULT_DB_ALIAS)


class _Batch:
    """The subtrees touched by one transaction; flushed once, after it commits."""

    def __init__(self, using):
        self.using = using
        self.paths: set[str] = set()
        self.done = False

    def pending_in(self, connection) -> bool:
        return not self.done and any(entry[1] == self.flush for entry in connection.run_on_commit)

    def flush(self):
        self.done = True
        connection = transaction.get_connection(self.using)
        if getattr(connection, "checkup_batch", None) is self:
            connection.checkup_batch = None
        refresh(self.paths, using=self.using)


def touch(paths: Iterable[str], using: str = DEFAULT_DB_ALIAS) -> None:
    """Mark subtrees to check again when the current transaction commits (at once outside a transaction)."""
    connection = transaction.get_connection(using)
    batch = getattr(connection, "checkup_batch", None)
    if batch is None or not batch.pending_in(connection):
        batch = _Batch(using)
        batch.paths.update(paths)
        connection.checkup_batch = batch
        transaction.on_commit(batch.flush, using=using, robust=True)
    else:
        batch.paths.update(paths)


def enqueue(paths: Iterable[str], using: str = DEFAULT_DB_ALIAS) -> int:
    from .models import QueuedSubtree

    rows = [QueuedSubtree(path=p) for p in minimal_prefixes(paths)]
    QueuedSubtree.objects.using(using).bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def refresh(paths: Iterable[str], using: str = DEFAULT_DB_ALIAS, today=None) -> dict:
    """Run the engine for each subtree (at most MAX_SUBTREES of them; more are queued for `dangjian tick`)."""
    from . import engine

    subtrees = minimal_prefixes(paths)
    if len(subtrees) > MAX_SUBTREES:
        return {"queued": enqueue(subtrees, using), "checked": 0}
    today = today or timezone.localdate()
    checked = 0
    for path in subtrees:
        try:
            engine.run(path, today)
            checked += 1
        except Exception:  # the write has committed already; try this subtree again from the queue
            logger.exception("incremental checkup of %s failed; queued", path)
            enqueue([path], using)
    return {"queued": len(subtrees) - checked, "checked": checked}
