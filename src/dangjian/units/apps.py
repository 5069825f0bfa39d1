from django.apps import AppConfig


class UnitsConfig(AppConfig):
    name = "dangjian.units"
    label = "units"
    verbose_name = "单位部门"

    def ready(self):
        from dangjian.core.menu import MenuItem, register_menu

        from . import importers, signals  # noqa: F401

        register_menu("units", "单位部门", "bi-building", 50, [MenuItem("职能部门", "department-list", "view"), MenuItem("单位", "unit-list", "view")])
