"""The monthly 工作通报 as .docx: the content computed for a hand-counted county, the GB/T 9704 layout read back
from the XML, the `dangjian briefing` command, and the document converted by LibreOffice to PDF and PNG.

About fonts: the GB fonts the document asks for (方正小标宋简体, 仿宋_GB2312, 黑体, 楷体_GB2312, 宋体) are not
installed here or in CI (they are not free to redistribute), so LibreOffice substitutes an installed CJK font
(Noto CJK from fonts-noto-cjk). The tests therefore check both sides: what the .docx requests on every run, and
that the PDF embeds a CJK font for the body text. The 28 × 28 grid holds with the substitute too (exact line
pitch, condensed character spacing: see reports.briefing)."""

import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from docx import Document
from lxml import etree

from dangjian.core.models import AccessLog
from dangjian.reports import briefing
from dangjian.reports.briefing import Block, Briefing, build_docx, collect, signature_indents
from tests.briefing_helpers import NOVEMBER, NOW, build_briefing_county

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}


def w(name: str) -> str:
    return f"{{{W}}}{name}"


@pytest.fixture
def county_b(county):
    return build_briefing_county(county)


@pytest.fixture
def docx_bytes(county_b):
    return build_docx(collect(county_b.nodes, NOVEMBER, now=NOW))


def parts(data: bytes) -> dict[str, etree._Element]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: etree.fromstring(z.read(name)) for name in z.namelist()
                if name.startswith("word/") and name.endswith(".xml")}  # fmt: skip


def text_of(root) -> str:
    return "".join(t.text or "" for t in root.iter(w("t")))


def run_fonts(run) -> dict:
    fonts = run.find("w:rPr/w:rFonts", NS)
    return {} if fonts is None else {k.split("}")[1]: v for k, v in fonts.attrib.items()}


def run_size(run) -> float | None:
    sz = run.find("w:rPr/w:sz", NS)
    return None if sz is None else int(sz.get(w("val"))) / 2


# ---- content -----------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_content_of_the_briefing(county_b):
    doc = collect(county_b.nodes, NOVEMBER, now=NOW)
    assert doc.title == "关于示范县2026年11月党建引领基层治理工作情况的通报"
    assert doc.addressee == "各乡镇（街道）党（工）委，县直各单位党组织："
    assert doc.issuer == "中共示范县委组织部"
    assert doc.date.isoformat() == "2026-11-30"
    headings = [b.text for b in doc.blocks if b.kind == "h1"]
    assert headings == ["一、总体情况", "二、各乡镇（街道）工单办理情况排名", "三、超期未办结工单", "四、制度体检情况"]
    text = "\n".join(b.text for b in doc.blocks if b.kind == "text")
    # every rate with its numerator and denominator (hand counts in tests/briefing_helpers.py)
    for figure in ("受理率71.4%（5/7）", "办结率57.1%（4/7）", "按期办结率100.0%（4/4）", "满意率75.0%（3/4）"):
        assert figure in text
    assert "与2026年10月相比，流转工单增加4件，受理率提高4.8个百分点，办结率下降9.5个百分点" in text
    tables = [b for b in doc.blocks if b.kind == "table"]
    changes = tables[0]
    assert changes.headers == ["指标", "本期", "上期", "环比", "同比"]
    assert ["受理率", "71.4%（5/7）", "66.7%（2/3）", "提高4.8个百分点", "—"] in changes.rows
    # townships ranked by each rate, with the change against October
    acceptance = tables[1]
    assert acceptance.headers == ["排名", "乡镇（街道）", "受理率（受理/流转工单）", "较上期"]
    assert acceptance.rows == [["1", "城关镇", "80.0%（4/5）", "提高13.3个百分点"], ["2", "河西镇", "50.0%（1/2）", "—"]]
    assert "受理率最高的是城关镇（80.0%），最低的是河西镇（50.0%）。" in text
    satisfaction = tables[4]
    assert satisfaction.rows == [["1", "河西镇", "100.0%（1/1）", "—"], ["2", "城关镇", "66.7%（2/3）", "—"]]
    # the overdue tickets come from the section the tickets app registered
    overdue = tables[5]
    assert overdue.headers == ["序号", "工单", "所在网格", "主办部门", "超期"]
    assert [r[1] for r in overdue.rows] == [f"{t.number} {t.title}" for t in county_b.overdue]
    assert "截至2026年11月30日，超期未办结工单2件" in text
    # the health check from the checkup.* figures
    assert "全县待整改问题3个，其中违规2个、预警1个、提示0个。" in text
    assert "问题较多的是：任期届满未换届（2个）" in text
    assert tables[6].rows[0][:4] == ["1", "城关镇党委", "2个", "2个"]


