"""Transfers (组织关系转接) and mobile members (流动党员): letters and their validity, receipt moving the member in one
transaction, expiry, transfers out of the system, refusals, the Art 24 prompts, the pages, and a hypothesis state
machine that checks the invariant (one live organisation per member, at most one open transfer) after every step."""

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from dangjian.members import queries, services
from dangjian.members.models import ContactLog, Member, MobileStay, Transfer
from dangjian.members.services import MemberError, months_before
from tests.factories import id_number

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def issue(county, member="a", **kwargs):
    kwargs.setdefault("to_org", county.branch_b if member == "a" else county.branch_a)
    return services.do_issue_transfer(actor=None, member=county.members[member], **kwargs)


def fresh(obj):
    return type(obj).all_objects.get(pk=obj.pk) if isinstance(obj, Member) else type(obj).objects.get(pk=obj.pk)


def snapshot():
    """Everything a refused write must leave untouched."""
    return (
        sorted(Member.all_objects.values_list("pk", "org_id", "org_path", "deleted_at", "deleted_reason", "is_mobile")),
        sorted(Transfer.objects.values_list("pk", "status", "received_on", "closed_reason", "to_org_id")),
        MobileStay.objects.count(), ContactLog.objects.count(), LogEntry.objects.count(),
    )  # fmt: skip


# ---- letters -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("months", "certain", "kind"), [
    (6, True, "introduction"), (24, True, "introduction"), (5, True, "certificate"), (0, True, "certificate"),
    (None, True, "mobile_card"), (12, False, "mobile_card"),
])  # fmt: skip
def test_the_letter_a_move_calls_for(months, certain, kind):
    assert services.kind_for(months_away=months, place_certain=certain) == kind


def test_validity_is_30_days_by_default(county):
    t = issue(county, issued_on=TODAY - dt.timedelta(days=3))
    assert (t.valid_days, t.expires_on, t.status) == (30, TODAY + dt.timedelta(days=27), "issued")
    assert (t.from_org, t.from_org_path, t.to_org_path) == (county.branch_a, county.branch_a.path, county.branch_b.path)
    assert t.kind == "introduction" and not t.is_expired


def test_validity_of_90_days_is_the_maximum(county):
    assert issue(county, valid_days=90).expires_on == TODAY + dt.timedelta(days=90)


@pytest.mark.parametrize("days", [91, 0, -1, "三十"])
def test_validity_outside_1_to_90_days_is_refused(county, days):
    before = snapshot()
    with pytest.raises(MemberError, match="有效期"):
        issue(county, valid_days=days)
    assert snapshot() == before


def test_91_days_names_the_limit_and_the_document(county):
    with pytest.raises(MemberError) as exc:
        issue(county, valid_days=91)
    assert "90" in str(exc.value) and "中组发〔2004〕10号" in str(exc.value)


def test_the_database_refuses_a_validity_above_90_days(county):
    with pytest.raises(IntegrityError), transaction.atomic():
        Transfer.objects.create(member=county.members["a"], from_org=county.branch_a, to_org=county.branch_b,
                                issued_on=TODAY, valid_days=91, expires_on=TODAY)


def test_certificate_and_mobile_card_kinds_are_stored(county):
    t = issue(county, kind="certificate")
    assert t.get_kind_display() == "证明信"
    with pytest.raises(MemberError, match="介绍信类型"):
        issue(county, member="b", kind="telegram")


# ---- receipt --------------------------------------------------------------------------------------------------


def test_the_member_stays_in_the_sending_organisation_until_receipt(county):
    t = issue(county)
    a = fresh(county.members["a"])
    assert (a.org, a.org_path) == (county.branch_a, county.branch_a.path)
    services.do_receive_transfer(actor=county.users["county_admin"], transfer=t)
    a = fresh(a)
    assert (a.org, a.org_path) == (county.branch_b, county.branch_b.path)
    t = fresh(t)
    assert (t.status, t.received_on) == ("received", TODAY)
    assert Member.objects.restrict(county.users["branch_secretary"]).filter(pk=a.pk).count() == 0
    assert Member.objects.restrict(county.users["county_admin"]).filter(pk=a.pk, org_path=county.branch_b.path).exists()


