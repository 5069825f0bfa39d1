"""The command line: `dangjian import`, `dangjian export members` and `dangjian users`, through call_command."""

import datetime as dt
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dangjian.core import crypto
from dangjian.core.idnumber import make_id_number
from tests import sheets
from tests.sheets import call_import

TITLE = "东风村党支部党员花名册"
HEADER = ["姓名", "性别", "民族", "公民身份号码", "出生日期", "学历", "人员类别", "入党日期", "转为正式党员日期",
          "工作岗位", "联系电话", "所在党组织代码"]  # fmt: skip
CJK = re.compile(r"[\u4e00-\u9fff]")
_seq = iter(range(300, 1000))


def valid(name="周一", org="D010101", **changes) -> list:
    n = next(_seq)
    row = [name, "", "汉族", make_id_number("369901", dt.date(1992, 9, 9), n), "", "高中", "正式党员",
           "2015-07-01", "2016-07-01", "", "13800138002", org]  # fmt: skip
    for label, value in changes.items():
        row[HEADER.index(label)] = value
    return row


def roster(tmp_path, *rows, name="roster", fmt="xlsx") -> Path:
    return sheets.write(tmp_path, name, [HEADER, *rows], fmt=fmt, title=TITLE)


def run(*args, stdin: str | None = None, monkeypatch=None) -> tuple[int, str]:
    """call_command(*args) → (exit status, stdout). CommandError propagates."""
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    out = io.StringIO()
    try:
        call_command(*args, stdout=out)
    except SystemExit as exc:
        return (exc.code if isinstance(exc.code, int) else 1), out.getvalue()
    return 0, out.getvalue()


def member_names() -> set[str]:
    from dangjian.members.models import Member

    return set(Member.all_objects.values_list("name", flat=True))


# --- dangjian import ---------------------------------------------------------------------------------------


def test_import_success_exits_0_with_json_summary(county, tmp_path):
    path = roster(tmp_path, valid("周一"), [], valid("周二"))
    status, out = run("import", "members", str(path), "--format", "json")
    assert status == 0
    assert json.loads(out) == {"total": 2, "imported": 2, "rejected": 0, "errors": []}
    assert {"周一", "周二"} <= member_names()


def test_import_is_all_or_nothing_by_default(county, tmp_path):
    path = roster(tmp_path, valid("周一"), valid("周二", **{"所在党组织代码": "D999"}), valid("周三"))
    status, result = call_import("members", path)
    assert status == 1
    assert result["total"] == 3 and result["imported"] == 0 and result["rejected"] == 1
    assert member_names() == {"张三", "李四"}


def test_import_text_output_names_row_column_and_reason(county, tmp_path):
    path = roster(tmp_path, valid("周一"), valid("周二", **{"联系电话": "12345"}))
    status, out = run("import", "members", str(path))
    assert status == 1
    assert "第4行" in out and "联系电话" in out and "12345" in out
    assert member_names() == {"张三", "李四"}


def test_partial_import_writes_valid_rows_and_reports_rejected_ones(county, tmp_path):
    path = roster(tmp_path, valid("周一"), valid("周二", **{"入党日期": ""}), [], valid("周三"),
                  valid("周四", **{"学历": "幼儿园"}))  # fmt: skip
    status, result = call_import("members", path, "--partial")
    assert status == 1, "rejected rows must still give exit status 1"
    assert (result["total"], result["imported"], result["rejected"]) == (4, 2, 2)
    assert [(e["row"], e["column"]) for e in result["errors"]] == [(4, "入党日期"), (7, "学历")]
    assert member_names() == {"张三", "李四", "周一", "周三"}


def test_partial_import_without_errors_exits_0(county, tmp_path):
    status, result = call_import("members", roster(tmp_path, valid("周一")), "--partial")
    assert status == 0 and result == {"total": 1, "imported": 1, "rejected": 0, "errors": []}


def test_json_errors_have_row_column_value_and_reason(county, tmp_path):
    bad = valid("周二", **{"联系电话": "12345", "民族": "火星"})
    status, out = run("import", "members", str(roster(tmp_path, valid(), bad)), "--format", "json")
    assert status == 1
    result = json.loads(out)  # the whole of stdout is one JSON document
    assert set(result) == {"total", "imported", "rejected", "errors"}
    assert result["rejected"] == 1 and len(result["errors"]) == 2
    for error in result["errors"]:
        assert set(error) == {"row", "column", "value", "reason"}
        assert error["row"] == 4 and isinstance(error["value"], str) and CJK.search(error["reason"])
    assert {(e["column"], e["value"]) for e in result["errors"]} == {("联系电话", "12345"), ("民族", "火星")}


