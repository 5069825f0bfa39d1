from auditlog.models import LogEntry
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from dangjian.core.dictionaries import EDUCATIONS, ETHNICITIES
from dangjian.core.history import readable_history
from dangjian.core.tables import Col, attr
from dangjian.core.views import ObjectListView

from . import queries, services
from .filters import MemberFilterSet
from .forms import MemberForm
from .models import Member

CRUMBS = [{"label": "党员管理"}]


class MemberListView(ObjectListView):
    model = Member
    filterset_class = MemberFilterSet
    title = "党员名册"
    breadcrumbs = CRUMBS
    select_related = ("org",)
    export_object_type = "member"
    columns = [
        Col("姓名", attr("name"), link=lambda m: reverse("member-detail", args=[m.pk])),
        Col("性别", attr("get_gender_display")),
        Col("民族", lambda m: ETHNICITIES.get(m.ethnicity, "")),
        Col("公民身份号码", attr("id_number_masked")),
        Col("年龄", attr("age")),
        Col("学历", lambda m: EDUCATIONS.get(m.education, "")),
        Col("人员类别", attr("get_status_display")),
        Col("入党日期", attr("joined_on")),
        Col("联系电话", attr("phone_masked")),
        Col("所在党组织", attr("org.name")),
    ]

    def get_actions(self):
        if self.request.user.can("import"):
            return [{"label": "导入花名册", "url": reverse("import-page", args=["members"]), "icon": "bi-upload"}]
        return []

    def export_table(self, qs):
        unmasked = queries.may_unmask_all(self.request.user, qs)
        return queries.EXPORT_HEADERS, queries.export_rows(qs, unmasked), unmasked


@login_required
def member_detail(request, pk):
    member = get_object_or_404(queries.members_for(request.user), pk=pk)
    entries = LogEntry.objects.get_for_object(member).select_related("actor").order_by("-timestamp")[:50]
    history = readable_history(entries, Member)
    can_unmask = Member.objects.restrict(request.user, "unmask").filter(pk=pk).exists()
    can_change = Member.objects.restrict(request.user, "change").filter(pk=pk).exists()
    from .transfer_views import member_detail_context

    return render(request, "members/detail.html", {
        **member_detail_context(request.user, member, can_change),
        "title": member.name, "member": member, "history": history, "can_unmask": can_unmask,
        "can_change": can_change,
        "ethnicity": ETHNICITIES.get(member.ethnicity, ""), "education": EDUCATIONS.get(member.education, ""),
        "breadcrumbs": [*CRUMBS, {"label": "党员名册", "url": reverse("member-list")}, {"label": member.name}],
    })  # fmt: skip


@login_required
@require_POST
def member_reveal(request, pk):
    """Unmask the ID number and phone (htmx); out-of-scope or unpermitted → 404, always audited."""
    member = get_object_or_404(Member.objects.restrict(request.user, "unmask"), pk=pk)
    plain = services.reveal_member(actor=request.user, member=member)
    return render(request, "members/_revealed.html", {"member": member, "plain": plain})


@login_required
def member_edit(request, pk):
    member = get_object_or_404(Member.objects.restrict(request.user, "change").select_related("org"), pk=pk)
    form = MemberForm(request.POST or None, user=request.user, initial=MemberForm.initial_for(member))
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if k != "phone"}
        if form.cleaned_data["phone"]:
            changes["phone"] = form.cleaned_data["phone"]
        try:
            services.do_update_member(actor=request.user, member=member, **changes)
        except (services.MemberError, ValueError) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "已保存")
            return redirect("member-detail", pk=pk)
    return render(request, "members/edit.html", {
        "title": f"编辑 {member.name}", "member": member, "form": form,
        "breadcrumbs": [*CRUMBS, {"label": "党员名册", "url": reverse("member-list")},
                        {"label": member.name, "url": reverse("member-detail", args=[pk])}, {"label": "编辑"}],
    })  # fmt: skip
