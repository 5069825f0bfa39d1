from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "dangjian.members"
    label = "members"
    verbose_name = "党员"

    def ready(self):
        from dangjian.core.menu import MenuItem, register_menu

        from . import importers, signals  # noqa: F401

        register_menu("members", "党员管理", "bi-people", 30, [MenuItem("党员名册", "member-list", "view"),
                      MenuItem("组织关系转接", "member-transfers", "view"),
                      MenuItem("流动党员", "member-contacts", "view")])
