"""Audit registration for this app's ledger models."""

from auditlog.registry import auditlog

from .models import BranchCommittee, CommitteeSeat, PartyOrg

auditlog.register(PartyOrg, exclude_fields=["path", "depth", "numchild"])
auditlog.register(BranchCommittee)
auditlog.register(CommitteeSeat)
