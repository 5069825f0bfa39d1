from django.apps import AppConfig


class CheckupConfig(AppConfig):
    name = "dangjian.checkup"
    label = "checkup"
    verbose_name = "制度体检"

    def ready(self):
        from dangjian.core.menu import MenuItem, register_menu
        from dangjian.core.periodic import register_job

        from . import signals  # noqa: F401
        from .jobs import run_checkup

        register_job("checkup", run_checkup)
        from .metrics import schedule

        schedule()  # the open findings as figures for the reports

        # The pages read organisation subtrees: shown to the roles that hold one (they may also change it);
        # members, grid workers and department handlers have no organisation scope.
        register_menu("checkup", "制度体检", "bi-clipboard2-pulse", 38, [
            MenuItem("体检报告", "checkup-report", "change"),
            MenuItem("问题清单", "checkup-findings", "change"),
            MenuItem("本月待办", "checkup-calendar", "change"),
            MenuItem("体检规则设置", "checkup-rules", "configure"),
        ])  # fmt: skip
