from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from dangjian.core.tables import Col, attr
from dangjian.core.views import ObjectListView
from dangjian.members.queries import member_counts

from . import queries
from .filters import OrgFilterSet
from .models import PartyOrg

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
    ]
