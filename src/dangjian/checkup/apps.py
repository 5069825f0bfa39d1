from django.apps import AppConfig


class CheckupConfig(AppConfig):
    name = "dangjian.checkup"
    label = "checkup"
    verbose_name = "制度体检"
