from dangjian.core.excel import Column, as_code
from dangjian.core.imports import register_importer
from dangjian.core.tree_import import TreeImporter

from .models import Region

LEVELS = {"县": "county", "区": "county", "市辖区": "county", "县级市": "county", "乡": "township", "镇": "township",
          "乡镇": "township", "街道": "street", "村": "village", "社区": "community", "网格": "grid"}  # fmt: skip
GRID_KINDS = {label: key for key, label in Region.GridKind.choices}
CODE_LENGTHS = {"county": (6,), "township": (9,), "street": (9,), "village": (12,), "community": (12,), "grid": (15, 18)}
PARENT_LEVELS = {
    "township": {"county"}, "street": {"county"}, "village": {"township", "street"},
    "community": {"township", "street"}, "grid": {"village", "community", "grid"},
}  # fmt: skip


@register_importer
class RegionImporter(TreeImporter):
    kind = "regions"
    label = "行政区划与网格"
    model = Region
    code_field = "division_code"
    code_label = "区划代码"
    parent_label = "上级区划代码"
    columns = (
        Column("code", "区划代码", ("行政区划代码", "代码"), required=True, example="369901001001"),
        Column("name", "名称", ("区划名称", "网格名称"), required=True, example="东风村"),
        Column("parent", "上级区划代码", ("上级代码",), example="369901001"),
        Column("level", "层级", ("级别", "类型"), required=True, example="村"),
        Column("grid_kind", "网格类型", (), example=""),
    )

    def scope_paths(self):
        return None if self.scope is None or self.scope.unrestricted else self.scope.regions

    def validate(self, row, values):
        errors = []
        code, name = as_code(values.get("code")), str(values.get("name") or "")
        parent_code, level_label = as_code(values.get("parent")), str(values.get("level") or "")
        self.check_code(code, errors)
        if code and not code.isdigit():
            errors.append(("区划代码", code, "区划代码只能由数字组成"))
        if not name:
            errors.append(("名称", "", "必填"))
        level = LEVELS.get(level_label)
        if level is None:
            errors.append(("层级", level_label, "层级应为 县、乡镇、街道、村、社区 或 网格"))
        grid_kind = ""
        kind_label = str(values.get("grid_kind") or "")
        if level == "grid":
            grid_kind = GRID_KINDS.get(kind_label or "综合网格", "")
            if not grid_kind:
                errors.append(("网格类型", kind_label, "网格类型应为 综合网格、四级网格、专属网格 或 微网格"))
        elif kind_label:
            errors.append(("网格类型", kind_label, "只有层级为“网格”的行才能填写网格类型"))
        if level and code.isdigit() and len(code) not in CODE_LENGTHS[level]:
            want = "或".join(str(n) for n in CODE_LENGTHS[level])
            errors.append(("区划代码", code, f"{level_label}级区划代码应为{want}位，实际为{len(code)}位"))
        parent = None
        if level == "county" and not parent_code:
            if self.scope is not None and not self.scope.unrestricted:
                errors.append(("上级区划代码", "", "只有全县范围的导入才能新建县级区划"))
        else:
            parent = self.resolve_parent(parent_code, errors)
        if parent is not None and level:
            if parent.level not in PARENT_LEVELS.get(level, set()):
                errors.append(("上级区划代码", parent_code, f"{level_label}的上级不能是{parent.get_level_display()}"))
            elif code.isdigit() and not code.startswith(parent.division_code):
                errors.append(("区划代码", code, f"区划代码应以上级区划代码{parent.division_code}开头"))
        self.fail_if(errors)
        node = Region(division_code=code, name=name, level=level, grid_kind=grid_kind)
        return self.accept(code, node, parent_code)
