"""Preview of a draft framework (what-if, issue 14): the agency's last N decided periods
scored again with the draft, side by side with what was decided. Nothing is written to
the evaluations, their quota groups or their audit trail: the run keeps its own rows
(`WhatIfRun`, `WhatIfLine`) and one audit entry (`evaluations.whatif.run`).

Set-based, as the close (docs/evaluations.md, "The close"): per period one query for the
decided evaluations (small columns), one for the units' decided ratings, two for the quota
groups and their members; per chunk of 2,000 evaluations one query for their decided
results, which keep the inputs they were scored from (task facts at decision, the
reviewer's general-criteria scores, a leader's d/đ/e record, overrides, the unit's
rating). Scored with the engine's fast path (`compute.score_inputs`): officials first,
then leaders from the deepest unit up, deputies before heads, since a leader's d reads the
draft points of the officials in their charge. The draft's quota rule is then resolved in
each of the period's stored quota groups, with the same members.

Where the draft's structure differs, stored scores are mapped by criterion key; the rules
(a criterion new in the draft has no score: the person is *not comparable*, named with the
criterion; a changed scale keeps the share given) are in docs/whatif.md.
"""

from __future__ import annotations

import gc
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q

from thuocdo.audit.services import record
from thuocdo.core import clock
from thuocdo.core.bulk import build, insert_objects
from thuocdo.core.errors import ThuocDoError, ValidationFailed
from thuocdo.core.models import User
from thuocdo.core.numbers import vn_text
from thuocdo.evaluations.close import CHUNK, LEADING
from thuocdo.evaluations.compute import (
    ROLE_RANK,
    EvaluationInputs,
    explained,
    general_nodes,
    input_failed,
    inputs_from_data,
    score_inputs,
)
from thuocdo.evaluations.models import (
    Evaluation,
    Period,
    QuotaGroup,
    UnitEvaluation,
    WhatIfLine,
    WhatIfRun,
)
from thuocdo.frameworks import criteria_sets
from thuocdo.frameworks.models import FrameworkVersion
from thuocdo.frameworks.selectors import engine_framework
from thuocdo.jobs.models import Job
from thuocdo.jobs.progress import Progress as JobProgress
from thuocdo.jobs.registry import Outcome, job_kind
from thuocdo.jobs.services import job_start
from thuocdo.org.models import Unit
from thuocdo.scoring import (
    RATINGS,
    Framework,
    InputError,
    KindFacts,
    LeaderFacts,
    ManualScore,
    PersonInputs,
    PersonResult,
    QuotaMember,
    apply_head_rule,
    resolve_quota,
    score_person,
)
from thuocdo.scoring.model import RATING_LABELS

KIND = "evaluations.whatif"
MAX_PERIODS = 24
E = Evaluation.State
Progress = Callable[[int, int], None]
Words = tuple[str, str]


# --- which periods ---------------------------------------------------------------------------


def decided_periods(agency: Unit, count: int) -> list[Period]:
    """The agency's last `count` decided months or quarters (published, locked, or with
    decided evaluations), oldest first. Years are left out: a year is the mean of its
    months, not a framework's score of its own."""
    decided = Evaluation.objects.filter(period=OuterRef("pk"), state=E.DECIDED)
    latest = (
        Period.objects.filter(agency=agency, kind__in=[Period.Kind.MONTH, Period.Kind.QUARTER])
        .filter(Q(state__in=[Period.State.PUBLISHED, Period.State.LOCKED]) | Exists(decided))
        .order_by("-end", "-pk")[:count]
    )
    return sorted(latest, key=lambda p: (p.end, p.pk))


def draft_choices(agency: Unit) -> list[FrameworkVersion]:
    """The drafts the agency may preview: its own framework versions still in draft."""
    return list(
        FrameworkVersion.objects.filter(
            agency=agency, status=FrameworkVersion.Status.DRAFT
        ).order_by("-created_at", "-pk")
    )


# --- reading the kept inputs, fast ---------------------------------------------------------


class Exact:
    """Text → exact number, remembered: a run parses the same few hundred strings
    ("5/2", "10", "23/2") hundreds of thousands of times, and `Fraction(str)` costs ~10 µs."""

    def __init__(self, limit: int = 200_000) -> None:
        self._seen: dict[str, Fraction] = {}
        self._limit = limit

    def __call__(self, text: Any) -> Fraction:
        key = str(text)
        found = self._seen.get(key)
        if found is None:
            found = Fraction(key)
            if len(self._seen) >= self._limit:
                self._seen.clear()
            self._seen[key] = found
        return found


