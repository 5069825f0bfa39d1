"""Checkup pages through the Django test client: the 体检报告 counts and drill-down, the findings list and its
export, the waive form, the 本月待办 calendar, the rule settings, and 404 outside the user's scope."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.checkup import engine
from dangjian.checkup.models import Finding, RuleSetting
from dangjian.checkup.registry import RULES, Citation, Rule, Violation, register_rule
from dangjian.core.models import AccessLog
from dangjian.orgs.models import PartyOrg
from tests.browser_helpers import read_xlsx, table_after_header

FEW = "org.branch.too_few_full_members"
TODAY = timezone.localdate()


@pytest.fixture
def checked(county):
    engine.run("", TODAY)
    return county


def _row(html: str, rule_id: str) -> str:
    match = re.search(rf'<tr data-rule="{re.escape(rule_id)}">(.*?)</tr>', html, re.S)
    assert match, rule_id
    return match.group(1)


def _count(row_html: str, kind: str) -> int:
    return int(re.search(rf'data-count="{kind}"[^>]*>(\d+)<', row_html).group(1))


def test_report_counts_by_rule_and_drills_down_to_the_list(checked, login):
    client = login(checked.users["county_admin"])
    html = client.get(reverse("checkup-report")).content.decode()
    assert "中共示范县委员会" in html and "立即体检" in html
    row = _row(html, FEW)
    assert _count(row, "open") == 2 and _count(row, "waived") == 0
    assert RULES[FEW].title in row and "《中国共产党支部工作条例（试行）》" in row
    drill = re.search(r'href="([^"]+)"[^>]*>2<', row).group(1).replace("&amp;", "&")
    assert drill == f"/checkup/findings/?org=D01&rule={FEW}&status=open"
    listed = client.get(drill).content.decode()
    assert re.search(r'data-testid="total">2<', listed) and "东风村党支部" in listed and "柳林村党支部" in listed
    # every registered rule has a row, and the totals by severity add up to the open findings
    for rule_id in RULES:
        _row(html, rule_id)
    open_total = Finding.objects.filter(status="open").count()
    assert re.search(rf'data-testid="total-open">{open_total}<', html)
    # a township administrator sees only town A, and the child table drills into the branch
    client = login(checked.users["township_admin"])
    html = client.get(reverse("checkup-report")).content.decode()
    assert "城关镇党委" in html and _count(_row(html, FEW), "open") == 1
    assert 'href="?org=D010101"' in html
    assert client.get(reverse("checkup-report") + "?org=D0102").status_code == 404
    assert client.get(reverse("checkup-report") + "?org=NOPE").status_code == 404


def test_run_now_checks_the_subtree_for_those_who_may_change_it(county, login):
    client = login(county.users["branch_secretary"])
    assert not Finding.objects.exists()
    response = client.post(reverse("checkup-run"), {"org": "D010101"})
    assert response.status_code == 302 and response["Location"] == "/checkup/?org=D010101"
    assert set(Finding.objects.values_list("org_path", flat=True)) == {county.branch_a.path}
    assert client.post(reverse("checkup-run"), {"org": "D010201"}).status_code == 404
    assert "立即体检" not in login(county.users["member"]).get(reverse("checkup-findings")).content.decode()


def test_findings_list_filters_paginates_and_exports(checked, login):
    client = login(checked.users["county_admin"])
    url = reverse("checkup-findings")
    total = Finding.objects.count()
    html = client.get(url).content.decode()
    assert re.search(rf'data-testid="total">{total}<', html)
    for query, expected in ((f"?rule={FEW}", 2), (f"?rule={FEW}&org=D0101", 1), ("?status=waived", 0),
                            (f"?rule={FEW}&severity=warning", 2), (f"?rule={FEW}&severity=error", 0),
                            ("?org=NOPE", 0)):
        assert re.search(rf'data-testid="total">{expected}<', client.get(url + query).content.decode()), query
    response = client.get(url + f"?rule={FEW}&export=xlsx")
    assert response.status_code == 200
    header, rows = table_after_header(read_xlsx(response.content), "问题")
    assert {"规则", "级别", "所在党组织", "期限", "规则编号", "依据"} <= set(header)
    assert sorted(r["所在党组织"] for r in rows) == ["东风村党支部", "柳林村党支部"]
    assert {r["规则编号"] for r in rows} == {FEW}
    log = AccessLog.objects.get(action="export", object_type="checkup_finding")
    assert log.count == 2 and log.user == checked.users["county_admin"]
    # a secretary's list holds only the branch's findings
    html = login(checked.users["branch_secretary"]).get(url + f"?rule={FEW}").content.decode()
    assert "东风村党支部" in html and "柳林村党支部" not in html


def test_waive_form_refuses_in_chinese_and_records_who_and_why(checked, login):
    finding = Finding.objects.get(rule=FEW, subject_code="D010101")
    client = login(checked.users["branch_secretary"])
    url = reverse("checkup-finding", args=[finding.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="waive-form"' in page and finding.citation in page
    response = client.post(url, {"action": "waive", "reason": "   "})
    assert response.status_code == 400 and "请填写豁免理由" in response.content.decode()
    response = client.post(url, {"action": "waive", "reason": "x" * 301})
    assert response.status_code == 400 and "豁免理由不能超过 300 字" in response.content.decode()
    finding.refresh_from_db()
    assert finding.status == "open"
    response = client.post(url, {"action": "waive", "reason": "正与邻村筹建联合党支部"})
    assert response.status_code == 302
    finding.refresh_from_db()
    assert (finding.status, finding.waived_by, finding.waived_reason) == ("waived", checked.users["branch_secretary"],
                                                                          "正与邻村筹建联合党支部")
    page = client.get(url).content.decode()
    assert 'data-testid="reopen-form"' in page and "正与邻村筹建联合党支部" in page
    report = login(checked.users["county_admin"]).get(reverse("checkup-report")).content.decode()
    assert _count(_row(report, FEW), "waived") == 1 and _count(_row(report, FEW), "open") == 1
    client = login(checked.users["branch_secretary"])
    assert client.post(url, {"action": "reopen"}).status_code == 302
    finding.refresh_from_db()
    assert finding.status == "open"
    assert client.post(url, {"action": "reopen"}).status_code == 400  # nothing to reopen any more
    other = Finding.objects.get(rule=FEW, subject_code="D010201")
    assert client.get(reverse("checkup-finding", args=[other.pk])).status_code == 404
    assert client.post(reverse("checkup-finding", args=[other.pk]), {"action": "waive", "reason": "x"}).status_code == 404
    # a user who may only view sees the finding but no form
    viewer = login(checked.users["grid_worker"])
    assert viewer.get(url).status_code == 404  # no organisation in a grid worker's scope


@pytest.fixture
def month_rules():
    """Two test-only rules: one already violated with a deadline earlier this month (overdue), one that becomes
    a violation after a deadline later this month (it must show as coming)."""
    first = TODAY.replace(day=1)
    deadline = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)  # the month's last day
    cite = Citation("《测试规则》", "第二条", "2026", "2026-01-01")

    def branches(path):
        return PartyOrg.objects.filter(path__startswith=path, kind__in=PartyOrg.BRANCH_KINDS)

    def coming(path, as_of, params):
        if as_of > deadline:
            for org in branches(path):
                yield Violation("org", org.pk, org.code, org.path, f"{org.name}月底前须完成测试事项", due=deadline)

    def overdue(path, as_of, params):
        for org in branches(path):
            yield Violation("org", org.pk, org.code, org.path, f"{org.name}测试事项已超期", due=first)

    rules = [register_rule(Rule("test.coming", "测试将到期事项", cite, "warning", "org", coming)),
             register_rule(Rule("test.overdue", "测试超期事项", cite, "error", "org", overdue))]
    yield deadline
    for rule in rules:
        RULES.pop(rule.id)


def test_calendar_shows_overdue_due_and_coming_items_with_their_article(county, login, month_rules):
    engine.run("", TODAY)
    client = login(county.users["branch_secretary"])
    html = client.get(reverse("checkup-calendar")).content.decode()
    assert "东风村党支部" in html and f"{TODAY.year}年{TODAY.month}月" in html
    coming = re.findall(r'<tr (?:id="[^"]+" )?data-kind="upcoming" data-rule="test.coming">(.*?)</tr>', html, re.S)
    assert len(coming) == 1 and "月底前须完成测试事项" in coming[0] and "《测试规则》" in coming[0]
    assert month_rules.strftime("%m-%d") in coming[0]
    cell = re.search(rf'data-day="{month_rules.isoformat()}">(.*?)</td>', html, re.S).group(1)
    assert "测试将到期事项" in cell and "dj-plan-upcoming" in cell
    first = TODAY.replace(day=1)
    kind = "overdue" if first < TODAY else "due"
    assert re.search(rf'data-kind="{kind}" data-rule="test.overdue"', html)
    # the other branch's items are not in this secretary's calendar
    assert "柳林村党支部" not in html
    # an open finding whose deadline passed before this month is listed above the grid, with its article
    Finding.objects.filter(rule=FEW, subject_code="D010101").update(due=first - dt.timedelta(days=1))
    html = client.get(reverse("checkup-calendar")).content.decode()
    above_grid = html.split('data-testid="month-grid"')[0]
    assert 'data-testid="carried"' in above_grid and "东风村党支部只有正式党员" in above_grid
    assert f"期限 {first - dt.timedelta(days=1):%Y-%m-%d}" in html
    # next month: nothing is projected from this month's deadline, the month is named
    next_month = (first + dt.timedelta(days=32)).replace(day=1)
    html = client.get(reverse("checkup-calendar") + f"?month={next_month:%Y-%m}").content.decode()
    assert f"{next_month.year}年{next_month.month}月" in html and 'data-rule="test.coming"' not in html
    bad = client.get(reverse("checkup-calendar") + "?month=2026-13").content.decode()
    assert "格式应为 2026-11" in bad
    assert client.get(reverse("checkup-calendar") + "?org=D010201").status_code == 404


def test_rule_settings_page_lists_every_rule_and_saves_typed_values(county, login):
    client = login(county.users["county_admin"])
    html = client.get(reverse("checkup-rules")).content.decode()
    for rule in RULES.values():
        assert f'data-rule="{rule.id}"' in html
    assert str(RULES[FEW].citation) in html
    url = reverse("checkup-rule-edit", args=[FEW]) + "?org=D0102"
    form = client.get(url).content.decode()
    assert 'name="minimum"' in form and "默认值 3" in form and "整数" in form
    response = client.post(url, {"org": "D0102", "minimum": "两", "enabled": "on"})
    body = response.content.decode()
    assert response.status_code == 400 and "应为整数" in body and "“两”不是整数" in body
    assert not RuleSetting.objects.exists()
    response = client.post(url, {"org": "D0102", "minimum": "1", "enabled": "on"})
    assert response.status_code == 302 and response["Location"] == "/checkup/rules/?org=D0102"
    setting = RuleSetting.objects.get()
    assert (setting.org, setting.params, setting.enabled) == (county.town_b_org, {"minimum": 1}, True)
    html = client.get(reverse("checkup-rules") + "?org=D0102").content.decode()
    assert re.search(rf'data-rule="{re.escape(FEW)}">.*?本级设置', html, re.S)
    assert "下级另有 1 处设置" in client.get(reverse("checkup-rules")).content.decode()
    assert client.post(url, {"org": "D0102", "action": "reset"}).status_code == 302
    assert not RuleSetting.objects.exists()
    assert login(county.users["township_admin"]).get(url).status_code == 404
