"""The agency a user configures: its personnel office (and operators) manage its settings,
such as the webhooks of its integration clients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from thuocdo.access.common import denied
from thuocdo.access.scope import Scope, scope_for
from thuocdo.core.errors import NotFound
from thuocdo.core.params import id_param
from thuocdo.org.models import Unit


def agencies_in(scope: Scope, ids: Iterable[int]) -> list[Unit]:
    """Agencies (root units) by code: every one for an operator, else those in `ids`."""
    agencies = Unit.objects.filter(parent__isnull=True).order_by("code")
    return list(agencies if scope.operator else agencies.filter(pk__in=list(ids)))


def agency_by_id(agency_id: Any) -> Unit:
    """The agency an id names (a number, or the text a page posted); 404 naming it."""
    pk = agency_id if isinstance(agency_id, int) else id_param(str(agency_id))
    agency = Unit.objects.filter(pk=pk or 0, parent__isnull=True).first()
    if agency is None:
        raise NotFound(
            f"Không tìm thấy cơ quan #{agency_id}.", f"Agency #{agency_id} was not found."
        )
    return agency


def configured_agencies(user: Any) -> list[Unit]:
    """The agencies whose settings the user manages, by code (every agency for an operator)."""
    scope = scope_for(user)
    return agencies_in(scope, scope.personnel_agencies)


def access_configured_agency(user: Any, agency_id: Any) -> Unit:
    """An agency the user configures: its personnel office, or an operator. Others: 403."""
    agency = agency_by_id(agency_id)
    if not scope_for(user).configures_agency(agency.pk):
        raise denied("change", "thiết lập của cơ quan", "agency's settings")
    return agency
