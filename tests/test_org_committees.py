"""Committees and terms (issue 4 §2): term lengths, elections and their refusals, postponement, vacancies,
the due list, the committee page and its scope, and one current committee per organisation under concurrency."""

import datetime as dt
import sqlite3
import threading

import pytest
from auditlog.models import LogEntry
from django.db import IntegrityError, connections, transaction
from django.urls import reverse

from dangjian.members.services import do_create_member
from dangjian.orgs import queries
from dangjian.orgs.models import (
    TERM_CITATION,
    TERM_CITATIONS,
    BranchCommittee,
    CommitteeSeat,
    PartyOrg,
    term_years_for,
)
from dangjian.orgs.services import (
    CommitteeError,
    do_elect_committee,
    do_fill_seat,
    do_postpone_term,
    do_vacate_seat,
)
from dangjian.places.models import Region
from tests.factories import build_county, id_number

TODAY = dt.date(2026, 6, 15)
SEC, DEP, MEM = "secretary", "deputy_secretary", "member"


def add_member(org, name, status="full"):
    return do_create_member(actor=None, name=name, id_number=id_number(), org=org, status=status,
                            joined_on=dt.date(2010, 7, 1), full_on=dt.date(2011, 7, 1) if status == "full" else None)


@pytest.fixture
def branch(county):
    """Branch A (a village branch) with five full members: a (张三), 王五, 赵六, 钱七, 孙八."""
    names = ["王五", "赵六", "钱七", "孙八"]
    county.people = [county.members["a"], *(add_member(county.branch_a, n) for n in names)]
    return county


def elect(c, on=dt.date(2024, 3, 1), approved=dt.date(2024, 3, 10), seats=None, actor=None, today=TODAY):
    p = c.people
    seats = seats if seats is not None else [(p[0], SEC), (p[1], DEP), (p[2], MEM)]
    return do_elect_committee(actor=actor or c.users["county_admin"], org=c.branch_a, elected_on=on,
                              approved_on=approved, seats=seats, today=today)


# ---- term lengths ------------------------------------------------------------------------------------------------
def test_term_years_per_kind_and_level(county):
    c = county
    community = Region.objects.add_child(Region.objects.get(pk=c.town_a.pk), dict(
        division_code="369901001002", name="新华社区", level="community"))

    def add(**fields):
        return PartyOrg.objects.add_child(PartyOrg.objects.get(pk=c.town_a_org.pk), fields)

    general = add(code="D010102", name="城关镇机关党总支", kind="general_branch", region=c.town_a)
    unit_branch = add(code="D010103", name="第一中学党支部", kind="branch", region=None)
    community_general = add(code="D010104", name="新华社区党总支", kind="general_branch", region=community)
    joint = add(code="D010105", name="非公企业联合党支部", kind="joint_branch", region=c.town_a)
    working = add(code="D010106", name="开发区党工委", kind="working_committee", region=None)
    assert term_years_for(c.county_org) == 5
    assert term_years_for(c.town_a_org) == 5  # 乡镇党委: a 基层党委
    assert term_years_for(working) == 5
    assert term_years_for(c.branch_a) == 5  # a village branch
    assert term_years_for(community_general) == 5  # every village or community organisation
    assert term_years_for(general) == 3
    assert term_years_for(unit_branch) == 3
    assert term_years_for(joint) == 3
    assert "《关于党的基层组织任期的意见》" in TERM_CITATION and "《中国共产党支部工作条例（试行）》" in TERM_CITATION
    assert all({"document", "article", "version", "effective_on"} <= set(c) for c in TERM_CITATIONS)


def test_ends_on_from_29_february_is_28_february():
    c = BranchCommittee(elected_on=dt.date(2024, 2, 29), approved_on=dt.date(2024, 3, 1), term_years=3)
    assert c.ends_on == dt.date(2027, 2, 28)
    assert c.due_on == c.ends_on
    assert BranchCommittee(elected_on=dt.date(2024, 2, 29), approved_on=dt.date(2024, 3, 1), term_years=4).ends_on \
        == dt.date(2028, 2, 29)
    c.postponed_to = dt.date(2027, 12, 1)
    assert c.due_on == dt.date(2027, 12, 1) and c.postponement_limit == dt.date(2028, 2, 28)