def test_receipt_is_atomic(county, monkeypatch):
    """If moving the member fails, the letter is not marked received either."""
    t = issue(county)

    def broken(self, *args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Member, "save", broken)
    with pytest.raises(RuntimeError):
        services.do_receive_transfer(actor=None, transfer=t)
    monkeypatch.undo()
    assert fresh(t).status == "issued" and fresh(t).received_on is None
    assert fresh(county.members["a"]).org == county.branch_a


def test_two_receipts_cannot_both_succeed(county):
    t = issue(county)
    stale = Transfer.objects.get(pk=t.pk)
    services.do_receive_transfer(actor=None, transfer=t)
    before = snapshot()
    with pytest.raises(MemberError, match="已接收"):
        services.do_receive_transfer(actor=None, transfer=stale)
    assert snapshot() == before


def test_only_the_receiving_side_may_receive_or_return(county):
    t = issue(county)  # 东风村 (town A) → 柳林村 (town B)
    before = snapshot()
    for role in ("branch_secretary", "township_admin", "grid_worker", "member"):
        with pytest.raises(MemberError, match="您无权"):
            services.do_receive_transfer(actor=county.users[role], transfer=t)
        with pytest.raises(MemberError, match="您无权"):
            services.do_return_transfer(actor=county.users[role], transfer=t, reason="不符")
    assert snapshot() == before
    # the sending side may cancel, the county too
    services.do_cancel_transfer(actor=county.users["branch_secretary"], transfer=t, reason="开错")
    assert fresh(t).status == "cancelled"


def test_the_receiving_township_may_receive(county):
    """b (town B) → 东风村 (town A): town A's administrator and 东风村's secretary receive."""
    t = issue(county, member="b", to_org=county.branch_a)
    with pytest.raises(MemberError, match="您无权撤销"):
        services.do_cancel_transfer(actor=county.users["township_admin"], transfer=t)
    services.do_receive_transfer(actor=county.users["branch_secretary"], transfer=t)
    assert fresh(county.members["b"]).org == county.branch_a


def test_a_mobile_card_keeps_the_membership_and_marks_the_member_mobile(county):
    t = issue(county, kind="mobile_card", to_org=None, to_org_name="广东省深圳市某流动党员党支部")
    services.do_receive_transfer(actor=None, transfer=t)
    a = fresh(county.members["a"])
    assert (a.org, a.deleted_at, a.is_mobile) == (county.branch_a, None, True)
    assert MobileStay.objects.get(member=a, returned_on=None).destination == "广东省深圳市某流动党员党支部"


# ---- expiry ---------------------------------------------------------------------------------------------------


def test_a_letter_is_valid_through_its_last_day(county):
    t = issue(county, issued_on=TODAY - dt.timedelta(days=30))
    assert t.expires_on == TODAY and not t.is_expired
    assert services.do_expire_transfers(today=TODAY) == 0
    services.do_receive_transfer(actor=None, transfer=t)
    assert fresh(t).status == "received"


def test_a_letter_past_its_validity_is_expired_once(county):
    t = issue(county, issued_on=TODAY - dt.timedelta(days=31))
    assert t.is_expired and t.is_past_validity(TODAY) and not t.is_past_validity(TODAY - dt.timedelta(days=1))
    before = snapshot()
    with pytest.raises(MemberError, match="过期"):
        services.do_receive_transfer(actor=None, transfer=t)
    assert snapshot() == before
    assert services.do_expire_transfers(today=TODAY) == 1
    assert services.do_expire_transfers(today=TODAY) == 0  # idempotent
    t = fresh(t)
    assert t.status == "expired" and t.is_expired
    assert fresh(county.members["a"]).org == county.branch_a
    # the member can be given a new letter
    assert issue(county).status == "issued"


