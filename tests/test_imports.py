"""Spreadsheet imports with real .xlsx / .xls / .ods files, driven through `dangjian import` (call_command).

Every member file has a merged title row (Excel row 1) above the header (row 2), so the first data row is
Excel row 3. Rejection tests put a valid row first (row 3) and the bad one second (row 4): the error must
name row 4 and its column, give a Chinese reason, and — the import being all-or-nothing — nothing at all
may be written, not even the valid row.
"""

import datetime as dt
import itertools
import re

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from dangjian.core import crypto
from dangjian.core.dates import DateError, parse_date
from dangjian.core.idnumber import CHECK_CHARS, IdNumberError, check_digit, make_id_number, parse_id_number
from tests import sheets
from tests.sheets import call_import

TITLE = "东风村党支部党员花名册"
HEADER = ["姓名", "性别", "民族", "公民身份号码", "出生日期", "学历", "人员类别", "入党日期", "转为正式党员日期",
          "工作岗位", "联系电话", "所在党组织代码"]  # fmt: skip
BIRTH = dt.date(1990, 5, 20)
CJK = re.compile(r"[\u4e00-\u9fff]")
_sequence = itertools.count(60)


def new_id(birth: dt.date = BIRTH, male: bool = True, region: str = "369901") -> str:
    """A valid ID number not used by the county fixture (whose members are born 1985-03-14)."""
    n = next(_sequence)
    return make_id_number(region, birth, (n * 2 + (1 if male else 0)) % 1000)


def member(**values) -> list:
    """One roster row in HEADER order: a valid 正式党员 of 东风村党支部 unless overridden by header label."""
    row = {
        "姓名": "王小明", "性别": "", "民族": "汉族", "公民身份号码": None, "出生日期": "", "学历": "大学本科",
        "人员类别": "正式党员", "入党日期": "2012-07-01", "转为正式党员日期": "2013-07-01", "工作岗位": "村委委员",
        "联系电话": "13800138001", "所在党组织代码": "D010101",
    }  # fmt: skip
    unknown = set(values) - set(row)
    assert not unknown, f"not a roster column: {unknown}"
    row.update(values)
    if row["公民身份号码"] is None:
        row["公民身份号码"] = new_id()
    return [row[h] for h in HEADER]


def roster(tmp_path, *rows, fmt="xlsx", title=TITLE, header=HEADER, name="roster"):
    return sheets.write(tmp_path, name, [header, *rows], fmt=fmt, title=title)


def members_count() -> int:
    from dangjian.members.models import Member

    return Member.all_objects.count()


def by_id(id_number: str):
    from dangjian.members.models import Member

    return Member.objects.get(id_number_index=crypto.blind_index(id_number))


def assert_rejected(status, result, *, row, column, keywords=(), before=2):
    """Exactly one rejected row, `row`, with an error naming `column` and a meaningful Chinese reason."""
    assert status == 1, result
    assert result["imported"] == 0, result
    assert result["rejected"] == 1, result
    assert {e["row"] for e in result["errors"]} == {row}, result["errors"]
    errors = [e for e in result["errors"] if e["column"] == column]
    assert errors, f"no error names column {column!r}: {result['errors']}"
    reason = errors[0]["reason"]
    assert len(CJK.findall(reason)) >= 2, f"reason is not Chinese: {reason!r}"
    if keywords:
        assert any(k in reason for k in keywords), f"reason {reason!r} mentions none of {keywords}"
    assert members_count() == before, "an all-or-nothing import that rejected a row wrote something"
    return errors[0]


def reject_one(tmp_path, bad_row, *args):
    """Import [valid row, bad row] and return (status, result)."""
    return call_import("members", roster(tmp_path, member(), bad_row), *args)


# --- file formats, title rows, blank rows, spaces, dates, header synonyms ---------------------------------


