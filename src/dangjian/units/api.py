from rest_framework import serializers

from dangjian.core.api import ScopedViewSet
from dangjian.core.tree_api import with_parent_code

from .filters import DepartmentFilterSet, UnitFilterSet
from .models import Department, Unit


class DepartmentSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="division_code", read_only=True)
    parent = serializers.CharField(source="parent_code", read_only=True, allow_null=True)

    class Meta:
        model = Department
        fields = ["id", "code", "name", "kind", "region", "parent"]


class DepartmentViewSet(ScopedViewSet):
    queryset = Department.objects.all()
    serializer_class = DepartmentSerializer
    filterset_class = DepartmentFilterSet
    select = ("region",)

    def get_queryset(self):
        return with_parent_code(super().get_queryset())


class UnitSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="division_code", read_only=True)

    class Meta:
        model = Unit
        fields = ["id", "code", "name", "kind", "region", "credit_code"]


class UnitViewSet(ScopedViewSet):
    queryset = Unit.objects.all()
    serializer_class = UnitSerializer
    filterset_class = UnitFilterSet
    select = ("region",)