# ---- elections ---------------------------------------------------------------------------------------------------
def test_election_records_seats_secretary_term_and_audit(branch):
    c = branch
    committee = elect(c)
    assert committee.is_current and committee.term_years == 5 and committee.ends_on == dt.date(2029, 3, 1)
    assert sorted(committee.seats.values_list("role", flat=True)) == sorted([SEC, DEP, MEM])
    assert all(s.approved_on == dt.date(2024, 3, 10) for s in committee.seats.all())
    assert PartyOrg.objects.get(pk=c.branch_a.pk).secretary == c.people[0]
    entry = LogEntry.objects.get_for_object(committee).get()
    assert entry.actor == c.users["county_admin"]
    assert LogEntry.objects.filter(content_type__model="committeeseat").count() == 3


def test_re_election_ends_the_current_committee(branch):
    c = branch
    first = elect(c)
    p = c.people
    second = elect(c, on=dt.date(2026, 5, 1), approved=dt.date(2026, 5, 20), seats=[(p[3], SEC), (p[4], MEM)])
    first.refresh_from_db()
    assert first.ended_on == dt.date(2026, 5, 1) and not first.is_current and second.is_current
    assert BranchCommittee.objects.filter(org=c.branch_a, ended_on__isnull=True).get() == second
    assert PartyOrg.objects.get(pk=c.branch_a.pk).secretary == p[3]
    with pytest.raises(CommitteeError, match="选举日期应晚于本届委员会的选举日期"):
        elect(c, on=dt.date(2026, 5, 1), approved=dt.date(2026, 5, 20), seats=[(p[0], SEC)])


def _refusals(c):
    p = c.people
    probationary = add_member(c.branch_a, "周九", status="probationary")
    return [
        ({"seats": [(p[0], DEP), (p[1], MEM)]}, "应有且只有 1 名书记，现为 0 名"),
        ({"seats": [(p[0], SEC), (p[1], SEC)]}, "应有且只有 1 名书记，现为 2 名"),
        ({"seats": [(p[0], SEC), (p[0], MEM)]}, "张三重复填写"),
        ({"seats": [(p[0], SEC), (probationary, MEM)]}, "周九不是正式党员"),
        ({"seats": [(p[0], SEC), (c.members["b"], MEM)]}, "李四不是“东风村党支部”的党员"),
        ({"seats": [(p[0], SEC), (p[1], "chairman")]}, "职务“chairman”无效"),
        ({"seats": []}, "请填写当选的委员会成员"),
        ({"on": TODAY + dt.timedelta(days=1), "approved": TODAY + dt.timedelta(days=1)}, "选举日期不能晚于今天"),
        ({"on": dt.date(2024, 3, 10), "approved": dt.date(2024, 3, 9)}, "上级批复日期不能早于选举日期"),
        ({"approved": None}, "请填写上级批复日期"),
    ]


def test_election_refusals_are_chinese_and_change_nothing(branch):
    c = branch
    secretary_before = PartyOrg.objects.get(pk=c.branch_a.pk).secretary_id
    for kwargs, message in _refusals(c):
        with pytest.raises(CommitteeError) as exc:
            elect(c, **kwargs)
        assert message in exc.value.message, (kwargs, exc.value.message)
        assert exc.value.field in {"seats", "elected_on", "approved_on"}
    assert not BranchCommittee.objects.exists() and not CommitteeSeat.objects.exists()
    assert PartyOrg.objects.get(pk=c.branch_a.pk).secretary_id == secretary_before


def test_a_refused_re_election_keeps_the_current_committee(branch):
    c = branch
    first = elect(c)
    with pytest.raises(CommitteeError):
        elect(c, on=dt.date(2026, 5, 1), approved=dt.date(2026, 5, 2), seats=[(c.people[0], SEC), (c.people[0], MEM)])
    first.refresh_from_db()
    assert first.is_current and BranchCommittee.objects.count() == 1


