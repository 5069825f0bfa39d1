from auditlog.registry import auditlog

from .models import Meeting

auditlog.register(Meeting, exclude_fields=["org_path"])
