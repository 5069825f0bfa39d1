from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "dangjian.reports"
    label = "reports"
    verbose_name = "统计分析"

    def ready(self):
        from dangjian.core.menu import MenuItem, register_menu
        from dangjian.core.periodic import register_job

        from .jobs import run_refresh

        register_job("stats_refresh", run_refresh)
        register_menu("reports", "统计分析", "bi-bar-chart", 55, [MenuItem("党内统计", "report-tables", "view")])
