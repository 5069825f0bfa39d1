from django.apps import AppConfig


class BranchlifeConfig(AppConfig):
    name = "dangjian.branchlife"
    label = "branchlife"
    verbose_name = "组织生活"

    def ready(self):
        from dangjian.core.menu import MenuItem, register_menu

        from . import importers, signals  # noqa: F401

        register_menu("branchlife", "组织生活", "bi-journal-check", 35, [
            MenuItem("会议记录", "meeting-list", "view"),
            MenuItem("党费收缴", "dues-sheet", "change"),
        ])
