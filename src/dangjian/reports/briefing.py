"""Briefings (`Briefing`): the monthly 工作通报 written from the figures, as a .docx in the official-document layout
of GB/T 9704-2012, and uploaded .docx templates (docxtpl) filled with the same variables as the template language.

What goes into a 通报 (`collect`): the key figures of the scope with their 环比/同比, the child nodes (townships)
ranked by the ticket rates — every rate with its numerator and denominator, “97.9%（2150/2196）” —, the sections the
feature apps register here (the tickets app: overdue tickets; `register_briefing_section`, so `reports` imports no
feature app), and the health-check summary from the ``checkup.*`` figures. `build_docx` lays it out.

The layout (GB/T 9704-2012 §5, §7):

- A4 (210 × 297 mm); 天头 (top margin) 37 mm, 订口 (left margin) 28 mm, 版心 (type area) 156 × 225 mm, so the
  right margin is 26 mm and the bottom margin 35 mm;
- the document grid (w:docGrid type="linesAndChars") holds `LINES_PER_PAGE` lines of `CHARS_PER_LINE` characters:
  line pitch = 225 mm / 28 = 455 twips (22.75 pt), character pitch = 156 mm / 28 = 15.79 pt, i.e.
  charSpace = (15.79 − 16) × 4096 = −848 (the standard's usual figure is 22 lines; the brief asks for 28, within
  its “特定情况可以作适当调整”);
- title 方正小标宋简体 二号 (22 pt) centred; body 仿宋_GB2312 三号 (16 pt); headings 黑体 (一、) and 楷体_GB2312
  (（一）); tables 仿宋_GB2312 五号; every run names its East-Asian font and its Latin fonts (w:rFonts eastAsia,
  ascii, hAnsi, cs);
- page numbers 4号 (14 pt) 宋体 “— 1 —” in the footer, odd pages right (空一字), even pages left (空一字);
- 发文机关署名 and 成文日期 (Arabic numerals: 2026年11月30日) under the text, 署名 右空二字 and the date under it,
  as §7.3.5.2 (without a seal) places them.
"""

import datetime as dt
import io
import math
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from dangjian.core.scope import user_scope

from . import queries
from .registry import METRICS, TREES, Node, Period, load, metric, metrics_on
from .templating import (
    Problem,
    TemplateProblem,
    check,
    docx_environment,
    runtime_problem,
)

# ---- layout figures (GB/T 9704-2012) -----------------------------------------------------------------------
PAGE_W_MM, PAGE_H_MM = 210, 297
TOP_MM, LEFT_MM = 37, 28
TYPE_W_MM, TYPE_H_MM = 156, 225
RIGHT_MM = PAGE_W_MM - LEFT_MM - TYPE_W_MM  # 26
BOTTOM_MM = PAGE_H_MM - TOP_MM - TYPE_H_MM  # 35
FOOTER_MM = 25  # page-number line: its dashes sit about 7 mm under the type area
LINES_PER_PAGE = 28
CHARS_PER_LINE = 28
BODY_PT = 16  # 三号
TITLE_PT = 22  # 二号
PAGE_NUMBER_PT = 14  # 4号
TABLE_PT = 10.5  # 五号


def mm_to_twips(mm: float) -> float:
    return mm / 25.4 * 1440


LINE_PITCH = math.floor(mm_to_twips(TYPE_H_MM) / LINES_PER_PAGE)  # 455 twips
CHAR_PITCH_PT = TYPE_W_MM / 25.4 * 72 / CHARS_PER_LINE  # 15.793 pt
CHAR_SPACE = math.floor((CHAR_PITCH_PT - BODY_PT) * 4096)  # -848 (1/4096 pt added to the 16 pt default pitch)
# The text is laid on that grid by exact line spacing (LINE_PITCH) and a character spacing of −0.3 pt, so that a
# 16 pt character advances 15.7 pt ≤ the grid's 15.79 pt and 28 of them fill the 156 mm line. Word would compress
# the characters onto the grid by itself; LibreOffice instead gives a 16 pt character two 15.79 pt cells, and lays a
# line of a substitute font with tall metrics (Noto CJK: 1.45 em) on two grid lines — so the paragraphs opt out of
# snapping (w:snapToGrid 0) and get the same 28 × 28 from the spacing in every program.
CONDENSE = math.floor((CHAR_PITCH_PT - BODY_PT) * 20) - 1  # -6 twentieths: 15.7 pt, a little under the pitch
CHAR_TWIPS = 315  # one grid character in twips, rounded down (LibreOffice reads the grid as 315 twips)

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
H1_FONT = "黑体"
H2_FONT = "楷体_GB2312"
PAGE_FONT = "宋体"
CN_NUMBERS = "一二三四五六七八九十"

RANK_RATES = ("tickets.acceptance_rate", "tickets.closure_rate", "tickets.on_time_rate", "tickets.satisfaction_rate")
TICKET_COUNTS = ("tickets.dispatched", "tickets.accepted", "tickets.closed", "tickets.on_time")
LEDGER_FIGURES = ("members.total", "orgs.total")
CHECKUP_TOTAL = "checkup.open"
CHECKUP_RULE_PREFIX = "checkup.rule_"
TOP_RULES = 5
MAX_TEMPLATE_BYTES = 5 * 1024 * 1024
MAX_TEMPLATE_UNPACKED = 50 * 1024 * 1024