@pytest.mark.parametrize("fmt", sheets.FORMATS)
def test_member_roster_in_every_format(county, tmp_path, fmt):
    """Title row, blank rows, surrounding and full-width spaces, date cells and numeric cells, per format."""
    first, second = new_id(), new_id(male=False, birth=dt.date(1988, 2, 29))
    path = roster(
        tmp_path,
        [],
        member(
            姓名=" 赵一\u3000",
            公民身份号码=f"\u3000{first} ",
            入党日期=dt.date(2012, 7, 1),
            转为正式党员日期=dt.date(2013, 7, 1),
            联系电话=13800138001,
            性别=" 男 ",
        ),
        [],
        [],
        member(
            姓名="\u3000钱二",
            公民身份号码=second,
            性别="女",
            出生日期=dt.date(1988, 2, 29),
            民族="\u3000回族",
            人员类别="预备党员",
            入党日期="2024/3/1",
            转为正式党员日期="",
            联系电话=" 0571-88886666 ",
        ),
        [],
        fmt=fmt,
    )
    status, result = call_import("members", path)
    assert (status, result) == (0, {"total": 2, "imported": 2, "rejected": 0, "errors": []})
    a, b = by_id(first), by_id(second)
    assert (a.name, a.gender, a.ethnicity, a.education, a.status) == ("赵一", "male", "01", "20", "full")
    assert (a.birth_date, a.joined_on, a.full_on) == (BIRTH, dt.date(2012, 7, 1), dt.date(2013, 7, 1))
    assert a.phone_masked == "138****8001" and crypto.decrypt(a.phone_enc) == "13800138001"
    assert a.org.code == "D010101" and a.org_path == a.org.path
    assert (b.name, b.gender, b.ethnicity, b.status) == ("钱二", "female", "03", "probationary")
    assert (b.birth_date, b.joined_on, b.full_on) == (dt.date(1988, 2, 29), dt.date(2024, 3, 1), None)
    assert crypto.decrypt(b.phone_enc) == "057188886666"


@pytest.mark.parametrize("fmt", sheets.FORMATS)
def test_row_numbers_are_excel_row_numbers_despite_title_and_blank_rows(county, tmp_path, fmt):
    # Excel rows: 1 title, 2 header, 3 valid, 4 blank, 5 blank, 6 bad, 7 blank, 8 bad
    path = roster(tmp_path, member(), [], [], member(姓名=""), [], member(所在党组织代码="D999"), fmt=fmt)
    status, result = call_import("members", path)
    assert status == 1
    assert result["total"] == 3 and result["imported"] == 0 and result["rejected"] == 2
    assert [(e["row"], e["column"]) for e in result["errors"]] == [(6, "姓名"), (8, "所在党组织代码")]
    assert members_count() == 2


def test_header_in_first_row_without_title(county, tmp_path):
    status, result = call_import("members", roster(tmp_path, member(), member(姓名=""), title=None))
    assert status == 1 and [e["row"] for e in result["errors"]] == [3]


def test_several_title_rows_above_the_header(county, tmp_path):
    path = sheets.write(tmp_path, "roster", [["某某镇"], ["填报日期：2026年1月"], [], HEADER, member(), member(姓名="")],
                        title=TITLE)  # fmt: skip
    status, result = call_import("members", path)
    assert status == 1 and [(e["row"], e["column"]) for e in result["errors"]] == [(7, "姓名")]


def test_xlsx_written_by_xlsxwriter(county, tmp_path):
    path = sheets.write_xlsx(tmp_path / "xw.xlsx", [HEADER, member(入党日期=dt.date(2012, 7, 1))], title=TITLE,
                             engine="xlsxwriter")  # fmt: skip
    assert call_import("members", path)[0] == 0
    assert members_count() == 3


@pytest.mark.parametrize(
    "joined",
    [dt.date(2001, 7, 1), dt.datetime(2001, 7, 1), "2001-07-01", "2001/7/1", "2001.07.01", "2001年7月1日",
     "20010701", 20010701],
    ids=["date-cell", "datetime-cell", "iso", "slashes", "dots", "chinese", "compact", "compact-number"],
)  # fmt: skip
@pytest.mark.parametrize("fmt", sheets.FORMATS)
def test_date_formats(county, tmp_path, fmt, joined):
    number = new_id(birth=dt.date(1980, 1, 1))
    path = roster(tmp_path, member(公民身份号码=number, 入党日期=joined, 转为正式党员日期=joined), fmt=fmt)
    status, result = call_import("members", path)
    assert status == 0, result
    assert by_id(number).joined_on == dt.date(2001, 7, 1)
    assert by_id(number).full_on == dt.date(2001, 7, 1)


@pytest.mark.parametrize("id_header", ["公民身份号码", "身份证号", "身份证号码"])
def test_header_synonyms(county, tmp_path, id_header):
    header = [
        id_header if h == "公民身份号码" else "转正日期" if h == "转为正式党员日期" else h for h in HEADER
    ]
    number = new_id()
    status, result = call_import("members", roster(tmp_path, member(公民身份号码=number), header=header))
    assert status == 0, result
    assert by_id(number).full_on == dt.date(2013, 7, 1)


