"""Reads of stored framework versions, and which framework is in force for an agency."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from django.apps import apps
from django.db.models import DateField, DateTimeField, IntegerField, Q, Value

from thuocdo.core import clock
from thuocdo.core.errors import Conflict, NotFound
from thuocdo.frameworks.models import FrameworkVersion
from thuocdo.org.models import Unit
from thuocdo.scoring import Framework, list_presets, load_preset, validate_framework

# The national default: what an agency that has chosen nothing is scored with.
DEFAULT_FRAMEWORK = "decree-335-2025"

_CACHE: dict[str, Framework] = {}
V = TypeVar("V", bound="_Versionish")


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


def frameworks_by_hash(hashes: Iterable[str]) -> dict[str, Framework]:
    """{content hash: engine framework} for these hashes: from the validated ones already in
    memory and the shipped presets first (no query), then one query for the rest. A hash
    found nowhere is left out."""
    wanted = set(hashes)
    out = {h: _CACHE[h] for h in wanted if h in _CACHE}
    rest = wanted - out.keys()
    if rest:
        for name in list_presets():
            fw = load_preset(name)
            if fw.content_hash in rest:
                out[fw.content_hash] = fw
        rest -= out.keys()
    if rest:
        for row in FrameworkVersion.objects.filter(content_hash__in=sorted(rest)):
            out.setdefault(row.content_hash, engine_framework(row))
    return out


def _owner_id(agency: Unit | int | None) -> int | None:
    """The agency that owns frameworks for `agency` (a unit answers for its agency)."""
    if agency is None or isinstance(agency, int):
        return agency
    return agency.agency_id or agency.pk


def _owned(owner: int | None) -> Q:
    """National versions, and the owner's own."""
    national = Q(agency__isnull=True)
    return national if owner is None else national | Q(agency_id=owner)


def _usable(owner: int | None, key: str | None = None) -> list[FrameworkVersion]:
    """Every published or retired version the owner may use (its own and the national
    ones; of one key, or of all), latest first: ONE query, then `_pick` chooses by date."""
    rows = FrameworkVersion.objects.filter(
        status__in=[FrameworkVersion.Status.PUBLISHED, FrameworkVersion.Status.RETIRED],
        valid_from__isnull=False,
    ).filter(_owned(owner))
    if key is not None:
        rows = rows.filter(key=key)
    return list(rows.select_related("agency").order_by("-valid_from", "-published_at", "-pk"))


def _in_force_on(row: _Versionish, on_date: dt.date) -> bool:
    """In force = published with ``valid_from`` on or before the date and not retired
    before it (the retirement's day on the agency's clock)."""
    if row.valid_from is None or row.valid_from > on_date:
        return False
    if row.status == FrameworkVersion.Status.PUBLISHED:
        return True
    return (
        row.status == FrameworkVersion.Status.RETIRED
        and row.retired_at is not None
        and clock.local_date(row.retired_at) > on_date
    )


def _pick(rows: Iterable[V], owner: int | None, key: str, on_date: dt.date) -> V | None:
    """Of `_usable` rows (latest first): the owner's own version of ``key`` in force on
    the day, else the national one."""
    candidates = [row for row in rows if row.key == key and _in_force_on(row, on_date)]
    for each in ([owner] if owner is not None else []) + [None]:
        for row in candidates:
            if row.agency_id == each:
                return row
    return None


def framework_for(
    agency: Unit | None, key: str, on_date: dt.date
) -> tuple[FrameworkVersion, Framework]:
    """The version of framework ``key`` in force for ``agency`` on ``on_date``.

    The agency's own published version wins; otherwise the national one. In force = published
    with ``valid_from`` on or before the date and not retired before it; the latest wins.
    """
    owner = _owner_id(agency)
    row = _pick(_usable(owner, key), owner, key, on_date)
    if row is None:
        raise NotFound(
            f"Không có khung “{key}” được ban hành áp dụng vào ngày {on_date:%d/%m/%Y}.",
            f"No published framework {key} in force on {on_date.isoformat()}.",
            field="key",
        )
    return row, engine_framework(row)


# --- the framework in force for an agency on a day -----------------------------------------


@dataclass(frozen=True)
class InForce:
    """The framework an agency's people are scored with on a day, and why (`source`):
    `period` (the evaluation period covering the day), `latest_period` (the framework the
    agency's latest period used), `agency` (the agency's own published version in force),
    `national` (the stored national default) or `preset` (the shipped default preset,
    when nothing is stored). `version_id` is the stored version, None for the preset."""

    framework: Framework
    version_id: int | None
    source: str

    def title(self, lang: str = "vi") -> str:
        fw = self.framework
        if lang.startswith("vi"):
            return f"{fw.title_vi} (phiên bản {fw.version})"
        return f"{fw.title_en} (version {fw.version})"


class _Versionish(Protocol):
    """What `_pick` reads of a version: a stored row or `_Usable`."""

    @property
    def pk(self) -> Any: ...
    @property
    def key(self) -> str: ...
    @property
    def agency_id(self) -> int | None: ...
    @property
    def status(self) -> str: ...
    @property
    def valid_from(self) -> dt.date | None: ...
    @property
    def retired_at(self) -> dt.datetime | None: ...


@dataclass(frozen=True)
class _Usable:
    """A usable version's facts, without its document (`frameworks_by_hash` gives that)."""

    pk: int
    key: str
    agency_id: int | None
    status: str
    valid_from: dt.date | None
    published_at: dt.datetime | None
    retired_at: dt.datetime | None
    content_hash: str


@dataclass(frozen=True)
class _Period:
    key: str
    start: dt.date
    end: dt.date