def test_a_late_entry_of_a_receipt_within_validity_is_accepted(county):
    t = issue(county, issued_on=TODAY - dt.timedelta(days=40))
    services.do_receive_transfer(actor=None, transfer=t, received_on=TODAY - dt.timedelta(days=15))
    assert fresh(county.members["a"]).org == county.branch_b


def test_expiry_marks_only_past_letters(county):
    old = issue(county, issued_on=TODAY - dt.timedelta(days=10), valid_days=5)
    new = issue(county, member="b", issued_on=TODAY - dt.timedelta(days=10), valid_days=10)
    assert services.do_expire_transfers(today=TODAY) == 1
    assert (fresh(old).status, fresh(new).status) == ("expired", "issued")


# ---- out of the system --------------------------------------------------------------------------------------


def test_a_transfer_out_of_the_system_ends_with_the_member_removed_as_transferred_out(county):
    t = issue(county, to_org=None, to_org_name="外省某县某村党支部")
    assert t.is_external and t.to_org_path == ""
    with pytest.raises(MemberError, match="您无权"):  # not the sending side
        services.do_receive_transfer(actor=county.users["grid_worker"], transfer=t)
    services.do_receive_transfer(actor=county.users["branch_secretary"], transfer=t)
    a = Member.all_objects.get(pk=county.members["a"].pk)
    assert a.deleted_at is not None and a.deleted_reason == "转出" and a.org == county.branch_a
    assert not Member.objects.filter(pk=a.pk).exists()
    # still visible on the sending side's transfer list
    assert Transfer.objects.restrict(county.users["branch_secretary"]).filter(pk=t.pk).exists()


def test_a_destination_is_one_of_in_system_or_outside(county):
    with pytest.raises(MemberError, match="转入党组织"):
        issue(county, to_org=county.branch_b, to_org_name="外省某支部")
    with pytest.raises(MemberError, match="转入党组织"):
        issue(county, to_org=None, to_org_name="  ")


# ---- refusals -------------------------------------------------------------------------------------------------


def test_refusals_leave_everything_unchanged(county):
    t = issue(county)
    before = snapshot()
    refusals = [
        (lambda: issue(county), "未办结"),
        (lambda: issue(county, member="b", to_org=county.branch_b), "同一党组织"),
        (lambda: issue(county, member="b", issued_on=TODAY + dt.timedelta(days=1)), "开具日期"),
        (lambda: services.do_issue_transfer(actor=county.users["branch_secretary"], member=county.members["b"],
                                            to_org=county.branch_a), "您无权"),
        (lambda: services.do_return_transfer(actor=None, transfer=t, reason="  "), "退回原因"),
        (lambda: services.do_receive_transfer(actor=None, transfer=t, received_on=TODAY - dt.timedelta(days=1)),
         "接收日期"),
        (lambda: services.do_receive_transfer(actor=None, transfer=t, received_on=TODAY + dt.timedelta(days=1)),
         "接收日期"),
        (lambda: services.do_cancel_transfer(actor=county.users["grid_worker"], transfer=t), "您无权"),
        (lambda: services.do_update_member(actor=None, member=county.members["a"], org=county.town_a_org), "转接"),
    ]  # fmt: skip
    for call, message in refusals:
        with pytest.raises(MemberError, match=message):
            call()
        assert snapshot() == before, message
    services.do_return_transfer(actor=None, transfer=t, reason="该党员不在本村居住")
    t = fresh(t)
    assert (t.status, t.closed_reason) == ("returned", "该党员不在本村居住")
    after = snapshot()
    for call in (lambda: services.do_receive_transfer(actor=None, transfer=t),
                 lambda: services.do_cancel_transfer(actor=None, transfer=t),
                 lambda: services.do_return_transfer(actor=None, transfer=t, reason="再次")):
        with pytest.raises(MemberError, match="已退回"):
            call()
        assert snapshot() == after


def test_at_most_one_open_transfer_per_member_in_the_database(county):
    issue(county)
    with pytest.raises(IntegrityError), transaction.atomic():
        Transfer.objects.create(member=county.members["a"], from_org=county.branch_a, to_org=county.town_b_org,
                                issued_on=TODAY, expires_on=TODAY)