def kept_inputs(data: Mapping[str, Any], exact: Exact) -> EvaluationInputs | None:
    """`compute.inputs_from_data` with remembered numbers (the same inputs, exactly; the
    leader's record is rebuilt by `compute.inputs_from_data` when the draft reads it)."""
    if "manual" not in data or "task_facts" not in data:
        return None
    record = dict(data.get("leader") or {})
    facts = {
        kind: KindFacts(
            exact(v["w"]),
            exact(v["done"]),
            exact(v["done_q"]),
            exact(v["done_t"]),
            exact(v["extra_done"]),
            int(v["count"]),
        )
        for kind, v in (data.get("task_facts") or {}).items()
    }
    manual = {
        key: ManualScore(
            value=exact(item["value"]),
            self_score=exact(item["self"]) if item.get("self") is not None else None,
            reason=item.get("reason", ""),
        )
        for key, item in (data.get("manual") or {}).items()
    }
    return EvaluationInputs(
        role=str(data.get("role") or "staff"),
        facts=facts,
        manual=manual,
        leader=_LEADER if record else None,
        leader_record=record,
        overrides=list(data.get("overrides") or []),
        unit_rating=data.get("unit_rating"),
    )


# stands for "a leader's facts were kept" until the draft's are rebuilt from the record
_LEADER = LeaderFacts(d=None, dd=None, e=None)


# --- mapping the stored inputs onto the draft ------------------------------------------------


@dataclass
class Mapped:
    """The stored inputs made the draft's, or why they cannot be (`problem`)."""

    inputs: EvaluationInputs | None
    notes: list[dict[str, str]] = field(default_factory=list)
    problem: Words | None = None
    missing: list[str] = field(default_factory=list)  # keys of criteria with no stored score


class Mapper:
    """The mapping rules of one (stored framework, draft) pair, worked out once."""

    def __init__(self, stored: Framework, draft: Framework) -> None:
        self.stored, self.draft = stored, draft
        self._nodes: dict[str, list[Any]] = {}
        self.scales: dict[str, tuple[Fraction, Fraction]] = {}  # key: (stored max, draft max)
        stored_scales = {
            n.key: n.scale.max
            for n in stored.individual.root.walk()
            if n.type == "manual" and n.scale is not None
        }
        for node in draft.individual.root.walk():
            if node.type == "manual" and node.scale is not None:
                before = stored_scales.get(node.key)
                if before is not None and before != node.scale.max:
                    self.scales[node.key] = (before, node.scale.max)

    def nodes(self, role: str) -> list[Any]:
        found = self._nodes.get(role)
        if found is None:
            found = self._nodes[role] = general_nodes(self.draft, role)
        return found

    def map(
        self,
        inputs: EvaluationInputs,
        *,
        unit_rating: str | None,
        leader_record: Mapping[str, Any] | None,
    ) -> Mapped:
        role = inputs.role
        manual: dict[str, ManualScore] = {}
        notes: list[dict[str, str]] = []
        missing: list[Any] = []
        for node in self.nodes(role):
            score = inputs.manual.get(node.key)
            if score is None:
                missing.append(node)
                continue
            if node.key in self.scales:
                before, after = self.scales[node.key]
                value = score.value * after / before
                own = score.self_score * after / before if score.self_score is not None else None
                step = node.scale.step
                if (value / step).denominator != 1 or (
                    own is not None and (own / step).denominator != 1
                ):
                    return Mapped(
                        None,
                        problem=(
                            f"Điểm tiêu chí “{node.label_vi}” ({_n(score.value)}/{_n(before)}) "
                            f"đổi sang thang 0–{_n(after)} của dự thảo thành {_n(value)}, "
                            f"không đúng bước {_n(step)}.",
                            f"The score of “{node.label_en}” ({_f(score.value)}/{_f(before)}) "
                            f"on the draft's 0–{_f(after)} scale is {_f(value)}, off its "
                            f"{_f(step)} step.",
                        ),
                    )
                notes.append(
                    {
                        "code": "rescaled",
                        "key": node.key,
                        "from": f"{_f(score.value)}/{_f(before)}",
                        "to": f"{_f(value)}/{_f(after)}",
                    }
                )
                score = ManualScore(value=value, self_score=own, reason=score.reason)
            manual[node.key] = score
        if missing:
            return Mapped(
                None,
                problem=(
                    "Dự thảo có tiêu chí chưa có điểm đã chấm: "
                    + ", ".join(f"“{n.label_vi}”" for n in missing)
                    + ".",
                    "The draft has criteria with no score given: "
                    + ", ".join(f"“{n.label_en}”" for n in missing)
                    + ".",
                ),
                missing=[n.key for n in missing],
            )
        for key in sorted(set(inputs.manual) - set(manual)):
            notes.append({"code": "dropped", "key": key})
        leader = None
        record: dict[str, Any] = {}
        if role in self.draft.settings.leader_roles:
            if inputs.leader is None or not leader_record:
                return Mapped(
                    None,
                    problem=(
                        "Dự thảo chấm vai trò này như lãnh đạo (d, đ, e) nhưng khi quyết định "
                        "không có số liệu lãnh đạo.",
                        "The draft scores this role as a leader (d, đ, e) but no leader "
                        "figures were kept at decision.",
                    ),
                )
            record = dict(leader_record)
            rebuilt = inputs_from_data({"manual": {}, "task_facts": {}, "leader": record})
            leader = rebuilt.leader if rebuilt is not None else None
        return Mapped(
            EvaluationInputs(
                role=role,
                facts=inputs.facts,
                manual=manual,
                leader=leader,
                leader_record=record,
                overrides=inputs.overrides,
                unit_rating=unit_rating,
            ),
            notes,
        )