@pytest.mark.django_db
def test_a_township_briefing_ranks_its_villages(county_b):
    from dangjian.reports.queries import scope_nodes

    nodes = scope_nodes(None, "369901001")
    doc = collect(nodes, NOVEMBER, now=NOW)
    assert doc.issuer == "中共城关镇委员会"
    assert doc.addressee == "各村（社区）党组织："
    text = "\n".join(b.text for b in doc.blocks)
    assert "全镇流转工单5件" in text and "受理率80.0%（4/5）" in text
    assert "各村（社区）工单办理情况排名" in text


def test_month_only_and_signature_rules():
    from dangjian.reports.registry import Period

    with pytest.raises(ValueError, match="按月编写"):
        collect({"region": None, "org": None}, Period.parse("2026"))
    assert briefing.cn_date(__import__("datetime").date(2026, 1, 5)) == "2026年1月5日"
    # name 9 characters, date 7 (digits are half width): name 右空二字, date two characters right of the name
    assert signature_indents("中共示范县委组织部", "2026年11月30日") == (17, 19)
    # a short name: the date 右空二字 and the name two characters left of the date
    assert signature_indents("组织部", "2026年11月30日") == (17, 19)
    assert signature_indents("某某办", "2026年1月5日") == (18, 20)


# ---- layout read back from the XML -------------------------------------------------------------------------
@pytest.mark.django_db
def test_page_margins_and_the_28_by_28_grid(docx_bytes):
    xml = parts(docx_bytes)
    sect = xml["word/document.xml"].find(".//w:body/w:sectPr", NS)
    size, margins, grid = (sect.find(f"w:{t}", NS) for t in ("pgSz", "pgMar", "docGrid"))
    twips = lambda mm: round(mm / 25.4 * 1440)  # noqa: E731
    assert (int(size.get(w("w"))), int(size.get(w("h")))) == (twips(210), twips(297))  # A4
    got = {k: int(margins.get(w(k))) for k in ("top", "bottom", "left", "right")}
    assert got == {"top": twips(37), "bottom": twips(35), "left": twips(28), "right": twips(26)}
    type_w = twips(210) - got["left"] - got["right"]
    type_h = twips(297) - got["top"] - got["bottom"]
    assert (abs(type_w - twips(156)) <= 1, abs(type_h - twips(225)) <= 1) == (True, True)  # 版心 156 × 225 mm
    assert grid.get(w("type")) == "linesAndChars"
    pitch = int(grid.get(w("linePitch")))
    assert pitch == 455 and 28 * pitch <= type_h < 29 * pitch  # 28 lines fill the type area
    char_space = int(grid.get(w("charSpace")))
    assert char_space == -848
    char_pitch_twips = (16 + char_space / 4096) * 20  # 16 pt default font plus charSpace/4096 pt
    assert 28 * char_pitch_twips <= type_w < 29 * char_pitch_twips  # 28 characters fill a line
    # the text keeps that pitch: exact line spacing of one grid line, characters condensed under the grid pitch
    styles = xml["word/styles.xml"]
    spacing = styles.find(".//w:docDefaults/w:pPrDefault/w:pPr/w:spacing", NS)
    assert (spacing.get(w("line")), spacing.get(w("lineRule"))) == ("455", "exact")
    default_fonts = styles.find(".//w:docDefaults/w:rPrDefault/w:rPr/w:rFonts", NS)
    assert default_fonts.get(w("eastAsia")) == "仿宋_GB2312" and default_fonts.get(w("asciiTheme")) is None
    assert styles.find(".//w:docDefaults/w:rPrDefault/w:rPr/w:sz", NS).get(w("val")) == "32"