# ---- sections registered by the feature apps ---------------------------------------------------------------
@dataclass(frozen=True)
class BriefingSection:
    """A part of the 通报 that a feature app writes from its own records (the tickets app: overdue tickets).

    ``compute(node, period, now)`` gets the scope's node of ``tree`` and answers None (nothing to say) or
    {"paragraphs": [str, …], "headers": [str, …], "rows": [[str, …], …], "widths": [relative widths], "left_col":
    the column of names (both optional),
    "url": the list page behind it (optional)}. ``order`` places it among the sections (ticket ranking 20,
    health check 40)."""

    key: str
    title: str
    tree: str
    compute: Callable[[Node, Period, dt.datetime], dict | None]
    order: int = 30


SECTIONS: dict[str, BriefingSection] = {}


def register_briefing_section(section: BriefingSection) -> BriefingSection:
    """Register a section (from the app's AppConfig.ready); the same key twice is an error."""
    if section.key in SECTIONS and SECTIONS[section.key] != section:
        raise ValueError(f"briefing section {section.key} registered twice")
    if section.tree not in ("org", "region"):
        raise ValueError(f"briefing section {section.key}: tree must be org or region")
    SECTIONS[section.key] = section
    return section


# ---- the document as blocks --------------------------------------------------------------------------------
@dataclass
class Block:
    """One element of the text: ``kind`` is "h1" (一、 黑体), "h2" (（一） 楷体), "text" (body), "table"."""

    kind: str
    text: str = ""
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)
    url: str | None = None
    left_col: int | None = None  # the column of names, aligned left (the others are centred)


@dataclass
class Briefing:
    title_lines: list[str]
    addressee: str
    blocks: list[Block]
    issuer: str
    date: dt.date
    scope_name: str = ""
    period: Period | None = None

    @property
    def title(self) -> str:
        return "".join(self.title_lines)

    @property
    def filename(self) -> str:
        return f"{self.title}.docx"


def cn_date(day: dt.date) -> str:
    """成文日期 in Arabic numerals, GB/T 9704-2012 §7.3.5.1: “2026年11月30日” (no leading zeros)."""
    return f"{day.year}年{day.month}月{day.day}日"


def _has(key: str) -> bool:
    load()
    return key in METRICS


def _count_text(key: str, value) -> str:
    """A count in the text of a document: “2196件” (no thousands separator), “—” when unknown."""
    m = metric(key)
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}{m.unit}"
    return f"{int(value)}{m.unit}"


def rate_text(value, num, den) -> str:
    """A rate with its numerator and denominator: “97.9%（2150/2196）”; “—（0/0）” when the denominator is 0."""
    shown = "—" if value is None else f"{value * 100:.1f}%"
    n = "—" if num is None else f"{int(num)}"
    d = "—" if den is None else f"{int(den)}"
    return f"{shown}（{n}/{d}）"


def figure_text(detail: dict) -> str:
    """A metric_details row as written in a document: a rate with its parts, a count with its unit."""
    if detail["is_rate"] and metric(detail["key"]).is_percent:
        return rate_text(detail["value"], detail["num_value"], detail["den_value"])
    if detail["is_rate"]:
        return queries.format_value(detail["key"], detail["value"])
    return _count_text(detail["key"], detail["value"])


def change_text(key: str, now_value, base) -> str:
    """“增加120件” / “提高1.2个百分点” / “持平”; “—” when either side is unknown."""
    from .templating import _change_phrase

    if now_value is None or base is None:
        return "—"
    m = metric(key)
    return _change_phrase(m, round(now_value - base, m.digits))


# ---- words that depend on the place ------------------------------------------------------------------------
LEVEL_AREA = {"county": "全县", "township": "全镇", "street": "全街道", "village": "全村", "community": "全社区",
              "grid": "本网格"}  # fmt: skip
CHILD_LABEL = {"township": "乡镇（街道）", "street": "乡镇（街道）", "village": "村（社区）", "community": "村（社区）",
               "grid": "网格", "county": "县（市、区）"}  # fmt: skip
ADDRESSEE = {"county": "各乡镇（街道）党（工）委，县直各单位党组织：", "township": "各村（社区）党组织：",
             "street": "各社区党组织：", "village": "各党小组：", "community": "各网格党支部（党小组）："}  # fmt: skip


def _level(node: Node | None) -> str:
    """The level of a region node (county, township, …), read through the tree's model; '' when unknown."""
    if node is None or node.tree != "region" or not node.path:
        return ""
    obj = TREES["region"].get_model().objects.filter(path=node.path).first()
    return getattr(obj, "level", "") or ""


