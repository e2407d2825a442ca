"""Sign-ins and sign-outs go into the audit trail too."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver

from thuocdo.audit.services import record
from thuocdo.core.models import User


def _agency_id(user: User | None) -> int | None:
    person = getattr(user, "person", None) if user is not None else None
    return getattr(person, "agency_id", None)


@receiver(user_logged_in)
def on_login(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    with transaction.atomic():
        record(actor=user, action="auth.login", target=user, agency_id=_agency_id(user))


@receiver(user_logged_out)
def on_logout(sender: Any, request: Any, user: User | None, **kwargs: Any) -> None:
    if user is None:
        return
    with transaction.atomic():
        record(actor=user, action="auth.logout", target=user, agency_id=_agency_id(user))


@receiver(user_login_failed)
def on_login_failed(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))[:150]
    user = User.objects.filter(username=username).first()
    with transaction.atomic():
        record(
            actor=None,
            action="auth.login_failed",
            object_type="core.user",
            object_id=str(user.pk) if user else "",
            object_repr=username,
            agency_id=_agency_id(user),
        )
