"""Criteria sets per job position (issue 14, point 2): kept, checked, and used.

A set is the tuning of a framework version for one job position: agency-wide (the
personnel office) or for one unit (its head). Every save derives the set with the engine
(`derive_criteria_set`), so a weight outside the range the framework allows, an addition
to a group that takes none or a dropped required criterion is refused with the engine's
message next to its field, and nothing is written. Every write records its audit entry
in the same transaction; a stale page (an old ``revision``) is refused.

When a period creates its evaluations, each official's framework is the set of their job
position: their unit's (or the nearest unit above it that tuned one), else the
agency-wide set, else the framework itself (`framework_versions_for`). The derived
document is stored then as a published `FrameworkVersion` (reused by content hash), which
the evaluation keeps: once used it never changes, and a later tuning makes a new one.

Callers have already checked the actor's right (`thuocdo.access.criteria_sets`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from thuocdo.audit.services import record
from thuocdo.core import clock
from thuocdo.core.errors import Conflict, ValidationFailed
from thuocdo.core.models import User
from thuocdo.core.numbers import exact_text
from thuocdo.frameworks.models import CriteriaSet, FrameworkVersion
from thuocdo.frameworks.refusals import DraftRefused, FieldError
from thuocdo.frameworks.selectors import engine_framework
from thuocdo.frameworks.services import framework_mark_used
from thuocdo.org.models import JobPosition, Unit
from thuocdo.scoring import Framework, FrameworkError, Issue, derive_criteria_set
from thuocdo.scoring.criteria_set import slug

__all__ = [
    "SetFrameworks",
    "criteria_set_delete",
    "criteria_set_save",
    "derived_framework",
    "framework_versions_for",
    "set_for",
    "sets_refused",
    "versions_in_use",
]

_S = FrameworkVersion.Status


def _names(base: FrameworkVersion, job: JobPosition, unit: Unit | None) -> dict[str, str]:
    """The derived document's id, job position and titles: unique per set, readable."""
    fw = engine_framework(base)
    suffix = f".{slug(job.code)}" + (
        f".{slug(unit.code or str(unit.pk))}" if unit is not None else ""
    )
    where = f" – {unit.name}" if unit is not None else ""
    where_en = f" – {unit.name_en or unit.name}" if unit is not None else ""
    return {
        "id": f"{fw.id}{suffix}"[:120],
        "job_position": job.name,
        "title_vi": f"{fw.title_vi} – {job.name}{where}",
        "title_en": f"{fw.title_en} – {job.name}{where_en}",
    }


def _field(issue: Issue) -> str:
    """The form field of a derivation issue: ``weights.<key>`` → ``weight_<key>``."""
    path = issue.path
    if path.startswith("weights."):
        return "weight_" + path.split(".", 1)[1]
    if path.startswith("remove"):
        return "removed"
    if path.startswith("add"):
        return "added"
    return ""


def derived_framework(
    base: FrameworkVersion,
    job: JobPosition,
    unit: Unit | None,
    spec: Mapping[str, Any],
    version: str = "",
) -> Framework:
    """The set's framework, derived by the engine; `DraftRefused` names each field at
    fault with the engine's message. Pure of writes."""
    full = {**_names(base, job, unit), "version": version or base.version, **spec}
    try:
        return derive_criteria_set(engine_framework(base), full)
    except FrameworkError as exc:
        raise DraftRefused(
            [FieldError(_field(i), i.message_vi, i.message_en) for i in exc.issues]
        ) from exc


