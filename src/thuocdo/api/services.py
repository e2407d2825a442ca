"""Issuing and revoking integration tokens (audited like every write)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.db import transaction

from thuocdo.api.models import IntegrationClient
from thuocdo.audit.services import record
from thuocdo.core import clock
from thuocdo.core.errors import Conflict, ValidationFailed
from thuocdo.core.models import User
from thuocdo.core.text import clean_text
from thuocdo.org.models import Unit

TOKEN_PREFIX = "td"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def client_create(
    *, actor: User | None, agency: Unit, name: str, scopes: list[str]
) -> tuple[IntegrationClient, str]:
    """Returns the client and its token `td_<prefix>_<secret>`, shown this once only."""
    unknown = sorted(set(scopes) - set(IntegrationClient.Scope.values))
    if unknown or not scopes:
        raise ValidationFailed(
            f"Phạm vi không hợp lệ: {', '.join(unknown) or '(trống)'}. "
            f"Chọn trong: {', '.join(IntegrationClient.Scope.values)}.",
            f"Invalid scopes: {', '.join(unknown) or '(none)'}.",
            field="scopes",
        )
    if not agency.is_agency:
        raise ValidationFailed(
            "Ứng dụng tích hợp thuộc một cơ quan.", "A client belongs to an agency.", field="agency"
        )
    cleaned = clean_text(name)
    if not cleaned:
        raise ValidationFailed("Thiếu tên ứng dụng.", "The client name is missing.", field="name")
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    client = IntegrationClient.objects.create(
        agency=agency,
        name=cleaned,
        token_prefix=prefix,
        token_hash=_digest(secret),
        scopes=sorted(set(scopes)),
        created_by=actor,
    )
    record(
        actor=actor,
        action="api.client.create",
        target=client,
        agency_id=agency.pk,
        after={"name": cleaned, "scopes": client.scopes, "token_prefix": prefix},
    )
    return client, f"{TOKEN_PREFIX}_{prefix}_{secret}"


@transaction.atomic
def client_revoke(*, actor: User | None, client: IntegrationClient, reason: str = "") -> None:
    if not client.is_active:
        raise Conflict("Ứng dụng này đã bị thu hồi quyền.", "This client was already revoked.")
    client.is_active = False
    client.save(update_fields=["is_active"])
    record(
        actor=actor,
        action="api.client.revoke",
        target=client,
        agency_id=client.agency_id,
        before={"is_active": True},
        after={"is_active": False},
        reason=reason,
    )


def client_for_token(token: str) -> IntegrationClient | None:
    """The active client a token belongs to, compared in constant time."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    client = IntegrationClient.objects.filter(token_prefix=parts[1], is_active=True).first()
    if client is None or not hmac.compare_digest(client.token_hash, _digest(parts[2])):
        return None
    # Coarse last-use stamp without an audit entry: it is bookkeeping, not a change of data.
    now = clock.now()
    if client.last_used_at is None or (now - client.last_used_at).total_seconds() > 300:
        IntegrationClient.objects.filter(pk=client.pk).update(last_used_at=now)
    return client
