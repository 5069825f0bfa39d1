"""The API through real HTTP on a live server, with token authentication."""

import datetime as dt
import json
import urllib.error
import urllib.request

import pytest

from dangjian.accounts.services import do_issue_token
from dangjian.members.services import do_create_member
from tests.factories import build_county, id_number


def call(base, path, token=None, method="GET"):
    request = urllib.request.Request(base + path, method=method)
    if token:
        request.add_header("Authorization", f"Token {token}")
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


@pytest.fixture
def api(live_server, transactional_db):
    county = build_county()
    for n in range(60):  # enough for two pages
        do_create_member(actor=None, name=f"测试{n:02d}", id_number=id_number(birth=dt.date(1980, 1, 1)),
                         org=county.branch_a, joined_on=dt.date(2005, 7, 1), status="probationary")
    tokens = {role: do_issue_token(user=user) for role, user in county.users.items()}
    return live_server.url, county, tokens


def test_token_auth_pagination_and_scope(api):
    base, county, tokens = api
    assert call(base, "/api/v1/members/")[0] in (401, 403)
    assert call(base, "/api/v1/members/", token="0" * 40)[0] == 401
    status, page = call(base, "/api/v1/members/", tokens["county_admin"])
    assert status == 200 and page["count"] == 62 and len(page["results"]) == 50 and page["next"]
    status, second = call(base, page["next"].replace("http://testserver", base).split(base)[-1], tokens["county_admin"])
    assert status == 200 and len(second["results"]) == 12 and second["next"] is None
    first = page["results"][0]
    assert set(first) >= {"id", "name", "id_number", "phone", "org", "status"}
    assert "*" in first["id_number"]
    status, other = call(base, "/api/v1/members/", tokens["township_admin"])
    assert other["count"] == 61  # 李四 is in the other township
    member_b = county.members["b"]
    assert call(base, f"/api/v1/members/{member_b.pk}/", tokens["township_admin"])[0] == 404
    assert call(base, f"/api/v1/members/{member_b.pk}/", tokens["county_admin"])[0] == 200


def test_filters_are_the_page_filters(api):
    base, county, tokens = api
    token = tokens["county_admin"]
    assert call(base, "/api/v1/members/?status=full", token)[1]["count"] == 2
    females = call(base, "/api/v1/members/?gender=female&page_size=500", token)[1]["results"]
    assert females and all(m["gender"] == "female" for m in females)
    assert "李四" in {m["name"] for m in females} and "张三" not in {m["name"] for m in females}
    assert call(base, "/api/v1/members/?org=D0102", token)[1]["count"] == 1
    assert call(base, "/api/v1/members/?join_year=2005", token)[1]["count"] == 60
    # The 60 test members were born on 1980-01-01, 张三 and 李四 on 1985-03-14.
    today = dt.date.today()
    for birth, expected in ((dt.date(1980, 1, 1), 60), (dt.date(1985, 3, 14), 2)):
        age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
        band = next(b for b in ("18-30", "31-35", "36-40", "41-45", "46-50", "51-55", "56-60", "61-70")
                    if int(b.split("-")[0]) <= age <= int(b.split("-")[1]))
        assert call(base, f"/api/v1/members/?age_band={band}", token)[1]["count"] == expected, band
    assert call(base, "/api/v1/orgs/?kind=branch", token)[1]["count"] == 2
    org = call(base, "/api/v1/orgs/?q=D010101", token)[1]["results"][0]
    assert org["parent"] == "D0101" and org["region"] == "369901001001"
    regions = call(base, "/api/v1/regions/?under=369901001", token)[1]
    assert {r["division_code"] for r in regions["results"]} == {"369901001", "369901001001", "369901001001001"}
    assert call(base, "/api/v1/departments/", tokens["department_handler"])[1]["results"][1]["parent"] == "BM001"


def test_schema_and_docs_are_served_locally(api):
    base, county, tokens = api
    status, schema = call(base, "/api/v1/schema/?format=json", tokens["county_admin"])
    assert status == 200 and schema["openapi"].startswith("3.")
    for path in ("/api/v1/members/", "/api/v1/orgs/", "/api/v1/regions/", "/api/v1/departments/", "/api/v1/units/",
                 "/api/v1/members/{id}/reveal/"):
        assert path in schema["paths"], path
    request = urllib.request.Request(base + "/api/v1/docs/")
    request.add_header("Authorization", f"Token {tokens['county_admin']}")
    html = urllib.request.urlopen(request, timeout=20).read().decode()
    assert "swagger-ui" in html and "cdn" not in html.lower()