def _f(value: Fraction | Decimal | int) -> str:
    """A number the plain way, trailing zeros dropped: 95, 93.33, 2.5 (cheap: a run
    writes one per changed line)."""
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(value.numerator)
        value = Decimal(value.numerator) / Decimal(value.denominator)
        value = value.quantize(Decimal("0.01"))
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _n(value: Fraction | Decimal | int) -> str:
    """The same with the Vietnamese decimal comma: 93,33."""
    return _f(value).replace(".", ",")


def scored(fw: Framework, person_id: int, inputs: EvaluationInputs) -> PersonResult:
    """`compute.score_inputs`' result without the JSON it builds to keep (a preview keeps
    none; that JSON is a tenth of a run): the same engine call, the same overrides and
    head rule. tests/evaluations/test_whatif.py holds the two together on every line."""
    try:
        result = score_person(
            fw,
            PersonInputs(
                person_id=str(person_id),
                role=inputs.role,
                tasks=inputs.facts,
                manual=inputs.manual,
                leader=inputs.leader,
                flags=frozenset(o["value"] for o in inputs.overrides if o["kind"] == "flag"),
                discipline=tuple(o["value"] for o in inputs.overrides if o["kind"] == "discipline"),
            ),
            explain=False,
        )
    except InputError as error:
        raise input_failed(error.issues) from error
    if inputs.unit_rating and inputs.role in fw.rating.head_roles:
        result = apply_head_rule(fw, result, inputs.unit_rating)
    return result


# --- one period --------------------------------------------------------------------------------


@dataclass
class Line:
    """One decided evaluation, current and draft."""

    pk: int
    person_id: int
    person_name: str
    unit_id: int
    role: str
    framework_id: int
    current_points: Decimal | None
    current_rating: str
    current_by_points: str = ""
    current_demoted: bool = False
    current_changes: list[dict[str, Any]] = field(default_factory=list)
    draft_points: Decimal | None = None
    draft_by_points: str = ""
    draft_scored: str = ""  # the draft's rating before any quota (a leader's d reads it)
    draft_rating: str = ""
    draft_changes: list[dict[str, Any]] = field(default_factory=list)
    draft_demoted: bool = False
    draft_tie: bool = False
    quota_words: Words | None = None
    problem: Words | None = None
    missing: list[str] = field(default_factory=list)
    notes: list[dict[str, str]] = field(default_factory=list)
    leader_record: dict[str, Any] | None = None
    unit_rating: str | None = None
    reasons: list[dict[str, str]] = field(default_factory=list)
    job_position_id: int | None = None

    @property
    def comparable(self) -> bool:
        return self.problem is None


def restaffed(record: Mapping[str, Any], lines: Mapping[int, Line]) -> dict[str, Any]:
    """A leader's record with d's officials at their draft points (and whether the draft
    rates them not completed, before a quota, as the decision reads it); an official not
    comparable under the draft keeps the points decided."""
    d = dict(record.get("d") or {})
    staff = []
    for item in d.get("staff") or []:
        line = lines.get(int(item.get("evaluation") or 0))
        if line is not None and line.comparable and line.draft_points is not None:
            item = {
                **item,
                "points": str(line.draft_points),
                "not_completed": line.draft_scored == "not_completed",
            }
        staff.append(item)
    return {**record, "d": {**d, "staff": staff}}


def _order(lines: Iterable[Line], depth: Mapping[int, int]) -> list[Line]:
    staff = [line for line in lines if line.role not in LEADING]
    leaders = sorted(
        (line for line in lines if line.role in LEADING),
        key=lambda r: (-depth.get(r.unit_id, 0), ROLE_RANK.get(r.role, 0), r.pk),
    )
    return staff + leaders


def _lines(period: Period) -> list[Line]:
    return [
        Line(*values[:-1], job_position_id=values[-1])
        for values in Evaluation.objects.filter(period=period, state=E.DECIDED)
        .order_by("pk")
        .values_list(
            "pk",
            "person_id",
            "person__full_name",
            "unit_id",
            "role",
            "framework_id",
            "points",
            "rating",
            "job_position_id",
        )
        .iterator(chunk_size=CHUNK)
    ]