def test_election_outside_the_actors_change_scope_is_refused(branch):
    c = branch
    with pytest.raises(CommitteeError, match="您不能维护“东风村党支部”的委员会"):
        elect(c, actor=c.users["grid_worker"])
    with pytest.raises(CommitteeError):
        do_elect_committee(actor=c.users["branch_secretary"], org=c.branch_b, elected_on=dt.date(2024, 3, 1),
                           approved_on=dt.date(2024, 3, 1), seats=[(c.members["b"], SEC)], today=TODAY)
    assert not BranchCommittee.objects.exists()
    assert elect(c, actor=c.users["branch_secretary"]).is_current


# ---- postponement ------------------------------------------------------------------------------------------------
def test_postponement_at_most_one_year_beyond_the_normal_end(branch):
    c = branch
    committee = elect(c, on=dt.date(2021, 3, 1), approved=dt.date(2021, 3, 5))  # ends 2026-03-01
    admin = c.users["township_admin"]
    with pytest.raises(CommitteeError, match="延期换届日期不能晚于 2027-03-01") as exc:
        do_postpone_term(actor=admin, committee=committee, postponed_to=dt.date(2027, 3, 2),
                         approved_on=dt.date(2026, 2, 1), document="城组〔2026〕3号", today=TODAY)
    assert exc.value.field == "postponed_to" and "《关于党的基层组织任期的意见》" in exc.value.message
    with pytest.raises(CommitteeError, match="应晚于任期届满日期（2026-03-01）"):
        do_postpone_term(actor=admin, committee=committee, postponed_to=dt.date(2026, 3, 1),
                         approved_on=dt.date(2026, 2, 1), document="城组〔2026〕3号", today=TODAY)
    with pytest.raises(CommitteeError, match="批复文号"):
        do_postpone_term(actor=admin, committee=committee, postponed_to=dt.date(2027, 3, 1),
                         approved_on=dt.date(2026, 2, 1), document=" ", today=TODAY)
    committee.refresh_from_db()
    assert committee.postponed_to is None
    do_postpone_term(actor=admin, committee=committee, postponed_to=dt.date(2027, 3, 1),
                     approved_on=dt.date(2026, 2, 1), document="城组〔2026〕3号", today=TODAY)
    committee.refresh_from_db()
    assert committee.postponed_to == dt.date(2027, 3, 1) == committee.due_on
    assert committee.postponement_document == "城组〔2026〕3号"
    assert committee.postponement_approved_on == dt.date(2026, 2, 1)


def test_an_ended_committee_cannot_be_postponed(branch):
    c = branch
    first = elect(c, on=dt.date(2021, 3, 1), approved=dt.date(2021, 3, 5))
    elect(c, on=dt.date(2026, 3, 1), approved=dt.date(2026, 3, 5))
    with pytest.raises(CommitteeError, match="已换届"):
        do_postpone_term(actor=None, committee=first, postponed_to=dt.date(2026, 6, 1),
                         approved_on=dt.date(2026, 2, 1), document="x", today=TODAY)


# ---- vacancies ---------------------------------------------------------------------------------------------------
def test_vacancy_and_by_election(branch):
    c = branch
    committee = elect(c)
    admin = c.users["county_admin"]
    secretary = committee.seats.get(role=SEC)
    do_vacate_seat(actor=admin, seat=secretary, left_on=dt.date(2025, 1, 10), reason="工作调动", today=TODAY)
    assert list(committee.vacancies) == [secretary]
    assert PartyOrg.objects.get(pk=c.branch_a.pk).secretary is None
    with pytest.raises(CommitteeError, match="张三已于 2025-01-10 离任"):
        do_vacate_seat(actor=admin, seat=secretary, left_on=dt.date(2025, 1, 11), reason="x", today=TODAY)
    with pytest.raises(CommitteeError, match="王五已是本届委员会成员"):
        do_fill_seat(actor=admin, committee=committee, member=c.people[1], role=SEC, elected_on=dt.date(2025, 2, 1),
                     today=TODAY)
    with pytest.raises(CommitteeError, match="李四不是“东风村党支部”的党员"):
        do_fill_seat(actor=admin, committee=committee, member=c.members["b"], role=SEC,
                     elected_on=dt.date(2025, 2, 1), today=TODAY)
    seat = do_fill_seat(actor=admin, committee=committee, member=c.people[3], role=SEC,
                        elected_on=dt.date(2025, 2, 1), today=TODAY)
    assert seat.fills == secretary and not committee.vacancies.exists()
    assert committee.open_seats.count() == 3
    assert PartyOrg.objects.get(pk=c.branch_a.pk).secretary == c.people[3]
    with pytest.raises(CommitteeError, match="没有空缺职位"):
        do_fill_seat(actor=admin, committee=committee, member=c.people[4], role=MEM, elected_on=dt.date(2025, 2, 1),
                     today=TODAY)


