from dangjian.core.excel import Column, as_code
from dangjian.core.imports import register_importer
from dangjian.core.tree_import import TreeImporter, objects_by_code
from dangjian.places.models import Region

from .models import Department


@register_importer
class DepartmentImporter(TreeImporter):
    kind = "departments"
    label = "职能部门"
    model = Department
    code_label = "部门代码"
    parent_label = "上级部门代码"
    columns = (
        Column("code", "部门代码", ("代码",), required=True, example="BM001"),
        Column("name", "部门名称", ("名称",), required=True, example="县住房和城乡建设局"),
        Column("parent", "上级部门代码", (), example=""),
        Column("region", "所在区划代码", ("区划代码",), required=True, example="369901"),
    )

    def scope_paths(self):
        return None if self.scope is None or self.scope.unrestricted else self.scope.departments

    def prepare(self, rows):
        super().prepare(rows)
        self.regions = objects_by_code(Region, "division_code", rows, "region")

    def validate(self, row, values):
        errors = []
        code, name, parent_code = as_code(values.get("code")), str(values.get("name") or ""), as_code(values.get("parent"))
        self.check_code(code, errors)
        if not name:
            errors.append(("部门名称", "", "必填"))
        parent = self.resolve_parent(parent_code, errors)
        region_code = as_code(values.get("region"))
        region = self.regions.get(region_code)
        if not region_code:
            errors.append(("所在区划代码", "", "必填"))
        elif region is None:
            errors.append(("所在区划代码", region_code, f"区划“{region_code}”不存在"))
        elif self.scope is not None and not self.scope.unrestricted and not any(
            region.path.startswith(p) for p in self.scope.regions
        ) and parent is None:
            errors.append(("所在区划代码", region_code, "该区划不在您的管辖范围内"))
        self.fail_if(errors)
        kind = Department.Kind.STATION if parent is not None else Department.Kind.COUNTY
        return self.accept(code, Department(code=code, name=name, region=region, kind=kind), parent_code)
