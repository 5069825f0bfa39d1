import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from dangjian.core.periodic import JOBS


class Command(BaseCommand):
    help = "运行定时任务（到期提醒、超时上报等），可重复运行，结果不变；供 cron 或 systemd 定时器调用"

    def add_arguments(self, parser):
        parser.add_argument("--only", choices=sorted(JOBS), action="append", help="只运行指定任务")
        parser.add_argument("--now", help="以该时间为“现在”（ISO 格式，用于补跑和测试）")

    def handle(self, *args, **opts):
        now = timezone.now()
        if opts["now"]:
            now = parse_datetime(opts["now"])
            if now is None:
                raise CommandError(f"--now “{opts['now']}”不是有效的时间，例如 2026-11-22T09:00:00+08:00")
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        summary = {name: JOBS[name](now) for name in (opts["only"] or sorted(JOBS))}
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
