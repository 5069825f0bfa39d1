"""Site-level pages that gather several apps (the home page)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from dangjian.members.models import Member
from dangjian.orgs.models import PartyOrg
from dangjian.places.models import Region
from dangjian.units.models import Department


@login_required
def home(request):
    """工作台: the quick counts and, for a user with a region or organisation scope, the dashboard of that subtree
    (reports.dashboard_views); ?scope= and ?month= choose another node of the scope (404 outside it) and month."""
    user = request.user
    members = Member.objects.restrict(user, "view")
    orgs = PartyOrg.objects.restrict(user, "view")
    regions = Region.objects.restrict(user, "view")
    stats = [
        ("党员", members.filter(status=Member.Status.FULL).count(), "名正式党员", "/members/?status=full"),
        ("预备党员", members.filter(status=Member.Status.PROBATIONARY).count(), "名", "/members/?status=probationary"),
        ("党组织", orgs.count(), "个", "/orgs/list/"),
        ("党支部", orgs.filter(kind__in=PartyOrg.BRANCH_KINDS).count(), "个", "/orgs/list/?kind=branch"),
        ("网格", regions.filter(level=Region.Level.GRID).count(), "个", "/regions/"),
        ("职能部门", Department.objects.restrict(user, "view").count(), "个", "/units/departments/"),
    ]
    from dangjian.reports.dashboard_views import dashboard_context

    context = {"title": "首页", "stats": stats, "breadcrumbs": []} | dashboard_context(request)
    return render(request, "home.html", context)


@login_required
def notifications(request):
    """The user's in-app messages; POST marks them read."""
    from django.core.paginator import Paginator
    from django.shortcuts import redirect
    from django.utils import timezone

    from dangjian.core.models import Notification

    mine = Notification.objects.filter(user=request.user)
    if request.method == "POST":
        mine.filter(read_at__isnull=True).update(read_at=timezone.now())
        return redirect("notification-list")
    page = Paginator(mine, 30).get_page(request.GET.get("page"))
    return render(request, "notifications.html", {
        "title": "站内通知", "page_obj": page, "breadcrumbs": [{"label": "站内通知"}],
        "unread": mine.filter(read_at__isnull=True).count(),
    })  # fmt: skip
