"""Branch-life pages: the meeting register, one meeting with its attendance, and recording a meeting."""

import datetime as dt
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from dangjian.core.services import do_export
from dangjian.core.tables import Col, attr
from dangjian.core.views import ObjectListView, xlsx_response
from dangjian.members.models import Member
from dangjian.orgs.models import PartyOrg

from . import queries, services
from .filters import MeetingFilterSet
from .models import Attendance, Meeting

CRUMBS = [{"label": "组织生活"}]


class MeetingListView(ObjectListView):
    model = Meeting
    filterset_class = MeetingFilterSet
    title = "会议记录"
    breadcrumbs = CRUMBS
    select_related = ("org", "chair")
    export_object_type = "meeting"
    columns = [
        Col("召开日期", attr("held_on"), link=lambda m: reverse("meeting-detail", args=[m.pk])),
        Col("会议类型", attr("get_kind_display")),
        Col("主题", attr("topic")),
        Col("党组织", attr("org.name")),
        Col("主持人", attr("chair.name")),
        Col("表决事项", attr("vote_subject")),
        Col("到会/应到（有表决权）", lambda m: f"{m.present_voters}/{m.due_voters}" if m.due_voters is not None else ""),
    ]

    def get_actions(self):
        if self.request.user.can("change"):
            return [{"label": "登记会议", "url": reverse("meeting-add"), "icon": "bi-plus"}]
        return []


@login_required
def meeting_detail(request, pk):
    meeting = get_object_or_404(Meeting.objects.restrict(request.user, "view").select_related("org", "chair"), pk=pk)
    rows = meeting.attendance.select_related("member").order_by("status", "member__name")
    may_change = PartyOrg.objects.restrict(request.user, "change").filter(pk=meeting.org_id).exists()
    return render(request, "branchlife/meeting_detail.html", {
        "title": meeting.topic, "meeting": meeting, "rows": rows, "may_change": may_change,
        "counts": {label: rows.filter(status=value).count() for value, label in Attendance.Status.choices},
        "breadcrumbs": [*CRUMBS, {"label": "会议记录", "url": reverse("meeting-list")}, {"label": meeting.topic}],
    })  # fmt: skip


def _meeting_fields(data, members) -> dict:
    """The meeting's own fields from the posted form, as the record and update services take them: the date is
    None when blank or not a date (the service then says what is missing); the chair one of the listed members."""
    try:
        held_on = dt.date.fromisoformat(data.get("held_on") or "")
    except ValueError:
        held_on = None
    return {"held_on": held_on, "topic": data.get("topic"), "minutes": data.get("minutes", ""),
            "chair": next((m for m in members if str(m.pk) == data.get("chair")), None),
            "vote_subject": (data.get("vote_subject") or "").strip()}


@login_required
def meeting_add(request):
    """Pick an organisation you may change, then record the meeting with one attendance choice per member."""
    orgs = PartyOrg.objects.restrict(request.user, "change").filter(kind__in=(*PartyOrg.BRANCH_KINDS,
                                                                                "general_branch", "group"))
    if not orgs.exists():
        raise Http404
    org = orgs.filter(code=request.GET.get("org") or request.POST.get("org")).first() or orgs.first()
    members = list(Member.objects.filter(org_path__startswith=org.path).order_by("name"))
    error, data = None, request.POST
    for m in members:
        m.att = data.get(f"att_{m.pk}", "absent") if request.method == "POST" else "present"
    if request.method == "POST":
        attendance = {m.pk: m.att for m in members}
        try:
            meeting = services.do_record_meeting(actor=request.user, org=org, kind=data.get("kind"),
                                                 attendance=attendance, **_meeting_fields(data, members))
        except services.BranchLifeError as exc:
            error = exc
        else:
            messages.success(request, "会议已登记")
            return redirect("meeting-detail", meeting.pk)
    return render(request, "branchlife/meeting_form.html", {
        "title": "登记会议", "orgs": orgs[:500], "org": org, "members": members, "error": error, "data": data,
        "kinds": Meeting.Kind.choices, "statuses": Attendance.Status.choices, "today": timezone.localdate(),
        "breadcrumbs": [*CRUMBS, {"label": "会议记录", "url": reverse("meeting-list")}, {"label": "登记会议"}],
    }, status=400 if error else 200)  # fmt: skip


