"""Recruitment pages: the case list, one person's 25 steps with the next step and its dates, recording a step,
and the rule sets (county administrators). Thin: every write goes through services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from dangjian.core.tables import Col, attr
from dangjian.core.views import ObjectListView
from dangjian.members.models import Member
from dangjian.orgs.models import PartyOrg

from . import queries, services, steps, timing
from .filters import CaseFilterSet
from .forms import OpenCaseForm, RuleSetForm, StepForm, StopForm, TrainingForm
from .models import RecruitmentCase, RuleSet, StepDocument

CRUMBS = [{"label": "发展党员"}]


def _step_label(number):
    return f"{number}. {steps.BY_NUMBER[number].name}" if number else ""


def _due_label(case):
    if not case.next_due:
        return ""
    late = case.is_open and case.next_due < timezone.localdate()
    return f"{case.next_due:%Y-%m-%d}{'（已超期）' if late else ''}"


class CaseListView(ObjectListView):
    model = RecruitmentCase
    filterset_class = CaseFilterSet
    title = "发展党员台账"
    breadcrumbs = CRUMBS
    export_object_type = "recruitment_case"
    columns = [
        Col("姓名", attr("member.name"), link=lambda c: reverse("recruitment-detail", args=[c.pk])),
        Col("所在党组织", attr("member.org.name")),
        Col("人员类别", attr("member.get_status_display")),
        Col("递交申请日期", attr("applied_on")),
        Col("所处阶段", lambda c: steps.STAGE_NAMES[c.stage] if c.is_open else ""),
        Col("已完成至", lambda c: _step_label(c.last_step)),
        Col("下一步骤", lambda c: _step_label(c.next_step)),
        Col("最近期限", _due_label),
        Col("状态", attr("get_status_display")),
    ]

    def get_queryset(self, action="view"):
        return queries.cases_for(self.request.user, action)

    def get_actions(self):
        actions = []
        if self.request.user.can("change"):
            actions.append({"label": "登记入党申请", "url": reverse("recruitment-add"), "icon": "bi-plus"})
        if self.request.user.can("configure"):
            actions.append({"label": "时限规则", "url": reverse("recruitment-rulesets"), "icon": "bi-sliders"})
        return actions


def _form_errors(form) -> str:
    return "；".join(f"{form.fields[k].label if k in form.fields else ''}：{'、'.join(v)}".lstrip("：")
                    for k, v in form.errors.items())


def _branches(user):
    return PartyOrg.objects.restrict(user, "change").filter(kind__in=PartyOrg.BRANCH_KINDS)


@login_required
def case_add(request):
    orgs = _branches(request.user)
    if not orgs.exists():
        raise Http404
    form = OpenCaseForm(request.POST or None, orgs=orgs.order_by("path"),
                        initial={"applied_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = services.do_open_case(actor=request.user, files=request.FILES.getlist("files"), **data)
        except services.RecruitmentError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, f"已登记{case.member.name}的入党申请")
            return redirect("recruitment-detail", pk=case.pk)
    return render(request, "recruitment/case_form.html", {
        "title": "登记入党申请", "form": form,
        "breadcrumbs": [*CRUMBS, {"label": "发展党员台账", "url": reverse("recruitment-list")}, {"label": "登记入党申请"}],
    }, status=400 if request.method == "POST" else 200)  # fmt: skip


def _may_change(user, case) -> bool:
    return queries.cases_for(user, "change").filter(pk=case.pk).exists()


@login_required
def case_detail(request, pk):
    case = get_object_or_404(queries.cases_for(request.user), pk=pk)
    view = queries.case_view(case)
    may_change = _may_change(request.user, case)
    can_change = case.is_open and may_change
    can_edit = case.status != RecruitmentCase.Status.STOPPED and may_change
    recordable = set()
    if can_change:
        done = set(view.facts.steps)
        for s in steps.STEPS:
            if s.number > 1 and s.number not in done and all(p.number in done for p in steps.previous_required(s.number)):
                recordable.add(s.number)
    today = timezone.localdate()
    return render(request, "recruitment/case_detail.html", {
        "title": f"{case.member.name} 发展党员", "case": case, "member": case.member, "view": view,
        "can_change": can_change, "can_edit": can_edit, "recordable": recordable, "today": today,
        "sponsors": case.sponsors.select_related("member", "member__org"),
        "trainings": case.trainings.all(),
        "training_form": TrainingForm(initial={"start_on": today, "end_on": today}) if can_change else None,
        "stop_form": StopForm(initial={"stopped_on": today}) if can_change else None,
        "unofficial_years": _unofficial_years(view),
        "breadcrumbs": [*CRUMBS, {"label": "发展党员台账", "url": reverse("recruitment-list")},
                        {"label": case.member.name}],
    })  # fmt: skip


def _unofficial_years(view) -> list[int]:
    """Years whose working days count weekends only (no announced holiday schedule) among the dates shown."""
    from dangjian.core import workdays

    dates = [c.earliest for c in view.checks if c.rule.unit == "workdays"]
    dates += [c.latest for c in view.checks if c.rule.unit == "workdays"]
    return workdays.unofficial_years(*dates)


def _sponsor_choices(case):
    """Full members of the person's branch (and of its parent organisation's subtree)."""
    org = case.member.org
    path = org.path[:-PartyOrg.steplen] if org.depth > 1 else org.path
    return (Member.objects.filter(org_path__startswith=path, status=Member.Status.FULL)
            .exclude(pk=case.member_id).order_by("org_path", "name"))


def _step_initial(record, step):
    if record is None:
        return {"done_on": timezone.localdate()}
    initial = {"done_on": record.done_on, "period_start": record.period_start, "period_end": record.period_end,
               "responsible": record.responsible, "document_names": record.document_names, "notes": record.notes}
    if step.sponsors:
        chosen = list(record.case.sponsors.order_by("id").values_list("member_id", flat=True))
        initial.update(zip(("sponsor_1", "sponsor_2"), chosen, strict=False))
    training = getattr(record, "training", None) if step.training else None
    if training is not None:
        initial.update(days=training.days, hours=training.hours, organiser=training.organiser)
    return initial


@login_required
def step_record(request, pk, step):
    """Record a step, or correct it when it is recorded already (same page, same form)."""
    case = get_object_or_404(queries.cases_for(request.user, "change"), pk=pk)
    info = steps.BY_NUMBER.get(step)
    if info is None or (step == 1 and not case.step_records.filter(step=1).exists()):
        raise Http404
    record = case.step_records.filter(step=step).select_related("case").first()
    if case.status == RecruitmentCase.Status.STOPPED or (record is None and not case.is_open):
        messages.error(request, f"该发展党员工作{case.get_status_display()}，不能再登记步骤")
        return redirect("recruitment-detail", pk=pk)
    view = queries.case_view(case)
    missing = [s for s in steps.previous_required(step) if s.number not in view.facts.steps]
    if record is None and missing:
        messages.error(request, f"{steps.label(step)}之前须先登记{steps.label(missing[0].number)}")
        return redirect("recruitment-detail", pk=pk)
    governing = [c for c in view.checks if c.rule.target == step]
    form = StepForm(request.POST or None, step=info, sponsors=_sponsor_choices(case),
                    initial=_step_initial(record, info))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        sponsors = [data.pop("sponsor_1", None), data.pop("sponsor_2", None)]
        training = {k: data.pop(k, None) for k in ("days", "hours", "organiser")}
        extra = dict(files=request.FILES.getlist("files"), sponsors=sponsors if info.sponsors else None,
                     training=training if info.training else None, **data)
        try:
            if record is None:
                services.do_record_step(actor=request.user, case=case, step=step, **extra)
            else:
                services.do_update_step(actor=request.user, record=record, **extra)
        except services.RecruitmentError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            after = queries.case_view(RecruitmentCase.objects.get(pk=pk))
            late = [c for c in after.warnings if c.rule.target == step]
            done = "已登记" if record is None else "已修改"
            if late:
                messages.warning(request, f"{done}，但不符合时限：" + "；".join(
                    f"{c.text}（{c.rule.article}）" for c in late))
            else:
                messages.success(request, f"{done}{steps.label(step)}")
            return redirect("recruitment-detail", pk=pk)
    verb = "登记" if record is None else "修改"
    return render(request, "recruitment/step_form.html", {
        "title": f"{verb}{steps.label(step)}", "case": case, "step": info, "form": form, "governing": governing,
        "record": record, "verb": verb,
        "breadcrumbs": [*CRUMBS, {"label": "发展党员台账", "url": reverse("recruitment-list")},
                        {"label": case.member.name, "url": reverse("recruitment-detail", args=[pk])},
                        {"label": info.name}],
    }, status=400 if request.method == "POST" else 200)  # fmt: skip


@login_required
@require_POST
def training_add(request, pk):
    case = get_object_or_404(queries.cases_for(request.user, "change"), pk=pk)
    form = TrainingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("recruitment-detail", pk=pk)
    try:
        services.do_add_training(actor=request.user, case=case, **form.cleaned_data)
    except services.RecruitmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已登记培训记录")
    return redirect("recruitment-detail", pk=pk)


@login_required
@require_POST
def case_stop(request, pk):
    case = get_object_or_404(queries.cases_for(request.user, "change"), pk=pk)
    form = StopForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("recruitment-detail", pk=pk)
    try:
        services.do_stop_case(actor=request.user, case=case, **form.cleaned_data)
    except services.RecruitmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已终止发展")
    return redirect("recruitment-detail", pk=pk)


@login_required
def document(request, pk):
    doc = get_object_or_404(StepDocument.objects.filter(record__case__in=queries.cases_for(request.user))
                            .select_related("record__case__member"), pk=pk)
    return FileResponse(services.open_document(actor=request.user, document=doc), as_attachment=True,
                        filename=doc.name)


# ---- rule sets (county administrators) --------------------------------------------------------------------------

RULESET_CRUMBS = [*CRUMBS, {"label": "发展党员时限规则"}]


@login_required
def ruleset_list(request):
    if not request.user.can("configure"):
        raise Http404
    rulesets = list(RuleSet.objects.prefetch_related("rules").order_by("code"))
    in_force = queries.rulesets_in_force()
    today = timezone.localdate()
    current = timing.ruleset_on(in_force, today).code if in_force else None
    return render(request, "recruitment/ruleset_list.html", {
        "title": "发展党员时限规则", "rulesets": rulesets, "current": current,
        "rows": [(s, [(r, timing.describe(r.as_data())) for r in s.rules.all()]) for s in rulesets],
        "breadcrumbs": RULESET_CRUMBS,
    })  # fmt: skip


@login_required
def ruleset_edit(request, pk):
    if not request.user.can("configure"):
        raise Http404
    ruleset = get_object_or_404(RuleSet, pk=pk)
    rows = services.ruleset_rows(ruleset)
    initial = {"document": ruleset.document, "doc_number": ruleset.doc_number, "issued_on": ruleset.issued_on,
               "effective_on": ruleset.effective_on, "note": ruleset.note}
    form = RuleSetForm(request.POST or None, rules=rows, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.do_save_ruleset(actor=request.user, ruleset=ruleset, document=data["document"],
                                     doc_number=data["doc_number"], issued_on=data["issued_on"],
                                     effective_on=data["effective_on"], note=data["note"],
                                     rules=form.rule_values(), confirm=data["confirm"])
        except services.RecruitmentError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, f"已保存{ruleset}" + ("，已确认生效" if data["confirm"] else ""))
            return redirect("recruitment-rulesets")
    return render(request, "recruitment/ruleset_form.html", {
        "title": f"编辑 {ruleset}", "ruleset": ruleset, "form": form,
        "breadcrumbs": [*CRUMBS, {"label": "发展党员时限规则", "url": reverse("recruitment-rulesets")},
                        {"label": str(ruleset)}],
    }, status=400 if request.method == "POST" else 200)  # fmt: skip
