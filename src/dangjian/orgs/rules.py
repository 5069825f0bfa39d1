"""Checkup rules about organisations: branch size, committees and terms (registered from OrgsConfig.ready)."""

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Q

from dangjian.checkup.registry import Citation, Rule, Violation, register_rule

from .models import BranchCommittee, PartyOrg

BRANCH_RULES = Citation("《中国共产党支部工作条例（试行）》", "第四条、第五条（条号待核对）", "2018-10", "2018-10-28")
COMMITTEE_RULES = Citation("《中国共产党支部工作条例（试行）》", "第十九条（条号待核对）", "2018-10", "2018-10-28")
TERM_RULES = Citation("《关于党的基层组织任期的意见》", "第二条、第三条（条号待核对）", "2018", "2018-11-01")

LIVE_FULL = Q(members__status="full", members__deleted_at__isnull=True)
LIVE = Q(members__status__in=("full", "probationary"), members__deleted_at__isnull=True)


def _branches(path):
    return PartyOrg.objects.filter(path__startswith=path, kind__in=PartyOrg.BRANCH_KINDS)


def too_few_full_members(path, as_of, params):
    rows = (_branches(path).annotate(full=Count("members", filter=LIVE_FULL)).filter(full__lt=params["minimum"])
            .values_list("pk", "code", "path", "name", "full"))
    for pk, code, org_path, name, full in rows:
        yield Violation("org", pk, code, org_path, f"{name}只有正式党员 {full} 名，少于 {params['minimum']} 名，"
                                                    "应与邻近单位成立联合党支部")


def too_many_members(path, as_of, params):
    rows = (_branches(path).annotate(n=Count("members", filter=LIVE)).filter(n__gt=params["maximum"])
            .values_list("pk", "code", "path", "name", "n"))
    for pk, code, org_path, name, n in rows:
        yield Violation("org", pk, code, org_path, f"{name}有党员 {n} 名，超过 {params['maximum']} 名，宜分设支部或成立党总支")


def committee_missing(path, as_of, params):
    current = BranchCommittee.objects.filter(org=OuterRef("pk"), ended_on__isnull=True)
    rows = (_branches(path).annotate(full=Count("members", filter=LIVE_FULL)).filter(full__gte=params["threshold"])
            .exclude(Exists(current)).values_list("pk", "code", "path", "name", "full"))
    for pk, code, org_path, name, full in rows:
        yield Violation("org", pk, code, org_path, f"{name}有正式党员 {full} 名，应设立支部委员会")


def _current_committees(path):
    return BranchCommittee.objects.filter(org__path__startswith=path, ended_on__isnull=True).select_related("org")


def term_expiring(path, as_of, params):
    horizon = as_of + dt.timedelta(days=params["days"])
    for c in _current_committees(path):
        if as_of <= c.due_on <= horizon:
            yield Violation("org", c.org_id, c.org.code, c.org.path,
                            f"{c.org.name}本届委员会应于 {c.due_on} 换届，还有 {(c.due_on - as_of).days} 天", due=c.due_on)


def term_expired(path, as_of, params):
    for c in _current_committees(path):
        if c.due_on < as_of:
            past_limit = as_of > c.postponement_limit
            extra = "，且已超过延期换届不超过 1 年的限度" if past_limit else ""
            yield Violation("org", c.org_id, c.org.code, c.org.path,
                            f"{c.org.name}本届委员会已于 {c.due_on} 届满，尚未换届{extra}", due=c.due_on)


def register() -> None:
    register_rule(Rule("org.branch.too_few_full_members", "支部正式党员不足 3 名", BRANCH_RULES, "warning", "org",
                       too_few_full_members, {"minimum": 3}))
    register_rule(Rule("org.branch.too_many_members", "支部党员超过 50 名", BRANCH_RULES, "warning", "org",
                       too_many_members, {"maximum": 50}))
    register_rule(Rule("org.committee.missing", "正式党员 7 名以上未设支委会", COMMITTEE_RULES, "error", "org",
                       committee_missing, {"threshold": 7}))
    register_rule(Rule("org.term.expiring", "任期即将届满", TERM_RULES, "warning", "org", term_expiring, {"days": 90}))
    register_rule(Rule("org.term.expired", "任期届满未换届", TERM_RULES, "error", "org", term_expired))
