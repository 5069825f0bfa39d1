import pytest


@pytest.mark.django_db
def test_county_fixture_builds_and_scopes(county):
    from dangjian.members.models import Member

    assert Member.objects.restrict(county.users["county_admin"]).count() == 2
    assert list(Member.objects.restrict(county.users["township_admin"])) == [county.members["a"]]
    assert list(Member.objects.restrict(county.users["branch_secretary"])) == [county.members["a"]]
    assert list(Member.objects.restrict(county.users["member"])) == [county.members["a"]]
    assert Member.objects.restrict(county.users["department_handler"]).count() == 0
    assert Member.objects.restrict(county.users["resident"]).count() == 0