def default_issuer(nodes: dict[str, Node | None]) -> str:
    """发文机关署名 from the scope's organisation: 中共示范县委员会 → 中共示范县委组织部, 城关镇党委 → 中共城关镇委员会."""
    org = nodes.get("org")
    if org is not None and org.path:
        if org.name.endswith("委员会"):
            return org.name.removesuffix("委员会") + "委组织部"
        if org.name.endswith("党委"):
            return "中共" + org.name.removesuffix("党委").removeprefix("中共") + "委员会"
        return org.name
    region = nodes.get("region")
    return region.name if region is not None else ""


# ---- collecting the content --------------------------------------------------------------------------------
def _tree_of(key: str) -> str:
    return metric(key).tree


def _details(node: Node | None, period: Period, keys, now) -> dict[str, dict]:
    keys = [k for k in keys if _has(k)]
    if node is None or not keys:
        return {}
    return {d["key"]: d for d in queries.metric_details(node, period, keys, now=now)}


def _as_of(period: Period, now) -> dt.date:
    """The day a stock figure of `period` describes: its last day, or today while it runs."""
    return min(period.last_day, timezone.localdate(now) if now else timezone.localdate())


def _stock_period(node: Node, period: Period, key: str, now) -> tuple[Period, str]:
    """The period to read a stock figure (health check) for: `period` when known, else the current month (with a
    note saying so)."""
    value = queries.metric_values(node, period, [key], now=now)[key]
    if value is not None:
        return period, ""
    today = timezone.localdate(now) if now else timezone.localdate()
    current = Period.of("month", today)
    return current, f"（{period.label}未保存统计快照，以下为当前数据。）"


def _key_figures(nodes, period, area, now) -> list[Block]:
    region, org = nodes.get("region"), nodes.get("org")
    blocks: list[Block] = []
    ticket_keys = [k for k in (*TICKET_COUNTS, *RANK_RATES) if _has(k)]
    current = _details(region, period, ticket_keys, now)
    if current:
        parts = [f"{d['label']}{figure_text(d)}" for d in current.values()]
        blocks.append(Block("text", f"{period.label}，{area}{'，'.join(parts)}。"))
    ledger = _details(org, period, LEDGER_FIGURES, now)
    if ledger:
        parts = [f"{d['label']}{figure_text(d)}" for d in ledger.values() if d["value"] is not None]
        if parts:
            blocks.append(Block("text", f"截至{cn_date(_as_of(period, now))}，{area}{'，'.join(parts)}。"))
    # changes since last month (环比) and the same month last year (同比)
    rows, phrases = [], []
    for tree_node, keys in ((region, ticket_keys), (org, [k for k in (CHECKUP_TOTAL, *LEDGER_FIGURES) if _has(k)])):
        if tree_node is None or not keys:
            continue
        now_d = _details(tree_node, period, keys, now)
        prev_d = _details(tree_node, period.previous, keys, now)
        ago_d = _details(tree_node, period.year_ago, keys, now)
        for key, d in now_d.items():
            mom = change_text(key, d["value"], prev_d[key]["value"])
            yoy = change_text(key, d["value"], ago_d[key]["value"])
            rows.append([d["label"], figure_text(d), figure_text(prev_d[key]), mom, yoy])
            if mom not in ("—", "持平") and key in (*RANK_RATES, "tickets.dispatched", CHECKUP_TOTAL):
                phrases.append(f"{d['label']}{mom}")
    if phrases:
        blocks.append(Block("text", f"与{period.previous.label}相比，{'，'.join(phrases)}。"))
    if rows:
        blocks.append(Block("text", f"主要指标变化情况如下表（上期为{period.previous.label}，同期为"
                                    f"{period.year_ago.label}）。"))
        blocks.append(Block("table", headers=["指标", "本期", "上期", "环比", "同比"], rows=rows,
                            widths=[6, 9, 9, 8, 8], left_col=0))
    return blocks


def _ranking(region: Node, period: Period, key: str, child_label: str, now) -> list[Block]:
    m = metric(key)
    ranked = queries.children_ranking(region, period, key, now=now)
    if not ranked:
        return []
    previous = {r["path"]: r["value"] for r in queries.children_ranking(region, period.previous, key, now=now)}
    rows = []
    for r in ranked:
        rows.append([str(r["rank"]) if r["rank"] is not None else "—", r["name"],
                     rate_text(r["value"], r["numerator"], r["denominator"]),
                     change_text(key, r["value"], previous.get(r["path"]))])  # fmt: skip
    blocks = []
    known = [r for r in ranked if r["value"] is not None]
    if len(known) >= 2 and known[0]["value"] != known[-1]["value"]:
        best = [r["name"] for r in known if r["value"] == known[0]["value"]]
        worst = [r["name"] for r in known if r["value"] == known[-1]["value"]]
        blocks.append(Block("text", f"{m.label}最高的是{'、'.join(best)}（{known[0]['value'] * 100:.1f}%），"
                                    f"最低的是{'、'.join(worst)}（{known[-1]['value'] * 100:.1f}%）。"))
    elif not known:
        blocks.append(Block("text", f"本期各{child_label}均无可计算{m.label}的工单。"))
    num, den = metric(m.numerator).label, metric(m.denominator).label
    blocks.append(Block("table", headers=["排名", child_label, f"{m.label}（{num}/{den}）", "较上期"], rows=rows,
                        widths=[3, 10, 14, 10], url=m.url(region, period), left_col=1))
    return blocks


