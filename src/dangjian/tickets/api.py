"""/api/v1/tickets/: report, read, the thirteen actions, categories and metrics. Thin: every write is a service."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from dangjian.core.dates import DateError, parse_date

from . import queries, services
from .errors import Invalid, TicketError
from .filters import TicketFilterSet
from .metrics import METRICS
from .models import Assignment, Ticket, TicketEvent


def remaining_hours(deadline, now=None):
    if deadline is None:
        return None
    return round((deadline - (now or timezone.now())).total_seconds() / 3600, 1)


class AssignmentSerializer(serializers.ModelSerializer):
    department = serializers.SlugRelatedField(slug_field="code", read_only=True)
    department_name = serializers.CharField(source="department.name", read_only=True)
    remaining_hours = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Assignment
        fields = ["id", "department", "department_name", "role", "status", "dispatched_at", "response_deadline",
                  "deadline", "accepted_at", "returned_at", "return_reason", "extension_days", "requested_days",
                  "resolved_at", "result", "reopen_count", "closed_at", "on_time", "responded_at",
                  "remaining_hours", "overdue"]  # fmt: skip

    def get_remaining_hours(self, a):
        return remaining_hours(a.deadline) if a.is_open else None

    def get_overdue(self, a):
        return a.is_overdue(timezone.now())


class EventSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = TicketEvent
        fields = ["kind", "kind_label", "at", "actor_name", "note", "data", "assignment"]


class TicketSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    category_name = serializers.CharField(source="category.__str__", read_only=True)
    grid = serializers.SlugRelatedField(slug_field="division_code", read_only=True)
    grid_name = serializers.CharField(source="grid.name", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    duplicate_of = serializers.SlugRelatedField(slug_field="number", read_only=True)
    remaining_hours = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = ["id", "number", "status", "status_label", "title", "description", "category", "category_name",
                  "source", "grid", "grid_name", "address", "lat", "lng", "urgent", "occurred_at", "created_at",
                  "registered_at", "deadline", "closed_at", "satisfaction", "duplicate_of", "remaining_hours",
                  "overdue"]  # fmt: skip

    def get_remaining_hours(self, t):
        return remaining_hours(t.deadline) if t.is_open else None

    def get_overdue(self, t):
        return t.is_overdue(timezone.now())


class ActionResultSerializer(serializers.Serializer):
    """What an action answers: enough to show the new state without another request."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    deadline = serializers.DateTimeField()
    overdue = serializers.SerializerMethodField()

    def get_overdue(self, t):
        return t.is_overdue(timezone.now())


class TicketDetailSerializer(TicketSerializer):
    assignments = AssignmentSerializer(many=True, read_only=True)
    events = EventSerializer(many=True, read_only=True)

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "assignments", "events"]


class ReportSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    category = serializers.CharField(required=False, allow_blank=True)
    grid = serializers.CharField(required=False, allow_blank=True)
    source = serializers.CharField(required=False, allow_blank=True)
    address = serializers.CharField(required=False, allow_blank=True)
    lat = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    lng = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    urgent = serializers.BooleanField(required=False, default=False)


def _flag(data, name, default=None):
    value = data.get(name, default)
    if isinstance(value, str):
        return {"true": True, "1": True, "false": False, "0": False}.get(value.strip().lower(), value)
    return value


def _assignment(data):
    value = data.get("assignment")
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Invalid(f"派单记录“{value}”无效", "assignment") from None


# action → how its payload becomes the service's keyword arguments
PAYLOADS = {
    "register": lambda d, f: {"category": d.get("category"), "urgent": _flag(d, "urgent"), "note": d.get("note", "")},
    "reject": lambda d, f: {"reason": d.get("reason")},
    "dispatch": lambda d, f: {"department": d.get("department"), "role": d.get("role", "lead"),
                              "note": d.get("note", "")},
    "accept": lambda d, f: {"assignment": _assignment(d), "note": d.get("note", "")},
    "return": lambda d, f: {"assignment": _assignment(d), "reason": d.get("reason")},
    "extend": lambda d, f: {"assignment": _assignment(d), "days": d.get("days"), "reason": d.get("reason")},
    "approve_extension": lambda d, f: {"assignment": _assignment(d), "approved": _flag(d, "approved", True) is True,
                                       "note": d.get("note", "")},
    "resolve": lambda d, f: {"assignment": _assignment(d), "result": d.get("result"), "photos": f.getlist("photos")},
    "verify": lambda d, f: {"passed": _flag(d, "passed"), "note": d.get("note", "")},
    "rate": lambda d, f: {"satisfaction": d.get("satisfaction"), "note": d.get("note", "")},
    "whistle": lambda d, f: {"departments": d.getlist("departments") if hasattr(d, "getlist") and not
                             isinstance(d.get("departments"), list) else d.get("departments"),
                             "reason": d.get("reason")},
    "respond": lambda d, f: {"assignment": _assignment(d), "note": d.get("note", "")},
    "merge": lambda d, f: {"into": d.get("into")},
}  # fmt: skip


