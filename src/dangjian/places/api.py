import django_filters as filters
from rest_framework import serializers

from dangjian.core.api import ScopedViewSet

from .models import Region


class RegionSerializer(serializers.ModelSerializer):
    parent = serializers.SerializerMethodField()

    class Meta:
        model = Region
        fields = ["id", "division_code", "name", "level", "grid_kind", "parent", "depth", "population"]

    def get_parent(self, obj) -> str | None:
        return obj.division_code[:-3] if obj.depth > 1 else None


class RegionFilterSet(filters.FilterSet):
    level = filters.ChoiceFilter(choices=Region.Level.choices)
    grid_kind = filters.ChoiceFilter(choices=Region.GridKind.choices)
    under = filters.CharFilter(method="in_subtree", label="区划代码（含下级）")

    class Meta:
        model = Region
        fields = ["level", "grid_kind", "under"]

    def in_subtree(self, queryset, name, value):
        node = Region.objects.filter(division_code=value).first()
        return queryset.filter(path__startswith=node.path) if node else queryset.none()


class RegionViewSet(ScopedViewSet):
    queryset = Region.objects.all()
    serializer_class = RegionSerializer
    filterset_class = RegionFilterSet
