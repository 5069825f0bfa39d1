from django.apps import AppConfig


class PlacesConfig(AppConfig):
    name = "dangjian.places"
    label = "places"
    verbose_name = "区划网格"

    def ready(self):
        from . import importers, signals  # noqa: F401
