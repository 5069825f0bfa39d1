"""Scoped API viewsets shared by every app."""

from rest_framework import viewsets


class ScopedViewSet(viewsets.ReadOnlyModelViewSet):
    """A read-only viewset whose queryset always passes `restrict(user, 'view')`."""

    def get_queryset(self):
        return self.queryset.model.objects.restrict(self.request.user, "view").select_related(*self.select)

    select: tuple[str, ...] = ()
