from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "dangjian.members"
    label = "members"
    verbose_name = "党员"

    def ready(self):
        from dangjian.core.menu import MenuItem, register_menu
        from dangjian.core.periodic import register_job

        from . import importers, metrics, rules, signals  # noqa: F401

        rules.register()
        metrics.register()
        _watch_for_checkup()
        from .jobs import run_member_upkeep

        register_job("member_upkeep", run_member_upkeep)

        register_menu("members", "党员管理", "bi-people", 30, [MenuItem("党员名册", "member-list", "view"),
                      MenuItem("组织关系转接", "member-transfers", "view"),
                      MenuItem("流动党员", "member-contacts", "view")])


def _watch_for_checkup():
    """The organisation subtrees whose checkup a change bears on (re-checked when the transaction commits)."""
    from dangjian.checkup.watch import register_watch

    from .models import ContactLog, Member, MobileStay, Transfer

    register_watch(Member, lambda m: [m.org_path], previous=True)  # a corrected organisation re-checks both
    register_watch(Transfer, lambda t: [t.from_org_path, t.to_org_path or None])
    register_watch(MobileStay, lambda s: [s.member.org_path])
    register_watch(ContactLog, lambda c: [c.member.org_path])
