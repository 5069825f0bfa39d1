import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dangjian.core.dates import DateError, parse_date

from ... import queries, templating
from ...briefing_models import BriefingTemplate
from ...briefing_services import do_export_briefing
from ...registry import Period

MONTH = re.compile(r"^\d{4}-\d{2}$")


class Command(BaseCommand):
    help = ("生成工作通报（.docx，GB/T 9704 公文格式）：dangjian briefing --scope 代码 --month 2026-11 输出.docx "
            "[--template 模板编号] [--issuer 发文机关署名] [--date 成文日期]")

    def add_arguments(self, parser):
        parser.add_argument("out", help="输出的 .docx 文件")
        parser.add_argument("--scope", required=True, help="区划代码或党组织代码，如 369901")
        parser.add_argument("--month", required=True, help="统计月份，如 2026-11")
        parser.add_argument("--template", type=int, help="用“通报模板”页上传的模板（编号）生成，不给则生成标准工作通报")
        parser.add_argument("--issuer", help="发文机关署名（默认按党组织名称，如“中共示范县委组织部”）")
        parser.add_argument("--date", help="成文日期（默认今天），如 2026-11-30")

    def handle(self, *args, **opts):
        text = (opts["month"] or "").strip()
        if not MONTH.match(text):
            raise CommandError(f"统计月份“{text}”无效，应为 YYYY-MM，如 2026-11")
        try:
            period = Period.parse(text)
        except ValueError:
            raise CommandError(f"统计月份“{text}”无效，应为 YYYY-MM，如 2026-11") from None
        if period.start > timezone.localdate():
            raise CommandError(f"统计月份“{text}”还没有到")
        try:
            date = parse_date(opts["date"]) if opts["date"] else None
        except DateError as exc:
            raise CommandError(f"成文日期：{exc}") from None
        try:
            nodes = queries.scope_nodes(None, opts["scope"].strip())
        except queries.OutOfScope:
            raise CommandError(f"找不到代码为“{opts['scope']}”的区划或党组织") from None
        template = None
        if opts["template"] is not None:
            template = BriefingTemplate.objects.filter(pk=opts["template"]).first()
            if template is None:
                raise CommandError(f"找不到编号为 {opts['template']} 的通报模板")
        out = Path(opts["out"])
        if out.suffix.lower() != ".docx":
            raise CommandError(f"输出文件“{out}”应以 .docx 结尾")
        if not out.parent.exists():
            raise CommandError(f"输出目录“{out.parent}”不存在")
        try:
            data, _name = do_export_briefing(actor=None, nodes=nodes, period=period, template=template,
                                             issuer=opts["issuer"], date=date)
        except templating.TemplateProblem as exc:
            raise CommandError(f"模板“{template.name}”无法生成：{exc}") from None
        out.write_bytes(data)
        main = nodes.get("region") or nodes.get("org")
        self.stdout.write(f"已生成 {main.name}{period.label}的{'通报' if template is None else template.name}：{out}"
                          f"（{len(data) // 1024 + 1} KB）")
