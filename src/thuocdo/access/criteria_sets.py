"""Who reads and who tunes the criteria sets per job position (issue 14, point 2).

- the agency's personnel office (and an operator) keeps every set of the agency: the
  agency-wide set of each position and any unit's;
- the head (or acting head) of a unit tunes the sets of that unit only, within what the
  framework allows; never the agency-wide set;
- everyone in the agency reads them (the framework in force for them).

Unknown ids raise NotFound; sets out of reach raise AccessDenied. Nothing is written.
"""

from __future__ import annotations

from typing import Any

from thuocdo.access.common import denied
from thuocdo.access.scope import scope_for
from thuocdo.core import clock
from thuocdo.core.errors import NotFound
from thuocdo.core.params import id_param
from thuocdo.frameworks.models import CriteriaSet
from thuocdo.org.models import Assignment, Unit
from thuocdo.org.selectors import current


def headed_units(user: Any, agency_id: int) -> list[Unit]:
    """The units of the agency the user heads or acts as head of today (not the agency
    itself: its head adopts frameworks, the personnel office keeps the agency's sets)."""
    person_id = scope_for(user).person_id
    if person_id is None:
        return []
    ids = Assignment.objects.filter(
        current(clock.today()),
        person_id=person_id,
        role__in=[Assignment.Role.HEAD, Assignment.Role.ACTING_HEAD],
        unit__agency_id=agency_id,
    ).exclude(unit_id=agency_id)
    return list(Unit.objects.filter(pk__in=ids.values("unit_id")).order_by("path"))


def may_keep_all(user: Any, agency_id: int) -> bool:
    """The personnel office of the agency (or an operator): every set of the agency."""
    return scope_for(user).configures_agency(agency_id)


def may_tune(user: Any, agency_id: int, unit: Unit | None) -> bool:
    """May the user write the set of ``unit`` (None: agency-wide) in this agency?"""
    if may_keep_all(user, agency_id):
        return True
    return unit is not None and any(u.pk == unit.pk for u in headed_units(user, agency_id))


def may_read(user: Any, agency_id: int) -> bool:
    scope = scope_for(user)
    return scope.agency_id == agency_id or scope.reads_agency(agency_id)


def access_criteria_set(user: Any, set_id: Any, action: str = "view") -> CriteriaSet:
    """One criteria set for ``action`` (``view`` or ``change``)."""
    row = (
        CriteriaSet.objects.filter(pk=id_param(str(set_id)) or 0)
        .select_related("base", "base__agency", "job_position", "unit", "agency")
        .first()
    )
    if row is None:
        raise NotFound(
            f"Không tìm thấy bộ tiêu chí #{set_id}.",
            f"Criteria set #{set_id} was not found.",
        )
    if action == "change":
        if not may_tune(user, row.agency_id, row.unit):
            raise denied("change", "bộ tiêu chí", "criteria set")
    elif not may_read(user, row.agency_id):
        raise denied("view", "bộ tiêu chí", "criteria set")
    return row
