"""Roles (DESIGN.md §1) and the actions each grants inside the subtree of its assigned node."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    key: str
    label: str
    actions: frozenset[str]
    node: str  # which tree the role is normally assigned on: region, org, department, self
    description: str = ""


ROLES: dict[str, Role] = {
    r.key: r
    for r in [
        Role("county_admin", "县级管理员", frozenset({"view", "change", "import", "export", "unmask", "manage_users",
                                                    "report", "command", "configure"}),
             "region", "组织部、县指挥中心：全县数据、评分方案、报表"),
        Role("township_admin", "乡镇管理员", frozenset({"view", "change", "import", "export", "unmask", "report",
                                                      "command"}),
             "region", "乡镇党委组织委员、乡镇指挥中心"),
        Role("branch_secretary", "支部书记", frozenset({"view", "change", "import", "export", "report"}),
             "org", "村/社区/支部书记：本支部党员、会议、党费、发展党员"),
        Role("grid_worker", "网格员", frozenset({"view", "report"}), "region", "上报事件、走访农户、查看本网格"),
        Role("department_handler", "部门办理人", frozenset({"view", "handle"}), "department", "县直部门/站所：受理、退回、办结工单"),
        Role("member", "党员", frozenset({"view", "report"}), "self", "本人档案、积分、学时、志愿服务"),
        Role("resident", "群众", frozenset({"report"}), "region", "上报事件、评价办理结果、查找服务站点"),
    ]
}  # fmt: skip
ROLE_CHOICES = [(r.key, r.label) for r in ROLES.values()]
