"""Checkup rules about members (registered from MembersConfig.ready): transfer letters, probation, mobile members.

Periods in months and years are calendar periods (《民法典》 Art 201–202): probation voted on 1 October 2025 ends on
1 October 2026 even though that is National Day, and the conversion is late from the day after 1 January 2027.
Holidays do not move either date. An extended probation (延长预备期) is not recorded on the member, so every
probationary member is checked against 1 year from the branch vote (Member.joined_on)."""

import datetime as dt

from dangjian.checkup.registry import Citation, Rule, Violation, register_rule

from .models import Member, Transfer
from .queries import (
    EXPEL_AFTER_MONTHS,
    MOBILE_CITATION,
    PROMPT_EXPEL,
    SUSPEND_AFTER_MONTHS,
    out_of_contact,
    prompt_for,
    with_last_contact,
)
from .services import months_before

LETTER_RULES = Citation("《关于进一步加强和改进党员组织关系接转工作的通知》（中组发〔2004〕10号）", "介绍信有效期", "2004",
                        "2004")
PROBATION_RULES = Citation("《中国共产党发展党员工作细则》", "第三十一条（条号待核对）", "2014-06（中办发〔2014〕28号）",
                           "2014-06-10")
CONVERSION_RULES = Citation("《中国共产党发展党员工作细则》", "第三十三条（条号待核对）", "2014-06（中办发〔2014〕28号）",
                            "2014-06-10")
MOBILE_RULES = Citation(MOBILE_CITATION["document"], MOBILE_CITATION["article"], MOBILE_CITATION["version"],
                        MOBILE_CITATION["version"])
PROBATION_MONTHS = 12  # probation lasts 1 year from the branch vote


def months_after(day: dt.date, months: int) -> dt.date:
    """The corresponding day `months` months later, clamped to the month's end (29 Feb 2024 + 12 → 28 Feb 2025)."""
    return months_before(day, -months)


def first_with(f, target: dt.date) -> dt.date:
    """The earliest day d with f(d) ≥ target, for a non-decreasing f that adds between 0 and 30 years (so a
    threshold on f(joined_on) becomes a plain range on joined_on, evaluated in the database)."""
    lo, hi = target - dt.timedelta(days=11000), target  # f(lo) < target ≤ f(hi)
    while (hi - lo).days > 1:
        mid = lo + dt.timedelta(days=(hi - lo).days // 2)
        lo, hi = (lo, mid) if f(mid) >= target else (mid, hi)
    return hi


def probation_end(joined_on: dt.date) -> dt.date:
    return months_after(joined_on, PROBATION_MONTHS)


def letter_expired(path, as_of, params):
    rows = (Transfer.objects.filter(status=Transfer.Status.ISSUED, expires_on__lt=as_of,
                                    member__org_path__startswith=path)
            .values_list("member_id", "member__name", "member__org_path", "expires_on", "to_org__name", "to_org_name"))
    for member_id, name, org_path, expires_on, to_org, to_name in rows:
        yield Violation("member", member_id, str(member_id), org_path,
                        f"{name}转往{to_org or to_name}的介绍信已于 {expires_on} 过期，未办理接收", due=expires_on)


def _probationary(path):
    return Member.objects.filter(org_path__startswith=path, status=Member.Status.PROBATIONARY,
                                 joined_on__isnull=False)


def probation_ending(path, as_of, params):
    """Probation ends between today and `days` days from today (both included): one range query on joined_on."""
    horizon = as_of + dt.timedelta(days=params["days"])
    rows = (_probationary(path)
            .filter(joined_on__gte=first_with(probation_end, as_of),
                    joined_on__lt=first_with(probation_end, horizon + dt.timedelta(days=1)))
            .values_list("pk", "name", "org_path", "joined_on"))
    for pk, name, org_path, joined_on in rows:
        end = probation_end(joined_on)
        yield Violation("member", pk, str(pk), org_path,
                        f"{name}的预备期将于 {end} 期满（{joined_on} 支部大会接收为预备党员），还有 {(end - as_of).days} 天，"
                        "应及时讨论其能否转为正式党员", due=end)


def probation_overdue(path, as_of, params):
    """Still probationary more than `months` months after probation ended (the deadline day itself is allowed)."""
    months = params["months"]

    def deadline(joined_on):
        return months_after(probation_end(joined_on), months)

    rows = (_probationary(path).filter(joined_on__lt=first_with(deadline, as_of))
            .values_list("pk", "name", "org_path", "joined_on"))
    for pk, name, org_path, joined_on in rows:
        yield Violation("member", pk, str(pk), org_path,
                        f"{name}的预备期已于 {probation_end(joined_on)} 期满，超过 {months} 个月仍未讨论转正"
                        f"（应于 {deadline(joined_on)} 前）", due=deadline(joined_on))


def mobile_no_contact(path, as_of, params):
    """A mobile member whose last contact (contact log, or the start of the open stay) is `months` months ago or
    more — the 停止党籍 prompt of members/queries.py; after a further 2 years it becomes the 除名 prompt (error)."""
    months = params["months"]
    members = Member.objects.filter(org_path__startswith=path, is_mobile=True)
    rows = (out_of_contact(with_last_contact(members), as_of, months)
            .values_list("pk", "name", "org_path", "last_contact"))
    for pk, name, org_path, last_contact in rows:
        reached = months_after(last_contact, months)
        if months == SUSPEND_AFTER_MONTHS and prompt_for(last_contact, as_of) == PROMPT_EXPEL:
            yield Violation("member", pk, str(pk), org_path,
                            f"流动党员{name}自 {last_contact} 起失去联系，停止党籍满 2 年后仍无法取得联系，应予除名",
                            due=months_after(last_contact, EXPEL_AFTER_MONTHS), severity="error")
        else:
            yield Violation("member", pk, str(pk), org_path,
                            f"流动党员{name}自 {last_contact} 起失去联系已满 {months} 个月，应启动停止党籍程序",
                            due=reached)


def register() -> None:
    register_rule(Rule("member.transfer.letter_expired", "介绍信过期未接收", LETTER_RULES, "warning", "member",
                       letter_expired))
    register_rule(Rule("member.probation.ending", "预备期即将期满", PROBATION_RULES, "notice", "member",
                       probation_ending, {"days": 30}, {"days": "提前提醒天数"}))
    register_rule(Rule("member.probation.overdue", "预备期满逾期未讨论转正", CONVERSION_RULES, "error", "member",
                       probation_overdue, {"months": 3}, {"months": "预备期满后应讨论转正的月数"}))
    register_rule(Rule("member.mobile.no_contact", "流动党员失去联系", MOBILE_RULES, "warning", "member",
                       mobile_no_contact, {"months": SUSPEND_AFTER_MONTHS}, {"months": "失联月数"}))
