"""Keyset pagination of the list pages (core.pagination through ObjectListView): next and previous across pages
whose ordering has ties, filters carried in the links and bound into the cursor, refused cursors, capped counts,
the export untouched; on PostgreSQL the member page is served by the org_path index without a sort."""

import datetime as dt
import io
import re
from urllib.parse import parse_qs, urlparse

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.core import pagination
from dangjian.members.models import Member
from dangjian.members.services import do_create_member
from dangjian.members.views import MemberListView
from tests.factories import id_number

NAMES = re.compile(r'<a href="/members/(\d+)/">')


@pytest.fixture
def many(county, monkeypatch):
    """11 more members: 7 in 东风村党支部 (ties on org_path, broken by id), 4 in 柳林村党支部; pages of 3."""
    for k in range(11):
        org = county.branch_a if k < 7 else county.branch_b
        do_create_member(actor=None, name=f"党员{k:02d}", id_number=id_number(birth=dt.date(1980, 1, 1 + k),
                         male=k % 2 == 0), org=org, joined_on=dt.date(2015, 7, 1), full_on=dt.date(2016, 7, 1),
                         status="full")  # fmt: skip
    monkeypatch.setattr(MemberListView, "paginate_by", 3)
    return county


def ids_on(html: str) -> list[int]:
    return [int(x) for x in NAMES.findall(html)]


def link(html: str, testid: str) -> str | None:
    found = re.search(rf'href="([^"]*)"[^>]*data-testid="{testid}"', html)
    return found and found.group(1).replace("&amp;", "&")


def walk(client, url: str, testid: str) -> list[list[int]]:
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        pages.append(ids_on(html))
        following = link(html, testid)
        url = reverse("member-list") + following if following else None
    return pages


@pytest.mark.django_db
def test_next_and_previous_cover_every_row_once_in_order(client, many):
    client.force_login(many.users["county_admin"])
    expected = list(Member.objects.order_by("org_path", "id").values_list("id", flat=True))
    assert len(expected) == 13
    forward = walk(client, reverse("member-list"), "page-next")
    assert [len(p) for p in forward] == [3, 3, 3, 3, 1]
    assert [i for p in forward for i in p] == expected
    # from the last page (末页) back with 上一页: the same pages, in reverse
    first = client.get(reverse("member-list")).content.decode()
    backward = walk(client, reverse("member-list") + link(first, "page-last"), "page-prev")
    assert [i for p in reversed(backward) for i in p] == expected
    assert backward[0] == expected[-3:]  # 末页 holds the last full page's worth
    # the first page has no 上一页, the last no 下一页; 首页 goes back to the start
    assert link(first, "page-prev") is None and link(first, "page-next")
    last = client.get(reverse("member-list") + link(first, "page-last")).content.decode()
    assert link(last, "page-next") is None
    assert ids_on(client.get(reverse("member-list") + link(last, "page-first")).content.decode()) == expected[:3]


@pytest.mark.django_db
def test_filters_stay_in_the_links_and_bind_the_cursor(client, many):
    client.force_login(many.users["county_admin"])
    url = reverse("member-list") + "?gender=female"
    women = list(Member.objects.filter(gender="female").order_by("org_path", "id").values_list("id", flat=True))
    assert len(women) > 3
    pages = walk(client, url, "page-next")
    assert [i for p in pages for i in p] == women
    html = client.get(url).content.decode()
    following = link(html, "page-next")
    assert parse_qs(urlparse(following).query)["gender"] == ["female"]
    # the same cursor with other filters: refused in Chinese, the first page of those filters shown
    cursor = parse_qs(urlparse(following).query)["cursor"][0]
    response = client.get(reverse("member-list"), {"gender": "male", "cursor": cursor})
    text = response.content.decode()
    assert response.status_code == 400 and "与当前查询条件不符" in text and "已显示第一页" in text
    men = list(Member.objects.filter(gender="male").order_by("org_path", "id").values_list("id", flat=True))
    assert ids_on(text) == men[:3]