def test_error_report_is_written_to_xlsx(county, tmp_path):
    report = tmp_path / "errors.xlsx"
    path = roster(tmp_path, valid(), valid("周二", **{"所在党组织代码": "D999"}))
    status, _ = call_import("members", path, "--report", str(report))
    assert status == 1 and report.exists()
    rows = [r for r in sheets.read_xlsx(report) if any(v not in (None, "") for v in r)]
    header_index = next(i for i, r in enumerate(rows) if "原因" in r)
    header = rows[header_index]
    data = [dict(zip(header, r, strict=False)) for r in rows[header_index + 1 :]]
    assert len(data) == 1
    assert int(data[0]["行号"]) == 4 and data[0]["列"] == "所在党组织代码" and data[0]["值"] == "D999"
    assert CJK.search(data[0]["原因"])


def test_no_report_file_when_nothing_is_rejected(county, tmp_path):
    report = tmp_path / "errors.xlsx"
    assert call_import("members", roster(tmp_path, valid()), "--report", str(report))[0] == 0
    assert not report.exists()


def test_import_as_a_user_applies_their_scope(county, tmp_path):
    path = roster(tmp_path, valid("周一", org="D010101"), valid("周二", org="D010201"))
    status, result = call_import("members", path, "--partial", "--as", "township_admin")
    assert status == 1 and result["imported"] == 1
    assert [(e["row"], e["column"]) for e in result["errors"]] == [(4, "所在党组织代码")]
    assert "周一" in member_names() and "周二" not in member_names()


def test_import_without_as_acts_county_wide(county, tmp_path):
    path = roster(
        tmp_path, valid("周一", org="D010101"), valid("周二", org="D010201"), valid("周三", org="D01")
    )
    assert call_import("members", path)[0] == 0
    assert {"周一", "周二", "周三"} <= member_names()


def test_import_as_unknown_user_or_one_without_import_permission(county, tmp_path):
    path = roster(tmp_path, valid())
    with pytest.raises(CommandError, match="nobody"):
        call_command("import", "members", str(path), "--as", "nobody", stdout=io.StringIO())
    with pytest.raises(CommandError) as info:
        call_command("import", "members", str(path), "--as", "grid_worker", stdout=io.StringIO())
    assert CJK.search(str(info.value))
    assert member_names() == {"张三", "李四"}


def test_import_of_a_file_that_is_not_a_spreadsheet(county, tmp_path):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(b"this is not a spreadsheet")
    status, result = call_import("members", path)
    assert status == 1 and result["imported"] == 0
    assert result["errors"] and CJK.search(result["errors"][0]["reason"])


def test_every_import_writes_an_access_log_and_an_import_record(county, tmp_path):
    from dangjian.core.models import AccessLog, ImportRecord

    ok = roster(tmp_path, valid("周一"), name="ok")
    bad = roster(tmp_path, valid("周二"), valid("周三", **{"学历": "幼儿园"}), name="bad")
    assert call_import("members", ok)[0] == 0
    assert call_import("members", bad, "--as", "township_admin")[0] == 1
    logs = list(AccessLog.objects.filter(action="import").order_by("id"))
    assert len(logs) == 2
    assert logs[0].user is None and logs[0].count == 1
    assert logs[1].user == county.users["township_admin"] and logs[1].count == 0
    records = list(ImportRecord.objects.order_by("id"))
    assert [(r.kind, r.total, r.imported, r.rejected, r.partial) for r in records] == [
        ("members", 1, 1, 0, False), ("members", 2, 0, 1, False)]  # fmt: skip
    assert records[1].user == county.users["township_admin"]
    assert [(e["row"], e["column"]) for e in records[1].errors] == [(4, "学历")]