def test_vacate_refusals(branch):
    c = branch
    committee = elect(c)
    seat = committee.seats.get(role=MEM)
    for kwargs, message in [
        ({"left_on": dt.date(2024, 2, 1), "reason": "辞职"}, "离任日期不能早于当选日期（2024-03-01）"),
        ({"left_on": TODAY + dt.timedelta(days=1), "reason": "辞职"}, "离任日期不能晚于今天"),
        ({"left_on": dt.date(2025, 1, 1), "reason": ""}, "请填写离任原因"),
    ]:
        with pytest.raises(CommitteeError, match=message):
            do_vacate_seat(actor=None, seat=seat, today=TODAY, **kwargs)
    seat.refresh_from_db()
    assert seat.left_on is None and not committee.vacancies.exists()


# ---- the due list ------------------------------------------------------------------------------------------------
def test_committees_due_expiring_expired_and_past_the_limit(branch):
    c = branch
    p = c.people
    admin = c.users["county_admin"]
    # branch A (5 years): elected 2021-08-01 → ends 2026-08-01, 47 days after TODAY: expiring
    elect(c, on=dt.date(2021, 8, 1), approved=dt.date(2021, 8, 2))
    # branch B (5 years): elected 2021-05-01 → ended 2026-05-01: expired
    do_elect_committee(actor=admin, org=c.branch_b, elected_on=dt.date(2021, 5, 1), approved_on=dt.date(2021, 5, 2),
                       seats=[(c.members["b"], SEC)], today=TODAY)
    # town A (5 years): elected 2020-06-01 → ended 2025-06-01, more than a year ago: past the postponement limit
    do_elect_committee(actor=admin, org=c.town_a_org, elected_on=dt.date(2020, 6, 1), approved_on=dt.date(2020, 6, 2),
                       seats=[(p[1], SEC)], today=TODAY)
    # town B: recent, not due
    do_elect_committee(actor=admin, org=c.town_b_org, elected_on=dt.date(2025, 1, 1), approved_on=dt.date(2025, 1, 2),
                       seats=[(c.members["b"], SEC)], today=TODAY)
    rows = queries.committees_due(admin, within_days=90, today=TODAY)
    assert [(r.committee.org.code, r.state) for r in rows] == [
        ("D0101", "past_limit"), ("D010201", "expired"), ("D010101", "expiring")]
    assert rows[2].days_left == 47 and rows[1].days_left == -45 and rows[1].state_label == "已届满未换届"
    assert [r.committee.org.code for r in queries.committees_due(admin, within_days=30, today=TODAY)] == [
        "D0101", "D010201"]
    # the scope: a branch secretary sees their own branch only; a township admin their township
    assert [r.committee.org.code for r in queries.committees_due(c.users["branch_secretary"], today=TODAY)] == [
        "D010101"]
    assert [r.committee.org.code for r in queries.committees_due(c.users["township_admin"], today=TODAY)] == [
        "D0101", "D010101"]
    assert queries.committees_due(c.users["department_handler"], today=TODAY) == []
    # a postponement moves branch B out of "expired" until the postponed date
    do_postpone_term(actor=admin, committee=rows[1].committee, postponed_to=dt.date(2027, 4, 30),
                     approved_on=dt.date(2026, 4, 1), document="河组〔2026〕1号", today=TODAY)
    assert "D010201" not in [r.committee.org.code for r in queries.committees_due(admin, today=TODAY)]
    late = queries.committees_due(admin, today=dt.date(2027, 5, 1))
    assert ("D010201", "expired") in [(r.committee.org.code, r.state) for r in late]
    assert ("D010201", "past_limit") in [(r.committee.org.code, r.state)
                                         for r in queries.committees_due(admin, today=dt.date(2027, 5, 2))]


