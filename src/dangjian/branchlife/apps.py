from django.apps import AppConfig


class BranchlifeConfig(AppConfig):
    name = "dangjian.branchlife"
    label = "branchlife"
    verbose_name = "组织生活"

    def ready(self):
        from . import signals  # noqa: F401
