from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from dangjian.accounts.services import AccountError, resolve_node
from dangjian.core.services import do_export
from dangjian.members import queries
from dangjian.members.models import Member


class Command(BaseCommand):
    help = "导出台账到 xlsx（无查看明文权限时身份证号、电话为脱敏形式；每次导出均记入审计）"

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["members"])
        parser.add_argument("out", help="输出的 xlsx 文件")
        parser.add_argument("--scope", help="区划、党组织或部门代码；缺省为全县")
        parser.add_argument("--as", dest="as_user", help="以该用户身份导出（适用其管辖范围与脱敏规则）")
        parser.add_argument("--masked", action="store_true", help="即使有权限也导出脱敏形式")

    def handle(self, *args, **opts):
        actor = None
        if opts["as_user"]:
            actor = get_user_model().objects.filter(username=opts["as_user"], is_active=True).first()
            if actor is None:
                raise CommandError(f"用户“{opts['as_user']}”不存在或已停用")
        qs = Member.objects.restrict(actor, "export") if actor else Member.objects.all()
        title = "党员花名册"
        if opts["scope"]:
            try:
                kind, node = resolve_node(opts["scope"])
            except AccountError as exc:
                raise CommandError(str(exc)) from exc
            if kind != "org" and kind != "region":
                raise CommandError("导出党员时 --scope 应为区划代码或党组织代码")
            if kind == "org":
                qs = qs.filter(org_path__startswith=node.path)
            else:
                qs = qs.filter(org__region__path__startswith=node.path)
            title = f"{node.name}党员花名册"
        unmasked = not opts["masked"] and queries.may_unmask_all(actor, qs)
        count = do_export(opts["out"], actor=actor, object_type="member", headers=queries.EXPORT_HEADERS,
                          rows=queries.export_rows(qs.order_by("org_path", "id"), unmasked), title=title,
                          unmasked=unmasked)
        self.stdout.write(f"已导出{count}名党员到 {opts['out']}（{'明文' if unmasked else '脱敏'}）")
