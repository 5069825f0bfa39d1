from django.apps import AppConfig


class UnitsConfig(AppConfig):
    name = "dangjian.units"
    label = "units"
    verbose_name = "单位部门"

    def ready(self):
        from . import importers, signals  # noqa: F401