NOT_RECORDED = ("", "未登记")  # the edit form's fourth choice: the member is left out of the meeting's attendance


@login_required
def meeting_edit(request, pk):
    """Correct a recorded meeting (services.do_update_meeting): date, topic, chair, minutes, vote, attendance.

    Listed are the members the service accepts: those recorded for the meeting (even if they have moved since) and
    the organisation's current members; a member left at 未登记 is not in the attendance."""
    meeting = get_object_or_404(Meeting.objects.select_related("org", "chair"), pk=pk,
                                org__in=PartyOrg.objects.restrict(request.user, "change"))
    org = meeting.org
    recorded = dict(meeting.attendance.values_list("member_id", "status"))
    listed = Q(org_path__startswith=org.path) | Q(pk__in=list(recorded))  # what _check_meeting accepts
    members = list(Member.objects.filter(listed).order_by("name"))
    error = None
    if request.method == "POST":
        data = request.POST
        for m in members:
            m.att = data.get(f"att_{m.pk}", "")
        try:
            services.do_update_meeting(actor=request.user, meeting=meeting,
                                       attendance={m.pk: m.att for m in members if m.att},
                                       **_meeting_fields(data, members))
        except services.BranchLifeError as exc:
            error = exc
        else:
            messages.success(request, "会议记录已更正")
            return redirect("meeting-detail", meeting.pk)
    else:
        data = {"held_on": meeting.held_on.isoformat(), "topic": meeting.topic, "minutes": meeting.minutes,
                "vote_subject": meeting.vote_subject, "chair": str(meeting.chair_id or "")}
        for m in members:
            m.att = recorded.get(m.pk, "")
    for m in members:
        m.moved = not m.org_path.startswith(org.path)
    detail = reverse("meeting-detail", args=[meeting.pk])
    return render(request, "branchlife/meeting_form.html", {
        "title": "更正会议记录", "meeting": meeting, "org": org, "members": members, "error": error, "data": data,
        "statuses": [*Attendance.Status.choices, NOT_RECORDED], "today": timezone.localdate(), "cancel_url": detail,
        "breadcrumbs": [*CRUMBS, {"label": "会议记录", "url": reverse("meeting-list")},
                        {"label": meeting.topic, "url": detail}, {"label": "更正"}],
    }, status=400 if error else 200)  # fmt: skip


@login_required
def dues_sheet(request):
    """党费收缴表: one month of one organisation; export it, fill it in, import it back."""
    orgs = PartyOrg.objects.restrict(request.user, "change")
    if not orgs.exists():
        raise Http404
    org = orgs.filter(code=request.GET.get("org")).first() or orgs.first()
    try:
        month = dt.date.fromisoformat((request.GET.get("month") or f"{timezone.localdate():%Y-%m}") + "-01")
    except ValueError:
        month = timezone.localdate().replace(day=1)
    rows = queries.dues_sheet(request.user, org, month)
    if request.GET.get("export") == "xlsx":
        buffer = io.BytesIO()
        do_export(buffer, actor=request.user, object_type="dues_sheet", headers=queries.SHEET_HEADERS, rows=rows,
                  title=f"{org.name}{month:%Y年%m月}党费收缴表")
        return xlsx_response(buffer.getvalue(), f"党费收缴表-{org.code}-{month:%Y-%m}.xlsx")
    return render(request, "branchlife/dues_sheet.html", {
        "title": "党费收缴", "org": org, "orgs": orgs.order_by("path")[:500], "month": month, "rows": rows,
        "headers": queries.SHEET_HEADERS, "paid": sum(1 for r in rows if r[7] != ""),
        "breadcrumbs": [*CRUMBS, {"label": "党费收缴"}],
    })  # fmt: skip