# keys of a kept result a preview does not read (the breakdown of results kept before
# ADR 6 among them)
UNREAD = (
    "breakdown",
    "exact",
    "framework",
    "person_id",
    "points",
    "rating",
    "rating_label_vi",
    "reason_en",
    "reason_vi",
    "tasks",
)


def kept_results(ids: Sequence[int]) -> dict[int, Any]:
    """{evaluation: its decided result} in one query: read as text and decoded here (the
    ORM's per-value conversion costs as much again as the read, on 120,000 rows)."""
    table = connection.ops.quote_name(Evaluation._meta.db_table)
    out: dict[int, Any] = {}
    if not ids:
        return out
    column = "result"
    if connection.vendor == "postgresql":  # what a preview never reads stays in the database
        column = f"result - ARRAY[{', '.join(['%s'] * len(UNREAD))}]::text[]"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, {column} FROM {table} WHERE id IN ({', '.join(['%s'] * len(ids))})",
            [*(UNREAD if connection.vendor == "postgresql" else ()), *ids],
        )
        for pk, value in cursor.fetchall():
            out[pk] = json.loads(value) if isinstance(value, str | bytes) else value
    return out


class Previewer:
    """Runs one draft over periods; keeps what stays the same for the whole run."""

    def __init__(
        self, draft: Framework, agency: Unit, sets: criteria_sets.SetFrameworks | None = None
    ) -> None:
        self.draft = draft
        self.sets = sets
        self.units = {
            pk: (path, depth, name)
            for pk, path, depth, name in Unit.objects.filter(
                path__startswith=agency.path
            ).values_list("pk", "path", "depth", "name")
        }
        self.depth = {pk: unit[1] for pk, unit in self.units.items()}
        self._mappers: dict[tuple[int, str], Mapper] = {}
        self.exact = Exact()
        self.groups: list[dict[str, Any]] = []  # the last period's quota groups that move

    def draft_for(self, line: Line) -> Framework:
        """The draft, or the draft's criteria set of the line's position and unit."""
        if self.sets is None:
            return self.draft
        unit = self.units.get(line.unit_id)
        return self.sets.of(unit[0] if unit else None, line.job_position_id)

    def mapper(self, framework_id: int, draft: Framework) -> Mapper:
        key = (framework_id, draft.content_hash)
        found = self._mappers.get(key)
        if found is None:
            version = FrameworkVersion.objects.get(pk=framework_id)
            found = self._mappers[key] = Mapper(engine_framework(version), draft)
        return found

    # -- scoring ---------------------------------------------------------------------------

    def period(self, period: Period, progress: Callable[[int], None]) -> list[Line]:
        lines = _lines(period)
        unit_ratings = dict(
            UnitEvaluation.objects.filter(
                period=period, state=UnitEvaluation.State.DECIDED
            ).values_list("unit_id", "rating")
        )
        by_pk = {line.pk: line for line in lines}
        ordered = _order(lines, self.depth)
        for start in range(0, len(ordered), CHUNK):
            chunk = ordered[start : start + CHUNK]
            results = kept_results([line.pk for line in chunk])
            for line in chunk:
                self.score(line, results.get(line.pk), unit_ratings.get(line.unit_id), by_pk)
            progress(len(chunk))
        self.quota(period, by_pk)
        for line in lines:
            line.reasons = reasons(line, self.draft_for(line))
        return lines

    def score(
        self,
        line: Line,
        data: Mapping[str, Any] | None,
        unit_rating: str | None,
        by_pk: Mapping[int, Line],
    ) -> None:
        data = data or {}
        line.current_by_points = str(data.get("rating_by_points") or "")
        line.current_changes = list(data.get("rating_changes") or [])
        line.current_demoted = any(
            str(c.get("rule", "")).startswith("quota:") for c in line.current_changes
        )
        inputs = kept_inputs(data, self.exact) if data else None
        if inputs is None:
            line.problem = (
                "Kết quả đã quyết định không lưu số liệu đầu vào (quyết định trước khi hệ "
                "thống lưu chúng).",
                "The decided result keeps no inputs (decided before they were kept).",
            )
            return
        draft = self.draft_for(line)
        mapper = self.mapper(line.framework_id, draft)
        record = inputs.leader_record if inputs.leader is not None else None
        if record and inputs.role in draft.settings.leader_roles:
            record = restaffed(record, by_pk)
            line.leader_record = record
        if inputs.role in draft.rating.head_roles:
            line.unit_rating = unit_rating
        mapped = mapper.map(inputs, unit_rating=unit_rating, leader_record=record)
        line.notes = mapped.notes
        if mapped.inputs is None:
            line.problem, line.missing = mapped.problem, mapped.missing
            return
        try:
            result = scored(draft, line.person_id, mapped.inputs)
        except ThuocDoError as error:
            line.problem = (error.message_vi, error.message_en)
            return
        if result.status != "scored" or result.rating is None:
            if data.get("status") != "scored":
                return  # not scored at decision nor by the draft: nothing to compare
            line.problem = (
                "Dự thảo không chấm điểm phiếu này: " + result.reason_vi,
                "The draft does not score this evaluation: " + result.reason_en,
            )
            return
        line.draft_points = result.points
        line.draft_by_points = result.rating_by_points or ""
        line.draft_scored = line.draft_rating = result.rating
        line.draft_changes = [c.as_dict() for c in result.changes]

    # -- the draft's quota, in the period's stored groups -------------------------------------

    def quota(self, period: Period, by_pk: Mapping[int, Line]) -> None:
        groups = list(
            QuotaGroup.objects.filter(period=period)
            .order_by("code")
            .values_list("pk", "code", "name", "exception_ratio", "decision")
        )
        members: dict[int, list[int]] = defaultdict(list)
        through = QuotaGroup.members.through
        for group_id, ev_id in (
            through.objects.filter(quotagroup_id__in=[g[0] for g in groups])
            .order_by("quotagroup_id", "evaluation_id")
            .values_list("quotagroup_id", "evaluation_id")
        ):
            members[group_id].append(ev_id)
        rule = self.draft.quota
        self.groups = []
        for pk, code, name, exception, decision in groups:
            lines = [by_pk[e] for e in members[pk] if e in by_pk]
            scored = [
                line
                for line in lines
                if line.comparable and line.draft_points is not None and line.draft_rating
            ]
            ratio = None
            clamped = False
            if exception is not None:
                ratio = Fraction(exception)
                kept = min(max(ratio, rule.ratio), rule.max_exception_ratio)
                clamped, ratio = kept != ratio, kept
            quota = resolve_quota(
                self.draft,
                [
                    QuotaMember(str(line.pk), line.draft_points, line.draft_rating)
                    for line in scored
                    if line.draft_points is not None
                ],
                group=code,
                exception_ratio=ratio,
            )
            demoted = 0
            for d in quota.demotions:
                line = by_pk[int(d.person_id)]
                line.draft_rating, line.draft_demoted = d.to_rating, True
                line.quota_words = (
                    f"Nhóm “{name}”: {vn_text(d.reason_vi)}",
                    f"Group “{name}”: {d.reason_en}",
                )
                demoted += 1
            chosen = {int(pk) for pk in (decision or {}).get("chosen_demotions") or []}
            ties = 0
            for tie in quota.ties:
                picked = [c for c in tie.candidates if int(c) in chosen][: tie.choose]
                for candidate in tie.candidates:
                    line = by_pk[int(candidate)]
                    if candidate in picked and len(picked) == tie.choose:
                        line.draft_rating, line.draft_demoted = rule.demote_to, True
                        line.quota_words = (
                            f"Nhóm “{name}”: {tie.choose} trong {len(tie.candidates)} người bằng "
                            f"{_n(tie.points)} điểm ở ngưỡng tỷ lệ phải hạ; hạ người cấp có "
                            "thẩm quyền đã chọn khi quyết định.",
                            f"Group “{name}”: {tie.choose} of {len(tie.candidates)} tied at "
                            f"{_f(tie.points)} points at the quota line must be demoted; the "
                            "one(s) the authority chose at decision are.",
                        )
                        demoted += 1
                    elif len(picked) < tie.choose:
                        line.draft_tie = True
                        ties += 1
                        line.quota_words = (
                            f"Nhóm “{name}”: {len(tie.candidates)} người bằng {_n(tie.points)} "
                            f"điểm ở ngưỡng tỷ lệ của dự thảo; cấp có thẩm quyền sẽ phải chọn "
                            f"{tie.choose} người để hạ.",
                            f"Group “{name}”: {len(tie.candidates)} tied at {_f(tie.points)} "
                            f"points at the draft's quota line; the authority would choose "
                            f"{tie.choose} to demote.",
                        )
            current = sum(1 for line in lines if line.current_demoted)
            if demoted or current or ties or clamped:
                self.groups.append(
                    {
                        "code": code,
                        "name": name,
                        "members": len(lines),
                        "current": current,
                        "draft": demoted,
                        "ties": ties,
                        "clamped": clamped,
                    }
                )