def _checkup(org: Node, period: Period, area: str, now) -> list[Block]:
    used, note = _stock_period(org, period, CHECKUP_TOTAL, now)
    severity_keys = [m.key for m in metrics_on("org") if m.key.startswith(CHECKUP_TOTAL + "_")]
    details = _details(org, used, [CHECKUP_TOTAL, *severity_keys], now)
    total = details[CHECKUP_TOTAL]
    as_of = _as_of(used, now)
    parts = []
    for key in severity_keys:
        label = re.search(r"（(.+)）", details[key]["label"])
        parts.append(f"{label.group(1) if label else details[key]['label']}{_count_text(key, details[key]['value'])}")
    text = f"截至{cn_date(as_of)}，{area}{total['label']}{_count_text(CHECKUP_TOTAL, total['value'])}"
    text += f"，其中{'、'.join(parts)}。" if parts and total["value"] else "。"
    blocks = [Block("text", note + text)]
    rule_keys = sorted(k for k in METRICS if k.startswith(CHECKUP_RULE_PREFIX))
    if rule_keys and total["value"]:
        values = queries.metric_values(org, used, rule_keys, now=now)
        top = sorted(((v, k) for k, v in values.items() if v), key=lambda x: (-x[0], x[1]))[:TOP_RULES]
        if top:
            blocks.append(Block("text", "问题较多的是：" + "；".join(
                f"{metric(k).label}（{_count_text(k, v)}）" for v, k in top) + "。"))
    kids = queries.children_values(org, used, [CHECKUP_TOTAL, *severity_keys], now=now)
    if kids:
        kids.sort(key=lambda r: (-(r["values"][CHECKUP_TOTAL] or 0), r["path"]))
        rows, rank, last = [], 0, object()
        for i, r in enumerate(kids):
            value = r["values"][CHECKUP_TOTAL]
            if value != last:
                rank, last = i + 1, value
            rows.append([str(rank), r["name"], _count_text(CHECKUP_TOTAL, value),
                         *(_count_text(k, r["values"][k]) for k in severity_keys)])  # fmt: skip
        headers = ["排名", "党组织", "待整改"]
        for key in severity_keys:
            label = re.search(r"（(.+)）", metric(key).label)
            headers.append(label.group(1) if label else metric(key).label)
        blocks.append(Block("table", headers=headers, rows=rows, widths=[3, 12, 5] + [4] * len(severity_keys),
                            url=metric(CHECKUP_TOTAL).url(org, used), left_col=1))
    return blocks


def collect(nodes: dict[str, Node | None], period: Period, *, now=None, issuer: str | None = None,
            date: dt.date | None = None, addressee: str | None = None) -> Briefing:
    """The 工作通报 of a scope (`queries.scope_nodes`) for one month."""
    if period.kind != "month":
        raise ValueError("工作通报按月编写，请选择月份，如 2026-11")
    now = now or timezone.now()
    load()
    region, org = nodes.get("region"), nodes.get("org")
    main = region or org
    if main is None:
        raise ValueError("统计范围为空")
    level = _level(region)
    area = LEVEL_AREA.get(level, "本辖区")
    sections: list[tuple[int, str, list[Block]]] = []
    overall = _key_figures(nodes, period, area, now)
    if overall:
        sections.append((10, "总体情况", overall))
    if region is not None and any(_has(k) for k in RANK_RATES):
        kids = queries.children(region)
        child_label = CHILD_LABEL.get(_level(kids[0]) if kids else "", "下级单位")
        blocks: list[Block] = []
        sub = 0
        for key in RANK_RATES:
            if not _has(key):
                continue
            ranked = _ranking(region, period, key, child_label, now)
            if ranked:
                blocks.append(Block("h2", f"（{CN_NUMBERS[sub]}）{metric(key).label}"))
                blocks.extend(ranked)
                sub += 1
        if blocks:
            sections.append((20, f"各{child_label}工单办理情况排名", blocks))
    for section in sorted(SECTIONS.values(), key=lambda s: (s.order, s.key)):
        node = nodes.get(section.tree)
        if node is None:
            continue
        found = section.compute(node, period, now)
        if not found:
            continue
        blocks = [Block("text", p) for p in found.get("paragraphs", [])]
        if found.get("rows"):
            blocks.append(Block("table", headers=list(found["headers"]), rows=[list(r) for r in found["rows"]],
                                widths=list(found.get("widths") or []), url=found.get("url"),
                                left_col=found.get("left_col")))
        sections.append((section.order, section.title, blocks))
    if org is not None and _has(CHECKUP_TOTAL):
        sections.append((40, "制度体检情况", _checkup(org, period, area, now)))
    sections.sort(key=lambda s: s[0])
    blocks = [Block("text", f"现将{period.label}{main.name}党建引领基层治理工作情况通报如下。")]
    for i, (_, title, body) in enumerate(sections):
        blocks.append(Block("h1", f"{CN_NUMBERS[i]}、{title}"))
        blocks.extend(body)
    today = timezone.localdate(now)
    return Briefing(
        title_lines=[f"关于{main.name}{period.label}", "党建引领基层治理工作情况的通报"],
        addressee=ADDRESSEE.get(level, "") if addressee is None else addressee,
        blocks=blocks, issuer=issuer or default_issuer(nodes), date=date or today, scope_name=main.name,
        period=period,
    )  # fmt: skip


