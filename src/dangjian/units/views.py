from dangjian.core.tables import Col, attr
from dangjian.core.views import ObjectListView

from .filters import DepartmentFilterSet, UnitFilterSet
from .models import Department, Unit

CRUMBS = [{"label": "单位部门"}]


class DepartmentListView(ObjectListView):
    model = Department
    filterset_class = DepartmentFilterSet
    title = "职能部门"
    breadcrumbs = CRUMBS
    select_related = ("region",)
    export_object_type = "department"
    columns = [
        Col("部门代码", attr("code")),
        Col("部门名称", attr("name")),
        Col("部门类别", attr("get_kind_display")),
        Col("所在区划", attr("region.name")),
        Col("下级站所", attr("numchild")),
    ]


class UnitListView(ObjectListView):
    model = Unit
    filterset_class = UnitFilterSet
    title = "单位"
    breadcrumbs = CRUMBS
    select_related = ("region",)
    export_object_type = "unit"
    columns = [
        Col("单位代码", attr("code")),
        Col("单位名称", attr("name")),
        Col("单位类别", attr("get_kind_display")),
        Col("所在区划", attr("region.name")),
        Col("统一社会信用代码", attr("credit_code")),
    ]
