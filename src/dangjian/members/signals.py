"""Audit registration for this app's ledger models. Ciphertexts and blind indexes are never logged."""

from auditlog.registry import auditlog

from .models import Member

auditlog.register(
    Member,
    exclude_fields=["id_number_enc", "id_number_index", "phone_enc", "org_path", "name_initials", "created_at", "updated_at"],
)
