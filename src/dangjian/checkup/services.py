"""Every write of the checkup: waiving and reopening findings, county rule settings, a run on request. One
transaction each, audited (django-auditlog for Finding and RuleSetting)."""

from django.db import transaction
from django.utils import timezone

from dangjian.core.audit import acting
from dangjian.core.scope import user_scope

from . import engine
from . import params as rule_params
from .models import Finding, RuleSetting
from .registry import RULES


class CheckupError(ValueError):
    """A write was refused; the message is Chinese and names the field and the reason."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def may(actor, action: str, path: str) -> bool:
    """Whether `actor` (None: the system) may do `action` on the organisation subtree at `path`."""
    scope = user_scope(actor, action)
    return scope.unrestricted or any(path.startswith(p) for p in scope.orgs)


REASON_MAX = 300


@transaction.atomic
def do_waive_finding(*, actor, finding: Finding, reason: str) -> Finding:
    """豁免: the finding stays waived while the violation lasts; if it resolves and comes back, it opens again."""
    reason = (reason or "").strip()
    if not reason:
        raise CheckupError("请填写豁免理由", "reason")
    if len(reason) > REASON_MAX:
        raise CheckupError(f"豁免理由不能超过 {REASON_MAX} 字（现为 {len(reason)} 字）", "reason")
    f = Finding.objects.select_for_update().get(pk=finding.pk)
    if not may(actor, "change", f.org_path):
        raise CheckupError("您不能豁免本组织以外的体检问题", "finding")
    if f.status != Finding.Status.OPEN:
        raise CheckupError(f"该问题当前为“{f.get_status_display()}”，只有待整改的问题可以豁免", "status")
    f.status = Finding.Status.WAIVED
    f.waived_by = actor if getattr(actor, "is_authenticated", False) else None
    f.waived_reason = reason
    f.waived_at = timezone.now()
    with acting(actor):
        f.save(update_fields=["status", "waived_by", "waived_reason", "waived_at"])
    return f


@transaction.atomic
def do_reopen_finding(*, actor, finding: Finding) -> Finding:
    """撤销豁免: a waived finding is open again (the engine resolves it when the data no longer violates the rule)."""
    f = Finding.objects.select_for_update().get(pk=finding.pk)
    if not may(actor, "change", f.org_path):
        raise CheckupError("您不能处理本组织以外的体检问题", "finding")
    if f.status != Finding.Status.WAIVED:
        raise CheckupError(f"该问题当前为“{f.get_status_display()}”，只有已豁免的问题可以撤销豁免", "status")
    f.status = Finding.Status.OPEN
    f.waived_by = None
    f.waived_reason = ""
    f.waived_at = None
    with acting(actor):
        f.save(update_fields=["status", "waived_by", "waived_reason", "waived_at"])
    return f


def _require_configure(actor, org) -> None:
    if not may(actor, "configure", org.path):
        raise CheckupError(f"您不能修改“{org.name}”的体检规则参数", "org")


def inherited(rule, org) -> tuple[dict, bool]:
    """What the organisation would be checked with without a setting of its own: the settings above it, or the
    rule's defaults."""
    above = [s for s in engine.load_settings([rule.id], org.path).get(rule.id, [])
             if org.path.startswith(s.path) and s.path != org.path]
    return engine.effective(rule, sorted(above, key=lambda s: len(s.path)))


@transaction.atomic
def do_save_rule_setting(*, actor, rule_id: str, org, data, enabled: bool = True) -> RuleSetting | None:
    """Set a rule's parameters and on/off switch for the subtree of `org`. `data` maps each parameter's form
    name (dotted for nested ones) to its text; every value keeps the type of its default. Only what differs
    from what the subtree inherits (the settings above it, or the defaults) is stored; a setting that changes
    nothing is removed (returns None)."""
    rule = RULES.get(rule_id)
    if rule is None:
        raise CheckupError(f"没有编号为“{rule_id}”的体检规则", "rule")
    _require_configure(actor, org)
    try:
        values = rule_params.parse_form(rule, data)
    except rule_params.ParamError as exc:
        raise CheckupError(exc.message, exc.field) from None
    base, base_enabled = inherited(rule, org)
    stored = rule_params.overrides(base, values)
    existing = RuleSetting.objects.select_for_update().filter(rule=rule_id, org=org).first()
    with acting(actor):
        if not stored and enabled == base_enabled:
            if existing is not None:
                existing.delete()
            return None
        setting = existing or RuleSetting(rule=rule_id, org=org)
        setting.params, setting.enabled = stored, enabled
        setting.updated_by = actor if getattr(actor, "is_authenticated", False) else None
        setting.save()
    return setting


@transaction.atomic
def do_reset_rule_setting(*, actor, rule_id: str, org) -> bool:
    """恢复默认: drop the subtree's own setting (the settings above it, or the defaults, apply again)."""
    if rule_id not in RULES:
        raise CheckupError(f"没有编号为“{rule_id}”的体检规则", "rule")
    _require_configure(actor, org)
    setting = RuleSetting.objects.filter(rule=rule_id, org=org).first()
    if setting is None:
        return False
    with acting(actor):
        setting.delete()
    return True


def do_run_checkup(*, actor, org, as_of=None) -> dict:
    """立即体检: run every rule for the subtree of `org` now (users who may change the organisation)."""
    if not may(actor, "change", org.path):
        raise CheckupError(f"您不能对“{org.name}”发起体检", "org")
    return engine.run(org.path, as_of or timezone.localdate())