@pytest.mark.django_db
def test_every_run_names_its_east_asian_and_latin_fonts(docx_bytes):
    xml = parts(docx_bytes)
    runs = 0
    for name, root in xml.items():
        if not re.match(r"word/(document|footer\d*|header\d*)\.xml", name):
            continue
        for run in root.iter(w("r")):
            runs += 1
            fonts = run_fonts(run)
            assert fonts.get("eastAsia") and fonts.get("ascii") and fonts.get("hAnsi"), (name, etree.tostring(run))
            assert fonts["eastAsia"] in {"方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312", "宋体"}
            assert run_size(run) is not None
    assert runs > 100


@pytest.mark.django_db
def test_title_body_headings_issuer_and_date(docx_bytes):
    body = parts(docx_bytes)["word/document.xml"].find("w:body", NS)
    paragraphs = body.findall("w:p", NS)
    title = paragraphs[0]
    assert title.find("w:pPr/w:jc", NS).get(w("val")) == "center"
    assert text_of(title) == "关于示范县2026年11月党建引领基层治理工作情况的通报"
    for run in title.findall("w:r", NS):
        assert run_fonts(run)["eastAsia"] == "方正小标宋简体" and run_size(run) == 22  # 二号
    by_text = {text_of(p): p for p in paragraphs if text_of(p)}
    heading = by_text["一、总体情况"].find("w:r", NS)
    assert (run_fonts(heading)["eastAsia"], run_size(heading)) == ("黑体", 16)
    sub = by_text["（一）受理率"].find("w:r", NS)
    assert (run_fonts(sub)["eastAsia"], run_size(sub)) == ("楷体_GB2312", 16)
    first = next(p for t, p in by_text.items() if t.startswith("现将"))
    run = first.find("w:r", NS)
    assert (run_fonts(run)["eastAsia"], run_size(run)) == ("仿宋_GB2312", 16)  # 三号
    assert first.find("w:pPr/w:ind", NS).get(w("firstLineChars")) == "200"  # 首行缩进二字
    # 发文机关署名 and 成文日期 close the text, the date two characters right of the name
    texts = [text_of(p) for p in paragraphs if text_of(p)]
    assert texts[-2:] == ["中共示范县委组织部", "2026年11月30日"]
    name_ind, date_ind = (by_text[t].find("w:pPr/w:ind", NS) for t in texts[-2:])
    assert (name_ind.get(w("leftChars")), date_ind.get(w("leftChars"))) == ("1700", "1900")


