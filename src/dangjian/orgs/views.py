import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from dangjian.core.tables import Col, attr
from dangjian.core.views import ObjectListView
from dangjian.members.models import Member
from dangjian.members.queries import member_counts

from . import queries, services
from .filters import OrgFilterSet
from .models import TERM_CITATION, CommitteeSeat, PartyOrg, term_years_for

CRUMBS = [{"label": "组织管理"}]


@login_required
def org_tree(request):
    roots = list(queries.tree_roots(request.user).select_related("region"))
    return render(request, "orgs/tree.html", {
        "title": "组织架构", "nodes": roots, "counts": member_counts(roots),
        "breadcrumbs": [*CRUMBS, {"label": "组织架构"}],
    })  # fmt: skip


@login_required
def org_children(request, pk):
    parent = get_object_or_404(PartyOrg.objects.restrict(request.user, "view"), pk=pk)
    nodes = list(queries.children(request.user, parent))
    return render(request, "orgs/_nodes.html", {"nodes": nodes, "counts": member_counts(nodes)})


class OrgListView(ObjectListView):
    model = PartyOrg
    filterset_class = OrgFilterSet
    title = "党组织列表"
    breadcrumbs = CRUMBS
    select_related = ("region", "secretary")
    export_object_type = "party_org"
    columns = [
        Col("组织代码", attr("code")),
        Col("组织名称", attr("name"), link=lambda o: reverse("member-list") + f"?org={o.code}"),
        Col("组织类别", attr("get_kind_display")),
        Col("所在区划", attr("region.name")),
        Col("成立日期", attr("founded_on")),
        Col("书记", attr("secretary.name")),
        Col("状态", attr("get_status_display")),
        Col("委员会", lambda o: "委员会与任期", link=lambda o: reverse("org-committee", args=[o.pk])),
    ]

    def export_table(self, qs):
        columns = self.columns[:-1]  # the link column is for the page only
        return [c.label for c in columns], ([c.export_value(o) for c in columns] for o in qs.iterator()), False


# ---- committees and terms ------------------------------------------------------------------------------------
ELECTION_ROWS = 7  # a 支部委员会 has 3–5 members, generally no more than 7


def _date(value):
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return None


def _committee_post(request, org, committee, members):
    """One of the forms of the committee page; returns the refusal, or None when the service accepted it."""
    data, actor = request.POST, request.user
    by_pk = {str(m.pk): m for m in members}
    action = data.get("action")
    try:
        if action == "elect":
            seats = [(by_pk[data.get(f"member_{i}")], data.get(f"role_{i}"))
                     for i in range(ELECTION_ROWS) if data.get(f"member_{i}") in by_pk]
            services.do_elect_committee(actor=actor, org=org, elected_on=_date(data.get("elected_on")),
                                        approved_on=_date(data.get("approved_on")), seats=seats)
            messages.success(request, "换届选举结果已登记")
        elif action in ("postpone", "vacate", "fill") and committee is None:
            raise services.CommitteeError("尚未登记委员会", "committee")
        elif action == "postpone":
            services.do_postpone_term(actor=actor, committee=committee, postponed_to=_date(data.get("postponed_to")),
                                      approved_on=_date(data.get("approved_on")), document=data.get("document", ""))
            messages.success(request, "延期换届已登记")
        elif action == "vacate":
            seat = committee.open_seats.filter(pk=data.get("seat") if (data.get("seat") or "").isdigit() else None
                                               ).first()
            if seat is None:
                raise services.CommitteeError("请选择离任的委员", "seat")
            services.do_vacate_seat(actor=actor, seat=seat, left_on=_date(data.get("left_on")),
                                    reason=data.get("reason", ""))
            messages.success(request, "离任已登记，该职位列为空缺")
        elif action == "fill":
            member = by_pk.get(data.get("member"))
            if member is None:
                raise services.CommitteeError("请选择补选的党员", "member")
            services.do_fill_seat(actor=actor, committee=committee, member=member, role=data.get("role"),
                                  elected_on=_date(data.get("elected_on")))
            messages.success(request, "补选结果已登记")
        else:
            raise Http404
    except services.CommitteeError as exc:
        return exc
    return None


@login_required
def org_committee(request, pk):
    """委员会与任期: the current committee, its seats and vacancies, the term end, the history of terms, and for
    users who may change the organisation the forms for an election, a postponement, a vacancy and a by-election."""
    org = get_object_or_404(PartyOrg.objects.restrict(request.user, "view").select_related("region", "secretary"),
                            pk=pk)
    may_change = PartyOrg.objects.restrict(request.user, "change").filter(pk=org.pk).exists()
    committee = org.committees.filter(ended_on__isnull=True).first()
    members = list(Member.objects.restrict(request.user, "view").filter(
        org_path__startswith=org.path, status=Member.Status.FULL).order_by("name")[:1000]) if may_change else []
    error = None
    if request.method == "POST":
        if not may_change:
            raise Http404
        error = _committee_post(request, org, committee, members)
        if error is None:
            return redirect("org-committee", org.pk)
    today = timezone.localdate()
    rank = {role: n for n, role in enumerate(CommitteeSeat.Role.values)}  # 书记, 副书记, 委员
    seats = sorted(committee.seats.select_related("member", "filled_by__member"),
                   key=lambda s: (s.left_on is not None, s.left_on or today, rank[s.role], s.pk)) if committee else []
    days_left = (committee.due_on - today).days if committee else None
    history = list(org.committees.filter(ended_on__isnull=False).prefetch_related("seats__member"))
    return render(request, "orgs/committee.html", {
        "title": f"{org.name} · 委员会与任期", "org": org, "committee": committee, "may_change": may_change,
        "open_seats": [s for s in seats if s.left_on is None], "vacancies": [s for s in seats if s.left_on and
                                                                            not hasattr(s, "filled_by")],
        "former": [s for s in seats if s.left_on], "history": history, "members": members, "error": error,
        "data": request.POST, "today": today, "days_left": days_left, "overdue_days": -days_left if days_left and days_left < 0 else 0,
        "term_years": term_years_for(org), "citation": TERM_CITATION, "roles": CommitteeSeat.Role.choices,
        "rows": range(ELECTION_ROWS),
        "breadcrumbs": [*CRUMBS, {"label": "党组织列表", "url": reverse("org-list")}, {"label": org.name},
                        {"label": "委员会与任期"}],
    }, status=400 if error else 200)  # fmt: skip
