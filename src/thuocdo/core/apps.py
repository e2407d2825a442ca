from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "thuocdo.core"
    label = "core"
    verbose_name = "Thước đo — lõi"

    def ready(self) -> None:
        from thuocdo.core import lookups

        lookups.register()  # `field__any_of=[ids]`
