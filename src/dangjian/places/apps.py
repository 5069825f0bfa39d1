from django.apps import AppConfig


class PlacesConfig(AppConfig):
    name = "dangjian.places"
    label = "places"
    verbose_name = "区划网格"

    def ready(self):
        from dangjian.core.menu import MenuItem, register_menu

        from . import importers, signals  # noqa: F401

        register_menu("places", "区划网格", "bi-geo-alt", 40, [MenuItem("区划树", "region-tree", "view")])
