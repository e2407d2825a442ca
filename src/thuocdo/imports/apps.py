from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "thuocdo.imports"
    label = "imports"
    verbose_name = "Nhập, xuất Excel"

    def ready(self) -> None:
        from thuocdo.imports import jobs  # noqa: F401  # registers the import job kind
