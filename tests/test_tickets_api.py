"""/api/v1/tickets/ over HTTP (Django test client): report in JSON and multipart with photos, every action's
payload, error bodies with a Chinese `detail`, out-of-scope tickets as 404, categories and metrics errors."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from dangjian.accounts.services import do_issue_token
from dangjian.tickets.models import Assignment, Ticket, TicketCategory, TicketEvent, TicketPhoto
from dangjian.tickets.photos import MAX_PHOTO_BYTES
from tests.tickets_helpers import (
    GRID,
    HANZI,
    build,
    build_world,
    jpeg_bytes,
    png_bytes,
    report,
    world_state,
)

API = "/api/v1/tickets/"
NEW = {"title": "路灯不亮", "description": "东风村村口两盏路灯不亮", "category": "0904", "grid": GRID,
       "source": "resident"}


@pytest.fixture
def w(county, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world(county)


@pytest.fixture
def as_user(w):
    """A fresh client logged in as the named user (several may be used in one test)."""

    def make(name):
        c = Client()
        c.force_login(w[name])
        return c

    return make


def post(client, path, payload=None):
    return client.post(path, payload or {}, content_type="application/json")


class Acted:
    """A successful action's answer ({id, number, status, …}) checked against the ticket read right after;
    `json()` gives that full ticket (assignments and events) so the tests can look at everything."""

    def __init__(self, answer, detail):
        self.status_code, self.content, self.answer, self._detail = answer.status_code, answer.content, answer, detail

    def json(self):
        return self._detail


def act(client, ticket_id, action, payload=None):
    r = post(client, f"{API}{ticket_id}/{action}/", payload)
    if r.status_code != 200:
        return r
    body = r.json()
    detail = client.get(f"{API}{ticket_id}/").json()
    assert (body["id"], body["number"], body["status"], body["overdue"]) == (
        detail["id"], detail["number"], detail["status"], detail["overdue"])
    return Acted(r, detail)


def assert_error(response, status, code, field=None):
    assert response.status_code == status, (response.status_code, response.content.decode())
    body = response.json()
    assert HANZI.search(body["detail"]), body
    assert body["code"] == code
    if field:
        assert body["field"] == field
    return body


# ---- create -------------------------------------------------------------------------------------------------
def test_create_in_json(w, as_user):
    resident = as_user("resident")
    r = post(resident, API, {**NEW, "address": "村口", "lat": 36.651216, "lng": "117.120095", "urgent": True})
    assert r.status_code == 201, r.content
    body = r.json()
    assert {"id", "number", "status"} <= set(body)
    assert body["status"] == "reported" and body["status_label"] == "待立案"
    assert body["number"].startswith("GD") and len(body["number"]) == 14
    assert (body["category"], body["grid"], body["source"], body["urgent"]) == ("0904", GRID, "resident", True)
    assert body["category_name"] == "民生诉求 / 道路与公共设施"
    ticket = Ticket.objects.get(pk=body["id"])
    assert ticket.reporter == w["resident"] and (str(ticket.lat), str(ticket.lng)) == ("36.651216", "117.120095")
    assert ticket.events.get().kind == "report"
    # the source defaults to grid_worker
    r = post(as_user("grid_worker"), API, {k: v for k, v in NEW.items() if k != "source"})
    assert r.status_code == 201 and r.json()["source"] == "grid_worker"


@pytest.mark.parametrize(("change", "field"), [
    ({"title": ""}, "title"),
    ({"description": "  "}, "description"),
    ({"category": "09"}, "category"),
    ({"category": "X1"}, "category"),
    ({"grid": "369901001"}, "grid"),
    ({"grid": "123"}, "grid"),
    ({"source": "tiktok"}, "source"),
    ({"lat": 36.6}, "lng"),
    ({"lat": 100, "lng": 117}, "lat"),
])
def test_create_refusals_are_400_with_the_field(w, as_user, change, field):
    before = world_state()
    assert_error(post(as_user("grid_worker"), API, {**NEW, **change}), 400, "invalid", field)
    assert world_state() == before


def test_create_outside_the_reporters_grid_is_403(w, as_user):
    r = post(as_user("grid_worker"), API, {**NEW, "grid": "369901002001001"})
    assert_error(r, 403, "forbidden")
    assert not Ticket.objects.exists()
    # a department handler has no report permission anywhere
    assert_error(post(as_user("department_handler"), API, NEW), 403, "forbidden")


def test_anonymous_requests_are_refused(w):
    anonymous = Client()
    assert post(anonymous, API, NEW).status_code in (401, 403)
    assert anonymous.get(API).status_code in (401, 403)
    ticket = build(w, "reported")
    assert act(anonymous, ticket.pk, "register").status_code in (401, 403)
    assert Ticket.objects.get(pk=ticket.pk).status == "reported"


def test_create_multipart_with_real_photos(w, as_user):
    png, jpeg = png_bytes(), jpeg_bytes()
    r = as_user("grid_worker").post(API, {
        **NEW, "urgent": "true",
        "photos": [SimpleUploadedFile("现场.png", png, content_type="image/png"),
                   SimpleUploadedFile("近景.jpeg", jpeg, content_type="application/octet-stream")],
    })
    assert r.status_code == 201, r.content
    ticket = Ticket.objects.get(pk=r.json()["id"])
    assert ticket.urgent is True
    photos = list(ticket.photos.order_by("pk"))
    assert [(p.content_type, p.size) for p in photos] == [("image/png", len(png)), ("image/jpeg", len(jpeg))]
    assert photos[0].image.name.endswith(".png") and photos[1].image.name.endswith(".jpg")
    assert all(p.event.kind == "report" for p in photos)
    with photos[0].image.open("rb") as f:
        assert f.read() == png
    # the photo is served to those who may see the ticket, and to nobody else
    served = as_user("township_admin").get(f"/tickets/photos/{photos[1].pk}/")
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content) == jpeg
    assert as_user("hexi_admin").get(f"/tickets/photos/{photos[1].pk}/").status_code == 404


def test_a_webp_photo_is_accepted(w, as_user):
    # a real 1×1 lossless WebP
    webp = b"RIFF" + (26).to_bytes(4, "little") + b"WEBPVP8L" + b"\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
    r = as_user("grid_worker").post(API, {**NEW, "photos": [SimpleUploadedFile("a.webp", webp)]})
    assert r.status_code == 201, r.content
    assert TicketPhoto.objects.get().content_type == "image/webp"


@pytest.mark.parametrize(("name", "content", "words"), [
    ("假照片.jpg", "这不是图片，只是一段文字\n".encode() * 20, ["假照片.jpg", "不是 JPEG、PNG 或 WebP"]),
    ("大照片.png", None, ["大照片.png", "超过 5 MB"]),
    ("空.jpg", b"", ["空.jpg"]),
])
def test_bad_photos_are_refused_by_name(w, as_user, name, content, words):
    if content is None:  # a real PNG signature, one byte over the limit
        content = png_bytes() + b"\x00" * (MAX_PHOTO_BYTES + 1 - len(png_bytes()))
    good = SimpleUploadedFile("好.png", png_bytes())
    before = world_state()
    r = as_user("grid_worker").post(API, {**NEW, "photos": [good, SimpleUploadedFile(name, content)]})
    body = assert_error(r, 400, "invalid", "photos")
    for word in words:
        assert word in body["detail"], body
    assert world_state() == before
    assert not TicketPhoto.objects.exists()


def test_at_most_nine_photos(w, as_user):
    photos = [SimpleUploadedFile(f"{n}.png", png_bytes()) for n in range(10)]
    body = assert_error(as_user("grid_worker").post(API, {**NEW, "photos": photos}), 400, "invalid", "photos")
    assert "最多 9 张" in body["detail"]
    photos = [SimpleUploadedFile(f"{n}.png", png_bytes()) for n in range(9)]
    r = as_user("grid_worker").post(API, {**NEW, "photos": photos})
    assert r.status_code == 201 and TicketPhoto.objects.count() == 9


# ---- the actions ----------------------------------------------------------------------------------------------
def test_a_whole_lifecycle_with_every_payload(w, as_user):
    grid, town, county, handler = (as_user("grid_worker"), as_user("township_admin"), as_user("county_admin"),
                                   as_user("department_handler"))
    water = as_user("water_handler")
    tid = post(grid, API, {**NEW, "category": "0102"}).json()["id"]

    r = act(town, tid, "register", {"category": "0103", "urgent": False, "note": "属实"})
    assert r.status_code == 200 and r.json()["status"] == "registered" and r.json()["category"] == "0103"
    r = act(town, tid, "dispatch", {"department": "BM001-01", "role": "lead", "note": "请尽快处理"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "dispatched"
    lead = body["assignments"][0]
    assert (lead["department"], lead["department_name"], lead["role"], lead["status"]) == (
        "BM001-01", "城关镇规划建设站", "lead", "pending")
    assert lead["overdue"] is False and lead["remaining_hours"] > 0
    assert body["deadline"] is not None and body["overdue"] is False and body["remaining_hours"] > 0
    r = act(county, tid, "dispatch", {"department": "BM002", "role": "assist"})
    assist_id = next(a["id"] for a in r.json()["assignments"] if a["role"] == "assist")

    r = act(handler, tid, "accept", {"assignment": lead["id"], "note": "已受理"})
    assert r.status_code == 200 and r.json()["status"] == "processing"
    r = act(water, tid, "return", {"assignment": assist_id, "reason": "不属于水利局职责"})
    assert r.status_code == 200, r.content
    returned = next(a for a in r.json()["assignments"] if a["id"] == assist_id)
    assert (returned["status"], returned["return_reason"]) == ("returned", "不属于水利局职责")
    assert r.json()["status"] == "processing"  # the lead is unaffected

    r = act(handler, tid, "extend", {"days": 2, "reason": "需协调产权人"})
    assert r.status_code == 200
    lead_row = next(a for a in r.json()["assignments"] if a["id"] == lead["id"])
    assert lead_row["requested_days"] == 2
    r = act(town, tid, "approve_extension", {"approved": False, "note": "时限足够"})
    lead_row = next(a for a in r.json()["assignments"] if a["id"] == lead["id"])
    assert (lead_row["requested_days"], lead_row["extension_days"]) == (0, 0)
    act(handler, tid, "extend", {"days": "1", "reason": "下雨"})
    r = act(town, tid, "approve_extension", {})  # approval is the default
    lead_row = next(a for a in r.json()["assignments"] if a["id"] == lead["id"])
    assert (lead_row["requested_days"], lead_row["extension_days"]) == (0, 1)

    r = act(town, tid, "whistle", {"departments": ["BM001", "BM002"], "reason": "需要住建、水利到场"})
    assert r.status_code == 200
    assert sorted(a["department"] for a in r.json()["assignments"] if a["role"] == "whistle") == ["BM001", "BM002"]
    r = act(handler, tid, "respond", {"note": "已到场勘查"})
    assert r.status_code == 200
    assert [a["status"] for a in r.json()["assignments"] if a["role"] == "whistle" and a["department"] == "BM001"] == [
        "responded"]

    r = handler.post(f"{API}{tid}/resolve/", {"result": "已清运完毕",
                                                "photos": [SimpleUploadedFile("after.png", png_bytes())]})
    assert r.status_code == 200 and r.json()["status"] == "resolved", r.content
    assert TicketPhoto.objects.get(ticket_id=tid).event.kind == "resolve"
    r = act(town, tid, "verify", {"passed": False, "note": "仍有渣土"})
    assert r.status_code == 200 and r.json()["status"] == "processing"
    act(handler, tid, "resolve", {"result": "渣土已清理"})
    r = act(town, tid, "verify", {"passed": True, "note": "现场已整洁"})
    assert r.status_code == 200 and r.json()["status"] == "closed"
    r = act(grid, tid, "rate", {"satisfaction": "satisfied", "note": "很快"})
    assert r.status_code == 200 and r.json()["satisfaction"] == "satisfied"

    detail = grid.get(f"{API}{tid}/").json()
    assert [e["kind"] for e in detail["events"]] == [
        "report", "register", "dispatch", "dispatch", "accept", "return", "extend", "approve_extension", "extend",
        "approve_extension", "whistle", "respond", "resolve", "reopen", "resolve", "close", "rate"]
    assert all(e["kind_label"] and HANZI.search(e["actor_name"] + e["kind_label"]) for e in detail["events"])
    assert detail["events"][1]["actor_name"] == "township_admin"
    assert detail["remaining_hours"] is None and detail["overdue"] is False


def test_reject_and_merge_payloads(w, as_user):
    town = as_user("township_admin")
    t1, t2, t3 = (build(w, "reported") for _ in range(3))
    r = act(town, t1.pk, "reject", {"reason": "非本辖区事项"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    r = act(town, t2.pk, "merge", {"into": t3.number})
    assert r.status_code == 200 and (r.json()["status"], r.json()["duplicate_of"]) == ("merged", t3.number)


def test_whistle_departments_as_a_form_list(w, as_user):
    ticket = build(w, "processing")
    r = as_user("township_admin").post(f"{API}{ticket.pk}/whistle/",
                                       {"departments": ["BM001", "BM002"], "reason": "多部门到场"})
    assert r.status_code == 200, r.content
    assert ticket.assignments.filter(role="whistle").count() == 2


def test_verify_passed_as_a_form_string(w, as_user):
    ticket = build(w, "resolved")
    r = as_user("township_admin").post(f"{API}{ticket.pk}/verify/", {"passed": "true"})
    assert r.status_code == 200 and r.json()["status"] == "closed"


# ---- error bodies ---------------------------------------------------------------------------------------------
def test_400_403_404_409_bodies_are_chinese_and_change_nothing(w, as_user):
    town, handler, grid = as_user("township_admin"), as_user("department_handler"), as_user("grid_worker")
    reported, dispatched = build(w, "reported"), build(w, "dispatched")
    elsewhere = report(w, actor=w["hexi_admin"], grid="369901002001001")
    R, D = reported.pk, dispatched.pk
    cases = [
        (town, R, "reject", {}, 400, "invalid", "reason"),
        (town, R, "reject", {"reason": "   "}, 400, "invalid", "reason"),
        (town, R, "register", {"category": "01"}, 400, "invalid", "category"),
        (town, R, "merge", {"into": "GD0"}, 400, "invalid", "into"),
        (town, D, "dispatch", {"department": "BM001-01", "role": "boss"}, 400, "invalid", "role"),
        (town, D, "dispatch", {"department": "BM404"}, 400, "invalid", "department"),
        (town, D, "whistle", {"departments": [], "reason": "到场"}, 400, "invalid", "departments"),
        (handler, D, "extend", {"days": "两天", "reason": "忙"}, 400, "invalid", "days"),
        (handler, D, "accept", {"assignment": "abc"}, 400, "invalid", "assignment"),
        (handler, D, "return", {}, 400, "invalid", "reason"),
        (grid, R, "register", {}, 403, "forbidden", None),
        (town, D, "dispatch", {"department": "BM001"}, 403, "forbidden", None),
        (town, D, "accept", {}, 403, "forbidden", None),
        (grid, D, "rate", {"satisfaction": "satisfied"}, 409, "conflict", None),
        (town, R, "verify", {"passed": True}, 409, "conflict", None),
        (town, D, "register", {}, 409, "conflict", None),
        (town, D, "dispatch", {"department": "BM001-01"}, 409, "conflict", None),
        (handler, D, "resolve", {"result": "已处理"}, 409, "conflict", None),
        (town, R, "approve_extension", {}, 409, "conflict", None),
    ]
    before = world_state()
    for client, pk, action, payload, status, code, field in cases:
        assert_error(act(client, pk, action, payload), status, code, field)
    # out of scope: 404 with the Chinese not-found message, whatever the action
    for client, ticket, action in ((town, elsewhere, "register"), (handler, reported, "accept"),
                                   (as_user("resident"), reported, "rate"), (as_user("water_handler"), dispatched,
                                                                            "accept"),
                                   (town, 999999, "register")):
        r = act(client, getattr(ticket, "pk", ticket), action, {"satisfaction": "satisfied"})
        body = assert_error(r, 404, "not_found")
        assert body["detail"] == "未找到，或不在您的权限范围内。"
    assert world_state() == before


def test_a_conflict_names_the_state(w, as_user):
    ticket = build(w, "processing")
    body = assert_error(act(as_user("department_handler"), ticket.pk, "accept"), 409, "conflict")
    assert "办理中" in body["detail"] and "不能受理" in body["detail"]
    body = assert_error(act(as_user("township_admin"), ticket.pk, "register"), 409, "conflict")
    assert ticket.number in body["detail"] and "不能立案" in body["detail"]


def test_unknown_action_and_wrong_method(w, as_user):
    ticket = build(w, "reported")
    town = as_user("township_admin")
    assert act(town, ticket.pk, "teleport").status_code == 404
    r = town.get(f"{API}{ticket.pk}/register/")
    assert r.status_code == 405 and HANZI.search(r.json()["detail"])


def test_out_of_scope_tickets_are_404_for_reading_too(w, as_user):
    mine, elsewhere = build(w, "dispatched"), report(w, actor=w["hexi_admin"], grid="369901002001001")
    other = report(w, actor=w["grid_worker"])
    town, handler, resident = as_user("township_admin"), as_user("department_handler"), as_user("resident")
    assert town.get(f"{API}{mine.pk}/").status_code == 200
    assert town.get(f"{API}{elsewhere.pk}/").status_code == 404
    assert handler.get(f"{API}{mine.pk}/").status_code == 200  # dispatched to its department
    assert handler.get(f"{API}{other.pk}/").status_code == 404  # not dispatched
    assert resident.get(f"{API}{mine.pk}/").status_code == 404  # a resident sees only their own reports
    own = post(resident, API, NEW).json()["id"]
    assert resident.get(f"{API}{own}/").status_code == 200
    listed = {t["id"] for t in resident.get(API).json()["results"]}
    assert listed == {own}
    listed = {t["number"] for t in town.get(f"{API}?page_size=500").json()["results"]}
    assert mine.number in listed and other.number in listed and elsewhere.number not in listed
    listed = {t["number"] for t in handler.get(API).json()["results"]}
    assert listed == {mine.number}


def test_token_authentication_works_for_actions(w):
    ticket = build(w, "reported")
    token = do_issue_token(user=w["township_admin"])
    c = Client(HTTP_AUTHORIZATION=f"Token {token}")
    r = c.post(f"{API}{ticket.pk}/register/", {}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "registered"
    assert TicketEvent.objects.get(ticket=ticket, kind="register").actor == w["township_admin"]
    bad = Client(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert bad.post(f"{API}{ticket.pk}/reject/", {"reason": "x"}, content_type="application/json").status_code == 401


def test_overdue_flags_and_remaining_hours(w, as_user):
    ticket = build(w, "processing")  # dispatched in March 2026, long past by now
    body = as_user("township_admin").get(f"{API}{ticket.pk}/").json()
    assert body["overdue"] is True and body["remaining_hours"] < 0
    assert body["assignments"][0]["overdue"] is True
    closed = build(w, "closed")
    body = as_user("township_admin").get(f"{API}{closed.pk}/").json()
    assert body["overdue"] is False and body["remaining_hours"] is None
    assert body["assignments"][0]["overdue"] is False and body["assignments"][0]["remaining_hours"] is None
    listed = as_user("township_admin").get(f"{API}?overdue=true&page_size=500").json()["results"]
    assert {t["id"] for t in listed} == {ticket.pk}


# ---- categories -------------------------------------------------------------------------------------------------
def test_categories(w, as_user):
    TicketCategory.objects.filter(code="0108").update(is_active=False)
    r = as_user("resident").get(f"{API}categories/")
    assert r.status_code == 200
    tree = r.json()
    assert [c["code"] for c in tree] == [f"{n:02d}" for n in range(1, 12)]
    names = [c["name"] for c in tree]
    for name in ("市容环境", "宣传广告", "施工管理", "街面秩序", "突发事件", "农村人居环境", "土地与邻里纠纷",
                 "安全隐患", "民生诉求", "新就业群体诉求", "其他"):
        assert name in names
    by_code = {child["code"]: child for parent in tree for child in parent["children"]}
    assert by_code["0102"] == {"code": "0102", "name": "暴露垃圾", "department_kind": "station", "time_limit": 2,
                               "time_unit": "workdays"}
    assert (by_code["0507"]["time_limit"], by_code["0507"]["time_unit"]) == (2, "hours")
    assert "0108" not in by_code
    assert all(child["code"].startswith(parent["code"]) for parent in tree for child in parent["children"])


# ---- metrics endpoint errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("query", "field"), [
    ("scope=369901&from=2026-13-01", "from"),
    ("scope=369901&to=yesterday", "to"),
    ("scope=999999", "scope"),
    ("scope=369901002", "scope"),  # 河西镇: outside the township administrator's view
    ("scope=BM001", "scope"),  # the county department: outside the township's view
    ("scope=369901001&group_by=weather", "group_by"),
])
def test_metrics_errors(w, as_user, query, field):
    body = assert_error(as_user("township_admin").get(f"{API}metrics/?{query}"), 400, "invalid", field)
    assert body["detail"]


def test_metrics_for_an_org_without_a_region(w, as_user):
    type(w.county.county_org).objects.add_child(w.county.county_org, dict(code="D0199", name="县直机关工委",
                                                                          kind="committee"))
    body = assert_error(as_user("county_admin").get(f"{API}metrics/?scope=D0199"), 400, "invalid", "scope")
    assert "没有对应的区划" in body["detail"]


def test_metrics_empty_and_definitions(w, as_user):
    r = as_user("county_admin").get(f"{API}metrics/?scope=369901&from=2026-01-01&to=2026-12-31")
    assert r.status_code == 200
    body = r.json()
    assert (body["scope"], body["from"], body["to"]) == ("369901", "2026-01-01", "2026-12-31")
    assert body["dispatched"] == 0 and body["acceptance_rate"] is None and body["avg_hours_to_close"] is None
    assert body["definitions"]["acceptance_rate"] == {"label": "受理率", "unit": "%", "numerator": "accepted",
                                                      "denominator": "dispatched"}
    assert body["definitions"]["closure_rate"]["numerator"] == "closed"
    assert as_user("county_admin").get(f"{API}metrics/").status_code == 200  # no scope: the user's whole view


def test_dispatch_refusal_leaves_no_assignment(w, as_user):
    ticket = build(w, "registered")
    assert_error(act(as_user("township_admin"), ticket.pk, "dispatch", {"department": "BM001"}), 403, "forbidden")
    assert not Assignment.objects.filter(ticket=ticket).exists()


def test_an_action_on_a_malformed_ticket_id_is_404_not_500(w, as_user):
    assert as_user("township_admin").post(f"{API}abc/register/", {}, content_type="application/json").status_code == 404
