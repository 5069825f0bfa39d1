"""The yearly party statistics tables (党内统计): rows are the scope and its child units, columns the registered
metrics under one or two levels of headings, as the official tables lay them out; shown on a page and written to
xlsx with merged header cells."""

import datetime as dt
import io
from dataclasses import dataclass, field

import xlsxwriter

from .queries import children_values, metric_values
from .registry import Node, Period, metric


@dataclass(frozen=True)
class Col:
    """A heading: a leaf names a metric; a group holds leaves under one heading."""

    label: str
    key: str | None = None
    children: tuple["Col", ...] = ()

    @property
    def leaves(self) -> list["Col"]:
        return [self] if not self.children else [leaf for c in self.children for leaf in c.leaves]


def leaf(key: str, label: str | None = None) -> Col:
    return Col(label or "", key)


@dataclass(frozen=True)
class StatTable:
    key: str
    number: str  # 表一 …
    title: str
    tree: str
    columns: tuple[Col, ...]
    note: str = ""

    @property
    def leaves(self) -> list[Col]:
        return [leaf for c in self.columns for leaf in c.leaves]

    @property
    def header_rows(self) -> int:
        return 2 if any(c.children for c in self.columns) else 1


def _group(label: str, keys: list[str]) -> Col:
    return Col(label, None, tuple(leaf(k) for k in keys))


AGE_KEYS = ["members.age_18_30", "members.age_31_35", "members.age_36_40", "members.age_41_45", "members.age_46_50",
            "members.age_51_55", "members.age_56_60", "members.age_61_70", "members.age_71_plus"]
EDU_KEYS = ["members.edu_postgraduate", "members.edu_bachelor", "members.edu_college", "members.edu_secondary_vocational",
            "members.edu_technical", "members.edu_high_school", "members.edu_junior", "members.edu_primary",
            "members.edu_other", "members.edu_unknown"]
OCC_KEYS = ["members.occ_worker", "members.occ_farmer", "members.occ_professional", "members.occ_manager",
            "members.occ_official", "members.occ_student", "members.occ_retired", "members.occ_other"]
JOIN_KEYS = ["members.joined_before_1949", "members.joined_1949_1978", "members.joined_1978_2012",
             "members.joined_since_2012", "members.joined_unknown"]
TOTAL = leaf("members.total", "党员总数")

TABLES = [
    StatTable("gender_ethnicity", "表一", "党员性别、民族情况", "org", (
        TOTAL, _group("人员类别", ["members.full", "members.probationary"]),
        _group("性别", ["members.male", "members.female"]), _group("民族", ["members.han", "members.minority"]))),
    StatTable("age", "表二", "党员年龄情况", "org", (TOTAL, _group("年龄", AGE_KEYS)),
              note="年龄按统计时点（年末，或本年的当前月）计算"),
    StatTable("education", "表三", "党员学历情况", "org", (
        TOTAL, _group("学历", EDU_KEYS), leaf("members.edu_college_above", "其中：大专及以上"))),
    StatTable("occupation", "表四", "党员职业情况", "org", (TOTAL, _group("职业", OCC_KEYS)),
              note="职业按党员名册“工作岗位”归类"),
    StatTable("join_period", "表五", "党员入党时间情况", "org", (TOTAL, _group("入党时间", JOIN_KEYS))),
    StatTable("org_kind", "表六", "党组织情况", "org", (
        leaf("orgs.total", "党组织总数（不含党小组）"),
        _group("党委", ["orgs.committee", "orgs.working_committee", "orgs.industry_committee", "orgs.chain_committee"]),
        leaf("orgs.general_branch", "党总支"),
        _group("党支部", ["orgs.branch", "orgs.joint_branch"]),
        leaf("orgs.group", "党小组"))),
]
TABLES_BY_KEY = {t.key: t for t in TABLES}


def label_of(col: Col) -> str:
    return col.label or metric(col.key).label


