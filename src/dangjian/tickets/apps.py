from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "dangjian.tickets"
    label = "tickets"
    verbose_name = "吹哨报到"

    def ready(self):
        from dangjian.core.menu import MenuItem, register_menu
        from dangjian.core.periodic import register_job

        from . import briefing, importers, metrics, signals  # noqa: F401
        from .jobs import run_deadlines

        register_job("ticket_deadlines", run_deadlines)
        metrics.register()
        briefing.register()  # the overdue tickets of the monthly 工作通报

        register_menu("tickets", "吹哨报到", "bi-megaphone", 40, [
            MenuItem("指挥中心", "ticket-queue", "command"),
            MenuItem("部门收件箱", "ticket-inbox", "handle"),
            MenuItem("工单查询", "ticket-list", "view"),
            MenuItem("工单地图", "ticket-map", "view"),
            MenuItem("工单统计", "ticket-metrics", "view"),
            MenuItem("网格员考核", "ticket-assessment", "view"),
            MenuItem("随手拍", "ticket-report", "report"),
            MenuItem("走访登记", "ticket-visits", "report"),
            MenuItem("事件分类", "ticket-categories", "view"),
        ])  # fmt: skip
