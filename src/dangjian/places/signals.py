"""Audit registration for this app's ledger models."""

from auditlog.registry import auditlog

from .models import Building, Household, Region

TREE_FIELDS = ["path", "depth", "numchild"]
auditlog.register(Region, exclude_fields=TREE_FIELDS)
auditlog.register(Building, exclude_fields=["region_path"])
auditlog.register(Household, exclude_fields=["region_path"])
