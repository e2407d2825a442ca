from typing import Any

from django.apps import AppConfig
from django.core import checks


class ReportsConfig(AppConfig):
    name = "thuocdo.reports"
    label = "reports"
    verbose_name = "Biểu mẫu, báo cáo"

    def ready(self) -> None:
        from thuocdo.reports import audit_chain, jobs  # noqa: F401  # register the job kinds

        checks.register(check_signing)


def check_signing(**_: Any) -> list[checks.CheckMessage]:
    """Signing configured but impossible (file, password, certificate): say so at start,
    since no form PDF is served unsigned (docs/signing.md)."""
    from thuocdo.reports.signing import problems

    errors, warnings = problems()
    return [
        *(checks.Error(text, id="thuocdo.reports.E001") for text in errors),
        *(checks.Warning(text, id="thuocdo.reports.W001") for text in warnings),
    ]
