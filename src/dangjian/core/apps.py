from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "dangjian.core"
    label = "core"
    verbose_name = "基础"

    def ready(self):
        from .menu import MenuItem, register_menu

        register_menu("home", "工作台", "bi-house", 10, [MenuItem("首页", "home", "view")])
        register_menu("imports", "数据导入", "bi-upload", 60, [MenuItem("导入台账", "import-index", "import")])
        register_menu("system", "系统", "bi-gear", 90, [MenuItem("API 文档", "api-docs", "view")])
