from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "thuocdo.reports"
    label = "reports"
    verbose_name = "Biểu mẫu, báo cáo"

    def ready(self) -> None:
        from thuocdo.reports import audit_chain, jobs  # noqa: F401  # register the job kinds