def test_headers_with_required_marks_and_spaces(county, tmp_path):
    header = [
        f" {h}* " if h in ("姓名", "公民身份号码", "入党日期", "所在党组织代码") else f"{h}\u3000"
        for h in HEADER
    ]
    assert call_import("members", roster(tmp_path, member(), header=header))[0] == 0


# --- member rejections: one reason per test ------------------------------------------------------------


@pytest.mark.parametrize("column", ["姓名", "公民身份号码", "入党日期", "所在党组织代码"])
def test_required_field_missing(county, tmp_path, column):
    status, result = reject_one(tmp_path, member(**{column: ""}))
    error = assert_rejected(
        status, result, row=4, column=column, keywords=("必填", "不能为空", "缺少", "为空")
    )
    assert error["value"] == ""


def test_required_field_of_only_spaces_is_missing(county, tmp_path):
    status, result = reject_one(tmp_path, member(姓名=" \u3000 "))
    assert_rejected(status, result, row=4, column="姓名", keywords=("必填", "不能为空", "为空"))


@pytest.mark.parametrize("column", ["姓名", "公民身份号码", "入党日期", "所在党组织代码"])
def test_required_column_missing_from_header(county, tmp_path, column):
    index = HEADER.index(column)
    header = HEADER[:index] + HEADER[index + 1 :]
    row = member()
    del row[index]
    status, result = call_import("members", roster(tmp_path, row, header=header))
    assert status == 1 and result["imported"] == 0
    assert [e["column"] for e in result["errors"]] == [column]
    assert column in result["errors"][0]["reason"] and CJK.search(result["errors"][0]["reason"])
    assert members_count() == 2


@pytest.mark.parametrize(
    "value",
    ["36990119900520123", "3699011990052012345", "36990119900520A234", "ABCDEFGHIJKLMNOPQR"],
    ids=["17-digits", "19-digits", "letter-inside", "letters"],
)
def test_id_number_malformed(county, tmp_path, value):
    status, result = reject_one(tmp_path, member(公民身份号码=value))
    error = assert_rejected(status, result, row=4, column="公民身份号码", keywords=("18位", "格式", "位"))
    assert error["value"] == value


def test_id_number_wrong_check_digit(county, tmp_path):
    valid = new_id()
    wrong = valid[:17] + ("0" if valid[17] != "0" else "1")
    status, result = reject_one(tmp_path, member(公民身份号码=wrong))
    assert_rejected(status, result, row=4, column="公民身份号码", keywords=("校验",))


@pytest.mark.parametrize("birth", ["19900230", "19901301", "20990101"], ids=["feb-30", "month-13", "future"])
def test_id_number_impossible_birth_date(county, tmp_path, birth):
    first17 = f"369901{birth}123"
    status, result = reject_one(tmp_path, member(公民身份号码=first17 + check_digit(first17)))
    assert_rejected(status, result, row=4, column="公民身份号码", keywords=("日期", "出生"))


def test_id_number_in_a_numeric_cell_is_rejected(county, tmp_path):
    """Excel turns an 18-digit number into a float and loses the last digits: say so, don't guess."""
    number = new_id()
    if not number[-1].isdigit():
        number = new_id()
    status, result = reject_one(tmp_path, member(公民身份号码=float(number)))
    assert_rejected(status, result, row=4, column="公民身份号码", keywords=("文本", "数字"))


def test_lowercase_x_check_digit_is_accepted_and_stored_upper_case(county, tmp_path):
    from dangjian.members.services import find_by_id_number

    birth = dt.date(1991, 8, 8)
    number = next(n for s in range(1, 999, 2) if (n := make_id_number("369901", birth, s)).endswith("X"))
    status, result = call_import("members", roster(tmp_path, member(公民身份号码=number.lower())))
    assert (status, result["imported"]) == (0, 1), result
    found = find_by_id_number(number)
    assert found is not None and found.count() == 1
    stored = found.get()
    assert stored.id_number_masked.endswith("X")
    assert stored.id_number_masked == number[:6] + "*" * 8 + number[-4:]
    assert stored.id_number_index == crypto.blind_index(number)
    assert crypto.decrypt(stored.id_number_enc) == number
    assert stored.birth_date == birth and stored.gender == "male"


def test_birth_date_contradicting_id_number(county, tmp_path):
    status, result = reject_one(tmp_path, member(公民身份号码=new_id(), 出生日期="1990-05-21"))
    assert_rejected(status, result, row=4, column="出生日期", keywords=("不符", "不一致", "身份"))


