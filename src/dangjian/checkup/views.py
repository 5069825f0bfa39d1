"""Checkup pages: the 体检报告 of a subtree with drill-down, the findings list with export, one finding with the
waive/reopen form, each branch's 本月待办 calendar, and the county's rule settings. Thin: reads in queries,
writes in services."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F, OuterRef, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from dangjian.core.tables import Col, attr
from dangjian.core.views import ObjectListView
from dangjian.orgs.models import PartyOrg

from . import engine, queries, services
from . import params as rule_params
from .filters import FindingFilterSet
from .models import Finding, RuleSetting
from .registry import RULES

CRUMBS = [{"label": "制度体检"}]
SUBJECTS = {"org": "党组织", "member": "党员"}


def _report_url(org) -> str:
    return reverse("checkup-report") + f"?org={org.code}"


@login_required
def report_page(request):
    """体检报告: counts by rule for a subtree (each count drills down to the list), totals by severity, the child
    organisations, and for users who may change the organisation the 立即体检 button."""
    org = queries.root_org(request.user, request.GET.get("org"))
    data = queries.report(request.user, org)
    return render(request, "checkup/report.html", {
        "title": "体检报告", "org": org, **data, "ancestors": queries.ancestors(org, request.user),
        "list_url": reverse("checkup-findings") + f"?org={org.code}",
        "may_run": services.may(request.user, "change", org.path),
        "may_configure": services.may(request.user, "configure", org.path),
        "breadcrumbs": [*CRUMBS, {"label": "体检报告"}],
    })  # fmt: skip


@login_required
@require_POST
def run_now(request):
    """立即体检 for the subtree of the posted organisation (404 unless the user may change it)."""
    org = queries.root_org(request.user, request.POST.get("org") or None, "change")
    try:
        result = services.do_run_checkup(actor=request.user, org=org)
    except services.CheckupError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"体检完成：新发现问题 {result['opened']} 个，持续存在 {result['open']} 个，"
                                  f"已自动整改 {result['resolved']} 个")
    return redirect(_report_url(org))


def _subject(f) -> str:
    return f"{SUBJECTS.get(f.subject, f.subject)} {f.subject_code}"


FINDING_COLUMNS = [
    Col("问题", attr("message"), link=lambda f: reverse("checkup-finding", args=[f.pk])),
    Col("规则", lambda f: RULES[f.rule].title if f.rule in RULES else f.rule),
    Col("级别", attr("get_severity_display")),
    Col("所在党组织", attr("org_name")),
    Col("状态", lambda f: "已超期" if f.is_overdue else f.get_status_display()),
    Col("期限", attr("due")),
    Col("首次发现", attr("first_seen")),
]
EXPORT_EXTRA = [
    Col("规则编号", attr("rule")),
    Col("对象", _subject),
    Col("依据", attr("citation")),
    Col("最近发现", attr("last_seen")),
    Col("整改日期", attr("resolved_on")),
    Col("豁免理由", attr("waived_reason")),
]


class FindingListView(ObjectListView):
    model = Finding
    filterset_class = FindingFilterSet
    title = "问题清单"
    breadcrumbs = [*CRUMBS, {"label": "体检报告", "url": "/checkup/"}]
    export_object_type = "checkup_finding"
    columns = FINDING_COLUMNS
    template_name = "checkup/finding_list.html"

    def get_queryset(self, action="view"):
        name = PartyOrg.objects.filter(path=OuterRef("org_path")).values("name")[:1]
        return (queries.visible_findings(self.request.user, action).annotate(org_name=Subquery(name))
                .order_by("status", F("due").asc(nulls_last=True), "org_path", "rule", "pk"))

    def export_table(self, qs):
        columns = [*self.columns, *EXPORT_EXTRA]
        return [c.label for c in columns], ([c.export_value(o) for c in columns] for o in qs.iterator()), False


def _finding_context(request, f, error=None):
    rule = RULES.get(f.rule)
    org = PartyOrg.objects.filter(path=f.org_path).first()
    return {
        "title": "体检问题", "finding": f, "rule": rule, "org": org, "error": error,
        "subject": _subject(f), "may_change": services.may(request.user, "change", f.org_path),
        "reason": request.POST.get("reason", "") if error else "",
        "breadcrumbs": [*CRUMBS, {"label": "体检报告", "url": _report_url(org) if org else reverse("checkup-report")},
                        {"label": "问题清单", "url": reverse("checkup-findings")}, {"label": f"问题 {f.pk}"}],
    }  # fmt: skip


@login_required
def finding_detail(request, pk):
    """One finding: what, where, the article, its history; 豁免 (with a reason) or 撤销豁免."""
    f = get_object_or_404(queries.visible_findings(request.user), pk=pk)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "waive":
                services.do_waive_finding(actor=request.user, finding=f, reason=request.POST.get("reason", ""))
                messages.success(request, "已豁免：该问题在违规情形消除前不再列为待整改")
            elif action == "reopen":
                services.do_reopen_finding(actor=request.user, finding=f)
                messages.success(request, "已撤销豁免，该问题重新列为待整改")
            else:
                raise services.CheckupError("未知的操作", "action")
        except services.CheckupError as exc:
            f.refresh_from_db()
            return render(request, "checkup/finding.html", _finding_context(request, f, exc), status=400)
        return redirect("checkup-finding", pk=f.pk)
    return render(request, "checkup/finding.html", _finding_context(request, f))


def _month(request, today):
    text = request.GET.get("month") or ""
    if not text:
        return today.replace(day=1), None
    try:
        return dt.date.fromisoformat(f"{text}-01"), None
    except ValueError:
        return today.replace(day=1), f"月份“{text}”格式应为 2026-11，已改用本月"


def _shift(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@login_required
def calendar_page(request):
    """本月待办: a month grid of what is due, overdue and coming for an organisation, with the article behind each."""
    org = queries.root_org(request.user, request.GET.get("org"))
    today = timezone.localdate()
    month, warning = _month(request, today)
    plan = queries.month_plan(request.user, org, month, today)
    return render(request, "checkup/calendar.html", {
        "title": "本月待办", "org": org, "month": month, "warning": warning, "today": today, **plan,
        "prev": _shift(month, -1), "next": _shift(month, 1), "is_current": month == today.replace(day=1),
        "weekdays": "一二三四五六日", "kinds": queries.KIND_LABELS,
        "breadcrumbs": [*CRUMBS, {"label": "本月待办"}],
    })  # fmt: skip


# ---- county rule settings (configure) --------------------------------------------------------------------------
def _shown(value) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | tuple):
        return "、".join(_shown(v) for v in value)
    return str(value)


def _form_value(value) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return "" if value is None or isinstance(value, bool) else str(value)


def _param_rows(rule, current: dict) -> list[dict]:
    flat_current = rule_params.flatten(current)
    return [{"name": name, "label": rule_params.label_of(rule, name), "default": default,
             "default_text": _shown(default), "current_text": _shown(flat_current.get(name, default)),
             "kind": rule_params.kind_label(default),
             "input": rule_params.kind_of(default), "current": flat_current.get(name, default),
             "value": _form_value(flat_current.get(name, default)),
             "changed": flat_current.get(name, default) != default}
            for name, default in rule_params.flatten(rule.params).items()]


@login_required
def rules_page(request):
    """体检规则设置: every rule with its citation, severity, parameters and defaults, as they apply to the chosen
    subtree (county administrators)."""
    org = queries.root_org(request.user, request.GET.get("org"), "configure")
    settings = engine.load_settings(RULES, org.path)
    rows = []
    for rule in sorted(RULES.values(), key=lambda r: r.id):
        current, enabled, own = engine.settings_at(rule, org.path, settings.get(rule.id, []))
        inside = sum(1 for s in settings.get(rule.id, []) if s.path.startswith(org.path) and s.path != org.path)
        rows.append({"rule": rule, "params": _param_rows(rule, current), "enabled": enabled, "own": own,
                     "inherited": own is None and any(org.path.startswith(s.path)
                                                      for s in settings.get(rule.id, [])),
                     "inside": inside})
    return render(request, "checkup/rules.html", {
        "title": "体检规则设置", "org": org, "rows": rows, "subjects": SUBJECTS,
        "severities": dict(Finding.Severity.choices),
        "breadcrumbs": [*CRUMBS, {"label": "体检规则设置"}],
    })  # fmt: skip


@login_required
def rule_edit(request, rule_id):
    """One rule's parameters and on/off switch for a subtree; values keep their types, errors are in Chinese."""
    rule = RULES.get(rule_id)
    if rule is None:
        raise Http404
    org = queries.root_org(request.user, request.POST.get("org") or request.GET.get("org"), "configure")
    error = None
    if request.method == "POST":
        try:
            if request.POST.get("action") == "reset":
                services.do_reset_rule_setting(actor=request.user, rule_id=rule.id, org=org)
                messages.success(request, f"“{rule.title}”已恢复为{org.name}的上级设置或默认值")
            else:
                services.do_save_rule_setting(actor=request.user, rule_id=rule.id, org=org, data=request.POST,
                                              enabled=request.POST.get("enabled") == "on")
                messages.success(request, f"“{rule.title}”的参数已保存，适用于{org.name}及其下级组织")
        except services.CheckupError as exc:
            error = exc
        else:
            return redirect(reverse("checkup-rules") + f"?org={org.code}")
    current, enabled, own = engine.settings_at(rule, org.path)
    params = _param_rows(rule, current)
    if error is not None:  # show what was typed, not what is stored
        for p in params:
            p["current"] = p["value"] = request.POST.get(p["name"], "")
        enabled = request.POST.get("enabled") == "on"
    return render(request, "checkup/rule_form.html", {
        "title": f"规则参数：{rule.title}", "rule": rule, "org": org, "params": params, "enabled": enabled,
        "own": own, "error": error,
        "own_row": RuleSetting.objects.filter(rule=rule.id, org=org).select_related("updated_by").first(), "severities": dict(Finding.Severity.choices), "subjects": SUBJECTS,
        "breadcrumbs": [*CRUMBS, {"label": "体检规则设置", "url": reverse("checkup-rules") + f"?org={org.code}"},
                        {"label": rule.title}],
    }, status=400 if error else 200)  # fmt: skip
