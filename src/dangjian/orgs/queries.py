from dangjian.core.scope import user_scope

from .models import PartyOrg


def tree_roots(user):
    """The top nodes of the user's organisation scope (the whole forest for the system or a superuser)."""
    scope = user_scope(user, "view")
    if scope.unrestricted:
        return PartyOrg.objects.get_root_nodes()
    return PartyOrg.objects.filter(path__in=scope.orgs)


def children(user, parent: PartyOrg):
    return PartyOrg.objects.restrict(user, "view").filter(
        path__startswith=parent.path, depth=parent.depth + 1
    ).select_related("region")
