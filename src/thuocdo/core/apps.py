from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "thuocdo.core"
    label = "core"
    verbose_name = "Thước đo — lõi"
