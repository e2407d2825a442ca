"""Reads of stored framework versions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q

from thuocdo.core.errors import Conflict, NotFound
from thuocdo.frameworks.models import FrameworkVersion
from thuocdo.org.models import Unit
from thuocdo.scoring import Framework, validate_framework

_CACHE: dict[str, Framework] = {}


def engine_framework(version: FrameworkVersion) -> Framework:
    """The engine's `Framework` for a stored version, checked against its content hash."""
    fw = _CACHE.get(version.content_hash)
    if fw is None:
        fw = validate_framework(version.document)
        if fw.content_hash != version.content_hash:
            raise Conflict(
                "Nội dung khung không khớp mã băm đã lưu: dữ liệu đã bị sửa ngoài hệ thống.",
                "The stored document does not match its content hash.",
                field="content_hash",
            )
        if len(_CACHE) > 256:
            _CACHE.clear()
        _CACHE[version.content_hash] = fw
    return fw


def framework_for(
    agency: Unit | None, key: str, on_date: dt.date
) -> tuple[FrameworkVersion, Framework]:
    """The version of framework ``key`` in force for ``agency`` on ``on_date``.

    The agency's own published version wins; otherwise the national one. In force = published
    with ``valid_from`` on or before the date and not retired before it; the latest wins.
    """
    in_force = (
        FrameworkVersion.objects.filter(key=key, valid_from__lte=on_date)
        .filter(
            Q(status=FrameworkVersion.Status.PUBLISHED)
            | Q(status=FrameworkVersion.Status.RETIRED, retired_at__date__gt=on_date)
        )
        .select_related("agency")
        .order_by("-valid_from", "-published_at")
    )
    owners: list[Any] = [agency.agency_id or agency.pk] if agency is not None else []
    owners.append(None)
    for owner in owners:
        rows = (
            in_force.filter(agency__isnull=True)
            if owner is None
            else in_force.filter(agency_id=owner)
        )
        row = rows.first()
        if row is not None:
            return row, engine_framework(row)
    raise NotFound(
        f"Không có khung “{key}” được ban hành áp dụng vào ngày {on_date:%d/%m/%Y}.",
        f"No published framework {key} in force on {on_date.isoformat()}.",
        field="key",
    )