def test_gender_contradicting_id_number(county, tmp_path):
    status, result = reject_one(tmp_path, member(公民身份号码=new_id(male=True), 性别="女"))
    assert_rejected(status, result, row=4, column="性别", keywords=("不符", "不一致", "身份"))


def test_birth_date_and_gender_agreeing_with_id_number_are_accepted(county, tmp_path):
    number = new_id(male=False)
    path = roster(tmp_path, member(公民身份号码=number, 性别="女", 出生日期="1990年5月20日"))
    assert call_import("members", path)[0] == 0
    assert by_id(number).gender == "female"


def test_joined_on_in_the_future(county, tmp_path):
    future = dt.date.today() + dt.timedelta(days=30)
    status, result = reject_one(
        tmp_path, member(入党日期=future.isoformat(), 转为正式党员日期="", 人员类别="预备党员")
    )
    assert_rejected(status, result, row=4, column="入党日期", keywords=("晚于", "未来", "今天", "将来"))


def test_joined_before_the_age_of_18(county, tmp_path):
    status, result = reject_one(tmp_path, member(入党日期="2008-05-19", 转为正式党员日期="2009-05-19"))
    assert_rejected(status, result, row=4, column="入党日期", keywords=("18",))


def test_joined_on_the_18th_birthday_is_accepted(county, tmp_path):
    number = new_id()
    path = roster(tmp_path, member(公民身份号码=number, 入党日期="2008-05-20", 转为正式党员日期="2009-05-20"))
    assert call_import("members", path)[0] == 0
    assert by_id(number).joined_on == dt.date(2008, 5, 20)


def test_full_member_without_full_on(county, tmp_path):
    status, result = reject_one(tmp_path, member(人员类别="正式党员", 转为正式党员日期=""))
    assert_rejected(status, result, row=4, column="转为正式党员日期", keywords=("必须", "必填", "填写"))


def test_full_on_before_joined_on(county, tmp_path):
    status, result = reject_one(tmp_path, member(入党日期="2012-07-01", 转为正式党员日期="2012-06-30"))
    assert_rejected(status, result, row=4, column="转为正式党员日期", keywords=("早于", "晚于", "之前"))


def test_probationary_member_with_full_on(county, tmp_path):
    status, result = reject_one(
        tmp_path, member(人员类别="预备党员", 入党日期="2025-07-01", 转为正式党员日期="2026-07-01")
    )
    assert_rejected(status, result, row=4, column="转为正式党员日期", keywords=("预备党员",))


def test_probationary_member_without_full_on_is_accepted(county, tmp_path):
    number = new_id()
    path = roster(
        tmp_path, member(公民身份号码=number, 人员类别="预备党员", 入党日期="2025-07-01", 转为正式党员日期="")
    )
    assert call_import("members", path)[0] == 0
    assert by_id(number).status == "probationary" and by_id(number).full_on is None


def test_unknown_member_category(county, tmp_path):
    status, result = reject_one(tmp_path, member(人员类别="党员"))
    assert_rejected(status, result, row=4, column="人员类别", keywords=("正式党员", "预备党员"))


def test_id_number_already_in_the_ledger(county, tmp_path):
    existing = county.members["a"]._plain_id_number()
    status, result = reject_one(tmp_path, member(公民身份号码=existing))
    assert_rejected(status, result, row=4, column="公民身份号码", keywords=("已在", "已存在", "重复"))


def test_id_number_already_in_the_ledger_written_in_lower_case_or_with_spaces(county, tmp_path):
    existing = county.members["a"]._plain_id_number()
    spaced = f" {existing[:6]} {existing[6:14]} {existing[14:].lower()}"
    status, result = reject_one(tmp_path, member(公民身份号码=spaced))
    assert_rejected(status, result, row=4, column="公民身份号码", keywords=("已在", "已存在", "重复"))


def test_id_number_repeated_in_the_same_file(county, tmp_path):
    number = new_id()
    path = roster(tmp_path, member(公民身份号码=number), member(姓名="王小明二", 公民身份号码=number))
    status, result = call_import("members", path)
    error = assert_rejected(status, result, row=4, column="公民身份号码", keywords=("重复", "已"))
    assert "3" in error["reason"], "the reason should name the earlier row (3)"


def test_unknown_org_code(county, tmp_path):
    status, result = reject_one(tmp_path, member(所在党组织代码="D999"))
    error = assert_rejected(
        status, result, row=4, column="所在党组织代码", keywords=("不存在", "未找到", "找不到")
    )
    assert error["value"] == "D999"