@pytest.mark.django_db
def test_an_altered_cursor_is_refused(client, many):
    client.force_login(many.users["county_admin"])
    html = client.get(reverse("member-list")).content.decode()
    cursor = parse_qs(urlparse(link(html, "page-next")).query)["cursor"][0]
    forged = pagination.make_cursor("next", ["0001", 1], "x")  # not signed for these filters
    for bad in (cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB"), "garbage", forged):
        response = client.get(reverse("member-list"), {"cursor": bad})
        text = response.content.decode()
        assert response.status_code == 400, bad
        assert "分页参数 cursor" in text and 'data-testid="cursor-error"' in text
        assert len(ids_on(text)) == 3  # the first page


@pytest.mark.django_db
def test_counts_stop_at_the_cap(client, many, settings):
    client.force_login(many.users["county_admin"])
    settings.DANGJIAN_LIST_COUNT_CAP = 5
    html = client.get(reverse("member-list")).content.decode()
    assert re.search(r'data-testid="total">5\+<', html) and "超过 5 条不再精确计数" in html
    small = client.get(reverse("member-list"), {"org": "D010201"}).content.decode()
    n = Member.objects.filter(org=many.branch_b).count()
    assert n <= 5 and re.search(rf'data-testid="total">{n}<', small) and "不再精确计数" not in small
    settings.DANGJIAN_LIST_COUNT_CAP = 10_000
    big = client.get(reverse("member-list")).content.decode()
    assert re.search(r'data-testid="total">13<', big)
    assert str(pagination.CappedCount(10_000, True)) == "10,000+"
    # the count query reads at most cap + 1 rows
    settings.DANGJIAN_LIST_COUNT_CAP = 5
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("member-list"))
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper() and "members_member" in q["sql"]]
    assert counts and all("LIMIT 6" in sql for sql in counts)


@pytest.mark.django_db
def test_export_takes_every_filtered_row(client, many, settings):
    settings.DANGJIAN_LIST_COUNT_CAP = 5
    client.force_login(many.users["county_admin"])
    response = client.get(reverse("member-list"), {"export": "xlsx", "cursor": "garbage"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [r for r in sheet.iter_rows(values_only=True) if any(r)]
    names = [str(r[0]) for r in rows]
    assert sum(1 for n in names if re.fullmatch(r"党员\d\d", n)) == 11 and "张三" in names and "李四" in names


@pytest.mark.django_db
def test_other_orderings_page_too(client, county, monkeypatch):
    """A plain unique ordering (categories by code), page by page through the view."""
    from dangjian.tickets.views import CategoryListView

    monkeypatch.setattr(CategoryListView, "paginate_by", 7)
    client.force_login(county.users["county_admin"])
    from dangjian.tickets.models import TicketCategory

    expected = list(TicketCategory.objects.order_by("code").values_list("code", flat=True))
    url, seen = reverse("ticket-categories"), []
    while url:
        html = client.get(url).content.decode()
        seen += re.findall(r"<td>(\d{2,})</td>", html)
        following = link(html, "page-next")
        url = reverse("ticket-categories") + following if following else None
    assert seen == expected


@pytest.mark.django_db
def test_postgresql_serves_the_member_page_from_the_path_index(client, many):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    client.force_login(many.users["township_admin"])
    first = client.get(reverse("member-list")).content.decode()
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("member-list") + link(first, "page-next") if link(first, "page-next") else reverse("member-list"))
    pages = [q["sql"] for q in captured.captured_queries
             if "members_member" in q["sql"] and "ORDER BY" in q["sql"] and "LIMIT" in q["sql"]]  # fmt: skip
    assert pages and "USING ~<~" in pages[0]
    with connection.cursor() as c:
        c.execute("SET enable_seqscan = off")
        c.execute("SET enable_bitmapscan = off")
        c.execute("EXPLAIN " + pages[0])
        plan = "\n".join(row[0] for row in c.fetchall())
        c.execute("RESET enable_seqscan")
        c.execute("RESET enable_bitmapscan")
    assert "member_org_path_idx" in plan and "Sort" not in plan, plan
    assert "~>=~" in plan  # the scope's LIKE 'prefix%' as an index range


@pytest.mark.django_db
@pytest.mark.parametrize("nulls_last", [True, False])
def test_nullable_descending_orderings_with_ties(many, nulls_last):
    """full_on descending with NULLs (probationary members) first or last, many ties: walked forward and back."""
    from django.db.models import F
    from django.http import QueryDict

    Member.objects.filter(name__in=["党员03", "党员05", "党员08"]).update(status="probationary", full_on=None)
    Member.objects.filter(name__in=["党员01", "党员02"]).update(full_on=dt.date(2020, 7, 1))
    order = F("full_on").desc(nulls_last=True) if nulls_last else F("full_on").desc(nulls_first=True)
    qs = Member.objects.order_by(order, "name")
    expected = list(qs.values_list("id", flat=True))
    assert len(expected) == 13
    params, seen, back = QueryDict(mutable=True), [], []
    while True:
        page = pagination.keyset_page(qs, params, 4)
        seen += [m.id for m in page]
        if not page.has_next:
            break
        params["cursor"] = page.next_cursor
    assert seen == expected
    params["cursor"] = "last"
    while True:
        page = pagination.keyset_page(qs, params, 4)
        back = [m.id for m in page] + back
        if not page.has_previous:
            break
        params["cursor"] = page.previous_cursor
    assert back == expected
