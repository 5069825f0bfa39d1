"""Every URL and API route, for a user of each role, inside and outside their scope.

Out-of-scope objects answer 404 (never 403), on pages and in the API. A route added without a row
here fails `test_every_route_is_in_the_matrix`.
"""

import pytest
from django.urls import get_resolver, reverse

ROLES = ["county_admin", "township_admin", "branch_secretary", "grid_worker", "department_handler", "member",
         "resident"]  # fmt: skip

# For object routes: which roles see the "a" object (in town A) and the "b" object (in town B).
# Objects: member a/b, org town_a_org/town_b_org, region town_a/town_b, department BM001 (a) / none for b.
SEES_MEMBER_A = {"county_admin", "township_admin", "branch_secretary", "member"}
SEES_MEMBER_B = {"county_admin"}
SEES_ORG_A = {"county_admin", "township_admin"}  # town_a_org: branch_secretary only sees its own branch below
SEES_ORG_B = {"county_admin"}
SEES_REGION_A = {"county_admin", "township_admin"}
SEES_REGION_B = {"county_admin"}
SEES_DEPARTMENT = {"county_admin", "department_handler"}
MAY_UNMASK_A = {"county_admin", "township_admin"}
MAY_CHANGE_MEMBER_A = {"county_admin", "township_admin", "branch_secretary"}
MAY_IMPORT = {"county_admin", "township_admin", "branch_secretary"}
LOGIN_ONLY_PAGES = ["home", "org-tree", "org-list", "member-list", "region-tree", "department-list", "unit-list",
                    "api-schema", "api-docs", "api-redoc", "ticket-list", "ticket-mine", "ticket-categories",
                    "ticket-assessment", "notification-list", "ticket-dispatches",
                    "meeting-list", "member-transfers", "member-contacts", "checkup-findings",
                    "recruitment-list", "dashboard", "bigscreen"]  # fmt: skip
LIST_APIS = ["api:api-root", "api:region-list", "api:org-list", "api:department-list", "api:unit-list",
             "api:member-list", "api:ticket-list", "api:ticket-categories", "api:ticket-metrics"]  # fmt: skip
# Ticket pages open only to the roles that work there; the others get 404.
COMMANDERS = {"county_admin", "township_admin"}
REGION_VIEWERS = {"county_admin", "township_admin", "branch_secretary", "grid_worker"}
TICKET_PAGES = {
    "ticket-queue": COMMANDERS,
    "ticket-inbox": {"department_handler"},
    "ticket-report": set(ROLES) - {"department_handler"},
    "ticket-visits": set(ROLES) - {"department_handler"},
    "ticket-map": REGION_VIEWERS,
    "ticket-metrics": REGION_VIEWERS | {"department_handler"},
    "ticket-category-add": {"county_admin"},
    "ticket-policy": {"county_admin"},
    "calendar-days": {"county_admin"},
    "meeting-add": {"county_admin", "township_admin", "branch_secretary"},
    "dues-sheet": {"county_admin", "township_admin", "branch_secretary"},
    "report-tables": {"county_admin", "township_admin", "branch_secretary"},  # needs an organisation in scope
    "recruitment-add": {"county_admin", "township_admin", "branch_secretary"},
    "recruitment-rulesets": {"county_admin"},
    "checkup-report": {"county_admin", "township_admin", "branch_secretary"},  # users with an organisation scope
    "checkup-calendar": {"county_admin", "township_admin", "branch_secretary"},
    "checkup-rules": {"county_admin"},
    "briefing": {"county_admin", "township_admin", "branch_secretary"},  # users who may export
    "briefing-figures": {"county_admin", "township_admin", "branch_secretary"},
    "briefing-templates": {"county_admin", "township_admin", "branch_secretary"},
    "dashboard-data": REGION_VIEWERS,  # users with a region or organisation in their view scope
    "dashboard-map": REGION_VIEWERS,
    "dashboard-ranking-export": COMMANDERS,  # export permission on the region (a branch secretary: its organisation)
}
CONFIGURE_OBJECT_ROUTES = ["ticket-category-edit", "calendar-day-delete", "recruitment-ruleset-edit"]
BRANCH_OBJECT_ROUTES = ["meeting-detail", "meeting-edit", "member-transfer-issue", "member-contact-add",
                        "member-mobile", "transfer-detail", "transfer-act", "recruitment-detail", "recruitment-step",
                        "recruitment-training", "recruitment-stop", "recruitment-document"]
