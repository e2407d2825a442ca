"""The agency a user configures: its personnel office (and operators) manage its settings,
such as the webhooks of its integration clients."""

from __future__ import annotations

from typing import Any

from thuocdo.access.common import denied
from thuocdo.access.scope import scope_for
from thuocdo.core.errors import NotFound
from thuocdo.org.models import Unit


def configured_agencies(user: Any) -> list[Unit]:
    """The agencies whose settings the user manages, by code (every agency for an operator)."""
    scope = scope_for(user)
    agencies = Unit.objects.filter(parent__isnull=True).order_by("code")
    if scope.operator:
        return list(agencies)
    return list(agencies.filter(pk__in=scope.personnel_agencies))


def access_configured_agency(user: Any, agency_id: Any) -> Unit:
    """An agency the user configures: its personnel office, or an operator. Others: 403."""
    try:
        pk = int(agency_id)
    except (TypeError, ValueError):
        pk = 0
    agency = Unit.objects.filter(pk=pk, parent__isnull=True).first()
    if agency is None:
        raise NotFound(
            f"Không tìm thấy cơ quan #{agency_id}.", f"Agency #{agency_id} was not found."
        )
    if not scope_for(user).configures_agency(agency.pk):
        raise denied("change", "thiết lập của cơ quan", "agency's settings")
    return agency
