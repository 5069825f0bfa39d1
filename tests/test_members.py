import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from dangjian.core.models import AccessLog
from dangjian.members.models import Member
from dangjian.members.services import MemberError, do_create_member, do_delete_member, do_update_member
from tests.factories import id_number


@pytest.mark.django_db
def test_edit_page_writes_through_the_service_and_shows_history(client, county):
    member = county.members["a"]
    client.force_login(county.users["branch_secretary"])
    form = {"name": "张三", "ethnicity": "01", "education": "10", "status": "full", "joined_on": "2010-07-01",
            "full_on": "2011-07-01", "job": "村党支部书记", "org": "D010101", "phone": "13700137000"}
    response = client.post(reverse("member-edit", args=[member.pk]), form)
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.job == "村党支部书记" and member.education == "10" and member.phone_masked == "137****7000"
    entry = LogEntry.objects.get_for_object(member).filter(action=LogEntry.Action.UPDATE).latest("timestamp")
    assert entry.actor == county.users["branch_secretary"]
    assert "job" in entry.changes_dict and "phone_enc" not in entry.changes_dict
    page = client.get(reverse("member-detail", args=[member.pk])).content.decode()
    assert "村党支部书记" in page and "13700137000" not in page
    # The history reads in Chinese: field labels and choice names, not codes.
    assert "工作岗位：— → 村党支部书记" in page and "学历：大学本科 → 研究生" in page
    assert "education" not in page and "新建" in page


@pytest.mark.django_db
def test_edit_refuses_an_org_outside_scope_and_inconsistent_dates(client, county):
    member = county.members["a"]
    client.force_login(county.users["branch_secretary"])
    form = {"name": "张三", "ethnicity": "01", "status": "full", "joined_on": "2010-07-01", "full_on": "2011-07-01",
            "org": "D010201"}
    page = client.post(reverse("member-edit", args=[member.pk]), form).content.decode()
    assert "不存在或不在您的管辖范围内" in page
    form.update(org="D010101", status="probationary")
    page = client.post(reverse("member-edit", args=[member.pk]), form).content.decode()
    assert "预备党员不应填写转为正式党员日期" in page
    member.refresh_from_db()
    assert member.status == "full" and member.org == county.branch_a


@pytest.mark.django_db
def test_services_keep_id_numbers_unique_and_soft_delete(county):
    number = id_number()
    created = do_create_member(actor=None, name="王五", id_number=number, org=county.branch_a,
                               joined_on=dt.date(2015, 7, 1), full_on=dt.date(2016, 7, 1), status="full")
    with pytest.raises(MemberError, match="已在党员名册中"):
        do_create_member(actor=None, name="王五二", id_number=number, org=county.branch_a,
                         joined_on=dt.date(2015, 7, 1), full_on=dt.date(2016, 7, 1), status="full")
    with pytest.raises(MemberError, match="原因"):
        do_delete_member(actor=None, member=created, reason="  ")
    do_delete_member(actor=None, member=created, reason="迁出")
    assert not Member.objects.filter(pk=created.pk).exists()
    assert Member.all_objects.get(pk=created.pk).deleted_reason == "迁出"
    # Once soft-deleted, the same person may be entered again (e.g. transferred back).
    do_create_member(actor=None, name="王五", id_number=number, org=county.branch_a,
                     joined_on=dt.date(2015, 7, 1), full_on=dt.date(2016, 7, 1), status="full")


@pytest.mark.django_db
def test_update_recomputes_derived_fields(county):
    member = county.members["a"]
    new_number = id_number(birth=dt.date(1970, 2, 3), male=False)
    do_update_member(actor=None, member=member, name="赵六", id_number=new_number, org=county.branch_b)
    member.refresh_from_db()
    assert (member.name_initials, member.birth_date, member.gender) == ("zl", dt.date(1970, 2, 3), "female")
    assert member.org_path == county.branch_b.path and member.id_number_masked.endswith(new_number[-4:])


@pytest.mark.django_db
def test_search_by_name_initials_and_exact_id_number(client, county):
    client.force_login(county.users["county_admin"])
    names = lambda q: [r["name"] for r in client.get("/api/v1/members/", {"q": q}).json()["results"]]  # noqa: E731
    assert names("zs") == ["张三"]
    assert names("李") == ["李四"]
    plain = county.members["b"]._plain_id_number()
    assert names(plain) == ["李四"]
    assert names(plain.lower()) == ["李四"]
    assert names(id_number()) == []


@pytest.mark.django_db
def test_reveal_is_audited(client, county):
    member = county.members["a"]
    client.force_login(county.users["township_admin"])
    response = client.post(f"/api/v1/members/{member.pk}/reveal/")
    assert response.status_code == 200
    assert response.json() == {"id_number": member._plain_id_number(), "phone": "13800138000"}
    log = AccessLog.objects.get(action="unmask")
    assert (log.user, log.object_id, log.object_type) == (county.users["township_admin"], str(member.pk), "member")