def test_org_outside_the_importing_users_scope(county, tmp_path):
    # township_admin governs 城关镇 (369901001); D010201 belongs to 河西镇.
    status, result = reject_one(tmp_path, member(所在党组织代码="D010201"), "--as", "township_admin")
    assert_rejected(status, result, row=4, column="所在党组织代码", keywords=("范围", "管辖", "权限"))


def test_org_inside_the_importing_users_scope_is_accepted(county, tmp_path):
    number = new_id()
    path = roster(tmp_path, member(公民身份号码=number, 所在党组织代码="D010101"))
    assert call_import("members", path, "--as", "township_admin")[0] == 0
    assert by_id(number).org.code == "D010101"


@pytest.mark.parametrize("phone", ["12345", "1380013800", "138001380001", "23800138000", "12800138000", "电话",
                                   "0571-123"])  # fmt: skip
def test_invalid_phone(county, tmp_path, phone):
    status, result = reject_one(tmp_path, member(联系电话=phone))
    assert_rejected(status, result, row=4, column="联系电话", keywords=("手机", "电话"))


@pytest.mark.parametrize(
    ("phone", "stored"),
    [("+86 138-0013-8000", "13800138000"), ("0571-88886666", "057188886666"), ("138 0013 8000", "13800138000"),
     (13800138000, "13800138000"), ("010-12345678", "01012345678")],
)  # fmt: skip
def test_phone_formats_accepted(county, tmp_path, phone, stored):
    number = new_id()
    assert call_import("members", roster(tmp_path, member(公民身份号码=number, 联系电话=phone)))[0] == 0
    assert crypto.decrypt(by_id(number).phone_enc) == stored


def test_unknown_ethnicity(county, tmp_path):
    status, result = reject_one(tmp_path, member(民族="火星族"))
    assert_rejected(status, result, row=4, column="民族", keywords=("民族",))


@pytest.mark.parametrize(("label", "code"), [("汉", "01"), ("汉族", "01"), ("蒙古", "02"), ("蒙古族", "02"),
                                             ("维吾尔", "05"), ("壮族", "08")])  # fmt: skip
def test_ethnicity_with_or_without_zu(county, tmp_path, label, code):
    number = new_id()
    assert call_import("members", roster(tmp_path, member(公民身份号码=number, 民族=label)))[0] == 0
    assert by_id(number).ethnicity == code


def test_unknown_education(county, tmp_path):
    status, result = reject_one(tmp_path, member(学历="幼儿园"))
    assert_rejected(status, result, row=4, column="学历", keywords=("学历",))


def test_every_error_of_a_row_is_reported(county, tmp_path):
    status, result = reject_one(tmp_path, member(民族="火星族", 学历="幼儿园", 联系电话="123"))
    assert status == 1 and {e["row"] for e in result["errors"]} == {4}
    assert {e["column"] for e in result["errors"]} >= {"民族", "学历", "联系电话"}
    assert result["rejected"] == 1


# --- encryption at rest -----------------------------------------------------------------------------------


def _plain_values_in(table: str, needles: list[str]) -> list:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names come from the test
        columns = [c[0] for c in cursor.description]
        return [
            (table, column, needle)
            for record in cursor.fetchall()
            for column, cell in zip(columns, record, strict=True)
            for needle in needles
            if cell is not None
            and needle in (cell.decode("utf-8", "replace") if isinstance(cell, bytes) else str(cell))
        ]


def _import_two(tmp_path):
    first, second = new_id(), new_id(male=False)
    path = roster(tmp_path, member(公民身份号码=first, 联系电话="+86 139-1234-5678"),
                  member(公民身份号码=second, 联系电话="0571-88886666"))  # fmt: skip
    status, result = call_import("members", path)
    assert status == 0, result
    needles = [first, second, "13912345678", "057188886666", "88886666", first[6:14] + first[14:]]
    return first, second, needles


def test_id_numbers_and_phones_are_encrypted_at_rest(county, tmp_path):
    first, second, needles = _import_two(tmp_path)
    fixture_plain = [county.members[k]._plain_id_number() for k in ("a", "b")] + [
        "13800138000",
        "13900139000",
    ]
    assert _plain_values_in("members_member", needles + fixture_plain) == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number_masked, phone_masked FROM members_member")
        masks = dict(cursor.fetchall())
    for number in (first, second):
        masked = number[:6] + "********" + number[-4:]
        assert re.fullmatch(r"369901\*{8}\d{3}[\dX]", masked)
        assert masked in masks
    assert masks[first[:6] + "********" + first[-4:]] == "139****5678"