def _clean_spec(
    weights: Mapping[str, Any], removed: Iterable[str], added: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    return {
        "weights": {
            str(k): exact_text(v) if isinstance(v, Decimal | int) else str(v)
            for k, v in weights.items()
            if v is not None
        },
        "remove": sorted({str(k) for k in removed}),
        "add": [dict(a) for a in added],
    }


def _words(row: CriteriaSet | None) -> dict[str, Any]:
    if row is None:
        return {}
    return {
        "base": row.base_id,
        "job_position": row.job_position_id,
        "unit": row.unit_id,
        "weights": row.weights,
        "removed": row.removed,
        "added": row.added,
        "revision": row.revision,
    }


def _check_place(base: FrameworkVersion, job: JobPosition, unit: Unit | None) -> None:
    if base.agency_id is None:
        raise ValidationFailed(
            "Bộ tiêu chí được xây dựng trên khung của cơ quan, không trên khung quốc gia; "
            "hãy tạo bản nháp của cơ quan trước.",
            "A criteria set is built on the agency's own framework, not the national one; "
            "make the agency's draft first.",
            field="base",
        )
    if base.status == _S.RETIRED:
        raise ValidationFailed(
            "Phiên bản khung này đã ngừng áp dụng.",
            "This framework version is retired.",
            field="base",
        )
    if job.agency_id != base.agency_id or not job.is_active:
        raise ValidationFailed(
            f"Vị trí việc làm “{job.name}” không thuộc cơ quan này hoặc đã ngừng sử dụng.",
            f"Job position “{job.name}” is not an active position of this agency.",
            field="job_position",
        )
    if unit is not None and unit.agency_id != base.agency_id:
        raise ValidationFailed(
            f"Đơn vị “{unit.name}” không thuộc cơ quan này.",
            f"Unit “{unit.name}” is not part of this agency.",
            field="unit",
        )


@transaction.atomic
def criteria_set_save(
    *,
    actor: User | None,
    base: FrameworkVersion,
    job_position: JobPosition,
    unit: Unit | None,
    weights: Mapping[str, Any],
    removed: Iterable[str] = (),
    added: Sequence[Mapping[str, Any]] = (),
    expected_revision: int | None = None,
    reason: str = "",
) -> CriteriaSet:
    """Creates or replaces the set of (``base``, ``job_position``, ``unit``). The engine
    derives it first: a refusal changes nothing. ``expected_revision`` is the revision the
    page showed (None for a new set; a set made meanwhile by someone else is stale too)."""
    _check_place(base, job_position, unit)
    spec = _clean_spec(weights, removed, added)
    derived_framework(base, job_position, unit, spec)
    row = (
        CriteriaSet.objects.select_for_update()
        .filter(base=base, job_position=job_position, unit=unit)
        .first()
    )
    current = row.revision if row is not None else None
    if current != expected_revision:
        raise Conflict(
            "Bộ tiêu chí vừa được người khác thay đổi; hãy tải lại trang.",
            "The criteria set was changed by someone else; reload it.",
            field="revision",
        )
    before = _words(row)
    if row is None:
        assert base.agency is not None  # `_check_place` refused national versions
        try:
            with transaction.atomic():
                row = CriteriaSet.objects.create(
                    agency=base.agency,
                    base=base,
                    job_position=job_position,
                    unit=unit,
                    weights=spec["weights"],
                    removed=spec["remove"],
                    added=spec["add"],
                    created_by=actor,
                )
        except IntegrityError as exc:  # made meanwhile by someone else
            raise Conflict(
                "Bộ tiêu chí vừa được người khác tạo; hãy tải lại trang.",
                "The criteria set was just made by someone else; reload it.",
                field="revision",
            ) from exc
        action = "frameworks.criteria_set.create"
    else:
        if (row.weights, row.removed, row.added) == (spec["weights"], spec["remove"], spec["add"]):
            raise ValidationFailed("Không có thay đổi nào.", "Nothing to change.", field="")
        row.weights, row.removed, row.added = spec["weights"], spec["remove"], spec["add"]
        row.revision += 1
        row.save(update_fields=["weights", "removed", "added", "revision", "updated_at"])
        action = "frameworks.criteria_set.edit"
    record(
        actor=actor,
        action=action,
        target=row,
        agency_id=row.agency_id,
        before=before,
        after=_words(row),
        reason=reason,
    )
    return row


@transaction.atomic
def criteria_set_delete(
    *, actor: User | None, criteria_set: CriteriaSet, expected_revision: int, reason: str = ""
) -> None:
    """Drops a set: the position goes back to the agency-wide set or the framework.
    Evaluations already made keep the version they were scored with."""
    row = CriteriaSet.objects.select_for_update().filter(pk=criteria_set.pk).first()
    if row is None or row.revision != expected_revision:
        raise Conflict(
            "Bộ tiêu chí vừa được người khác thay đổi; hãy tải lại trang.",
            "The criteria set was changed by someone else; reload it.",
            field="revision",
        )
    before = _words(row)
    record(
        actor=actor,
        action="frameworks.criteria_set.delete",
        target=row,
        agency_id=row.agency_id,
        before=before,
        after={},
        reason=reason,
    )
    row.delete()


def copy_sets(source: FrameworkVersion, draft: FrameworkVersion, actor: User | None) -> int:
    """A new draft starts with the criteria sets of the version it is made from (the
    caller's transaction and audit entry cover it)."""
    rows = [
        CriteriaSet(
            agency=draft.agency,
            base=draft,
            job_position_id=s.job_position_id,
            unit_id=s.unit_id,
            weights=s.weights,
            removed=s.removed,
            added=s.added,
            created_by=actor,
        )
        for s in CriteriaSet.objects.filter(base=source, agency_id=draft.agency_id)
    ]
    CriteriaSet.objects.bulk_create(rows)
    return len(rows)


def sets_refused(base: FrameworkVersion) -> list[tuple[CriteriaSet, DraftRefused]]:
    """The sets of ``base`` its current document no longer allows (a draft's edit
    narrowed a range, say), each with the engine's refusal: adoption waits for them."""
    out = []
    for row in CriteriaSet.objects.filter(base=base).select_related("job_position", "unit"):
        try:
            derived_framework(base, row.job_position, row.unit, row.spec())
        except DraftRefused as refusal:
            out.append((row, refusal))
    return out


# --- use: an evaluation's framework ----------------------------------------------------------


def _stored(base: FrameworkVersion, row: CriteriaSet, actor: User | None) -> FrameworkVersion:
    """The published version of a set's derived document. Its label is the base's
    version and a short hash of the derived content, so the same tuning always finds the
    same stored version and a changed one makes a new version (the old one stays, used)."""
    job, unit = row.job_position, row.unit
    probe = derived_framework(base, job, unit, row.spec())
    label = f"{base.version[:50]}.{probe.content_hash.removeprefix('sha256:')[:8]}"
    found = FrameworkVersion.objects.filter(
        agency_id=base.agency_id, key=probe.id, version=label
    ).first()
    if found is not None:
        return found
    fw = derived_framework(base, job, unit, row.spec(), version=label)
    try:
        with transaction.atomic():
            version = FrameworkVersion.objects.create(
                agency_id=base.agency_id,
                key=fw.id,
                version=fw.version,
                title=fw.title_vi[:255],
                content_hash=fw.content_hash,
                document=fw.to_data(),
                status=_S.PUBLISHED,
                valid_from=base.valid_from,
                published_at=clock.now(),
                created_by=actor,
            )
    except IntegrityError:  # another period stored the same tuning meanwhile
        return FrameworkVersion.objects.get(agency_id=base.agency_id, key=fw.id, version=label)
    record(
        actor=actor,
        action="frameworks.criteria_set.issue",
        target=version,
        agency_id=base.agency_id,
        after={
            "criteria_set": row.pk,
            "base": base.pk,
            "key": version.key,
            "version": version.version,
            "content_hash": version.content_hash,
        },
    )
    return version


def _chain(path: str) -> list[int | None]:
    """The unit of ``path``, the units above it (nearest first), then None (agency-wide)."""
    ids = [int(x) for x in path.strip("/").split("/") if x]
    return [*reversed(ids), None]


def _choose(
    sets: Mapping[tuple[int | None, int], CriteriaSet], path: str | None, job_id: int | None
) -> CriteriaSet | None:
    if job_id is None or path is None:
        return None
    for place in _chain(path):
        chosen = sets.get((place, job_id))
        if chosen is not None:
            return chosen
    return None


def _sets_of(base: FrameworkVersion) -> dict[tuple[int | None, int], CriteriaSet]:
    return {
        (s.unit_id, s.job_position_id): s
        for s in CriteriaSet.objects.filter(base=base).select_related("job_position", "unit")
    }


def set_for(base: FrameworkVersion, unit: Unit | None, job_id: int | None) -> CriteriaSet | None:
    """The set an official of ``unit`` in position ``job_id`` is scored with (None: the
    framework itself). Reads only."""
    return _choose(_sets_of(base), unit.path if unit is not None else None, job_id)


@transaction.atomic
def framework_versions_for(
    base: FrameworkVersion,
    places: Iterable[tuple[int, int | None]],
    actor: User | None,
) -> dict[tuple[int, int | None], FrameworkVersion]:
    """{(unit id, job position id): the version an official there is scored with}: the
    nearest unit's set of the position, else the agency-wide set, else ``base``. Derived
    versions are stored (or reused) here; the caller marks them used."""
    wanted = set(places)
    sets = _sets_of(base)
    if not sets:
        return dict.fromkeys(wanted, base)
    units = Unit.objects.in_bulk({unit_id for unit_id, _ in wanted})
    out: dict[tuple[int, int | None], FrameworkVersion] = {}
    made: dict[int, FrameworkVersion] = {}
    for unit_id, job_id in wanted:
        unit = units.get(unit_id)
        chosen = _choose(sets, unit.path if unit is not None else None, job_id)
        if chosen is None:
            out[(unit_id, job_id)] = base
            continue
        if chosen.pk not in made:
            made[chosen.pk] = _stored(base, chosen, actor)
        out[(unit_id, job_id)] = made[chosen.pk]
    return out


@transaction.atomic
def versions_in_use(
    base: FrameworkVersion,
    places: Iterable[tuple[int, int | None]],
    actor: User | None,
) -> dict[tuple[int, int | None], FrameworkVersion]:
    """`framework_versions_for`, each version marked used (immutable from now on): what
    creating evaluations calls, in its transaction."""
    found = framework_versions_for(base, places, actor)
    for version in {v.pk: v for v in [base, *found.values()]}.values():
        framework_mark_used(actor=actor, version=version)
    return found


class SetFrameworks:
    """The framework each official is scored with under ``base`` and its criteria sets,
    derived in memory and nothing stored: what a preview of a draft reads. A set the draft
    no longer allows raises `DraftRefused` (adoption would refuse it too)."""

    def __init__(self, base: FrameworkVersion) -> None:
        self.base = base
        self.framework = engine_framework(base)
        self._sets = _sets_of(base) if base.agency_id is not None else {}
        self._made: dict[int, Framework] = {}

    def of(self, unit_path: str | None, job_id: int | None) -> Framework:
        if not self._sets:  # the common case: no set, everyone takes the framework
            return self.framework
        chosen = _choose(self._sets, unit_path, job_id)
        if chosen is None:
            return self.framework
        found = self._made.get(chosen.pk)
        if found is None:
            found = self._made[chosen.pk] = derived_framework(
                self.base, chosen.job_position, chosen.unit, chosen.spec()
            )
        return found
