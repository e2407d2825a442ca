from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "thuocdo.reports"
    label = "reports"
    verbose_name = "Biểu mẫu, báo cáo"

    def ready(self) -> None:
        from thuocdo.reports import jobs  # noqa: F401  # registers the report job kind