@pytest.mark.parametrize("fmt", sheets.FORMATS)
def test_import_every_kind_from_the_command_line(county, tmp_path, fmt):
    from dangjian.orgs.models import PartyOrg
    from dangjian.places.models import Region
    from dangjian.units.models import Department

    files = {
        "regions": [["区划代码", "名称", "上级区划代码", "层级", "网格类型"], ["369901003", "新建镇", "369901", "乡镇", ""]],
        "orgs": [["组织代码", "组织名称", "上级组织代码", "组织类别", "所在区划代码", "成立日期"],
                 ["D0103", "新建镇党委", "D01", "党委", "369901003", dt.date(2020, 1, 1)]],
        "departments": [["部门代码", "部门名称", "上级部门代码", "所在区划代码"], ["BM002", "县农业农村局", "", "369901"]],
        "members": [HEADER, valid("周一", org="D0103")],
    }  # fmt: skip
    for kind, rows in files.items():  # in dependency order: the org needs the region, the member the org
        status, result = call_import(kind, sheets.write(tmp_path, kind, rows, fmt=fmt, title="导入"))
        assert (status, result["imported"]) == (0, 1), (kind, result)
    assert Region.objects.filter(division_code="369901003").exists()
    assert PartyOrg.objects.get(code="D0103").region.division_code == "369901003"
    assert Department.objects.filter(code="BM002").exists()
    assert "周一" in member_names()


