"""Issuing and revoking integration tokens (audited like every write)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Sequence

from django.db import transaction
from django.db.models import Q

from thuocdo.api.models import IntegrationClient
from thuocdo.audit.services import record
from thuocdo.core import clock
from thuocdo.core.errors import AccessDenied, Conflict, ValidationFailed
from thuocdo.core.models import User
from thuocdo.core.text import clean_text
from thuocdo.org.models import Assignment, Person, Unit
from thuocdo.org.selectors import current

TOKEN_PREFIX = "td"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _codes(values: Sequence[str]) -> list[str]:
    return sorted({code.strip() for code in values if code.strip()})


def _act_for(agency: Unit, units: Sequence[str], people: Sequence[str]) -> tuple[list, list]:
    """The cleaned unit and person codes a client may act for, each known in the agency."""
    unit_codes, person_codes = _codes(units), _codes(people)
    known_units = set(
        Unit.objects.filter(agency_id=agency.pk, code__in=unit_codes).values_list("code", flat=True)
    )
    if agency.code in unit_codes:
        known_units.add(agency.code)
    missing = [code for code in unit_codes if code not in known_units]
    if missing:
        raise ValidationFailed(
            f"Không có đơn vị mã: {', '.join(missing)} trong cơ quan.",
            f"No unit with code(s) {', '.join(missing)} in the agency.",
            field="act_for_units",
        )
    known_people = set(
        Person.objects.filter(agency_id=agency.pk, code__in=person_codes).values_list(
            "code", flat=True
        )
    )
    missing = [code for code in person_codes if code not in known_people]
    if missing:
        raise ValidationFailed(
            f"Không có cán bộ mã: {', '.join(missing)} trong cơ quan.",
            f"No official with code(s) {', '.join(missing)} in the agency.",
            field="act_for_people",
        )
    return unit_codes, person_codes


@transaction.atomic
def client_create(
    *,
    actor: User | None,
    agency: Unit,
    name: str,
    scopes: list[str],
    act_for_units: Sequence[str] = (),
    act_for_people: Sequence[str] = (),
) -> tuple[IntegrationClient, str]:
    """Returns the client and its token `td_<prefix>_<secret>`, shown this once only.

    `act_for_units` / `act_for_people`: whom a `tasks:write` client may act for (unit
    codes cover the unit and every unit below it); both empty means nobody.
    """
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
    units, people = _act_for(agency, act_for_units, act_for_people)
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    client = IntegrationClient.objects.create(
        agency=agency,
        name=cleaned,
        token_prefix=prefix,
        token_hash=_digest(secret),
        scopes=sorted(set(scopes)),
        act_for_units=units,
        act_for_people=people,
        created_by=actor,
    )
    record(
        actor=actor,
        action="api.client.create",
        target=client,
        agency_id=agency.pk,
        after={
            "name": cleaned,
            "scopes": client.scopes,
            "token_prefix": prefix,
            "act_for_units": units,
            "act_for_people": people,
        },
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


@transaction.atomic
def client_set_act_for(
    *,
    actor: User | None,
    client: IntegrationClient,
    act_for_units: Sequence[str],
    act_for_people: Sequence[str],
    reason: str = "",
) -> IntegrationClient:
    """Replaces whom the client may act for (both empty: nobody)."""
    units, people = _act_for(client.agency, act_for_units, act_for_people)
    before = {"act_for_units": client.act_for_units, "act_for_people": client.act_for_people}
    client.act_for_units, client.act_for_people = units, people
    client.save(update_fields=["act_for_units", "act_for_people"])
    record(
        actor=actor,
        action="api.client.act_for",
        target=client,
        agency_id=client.agency_id,
        before=before,
        after={"act_for_units": units, "act_for_people": people},
        reason=reason,
    )
    return client


def client_may_act_for(client: IntegrationClient, person: Person, *, on: dt.date) -> bool:
    """The one rule for whom an integration client may act: a person named in
    `act_for_people`, or one with an assignment in force on `on` in a unit of
    `act_for_units` or below it. Nothing configured: nobody."""
    if person.agency_id != client.agency_id:
        return False
    if person.code in (client.act_for_people or []):
        return True
    if not client.act_for_units:
        return False
    paths = list(
        Unit.objects.filter(
            Q(agency_id=client.agency_id) | Q(pk=client.agency_id),
            code__in=client.act_for_units,
        ).values_list("path", flat=True)
    )
    if not paths:
        return False
    within = Q()
    for path in paths:
        within |= Q(unit__path__startswith=path)
    return Assignment.objects.filter(current(on), within, person_id=person.pk).exists()


def require_act_for(client: IntegrationClient, person: Person, *, on: dt.date, field: str) -> None:
    """403 naming the official and the client unless `client_may_act_for` allows it."""
    if not client_may_act_for(client, person, on=on):
        raise AccessDenied(
            f"Ứng dụng “{client.name}” không được thay mặt cán bộ “{person.full_name}” "
            f"({person.code}): người này không thuộc các đơn vị hoặc danh sách cán bộ mà ứng "
            "dụng được phép thay mặt. Văn phòng cấu hình danh sách này bằng lệnh "
            "api_client_act_for.",
            f"Client {client.name!r} may not act for official {person.code!r}: they are "
            "outside the units and people this client may act for (set with the "
            "api_client_act_for command).",
            field=field,
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
