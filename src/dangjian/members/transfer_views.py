"""Pages for transfers (组织关系转接) and mobile members (流动党员): thin, every write through services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from dangjian.core.tables import Col, attr
from dangjian.core.views import ObjectListView

from . import queries, services
from .filters import MobileMemberFilterSet, TransferFilterSet
from .forms import ContactForm, MobileReturnForm, MobileStayForm, TransferIssueForm
from .models import Member, MobileStay, Transfer

CRUMBS = [{"label": "党员管理"}]


def _org_label(org) -> str:
    return f"{org.name}（{org.code}）" if org is not None else ""


class TransferListView(ObjectListView):
    """Incoming and outgoing transfers in the user's scope."""

    model = Transfer
    filterset_class = TransferFilterSet
    title = "组织关系转接"
    breadcrumbs = CRUMBS
    select_related = ("member", "from_org", "to_org")
    export_object_type = "transfer"
    columns = [
        Col("党员", attr("member.name"), link=lambda t: reverse("transfer-detail", args=[t.pk])),
        Col("介绍信类型", attr("get_kind_display")),
        Col("介绍信编号", attr("letter_no")),
        Col("转出党组织", lambda t: _org_label(t.from_org)),
        Col("转入党组织", lambda t: _org_label(t.to_org) if t.to_org_id else f"{t.to_org_name}（系统外）"),
        Col("开具日期", attr("issued_on")),
        Col("有效期至", attr("expires_on")),
        Col("状态", lambda t: "已过有效期（待标记）" if t.is_open and t.is_expired else t.get_status_display(),
            export=attr("get_status_display")),
        Col("接收日期", attr("received_on")),
    ]

    def get_queryset(self, action="view"):
        return queries.transfers_for(self.request.user, action)


class MobileMemberListView(ObjectListView):
    """Mobile members with their last contact and the Art 24 prompts."""

    model = Member
    filterset_class = MobileMemberFilterSet
    title = "流动党员"
    breadcrumbs = CRUMBS
    export_object_type = "mobile_member"
    columns = [
        Col("姓名", attr("name"), link=lambda m: reverse("member-detail", args=[m.pk])),
        Col("所在党组织", attr("org.name")),
        Col("外出日期", attr("stay_left_on")),
        Col("最近联系", lambda m: m.last_contact or "无记录"),
        Col("提示", lambda m: queries.PROMPT_LABELS.get(queries.prompt_for(m.last_contact, timezone.localdate()), "")),
    ]

    def get_queryset(self, action="view"):
        return queries.mobile_members_for(self.request.user, action).order_by("last_contact", "id")


def _back(member_pk):
    return redirect("member-detail", pk=member_pk)


def _form_errors(form) -> str:
    return "；".join(f"{form.fields[k].label if k in form.fields else ''}：{'、'.join(v)}".lstrip("：")
                    for k, v in form.errors.items())


def _member_write(request, pk, form_class, service, done: str):
    """A member-page form: validate it, call the service for an in-scope member, say how it went, go back."""
    member = get_object_or_404(Member.objects.restrict(request.user, "change"), pk=pk)
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _back(pk)
    try:
        service(actor=request.user, member=member, **form.cleaned_data)
    except services.MemberError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return _back(pk)


@login_required
@require_POST
def member_transfer_issue(request, pk):
    return _member_write(request, pk, TransferIssueForm, services.do_issue_transfer, "已开具组织关系介绍信")


@login_required
@require_POST
def member_contact_add(request, pk):
    return _member_write(request, pk, ContactForm, services.do_record_contact, "已记录联系情况")


@login_required
@require_POST
def member_mobile(request, pk, action):
    if action == "start":
        return _member_write(request, pk, MobileStayForm, services.do_start_mobile_stay, "已登记外出")
    if action == "end":
        return _member_write(request, pk, MobileReturnForm, services.do_end_mobile_stay, "已登记返回")
    raise Http404


def transfer_permissions(user, transfer: Transfer) -> dict:
    """Which buttons the user gets on an open transfer."""
    if not transfer.is_open:
        return {"can_answer": False, "can_cancel": False}
    return {"can_answer": services.may_answer_transfer(user, transfer),
            "can_cancel": services.may_change_org(user, transfer.from_org)}


@login_required
def transfer_detail(request, pk):
    transfer = get_object_or_404(queries.transfers_for(request.user), pk=pk)
    member_visible = Member.all_objects.restrict(request.user, "view").filter(pk=transfer.member_id).exists()
    return render(request, "members/transfer_detail.html", {
        "title": f"{transfer.member.name} 组织关系转接", "transfer": transfer, "member_visible": member_visible,
        "today": timezone.localdate(), **transfer_permissions(request.user, transfer),
        "breadcrumbs": [*CRUMBS, {"label": "组织关系转接", "url": reverse("member-transfers")},
                        {"label": transfer.member.name}],
    })  # fmt: skip


@login_required
@require_POST
def transfer_act(request, pk, action):
    """Receive (接收), return (退回) or cancel (撤销) a transfer; refusals come back as a message."""
    if action not in ("receive", "return", "cancel"):
        raise Http404
    transfer = get_object_or_404(queries.transfers_for(request.user), pk=pk)
    try:
        if action == "receive":
            received_on = request.POST.get("received_on") or None
            services.do_receive_transfer(actor=request.user, transfer=transfer,
                                         received_on=_parse_date(received_on) if received_on else None)
            messages.success(request, "已接收，党员组织关系已转入")
        elif action == "return":
            services.do_return_transfer(actor=request.user, transfer=transfer, reason=request.POST.get("reason", ""))
            messages.success(request, "已退回")
        else:
            services.do_cancel_transfer(actor=request.user, transfer=transfer, reason=request.POST.get("reason", ""))
            messages.success(request, "已撤销")
    except services.MemberError as exc:
        messages.error(request, str(exc))
    return redirect("transfer-detail", pk=pk)


def _parse_date(value: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise services.MemberError(f"接收日期：“{value}”不是有效日期") from None


def member_detail_context(user, member: Member, can_change: bool) -> dict:
    """The 组织关系转接 and 流动党员 sections of the member detail page."""
    today = timezone.localdate()
    transfers = list(member.transfers.select_related("from_org", "to_org"))
    open_transfer = next((t for t in transfers if t.is_open), None)
    last = queries.with_last_contact(Member.objects.filter(pk=member.pk)).values_list("last_contact", flat=True).first()
    return {
        "transfers": transfers, "open_transfer": open_transfer,
        "open_transfer_perms": transfer_permissions(user, open_transfer) if open_transfer else {},
        "issue_form": TransferIssueForm(initial={"issued_on": today}) if can_change and not open_transfer else None,
        "open_stay": MobileStay.objects.filter(member=member, returned_on__isnull=True).first(),
        "stays": list(member.mobile_stays.all()[:10]), "contacts": list(member.contacts.select_related("by")[:10]),
        "contact_form": ContactForm(initial={"contacted_on": today}) if can_change else None,
        "stay_form": MobileStayForm(initial={"left_on": today}) if can_change else None,
        "return_form": MobileReturnForm(initial={"returned_on": today}) if can_change else None,
        "last_contact": last, "mobile_prompt": queries.PROMPT_LABELS.get(queries.prompt_for(last, today), "")
        if member.is_mobile else "", "mobile_citation": queries.MOBILE_CITATION,
    }  # fmt: skip
