from dangjian.core.dates import DateError, parse_date
from dangjian.core.excel import Column, as_code
from dangjian.core.imports import register_importer
from dangjian.core.tree_import import TreeImporter, objects_by_code
from dangjian.places.models import Region

from .models import PartyOrg

KINDS = {label: key for key, label in PartyOrg.Kind.choices}
KINDS.update({"基层党委": "committee", "支部": "branch", "总支": "general_branch", "党小组": "group"})


@register_importer
class OrgImporter(TreeImporter):
    kind = "orgs"
    label = "党组织"
    model = PartyOrg
    code_label = "组织代码"
    parent_label = "上级组织代码"
    columns = (
        Column("code", "组织代码", ("党组织代码",), required=True, example="D0101001"),
        Column("name", "组织名称", ("党组织名称", "名称"), required=True, example="东风村党支部"),
        Column("parent", "上级组织代码", ("上级党组织代码",), example="D0101"),
        Column("kind", "组织类别", ("党组织类别", "类别"), required=True, example="党支部"),
        Column("region", "所在区划代码", ("区划代码",), example="369901001001"),
        Column("founded_on", "成立日期", (), example="2001-07-01"),
    )

    def scope_paths(self):
        return None if self.scope is None or self.scope.unrestricted else self.scope.orgs

    def prepare(self, rows):
        super().prepare(rows)
        self.regions = objects_by_code(Region, "division_code", rows, "region")

    def validate(self, row, values):
        errors = []
        code, name, parent_code = as_code(values.get("code")), str(values.get("name") or ""), as_code(values.get("parent"))
        self.check_code(code, errors)
        if not name:
            errors.append(("组织名称", "", "必填"))
        kind_label = str(values.get("kind") or "")
        kind = KINDS.get(kind_label)
        if kind is None:
            errors.append(("组织类别", kind_label, "组织类别应为 " + "、".join(label for _, label in PartyOrg.Kind.choices)))
        parent = self.resolve_parent(parent_code, errors)
        if parent is not None and parent.kind == PartyOrg.Kind.GROUP:
            errors.append(("上级组织代码", parent_code, "党小组下不能再设组织"))
        if kind == PartyOrg.Kind.GROUP and parent_code == "":
            errors.append(("上级组织代码", "", "党小组必须隶属于一个党支部"))
        region = None
        region_code = as_code(values.get("region"))
        if region_code:
            region = self.regions.get(region_code)
            if region is None:
                errors.append(("所在区划代码", region_code, f"区划“{region_code}”不存在"))
        founded_on = None
        try:
            founded_on = parse_date(values.get("founded_on"))
            if founded_on and founded_on > self.today:
                errors.append(("成立日期", values.get("founded_on"), "成立日期不能晚于今天"))
        except DateError as exc:
            errors.append(("成立日期", values.get("founded_on"), str(exc)))
        self.fail_if(errors)
        return self.accept(code, PartyOrg(code=code, name=name, kind=kind, region=region, founded_on=founded_on),
                           parent_code)
