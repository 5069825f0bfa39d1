import sys

from django.core.management.base import BaseCommand, CommandError

from dangjian.accounts.models import User
from dangjian.accounts.roles import ROLES
from dangjian.accounts.services import AccountError, do_create_user, do_issue_token


class Command(BaseCommand):
    help = "用户管理：users add 新建用户并授权；users token 生成 API 令牌"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="新建用户（密码从标准输入读取；无输入时自动生成并打印）")
        add.add_argument("username")
        add.add_argument("--role", required=True, choices=sorted(ROLES))
        add.add_argument("--scope", help="区划代码、党组织代码或部门代码")
        add.add_argument("--name", default="", help="姓名")
        token = sub.add_parser("token", help="生成新的 API 令牌（只打印令牌）")
        token.add_argument("username")

    def handle(self, *args, **opts):
        if opts["action"] == "token":
            user = User.objects.filter(username=opts["username"]).first()
            if user is None:
                raise CommandError(f"用户“{opts['username']}”不存在")
            self.stdout.write(do_issue_token(user=user))
            return
        password = None
        if not sys.stdin.isatty():
            password = sys.stdin.readline().strip() or None
        try:
            user, password_used = do_create_user(
                actor=None, username=opts["username"], password=password, role=opts["role"],
                scope_code=opts["scope"], display_name=opts["name"],
            )  # fmt: skip
        except AccountError as exc:
            raise CommandError(str(exc)) from exc
        node = user.assignments.first().node
        self.stdout.write(f"已创建用户 {user.username}（{ROLES[opts['role']].label}，范围：{node}）")
        if password is None:
            self.stdout.write(f"初始密码：{password_used}")