# Ticket a is reported in town A's grid and dispatched to the station BM001-01 (under BM001); ticket b is in town B.
SEES_TICKET_A = REGION_VIEWERS | {"department_handler"}
SEES_TICKET_B = {"county_admin"}
TICKET_ACTIONS = ["register", "reject", "dispatch", "accept", "return", "extend", "approve_extension", "resolve",
                  "verify", "rate", "whistle", "respond", "merge"]  # fmt: skip
TICKET_OBJECT_ROUTES = ["ticket-detail", "ticket-photo", "ticket-act", "api:ticket-detail",
                        *(f"api:ticket-{a.replace('_', '-')}" for a in TICKET_ACTIONS)]  # fmt: skip
OBJECT_ROUTES = {
    # name: (method, object key pair, set of roles that see a, set that see b)
    "member-detail": ("get", "member", SEES_MEMBER_A, SEES_MEMBER_B),
    "member-reveal": ("post", "member", MAY_UNMASK_A, SEES_MEMBER_B),
    "member-edit": ("get", "member", MAY_CHANGE_MEMBER_A, SEES_MEMBER_B),
    "org-children": ("get", "org", SEES_ORG_A, SEES_ORG_B),
    "region-children": ("get", "region", SEES_REGION_A, SEES_REGION_B),
    "org-committee": ("get", "org", SEES_ORG_A, SEES_ORG_B),
    "api:member-detail": ("get", "member", SEES_MEMBER_A, SEES_MEMBER_B),
    "api:member-reveal": ("post", "member", MAY_UNMASK_A, SEES_MEMBER_B),
    "api:org-detail": ("get", "org", SEES_ORG_A, SEES_ORG_B),
    "api:region-detail": ("get", "region", SEES_REGION_A, SEES_REGION_B),
    "api:department-detail": ("get", "department", SEES_DEPARTMENT, set()),
    "api:unit-detail": ("get", "unit", SEES_REGION_A, set()),
}
IMPORT_ROUTES = ["import-index", "import-page", "import-template", "import-report"]
POST_ONLY = {"ticket-bulk-dispatch": COMMANDERS,
             "checkup-run": {"county_admin", "township_admin", "branch_secretary"}}
CHECKUP_OBJECT_ROUTES = ["checkup-finding", "checkup-rule-edit"]
BRIEFING_OBJECT_ROUTES = ["briefing-template-render", "briefing-template-delete"]
PUBLIC = {"login", "logout"}


def objects(county):
    return {
        "member": (county.members["a"], county.members["b"]),
        "org": (county.town_a_org, county.town_b_org),
        "region": (county.town_a, county.town_b),
        "department": (county.department, None),
        "unit": (county.unit, None),
    }


def all_route_names():
    names = set()

    def walk(patterns, prefix=""):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                walk(p.url_patterns, prefix + (f"{p.namespace}:" if p.namespace else ""))
            elif p.name:
                names.add(prefix + p.name)

    walk(get_resolver().url_patterns)
    return names


def test_every_route_is_in_the_matrix():
    covered = (set(LOGIN_ONLY_PAGES) | set(LIST_APIS) | set(OBJECT_ROUTES) | set(IMPORT_ROUTES) | PUBLIC
               | set(TICKET_PAGES) | set(TICKET_OBJECT_ROUTES) | set(POST_ONLY) | set(CONFIGURE_OBJECT_ROUTES)
               | set(BRANCH_OBJECT_ROUTES) | set(CHECKUP_OBJECT_ROUTES) | set(BRIEFING_OBJECT_ROUTES)
               | {"report-records"})
    ignored_formats = {n for n in all_route_names() if n.endswith("-format") or n.endswith("-list-format")}
    missing = all_route_names() - covered - ignored_formats
    assert not missing, f"routes without a scope-matrix row: {sorted(missing)}"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_pages_and_lists_need_login_and_answer_each_role(client, county, role):
    for name in LOGIN_ONLY_PAGES + LIST_APIS:
        anonymous = client.get(reverse(name))
        assert anonymous.status_code in (302, 401, 403), name
    client.force_login(county.users[role])
    for name in LOGIN_ONLY_PAGES + LIST_APIS:
        assert client.get(reverse(name)).status_code == 200, (role, name)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", sorted(OBJECT_ROUTES))
