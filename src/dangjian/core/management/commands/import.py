import json
import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from dangjian.core.imports import IMPORTERS
from dangjian.core.services import do_import


class Command(BaseCommand):
    help = "从 xlsx / xls / ods 文件导入台账（默认全部成功才写入）"

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(IMPORTERS), help="导入类型")
        parser.add_argument("file", help="表格文件")
        parser.add_argument("--partial", action="store_true", help="只写入校验通过的行，报告被拒绝的行")
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument("--report", help="把错误报告写入该 xlsx 文件")
        parser.add_argument("--as", dest="as_user", help="以该用户身份导入（适用其管辖范围）")

    def handle(self, *args, **opts):
        actor = None
        if opts["as_user"]:
            actor = get_user_model().objects.filter(username=opts["as_user"], is_active=True).first()
            if actor is None:
                raise CommandError(f"用户“{opts['as_user']}”不存在或已停用")
        try:
            with open(opts["file"], "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise CommandError(f"无法打开文件：{exc}") from exc
        try:
            result = do_import(opts["kind"], data, actor=actor, partial=opts["partial"], filename=opts["file"])
        except PermissionError as exc:
            raise CommandError(str(exc)) from exc
        if opts["report"] and result.errors:
            with open(opts["report"], "wb") as handle:
                handle.write(result.error_report())
        if opts["format"] == "json":
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
        else:
            self.stdout.write(f"共{result.total}行，导入{result.imported}行，拒绝{result.rejected_rows}行。")
            for e in result.errors:
                where = f"第{e.row}行" if e.row else "文件"
                self.stdout.write(f"  {where} {e.column}“{e.value}”：{e.reason}")
            if result.errors and not opts["partial"]:
                self.stdout.write("有错误，未写入任何数据。" if not result.imported else "")
        if result.errors:
            sys.exit(1)