# --- why a line changes ------------------------------------------------------------------------


def _label(rating: str, english: bool = False) -> str:
    return RATING_LABELS[rating][1 if english else 0] if rating in RATING_LABELS else "—"


def band_words(fw: Framework, rating: str) -> Words:
    """“from 90 points” / “from 70 to under 90 points” for a rating's band in `fw`."""
    bands = list(fw.rating.bands)
    for i, band in enumerate(bands):
        if band.rating == rating:
            upper = bands[i - 1].min if i > 0 else None
            if upper is None:
                return f"từ {_n(band.min)} điểm", f"from {_f(band.min)} points"
            return (
                f"từ {_n(band.min)} đến dưới {_n(upper)} điểm",
                f"from {_f(band.min)} to under {_f(upper)} points",
            )
    return "", ""


def reasons(line: Line, draft: Framework) -> list[dict[str, str]]:
    """Why the draft's line differs from the decided one, rule by rule, in both languages."""
    if line.problem is not None:
        return [{"code": "not_comparable", "vi": line.problem[0], "en": line.problem[1]}]
    out: list[dict[str, str]] = []
    if line.current_points != line.draft_points:
        out.append(
            {
                "code": "points",
                "vi": f"Điểm: {_n(line.current_points or 0)} → {_n(line.draft_points or 0)}.",
                "en": f"Points: {_f(line.current_points or 0)} → {_f(line.draft_points or 0)}.",
            }
        )
    if line.current_by_points and line.current_by_points != line.draft_by_points:
        vi, en = band_words(draft, line.draft_by_points)
        out.append(
            {
                "code": "band",
                "vi": f"Ngưỡng xếp loại của dự thảo: {_n(line.draft_points or 0)} điểm là "
                f"“{_label(line.draft_by_points)}” ({vi}); đã quyết định theo điểm: "
                f"“{_label(line.current_by_points)}”.",
                "en": f"The draft's bands: {_f(line.draft_points or 0)} points is "
                f"“{_label(line.draft_by_points, True)}” ({en}); decided by points: "
                f"“{_label(line.current_by_points, True)}”.",
            }
        )
    before = {c.get("rule") for c in line.current_changes if not _is_quota(c)}
    after = {c.get("rule") for c in line.draft_changes}
    for change in line.draft_changes:
        if change.get("rule") not in before:
            out.append(
                {
                    "code": "rule",
                    "vi": f"Dự thảo: {vn_text(str(change.get('reason_vi', '')))}",
                    "en": f"Draft: {change.get('reason_en', '')}",
                }
            )
    for change in line.current_changes:
        if not _is_quota(change) and change.get("rule") not in after:
            out.append(
                {
                    "code": "rule",
                    "vi": "Không còn áp dụng trong dự thảo: "
                    + vn_text(str(change.get("reason_vi", ""))),
                    "en": f"No longer applies in the draft: {change.get('reason_en', '')}",
                }
            )
    if line.quota_words is not None and (
        line.draft_tie or (line.draft_demoted and not line.current_demoted)
    ):
        code = "quota_tie" if line.draft_tie else "quota"
        out.append({"code": code, "vi": line.quota_words[0], "en": line.quota_words[1]})
    elif line.current_demoted and not line.draft_demoted:
        out.append(
            {
                "code": "quota",
                "vi": "Đã bị hạ do tỷ lệ khi quyết định; theo dự thảo không phải hạ.",
                "en": "Demoted by the quota at decision; the draft would not demote.",
            }
        )
    return out