@pytest.mark.django_db
def test_page_numbers_in_the_footers(docx_bytes):
    xml = parts(docx_bytes)
    settings = xml["word/settings.xml"]
    assert settings.find("w:evenAndOddHeaders", NS) is not None
    sect = xml["word/document.xml"].find(".//w:body/w:sectPr", NS)
    rels = {}
    with zipfile.ZipFile(io.BytesIO(docx_bytes)) as z:
        for rel in etree.fromstring(z.read("word/_rels/document.xml.rels")):
            rels[rel.get("Id")] = "word/" + rel.get("Target")
    refs = {ref.get(w("type")): rels[ref.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")]
            for ref in sect.findall("w:footerReference", NS)}  # fmt: skip
    assert set(refs) >= {"default", "even"}
    for kind, align in (("default", "right"), ("even", "left")):
        footer = xml[refs[kind]]
        paragraph = footer.find("w:p", NS)
        assert paragraph.find("w:pPr/w:jc", NS).get(w("val")) == align  # 单页码居右、双页码居左
        assert "".join(t.text for t in footer.iter(w("instrText"))).strip() == "PAGE"
        assert [c.get(w("fldCharType")) for c in footer.iter(w("fldChar"))] == ["begin", "separate", "end"]
        assert text_of(footer) == "— 1 —"
        for run in footer.iter(w("r")):
            assert (run_fonts(run)["eastAsia"], run_fonts(run)["ascii"], run_size(run)) == ("宋体", "宋体", 14)


# ---- the command -------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_briefing_command(county_b, tmp_path, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: NOW)
    out = tmp_path / "通报.docx"
    call_command("briefing", str(out), scope="369901", month="2026-11", issuer="中共示范县委组织部", date="2026-11-30")
    doc = Document(str(out))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "受理率71.4%（5/7）" in text and text.rstrip().endswith("中共示范县委组织部\n2026年11月30日")
    log = AccessLog.objects.get(object_type="briefing")
    assert (log.action, log.user, log.detail["scope"], log.detail["period"]) == ("export", None, "369901", "2026-11")
    for kwargs, message in (
        ({"scope": "369901", "month": "2026-13"}, "统计月份“2026-13”无效，应为 YYYY-MM，如 2026-11"),
        ({"scope": "369901", "month": "11/2026"}, "统计月份“11/2026”无效，应为 YYYY-MM，如 2026-11"),
        ({"scope": "369901", "month": "2030-01"}, "统计月份“2030-01”还没有到"),
        ({"scope": "999999", "month": "2026-11"}, "找不到代码为“999999”的区划或党组织"),
        ({"scope": "369901", "month": "2026-11", "template": 999}, "找不到编号为 999 的通报模板"),
        ({"scope": "369901", "month": "2026-11", "date": "明天"}, "成文日期：无法识别的日期：明天"),
    ):
        with pytest.raises(CommandError) as info:
            call_command("briefing", str(tmp_path / "x.docx"), **kwargs)
        assert str(info.value).startswith(message), str(info.value)
    with pytest.raises(CommandError, match="应以 .docx 结尾"):
        call_command("briefing", str(tmp_path / "x.pdf"), scope="369901", month="2026-11")
    assert not (tmp_path / "x.docx").exists()


@pytest.mark.django_db
def test_briefing_command_with_an_uploaded_template(county_b, tmp_path):
    from dangjian.reports.briefing_services import do_upload_briefing_template, read_upload
    from tests.briefing_helpers import template_docx

    t = do_upload_briefing_template(actor=None, name="月报", nodes=county_b.nodes, upload=read_upload(
        template_docx("{{ scope.name }}{{ period.label }}流转事件工单{{ tickets.dispatched }}件，"
                      "受理率{{ tickets.acceptance_rate|percent }}")))
    out = tmp_path / "月报.docx"
    call_command("briefing", str(out), scope="369901", month="2026-11", template=t.pk)
    assert "示范县2026年11月流转事件工单7件，受理率71.4%" in "\n".join(p.text for p in Document(str(out)).paragraphs)


# ---- LibreOffice: PDF and PNG ------------------------------------------------------------------------------
def to_pdf(docx: Path, tmp_path: Path) -> Path:
    """Convert with LibreOffice headless, with a private profile so parallel runs do not collide."""
    soffice = shutil.which("soffice") or "/usr/bin/soffice"
    assert Path(soffice).exists(), "LibreOffice (soffice) is needed: apt-get install libreoffice-writer-nogui"
    profile = tmp_path / "lo-profile"
    subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(docx)], check=True, capture_output=True, timeout=180)
    pdf = tmp_path / (docx.stem + ".pdf")
    assert pdf.exists(), "LibreOffice wrote no PDF"
    return pdf


def poppler(*args: str) -> str:
    return subprocess.run(list(args), check=True, capture_output=True, text=True, timeout=60).stdout


def pdf_pages(pdf: Path) -> int:
    return int(re.search(r"^Pages:\s+(\d+)", poppler("pdfinfo", str(pdf)), re.M).group(1))


def page_text(pdf: Path, page: int) -> str:
    return poppler("pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-")


def page_words(pdf: Path, page: int) -> list[tuple[str, float, float, float, float]]:
    """(word, xMin, yMin, xMax, yMax) in points from pdftotext -bbox."""
    html = poppler("pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-")
    found = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', html)
    return [(t, float(a), float(b), float(c), float(d)) for a, b, c, d, t in found]