def _agency_facts(owner: int | None) -> tuple[list[_Period], list[_Usable]]:
    """The agency's evaluation periods and the versions it may use (its own and the
    national ones, latest first): ONE query, a UNION ALL of both. Periods belong to
    `evaluations`, a layer above this one, which this module reads by the model's label
    but never imports (docs/adr/0007-the-framework-in-force.md)."""
    nothing = {
        "date": Value(None, output_field=DateField()),
        "moment": Value(None, output_field=DateTimeField()),
        "id": Value(None, output_field=IntegerField()),
    }
    versions = (
        FrameworkVersion.objects.filter(
            status__in=[FrameworkVersion.Status.PUBLISHED, FrameworkVersion.Status.RETIRED],
            valid_from__isnull=False,
        )
        .filter(_owned(owner))
        .order_by()  # a part of a UNION takes no ORDER BY (the Meta ordering either)
        .values_list(
            Value("v"), "key", "valid_from", nothing["date"], "pk", "agency_id", "status",
            "published_at", "retired_at", "content_hash",
        )
    )  # fmt: skip
    rows: Any = versions
    if owner is not None:
        periods = (
            apps.get_model("evaluations", "Period")
            ._default_manager.filter(agency_id=owner)
            .order_by()
            .values_list(
                Value("p"), "framework_key", "start", "end", nothing["id"], nothing["id"],
                Value(""), nothing["moment"], nothing["moment"], Value(""),
            )
        )  # fmt: skip
        rows = versions.union(periods, all=True)
    found: list[_Period] = []
    usable: list[_Usable] = []
    for kind, key, first, end, pk, agency_id, status, published, retired, digest in rows:
        if kind == "p":
            found.append(_Period(key, first, end))
        else:
            usable.append(_Usable(pk, key, agency_id, status, first, published, retired, digest))
    usable.sort(
        key=lambda r: (r.valid_from, r.published_at.timestamp() if r.published_at else 0, r.pk),
        reverse=True,
    )
    found.sort(key=lambda p: (p.start, p.end))
    return found, usable


def _engine(row: _Usable) -> Framework:
    found = frameworks_by_hash([row.content_hash]).get(row.content_hash)
    if found is None:  # deleted since it was read: read it again
        return engine_framework(FrameworkVersion.objects.get(pk=row.pk))
    return found


def _resolve(
    owner: int | None, on: dt.date, periods: Sequence[_Period], usable: Sequence[_Usable]
) -> InForce:
    """`framework_in_force` on the facts `_agency_facts` read (no query but for a
    document not yet validated in this process)."""
    if owner is not None:
        covering = [p for p in periods if p.start <= on <= p.end]
        if covering:  # the shortest: a month before its quarter before its year
            period = min(covering, key=lambda p: (p.end, -p.start.toordinal()))
            row = _pick(usable, owner, period.key, period.end) or _pick(
                usable, owner, period.key, on
            )
            if row is not None:
                return InForce(_engine(row), row.pk, "period")
        started = [p for p in periods if p.start <= on]
        latest = (
            max(started, key=lambda p: (p.start, -p.end.toordinal()))
            if started
            else (periods[0] if periods else None)  # none started yet: the first one
        )
        if latest is not None:
            row = _pick(usable, owner, latest.key, on) or _pick(
                usable, owner, latest.key, latest.end
            )
            if row is not None:
                return InForce(_engine(row), row.pk, "latest_period")
        for row in usable:  # latest first
            if row.agency_id == owner and _in_force_on(row, on):
                fw = _engine(row)
                if fw.job_position is None and fw.derived_from is None:  # not a criteria set
                    return InForce(fw, row.pk, "agency")
    national = _pick(usable, None, DEFAULT_FRAMEWORK, on)
    if national is not None:
        return InForce(_engine(national), national.pk, "national")
    return InForce(load_preset(DEFAULT_FRAMEWORK), None, "preset")


class InForceCache:
    """`framework_in_force` kept for one computation (a request, or one pass of a job):
    per agency, its periods and usable versions are read once (one query), then every day
    (callers pass a month's last day) is resolved in memory, however many people and
    months. It does not see changes made after it read an agency: a caller keeping rows
    derived from it fills it after reading whatever marks those rows stale."""

    def __init__(self) -> None:
        self._facts: dict[int | None, tuple[list[_Period], list[_Usable]]] = {}
        self._seen: dict[tuple[int | None, dt.date], InForce] = {}

    def get(self, agency: Unit | int | None, on: dt.date) -> InForce:
        owner = _owner_id(agency)
        found = self._seen.get((owner, on))
        if found is None:
            facts = self._facts.get(owner)
            if facts is None:
                facts = self._facts[owner] = _agency_facts(owner)
            found = self._seen[(owner, on)] = _resolve(owner, on, *facts)
        return found


def framework_in_force(agency: Unit | int | None, on: dt.date) -> InForce:
    """The framework in force for ``agency`` (a unit answers for its agency) on ``on``:

    1. the period covering the day (the shortest: month, then quarter, then year) — its
       ``framework_key``, in the version its evaluations are created with (at its end);
    2. otherwise the key of the agency's latest period (the latest to start on or before
       the day, else its first one), in the version in force on the day;
    3. otherwise the agency's own published version in force on the day (not a job
       position's criteria set), the latest to take effect;
    4. only when the agency has none, the national default (`DEFAULT_FRAMEWORK`): its
       stored version in force, else the shipped preset.

    One query (and one more for a document not yet validated in this process). Callers
    scoring many people or months keep one `InForceCache` for the computation.
    Live points use it (`work.live`, `work.selectors.live_kpi`, the work pages), so they
    are the numbers the agency's evaluations give.
    """
    return InForceCache().get(agency, on)