def _is_quota(change: Mapping[str, Any]) -> bool:
    return str(change.get("rule", "")).startswith("quota:")


def direction(line: Line) -> str:
    if not line.comparable:
        return WhatIfLine.Direction.NOT_COMPARABLE
    if not line.draft_rating or not line.current_rating:
        # unscored both ways (nothing assigned), or scored only now: no rating moves
        return WhatIfLine.Direction.SAME
    if line.current_rating == line.draft_rating:
        return WhatIfLine.Direction.SAME
    better = RATINGS.index(line.draft_rating) < RATINGS.index(line.current_rating)
    return WhatIfLine.Direction.UP if better else WhatIfLine.Direction.DOWN


# --- summary -----------------------------------------------------------------------------------


def summarise(
    period: Period, lines: Sequence[Line], groups: list[dict[str, Any]], units: Mapping[int, Any]
) -> dict[str, Any]:
    """What the result page shows of one period: distributions, moves, quota effects."""
    per_unit: dict[int, dict[str, Any]] = {}
    moves: Counter[str] = Counter()
    missing: Counter[str] = Counter()
    problems: Counter[tuple[str, str]] = Counter()
    named: list[str] = []
    for line in lines:
        way = direction(line)
        moves[way] += 1
        unit = per_unit.setdefault(
            line.unit_id,
            {"current": Counter(), "draft": Counter(), "up": 0, "down": 0, "none": 0},
        )
        unit["current"][line.current_rating or "none"] += 1
        if way == WhatIfLine.Direction.NOT_COMPARABLE:
            unit["none"] += 1
            assert line.problem is not None
            problems[line.problem] += 1
            missing.update(line.missing)
            if len(named) < 20:
                named.append(line.person_name)
        else:
            unit["draft"][line.draft_rating or "none"] += 1
        if way in ("up", "down"):
            unit[way] += 1
    current = Counter(line.current_rating or "none" for line in lines)
    draft = Counter(line.draft_rating or "none" for line in lines if line.comparable)
    return {
        "period": period.pk,
        "name_vi": period.name("vi"),
        "name_en": period.name("en"),
        "people": len(lines),
        "current": dict(current),
        "draft": dict(draft),
        "up": moves["up"],
        "down": moves["down"],
        "same": moves["same"],
        "not_comparable": moves["none"],
        "points_changed": sum(
            1 for line in lines if line.comparable and line.draft_points != line.current_points
        ),
        "quota": {
            "current": sum(1 for line in lines if line.current_demoted),
            "draft": sum(1 for line in lines if line.draft_demoted),
            "ties": sum(1 for line in lines if line.draft_tie),
            "groups": groups,
        },
        "problems": [
            {"vi": vi, "en": en, "count": count} for (vi, en), count in problems.most_common(10)
        ],
        "missing_criteria": dict(missing),
        "not_comparable_people": named,
        "units": [
            {
                "unit": pk,
                "name": units[pk][2] if pk in units else str(pk),
                "current": dict(data["current"]),
                "draft": dict(data["draft"]),
                "up": data["up"],
                "down": data["down"],
                "none": data["none"],
            }
            for pk, data in sorted(per_unit.items(), key=lambda kv: units.get(kv[0], ("",))[0])
        ],
    }