PT_PER_MM = 72 / 25.4
CJK = re.compile(r"CJK|Song|Hei|Kai|Fang|Ming|WenQuanYi|Droid Sans Fallback|Source Han", re.I)


@pytest.mark.django_db
def test_libreoffice_pdf_and_png(county_b, tmp_path, docx_bytes):
    docx = tmp_path / "briefing.docx"
    docx.write_bytes(docx_bytes)
    pdf = to_pdf(docx, tmp_path)
    # fonts: the .docx asks for the GB fonts (checked above); here they are substituted, and the PDF must embed a
    # CJK font for the body text
    fonts = poppler("pdffonts", str(pdf)).splitlines()[2:]
    embedded_cjk = [line for line in fonts if CJK.search(line.split()[0]) and " yes " in line]
    assert embedded_cjk, "\n".join(fonts)
    # the figures computed for the test county are in the text
    pages = pdf_pages(pdf)
    text = "".join(page_text(pdf, p) for p in range(1, pages + 1))
    flat = re.sub(r"\s+", "", text)
    for figure in ("受理率71.4%（5/7）", "办结率57.1%（4/7）", "满意率75.0%（3/4）", "城关镇80.0%（4/5）",
                   "超期未办结工单2件", "待整改问题3个", "中共示范县委组织部", "2026年11月30日"):
        assert figure in flat, figure
    # every page carries its number, odd pages on the right, even pages on the left, about 7 mm under the type area
    page_w, page_h = 595.3, 841.9
    for p in range(1, pages + 1):
        words = page_words(pdf, p)
        number = [wd for wd in words if wd[0] == str(p) and wd[2] > page_h - 40 * PT_PER_MM]
        assert number, (p, page_text(pdf, p)[-200:])
        _, x0, y0, x1, y1 = number[-1]
        assert (x0 > page_w / 2) == (p % 2 == 1), (p, x0)
        below_type_area_mm = ((y0 + y1) / 2 - (37 + 225) * PT_PER_MM) / PT_PER_MM
        assert 4 <= below_type_area_mm <= 10, below_type_area_mm
        print(f"page {p}: number at x {x0:.0f}–{x1:.0f} pt, {below_type_area_mm:.1f} mm under the type area")
        assert f"—{p}—" in re.sub(r"\s+", "", page_text(pdf, p))  # “— 1 —” (pdftotext drops the thin spaces)
    assert pages == 3  # the length of this county's briefing, looked at page by page
    # PNG pages: A4 at 50 dpi, with ink on them
    poppler("pdftoppm", "-r", "50", "-png", str(pdf), str(tmp_path / "page"))
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == pages
    for png in pngs:
        data = png.read_bytes()
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert abs(width - 413) <= 1 and abs(height - 585) <= 1  # 210 × 297 mm at 50 dpi
        assert len(data) > 8000  # a blank page compresses to a few hundred bytes


@pytest.mark.django_db
def test_libreoffice_keeps_28_lines_of_28_characters(tmp_path):
    """A briefing whose length we control: paragraphs of exactly 54 characters (26 after the two-character indent
    and 28 on the second line). 28 of them are 56 lines, exactly two pages; one more makes three."""
    line = "党建引领基层治理工作情况通报如下各乡镇街道党工委县直各单位党组织现将二〇二六年十一月示范县党建引领基层治理工"
    assert len(line) == 54

    def document(paragraphs: int) -> Path:
        doc = Briefing(title_lines=[], addressee="", blocks=[Block("text", line)] * paragraphs, issuer="", date=None)
        path = tmp_path / f"grid{paragraphs}.docx"
        path.write_bytes(build_docx(doc))
        return path

    two = to_pdf(document(28), tmp_path)
    assert pdf_pages(two) == 2
    for p in (1, 2):
        lines = [t.strip() for t in page_text(two, p).splitlines() if t.strip()]
        assert re.sub(r"\s+", "", lines[-1]) == f"—{p}—"
        body = lines[:-1]
        assert len(body) == 28, body  # 28 lines a page
        assert body[0] == line[:26] and body[1] == line[26:]  # 28 characters a line (26 after the indent)
    assert pdf_pages(to_pdf(document(29), tmp_path)) == 3
