import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from dangjian.core.dates import DateError, parse_date

from ... import queries
from ...errors import TicketError
from ...metrics import METRICS


class Command(BaseCommand):
    help = "工单统计：dangjian tickets metrics --scope 代码 --from 日期 --to 日期 [--format json]"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="command", required=True)
        m = sub.add_parser("metrics", help="工单指标（每个比率给出分子和分母）")
        m.add_argument("--scope", help="区划、党组织或部门代码（默认全部）")
        m.add_argument("--from", dest="date_from", help="派单日期起，如 2026-11-01")
        m.add_argument("--to", dest="date_to", help="派单日期止（含）")
        for name, label in (("department", "部门代码"), ("grid", "网格代码"), ("category", "事件分类代码"),
                            ("source", "来源")):
            m.add_argument(f"--{name}", help=label)
        m.add_argument("--group-by", choices=sorted(queries.GROUPS), help="再按部门、网格、分类或来源分组")
        m.add_argument("--format", choices=["text", "json"], default="text")
        m.add_argument("--as", dest="as_user", help="以该用户身份统计（适用其管辖范围）")

    def handle(self, *args, **opts):
        actor = None
        if opts["as_user"]:
            actor = get_user_model().objects.filter(username=opts["as_user"], is_active=True).first()
            if actor is None:
                raise CommandError(f"用户“{opts['as_user']}”不存在或已停用")
        try:
            date_from, date_to = parse_date(opts["date_from"]), parse_date(opts["date_to"])
        except DateError as exc:
            raise CommandError(str(exc)) from None
        try:
            qs = queries.scoped_assignments(actor, scope=opts["scope"], date_from=date_from, date_to=date_to,
                                            department=opts["department"], grid=opts["grid"],
                                            category=opts["category"], source=opts["source"])
            figures = queries.ticket_metrics(qs)
            groups = queries.ticket_metrics_by(qs, opts["group_by"]) if opts["group_by"] else None
        except TicketError as exc:
            raise CommandError(exc.message) from None
        body = {"scope": opts["scope"], "from": opts["date_from"], "to": opts["date_to"], **figures}
        if groups is not None:
            body["groups"] = groups
        if opts["format"] == "json":
            self.stdout.write(json.dumps(body, ensure_ascii=False, default=str))
            return
        for m in METRICS.values():
            value = figures[m.key]
            if m.is_rate:
                shown = "—（分母为 0）" if value is None else f"{value * 100:.1f}%"
                self.stdout.write(f"{m.label}：{shown}（{figures[m.numerator]} / {figures[m.denominator]}）")
            else:
                self.stdout.write(f"{m.label}：{'—' if value is None else value}{m.unit}")