def test_due_boundary_on_29_february(branch):
    c = branch
    c.branch_a.region = None  # a 3-year branch
    c.branch_a.save()
    elect(c, on=dt.date(2024, 2, 29), approved=dt.date(2024, 2, 29), today=dt.date(2024, 3, 1))  # ends 2027-02-28
    admin = c.users["county_admin"]
    assert [r.days_left for r in queries.committees_due(admin, within_days=0, today=dt.date(2027, 2, 28))] == [0]
    assert queries.committees_due(admin, within_days=0, today=dt.date(2027, 2, 27)) == []


# ---- the page ----------------------------------------------------------------------------------------------------
def test_page_for_in_scope_users_and_404_outside(branch, login, client):
    c = branch
    elect(c, on=dt.date(2024, 3, 1), approved=dt.date(2024, 3, 10))
    url_a = reverse("org-committee", args=[c.branch_a.pk])
    login(c.users["branch_secretary"])
    page = client.get(url_a)
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("本届委员会", "2029-03-01", "每届任期 5 年", "张三", "王五", "历届委员会", "登记换届选举", "登记延期换届",
                 "登记离任", "剩余", "《关于党的基层组织任期的意见》", "委员会与任期"):
        assert text in html, text
    assert 'data-testid="elect-form"' in html
    assert client.get(reverse("org-committee", args=[c.branch_b.pk])).status_code == 404
    assert client.get(reverse("org-committee", args=[c.town_a_org.pk])).status_code == 404
    assert client.get(reverse("org-committee", args=[999999])).status_code == 404
    login(c.users["township_admin"])
    assert client.get(url_a).status_code == 200
    assert client.get(reverse("org-committee", args=[c.town_a_org.pk])).status_code == 200
    assert client.get(reverse("org-committee", args=[c.branch_b.pk])).status_code == 404
    for role in ("member", "grid_worker", "department_handler", "resident"):
        login(c.users[role])
        assert client.get(url_a).status_code == 404, role
        assert client.post(url_a, {"action": "elect"}).status_code == 404, role


def test_page_records_an_election_a_vacancy_a_postponement_and_a_by_election(branch, login, client):
    from django.utils import timezone

    c = branch
    p = c.people
    today = timezone.localdate()
    url = reverse("org-committee", args=[c.branch_a.pk])
    login(c.users["township_admin"])
    page = client.get(url)
    assert "尚未登记委员会" in page.content.decode() and 'data-testid="postpone-form"' not in page.content.decode()
    refused = client.post(url, {"action": "elect", "elected_on": today.isoformat(), "approved_on": today.isoformat(),
                                "member_0": p[0].pk, "role_0": MEM, "member_1": p[1].pk, "role_1": MEM})
    assert refused.status_code == 400 and "委员会应有且只有 1 名书记，现为 0 名" in refused.content.decode()
    assert not BranchCommittee.objects.exists()
    done = client.post(url, {"action": "elect", "elected_on": today.isoformat(), "approved_on": today.isoformat(),
                             "member_0": p[0].pk, "role_0": SEC, "member_1": p[1].pk, "role_1": MEM,
                             "member_2": "", "role_2": MEM})
    assert done.status_code == 302
    committee = BranchCommittee.objects.get(org=c.branch_a)
    assert committee.seats.count() == 2 and PartyOrg.objects.get(pk=c.branch_a.pk).secretary == p[0]
    seat = committee.seats.get(member=p[1])
    assert client.post(url, {"action": "vacate", "seat": seat.pk, "left_on": today.isoformat(),
                             "reason": "辞职"}).status_code == 302
    html = client.get(url).content.decode()
    assert "空缺 1 个" in html and "原任 王五" in html and 'data-testid="fill-form"' in html
    assert client.post(url, {"action": "fill", "member": p[2].pk, "role": MEM,
                             "elected_on": today.isoformat()}).status_code == 302
    assert not committee.vacancies.exists()
    limit = committee.postponement_limit
    too_late = client.post(url, {"action": "postpone", "postponed_to": (limit + dt.timedelta(days=1)).isoformat(),
                                 "approved_on": today.isoformat(), "document": "城组〔2031〕1号"})
    assert too_late.status_code == 400 and "延期一般不超过 1 年" in too_late.content.decode()
    assert client.post(url, {"action": "postpone", "postponed_to": limit.isoformat(), "approved_on": today.isoformat(),
                             "document": "城组〔2031〕1号"}).status_code == 302
    committee.refresh_from_db()
    assert committee.postponed_to == limit
    # the organisation tree and list link to the page
    assert url in client.get(reverse("org-list")).content.decode()
    assert url in client.get(reverse("org-children", args=[c.town_a_org.pk])).content.decode()


