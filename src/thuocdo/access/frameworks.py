"""Who reads which stored framework version (issue 14, point 1).

- national versions (no agency) once published or retired: every signed-in user;
- an agency's own published or retired versions: the people of that agency (its
  officials, its leadership, personnel office and auditors) and operators;
- drafts: the owning agency's personnel office and leadership, and operators; national
  drafts: operators and every personnel office (they adapt them into their own).

Unknown ids raise NotFound; versions out of reach raise AccessDenied. Nothing is written.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from thuocdo.access.common import denied
from thuocdo.access.scope import Scope, scope_of
from thuocdo.core.errors import NotFound
from thuocdo.frameworks.models import FrameworkVersion

_ISSUED = (FrameworkVersion.Status.PUBLISHED, FrameworkVersion.Status.RETIRED)


def _readable(scope: Scope) -> Q:
    """The versions a scope reads, as one filter (the list and the detail page agree)."""
    issued = Q(status__in=_ISSUED)
    members = set(scope.read_agencies)
    if scope.agency_id is not None:
        members.add(scope.agency_id)
    query = issued & (Q(agency__isnull=True) | Q(agency_id__in=sorted(members)))
    drafting = scope.personnel_agencies | scope.leadership_agencies
    if drafting:
        query |= Q(status=FrameworkVersion.Status.DRAFT, agency_id__in=sorted(drafting))
    if scope.personnel_agencies:
        query |= Q(status=FrameworkVersion.Status.DRAFT, agency__isnull=True)
    return query


def visible_framework_versions(user: Any) -> QuerySet[FrameworkVersion]:
    """The framework versions a user may read (none for a visitor who has not signed in)."""
    scope = scope_of(user)
    rows = FrameworkVersion.objects.select_related("agency")
    if scope.operator:
        return rows.all()
    if scope.user_id is None:
        return rows.none()
    return rows.filter(_readable(scope))


def access_framework_version(user: Any, version_id: Any) -> FrameworkVersion:
    """One framework version the user may read; NotFound or AccessDenied otherwise."""
    try:
        pk = int(version_id)
    except (TypeError, ValueError):
        pk = 0
    row = FrameworkVersion.objects.select_related("agency").filter(pk=pk).first()
    if row is None:
        raise NotFound(
            f"Không tìm thấy phiên bản khung đánh giá #{version_id}.",
            f"Framework version #{version_id} was not found.",
        )
    if not visible_framework_versions(user).filter(pk=row.pk).exists():
        raise denied("view", "phiên bản khung đánh giá", "framework version")
    return row
