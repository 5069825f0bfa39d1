"""Audit registration for this app's ledger models. Ciphertexts and blind indexes are never logged."""

from auditlog.registry import auditlog

from .models import ContactLog, Member, MobileStay, Transfer

auditlog.register(
    Member,
    exclude_fields=["id_number_enc", "id_number_index", "phone_enc", "org_path", "name_initials", "created_at", "updated_at"],
)
auditlog.register(Transfer, exclude_fields=["from_org_path", "to_org_path", "created_at", "updated_at"])
auditlog.register(MobileStay, exclude_fields=["created_at"])
auditlog.register(ContactLog, exclude_fields=["created_at"])
