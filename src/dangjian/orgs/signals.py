"""Audit registration for this app's ledger models."""

from auditlog.registry import auditlog

from .models import PartyOrg

auditlog.register(PartyOrg, exclude_fields=["path", "depth", "numchild"])
