from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "thuocdo.audit"
    label = "audit"
    verbose_name = "Nhật ký"

    def ready(self) -> None:
        from thuocdo.audit import signals  # noqa: F401