def test_no_table_holds_the_plain_values_after_an_import(county, tmp_path):
    """Audit log entries, import records and access logs must not copy the plain values either."""
    _, _, needles = _import_two(tmp_path)
    tables = connection.introspection.table_names()
    leaks = [leak for table in tables for leak in _plain_values_in(table, needles)]
    assert leaks == []


# --- tree imports: regions, organisations, departments ----------------------------------------------------

REGION_HEADER = ["区划代码", "名称", "上级区划代码", "层级", "网格类型"]
ORG_HEADER = ["组织代码", "组织名称", "上级组织代码", "组织类别", "所在区划代码", "成立日期"]
DEPARTMENT_HEADER = ["部门代码", "部门名称", "上级部门代码", "所在区划代码"]


def assert_tree_sound(model):
    """treebeard 7 moved find_problems to the manager (the classmethod is deprecated)."""
    finder = getattr(model.objects, "find_problems", None) or model.find_problems
    problems = finder()
    assert all(list(p) == [] for p in problems), problems
    for node in model.objects.all():
        assert node.numchild == model.objects.get_children_count(node), node
        assert node.depth == len(node.path) // model.steplen, node


def parent_of(node):
    return type(node).objects.get_parent(node)


@pytest.mark.parametrize("fmt", sheets.FORMATS)
def test_regions_with_parents_earlier_in_the_file(county, tmp_path, fmt):
    from dangjian.places.models import Region

    rows = [
        ["369901003", "新建镇", "369901", "乡镇", ""],
        ["369901004", "城南街道", 369901, "街道", ""],  # a numeric code cell
        ["369901003001", "新建村", "369901003", "村", ""],
        [],
        ["369901004001", "城南社区", "369901004", "社区", ""],
        ["369901003001001", "新建村一网格", "369901003001", "网格", "综合网格"],
        ["369901004001001", "城南社区一网格", "369901004001", "网格", ""],
        ["369901001002", " 西山村\u3000", "369901001", "村", ""],  # below an existing township
    ]
    path = sheets.write(tmp_path, "regions", [REGION_HEADER, *rows], fmt=fmt, title="示范县行政区划与网格")
    before = Region.objects.count()
    status, result = call_import("regions", path)
    assert (status, result) == (0, {"total": 7, "imported": 7, "rejected": 0, "errors": []})
    assert Region.objects.count() == before + 7
    get = Region.objects.get
    assert parent_of(get(division_code="369901003001")).division_code == "369901003"
    assert parent_of(get(division_code="369901004001001")).division_code == "369901004001"
    assert parent_of(get(division_code="369901004")).division_code == "369901"
    assert parent_of(get(division_code="369901001002")) == county.town_a
    assert get(division_code="369901001002").name == "西山村"
    levels = {
        r.division_code: (r.level, r.grid_kind)
        for r in Region.objects.filter(division_code__startswith="3699010")
    }
    assert levels["369901003"][0] == "township" and levels["369901004"][0] == "street"
    assert levels["369901003001"][0] == "village" and levels["369901004001"][0] == "community"
    assert levels["369901003001001"] == ("grid", "comprehensive")
    assert_tree_sound(Region)


def test_region_whose_parent_is_missing(county, tmp_path):
    from dangjian.places.models import Region

    rows = [["369901003", "新建镇", "369901", "乡镇", ""], ["369901009001", "孤村", "369901009", "村", ""]]
    path = sheets.write(tmp_path, "regions", [REGION_HEADER, *rows], title="区划")
    before = Region.objects.count()
    status, result = call_import("regions", path)
    assert status == 1 and result["imported"] == 0 and result["rejected"] == 1
    assert [(e["row"], e["column"], e["value"]) for e in result["errors"]] == [
        (4, "上级区划代码", "369901009")
    ]
    assert CJK.search(result["errors"][0]["reason"])
    assert Region.objects.count() == before
    assert_tree_sound(Region)


