from auditlog.registry import auditlog

from .models import Finding, RuleSetting

# Waivers and their reopening are audited; the engine's own opening and resolving are bulk writes, recorded in
# the findings themselves (first_seen, last_seen, resolved_on).
auditlog.register(Finding, include_fields=["status", "waived_by", "waived_reason", "waived_at"])
auditlog.register(RuleSetting)
