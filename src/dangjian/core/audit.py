"""Access audit: who unmasked or exported personal data, when, and from where."""

import contextvars

from .bulk import insert_rows
from .models import AccessLog

_request_user = contextvars.ContextVar("dangjian_request_user", default=None)
_remote_addr = contextvars.ContextVar("dangjian_remote_addr", default=None)


def client_ip(request) -> str | None:
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    return forwarded.split(",")[0].strip() or request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    """Makes the acting user and their address available to services without passing the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        t1 = _request_user.set(getattr(request, "user", None))
        t2 = _remote_addr.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            _request_user.reset(t1)
            _remote_addr.reset(t2)


def record_access(action: str, *, object_type: str, object_id="", object_repr="", count=1, detail=None, user=None):
    user = user if user is not None else _request_user.get()
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    return AccessLog.objects.create(
        user=user,
        username=getattr(user, "username", "") or "",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        object_repr=str(object_repr)[:200],
        count=count,
        remote_addr=_remote_addr.get(),
        detail=detail or {},
    )


def acting(user):
    """Attribute the audit-log entries written inside this block to `user` (None: the system)."""
    from auditlog.context import set_actor

    return set_actor(user if getattr(user, "is_authenticated", False) else None, remote_addr=_remote_addr.get())


def _current_actor():
    from auditlog.context import auditlog_value

    try:
        return auditlog_value.get().get("actor")
    except LookupError:
        return None


def log_bulk_created(objects, fields=(), additional_data=None) -> None:
    """Write one auditlog 'create' entry per bulk-created row (bulk_create sends no signals)."""
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    if not objects:
        return
    actor = _current_actor()
    actor = actor if getattr(actor, "is_authenticated", False) else None
    content_type = ContentType.objects.get_for_model(objects[0].__class__)
    addr = _remote_addr.get()

    def value(obj, name):
        v = getattr(obj, name)
        return "None" if v is None else str(v)

    entries = [
        LogEntry(
            content_type=content_type, object_pk=str(obj.pk), object_id=obj.pk, object_repr=str(obj)[:200],
            action=LogEntry.Action.CREATE, changes={f: ["None", value(obj, f)] for f in fields},
            actor=actor, remote_addr=addr, additional_data=additional_data,
        )
        for obj in objects
    ]  # fmt: skip
    insert_rows(LogEntry, entries, [f.name for f in LogEntry._meta.concrete_fields if not f.primary_key])
