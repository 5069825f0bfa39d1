"""Site-level pages that gather several apps (the home page)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from dangjian.members.models import Member
from dangjian.orgs.models import PartyOrg
from dangjian.places.models import Region
from dangjian.units.models import Department


@login_required
def home(request):
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
    return render(request, "home.html", {"title": "首页", "stats": stats, "breadcrumbs": []})