# ---- the .docx ---------------------------------------------------------------------------------------------
def _qn(tag: str) -> str:
    from docx.oxml.ns import qn

    return qn(tag)


def set_fonts(rpr, font: str, size_pt: float | None = None) -> None:
    """w:rFonts with the East-Asian, Latin and complex-script font all set to `font` (theme fonts removed), and
    the size."""
    from docx.oxml import OxmlElement

    rfonts = rpr.find(_qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in list(rfonts.attrib):
        if attr.endswith("Theme") or attr.endswith("theme"):
            del rfonts.attrib[attr]
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(_qn(attr), font)
    rfonts.set(_qn("w:hint"), "eastAsia")
    if size_pt is not None:
        for tag in ("w:sz", "w:szCs"):
            el = rpr.find(_qn(tag))
            if el is None:
                el = OxmlElement(tag)
                _insert_in_order(rpr, el, RPR_ORDER)
            el.set(_qn("w:val"), str(int(round(size_pt * 2))))


RPR_ORDER = ["w:rStyle", "w:rFonts", "w:b", "w:bCs", "w:i", "w:iCs", "w:caps", "w:smallCaps", "w:strike",
             "w:dstrike", "w:outline", "w:shadow", "w:emboss", "w:imprint", "w:noProof", "w:snapToGrid",
             "w:vanish", "w:webHidden", "w:color", "w:spacing", "w:w", "w:kern", "w:position", "w:sz", "w:szCs",
             "w:highlight", "w:u", "w:effect", "w:bdr", "w:shd", "w:fitText", "w:vertAlign", "w:rtl", "w:cs",
             "w:em", "w:lang", "w:eastAsianLayout", "w:specVanish", "w:oMath"]  # fmt: skip
PPR_ORDER = ["w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr", "w:widowControl",
             "w:numPr", "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku",
             "w:wordWrap", "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi",
             "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
             "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
             "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange"]  # fmt: skip


def _insert_in_order(parent, child, order: list[str]) -> None:
    """Insert `child` into `parent` where the schema's sequence `order` wants it (replacing one of its tag)."""
    tag = child.tag
    existing = parent.find(tag)
    if existing is not None:
        parent.replace(existing, child)
        return
    names = [_qn(t) for t in order]
    position = names.index(tag) if tag in names else len(names)
    for i, el in enumerate(parent):
        if el.tag in names and names.index(el.tag) > position:
            parent.insert(i, child)
            return
    parent.append(child)


def _ppr_set(paragraph, tag: str, **attrs) -> None:
    from docx.oxml import OxmlElement

    ppr = paragraph._p.get_or_add_pPr()
    el = ppr.find(_qn(tag))
    if el is None:
        el = OxmlElement(tag)
        _insert_in_order(ppr, el, PPR_ORDER)
    for key, value in attrs.items():
        el.set(_qn(f"w:{key}"), str(value))


def _mark_fonts(paragraph, font: str, size_pt: float) -> None:
    """The paragraph mark's run properties (an empty paragraph's line height follows them)."""
    from docx.oxml import OxmlElement

    ppr = paragraph._p.get_or_add_pPr()
    rpr = ppr.find(_qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        _insert_in_order(ppr, rpr, PPR_ORDER)
    set_fonts(rpr, font, size_pt)


def add_run(paragraph, text: str, font: str, size_pt: float, bold: bool = False, condense: bool = False):
    """A run with its fonts; `condense`: the body's character spacing, so that 28 characters of 三号 fill a line of
    the type area whatever the font metrics (see `CONDENSE`)."""
    from docx.oxml import OxmlElement

    run = paragraph.add_run(text)
    if bold:
        run.bold = True
    rpr = run._r.get_or_add_rPr()
    set_fonts(rpr, font, size_pt)
    if condense:
        spacing = OxmlElement("w:spacing")
        spacing.set(_qn("w:val"), str(CONDENSE))
        _insert_in_order(rpr, spacing, RPR_ORDER)
    return run


def _indent(paragraph, *, first_chars: float = 0, left_chars: float = 0, right_chars: float = 0) -> None:
    attrs = {}
    if first_chars:
        attrs |= {"firstLine": round(first_chars * CHAR_TWIPS), "firstLineChars": round(first_chars * 100)}
    if left_chars:
        attrs |= {"left": round(left_chars * CHAR_TWIPS), "leftChars": round(left_chars * 100)}
    if right_chars:
        attrs |= {"right": round(right_chars * CHAR_TWIPS), "rightChars": round(right_chars * 100)}
    if attrs:
        _ppr_set(paragraph, "w:ind", **attrs)


def _jc(paragraph, value: str) -> None:
    _ppr_set(paragraph, "w:jc", val=value)


def _setup(doc) -> None:
    """Page, margins, grid, default fonts and the Normal style."""
    from docx.oxml import OxmlElement
    from docx.shared import Mm

    section = doc.sections[0]
    section.page_width, section.page_height = Mm(PAGE_W_MM), Mm(PAGE_H_MM)
    section.top_margin, section.bottom_margin = Mm(TOP_MM), Mm(BOTTOM_MM)
    section.left_margin, section.right_margin = Mm(LEFT_MM), Mm(RIGHT_MM)
    section.header_distance, section.footer_distance = Mm(15), Mm(FOOTER_MM)
    section.gutter = 0
    sect = section._sectPr
    grid = sect.find(_qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect.append(grid)
    grid.attrib.clear()
    grid.set(_qn("w:type"), "linesAndChars")
    grid.set(_qn("w:linePitch"), str(LINE_PITCH))
    grid.set(_qn("w:charSpace"), str(CHAR_SPACE))
    # document defaults: 仿宋_GB2312 三号, Chinese, no spacing before/after, single lines (the grid sets the pitch)
    styles = doc.styles.element
    defaults = styles.find(_qn("w:docDefaults"))
    rpr = defaults.find(_qn("w:rPrDefault")).find(_qn("w:rPr"))
    set_fonts(rpr, BODY_FONT, BODY_PT)
    lang = rpr.find(_qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        _insert_in_order(rpr, lang, RPR_ORDER)
    lang.attrib.clear()
    lang.set(_qn("w:val"), "en-US")
    lang.set(_qn("w:eastAsia"), "zh-CN")
    lang.set(_qn("w:bidi"), "ar-SA")
    ppr = defaults.find(_qn("w:pPrDefault")).find(_qn("w:pPr"))
    for el in list(ppr):
        ppr.remove(el)
    widow = OxmlElement("w:widowControl")
    widow.set(_qn("w:val"), "0")
    spacing = OxmlElement("w:spacing")
    for key, value in (("before", "0"), ("after", "0"), ("line", str(LINE_PITCH)), ("lineRule", "exact")):
        spacing.set(_qn(f"w:{key}"), value)
    ppr.append(widow)
    for tag in ("w:autoSpaceDE", "w:autoSpaceDN"):  # no extra space between Chinese and digits: widths stay exact
        auto = OxmlElement(tag)
        auto.set(_qn("w:val"), "0")
        ppr.append(auto)
    ppr.append(spacing)
    normal = doc.styles["Normal"]
    set_fonts(normal.element.get_or_add_rPr(), BODY_FONT, BODY_PT)
    for name in ("Footer", "Header", "Table Grid"):
        try:
            style = doc.styles[name]
        except KeyError:
            continue
        set_fonts(style.element.get_or_add_rPr(), PAGE_FONT if name != "Table Grid" else BODY_FONT)
    # odd and even footers differ (page numbers right on odd pages, left on even pages)
    doc.settings.odd_and_even_pages_header_footer = True


def _page_number(paragraph) -> None:
    """“— 1 —”: the dashes and a PAGE field, 4号宋体, every run with its fonts."""
    from docx.oxml import OxmlElement

    add_run(paragraph, "— ", PAGE_FONT, PAGE_NUMBER_PT)
    for kind, text in (("begin", None), ("instr", " PAGE "), ("separate", None), ("text", "1"), ("end", None)):
        run = add_run(paragraph, "", PAGE_FONT, PAGE_NUMBER_PT)
        if kind == "instr":
            instr = OxmlElement("w:instrText")
            instr.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            instr.text = text
            run._r.append(instr)
        elif kind == "text":
            run.text = text
        else:
            char = OxmlElement("w:fldChar")
            char.set(_qn("w:fldCharType"), kind)
            run._r.append(char)
    add_run(paragraph, " —", PAGE_FONT, PAGE_NUMBER_PT)


def _footers(doc) -> None:
    section = doc.sections[0]
    for footer, align, side in ((section.footer, "right", "right_chars"), (section.even_page_footer, "left",
                                                                           "left_chars")):
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
        _ppr_set(paragraph, "w:snapToGrid", val="0")
        _jc(paragraph, align)
        # 空一字 of the 4号 page-number font
        one = PAGE_NUMBER_PT * 20
        _ppr_set(paragraph, "w:ind", **({"right": one} if side == "right_chars" else {"left": one}))
        _mark_fonts(paragraph, PAGE_FONT, PAGE_NUMBER_PT)
        _page_number(paragraph)


def _text_width(text: str) -> float:
    """Width in full-width characters: ASCII (digits of the date) counts half."""
    return sum(0.5 if ord(c) < 128 else 1 for c in text)


def signature_indents(issuer: str, date_text: str) -> tuple[float, float]:
    """Left indents (in characters) of 发文机关署名 and 成文日期, GB/T 9704-2012 §7.3.5.2 (no seal): the name 右空二字
    and the date's first character two characters right of the name's first character; when the date is the longer,
    the date 右空二字 and the name moves right (two characters left of the date). Left indents keep the two first
    characters exactly two characters apart whatever the width of the digits in the font used."""
    name_w, date_w = _text_width(issuer), _text_width(date_text)
    if name_w >= date_w + 2:
        name_left = CHARS_PER_LINE - 2 - name_w
        return name_left, name_left + 2
    date_left = CHARS_PER_LINE - 2 - date_w
    return date_left - 2, date_left


def _paragraph(doc, text: str, font: str = BODY_FONT, size: float = BODY_PT, *, indent: float = 2,
               align: str = "both", bold: bool = False):
    """A line-spaced paragraph of the text: exact line pitch, condensed to 28 characters a line, not snapped to the
    grid (the grid then holds it in Word, WPS and LibreOffice alike, whatever font replaces a missing GB font)."""
    paragraph = doc.add_paragraph()
    _ppr_set(paragraph, "w:snapToGrid", val="0")
    _mark_fonts(paragraph, font, size)
    if indent:
        _indent(paragraph, first_chars=indent)
    _jc(paragraph, align)
    if text:
        add_run(paragraph, text, font, size, bold, condense=size == BODY_PT)
    return paragraph


def _table(doc, block: Block) -> None:
    from docx.oxml import OxmlElement

    cols = len(block.headers)
    table = doc.add_table(rows=1 + len(block.rows), cols=cols)
    table.style = doc.styles["Table Grid"]
    table.alignment = 1  # centred
    widths = block.widths if len(block.widths) == cols else [1] * cols
    total = mm_to_twips(TYPE_W_MM)
    twips = [round(total * w / sum(widths)) for w in widths]
    tbl_pr = table._tbl.tblPr
    tbl_w = tbl_pr.find(_qn("w:tblW"))
    if tbl_w is None:
        tbl_w = OxmlElement("w:tblW")
        tbl_pr.append(tbl_w)
    tbl_w.set(_qn("w:w"), str(sum(twips)))
    tbl_w.set(_qn("w:type"), "dxa")
    layout = OxmlElement("w:tblLayout")
    layout.set(_qn("w:type"), "fixed")
    tbl_pr.append(layout)
    grid = table._tbl.tblGrid
    for col, width in zip(grid.findall(_qn("w:gridCol")), twips, strict=False):
        col.set(_qn("w:w"), str(width))
    for r, row in enumerate(table.rows):
        tr_pr = row._tr.get_or_add_trPr()
        cant = OxmlElement("w:cantSplit")
        tr_pr.append(cant)
        if r == 0:
            tr_pr.append(OxmlElement("w:tblHeader"))
        values = block.headers if r == 0 else block.rows[r - 1]
        for c, cell in enumerate(row.cells):
            tc_w = cell._tc.get_or_add_tcPr().get_or_add_tcW()
            tc_w.set(_qn("w:w"), str(twips[c]))
            tc_w.set(_qn("w:type"), "dxa")
            valign = OxmlElement("w:vAlign")
            valign.set(_qn("w:val"), "center")
            cell._tc.get_or_add_tcPr().append(valign)
            paragraph = cell.paragraphs[0]
            _ppr_set(paragraph, "w:snapToGrid", val="0")
            _jc(paragraph, "left" if (r > 0 and c == block.left_col) else "center")
            font = H1_FONT if r == 0 else BODY_FONT
            _mark_fonts(paragraph, font, TABLE_PT)
            add_run(paragraph, str(values[c]) if c < len(values) else "", font, TABLE_PT)


def build_docx(briefing: Briefing) -> bytes:
    """The 通报 as a .docx in the GB/T 9704 layout."""
    from docx import Document

    doc = Document()
    _setup(doc)
    body = doc.element.body
    for p in list(body.iterchildren(_qn("w:p"))):
        body.remove(p)
    core = doc.core_properties
    core.title, core.author, core.language = briefing.title, briefing.issuer, "zh-CN"
    core.comments = "党建引领基层治理平台生成"
    if briefing.title_lines:
        title = doc.add_paragraph()
        _ppr_set(title, "w:snapToGrid", val="0")
        _ppr_set(title, "w:spacing", before=0, after=0, line=round(LINE_PITCH * 1.5), lineRule="exact")
        _jc(title, "center")
        _mark_fonts(title, TITLE_FONT, TITLE_PT)
        for i, line in enumerate(briefing.title_lines):
            run = add_run(title, line, TITLE_FONT, TITLE_PT)
            if i < len(briefing.title_lines) - 1:
                run.add_break()
        _paragraph(doc, "", indent=0)  # 标题下空一行
    if briefing.addressee:
        _paragraph(doc, briefing.addressee, indent=0, align="left")
    for block in briefing.blocks:
        if block.kind in ("h1", "h2"):
            heading = _paragraph(doc, block.text, H1_FONT if block.kind == "h1" else H2_FONT)
            _ppr_set(heading, "w:keepNext")
        elif block.kind == "table":
            _table(doc, block)
            _paragraph(doc, "", indent=0)
        else:
            _paragraph(doc, block.text)
    if briefing.issuer:
        date_text = cn_date(briefing.date)
        name_left, date_left = signature_indents(briefing.issuer, date_text)
        _paragraph(doc, "", indent=0)  # 正文下空一行
        for text, left in ((briefing.issuer, name_left), (date_text, date_left)):
            paragraph = _paragraph(doc, text, indent=0, align="left")
            _indent(paragraph, left_chars=max(0, left))
    _footers(doc)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# ---- uploaded templates (docxtpl) --------------------------------------------------------------------------
def check_docx_file(data: bytes) -> str | None:
    """Why `data` is not a usable .docx (Chinese), or None."""
    if not data:
        return "文件为空"
    if len(data) > MAX_TEMPLATE_BYTES:
        return f"文件过大：最大 {MAX_TEMPLATE_BYTES // 1024 // 1024} MB，当前 {len(data) / 1024 / 1024:.1f} MB"
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return "不是 Word 文档（.docx）：请用 Word 或 WPS 另存为“Word 文档（*.docx）”后上传（.doc 格式不支持）"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
            unpacked = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError):
        return "文件已损坏，无法打开"
    if "word/document.xml" not in names or "[Content_Types].xml" not in names:
        return "不是 Word 文档（.docx）：文件中没有正文（word/document.xml）"
    if unpacked > MAX_TEMPLATE_UNPACKED:
        return "文件解压后过大，无法处理"
    try:
        from docx import Document

        Document(io.BytesIO(data))
    except Exception:  # python-docx raises several kinds for a broken package
        return "文件已损坏或不是 Word 文档（.docx），无法打开"
    return None


def _snippet(line: str) -> str:
    text = re.sub(r"<[^>]+>", "", line or "").strip()
    return text[:60] + ("…" if len(text) > 60 else "")


def _docx_sources(tpl) -> list[tuple[str, str]]:
    """(part name, Jinja source as docxtpl renders it) for the body, headers and footers of a template."""
    from docx.oxml import parse_xml

    tpl.init_docx()
    parts = [("正文", tpl.patch_xml(tpl.get_xml()))]
    for uri, label in ((tpl.HEADER_URI, "页眉"), (tpl.FOOTER_URI, "页脚")):
        for _key, part in tpl.get_headers_footers(uri):
            parts.append((label, tpl.patch_xml(tpl.xml_to_string(parse_xml(part.blob)))))
    # docxtpl puts every paragraph on its own line before rendering: our line numbers are then paragraphs
    return [(label, re.sub(r"<w:p([ >])", r"\n<w:p\1", src)) for label, src in parts]


def _located(problem: Problem, label: str, source: str) -> Problem:
    lines = source.splitlines()
    where = label
    if problem.line and 0 < problem.line <= len(lines):
        snippet = _snippet(lines[problem.line - 1])
        if snippet:
            where = f"{label}段落“{snippet}”"
    return Problem(None, f"{where}：{problem.message}")


def render_docx_template(data: bytes, ctx: dict) -> bytes:
    """Fill an uploaded .docx template (docxtpl syntax) with the variables `ctx` (`templating.context_for`).
    TemplateProblem (Chinese: the paragraph and the problem) when it uses unknown variables or bad syntax."""
    from docxtpl import DocxTemplate
    from jinja2.exceptions import TemplateError

    reason = check_docx_file(data)
    if reason:
        raise TemplateProblem([Problem(None, reason)])
    env = docx_environment()
    tpl = DocxTemplate(io.BytesIO(data))
    sources = _docx_sources(tpl)
    problems = [_located(p, label, src) for label, src in sources for p in check(src, ctx, env=env)]
    if problems:
        raise TemplateProblem(problems)
    try:
        tpl.render(ctx, jinja_env=env, autoescape=True)
    except (TemplateError, ArithmeticError, TypeError, ValueError) as exc:
        problem = runtime_problem(exc)
        label, src = sources[0]
        raise TemplateProblem([_located(problem, label, src)]) from None
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


def template_variables(data: bytes) -> list[str]:
    """The dotted variables a .docx template uses (for the list of templates), in order of appearance."""
    from docxtpl import DocxTemplate
    from jinja2 import nodes

    from .templating import _chain

    env = docx_environment()
    found: dict[str, None] = {}
    for _label, src in _docx_sources(DocxTemplate(io.BytesIO(data))):
        try:
            ast = env.parse(src)
        except Exception:  # reported by render_docx_template
            continue
        for node in ast.find_all((nodes.Getattr, nodes.Name)):
            parts, _root = _chain(node)
            if parts and len(parts) > 1:
                found[".".join(parts)] = None
    return [k for k in found if not any(other != k and other.startswith(k + ".") for other in found)]


# ---- who sees which uploaded template ----------------------------------------------------------------------
def template_scope_q(user) -> Q:
    """Templates of the user's nodes, of nodes below them, and of the nodes above them (a county's template serves
    its townships), on either tree."""
    scope = user_scope(user, "view")
    if scope.unrestricted:
        return Q()
    q = Q(pk__in=[])
    for tree, prefixes in (("region", scope.regions), ("org", scope.orgs)):
        steplen = TREES[tree].steplen if tree in TREES else 4
        for prefix in prefixes:
            ancestors = [prefix[:i] for i in range(0, len(prefix) + 1, steplen)]
            q |= Q(**{f"{tree}_path__startswith": prefix}) | Q(**{f"{tree}_path__in": ancestors})
    return q