@pytest.mark.parametrize(
    ("code", "parent", "level"),
    [("36990100", "369901", "乡镇"), ("3699010010011", "369901001", "村"), ("3699011", "", "县"),
     ("3699010010010011", "369901001001", "网格")],
    ids=["township-8", "village-13", "county-7", "grid-16"],
)  # fmt: skip
def test_region_code_of_wrong_length(county, tmp_path, code, parent, level):
    from dangjian.places.models import Region

    rows = [["369901003", "新建镇", "369901", "乡镇", ""], [code, "错码", parent, level, ""]]
    before = Region.objects.count()
    status, result = call_import(
        "regions", sheets.write(tmp_path, "regions", [REGION_HEADER, *rows], title="区划")
    )
    assert status == 1 and result["imported"] == 0 and result["rejected"] == 1
    errors = [e for e in result["errors"] if e["column"] == "区划代码"]
    assert errors and errors[0]["row"] == 4 and "位" in errors[0]["reason"], result["errors"]
    assert Region.objects.count() == before


def test_region_code_already_in_the_ledger(county, tmp_path):
    rows = [["369901001", "城关镇", "369901", "乡镇", ""]]
    status, result = call_import("regions", sheets.write(tmp_path, "regions", [REGION_HEADER, *rows]))
    assert status == 1 and [(e["row"], e["column"]) for e in result["errors"]] == [(2, "区划代码")]


@pytest.mark.parametrize("fmt", sheets.FORMATS)
def test_orgs_with_parents_earlier_in_the_file(county, tmp_path, fmt):
    from dangjian.orgs.models import PartyOrg

    rows = [
        ["D0103", "新建镇党委", "D01", "党委", "369901", dt.date(2020, 1, 1)],
        ["D010301", "新建村党支部", "D0103", "党支部", "", "2020/7/1"],
        [],
        ["D01030101", "第一党小组", "D010301", "党小组", "", ""],
        ["D010102", "东风村第二党支部", "D0101", "党支部", "369901001001", "2021年7月1日"],
    ]
    path = sheets.write(tmp_path, "orgs", [ORG_HEADER, *rows], fmt=fmt, title="党组织名册")
    before = PartyOrg.objects.count()
    status, result = call_import("orgs", path)
    assert (status, result) == (0, {"total": 4, "imported": 4, "rejected": 0, "errors": []})
    assert PartyOrg.objects.count() == before + 4
    get = PartyOrg.objects.get
    assert parent_of(get(code="D010301")).code == "D0103"
    assert parent_of(get(code="D01030101")).code == "D010301"
    assert get(code="D01030101").kind == "group"
    assert parent_of(get(code="D010102")) == county.town_a_org
    assert get(code="D010102").region == county.village_a
    assert get(code="D0103").founded_on == dt.date(2020, 1, 1)
    assert get(code="D010301").founded_on == dt.date(2020, 7, 1)
    assert get(code="D010102").founded_on == dt.date(2021, 7, 1)
    assert_tree_sound(PartyOrg)


def test_org_whose_parent_is_missing(county, tmp_path):
    from dangjian.orgs.models import PartyOrg

    rows = [["D0103", "新建镇党委", "D01", "党委", "", ""], ["D010901", "孤支部", "D0109", "党支部", "", ""]]
    before = PartyOrg.objects.count()
    status, result = call_import("orgs", sheets.write(tmp_path, "orgs", [ORG_HEADER, *rows], title="党组织"))
    assert status == 1 and result["imported"] == 0
    assert [(e["row"], e["column"], e["value"]) for e in result["errors"]] == [(4, "上级组织代码", "D0109")]
    assert CJK.search(result["errors"][0]["reason"])
    assert PartyOrg.objects.count() == before


def test_org_parent_outside_the_importing_users_scope(county, tmp_path):
    rows = [["D010202", "柳林村第二党支部", "D0102", "党支部", "", ""]]
    path = sheets.write(tmp_path, "orgs", [ORG_HEADER, *rows], title="党组织")
    status, result = call_import("orgs", path, "--as", "township_admin")
    assert status == 1 and [(e["row"], e["column"]) for e in result["errors"]] == [(3, "上级组织代码")]


@pytest.mark.parametrize("fmt", sheets.FORMATS)
def test_departments_with_parents_earlier_in_the_file(county, tmp_path, fmt):
    from dangjian.units.models import Department

    rows = [
        ["BM002", "县农业农村局", "", "369901"],
        ["BM002-01", "城关镇农业服务站", "BM002", "369901001"],
        ["BM001-02", "河西镇规划建设站", "BM001", 369901002],
    ]
    path = sheets.write(tmp_path, "departments", [DEPARTMENT_HEADER, *rows], fmt=fmt, title="职能部门")
    before = Department.objects.count()
    status, result = call_import("departments", path)
    assert (status, result) == (0, {"total": 3, "imported": 3, "rejected": 0, "errors": []})
    assert Department.objects.count() == before + 3
    station = Department.objects.get(code="BM002-01")
    assert parent_of(station).code == "BM002" and station.region == county.town_a
    assert parent_of(Department.objects.get(code="BM001-02")) == county.department
    assert Department.objects.get(code="BM002").is_root()
    assert_tree_sound(Department)


