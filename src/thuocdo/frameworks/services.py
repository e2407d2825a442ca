"""Writes to stored framework versions. Each runs in one transaction with its audit entry.

The engine (`thuocdo.scoring`) validates every document; what is stored is its canonical
JSON and content hash, so the stored row reproduces the same `Framework` years later.
Callers have already checked the actor's right; these functions check the data rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction

from thuocdo.audit.services import changed, record, snapshot
from thuocdo.core import clock
from thuocdo.core.errors import Conflict, ValidationFailed
from thuocdo.core.models import User
from thuocdo.frameworks.models import FrameworkVersion
from thuocdo.org.models import Unit
from thuocdo.scoring import Framework, FrameworkError, Issue, preset_data, validate_framework

VERSION_FIELDS = (
    "agency",
    "key",
    "version",
    "title",
    "content_hash",
    "status",
    "valid_from",
    "published_at",
    "retired_at",
    "first_used_at",
)


def issues_message(issues: Iterable[Issue]) -> tuple[str, str]:
    """The engine's issues as one Vietnamese and one English message: path, rule, why."""
    items = list(issues)
    vi = f"Khung tiêu chí không hợp lệ ({len(items)} lỗi):\n" + "\n".join(
        f"- {i.path or '$'} [{i.rule}]: {i.message_vi}" for i in items
    )
    en = f"Invalid framework ({len(items)} issue(s)):\n" + "\n".join(
        f"- {i.path or '$'} [{i.rule}]: {i.message_en}" for i in items
    )
    return vi, en


def validated(document_or_preset_name: Mapping[str, Any] | str) -> Framework:
    """The engine's `Framework`, or ValidationFailed listing every issue it found."""
    try:
        data = (
            preset_data(document_or_preset_name)
            if isinstance(document_or_preset_name, str)
            else document_or_preset_name
        )
        return validate_framework(data)
    except FrameworkError as exc:
        vi, en = issues_message(exc.issues)
        raise ValidationFailed(vi, en, field="document") from exc


def _check_agency(agency: Unit | None) -> None:
    if agency is not None and not agency.is_agency:
        raise ValidationFailed(
            f"“{agency.name}” không phải là cơ quan: khung thuộc về một cơ quan.",
            f"{agency.name} is not an agency: a framework belongs to an agency.",
            field="agency",
        )


def _check_unique(*, agency: Unit | None, fw: Framework, exclude_pk: int | None = None) -> None:
    same = FrameworkVersion.objects.filter(agency=agency, key=fw.id)
    if exclude_pk is not None:
        same = same.exclude(pk=exclude_pk)
    twin = same.filter(content_hash=fw.content_hash).first()
    if twin is not None:
        raise Conflict(
            f"Đã có phiên bản “{twin.version}” của khung “{fw.id}” với cùng nội dung.",
            f"Version {twin.version} of framework {fw.id} has the same content.",
            field="document",
        )
    if same.filter(version=fw.version).exists():
        raise Conflict(
            f"Khung “{fw.id}” đã có phiên bản “{fw.version}”; đặt số phiên bản mới.",
            f"Framework {fw.id} already has version {fw.version}; give a new version.",
            field="version",
        )


def _agency_id(version: FrameworkVersion) -> int | None:
    return version.agency_id


@transaction.atomic
def new_draft_row(*, actor: User | None, agency: Unit | None, fw: Framework) -> FrameworkVersion:
    """The stored draft of a validated framework; the caller checked it is unique and
    records the audit entry that says where it came from."""
    return FrameworkVersion.objects.create(
        agency=agency,
        key=fw.id,
        version=fw.version,
        title=fw.title_vi[:255],
        content_hash=fw.content_hash,
        document=fw.to_data(),
        status=FrameworkVersion.Status.DRAFT,
        created_by=actor,
    )


@transaction.atomic
def framework_import(
    *,
    actor: User | None,
    agency: Unit | None,
    document_or_preset_name: Mapping[str, Any] | str,
    reason: str = "",
) -> FrameworkVersion:
    """Store a validated framework as a draft (a preset name or a whole document).

    ``agency`` None stores a national version (the shipped presets).
    """
    _check_agency(agency)
    fw = validated(document_or_preset_name)
    _check_unique(agency=agency, fw=fw)
    version = new_draft_row(actor=actor, agency=agency, fw=fw)
    record(
        actor=actor,
        action="frameworks.version.import",
        target=version,
        agency_id=_agency_id(version),
        after=snapshot(version, VERSION_FIELDS),
        reason=reason,
    )
    return version


def _locked(version: FrameworkVersion) -> FrameworkVersion:
    return FrameworkVersion.objects.select_for_update().get(pk=version.pk)