def test_object_routes_inside_and_outside_scope(client, county, role, route):
    method, key, sees_a, sees_b = OBJECT_ROUTES[route]
    obj_a, obj_b = objects(county)[key]
    client.force_login(county.users[role])
    for obj, allowed in ((obj_a, role in sees_a), (obj_b, role in sees_b)):
        if obj is None:
            continue
        response = getattr(client, method)(reverse(route, args=[obj.pk]))
        assert response.status_code == (200 if allowed else 404), (role, route, str(obj), response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_import_routes_only_for_roles_that_import(client, county, role):
    from dangjian.core.services import do_import

    client.force_login(county.users[role])
    expected = 200 if role in MAY_IMPORT else 404
    assert client.get(reverse("import-index")).status_code == expected
    assert client.get(reverse("import-page", args=["members"])).status_code == expected
    assert client.get(reverse("import-template", args=["members"])).status_code == 200
    assert client.get(reverse("import-page", args=["nonsense"])).status_code == 404
    # An import record is visible to the user who made it, nobody else.
    record = do_import("members", b"not a spreadsheet", actor=county.users["county_admin"]).record
    status = client.get(reverse("import-report", args=[record.pk])).status_code
    assert status == (200 if role == "county_admin" else 404)


@pytest.mark.django_db
def test_api_lists_are_scoped(client, county):
    client.force_login(county.users["township_admin"])
    names = [m["name"] for m in client.get(reverse("api:member-list")).json()["results"]]
    assert names == ["张三"]
    codes = [o["code"] for o in client.get(reverse("api:org-list")).json()["results"]]
    assert codes == ["D0101", "D010101"]
    client.force_login(county.users["department_handler"])
    assert client.get(reverse("api:member-list")).json()["results"] == []
    assert [d["code"] for d in client.get(reverse("api:department-list")).json()["results"]] == ["BM001", "BM001-01"]


@pytest.fixture
def tickets(county):
    """Ticket a (town A, dispatched to the station, with a photo) and ticket b (town B, only reported)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dangjian.places.models import Region
    from dangjian.tickets import services

    grid_b = Region.objects.add_child(Region.objects.get(pk=county.village_b.pk), dict(
        division_code="369901002001001", name="柳林村一网格", level="grid", grid_kind="standard"))
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    a = services.do_report_ticket(actor=county.users["grid_worker"], title="甲", description="甲事件",
                                  category="0102", grid=county.grid_a, source="grid_worker",
                                  photos=[SimpleUploadedFile("a.png", png, "image/png")])
    services.do_register(actor=None, ticket=a)
    services.do_dispatch(actor=None, ticket=a, department="BM001-01")
    b = services.do_report_ticket(actor=None, title="乙", description="乙事件", category="0102", grid=grid_b,
                                  source="hotline")
    return a, b


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_ticket_pages_answer_only_their_roles(client, county, role):
    client.force_login(county.users[role])
    for name, roles in TICKET_PAGES.items():
        assert client.get(reverse(name)).status_code == (200 if role in roles else 404), (role, name)
    for name, roles in POST_ONLY.items():
        assert client.post(reverse(name)).status_code == (302 if role in roles else 404), (role, name)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_ticket_objects_inside_and_outside_scope(client, county, tickets, role):
    """Out of scope is 404 on every ticket route; inside it the page renders, or the action answers with its own
    refusal (400/403/409) or success — never 404."""
    client.force_login(county.users[role])
    for ticket, sees in zip(tickets, (SEES_TICKET_A, SEES_TICKET_B), strict=True):
        visible = role in sees
        assert client.get(reverse("ticket-detail", args=[ticket.pk])).status_code == (200 if visible else 404)
        assert client.get(reverse("api:ticket-detail", args=[ticket.pk])).status_code == (200 if visible else 404)
        for photo in ticket.photos.all():
            assert client.get(reverse("ticket-photo", args=[photo.pk])).status_code == (200 if visible else 404)
        for action in TICKET_ACTIONS:
            api = client.post(reverse(f"api:ticket-{action.replace('_', '-')}", args=[ticket.pk]), {},
                              content_type="application/json")
            page = client.post(reverse("ticket-act", args=[ticket.pk, action]))
            if visible:
                assert api.status_code in (200, 400, 403, 409), (role, action, api.status_code)
                assert page.status_code == 302, (role, action)
            else:
                assert (api.status_code, page.status_code) == (404, 404), (role, action)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_county_settings_only_for_county_admin(client, county, role):
    import datetime as dt

    from dangjian.core.models import CalendarDay
    from dangjian.tickets.models import TicketCategory

    day = CalendarDay.objects.create(date=dt.date(2027, 1, 1), is_workday=False, name="元旦")
    client.force_login(county.users[role])
    expected = 200 if role == "county_admin" else 404
    category = TicketCategory.objects.get(code="0102")
    assert client.get(reverse("ticket-category-edit", args=[category.pk])).status_code == expected
    response = client.post(reverse("calendar-day-delete", args=[day.pk]))
    assert response.status_code == (302 if role == "county_admin" else 404)
    assert CalendarDay.objects.filter(pk=day.pk).exists() == (role != "county_admin")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_meetings_inside_and_outside_scope(client, county, role):
    import datetime as dt

    from dangjian.branchlife.services import do_record_meeting

    a = do_record_meeting(actor=None, org=county.branch_a, kind="theme_day", held_on=dt.date(2026, 11, 2),
                          topic="学习", attendance={county.members["a"].pk: "present"})
    b = do_record_meeting(actor=None, org=county.branch_b, kind="theme_day", held_on=dt.date(2026, 11, 2),
                          topic="学习", attendance={county.members["b"].pk: "present"})
    client.force_login(county.users[role])
    sees_a = {"county_admin", "township_admin", "branch_secretary"}
    assert client.get(reverse("meeting-detail", args=[a.pk])).status_code == (200 if role in sees_a else 404)
    assert client.get(reverse("meeting-detail", args=[b.pk])).status_code == (200 if role == "county_admin" else 404)
    # correcting a meeting: the roles that may change its organisation (here the same as those who see it);
    # an empty correction is refused in scope (400, no date), unseen outside it (404)
    for meeting, changes in ((a, sees_a), (b, {"county_admin"})):
        url = reverse("meeting-edit", args=[meeting.pk])
        assert client.get(url).status_code == (200 if role in changes else 404), (role, meeting.org.code)
        assert client.post(url).status_code == (400 if role in changes else 404), (role, meeting.org.code)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_member_writes_and_transfers_inside_and_outside_scope(client, county, role):
    """Member write routes answer 302 (done or refused with a message) in scope and 404 outside; a transfer is
    seen from both its sides and by its member."""
    from dangjian.members.services import do_issue_transfer

    a, b = county.members["a"], county.members["b"]
    to_b = do_issue_transfer(actor=None, member=a, kind="introduction", to_org=county.branch_b)
    to_town_b = do_issue_transfer(actor=None, member=b, kind="introduction", to_org=county.town_b_org)
    client.force_login(county.users[role])
    for member, allowed in ((a, role in MAY_CHANGE_MEMBER_A), (b, role == "county_admin")):
        for name, args in (("member-transfer-issue", [member.pk]), ("member-contact-add", [member.pk]),
                           ("member-mobile", [member.pk, "start"])):
            assert client.post(reverse(name, args=args)).status_code == (302 if allowed else 404), (role, name)
    sees_to_b = {"county_admin", "township_admin", "branch_secretary", "member"}
    for transfer, sees in ((to_b, sees_to_b), (to_town_b, {"county_admin"})):
        assert client.get(reverse("transfer-detail", args=[transfer.pk])).status_code == (200 if role in sees else 404)
        status = client.post(reverse("transfer-act", args=[transfer.pk, "cancel"])).status_code
        assert status == (302 if role in sees else 404), (role, transfer)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_checkup_findings_and_rule_settings_inside_and_outside_scope(client, county, role):
    """A finding of branch A (town A) and one of branch B (town B); the rule settings only for county admins."""
    import datetime as dt

    from dangjian.checkup import engine
    from dangjian.checkup.models import Finding

    engine.run("", dt.date(2026, 11, 20), rules=["org.branch.too_few_full_members"])
    a = Finding.objects.get(subject_code="D010101")
    b = Finding.objects.get(subject_code="D010201")
    client.force_login(county.users[role])
    sees_a = {"county_admin", "township_admin", "branch_secretary"}
    for finding, sees in ((a, sees_a), (b, {"county_admin"})):
        url = reverse("checkup-finding", args=[finding.pk])
        assert client.get(url).status_code == (200 if role in sees else 404), (role, finding)
        # a waiver without a reason is refused in scope (400), unseen outside it (404)
        assert client.post(url, {"action": "waive", "reason": ""}).status_code == (400 if role in sees else 404)
    url = reverse("checkup-rule-edit", args=["org.branch.too_few_full_members"])
    assert client.get(url).status_code == (200 if role == "county_admin" else 404), role
    assert client.get(url + "?org=D0102").status_code == (200 if role == "county_admin" else 404), role
    assert client.get(reverse("checkup-rule-edit", args=["no.such.rule"])).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_recruitment_inside_and_outside_scope(client, county, role):
    """A case is seen and worked on in its branch's subtree (404 outside); rule sets only by county admins."""
    import datetime as dt

    from django.core.files.uploadedfile import SimpleUploadedFile

    from dangjian.recruitment.models import RuleSet, StepDocument
    from dangjian.recruitment.services import do_open_case
    from tests.factories import id_number

    applied = dt.date(2026, 3, 2)
    a = do_open_case(actor=None, org=county.branch_a, name="王五", id_number=id_number(dt.date(2000, 1, 1)),
                     applied_on=applied, files=[SimpleUploadedFile("申请书.pdf", b"%PDF-1.4", "application/pdf")])
    b = do_open_case(actor=None, org=county.branch_b, name="赵六", id_number=id_number(dt.date(2000, 1, 1)),
                     applied_on=applied)
    doc = StepDocument.objects.get(record__case=a)
    client.force_login(county.users[role])
    for case, sees, changes in ((a, {"county_admin", "township_admin", "branch_secretary"}, MAY_CHANGE_MEMBER_A),
                                (b, {"county_admin"}, {"county_admin"})):
        assert client.get(reverse("recruitment-detail", args=[case.pk])).status_code == (200 if role in sees else 404)
        assert client.get(reverse("recruitment-step", args=[case.pk, 2])).status_code == (
            200 if role in changes else 404), (role, case)
        for name in ("recruitment-step", "recruitment-training", "recruitment-stop"):
            args = [case.pk, 2] if name == "recruitment-step" else [case.pk]
            status = client.post(reverse(name, args=args)).status_code
            assert status in ((200, 302, 400) if role in changes else (404,)), (role, name, status)
    assert client.get(reverse("recruitment-document", args=[doc.pk])).status_code == (
        200 if role in {"county_admin", "township_admin", "branch_secretary"} else 404)
    ruleset = RuleSet.objects.get(code="2026")
    assert client.get(reverse("recruitment-ruleset-edit", args=[ruleset.pk])).status_code == (
        200 if role == "county_admin" else 404)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_briefing_templates_inside_and_outside_scope(client, county, role):
    """A template uploaded for 城关镇 (seen from the county above it and the township itself) and one for 河西镇
    (seen only from the county); delete answers 302 (done or refused with a message) where the template is seen."""
    from dangjian.reports.briefing_services import do_upload_briefing_template, read_upload
    from dangjian.reports.queries import scope_nodes
    from tests.briefing_helpers import template_docx

    made = {code: do_upload_briefing_template(actor=None, name=code, nodes=scope_nodes(None, code),
                                              upload=read_upload(template_docx("{{ scope.name }}")))
            for code in ("369901001", "369901002")}  # fmt: skip
    client.force_login(county.users[role])
    sees_a = {"county_admin", "township_admin", "branch_secretary"}
    for code, sees in (("369901001", sees_a), ("369901002", {"county_admin"})):
        t = made[code]
        status = client.get(reverse("briefing-template-render", args=[t.pk])).status_code
        assert status == (200 if role in sees else 404), (role, code, status)
        status = client.post(reverse("briefing-template-delete", args=[t.pk])).status_code
        assert status == (302 if role in sees else 404), (role, code, status)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_figure_links_inside_and_outside_scope(client, county, role):
    """A figure's link (/reports/records/) redirects to the records only for an organisation in the user's scope."""
    client.force_login(county.users[role])
    for org, roles in ((county.town_a_org, SEES_ORG_A), (county.town_b_org, SEES_ORG_B)):
        response = client.get(reverse("report-records"), {"metric": "members.total", "code": org.code,
                                                          "period": "2026-03"})
        assert response.status_code == (302 if role in roles else 404), (role, org.code)
        if role in roles:
            assert response["Location"] == f"/members/?org={org.code}&party=true"