def test_department_whose_parent_is_missing(county, tmp_path):
    from dangjian.units.models import Department

    rows = [["BM002", "县农业农村局", "", "369901"], ["BM009-01", "孤站", "BM009", "369901001"]]
    before = Department.objects.count()
    status, result = call_import(
        "departments", sheets.write(tmp_path, "d", [DEPARTMENT_HEADER, *rows], title="部门")
    )
    assert status == 1 and result["imported"] == 0
    assert [(e["row"], e["column"], e["value"]) for e in result["errors"]] == [(4, "上级部门代码", "BM009")]
    assert Department.objects.count() == before


def test_department_with_unknown_region(county, tmp_path):
    rows = [["BM002", "县农业农村局", "", "369999"]]
    status, result = call_import("departments", sheets.write(tmp_path, "d", [DEPARTMENT_HEADER, *rows]))
    assert status == 1 and [(e["row"], e["column"]) for e in result["errors"]] == [(2, "所在区划代码")]


# --- properties: dates and ID numbers ---------------------------------------------------------------------

valid_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2999, 12, 31))


def _formats(day: dt.date) -> list:
    return [
        f"{day:%Y-%m-%d}",
        f"{day.year}/{day.month}/{day.day}",
        f"{day:%Y.%m.%d}",
        f"{day.year}年{day.month}月{day.day}日",
        f"{day:%Y%m%d}",
        day,
        dt.datetime(day.year, day.month, day.day),
    ]


@given(day=valid_dates)
def test_parse_date_accepts_every_format(day):
    for value in _formats(day):
        assert parse_date(value) == day, value
        if isinstance(value, str):
            assert parse_date(f" {value}\u3000") == day, value


@given(day=valid_dates)
def test_parse_date_zero_padded_separated_forms(day):
    assert parse_date(f"{day.year}/{day.month:02d}/{day.day:02d}") == day
    assert parse_date(f"{day.year}年{day.month:02d}月{day.day:02d}日") == day
    assert parse_date(f"{day.year}.{day.month}.{day.day}") == day


@given(year=st.integers(1900, 2999), month=st.integers(1, 12), day=st.integers(29, 31))
def test_parse_date_rejects_impossible_days(year, month, day):
    try:
        expected = dt.date(year, month, day)
    except ValueError:
        for text in (
            f"{year}-{month:02d}-{day:02d}",
            f"{year}年{month}月{day}日",
            f"{year}{month:02d}{day:02d}",
        ):
            with pytest.raises(DateError):
                parse_date(text)
    else:
        assert parse_date(f"{year}-{month:02d}-{day:02d}") == expected


births = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date.today())
regions = st.from_regex(r"[1-9][0-9]{5}", fullmatch=True)


@given(region=regions, birth=births, seq=st.integers(0, 999))
def test_make_id_number_round_trips(region, birth, seq):
    number = make_id_number(region, birth, seq)
    parsed = parse_id_number(number)
    assert len(number) == 18 and parsed.value == number
    assert parsed.birth_date == birth
    assert parsed.gender == ("male" if seq % 10 % 2 == 1 else "female")
    assert parsed.masked == number[:6] + "*" * 8 + number[-4:]
    assert parse_id_number(number.lower()).value == number


@given(region=regions, birth=births, seq=st.integers(0, 999), data=st.data())
def test_any_other_check_digit_is_rejected(region, birth, seq, data):
    number = make_id_number(region, birth, seq)
    other = data.draw(st.sampled_from([c for c in CHECK_CHARS if c != number[-1]]))
    with pytest.raises(IdNumberError):
        parse_id_number(number[:17] + other)
    if other == "X":
        with pytest.raises(IdNumberError):
            parse_id_number(number[:17] + "x")


@given(region=regions, birth=births, seq=st.integers(0, 999), data=st.data())
def test_any_single_digit_change_is_rejected(region, birth, seq, data):
    """GB 11643's check digit detects every single-character substitution, not only of the last character."""
    number = make_id_number(region, birth, seq)
    position = data.draw(st.integers(0, 16))
    digit = data.draw(st.sampled_from([d for d in "0123456789" if d != number[position]]))
    with pytest.raises(IdNumberError):
        parse_id_number(number[:position] + digit + number[position + 1 :])
