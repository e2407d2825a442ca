from typing import Any

from django.apps import AppConfig
from django.core import checks


class ApiConfig(AppConfig):
    name = "thuocdo.api"
    label = "api"
    verbose_name = "API tích hợp"

    def ready(self) -> None:
        checks.register(check_rates, checks.Tags.security)
        # Webhooks: events are read off the audit trail, in the writer's transaction.
        from thuocdo.api.webhooks import on_audit
        from thuocdo.audit.services import on_recorded

        on_recorded(on_audit)


def check_rates(**_: Any) -> list[checks.CheckMessage]:
    """A malformed API_RATE_LIMIT would otherwise fail every API request: refuse to start."""
    from django.conf import settings

    from thuocdo.api.throttle import parse_rate

    problems: list[checks.CheckMessage] = []
    for name in ("API_RATE_LIMIT", "API_AUTH_FAILURE_LIMIT"):
        try:
            parse_rate(getattr(settings, name, None))
        except ValueError as error:
            problems.append(checks.Error(f"{name}: {error}", id="thuocdo.api.E001"))
    return problems
