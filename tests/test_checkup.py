"""The checkup engine: rules registered by the apps, findings opened, kept, resolved by themselves, the CLI."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command

from dangjian.checkup import engine
from dangjian.checkup.models import Finding
from dangjian.checkup.registry import RULES
from dangjian.members.services import do_create_member, do_issue_transfer
from dangjian.orgs.services import do_elect_committee
from tests.factories import id_number

AS_OF = dt.date(2026, 11, 20)


def add_full_members(org, n):
    return [do_create_member(actor=None, name=f"党员{i}", id_number=id_number(), org=org, status="full",
                             joined_on=dt.date(2015, 7, 1), full_on=dt.date(2016, 7, 1)) for i in range(n)]


def rules_of(found):
    return {(rule, v.subject_code) for rule, v in found}


def test_every_rule_cites_its_regulation():
    for rule in RULES.values():
        assert rule.citation.document.startswith("《") and rule.severity in ("error", "warning", "notice")


def test_branch_size_and_committee(county):
    found = rules_of(engine.evaluate("", AS_OF))
    assert ("org.branch.too_few_full_members", "D010101") in found  # one full member
    members = add_full_members(county.branch_a, 6)  # 7 full members now
    found = rules_of(engine.evaluate("", AS_OF))
    assert ("org.branch.too_few_full_members", "D010101") not in found
    assert ("org.committee.missing", "D010101") in found
    do_elect_committee(actor=None, org=county.branch_a, elected_on=dt.date(2023, 12, 1),
                       approved_on=dt.date(2023, 12, 5), seats=[(members[0], "secretary"), (members[1], "member"),
                                                                 (members[2], "member")], today=AS_OF)
    found = rules_of(engine.evaluate("", AS_OF))
    assert ("org.committee.missing", "D010101") not in found
    # a village branch serves 5 years: due 2028-12-01, neither expiring nor expired
    assert not {r for r, code in found if r.startswith("org.term") and code == "D010101"}
    assert ("org.term.expiring", "D010101") in rules_of(engine.evaluate("", dt.date(2028, 9, 2)))
    assert ("org.term.expiring", "D010101") not in rules_of(engine.evaluate("", dt.date(2028, 9, 1)))
    assert ("org.term.expired", "D010101") in rules_of(engine.evaluate("", dt.date(2028, 12, 2)))
    assert ("org.term.expired", "D010101") not in rules_of(engine.evaluate("", dt.date(2028, 12, 1)))


def test_findings_open_stay_and_resolve_by_themselves(county):
    first = engine.run("", AS_OF)
    assert first["opened"] >= 2 and Finding.objects.filter(rule="org.branch.too_few_full_members",
                                                           subject_code="D010101", status="open").exists()
    assert engine.run("", AS_OF) == {"opened": 0, "open": first["opened"], "resolved": 0}
    add_full_members(county.branch_a, 2)
    result = engine.run("", AS_OF)
    assert result["resolved"] == 1
    finding = Finding.objects.get(rule="org.branch.too_few_full_members", subject_code="D010101")
    assert finding.status == "resolved" and finding.resolved_on == AS_OF


def test_expired_letter_and_the_cli(county):
    transfer = do_issue_transfer(actor=None, member=county.members["a"], kind="introduction", to_org=county.branch_b,
                                 issued_on=dt.date(2026, 10, 1))
    out = StringIO()
    call_command("checkup", "--scope", "D01", "--as-of", transfer.expires_on.isoformat(), "--format", "json",
                 stdout=out)
    assert "member.transfer.letter_expired" not in {f["rule"] for f in json.loads(out.getvalue())["findings"]}
    out = StringIO()
    day_after = (transfer.expires_on + dt.timedelta(days=1)).isoformat()
    call_command("checkup", "--scope", "D01", "--as-of", day_after, "--format", "json", stdout=out)
    letters = [f for f in json.loads(out.getvalue())["findings"] if f["rule"] == "member.transfer.letter_expired"]
    assert letters == [{"rule": "member.transfer.letter_expired", "subject": str(county.members["a"].pk),
                        "severity": "warning", "message": letters[0]["message"], "citation": letters[0]["citation"],
                        "due": transfer.expires_on.isoformat()}]
    assert "中组发〔2004〕10号" in letters[0]["citation"] and "张三" in letters[0]["message"]
    out = StringIO()
    call_command("checkup", "--scope", "D0102", "--as-of", day_after, "--format", "json", stdout=out)
    assert all(f["subject"] != "D010101" for f in json.loads(out.getvalue())["findings"])


@pytest.mark.django_db
def test_unknown_scope_is_refused():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("checkup", "--scope", "NOPE", stdout=StringIO())
