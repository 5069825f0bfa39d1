"""Recruitment pages through the Django test client: list (filters, export), application form, person page
with the next step and its rules, recording a step, and the rule-set pages."""

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.recruitment import services
from dangjian.recruitment.models import RecruitmentCase, RuleSet
from tests.browser_helpers import read_xlsx, table_after_header
from tests.factories import id_number

D = dt.date


@pytest.fixture
def cases(county):
    late = services.do_open_case(actor=None, org=county.branch_a, name="王五", id_number=id_number(D(2000, 1, 1)),
                                 applied_on=D(2026, 1, 31))
    fresh = services.do_open_case(actor=None, org=county.branch_a, name="周一", id_number=id_number(D(2001, 1, 1)),
                                  applied_on=dt.date.today())
    other = services.do_open_case(actor=None, org=county.branch_b, name="赵六", id_number=id_number(D(2000, 1, 1)),
                                  applied_on=D(2026, 3, 2))
    return late, fresh, other


@pytest.mark.django_db
def test_list_filters_and_export(login, county, cases):
    client = login(county.users["township_admin"])
    page = client.get(reverse("recruitment-list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "王五" in html and "周一" in html and "赵六" not in html  # town B is outside the scope
    assert "发展党员" in html and "登记入党申请" in html
    overdue = client.get(reverse("recruitment-list"), {"overdue": "true"}).content.decode()
    assert "王五" in overdue and "周一" not in overdue and "已超期" in overdue
    assert "王五" not in client.get(reverse("recruitment-list"), {"overdue": "false"}).content.decode()
    assert "王五" not in client.get(reverse("recruitment-list"), {"stage": "2"}).content.decode()
    assert "王五" in client.get(reverse("recruitment-list"), {"q": "王"}).content.decode()
    export = client.get(reverse("recruitment-list"), {"export": "xlsx", "overdue": "true"})
    assert export.status_code == 200
    header, rows = table_after_header(read_xlsx(export.content), "姓名")
    assert [r["姓名"] for r in rows] == ["王五"] and rows[0]["下一步骤"] == "2. 党组织派人谈话"


@pytest.mark.django_db
def test_the_application_form_opens_a_case(login, county):
    client = login(county.users["branch_secretary"])
    assert client.get(reverse("recruitment-add")).status_code == 200
    data = {"org": county.branch_a.pk, "name": "冯二", "id_number": id_number(D(1999, 9, 9)),
            "applied_on": "2026-11-02", "document_names": "入党申请书"}
    response = client.post(reverse("recruitment-add"), data)
    case = RecruitmentCase.objects.get(member__name="冯二")
    assert response.status_code == 302 and response["Location"] == reverse("recruitment-detail", args=[case.pk])
    again = client.post(reverse("recruitment-add"), data)
    assert again.status_code == 400 and "公民身份号码已在党员名册中" in again.content.decode()
    future = client.post(reverse("recruitment-add"), {**data, "id_number": id_number(), "applied_on": "2999-01-01"})
    assert future.status_code == 400 and "递交入党申请书日期：不能晚于今天" in future.content.decode()


@pytest.mark.django_db
def test_person_page_shows_the_25_steps_and_the_next_step_with_its_rules(login, county, cases):
    late, _, _ = cases
    client = login(county.users["branch_secretary"])
    html = client.get(reverse("recruitment-detail", args=[late.pk])).content.decode()
    for name in ("递交入党申请书", "推荐和确定入党积极分子", "开展集中培训", "再上一级党委组织部门备案", "材料归档"):
        assert name in html
    assert html.count('data-testid="step-') == 25
    assert "第2步 党组织派人谈话" in html and "2026-02-28" in html and "（已超期）" in html
    assert "党组织派人谈话应在递交入党申请书后1个月内" in html
    assert "《中国共产党发展党员工作细则》（中办发〔2014〕28号，2014-06-10起施行）第七条" in html
    assert "不早于上一步骤的日期（2026-01-31）" in html
    assert 'data-testid="warnings"' in html and "至今未登记" in html
    other = cases[2]
    assert client.get(reverse("recruitment-detail", args=[other.pk])).status_code == 404


@pytest.mark.django_db
def test_recording_a_step_warns_about_a_late_date(login, county, cases):
    late, _, _ = cases
    client = login(county.users["branch_secretary"])
    form = client.get(reverse("recruitment-step", args=[late.pk, 2])).content.decode()
    assert "最迟 <strong>2026-02-28</strong>" in form
    response = client.post(reverse("recruitment-step", args=[late.pk, 2]),
                           {"done_on": "2026-03-05", "responsible": "李书记"}, follow=True)
    html = response.content.decode()
    assert "已登记，但不符合时限：党组织派人谈话应在递交入党申请书后1个月内" in html
    assert "谈话时限：过晚" in html
    refused = client.post(reverse("recruitment-step", args=[late.pk, 5]), {"done_on": "2026-03-05"}, follow=True)
    assert "之前须先登记第3步" in refused.content.decode()
    assert not late.step_records.filter(step=5).exists()
    early = client.post(reverse("recruitment-step", args=[late.pk, 3]), {"done_on": "2026-03-04"})
    assert early.status_code == 400 and "不能早于第2步“党组织派人谈话”（申请入党）的日期（2026-03-05）" in early.content.decode()
    assert client.get(reverse("recruitment-step", args=[late.pk, 99])).status_code == 404


@pytest.mark.django_db
def test_rule_sets_are_listed_and_confirmed_by_the_county_admin(login, county, cases):
    client = login(county.users["county_admin"])
    html = client.get(reverse("recruitment-rulesets")).content.decode()
    assert "今日适用" in html and "未确认，不适用" in html and "党组织派人谈话应在递交入党申请书后1个月内" in html
    revised = RuleSet.objects.get(code="2026")
    edit = reverse("recruitment-ruleset-edit", args=[revised.pk])
    assert "待按正式文本录入" in client.get(edit).content.decode()
    data = {"document": "《中国共产党发展党员工作细则》", "doc_number": "中办发〔2026〕99号", "issued_on": "2026-05-20",
            "effective_on": "2026-06-01", "note": "", "confirm": "on"}
    for rule in revised.rules.all():
        data.update({f"{rule.code}-amount": rule.amount, f"{rule.code}-unit": rule.unit,
                     f"{rule.code}-article": rule.article})
        if rule.kind == "training":
            data.update({f"{rule.code}-alt_amount": rule.alt_amount, f"{rule.code}-alt_unit": rule.alt_unit})
    refused = client.post(edit, data)
    assert refused.status_code == 400 and "确认生效前须按正式文本录入条款" in refused.content.decode()
    for rule in revised.rules.all():
        data[f"{rule.code}-article"] = "第十条"
    data["talk-amount"] = "20"
    data["talk-unit"] = "days"
    assert client.post(edit, data).status_code == 302
    revised.refresh_from_db()
    assert revised.in_force and revised.rules.get(code="talk").amount == 20
    page = client.get(reverse("recruitment-detail", args=[cases[1].pk])).content.decode()
    assert "党组织派人谈话应在递交入党申请书后20天内" in page
    assert "中办发〔2026〕99号，2026-06-01起施行）第十条" in page


@pytest.mark.django_db
def test_a_recorded_step_is_corrected_on_the_same_page_and_downloads_are_logged(login, county):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dangjian.core.models import AccessLog
    from dangjian.recruitment.models import StepDocument

    case = services.do_open_case(actor=None, org=county.branch_a, name="陈三", id_number=id_number(D(2000, 2, 2)),
                                 applied_on=D(2026, 3, 2), responsible="张三",
                                 files=[SimpleUploadedFile("申请书.pdf", b"%PDF-1.4 x", "application/pdf")])
    services.do_record_step(actor=None, case=case, step=2, done_on=D(2026, 3, 10), responsible="张三")
    client = login(county.users["branch_secretary"])
    page = client.get(reverse("recruitment-detail", args=[case.pk])).content.decode()
    assert 'data-testid="edit-2"' in page and 'data-testid="edit-1"' in page
    form = client.get(reverse("recruitment-step", args=[case.pk, 2])).content.decode()
    assert "修改第2步“党组织派人谈话”" in form and 'value="2026-03-10"' in form
    response = client.post(reverse("recruitment-step", args=[case.pk, 2]),
                           {"done_on": "2026-03-12", "responsible": "李四"}, follow=True)
    assert "已修改第2步" in response.content.decode()
    assert case.step_records.get(step=2).done_on == D(2026, 3, 12)
    doc = StepDocument.objects.get(record__case=case)
    download = client.get(reverse("recruitment-document", args=[doc.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 x"
    log = AccessLog.objects.get(object_type="recruitment_document")
    assert log.user == county.users["branch_secretary"] and "陈三" in log.object_repr