def test_writes_are_audited_with_the_actor(county):
    t = services.do_issue_transfer(actor=county.users["county_admin"], member=county.members["a"],
                                   to_org=county.branch_b)
    services.do_receive_transfer(actor=county.users["county_admin"], transfer=t)
    entries = LogEntry.objects.get_for_object(t)
    assert entries.count() == 2 and {e.actor for e in entries} == {county.users["county_admin"]}
    moved = LogEntry.objects.get_for_object(county.members["a"]).first()
    assert moved.actor == county.users["county_admin"] and "org" in moved.changes_dict


# ---- mobile members -------------------------------------------------------------------------------------------


def test_away_six_months_makes_a_mobile_member(county):
    a, b = county.members["a"], county.members["b"]
    services.do_start_mobile_stay(actor=None, member=a, left_on=months_before(TODAY, 6), destination="浙江宁波")
    services.do_start_mobile_stay(actor=None, member=b, left_on=months_before(TODAY, 6) + dt.timedelta(days=1),
                                  destination="江苏苏州", reason="务工")
    assert (fresh(a).is_mobile, fresh(b).is_mobile) == (True, False)
    assert services.do_refresh_mobile_flags(today=TODAY) == 0
    assert services.do_refresh_mobile_flags(today=TODAY + dt.timedelta(days=1)) == 1
    assert services.do_refresh_mobile_flags(today=TODAY + dt.timedelta(days=1)) == 0
    assert fresh(b).is_mobile
    with pytest.raises(MemberError, match="未结束"):
        services.do_start_mobile_stay(actor=None, member=b, left_on=TODAY, destination="上海")
    services.do_end_mobile_stay(actor=None, member=b, returned_on=TODAY)
    assert not fresh(b).is_mobile
    with pytest.raises(MemberError, match="没有未结束"):
        services.do_end_mobile_stay(actor=None, member=b)


def test_months_before_clamps_to_the_end_of_the_month():
    assert months_before(dt.date(2026, 8, 31), 6) == dt.date(2026, 2, 28)
    assert months_before(dt.date(2024, 8, 31), 6) == dt.date(2024, 2, 29)
    assert months_before(dt.date(2026, 1, 15), 30) == dt.date(2023, 7, 15)


def prompts(today):
    qs = queries.mobile_members_for(None)
    return (set(queries.suspension_prompted(qs, today).values_list("name", flat=True)),
            set(queries.expulsion_prompted(qs, today).values_list("name", flat=True)))


@pytest.mark.parametrize(("months", "extra_days", "suspend", "expel"), [
    (6, 0, True, False), (6, -1, False, False), (30, 0, True, True), (30, -1, True, False),
])  # fmt: skip
def test_out_of_contact_prompts_at_six_months_and_two_years_after(county, months, extra_days, suspend, expel):
    today = dt.date(2026, 3, 31)
    last = months_before(today, months) - dt.timedelta(days=extra_days)
    a = county.members["a"]
    services.do_start_mobile_stay(actor=None, member=a, left_on=dt.date(2020, 1, 1), destination="外地")
    services.do_record_contact(actor=None, member=a, contacted_on=dt.date(2020, 6, 1), method="phone")
    services.do_record_contact(actor=None, member=a, contacted_on=last, method="wechat", note="已联系")
    assert prompts(today) == ({"张三"} if suspend else set(), {"张三"} if expel else set())
    assert queries.prompt_for(last, today) == ("expel" if expel else "suspend" if suspend else "")


def test_a_new_stay_restarts_the_contact_clock(county):
    today = TODAY
    a = county.members["a"]
    services.do_record_contact(actor=None, member=a, contacted_on=months_before(today, 40))
    services.do_start_mobile_stay(actor=None, member=a, left_on=months_before(today, 7), destination="外地")
    assert prompts(today) == ({"张三"}, set())
    assert "第二十四条" in queries.MOBILE_CITATION["article"] and "2019" in queries.MOBILE_CITATION["version"]


