from django.apps import AppConfig


class RecruitmentConfig(AppConfig):
    name = "dangjian.recruitment"
    label = "recruitment"
    verbose_name = "发展党员"

    def ready(self):
        from dangjian.core.menu import MenuItem, register_menu

        from . import rules, signals  # noqa: F401

        rules.register()
        register_menu("recruitment", "发展党员", "bi-person-plus", 32, [
            MenuItem("发展党员", "recruitment-list", "view"),
            MenuItem("发展党员时限规则", "recruitment-rulesets", "configure"),
        ])