# ---- one current committee per organisation ----------------------------------------------------------------------
def test_the_database_allows_one_current_committee_per_org(branch):
    c = branch
    BranchCommittee.objects.create(org=c.branch_a, elected_on=dt.date(2024, 1, 1), approved_on=dt.date(2024, 1, 1),
                                   term_years=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        BranchCommittee.objects.create(org=c.branch_a, elected_on=dt.date(2025, 1, 1),
                                       approved_on=dt.date(2025, 1, 1), term_years=5)
    BranchCommittee.objects.create(org=c.branch_a, elected_on=dt.date(2020, 1, 1), approved_on=dt.date(2020, 1, 1),
                                   term_years=5, ended_on=dt.date(2024, 1, 1))
    assert BranchCommittee.objects.filter(org=c.branch_a).count() == 2


@pytest.fixture
def file_database(transactional_db):
    """On SQLite the test database is in memory and shared by one connection; copy it to a file so that each
    thread has its own connection with the project's options (WAL, BEGIN IMMEDIATE). Elsewhere: as is."""
    default = connections["default"]
    if not (default.vendor == "sqlite" and default.is_in_memory_db()):
        yield None
        return
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp(prefix="dangjian-committee-")) / "db.sqlite3"
    default.ensure_connection()
    with sqlite3.connect(path) as target:
        default.connection.backup(target)
    target.close()
    settings = {**default.settings_dict, "NAME": str(path)}
    main = type(default)(dict(settings), "default")
    connections["default"] = main
    try:
        yield settings
    finally:
        main.close()
        connections["default"] = default


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_elections_leave_one_current_committee(file_database):
    c = build_county()
    c.people = [c.members["a"], add_member(c.branch_a, "王五")]
    backend = type(connections["default"])
    rounds, barrier, results = 4, threading.Barrier(2), []

    def run(member, elected_on):
        if file_database is not None:
            connections["default"] = backend(dict(file_database), "default")
        try:
            barrier.wait(timeout=10)
            do_elect_committee(actor=None, org=c.branch_a, elected_on=elected_on, approved_on=elected_on,
                               seats=[(member, SEC)], today=TODAY)
            results.append("ok")
        except CommitteeError as exc:
            results.append(exc.message)
        finally:
            connections["default"].close()

    for i in range(rounds):
        day = dt.date(2020 + i, 1, 1)
        threads = [threading.Thread(target=run, args=(m, day)) for m in c.people]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    assert len(results) == 2 * rounds and results.count("ok") == rounds, results
    assert all("选举日期应晚于本届委员会的选举日期" in r for r in results if r != "ok")
    assert BranchCommittee.objects.filter(org=c.branch_a).count() == rounds
    assert BranchCommittee.objects.filter(org=c.branch_a, ended_on__isnull=True).count() == 1
