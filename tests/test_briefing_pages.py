"""The briefing pages through the Django test client: the 工作通报 preview and its audited .docx download, the
exchange-material figures page, uploading real and broken .docx templates, filling them, and scope."""

import io
import re

import pytest
from django.urls import reverse
from docx import Document

from dangjian.core.models import AccessLog
from dangjian.reports import briefing
from dangjian.reports.briefing_models import BriefingTemplate
from tests.briefing_helpers import build_briefing_county, template_docx

NOVEMBER = {"scope": "369901", "month": "2026-11"}


@pytest.fixture
def county_b(county):
    return build_briefing_county(county)


def docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    footers = [p.text for s in doc.sections for p in s.footer.paragraphs]
    return "\n".join([p.text for p in doc.paragraphs] + footers)


def upload(client, data: bytes, name="月度通报", filename="通报模板.docx", scope="369901"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(reverse("briefing-templates"), {"name": name, "scope": scope,
                                                       "file": SimpleUploadedFile(filename, data)})


@pytest.mark.django_db
def test_briefing_page_and_download(client, county_b):
    client.force_login(county_b.users["county_admin"])
    page = client.get(reverse("briefing"), NOVEMBER)
    assert page.status_code == 200
    html = page.content.decode()
    assert "关于示范县2026年11月" in html and "受理率71.4%（5/7）" in html and "80.0%（4/5）" in html
    assert "中共示范县委组织部" in html
    # the page sits in the reports menu group, with breadcrumbs and a download button
    assert re.search(r'class="nav-link active" href="/reports/briefing/">工作通报', html)
    assert "交流材料数据" in html and "通报模板" in html and 'data-testid="export"' in html
    response = client.get(reverse("briefing"), NOVEMBER | {"export": "docx", "issuer": "示范县委组织部"})
    assert response.status_code == 200
    assert response["Content-Type"] == briefing_views_docx()
    assert "attachment" in response["Content-Disposition"]
    text = docx_text(response.content)
    assert "受理率71.4%（5/7）" in text and "示范县委组织部" in text
    log = AccessLog.objects.get(object_type="briefing")
    assert (log.action, log.user, log.detail["scope"], log.detail["period"]) == (
        "export", county_b.users["county_admin"], "369901", "2026-11")


def briefing_views_docx() -> str:
    from dangjian.reports.briefing_views import DOCX

    return DOCX


@pytest.mark.django_db
def test_briefing_page_month_warnings_and_scope(client, county_b):
    client.force_login(county_b.users["county_admin"])
    page = client.get(reverse("briefing"), {"scope": "369901", "month": "2026-13"})
    assert page.status_code == 200 and "统计月份“2026-13”无效，应为 2026-11 这样的写法" in page.content.decode()
    assert "还没有到" in client.get(reverse("briefing"), {"month": "2099-01"}).content.decode()
    assert client.get(reverse("briefing"), {"scope": "nonsense"}).status_code == 404
    client.force_login(county_b.users["township_admin"])  # 城关镇
    assert client.get(reverse("briefing"), {"scope": "369901002", "month": "2026-11"}).status_code == 404
    assert client.get(reverse("briefing"), {"scope": "D0102"}).status_code == 404
    assert client.get(reverse("briefing"), {"scope": "369901002", "export": "docx"}).status_code == 404
    own = client.get(reverse("briefing"), {"month": "2026-11"})
    assert own.status_code == 200 and "关于城关镇2026年11月" in own.content.decode()
    for role in ("grid_worker", "member", "resident", "department_handler"):
        client.force_login(county_b.users[role])
        assert client.get(reverse("briefing")).status_code == 404, role
    assert not AccessLog.objects.filter(object_type="briefing").exists()


@pytest.mark.django_db
def test_figures_page_fills_text_and_lists_every_variable(client, county_b):
    client.force_login(county_b.users["county_admin"])
    page = client.get(reverse("briefing-figures"), NOVEMBER)
    assert page.status_code == 200
    html = page.content.decode()
    catalog = page.context["catalog"]
    rows = {r["key"]: r for r in catalog}
    assert rows["tickets.dispatched"]["display"] == "7件" and rows["tickets.acceptance_rate"]["display"] == "71.4%"
    from dangjian.reports.registry import metrics_on

    for m in metrics_on():  # every registered metric is listed with its label
        assert f"<code>{m.key}</code>" in html and m.label in html
    response = client.post(reverse("briefing-figures"), NOVEMBER | {
        "text": "流转事件工单{{ tickets.dispatched }}件，受理率达{{ tickets.acceptance_rate|percent }}"})
    assert response.status_code == 200
    assert response.context["result"] == "流转事件工单7件，受理率达71.4%"
    assert "流转事件工单7件，受理率达71.4%" in response.content.decode()
    bad = client.post(reverse("briefing-figures"), NOVEMBER | {"text": "第一行\n{{ tickets.dispatchd }}"})
    assert bad.status_code == 400
    assert bad.context["problems"] == ["第2行：未知变量 tickets.dispatchd"]
    assert "第2行：未知变量 tickets.dispatchd" in bad.content.decode() and bad.context["result"] is None
    # a year works too (flows summed over its months)
    year = client.post(reverse("briefing-figures"), {"scope": "369901", "month": "2026",
                                                     "text": "{{ period.label }}{{ tickets.dispatched }}"})
    assert year.context["result"] == "2026年10"
    client.force_login(county_b.users["township_admin"])
    assert client.get(reverse("briefing-figures"), {"scope": "369901"}).status_code == 404


@pytest.mark.django_db
def test_upload_render_and_delete_a_real_docx_template(client, county_b, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    client.force_login(county_b.users["county_admin"])
    data = template_docx("{{ scope.name }}{{ period.label }}工作简报",
                         "流转事件工单{{ tickets.dispatched }}件，受理率达{{ tickets.acceptance_rate|percent }}，"
                         "较上月{{ mom.tickets.acceptance_rate }}。",
                         "{%p if checkup.open %}", "待整改问题{{ checkup.open }}个。", "{%p endif %}",
                         footer="{{ org.name }}")
    response = upload(client, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    t = BriefingTemplate.objects.get()
    assert (t.name, t.original_name, t.scope_code, t.uploaded_by) == ("月度通报", "通报模板.docx", "369901",
                                                                      county_b.users["county_admin"])
    assert t.variables == ["scope.name", "period.label", "tickets.dispatched", "tickets.acceptance_rate",
                           "mom.tickets.acceptance_rate", "checkup.open", "org.name"]
    page = client.get(reverse("briefing-templates"), NOVEMBER)
    html = page.content.decode()
    assert "月度通报" in html and "<code>tickets.dispatched</code>" in html and "7件" in html  # every variable, its value
    # November's stock figures (open findings) come from its month snapshot, as `dangjian tick` keeps them
    from dangjian.reports.services import do_refresh
    from tests.briefing_helpers import NOW

    do_refresh(kinds=("month",), day=NOW.date(), now=NOW)
    rendered = client.get(reverse("briefing-template-render", args=[t.pk]), NOVEMBER)
    assert rendered.status_code == 200 and rendered["Content-Type"] == briefing_views_docx()
    text = docx_text(rendered.content)
    assert "示范县2026年11月工作简报" in text
    assert "流转事件工单7件，受理率达71.4%，较上月提高4.8个百分点。" in text
    assert "待整改问题3个。" in text and "中共示范县委员会" in text
    log = AccessLog.objects.get(object_type="briefing")
    assert log.detail["template"] == t.pk and log.object_repr == "月度通报-示范县-2026年11月"
    # a township admin may use the county's template for the township, but not delete it
    client.force_login(county_b.users["township_admin"])
    town = client.get(reverse("briefing-template-render", args=[t.pk]), {"month": "2026-11"})
    assert town.status_code == 200 and "城关镇2026年11月工作简报" in docx_text(town.content)
    assert "流转事件工单5件，受理率达80.0%" in docx_text(town.content)
    refused = client.post(reverse("briefing-template-delete", args=[t.pk]), follow=True)
    assert "只有上传人或该范围的管理员可以删除模板" in refused.content.decode()
    assert BriefingTemplate.objects.filter(pk=t.pk).exists()
    client.force_login(county_b.users["county_admin"])
    stored = tmp_path / t.file.name
    assert stored.exists()
    with django_capture_on_commit():
        client.post(reverse("briefing-template-delete", args=[t.pk]))
    assert not BriefingTemplate.objects.exists() and not stored.exists()


def django_capture_on_commit():
    """Run on_commit callbacks of the block (the test runs inside a transaction)."""
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


@pytest.mark.django_db
def test_broken_uploads_are_refused_in_chinese(client, county_b, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = str(tmp_path)
    client.force_login(county_b.users["county_admin"])
    cases = [
        (b"%PDF-1.4 not a word file", "通报.docx", "模板文件：不是 Word 文档（.docx）"),
        (b"PK\x03\x04broken zip", "通报.docx", "模板文件：不是 Word 文档（.docx）"),
        (template_docx("x"), "通报.doc", "模板文件：“通报.doc”不是 .docx 文件"),
        (template_docx("流转事件工单{{ tickets.dispatchd }}件"), "通报.docx",
         "模板内容有误：正文段落“流转事件工单{{ tickets.dispatchd }}件”：未知变量 tickets.dispatchd"),
        (template_docx("好", "受理率{{ tickets.acceptance_rate|percnt }}"), "通报.docx",
         "模板内容有误：正文段落“受理率{{ tickets.acceptance_rate|percnt }}”：未知过滤器 percnt"),
        (template_docx("正文", footer="{{ org.nam }}"), "通报.docx",
         "模板内容有误：页脚段落“{{ org.nam }}”：未知变量 org.nam"),
        (template_docx("{{ tickets.__class__ }}"), "通报.docx", "不允许访问内部属性 __class__"),
        (template_docx("{{ tickets }}"), "通报.docx", "tickets 是一组变量"),
    ]
    import zipfile

    only_styles = io.BytesIO()
    with zipfile.ZipFile(only_styles, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    cases.append((only_styles.getvalue(), "通报.docx", "文件中没有正文（word/document.xml）"))
    for data, filename, message in cases:
        response = upload(client, data, filename=filename)
        assert response.status_code == 400, filename
        assert message in response.context["error"], (message, response.context["error"])
        assert message.split("：")[-1][:10] in response.content.decode()
    assert upload(client, template_docx("x"), name="").context["error"] == "模板名称：请填写"
    monkeypatch.setattr(briefing, "MAX_TEMPLATE_BYTES", 1000)
    assert "文件过大" in upload(client, template_docx("x")).context["error"]
    assert not BriefingTemplate.objects.exists()
    assert not list(tmp_path.rglob("*.docx"))


@pytest.mark.django_db
def test_templates_are_scoped(client, county_b, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    client.force_login(county_b.users["township_admin"])  # 城关镇
    assert upload(client, template_docx("{{ scope.name }}"), name="镇模板", scope="").status_code == 302
    t = BriefingTemplate.objects.get()
    assert (t.scope_code, t.region_path, t.org_path) == ("369901001", county_b.town_a.path, county_b.town_a_org.path)
    assert upload(client, template_docx("{{ scope.name }}"), scope="369901002").status_code == 404
    client.force_login(county_b.users["branch_secretary"])  # 东风村党支部, below 城关镇党委: sees the township's template
    page = client.get(reverse("briefing-templates"))
    assert page.status_code == 200 and "镇模板" in page.content.decode()
    hexi = BriefingTemplate.objects.create(name="河西", scope_tree="region", scope_path=county_b.town_b.path,
                                           region_path=county_b.town_b.path, org_path=county_b.town_b_org.path,
                                           scope_code="369901002", file="briefing_templates/x.docx")
    assert client.get(reverse("briefing-template-render", args=[hexi.pk])).status_code == 404
    assert client.post(reverse("briefing-template-delete", args=[hexi.pk])).status_code == 404
    assert "河西" not in client.get(reverse("briefing-templates")).content.decode()
