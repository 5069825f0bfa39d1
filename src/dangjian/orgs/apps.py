from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "dangjian.orgs"
    label = "orgs"
    verbose_name = "党组织"

    def ready(self):
        from dangjian.core.menu import MenuItem, register_menu

        from . import importers, rules, signals  # noqa: F401

        rules.register()

        register_menu("orgs", "组织管理", "bi-diagram-3", 20, [MenuItem("组织架构", "org-tree", "view"), MenuItem("党组织列表", "org-list", "view")])