def test_only_mobile_members_are_prompted(county):
    services.do_record_contact(actor=None, member=county.members["a"], contacted_on=months_before(TODAY, 40))
    assert prompts(TODAY) == (set(), set())


def test_contact_refusals(county):
    before = snapshot()
    with pytest.raises(MemberError, match="联系日期"):
        services.do_record_contact(actor=None, member=county.members["a"], contacted_on=TODAY + dt.timedelta(days=1))
    with pytest.raises(MemberError, match="您无权"):
        services.do_record_contact(actor=county.users["member"], member=county.members["a"])
    with pytest.raises(MemberError, match="您无权"):
        services.do_start_mobile_stay(actor=county.users["township_admin"], member=county.members["b"],
                                      left_on=TODAY, destination="外地")
    assert snapshot() == before
    log = services.do_record_contact(actor=county.users["branch_secretary"], member=county.members["a"])
    assert log.by == county.users["branch_secretary"]


# ---- pages ----------------------------------------------------------------------------------------------------


def test_member_detail_shows_the_section_and_issues_a_letter(county, login):
    client = login(county.users["branch_secretary"])
    a = county.members["a"]
    page = client.get(reverse("member-detail", args=[a.pk]))
    assert page.status_code == 200 and "组织关系转接" in page.text and "开具组织关系介绍信" in page.text
    response = client.post(reverse("member-transfer-issue", args=[a.pk]), {
        "kind": "introduction", "to_org": "D010201", "issued_on": TODAY.isoformat(), "valid_days": 30,
        "letter_no": "2026-001"})  # fmt: skip
    assert response.status_code == 302
    t = Transfer.objects.get(member=a)
    assert (t.to_org, t.letter_no) == (county.branch_b, "2026-001")
    page = client.get(reverse("member-detail", args=[a.pk]))
    assert "柳林村党支部" in page.text and "撤销" in page.text and 'data-testid="receive"' not in page.text
    refused = client.post(reverse("member-transfer-issue", args=[a.pk]), {
        "kind": "introduction", "to_org": "D010201", "issued_on": TODAY.isoformat(), "valid_days": 91}, follow=True)
    assert "有效期" in refused.text and Transfer.objects.filter(member=a).count() == 1


def test_out_of_scope_member_routes_answer_404(county, login):
    client = login(county.users["branch_secretary"])
    b = county.members["b"]
    assert client.post(reverse("member-transfer-issue", args=[b.pk]), {}).status_code == 404
    assert client.post(reverse("member-contact-add", args=[b.pk]), {}).status_code == 404
    assert client.post(reverse("member-mobile", args=[b.pk, "start"]), {}).status_code == 404
    client = login(county.users["member"])
    assert client.post(reverse("member-contact-add", args=[county.members["a"].pk]), {}).status_code == 404


def test_transfer_pages_for_both_sides(county, login):
    t = issue(county, member="b", to_org=county.branch_a)  # town B → 东风村
    client = login(county.users["branch_secretary"])  # the receiving side
    listing = client.get(reverse("member-transfers"))
    assert listing.status_code == 200 and "李四" in listing.text
    assert "李四" in client.get(reverse("member-transfers"), {"direction": "in"}).text
    assert "李四" not in client.get(reverse("member-transfers"), {"direction": "out"}).text
    assert "李四" not in client.get(reverse("member-transfers"), {"status": "received"}).text
    detail = client.get(reverse("transfer-detail", args=[t.pk]))
    assert detail.status_code == 200 and 'data-testid="receive"' in detail.text and "党员档案" not in detail.text
    export = client.get(reverse("member-transfers"), {"export": "xlsx"})
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")
    response = client.post(reverse("transfer-act", args=[t.pk, "receive"]), {"received_on": TODAY.isoformat()})
    assert response.status_code == 302 and fresh(county.members["b"]).org == county.branch_a
    assert client.get(reverse("member-detail", args=[county.members["b"].pk])).status_code == 200
    # outsiders: 404 on the transfer, empty lists
    for role in ("grid_worker", "department_handler", "resident"):
        other = login(county.users[role])
        assert other.get(reverse("transfer-detail", args=[t.pk])).status_code == 404
        assert other.post(reverse("transfer-act", args=[t.pk, "cancel"])).status_code == 404
        assert other.get(reverse("member-transfers")).status_code == 200
    assert login(county.users["county_admin"]).post(reverse("transfer-act", args=[t.pk, "explode"])).status_code == 404


