from dangjian.core.scope import user_scope

from .models import Region


def tree_roots(user):
    scope = user_scope(user, "view")
    if scope.unrestricted:
        return Region.objects.get_root_nodes()
    return Region.objects.filter(path__in=scope.regions)


def children(user, parent: Region):
    return Region.objects.restrict(user, "view").filter(path__startswith=parent.path, depth=parent.depth + 1)
