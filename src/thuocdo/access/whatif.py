"""Who may preview a draft framework against decided periods (issue 14): the agency's
personnel office and its leadership (and operators). The preview shows every official's
points and rating under both frameworks, so nobody else sees a run or its lines."""

from __future__ import annotations

from typing import Any

from thuocdo.access.agencies import agencies_in, agency_by_id
from thuocdo.access.scope import scope_for
from thuocdo.core.errors import AccessDenied, NotFound
from thuocdo.evaluations.models import WhatIfLine, WhatIfRun
from thuocdo.org.models import Unit


def whatif_refused() -> AccessDenied:
    return AccessDenied(
        "Chỉ phòng tổ chức cán bộ và lãnh đạo cơ quan mới được xem trước khung mới.",
        "Only the agency's personnel office and leadership may preview a new framework.",
    )


def whatif_agencies(user: Any) -> list[Unit]:
    """The agencies whose drafts the user may preview, by code (every one for an operator)."""
    scope = scope_for(user)
    return agencies_in(scope, scope.personnel_agencies | scope.leadership_agencies)


def may_preview(user: Any, agency_id: int | None) -> bool:
    scope = scope_for(user)
    return scope.operator or (
        agency_id is not None
        and agency_id in (scope.personnel_agencies | scope.leadership_agencies)
    )


def access_whatif_agency(user: Any, agency_id: Any) -> Unit:
    """An agency whose drafts the user previews; others: 403 with the reason."""
    agency = agency_by_id(agency_id)
    if not may_preview(user, agency.pk):
        raise whatif_refused()
    return agency


def access_whatif_run(user: Any, run_id: Any) -> WhatIfRun:
    try:
        pk = int(run_id)
    except (TypeError, ValueError):
        pk = 0
    run = (
        WhatIfRun.objects.select_related("agency", "framework", "requested_by", "job")
        .filter(pk=pk)
        .first()
    )
    if run is None:
        raise NotFound("Không tìm thấy lượt xem trước.", "Preview not found.")
    if not may_preview(user, run.agency_id):
        raise whatif_refused()
    return run


def access_whatif_line(user: Any, run_id: Any, line_id: Any) -> WhatIfLine:
    run = access_whatif_run(user, run_id)
    try:
        pk = int(line_id)
    except (TypeError, ValueError):
        pk = 0
    line = (
        WhatIfLine.objects.select_related("person", "unit", "period", "evaluation")
        .filter(pk=pk, run=run)
        .first()
    )
    if line is None:
        raise NotFound("Không tìm thấy dòng xem trước.", "Preview line not found.")
    line.run = run
    return line
