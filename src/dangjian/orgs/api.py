from rest_framework import serializers

from dangjian.core.api import ScopedViewSet
from dangjian.core.tree_api import with_parent_code

from .filters import OrgFilterSet
from .models import PartyOrg


class OrgSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="division_code", read_only=True)
    parent = serializers.CharField(source="parent_code", read_only=True, allow_null=True)

    class Meta:
        model = PartyOrg
        fields = ["id", "code", "name", "kind", "status", "region", "parent", "founded_on", "depth"]


class OrgViewSet(ScopedViewSet):
    queryset = PartyOrg.objects.all()
    serializer_class = OrgSerializer
    filterset_class = OrgFilterSet
    select = ("region",)

    def get_queryset(self):
        return with_parent_code(super().get_queryset())