# --- a run -------------------------------------------------------------------------------------


def preview(
    *,
    draft: Framework,
    agency: Unit,
    periods: Sequence[Period],
    progress: Progress | None = None,
    sets: criteria_sets.SetFrameworks | None = None,
) -> Iterable[tuple[Period, list[Line], dict[str, Any]]]:
    """Each period's lines and summary under the draft (and, given ``sets``, each
    official under the draft's criteria set of their position), one period at a time (a
    generator: the caller writes a period's lines and lets them go). Reads only."""
    total = Evaluation.objects.filter(period__in=periods, state=E.DECIDED).count()
    done = 0
    runner = Previewer(draft, agency, sets)

    def step(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, total)

    for period in periods:
        lines = runner.period(period, step)
        yield period, lines, summarise(period, lines, runner.groups, runner.units)


def _line_row(run: WhatIfRun, period: Period, line: Line) -> WhatIfLine:
    detail: dict[str, Any] = {}
    if line.draft_by_points:
        detail["by_points"] = line.draft_by_points
    if line.draft_changes:
        detail["changes"] = line.draft_changes
    if line.notes:
        detail["notes"] = line.notes
    if line.leader_record:
        detail["leader"] = line.leader_record
    if line.unit_rating:
        detail["unit_rating"] = line.unit_rating
    if line.quota_words is not None:
        detail["quota"] = {"vi": line.quota_words[0], "en": line.quota_words[1]}
    way = direction(line)
    return build(
        WhatIfLine,
        run_id=run.pk,
        period_id=period.pk,
        evaluation_id=line.pk,
        person_id=line.person_id,
        unit_id=line.unit_id,
        role=line.role,
        current_points=line.current_points,
        current_rating=line.current_rating,
        current_demoted=line.current_demoted,
        draft_points=line.draft_points if line.comparable else None,
        draft_rating=line.draft_rating if line.comparable else "",
        draft_demoted=line.draft_demoted,
        draft_tie=line.draft_tie,
        direction=way,
        changed=way in (WhatIfLine.Direction.UP, WhatIfLine.Direction.DOWN),
        reasons=line.reasons,
        detail=detail,
    )


def whatif_compute(*, run: WhatIfRun, progress: Progress | None = None) -> WhatIfRun:
    """Fills a run: its lines written in bulk a period at a time, its summary. Writes
    nothing else (no evaluation, no quota group, no audit entry)."""
    sets = criteria_sets.SetFrameworks(run.framework)
    draft = sets.framework
    periods = list(Period.objects.filter(pk__in=run.periods).order_by("end", "pk"))
    WhatIfLine.objects.filter(run=run).delete()  # a retried job starts again
    summary: dict[str, Any] = {"periods": []}
    # The cyclic collector would walk every live object again and again while a period's
    # lines are built (a third of the time at 10,000 people); nothing here makes cycles
    # that outlive a period, and the collector runs once at the end.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for period, lines, part in preview(
            draft=draft, agency=run.agency, periods=periods, progress=progress, sets=sets
        ):
            insert_objects([_line_row(run, period, line) for line in lines], batch=CHUNK)
            summary["periods"].append(part)
    finally:
        if collecting:
            gc.enable()
    summary["totals"] = {
        key: sum(p[key] for p in summary["periods"])
        for key in ("people", "up", "down", "same", "not_comparable", "points_changed")
    }
    run.summary = summary
    run.state = WhatIfRun.State.DONE
    run.finished_at = clock.now()
    run.save(update_fields=["summary", "state", "finished_at"])
    return run


