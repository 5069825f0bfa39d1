from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from . import queries
from .models import Region


@login_required
def region_tree(request):
    return render(request, "places/tree.html", {
        "title": "区划网格", "nodes": queries.tree_roots(request.user),
        "breadcrumbs": [{"label": "区划网格"}, {"label": "区划树"}],
    })  # fmt: skip


@login_required
def region_children(request, pk):
    parent = get_object_or_404(Region.objects.restrict(request.user, "view"), pk=pk)
    return render(request, "places/_nodes.html", {"nodes": queries.children(request.user, parent)})
