from auditlog.registry import auditlog

from .models import DuesPayment, DuesProfile, HeartToHeart, Meeting, StudyRecord

auditlog.register(Meeting, exclude_fields=["org_path"])
auditlog.register(DuesProfile)
auditlog.register(DuesPayment, exclude_fields=["org_path"])
auditlog.register(HeartToHeart, exclude_fields=["org_path"])
auditlog.register(StudyRecord, exclude_fields=["org_path"])
