"""Who may print a unit's summary. The individual form uses `access_evaluation(…, "view")`.

A unit's summary lists every member's points and ratings, so it is stricter than
`visible_unit_evaluations` (which also lets a unit's staff see their unit's own rating):
the unit's leaders (of the unit or a unit above it) and the agency's leadership,
personnel office and auditors; operators read everything. The members listed are those
`visible_evaluations` gives the reader, so the summary never shows what a form would refuse.
(A candidate for `thuocdo.access.evaluations` when that module next changes.)
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from thuocdo.access import access_period, scope_for
from thuocdo.core.errors import AccessDenied, NotFound
from thuocdo.core.models import User
from thuocdo.evaluations.models import Period
from thuocdo.org.models import Unit


def may_read_unit_summary(user: User | AnonymousUser, unit: Unit, period: Period) -> bool:
    """Who reads the table of every member's result of a unit: the agency's leadership,
    personnel office and auditors, and the unit's own leaders. (A member sees the unit's
    evaluation, not the colleagues' results.) The unit page offers the download only then."""
    scope = scope_for(user)
    return scope.reads_agency(period.agency_id) or (
        scope.agency_id == period.agency_id and scope.leads_path(unit.path)
    )


def access_unit_summary(
    user: User | AnonymousUser, unit_id: int, period_id: int
) -> tuple[Period, Unit]:
    period = access_period(user, period_id, action="view")
    unit = Unit.objects.filter(pk=unit_id).first()
    if unit is None or unit.agency_id != period.agency_id:
        raise NotFound(
            f"Không tìm thấy đơn vị #{unit_id} trong kỳ đánh giá này.",
            f"Unit #{unit_id} was not found in this period.",
        )
    if not may_read_unit_summary(user, unit, period):
        raise AccessDenied(
            "Bạn không có quyền xem bảng tổng hợp kết quả của đơn vị này.",
            "You may not view this unit's summary.",
        )
    return period, unit
