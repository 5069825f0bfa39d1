from django.core.management.base import BaseCommand, CommandError

from ...dues import CATEGORIES, CITATION, DuesError, monthly_dues, rate_for, to_amount


class Command(BaseCommand):
    help = "党费计算：dangjian dues calc --category 类别 --base 基数（中组发〔2008〕3号）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="command", required=True)
        calc = sub.add_parser("calc", help="按类别和计算基数算出每月应缴党费")
        calc.add_argument("--category", required=True, choices=sorted(CATEGORIES),
                          help="；".join(f"{k} {v}" for k, v in CATEGORIES.items()))
        calc.add_argument("--base", help="每月税后固定工资或离退休费（农民党员为支部确定的缴纳额）")
        calc.add_argument("--explain", action="store_true", help="同时打印费率和依据")

    def handle(self, *args, **opts):
        try:
            amount = monthly_dues(opts["category"], opts["base"])
        except DuesError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{amount:.2f}")
        if opts["explain"]:
            category = opts["category"]
            if category in ("in_service", "retired"):
                rate = rate_for(category, to_amount(opts["base"]))
                self.stdout.write(f"{CATEGORIES[category]}，基数 {opts['base']} 元，全额按 {rate * 100}% 计")
            else:
                self.stdout.write(f"{CATEGORIES[category]}，每月定额")
            self.stdout.write(f"依据：{CITATION}")