def test_transfer_act_refusal_comes_back_as_a_message(county, login):
    t = issue(county)
    client = login(county.users["branch_secretary"])  # sending side: may cancel, not receive
    response = client.post(reverse("transfer-act", args=[t.pk, "receive"]), follow=True)
    assert "您无权接收" in response.text and fresh(t).status == "issued"
    client.post(reverse("transfer-act", args=[t.pk, "cancel"]), {"reason": "开错"})
    assert fresh(t).status == "cancelled"


def test_contacts_page_lists_mobile_members_with_prompts(county, login):
    a = county.members["a"]
    services.do_start_mobile_stay(actor=None, member=a, left_on=months_before(TODAY, 8), destination="广州")
    client = login(county.users["branch_secretary"])
    page = client.get(reverse("member-contacts"))
    assert page.status_code == 200 and "张三" in page.text and "停止党籍程序</td>" in page.text
    assert "张三" in client.get(reverse("member-contacts"), {"prompt": "suspend"}).text
    assert "张三" not in client.get(reverse("member-contacts"), {"prompt": "expel"}).text
    client.post(reverse("member-contact-add", args=[a.pk]), {"contacted_on": TODAY.isoformat(), "method": "phone",
                                                              "note": "在广州务工"})  # fmt: skip
    page = client.get(reverse("member-contacts"))
    assert "停止党籍程序</td>" not in page.text and TODAY.isoformat() in page.text
    assert client.get(reverse("member-contacts"), {"export": "xlsx"}).status_code == 200
    assert "张三" not in login(county.users["department_handler"]).get(reverse("member-contacts")).text
    detail = login(county.users["branch_secretary"]).get(reverse("member-detail", args=[a.pk]))
    assert "在广州务工" in detail.text
    client.post(reverse("member-mobile", args=[a.pk, "end"]), {"returned_on": TODAY.isoformat()})
    assert not fresh(a).is_mobile


# ---- the invariant under random sequences ---------------------------------------------------------------------

EXTERNAL = "外省某县某党支部"