def error_response(exc: TicketError) -> Response:
    body = {"detail": exc.message, "code": type(exc).__name__.lower()}
    if exc.field:
        body["field"] = exc.field
    return Response(body, status=exc.status)


def _date(params, name):
    try:
        return parse_date(params.get(name) or None)
    except DateError:
        raise Invalid(f"{name} 应为日期，例如 2026-11-01", name) from None


class TicketViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = TicketSerializer
    filterset_class = TicketFilterSet
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return queries.visible_tickets(self.request.user).select_related("category__parent", "grid", "duplicate_of")

    def get_serializer_class(self):
        if self.action == "retrieve":
            return TicketDetailSerializer
        return ReportSerializer if self.action == "create" else TicketSerializer

    def retrieve(self, request, *args, **kwargs):
        ticket = get_object_or_404(self.get_queryset().prefetch_related("assignments__department", "events"),
                                   pk=kwargs["pk"])
        return Response(TicketDetailSerializer(ticket).data)

    @extend_schema(request=ReportSerializer, responses=TicketSerializer)
    def create(self, request, *args, **kwargs):
        """上报事件（随手拍）：JSON，或 multipart 附照片（photos，最多 9 张，每张不超过 5 MB）。"""
        data = request.data
        try:
            ticket = services.do_report_ticket(
                actor=request.user, title=data.get("title"), description=data.get("description"),
                category=data.get("category"), grid=data.get("grid"), source=data.get("source") or "grid_worker",
                address=data.get("address", ""), lat=data.get("lat"), lng=data.get("lng"),
                urgent=_flag(data, "urgent", False) is True, photos=request.FILES.getlist("photos"),
            )  # fmt: skip
        except TicketError as exc:
            return error_response(exc)
        return Response(TicketSerializer(ticket).data, status=status.HTTP_201_CREATED)

    def _act(self, request, name, pk):
        """Run one action; answer with the ticket's id, number, status and deadline (GET the ticket for more)."""
        if not str(pk).isdigit():
            raise Http404
        visible = queries.visible_tickets(request.user).filter(pk=pk).values_list("pk", flat=True)
        ticket_id = next(iter(visible), None)
        if ticket_id is None:
            raise Http404  # out of scope
        try:
            services.ACTIONS[name](actor=request.user, ticket=ticket_id, **PAYLOADS[name](request.data, request.FILES))
        except TicketError as exc:
            return error_response(exc)
        ticket = Ticket.objects.only("id", "number", "status", "deadline").get(pk=ticket_id)
        return Response(ActionResultSerializer(ticket).data)

    @action(detail=False, methods=["get"])
    def categories(self, request):
        """事件分类（大类 / 小类），含默认办理部门类别与办理时限。"""
        return Response(queries.categories_tree())

    @extend_schema(parameters=[OpenApiParameter(n, str) for n in
                               ("scope", "from", "to", "department", "grid", "category", "source", "group_by")])
    @action(detail=False, methods=["get"])
    def metrics(self, request):
        """工单指标：每个比率都给出分子与分母；分母为 0 时为 null。"""
        p = request.query_params
        try:
            qs = queries.scoped_assignments(
                request.user, scope=p.get("scope"), date_from=_date(p, "from"), date_to=_date(p, "to"),
                department=p.get("department"), grid=p.get("grid"), category=p.get("category"),
                source=p.get("source"))  # fmt: skip
            body = {"scope": p.get("scope"), "from": p.get("from"), "to": p.get("to"),
                    **queries.ticket_metrics(qs)}
            group = p.get("group_by")
            if group:
                if group not in queries.GROUPS:
                    raise Invalid(f"group_by 只能是 {'、'.join(queries.GROUPS)}", "group_by")
                body["groups"] = queries.ticket_metrics_by(qs, group)
        except TicketError as exc:
            return error_response(exc)
        body["definitions"] = {m.key: {"label": m.label, "unit": m.unit, "numerator": m.numerator,
                                       "denominator": m.denominator} for m in METRICS.values()}
        return Response(body)


def _make_action(name: str):
    def handler(self, request, pk=None):
        return self._act(request, name, pk)

    handler.__name__ = handler.__qualname__ = f"action_{name}"
    handler.__doc__ = f"工单操作：{TicketEvent.Kind(name).label if name in TicketEvent.Kind.values else name}"
    return extend_schema(request=None, responses=ActionResultSerializer)(
        action(detail=True, methods=["post"], url_path=name, url_name=name.replace("_", "-"))(handler))


for _name in services.ACTIONS:
    setattr(TicketViewSet, f"action_{_name}", _make_action(_name))