@transaction.atomic
def framework_update_draft(
    *,
    actor: User | None,
    version: FrameworkVersion,
    document: Mapping[str, Any],
    reason: str = "",
) -> FrameworkVersion:
    """Replace a draft's document. Refused once published or used: make a new version."""
    row = _locked(version)
    if row.status != FrameworkVersion.Status.DRAFT or row.first_used_at is not None:
        raise Conflict(
            f"Phiên bản “{row.version}” đã ban hành hoặc đã dùng: không sửa được, "
            "hãy tạo phiên bản mới.",
            f"Version {row.version} is published or used: it cannot be edited; "
            "create a new version.",
            field="status",
        )
    fw = validated(document)
    if fw.id != row.key:
        raise ValidationFailed(
            f"Mã khung phải giữ nguyên “{row.key}” (nhận được “{fw.id}”).",
            f"The framework id must stay {row.key} (got {fw.id}).",
            field="document",
        )
    _check_unique(agency=row.agency, fw=fw, exclude_pk=row.pk)
    before = snapshot(row, VERSION_FIELDS)
    row.version = fw.version
    row.title = fw.title_vi[:255]
    row.content_hash = fw.content_hash
    row.document = fw.to_data()
    row.save()
    after = snapshot(row, VERSION_FIELDS)
    record(
        actor=actor,
        action="frameworks.version.update_draft",
        target=row,
        agency_id=_agency_id(row),
        before=changed(after, before),
        after=changed(before, after),
        reason=reason,
    )
    return row


@transaction.atomic
def framework_publish(
    *,
    actor: User | None,
    version: FrameworkVersion,
    valid_from: dt.date | None = None,
    reason: str = "",
) -> FrameworkVersion:
    """Publish a draft: it becomes the version scores use from ``valid_from`` (default today)."""
    row = _locked(version)
    if row.status != FrameworkVersion.Status.DRAFT:
        raise Conflict(
            f"Chỉ ban hành được bản nháp; phiên bản “{row.version}” đang ở trạng thái "
            f"“{row.get_status_display()}”.",
            f"Only a draft can be published; version {row.version} is {row.status}.",
            field="status",
        )
    fw = validated(row.document)
    if fw.content_hash != row.content_hash:
        raise Conflict(
            "Nội dung khung không khớp mã băm đã lưu: dữ liệu đã bị sửa ngoài hệ thống.",
            "The stored document does not match its content hash: it was changed outside "
            "the application.",
            field="content_hash",
        )
    before = snapshot(row, VERSION_FIELDS)
    row.status = FrameworkVersion.Status.PUBLISHED
    row.published_at = clock.now()
    row.valid_from = valid_from or clock.today()
    row.save(update_fields=["status", "published_at", "valid_from", "updated_at"])
    after = snapshot(row, VERSION_FIELDS)
    record(
        actor=actor,
        action="frameworks.version.publish",
        target=row,
        agency_id=_agency_id(row),
        before=changed(after, before),
        after=changed(before, after),
        reason=reason,
    )
    return row


@transaction.atomic
def framework_retire(
    *, actor: User | None, version: FrameworkVersion, reason: str = ""
) -> FrameworkVersion:
    """Stop offering a published version for new periods. Stored scores keep pointing at it."""
    row = _locked(version)
    if row.status != FrameworkVersion.Status.PUBLISHED:
        raise Conflict(
            f"Chỉ ngừng áp dụng được phiên bản đã ban hành (“{row.version}” chưa ban hành "
            "hoặc đã ngừng).",
            f"Only a published version can be retired ({row.version} is {row.status}).",
            field="status",
        )
    before = snapshot(row, VERSION_FIELDS)
    row.status = FrameworkVersion.Status.RETIRED
    row.retired_at = clock.now()
    row.save(update_fields=["status", "retired_at", "updated_at"])
    after = snapshot(row, VERSION_FIELDS)
    record(
        actor=actor,
        action="frameworks.version.retire",
        target=row,
        agency_id=_agency_id(row),
        before=changed(after, before),
        after=changed(before, after),
        reason=reason,
    )
    return row


@transaction.atomic
def framework_mark_used(*, actor: User | None, version: FrameworkVersion) -> FrameworkVersion:
    """Called by whatever records a score: from now on the version is immutable.

    Idempotent: the first use is kept (and audited once).
    """
    row = _locked(version)
    if row.first_used_at is not None:
        return row
    if row.status == FrameworkVersion.Status.DRAFT:
        raise Conflict(
            f"Phiên bản “{row.version}” chưa ban hành: chưa được dùng để chấm điểm.",
            f"Version {row.version} is not published: it cannot be used for scoring.",
            field="status",
        )
    row.first_used_at = clock.now()
    row.save(update_fields=["first_used_at", "updated_at"])
    record(
        actor=actor,
        action="frameworks.version.mark_used",
        target=row,
        agency_id=_agency_id(row),
        after={"first_used_at": snapshot(row, ["first_used_at"])["first_used_at"]},
    )
    return row
