import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dangjian.core.dates import DateError, parse_date

from ... import engine
from ...registry import RULES


class Command(BaseCommand):
    help = "制度体检：按已登记的规则检查党组织和党员，保存发现（新问题待整改，已消除的自动标为已整改）"

    def add_arguments(self, parser):
        parser.add_argument("--scope", help="党组织代码或区划代码（区划：位于其中的党组织；默认全部）")
        parser.add_argument("--as-of", help="检查日期，默认今天（YYYY-MM-DD）")
        parser.add_argument("--rule", action="append", choices=sorted(RULES), help="只检查这些规则")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, **opts):
        try:
            as_of = parse_date(opts["as_of"]) or timezone.localdate()
        except DateError as exc:
            raise CommandError(str(exc)) from None
        paths = [""]
        if opts["scope"]:
            from dangjian.accounts.models import _top_paths_in_region
            from dangjian.accounts.services import AccountError, resolve_node

            try:
                kind, node = resolve_node(opts["scope"])
            except AccountError as exc:
                raise CommandError(str(exc)) from None
            if kind == "org":
                paths = [node.path]
            elif kind == "region":  # the organisations located in the region, as a user's scope would take them
                paths = sorted(_top_paths_in_region("orgs.PartyOrg", node.path))
                if not paths:
                    raise CommandError(f"区划“{node.name}”内没有党组织")
            else:
                raise CommandError("体检范围请用党组织代码或区划代码")
        found = []
        for path in paths:
            part = engine.evaluate(path, as_of, opts["rule"])
            engine.run(path, as_of, opts["rule"], found=part)
            found += part
        findings = [{"rule": rule_id, "subject": v.subject_code, "severity": v.severity or RULES[rule_id].severity,
                     "message": v.message, "citation": str(RULES[rule_id].citation),
                     "due": v.due.isoformat() if v.due else None} for rule_id, v in found]
        if opts["format"] == "json":
            self.stdout.write(json.dumps({"findings": findings}, ensure_ascii=False))
            return
        for f in findings:
            self.stdout.write(f"[{f['severity']}] {f['rule']} {f['subject']}：{f['message']}（{f['citation']}）")
        self.stdout.write(f"共 {len(findings)} 个问题")
