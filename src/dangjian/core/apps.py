from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "dangjian.core"
    label = "core"
    verbose_name = "基础"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from . import workdays
        from .menu import MenuItem, register_menu
        from .models import CalendarDay

        for signal in (post_save, post_delete):
            signal.connect(lambda **kwargs: workdays.forget_entries(), sender=CalendarDay, weak=False)

        register_menu("home", "工作台", "bi-house", 10, [MenuItem("首页", "home", "view")])
        register_menu("imports", "数据导入", "bi-upload", 60, [MenuItem("导入台账", "import-index", "import")])
        register_menu("system", "系统", "bi-gear", 90, [MenuItem("法定节假日安排", "calendar-days", "configure"),
                                                              MenuItem("API 文档", "api-docs", "view")])
