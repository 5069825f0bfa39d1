"""Organisation figures for the reports (registered from OrgsConfig.ready): organisations by kind on the
organisation tree; on the region tree, the coverage of villages and communities by party organisations, and the
branches and party groups set up in grids (“网格设置党支部94个、党小组18个”)."""

from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse

from .models import PartyOrg

ACTIVE = Q(status=PartyOrg.Status.ACTIVE)
# the organisations that count as “having a party organisation” in a village or community (基层党组织)
BASE_KINDS = (PartyOrg.Kind.COMMITTEE, PartyOrg.Kind.GENERAL_BRANCH, PartyOrg.Kind.BRANCH, PartyOrg.Kind.JOINT_BRANCH)
VILLAGE_LEVELS = ("village", "community")


def kind_filters() -> dict[str, Q]:
    f = {"total": ~Q(kind=PartyOrg.Kind.GROUP)}
    for kind in PartyOrg.Kind:
        f[kind.value] = Q(kind=kind.value)
    return f


def compute_kinds(group) -> dict:
    """Active organisations by kind, for every organisation of one depth (an organisation counts in its own
    subtree): one grouped query."""
    qs = group.grouped(PartyOrg.objects.filter(ACTIVE), "path")
    return group.rows(qs.annotate(**{k: Count("id", filter=q) for k, q in kind_filters().items()}), prefix="orgs.")


def covered_paths(root: str = "") -> set[str]:
    """Every region path (under `root`) at or above a region where an active 基层党组织 is located: a village or
    community is covered when its path is in this set (the organisation sits in it or in one of its grids). One
    query over the organisations; the prefixes are taken in Python, which a province's ~150,000 organisations
    make in well under a second, where a correlated EXISTS per village took minutes."""
    from dangjian.places.models import Region

    orgs = PartyOrg.objects.filter(ACTIVE, kind__in=BASE_KINDS, region__isnull=False)
    if root:
        orgs = orgs.filter(region__path__startswith=root)
    steplen = Region.steplen
    covered: set[str] = set()
    for path in orgs.order_by().values_list("region__path", flat=True).distinct().iterator(chunk_size=20_000):
        for cut in range(len(path), 0, -steplen):
            prefix = path[:cut]
            if prefix in covered:
                break  # its ancestors are in already
            covered.add(prefix)
    return covered


def compute_coverage(group) -> dict:
    """For every region of one depth: villages and communities with and without a party organisation, and the
    branches and party groups located in grids. Two queries over the places and organisations, one grouped query
    over the organisations in grids."""
    from dangjian.places.models import Region

    covered = covered_paths(group.root)
    places = Region.objects.filter(level__in=VILLAGE_LEVELS)
    if group.root:
        places = places.filter(path__startswith=group.root)
    counts: dict[str, dict[str, int]] = {}
    for path, level in places.order_by().values_list("path", "level").iterator(chunk_size=20_000):
        node = path[:group.length]
        if len(node) < group.length and not group.shallower:
            continue
        row = counts.setdefault(node, {"node": node, "villages": 0, "villages_covered": 0, "communities": 0,
                                       "communities_covered": 0})
        plural = "villages" if level == "village" else "communities"
        row[plural] += 1
        if path in covered:
            row[f"{plural}_covered"] += 1
    out = group.rows(counts.values(), prefix="orgs.")
    in_grids = group.grouped(PartyOrg.objects.filter(ACTIVE, region__level="grid"), "region__path").annotate(
        grid_branches=Count("id", filter=Q(kind__in=PartyOrg.BRANCH_KINDS)),
        grid_groups=Count("id", filter=Q(kind=PartyOrg.Kind.GROUP)),
    )
    for path, values in group.rows(in_grids, prefix="orgs.").items():
        out.setdefault(path, {}).update(values)
    for values in out.values():
        values["orgs.places"] = values.get("orgs.villages", 0) + values.get("orgs.communities", 0)
        values["orgs.places_covered"] = values.get("orgs.villages_covered", 0) + values.get(
            "orgs.communities_covered", 0)
    return out


def _org_list(**params):
    def url(node, period):
        scope = {"org": node.code} if node.path and node.tree == "org" else (
            {"region": node.code} if node.path else {})
        return reverse("org-list") + "?" + urlencode(scope | {"status": "active"} | params)

    return url


def register() -> None:
    from dangjian.reports.registry import (
        Metric,
        Source,
        Tree,
        register_metric,
        register_source,
        register_tree,
    )

    register_tree(Tree("org", "党组织", "orgs.PartyOrg", "code"))
    register_tree(Tree("region", "行政区划", "places.Region", "division_code"))
    kinds = [Metric("orgs.total", "党组织总数", "个", "org", records=_org_list(kind="organisation"), group="党组织",
                    order=1000, help="不含党小组")]
    kinds += [Metric(f"orgs.{k.value}", k.label, "个", "org", records=_org_list(kind=k.value), group="党组织",
                     order=1001 + i) for i, k in enumerate(PartyOrg.Kind)]
    register_source(Source("orgs.kinds", "org", "stock", tuple(m.key for m in kinds), compute_kinds), kinds)
    place = [
        Metric("orgs.villages", "行政村", "个", "region", group="党组织覆盖", order=1100),
        Metric("orgs.villages_covered", "已建党组织的行政村", "个", "region", group="党组织覆盖", order=1101),
        Metric("orgs.communities", "社区", "个", "region", group="党组织覆盖", order=1102),
        Metric("orgs.communities_covered", "已建党组织的社区", "个", "region", group="党组织覆盖", order=1103),
        Metric("orgs.places", "村和社区", "个", "region", group="党组织覆盖", order=1104),
        Metric("orgs.places_covered", "已建党组织的村和社区", "个", "region", group="党组织覆盖", order=1105),
        Metric("orgs.grid_branches", "网格党支部", "个", "region", group="网格党组织", order=1120,
               records=_org_list(kind="branches", region_level="grid"), help="设在网格（含微网格）的党支部、联合党支部"),
        Metric("orgs.grid_groups", "网格党小组", "个", "region", group="网格党组织", order=1121,
               records=_org_list(kind="group", region_level="grid"), help="设在网格（含微网格）的党小组"),
    ]
    register_source(Source("orgs.coverage", "region", "stock", tuple(m.key for m in place), compute_coverage), place)
    for key, label, num, den, order in (
            ("village_coverage", "行政村党组织覆盖率", "villages_covered", "villages", 1110),
            ("community_coverage", "社区党组织覆盖率", "communities_covered", "communities", 1111),
            ("coverage", "村和社区党组织覆盖率", "places_covered", "places", 1112)):
        register_metric(Metric(f"orgs.{key}", label, "%", "region", numerator=f"orgs.{num}",
                               denominator=f"orgs.{den}", group="党组织覆盖", order=order))
