import json

from django.core.management.base import BaseCommand, CommandError

from dangjian.core.dates import DateError, parse_date

from ... import queries
from ...registry import Period, check_registry, metrics_on
from ...services import do_refresh


class Command(BaseCommand):
    help = ("统计快照：dangjian stats refresh [--period day|month] [--date 日期] [--full]；"
            "dangjian stats show --scope 代码 --period 2026-11；dangjian stats metrics")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="command", required=True)
        r = sub.add_parser("refresh", help="计算统计快照（默认增量：今天、本月及待重算的周期；可重复运行，结果不变）")
        r.add_argument("--period", choices=["day", "month"], action="append", help="只计算日或月快照（默认两者）")
        r.add_argument("--date", help="计算包含该日期的日、月（默认今天），如 2026-11-05")
        r.add_argument("--full", action="store_true", help="全量重建：有数据以来的每个月，以及上月初以来的每一天")
        r.add_argument("--format", choices=["text", "json"], default="text")
        s = sub.add_parser("show", help="显示一个节点一个周期的全部指标")
        s.add_argument("--scope", help="党组织或区划代码（默认全部）")
        s.add_argument("--period", help="周期：2026、2026-11 或 2026-11-05（默认本月）")
        s.add_argument("--live", action="store_true", help="直接从业务表计算（不读快照）")
        s.add_argument("--format", choices=["text", "json"], default="text")
        sub.add_parser("metrics", help="列出已登记的指标")

    def handle(self, *args, **opts):
        problems = check_registry()
        if problems:
            raise CommandError("指标登记有误：" + "；".join(problems))
        getattr(self, f"do_{opts['command']}")(opts)

    def do_refresh(self, opts):
        try:
            day = parse_date(opts["date"])
        except DateError as exc:
            raise CommandError(str(exc)) from None
        summary = do_refresh(kinds=opts["period"] or ("day", "month"), day=day, full=opts["full"])
        if opts["format"] == "json":
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
            return
        self.stdout.write(f"已计算 {summary['periods']} 个（数据源, 周期），共 {summary['values']} 个数值"
                          f"（新增 {summary['inserted']}，更新 {summary['updated']}，删除 {summary['deleted']}），"
                          f"用时 {summary['seconds']} 秒")

    def do_show(self, opts):
        from django.utils import timezone

        try:
            period = Period.parse(opts["period"]) if opts["period"] else Period.of("month", timezone.localdate())
            nodes = queries.scope_nodes(None, opts["scope"]) if opts["scope"] else {
                "org": queries.resolve_node(None, "org"), "region": queries.resolve_node(None, "region")}
        except (ValueError, queries.OutOfScope) as exc:
            raise CommandError(str(exc)) from None
        read = queries.live_values if opts["live"] else queries.metric_values
        values = {}
        for node in nodes.values():
            if node is not None:
                values.update(read(node, period))
        if opts["format"] == "json":
            body = {"period": period.code, "nodes": {t: (n.code if n else None) for t, n in nodes.items()},
                    "values": values}
            self.stdout.write(json.dumps(body, ensure_ascii=False))
            return
        for tree, node in nodes.items():
            if node is None:
                continue
            self.stdout.write(f"【{node.name}】{period.label}")
            for m in metrics_on(tree):
                self.stdout.write(f"  {m.label}（{m.key}）：{queries.format_value(m, values.get(m.key))}")

    def do_metrics(self, opts):
        for m in metrics_on():
            parts = f" = {m.numerator} / {m.denominator}" if m.is_rate else ""
            self.stdout.write(f"{m.key}\t{m.label}\t{m.unit}\t{m.tree}{parts}")
