"""Who drafts and who adopts an agency's own framework version.

- the agency's personnel office (and an operator) creates and edits drafts;
- the agency's head or acting head (the competent authority) adopts a draft;
- both, and the agency's leadership and auditors, read the drafts.
A national version is never edited through these pages.
"""

from __future__ import annotations

from typing import Any

from thuocdo.access.agencies import agencies_in
from thuocdo.access.common import denied
from thuocdo.access.scope import scope_for
from thuocdo.core import clock
from thuocdo.core.errors import AccessDenied, NotFound
from thuocdo.core.models import User
from thuocdo.evaluations.services.common import is_authority
from thuocdo.frameworks.models import FrameworkVersion
from thuocdo.org.models import Unit


def may_draft(user: Any, agency: Unit) -> bool:
    return scope_for(user).configures_agency(agency.pk)


def may_adopt(user: Any, agency: Unit) -> bool:
    return isinstance(user, User) and is_authority(user, agency, clock.today())


def drafting_agencies(user: Any) -> list[Unit]:
    """The agencies whose drafts the user opens: personnel office, leadership, auditors."""
    scope = scope_for(user)
    return agencies_in(scope, scope.read_agencies)


def access_framework_draft(user: Any, version_id: Any, action: str = "view") -> FrameworkVersion:
    """An agency's framework version (draft or adopted) for ``action``: ``view`` (its
    office, leadership, auditors), ``change`` (its personnel office), ``adopt`` (its head or
    acting head). National versions are not found here."""
    try:
        pk = int(version_id)
    except (TypeError, ValueError):
        pk = 0
    row = (
        FrameworkVersion.objects.filter(pk=pk, agency__isnull=False)
        .select_related("agency")
        .first()
    )
    if row is None or row.agency is None:
        raise NotFound(
            f"Không tìm thấy bản nháp khung #{version_id}.",
            f"Framework draft #{version_id} was not found.",
        )
    agency = row.agency
    if action == "change":
        if not may_draft(user, agency):
            raise denied("change", "bản nháp khung KPIs", "framework draft")
    elif action == "adopt":
        if not may_adopt(user, agency):
            raise AccessDenied(
                "Chỉ người đứng đầu cơ quan (hoặc cấp trưởng được giao quyền) mới ban hành "
                "khung KPIs.",
                "Only the head (or acting head) of the agency adopts a KPI framework.",
                field="valid_from",
            )
    elif not (scope_for(user).reads_agency(agency.pk) or may_adopt(user, agency)):
        raise denied("view", "bản nháp khung KPIs", "framework draft")
    return row
