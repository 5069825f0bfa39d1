from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from dangjian.core.api import ScopedViewSet

from . import services
from .filters import MemberFilterSet
from .models import Member


class MemberSerializer(serializers.ModelSerializer):
    """Personal data leaves the API masked; the reveal action returns plain values and is audited."""

    org = serializers.SlugRelatedField(slug_field="code", read_only=True)
    id_number = serializers.CharField(source="id_number_masked", read_only=True)
    phone = serializers.CharField(source="phone_masked", read_only=True)

    class Meta:
        model = Member
        fields = ["id", "name", "gender", "ethnicity", "id_number", "birth_date", "education", "status",
                  "joined_on", "full_on", "job", "phone", "org", "is_mobile"]  # fmt: skip


class MemberViewSet(ScopedViewSet):
    queryset = Member.objects.all()
    serializer_class = MemberSerializer
    filterset_class = MemberFilterSet
    select = ("org",)

    @extend_schema(request=None, responses=inline_serializer("Revealed", {
        "id_number": serializers.CharField(), "phone": serializers.CharField()}))  # fmt: skip
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        """查看身份证号与电话明文（需要权限，记入审计）。"""
        member = get_object_or_404(Member.objects.restrict(request.user, "unmask"), pk=pk)
        return Response(services.reveal_member(actor=request.user, member=member))
