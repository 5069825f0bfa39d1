"""Checkup rules about members (registered from MembersConfig.ready)."""

from dangjian.checkup.registry import Citation, Rule, Violation, register_rule

from .models import Transfer

LETTER_RULES = Citation("《关于进一步加强和改进党员组织关系接转工作的通知》（中组发〔2004〕10号）", "介绍信有效期", "2004",
                        "2004")


def letter_expired(path, as_of, params):
    rows = (Transfer.objects.filter(status=Transfer.Status.ISSUED, expires_on__lt=as_of,
                                    member__org_path__startswith=path)
            .values_list("member_id", "member__name", "member__org_path", "expires_on", "to_org__name", "to_org_name"))
    for member_id, name, org_path, expires_on, to_org, to_name in rows:
        yield Violation("member", member_id, str(member_id), org_path,
                        f"{name}转往{to_org or to_name}的介绍信已于 {expires_on} 过期，未办理接收", due=expires_on)


def register() -> None:
    register_rule(Rule("member.transfer.letter_expired", "介绍信过期未接收", LETTER_RULES, "warning", "member",
                       letter_expired))
