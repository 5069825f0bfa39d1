"""Audit registration for this app's models."""

from auditlog.registry import auditlog

from .models import RecruitmentCase, RuleSet, Sponsor, StepDocument, StepRecord, TimingRule, Training

auditlog.register(RuleSet, exclude_fields=["updated_at"])
auditlog.register(TimingRule)
auditlog.register(RecruitmentCase, exclude_fields=["created_at", "updated_at", "next_due"])
auditlog.register(StepRecord, exclude_fields=["created_at"])
auditlog.register(StepDocument, exclude_fields=["uploaded_at"])
auditlog.register(Sponsor)
auditlog.register(Training, exclude_fields=["created_at"])