@transaction.atomic
def whatif_start(
    *,
    actor: User,
    agency: Unit,
    framework: FrameworkVersion,
    periods: int = 3,
    back: str = "",
) -> WhatIfRun:
    """Records a preview of `framework` over the agency's last `periods` decided periods
    and queues it as a job. Audited once (`evaluations.whatif.run`)."""
    if framework.agency_id not in (None, agency.pk):
        raise ValidationFailed(
            "Khung này không thuộc cơ quan.",
            "This framework does not belong to the agency.",
            field="framework",
        )
    if not 1 <= int(periods) <= MAX_PERIODS:
        raise ValidationFailed(
            f"Số kỳ phải từ 1 đến {MAX_PERIODS}.",
            f"The number of periods must be 1 to {MAX_PERIODS}.",
            field="periods",
        )
    engine_framework(framework)  # a document that no longer validates is refused here
    broken = criteria_sets.sets_refused(framework)
    if broken:
        row, refusal = broken[0]
        raise ValidationFailed(
            f"Bộ tiêu chí của vị trí “{row.job_position.name}” không còn hợp với dự thảo: "
            f"{refusal.message_vi} Hãy sửa bộ đó trước khi xem trước.",
            f"The criteria set of “{row.job_position.name}” no longer fits the draft: "
            f"{refusal.message_en} Correct it before previewing.",
            field="framework",
        )
    found = decided_periods(agency, int(periods))
    if not found:
        raise ValidationFailed(
            "Cơ quan chưa có kỳ đánh giá nào đã quyết định để xem trước.",
            "The agency has no decided period to preview against.",
            field="periods",
        )
    run = WhatIfRun.objects.create(
        agency=agency,
        framework=framework,
        periods=[p.pk for p in found],
        requested_by=actor,
        created_at=clock.now(),
    )
    record(
        actor=actor,
        action="evaluations.whatif.run",
        object_type="evaluations.whatif",
        object_id=str(run.pk),
        object_repr=f"{framework} — {agency.name}",
        agency_id=agency.pk,
        after={
            "framework": f"{framework.key} {framework.version}",
            "periods": [p.name("vi") for p in found],
        },
    )
    job = job_start(
        actor=actor,
        kind=KIND,
        title_vi=f"Xem trước khung mới: {framework.key} {framework.version} — {agency.name}",
        title_en=f"Preview of a new framework: {framework.key} {framework.version} — {agency.name}",
        agency=agency,
        target=f"{KIND}:{run.pk}",
        params={"run": run.pk, **({"back": back} if back else {})},
    )
    WhatIfRun.objects.filter(pk=run.pk).update(job=job)
    run.refresh_from_db()
    return run


@job_kind(KIND)
def run_whatif(job: Job, progress: JobProgress) -> Outcome:
    """The job „Xem trước khung mới“: progress is evaluations scored of the total."""
    run = WhatIfRun.objects.select_related("agency", "framework").get(pk=int(job.params["run"]))

    def report(done: int, total: int) -> None:
        progress.set(done, total, "whatif")

    run = whatif_compute(run=run, progress=report)
    totals = run.summary.get("totals", {})
    people = int(totals.get("people", 0))
    return Outcome(
        done=people,
        total=people,
        result={
            "run": run.pk,
            "summary_vi": f"Đã chấm lại {people} phiếu theo khung mới: {totals.get('up', 0)} "
            f"lên, {totals.get('down', 0)} xuống, {totals.get('not_comparable', 0)} không so "
            "sánh được.",
            "summary_en": f"{people} evaluations scored again with the new framework: "
            f"{totals.get('up', 0)} up, {totals.get('down', 0)} down, "
            f"{totals.get('not_comparable', 0)} not comparable.",
        },
    )


# --- one line, both breakdowns -----------------------------------------------------------------


def line_breakdowns(line: WhatIfLine) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The current (stored) breakdown and the draft's, rebuilt for one line on demand with
    `compute.explained` for the stored side and the draft's explained path for the other."""
    ev = Evaluation.objects.select_related("framework", "unit").get(pk=line.evaluation_id)
    stored = engine_framework(ev.framework)
    draft = criteria_sets.SetFrameworks(line.run.framework).of(ev.unit.path, ev.job_position_id)
    current = explained(ev.result, stored)
    inputs = inputs_from_data(ev.result or {})
    if inputs is None or line.direction == WhatIfLine.Direction.NOT_COMPARABLE:
        return current, None
    mapped = Mapper(stored, draft).map(
        inputs,
        unit_rating=line.detail.get("unit_rating"),
        leader_record=line.detail.get("leader"),
    )
    if mapped.inputs is None:
        return current, None
    try:
        result, _data = score_inputs(draft, ev.person_id, mapped.inputs, explain=True)
    except ThuocDoError:
        return current, None
    return current, result.breakdown.as_dict() if result.breakdown is not None else None