def test_console_script_offers_the_import_options():
    script = Path(sys.executable).with_name("dangjian")
    if not script.exists():
        pytest.skip("the dangjian console script is not installed in this environment")
    done = subprocess.run([str(script), "import", "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    for option in ("--partial", "--format", "--report", "--as"):
        assert option in done.stdout
    for kind in ("regions", "orgs", "departments", "members"):
        assert kind in done.stdout


# --- dangjian export ---------------------------------------------------------------------------------------


def exported(path) -> tuple[list, list[dict]]:
    """(header, data rows as dicts) of an exported roster, skipping the title row(s) above the header."""
    rows = sheets.read_xlsx(path)
    index = next(i for i, r in enumerate(rows) if "姓名" in r and "公民身份号码" in r)
    header = list(rows[index])
    data = [
        dict(zip(header, r, strict=False)) for r in rows[index + 1 :] if any(v not in (None, "") for v in r)
    ]
    return header, data


def test_export_scope_as_the_system_is_unmasked(county, tmp_path):
    from dangjian.core.models import AccessLog

    # a second member inside D0101's subtree, imported from a file, and one outside it
    path = roster(
        tmp_path, valid("周一", org="D010101"), valid("周二", org="D010201"), valid("周三", org="D0101")
    )
    assert call_import("members", path)[0] == 0
    out = tmp_path / "export.xlsx"
    status, _ = run("export", "members", str(out), "--scope", "D0101")
    assert status == 0 and out.exists()
    _, data = exported(out)
    assert sorted(r["姓名"] for r in data) == ["周一", "周三", "张三"]
    assert {r["所在党组织代码"] for r in data} <= {"D0101", "D010101"}
    zhang = next(r for r in data if r["姓名"] == "张三")
    assert zhang["公民身份号码"] == county.members["a"]._plain_id_number()
    assert str(zhang["联系电话"]) == "13800138000"
    log = AccessLog.objects.filter(action="export").get()
    assert log.user is None and log.count == 3


def test_export_as_branch_secretary_is_masked(county, tmp_path):
    from dangjian.core.models import AccessLog

    out = tmp_path / "export.xlsx"
    status, _ = run("export", "members", str(out), "--scope", "D0101", "--as", "branch_secretary")
    assert status == 0
    _, data = exported(out)
    assert [r["姓名"] for r in data] == ["张三"]
    plain = county.members["a"]._plain_id_number()
    assert data[0]["公民身份号码"] == plain[:6] + "********" + plain[-4:]
    assert data[0]["联系电话"] == "138****8000"
    raw = out.read_bytes()
    assert plain.encode() not in raw
    log = AccessLog.objects.filter(action="export").get()
    assert log.user == county.users["branch_secretary"] and log.count == 1


def test_export_as_branch_secretary_stays_inside_their_scope(county, tmp_path):
    out = tmp_path / "export.xlsx"
    assert run("export", "members", str(out), "--as", "branch_secretary")[0] == 0
    assert [r["姓名"] for r in exported(out)[1]] == ["张三"]


def test_every_export_is_audited(county, tmp_path):
    from dangjian.core.models import AccessLog

    for i, args in enumerate([(), ("--scope", "D0102"), ("--as", "county_admin"), ("--masked",)]):
        assert run("export", "members", str(tmp_path / f"e{i}.xlsx"), *args)[0] == 0
    assert AccessLog.objects.filter(action="export").count() == 4


def test_exported_roster_is_a_valid_import_file(county, tmp_path):
    """The export uses the import template's headers: importing it again finds every ID number taken."""
    out = tmp_path / "export.xlsx"
    assert run("export", "members", str(out))[0] == 0
    status, result = call_import("members", out)
    assert status == 1 and result["total"] == 2 and result["rejected"] == 2
    assert {e["column"] for e in result["errors"]} == {"公民身份号码"}
    assert {e["row"] for e in result["errors"]} == {3, 4}  # title row 1, header row 2


# --- dangjian users ----------------------------------------------------------------------------------------


def test_users_add_reads_the_password_from_stdin(county, monkeypatch):
    from dangjian.accounts.models import User

    status, out = run("users", "add", "alice", "--role", "township_admin", "--scope", "369901002",
                      stdin="Strong@2026pw\n", monkeypatch=monkeypatch)  # fmt: skip
    assert status == 0
    assert "Strong@2026pw" not in out
    user = User.objects.get(username="alice")
    assert user.check_password("Strong@2026pw")
    assignment = user.assignments.get()
    assert assignment.role == "township_admin" and assignment.region == county.town_b


def test_users_add_generates_and_prints_a_password_when_stdin_is_empty(county, monkeypatch):
    from dangjian.accounts.models import User

    status, out = run("users", "add", "bob", "--role", "branch_secretary", "--scope", "D010201", stdin="",
                      monkeypatch=monkeypatch)  # fmt: skip
    assert status == 0
    match = re.search(r"初始密码[:：]\s*(\S+)", out)
    assert match, out
    user = User.objects.get(username="bob")
    assert user.check_password(match.group(1))
    assert user.assignments.get().org == county.branch_b


@pytest.mark.parametrize("weak", ["abc", "abcdefgh", "12345678"])
def test_users_add_refuses_a_weak_password_in_chinese(county, monkeypatch, weak):
    from dangjian.accounts.models import User

    with pytest.raises(CommandError) as info:
        run("users", "add", "carol", "--role", "county_admin", "--scope", "369901", stdin=weak + "\n",
            monkeypatch=monkeypatch)  # fmt: skip
    assert CJK.search(str(info.value)) and "密码" in str(info.value), str(info.value)
    assert not User.objects.filter(username="carol").exists()


def test_users_add_refuses_an_unknown_scope(county, monkeypatch):
    with pytest.raises(CommandError) as info:
        run("users", "add", "dave", "--role", "county_admin", "--scope", "X404", stdin="Strong@2026pw\n",
            monkeypatch=monkeypatch)  # fmt: skip
    assert "X404" in str(info.value)


def test_users_token_prints_only_the_token_and_it_works_against_the_api(county, monkeypatch, client):
    assert run("users", "add", "erin", "--role", "county_admin", "--scope", "369901", stdin="Strong@2026pw\n",
               monkeypatch=monkeypatch)[0] == 0  # fmt: skip
    status, out = run("users", "token", "erin")
    assert status == 0
    token = out.strip()
    assert re.fullmatch(r"[0-9a-f]{40}", token), out
    assert out.count("\n") <= 1

    assert client.get("/api/v1/members/").status_code in (401, 403)
    response = client.get("/api/v1/members/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    body = response.json()
    assert "results" in body and len(body["results"]) == 2
    assert all("*" in m["id_number"] for m in body["results"])

    # a new token replaces the old one
    new = run("users", "token", "erin")[1].strip()
    assert new != token
    assert client.get("/api/v1/members/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401
    assert client.get("/api/v1/members/", HTTP_AUTHORIZATION=f"Token {new}").status_code == 200


def test_users_token_for_an_unknown_user(county):
    with pytest.raises(CommandError):
        call_command("users", "token", "nobody", stdout=io.StringIO())


def test_imported_members_are_findable_by_id_number(county, tmp_path):
    """The blind index written by the import is the one the ledger searches with."""
    from dangjian.members.services import find_by_id_number

    row = valid("周一")
    assert call_import("members", roster(tmp_path, row))[0] == 0
    found = find_by_id_number(row[HEADER.index("公民身份号码")])
    assert [m.name for m in found] == ["周一"]
    assert crypto.decrypt(found.get().id_number_enc) == row[HEADER.index("公民身份号码")]
