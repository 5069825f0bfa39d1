"""`dangjian demo [--seed N] [--reset | --if-empty] [--scale county|province]`: build the demo county 示范县 (see
dangjian.demo.generator), or the demo province 示范省 of about 100 counties (see dangjian.demo.province)."""

import time
import unicodedata

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError

from dangjian.accounts.services import AccountError
from dangjian.demo.data import DEMO_PASSWORD
from dangjian.demo.generator import build_demo
from dangjian.demo.ledger import DemoError, demo_accounts, ledger_is_empty, reset_ledger
from dangjian.demo.province import (
    DEFAULT_COUNTIES,
    DEFAULT_COUNTY_MEMBERS,
    DEFAULT_COUNTY_TICKETS,
    build_province,
)
from dangjian.members.models import Member
from dangjian.tickets.models import Ticket

RESET_MAX_MEMBERS = 200_000  # beyond this, deleting row by row through the ORM takes hours: use a new database


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 0)


class Command(BaseCommand):
    help = (
        "生成演示用的示范县：15个乡镇（街道）、141个村和6个社区、网格和微网格、约700个党组织、约12000名党员、"
        "56个县直部门、单位和住户、网格员和近三个月的事件工单，以及每种角色一个演示账号。同一随机种子生成的数据相同。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed", type=int, default=1, help="随机种子（默认 1）；同一种子生成相同的姓名和身份证号"
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="先删除现有台账数据（事件工单、网格员及走访记录、党员、党组织、区划、部门、单位、楼栋、住户、"
            "非超级管理员用户及其授权、变更日志），"
            "再生成示范县。删除不可恢复。",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="数据库中已有数据时不生成，也不报错（make run 首次启动时使用）",
        )
        parser.add_argument(
            "--scale",
            choices=["county", "province"],
            default="county",
            help="county：示范县（默认）；province：示范省，约 100 个县、300 万名党员、15 万个党组织，"
            "一年的组织生活、党费和学习记录，近三年 1000 万件事件工单（仅限 PostgreSQL，约需一小时以内）",
        )
        parser.add_argument(
            "--counties", type=int, default=DEFAULT_COUNTIES, help=f"示范省的县数（默认 {DEFAULT_COUNTIES}，最多 100）"
        )
        parser.add_argument(
            "--county-members",
            type=int,
            default=DEFAULT_COUNTY_MEMBERS,
            help=f"示范省每县的党员数（默认 {DEFAULT_COUNTY_MEMBERS}）；组织和区划的数量随之缩放",
        )
        parser.add_argument(
            "--county-tickets",
            type=int,
            default=DEFAULT_COUNTY_TICKETS,
            help=f"示范省每县近三年的事件工单数（默认 {DEFAULT_COUNTY_TICKETS:,}，0 表示不生成工单和职能部门）",
        )
        parser.add_argument("--workers", type=int, default=None, help="示范省并行生成的进程数（默认为 CPU 数）")

    def handle(self, *args, seed: int, reset: bool, if_empty: bool, scale: str = "county", **options):
        if reset and if_empty:
            raise CommandError("--reset 与 --if-empty 不能同时使用")
        if if_empty and not ledger_is_empty():
            self.stdout.write("数据库中已有数据，未生成示范县。" if scale == "county" else "数据库中已有数据，未生成示范省。")
            self.print_accounts()
            return
        if scale == "province":
            self.handle_province(seed, reset, options)
            return
        started = time.monotonic()
        try:
            with transaction.atomic():
                if reset:
                    reset_ledger()
                counts = build_demo(seed=seed)
        except DemoError as exc:
            raise CommandError(
                f"{exc}如确需清空现有数据后重新生成，请加 --reset（将删除全部台账数据，不可恢复）。"
            ) from exc
        except (ProtectedError, RestrictedError) as exc:
            objects = getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", ())
            blocking = sorted({str(obj._meta.verbose_name) for obj in objects})
            raise CommandError(
                f"无法清空现有数据：仍有{'、'.join(blocking)}引用这些台账记录，请先删除它们。"
            ) from exc
        except AccountError as exc:
            raise CommandError(f"无法创建演示账号：{exc}") from exc
        self.print_summary(counts, seed, time.monotonic() - started)

    def handle_province(self, seed: int, reset: bool, options: dict) -> None:
        started = time.monotonic()
        if reset and Member.all_objects.count() > RESET_MAX_MEMBERS:
            raise CommandError(
                f"数据库中已有 {Member.all_objects.count():,} 名党员，--reset 逐条删除需要数小时；"
                "请新建一个空数据库（createdb 后执行 dangjian migrate），再生成示范省。"
            )
        try:
            if reset:
                with transaction.atomic():
                    reset_ledger()
            c = build_province(counties=options["counties"], county_members=options["county_members"], seed=seed,
                               county_tickets=options["county_tickets"], workers=options["workers"],
                               log=self.stdout.write)
        except DemoError as exc:
            raise CommandError(
                f"{exc}如确需清空现有数据后重新生成，请加 --reset（将删除全部台账数据，不可恢复）。"
            ) from exc
        seconds = time.monotonic() - started
        out = self.stdout
        out.write(self.style.SUCCESS(f"示范省已生成（随机种子 {seed}，用时 {seconds:.0f} 秒，截至 {c['today']}）："))
        lines = [
            ("县", f"{c['counties']} 个"),
            ("区划", f"{c.get('regions', 0):,} 个（县、乡镇街道、村社区、网格）"),
            ("党组织", f"{c.get('orgs', 0):,} 个（其中党支部 {c.get('branches', 0):,} 个，党小组 {c.get('party_groups', 0):,} 个）"),
            ("党员", f"{c.get('members', 0):,} 名（其中预备党员 {c.get('probationary', 0):,} 名，"
                     f"流动党员 {c.get('mobile_members', 0):,} 名）"),
            ("委员会", f"{c.get('committees', 0):,} 届，委员 {c.get('committee_seats', 0):,} 人次"),
            ("组织生活", f"{c.get('meetings', 0):,} 次会议，出席记录 {c.get('attendance', 0):,} 条"),
            ("党费", f"{c.get('dues_profiles', 0):,} 人设定标准，缴纳记录 {c.get('dues_payments', 0):,} 条"),
            ("学习记录", f"{c.get('study_records', 0):,} 条"),
            ("组织关系转接", f"{c.get('transfers', 0):,} 件；流动党员联系记录 {c.get('contact_logs', 0):,} 条"),
            ("职能部门", f"{c.get('departments', 0):,} 个（县直部门、公用事业单位、乡镇站所）"),
            ("事件工单", f"{c.get('tickets', 0):,} 件（近三年），派单记录 {c.get('assignments', 0):,} 条，"
                         f"办理日志 {c.get('events', 0):,} 条"),
        ]
        for label, value in lines:
            out.write(f"  {_pad(label, 14)}{value}")

    def print_summary(self, c: dict, seed: int, seconds: float) -> None:
        out = self.stdout
        out.write(self.style.SUCCESS(f"示范县已生成（随机种子 {seed}，用时 {seconds:.1f} 秒）："))
        lines = [
            ("乡镇（街道）", f"{c['townships']} 个（其中街道 {c['streets']} 个）"),
            ("村 / 社区", f"{c['villages']} 个村，{c['communities']} 个社区"),
            (
                "网格",
                f"社区网格 {c['community_grids']} 个，村网格 {c['village_grids']} 个，"
                f"专属网格 {c['dedicated_grids']} 个，微网格 {c['micro_grids']} 个",
            ),
            (
                "党组织",
                f"{c['orgs']} 个（其中网格党支部 {c['grid_branches']} 个，党小组 {c['party_groups']} 个）",
            ),
            (
                "党员",
                f"{c['members']} 名（其中预备党员 {c['probationary']} 名，流动党员 {c['mobile_members']} 名）",
            ),
            (
                "职能部门",
                f"县直部门 {c['county_departments']} 个，乡镇站所 {c['stations']} 个，公用事业单位 {c['utilities']} 个",
            ),
            ("发展党员", f"{c.get('recruitment_cases', 0)} 人（进行中 {c.get('recruitment_open', 0)} 人）"),
            (
                "组织生活",
                f"支委会 {c.get('committees', 0)} 届，会议 {c.get('meetings', 0)} 次，党费缴纳 "
                f"{c.get('dues_payments', 0)} 笔，学习记录 {c.get('study_records', 0)} 条，"
                f"谈心谈话 {c.get('talks', 0)} 次",
            ),
            ("制度体检", f"待整改问题 {c.get('findings_open', 0)} 个"),
            ("单位", f"{c['units']} 个"),
            ("楼栋 / 住户", f"{c['buildings']} 栋，{c['households']} 户"),
            (
                "网格员",
                f"{c['grid_workers']} 名（其中微网格员 {c['micro_grid_workers']} 名），近三个月走访 {c['visits']} 户次",
            ),
            (
                "事件工单",
                f"{c['tickets']} 件（"
                + "，".join(f"{Ticket.Status(s).label} {n}" for s, n in c["ticket_statuses"].items())
                + f"），派单 {c['dispatches']} 次，超期未办结 {c['overdue_open']} 件",
            ),
        ]
        for label, value in lines:
            out.write(f"  {_pad(label, 14)}{value}")
        out.write("")
        self.print_accounts()

    def print_accounts(self) -> None:
        out = self.stdout
        rows = [(a["username"], a["role_label"], a["scope"], a["password"]) for a in demo_accounts()]
        if not rows:
            return
        out.write(f"演示账号（密码均为 {DEMO_PASSWORD}，仅供演示，正式使用前请删除或修改）：")
        header = ("用户名", "角色", "管辖范围", "密码")
        widths = [max(_width(row[i]) for row in [header, *rows]) + 2 for i in range(4)]
        for row in [header, *rows]:
            out.write("  " + "".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip())
