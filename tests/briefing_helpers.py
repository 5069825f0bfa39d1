"""The county of the briefing tests: the factory county with tickets in November and October 2026 driven through
the ticket services, and open health-check findings, with every figure counted by hand below."""

import datetime as dt

from dangjian.checkup.models import Finding
from dangjian.places.models import Region
from dangjian.reports.queries import scope_nodes
from dangjian.reports.registry import Period
from dangjian.tickets import services
from tests.tickets_helpers import local

NOW = local(2026, 11, 30, 18, 0)
NOVEMBER = Period("month", dt.date(2026, 11, 1))
OCTOBER = Period("month", dt.date(2026, 10, 1))
GRID_A, GRID_B = "369901001001001", "369901002001001"


def ticket(state: str, when: dt.datetime, grid: str, *, department="BM001-01", satisfaction=None, title="路灯损坏"):
    """A ticket reported, registered and dispatched at `when`, then driven to `state` by the system."""
    step = dt.timedelta(minutes=10)
    t = services.do_report_ticket(actor=None, title=title, description=f"{title}，请尽快处理", category="0102",
                                  grid=grid, source="hotline", now=when)
    services.do_register(actor=None, ticket=t, now=when + step)
    services.do_dispatch(actor=None, ticket=t, department=department, now=when + 2 * step)
    if state == "dispatched":
        return t
    if state == "returned":
        services.do_return(actor=None, ticket=t, reason="不属于本单位职责", now=when + 3 * step)
        return t
    services.do_accept(actor=None, ticket=t, now=when + 3 * step)
    if state == "processing":
        return t
    services.do_resolve(actor=None, ticket=t, result="已修复", now=when + 4 * step)
    services.do_verify(actor=None, ticket=t, passed=True, now=when + 5 * step)
    if satisfaction:
        services.do_rate(actor=None, ticket=t, satisfaction=satisfaction, now=when + 6 * step)
    return t


def build_briefing_county(county):
    """November 2026 — 城关镇 (grid A, to the station BM001-01): 3 closed (rated satisfied, basically satisfied,
    dissatisfied), 1 processing and 1 pending, both long overdue on 30 November; 河西镇 (grid B, to BM001): 1 closed
    (satisfied), 1 returned. October 2026 — 城关镇: 2 closed, 1 returned.

    Hand counts for 示范县 in November: 流转 7, 受理 5 (3 + 1 processing + 1 in 河西镇) → 受理率 71.4%（5/7）; 办结 4 →
    办结率 57.1%（4/7）; 按期办结 4 → 按期办结率 100.0%（4/4）; 有效回访 4, 不满意 1 → 满意率 75.0%（3/4）.
    城关镇: 受理率 80.0%（4/5）; 河西镇: 50.0%（1/2）. October: 受理率 66.7%（2/3）. Overdue now: 2 tickets.
    Open findings: 3 (2 违规 of org.term.expired in 东风村党支部, 1 预警 of org.branch.too_few_full_members in 柳林村党支部).
    """
    c = county
    Region.objects.add_child(Region.objects.get(pk=c.village_b.pk), dict(
        division_code=GRID_B, name="柳林村一网格", level="grid", grid_kind="standard"))
    day = local(2026, 11, 2, 9, 0)
    for i, satisfaction in enumerate(("satisfied", "basically_satisfied", "dissatisfied")):
        ticket("closed", day + dt.timedelta(days=i), GRID_A, satisfaction=satisfaction, title=f"村道破损{i + 1}")
    c.overdue = [ticket("processing", day, GRID_A, title="排水沟堵塞"),
                 ticket("dispatched", day + dt.timedelta(days=1), GRID_A, title="违章搭建")]
    ticket("closed", day, GRID_B, department="BM001", satisfaction="satisfied", title="垃圾清运")
    ticket("returned", day + dt.timedelta(days=2), GRID_B, department="BM001", title="噪声扰民")
    october = local(2026, 10, 12, 9, 0)
    ticket("closed", october, GRID_A)
    ticket("closed", october + dt.timedelta(days=1), GRID_A)
    ticket("returned", october + dt.timedelta(days=2), GRID_A)
    Finding.objects.all().delete()  # only the findings below, whatever the checkup watchers did
    for org, rule, severity, key in ((c.branch_a, "org.term.expired", "error", ""),
                                     (c.branch_a, "org.term.expired", "error", "2"),
                                     (c.branch_b, "org.branch.too_few_full_members", "warning", "")):
        Finding.objects.create(rule=rule, subject="org", subject_id=org.pk, subject_code=org.code, key=key,
                               org_path=org.path, severity=severity, message="问题", citation="依据",
                               first_seen=dt.date(2026, 11, 1), last_seen=dt.date(2026, 11, 1), status="open")
    c.nodes = scope_nodes(None, "369901")
    return c


def template_docx(*paragraphs: str, footer: str = "") -> bytes:
    """A real .docx written with python-docx, one paragraph per argument (docxtpl syntax inside)."""
    import io

    from docx import Document

    doc = Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    if footer:
        doc.sections[0].footer.paragraphs[0].text = footer
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
