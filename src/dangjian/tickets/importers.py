"""Grid-worker roster import: who patrols which grid, and as what kind of worker."""

from django.contrib.auth import get_user_model

from dangjian.accounts.models import RoleAssignment
from dangjian.core.excel import Column, as_code
from dangjian.core.imports import Importer, RowInvalid, register_importer
from dangjian.places.models import Region

from .models import GridWorker

KINDS = {label: value for value, label in GridWorker.Kind.choices}


@register_importer
class GridWorkerImporter(Importer):
    kind = "grid_workers"
    label = "网格员名册"
    columns = (
        Column("name", "姓名", (), required=True, example="王小明"),
        Column("username", "登录用户名", ("用户名", "账号"), required=True, example="wangxm"),
        Column("grid", "网格代码", ("所在网格代码",), required=True, example="369901001001001"),
        Column("kind", "类别", ("网格员类别",), example="专职网格员"),
    )

    def prepare(self, rows):
        usernames = {str(v.get("username") or "").strip() for _, v in rows}
        self.users = {u.username: u for u in get_user_model().objects.filter(username__in=usernames)}
        self.taken = set(GridWorker.objects.filter(user__username__in=usernames).values_list("user__username",
                                                                                              flat=True))
        codes = {as_code(v.get("grid")) for _, v in rows}
        self.grids = {g.division_code: g for g in Region.objects.filter(division_code__in=codes)}
        self.seen = set()

    def validate(self, row, values):
        errors = []
        name = str(values.get("name") or "").strip()
        username = str(values.get("username") or "").strip()
        code = as_code(values.get("grid"))
        kind_label = str(values.get("kind") or "专职网格员").strip()
        if not name:
            errors.append(("姓名", "", "必填"))
        user = self.users.get(username)
        if not username:
            errors.append(("登录用户名", "", "必填"))
        elif user is None:
            errors.append(("登录用户名", username, "用户不存在，请先用“dangjian users add”创建账号"))
        elif username in self.taken:
            errors.append(("登录用户名", username, "已登记为网格员"))
        elif username in self.seen:
            errors.append(("登录用户名", username, "与本表前面的行重复"))
        grid = self.grids.get(code)
        if not code:
            errors.append(("网格代码", "", "必填"))
        elif grid is None:
            errors.append(("网格代码", code, f"网格“{code}”不存在"))
        elif grid.level != Region.Level.GRID:
            errors.append(("网格代码", code, f"“{grid.name}”不是网格"))
        elif self.scope is not None and not self.scope.unrestricted and not any(
                grid.path.startswith(p) for p in self.scope.regions):
            errors.append(("网格代码", code, "该网格不在您的管辖范围内"))
        if kind_label not in KINDS:
            errors.append(("类别", kind_label, f"应为{'、'.join(KINDS)}之一"))
        if errors:
            raise RowInvalid(*errors)
        self.seen.add(username)
        return GridWorker(user=user, grid=grid, region_path=grid.path, kind=KINDS[kind_label], name=name)

    def save(self, objects):
        GridWorker.objects.bulk_create(objects)
        have = set(RoleAssignment.objects.filter(role="grid_worker", user__in=[w.user for w in objects])
                   .values_list("user_id", "region_id"))
        RoleAssignment.objects.bulk_create([RoleAssignment(user=w.user, role="grid_worker", region=w.grid)
                                            for w in objects if (w.user.pk, w.grid.pk) not in have])
        return len(objects)