@dataclass
class Built:
    """A table filled for a scope and year: header rows of cells {label, colspan, rowspan} and body rows
    {name, code, node, total (bool), cells: [{value, url}]}."""

    table: StatTable
    node: Node
    period: Period
    headers: list[list[dict]] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)


def header_cells(table: StatTable) -> list[list[dict]]:
    """The heading rows: cells {label, col (0-based), colspan, rowspan}; a heading without children spans both."""
    depth = table.header_rows
    top = [{"label": "单位", "col": 0, "colspan": 1, "rowspan": depth}]
    second = []
    col = 1
    for c in table.columns:
        if c.children:
            top.append({"label": c.label, "col": col, "colspan": len(c.leaves), "rowspan": 1})
            second += [{"label": label_of(x), "col": col + i, "colspan": 1, "rowspan": 1}
                       for i, x in enumerate(c.leaves)]
        else:
            top.append({"label": label_of(c), "col": col, "colspan": 1, "rowspan": depth})
        col += len(c.leaves)
    return [top, second] if depth == 2 else [top]


def build(table: StatTable, node: Node, year: int, *, now=None) -> Built:
    """The table for `node` (first row, 合计) and its children, for the year (stock figures at the year's end)."""
    period = Period("year", dt.date(year, 1, 1))
    keys = [c.key for c in table.leaves]
    built = Built(table, node, period, header_cells(table))
    total = metric_values(node, period, keys, now=now)
    built.rows.append({"name": f"{node.name}（合计）", "code": node.code, "node": node, "total": True,
                       "cells": [{"value": total[k], "url": metric(k).url(node, period)} for k in keys]})
    for row in children_values(node, period, keys, now=now):
        built.rows.append({"name": row["name"], "code": row["code"], "node": row["node"], "total": False,
                           "cells": [{"value": row["values"][k], "url": metric(k).url(row["node"], period)}
                                     for k in keys]})  # fmt: skip
    return built


def workbook(built_tables: list[Built]) -> bytes:
    """One sheet per table: the title, the scope and year, the two header rows merged as on paper, the figures."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    title_fmt = book.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
    info_fmt = book.add_format({"font_size": 10})
    head_fmt = book.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1, "align": "center",
                                "valign": "vcenter", "text_wrap": True})
    name_fmt = book.add_format({"border": 1})
    total_fmt = book.add_format({"border": 1, "bold": True})
    num_fmt = book.add_format({"border": 1, "num_format": "0"})
    for b in built_tables:
        t = b.table
        sheet = book.add_worksheet(f"{t.number}{t.title}"[:31])
        width = 1 + len(t.leaves)
        sheet.merge_range(0, 0, 0, width - 1, f"{t.number}  {t.title}", title_fmt)
        sheet.write_string(1, 0, f"统计范围：{b.node.name}    统计年度：{b.period.start.year}年    单位：个、人", info_fmt)
        sheet.set_column(0, 0, 28)
        sheet.set_column(1, width - 1, 10)
        r0 = 2
        for i, header in enumerate(b.headers):
            for h in header:
                row, col = r0 + i, h["col"]
                last_row, last_col = row + h["rowspan"] - 1, col + h["colspan"] - 1
                if (last_row, last_col) == (row, col):
                    sheet.write_string(row, col, h["label"], head_fmt)
                else:
                    sheet.merge_range(row, col, last_row, last_col, h["label"], head_fmt)
        r = r0 + len(b.headers)
        for row in b.rows:
            sheet.write_string(r, 0, row["name"], total_fmt if row["total"] else name_fmt)
            for j, cell in enumerate(row["cells"], start=1):
                if cell["value"] is None:
                    sheet.write_string(r, j, "—", num_fmt)
                else:
                    sheet.write_number(r, j, cell["value"], num_fmt)
            r += 1
        if t.note:
            sheet.write_string(r + 1, 0, f"说明：{t.note}", info_fmt)
        sheet.freeze_panes(r0 + len(b.headers), 1)
    book.close()
    return buffer.getvalue()
