"""Audit registration for this app's ledger models."""

from auditlog.registry import auditlog

from .models import Department, Unit

auditlog.register(Unit)
auditlog.register(Department, exclude_fields=["path", "depth", "numchild"])
