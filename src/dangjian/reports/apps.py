from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "dangjian.reports"
    label = "reports"
    verbose_name = "统计分析"

    def ready(self):
        from dangjian.core.menu import MenuItem, register_menu
        from dangjian.core.periodic import register_job

        from . import briefing_views
        from .jobs import run_refresh

        register_job("stats_refresh", run_refresh)
        register_menu("reports", "统计分析", "bi-bar-chart", 55, [MenuItem("数据看板", "dashboard", "view"), MenuItem("指挥中心大屏", "bigscreen", "view"),
                                                            MenuItem("党内统计", "report-tables", "view")])
        briefing_views.register_menu_items()  # 工作通报, 交流材料数据, 通报模板
