from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "dangjian.members"
    label = "members"
    verbose_name = "党员"

    def ready(self):
        from dangjian.core.menu import MenuItem, register_menu
        from dangjian.core.periodic import register_job

        from . import importers, rules, signals  # noqa: F401

        rules.register()
        from .jobs import run_member_upkeep

        register_job("member_upkeep", run_member_upkeep)

        register_menu("members", "党员管理", "bi-people", 30, [MenuItem("党员名册", "member-list", "view"),
                      MenuItem("组织关系转接", "member-transfers", "view"),
                      MenuItem("流动党员", "member-contacts", "view")])