class TransferMachine(RuleBasedStateMachine):
    """Random issue / receive / return / cancel / expire over a few members and organisations. An oracle predicts
    each outcome; after every step each member is in exactly one live organisation (or removed with reason 转出)
    and has at most one open transfer."""

    county = None  # set by the test

    @initialize()
    def start(self):
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        c = self.county
        self.orgs = [c.branch_a, c.branch_b, c.town_a_org]
        self.members = [services.do_create_member(actor=None, name=f"党员{i}", id_number=id_number(), org=org)
                        for i, org in enumerate((c.branch_a, c.branch_a, c.branch_b))]  # fmt: skip
        self.where = {m.pk: m.org_id for m in self.members}  # org pk, or "out"
        self.open = {m.pk: None for m in self.members}  # the oracle's open transfer

    def teardown(self):
        if hasattr(self, "atomic"):
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

    def _member(self, i):
        return self.members[i % len(self.members)]

    def _last(self, member):
        return Transfer.objects.filter(member=member).order_by("-pk").first()

    @rule(i=st.integers(0, 2), dest=st.integers(0, 3), kind=st.sampled_from(Transfer.Kind.values),
          age=st.integers(0, 100), valid=st.integers(-1, 95))
    def issue(self, i, dest, kind, age, valid):
        member = self._member(i)
        to_org = self.orgs[dest] if dest < len(self.orgs) else None
        ok = (self.where[member.pk] != "out" and self.open[member.pk] is None and 1 <= valid <= 90
              and (to_org is None or to_org.pk != self.where[member.pk]))  # fmt: skip
        before = snapshot()
        try:
            t = services.do_issue_transfer(actor=None, member=member, kind=kind, to_org=to_org,
                                           to_org_name="" if to_org else EXTERNAL,
                                           issued_on=TODAY - dt.timedelta(days=age), valid_days=valid)
        except MemberError:
            assert not ok and snapshot() == before
            return
        assert ok
        self.open[member.pk] = t

    @rule(i=st.integers(0, 2))
    def receive(self, i):
        member = self._member(i)
        t = self.open[member.pk] or self._last(member)
        if t is None:
            return
        ok = self.open[member.pk] is not None and TODAY <= t.expires_on
        before = snapshot()
        try:
            services.do_receive_transfer(actor=None, transfer=t)
        except MemberError:
            assert not ok and snapshot() == before
            return
        assert ok
        if t.kind != Transfer.Kind.MOBILE_CARD:
            self.where[member.pk] = "out" if t.is_external else t.to_org_id
        self.open[member.pk] = None

    @rule(i=st.integers(0, 2), cancel=st.booleans())
    def close(self, i, cancel):
        member = self._member(i)
        t = self.open[member.pk] or self._last(member)
        if t is None:
            return
        before = snapshot()
        try:
            if cancel:
                services.do_cancel_transfer(actor=None, transfer=t)
            else:
                services.do_return_transfer(actor=None, transfer=t, reason="不符合接收条件")
        except MemberError:
            assert self.open[member.pk] is None and snapshot() == before
            return
        assert self.open[member.pk] is not None
        self.open[member.pk] = None

    @rule(ahead=st.integers(0, 120))
    def expire(self, ahead):
        today = TODAY + dt.timedelta(days=ahead)
        due = [pk for pk, t in self.open.items() if t is not None and t.expires_on < today]
        assert services.do_expire_transfers(today=today) == len(due)
        assert services.do_expire_transfers(today=today) == 0
        for pk in due:
            self.open[pk] = None

    @invariant()
    def one_organisation_and_at_most_one_open_transfer(self):
        if not hasattr(self, "members"):
            return
        live_orgs = {o.pk: o.path for o in self.orgs}
        for m in self.members:
            row = Member.all_objects.get(pk=m.pk)
            if self.where[m.pk] == "out":
                assert row.deleted_at is not None and row.deleted_reason == "转出"
            else:
                assert row.deleted_at is None
                assert row.org_id == self.where[m.pk] and row.org_path == live_orgs[row.org_id]
                assert Member.objects.filter(org_path__startswith=row.org_path, pk=m.pk).count() == 1
            open_rows = list(Transfer.objects.filter(member=m, status="issued").values_list("pk", flat=True))
            assert len(open_rows) <= 1
            assert open_rows == ([self.open[m.pk].pk] if self.open[m.pk] else [])
            if open_rows:
                assert Transfer.objects.get(pk=open_rows[0]).from_org_id == row.org_id


def test_random_sequences_keep_every_member_in_exactly_one_organisation(county):
    TransferMachine.county = county
    run_state_machine_as_test(TransferMachine, settings=settings(
        max_examples=40, stateful_step_count=25, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]))


def test_tick_expires_letters_once(county):
    import datetime as dt
    import json
    from io import StringIO

    from django.core.management import call_command

    from dangjian.members.models import Transfer
    from dangjian.members.services import do_issue_transfer

    transfer = do_issue_transfer(actor=None, member=county.members["a"], kind="introduction", to_org=county.branch_b)
    later = (transfer.expires_on + dt.timedelta(days=1)).isoformat() + "T09:00:00+08:00"
    out = StringIO()
    call_command("tick", "--only", "member_upkeep", "--now", later, stdout=out)
    assert json.loads(out.getvalue())["member_upkeep"]["transfers_expired"] == 1
    assert Transfer.objects.get(pk=transfer.pk).status == "expired"
    out = StringIO()
    call_command("tick", "--only", "member_upkeep", "--now", later, stdout=out)
    assert json.loads(out.getvalue())["member_upkeep"]["transfers_expired"] == 0
