"""The ticket figures: every rate names its numerator and denominator (GLOSSARY: ticket metrics).

`queries.ticket_metrics` computes them; reports and briefings read the definitions from here.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str
    numerator: str | None = None
    denominator: str | None = None
    help: str = ""

    @property
    def is_rate(self) -> bool:
        return self.denominator is not None


METRICS: dict[str, Metric] = {m.key: m for m in [
    Metric("dispatched", "流转工单", "件", help="期间内派单（流转）的次数，退回后再派单计两次"),
    Metric("accepted", "受理", "件", help="上述派单中已受理的"),
    Metric("returned", "退回", "件", help="上述派单中被退回的"),
    Metric("acceptance_rate", "受理率", "%", "accepted", "dispatched"),
    Metric("return_rate", "退回率", "%", "returned", "dispatched"),
    Metric("closed", "办结", "件", help="已受理且工单已结案的派单"),
    Metric("closure_rate", "办结率", "%", "closed", "dispatched"),
    Metric("on_time", "按期办结", "件", help="办结反馈时间不晚于（含延期后的）办结期限"),
    Metric("on_time_rate", "按期办结率", "%", "on_time", "closed"),
    Metric("extended", "延期", "件", help="获批延期的派单"),
    Metric("extension_rate", "延期率", "%", "extended", "dispatched"),
    Metric("overdue_open", "超期未办结", "件", help="当前仍未办结且已过办结期限"),
    Metric("rated", "有效回访", "件", help="已评价的主办派单"),
    Metric("dissatisfied", "不满意", "件"),
    Metric("satisfied", "满意及基本满意", "件", help="有效回访 − 不满意"),
    Metric("satisfaction_rate", "满意率", "%", "satisfied", "rated",
           help="(有效回访 − 不满意) / 有效回访"),
    Metric("resolved", "办结反馈", "次", help="办结反馈的次数（返工后再次办结另计一次）"),
    Metric("reopened", "返工", "次", help="核查不通过退回重办的次数"),
    Metric("rework_rate", "返工率", "%", "reopened", "resolved"),
    Metric("avg_hours_to_close", "平均结案用时", "小时", help="立案至结案的平均小时数"),
    Metric("whistled", "吹哨召集", "次"),
    Metric("responded", "部门报到", "次"),
    Metric("response_rate", "报到率", "%", "responded", "whistled"),
]}  # fmt: skip


# ---- the ticket figures in the reports (registered from TicketsConfig.ready) ---------------------------------
# Every count is the one `queries.metric_filters` / `queries.ticket_metrics` define, over the dispatches (派单记录)
# of the period, grouped on the region path of the ticket's grid. The average hours to close is kept as its two
# additive parts (the hours summed over lead dispatches with a closing time, and their number).
HOURS_SUM, HOURS_COUNT = "close_hours", "close_count"


def compute(group) -> dict:
    """Every ticket count for every region of one depth, for the dispatches of the period: one grouped query."""
    from django.db.models import Count, Q, Sum

    from .models import Assignment
    from .queries import _aggregates

    aggregates = _aggregates(group.now)
    del aggregates["avg_hours_to_close"]
    aggregates[HOURS_SUM] = Sum("hours_to_close", filter=Q(role="lead"), default=0)
    aggregates[HOURS_COUNT] = Count("hours_to_close", filter=Q(role="lead"))
    qs = Assignment.objects.filter(dispatched_at__gte=group.start, dispatched_at__lt=group.end)
    return group.rows(group.grouped(qs, "region_path").annotate(**aggregates), prefix="tickets.")


def changed_days(since):
    """Days of dispatch whose figures may have changed since `since`: dispatches of tickets acted on since then,
    and open dispatches whose deadline passed since then (they became overdue)."""
    from django.utils import timezone

    from .models import Assignment, TicketEvent

    acted = Assignment.objects.filter(ticket__in=TicketEvent.objects.filter(at__gte=since).values("ticket"))
    late = Assignment.objects.filter(status__in=("pending", "accepted"), deadline__gte=since,
                                     deadline__lt=timezone.now())
    return set(acted.dates("dispatched_at", "day")) | set(late.dates("dispatched_at", "day"))


def first_day():
    from django.db.models import Min
    from django.utils import timezone

    from .models import Assignment

    first = Assignment.objects.aggregate(t=Min("dispatched_at"))["t"]
    return timezone.localdate(first) if first else None


def _dispatches(metric_key: str):
    def url(node, period):
        from urllib.parse import urlencode

        from django.urls import reverse

        query = {"scope": node.code} if node.path else {}
        query |= {"from": period.start.isoformat(), "to": period.last_day.isoformat(), "metric": metric_key}
        return reverse("ticket-dispatches") + "?" + urlencode(query)

    return url


def register() -> None:
    from dangjian.reports.registry import Metric as ReportMetric
    from dangjian.reports.registry import Source, Tree, register_metric, register_source, register_tree

    register_tree(Tree("region", "行政区划", "places.Region", "division_code"))
    counts, order = [], 2000
    for m in METRICS.values():
        order += 1
        if m.is_rate or m.key == "avg_hours_to_close":
            continue
        counts.append(ReportMetric(f"tickets.{m.key}", m.label, m.unit, "region", records=_dispatches(m.key),
                                   group="吹哨报到", help=m.help, order=order))
    counts.append(ReportMetric(f"tickets.{HOURS_SUM}", "结案用时合计", "小时", "region", group="吹哨报到",
                               records=_dispatches("closed"), order=order + 1, help="主办派单立案至结案小时数之和"))
    counts.append(ReportMetric(f"tickets.{HOURS_COUNT}", "已结案主办派单", "件", "region", group="吹哨报到",
                               records=_dispatches("closed"), order=order + 2, help="有结案用时的主办派单"))
    register_source(Source("tickets.dispatches", "region", "flow", tuple(m.key for m in counts), compute,
                           changed=changed_days, first_day=first_day), counts)
    order = 2000
    for m in METRICS.values():
        order += 1
        if m.is_rate:
            register_metric(ReportMetric(f"tickets.{m.key}", m.label, m.unit, "region", numerator=f"tickets.{m.numerator}",
                                         denominator=f"tickets.{m.denominator}", group="吹哨报到", help=m.help,
                                         order=order))
    register_metric(ReportMetric("tickets.avg_hours_to_close", METRICS["avg_hours_to_close"].label, "小时", "region",
                                 numerator=f"tickets.{HOURS_SUM}", denominator=f"tickets.{HOURS_COUNT}", digits=1,
                                 group="吹哨报到", help=METRICS["avg_hours_to_close"].help, order=2040))
