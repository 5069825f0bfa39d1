from auditlog.registry import auditlog

from .models import DuesPayment, DuesProfile, Meeting

auditlog.register(Meeting, exclude_fields=["org_path"])
auditlog.register(DuesProfile)
auditlog.register(DuesPayment, exclude_fields=["org_path"])
