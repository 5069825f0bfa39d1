"""Scoped API viewsets shared by every app."""

from rest_framework import viewsets


class ScopedViewSet(viewsets.ReadOnlyModelViewSet):
    """A read-only viewset whose queryset always passes `restrict(user, 'view')`: out of scope → 404."""

    select: tuple[str, ...] = ()

    def get_queryset(self):
        return self.queryset.all().restrict(self.request.user, "view").select_related(*self.select)
