"""Self-assessments and reviews of one unit, from the period's own template.

The template is made for one period and one unit (`evaluation_sheet`): one row per
evaluation of the unit (people left out of the period are not listed), a column per
general criterion of the period's framework for the self score and one for the
reviewer's, with the comments and reasons the services ask for. Its lines above the
headers name the period and the unit; the import reads them first (`for_source`), so a
file of another agency, period or unit is refused as a whole.

Each row is checked as the services would check it, without writing:

- **Self-assessment** (the *Tự chấm* scores, *Tự nhận xét*, *Minh chứng chung*): only while
  the period is at the self-assessment step and the evaluation not yet reviewed; every
  criterion of the person's role scored within its scale; by the person, or on their behalf
  by the personnel office or their direct manager with *Lý do nhập thay*.
- **Review** (the *Cấp trên chấm* scores, *Lý do thay đổi điểm*, *Nhận xét của cấp trên*):
  only at the review step, on a self-assessed evaluation, by the person's direct manager; a
  blank score keeps the self score; a score other than the self score needs the reason.

A group left blank, or equal to what is stored, changes nothing (so the template filled in
and imported twice writes once). Each change is one service call
(`evaluation_self_assess`, `evaluation_review`), all in the import's one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext_noop

from thuocdo.access import scope_for
from thuocdo.access.evaluations import access_period
from thuocdo.core import clock
from thuocdo.core.errors import AccessDenied, Conflict, NotFound, ThuocDoError, ValidationFailed
from thuocdo.core.models import User
from thuocdo.core.text import fold
from thuocdo.evaluations import services
from thuocdo.evaluations import transitions as tr
from thuocdo.evaluations.compute import check_scale, general_nodes
from thuocdo.evaluations.models import CriterionScore, Evaluation, Period
from thuocdo.evaluations.progress import may_remind
from thuocdo.evaluations.services.evaluations import (
    change_needs_reason,
    entry_for_refused,
    require_reviewable,
    require_self_assessable,
    review_refused,
)
from thuocdo.frameworks.models import FrameworkVersion
from thuocdo.frameworks.selectors import engine_framework
from thuocdo.imports.catalogue import plain, signed_in, signed_in_error
from thuocdo.imports.errors import FileRejected, RowError
from thuocdo.imports.evaluation_sheet import (
    SHEET,
    Criterion,
    SheetHead,
    is_review_column,
    is_self_column,
    missing_id,
    parse_period_name,
    read_sheet_id,
    review_key,
    self_key,
    sheet_columns,
    write_sheet,
)
from thuocdo.imports.framework import (
    ANYONE,
    Actor,
    ImportKind,
    ParsedRow,
    RowPlan,
    Step,
    Write,
    changes_of,
)
from thuocdo.org import managers
from thuocdo.org.models import Person, Unit
from thuocdo.scoring import Node
from thuocdo.work import rules

E = Evaluation.State
S = Period.State
OPEN_STEPS = (S.SELF_ASSESSMENT, S.REVIEW)

INSTRUCTIONS = (
    "Mẫu này lập riêng cho một kỳ đánh giá và một đơn vị: giữ nguyên các dòng “Cơ quan:”, "
    "“Kỳ đánh giá:”, “Đơn vị:” và các cột điền sẵn (kỳ, mã đơn vị, mã cán bộ, họ và tên).",
    "Ở bước tự đánh giá: điền điểm tự chấm của mọi tiêu chí (từ 0 đến điểm tối đa ghi ở tiêu "
    "đề cột; viết 2,5 hay 2.5 đều được) và tự nhận xét. Người nhập không phải người được đánh "
    "giá thì phải ghi lý do nhập thay; chỉ bộ phận tổ chức cán bộ hoặc cấp trên trực tiếp được "
    "nhập thay.",
    "Ở bước cấp trên đánh giá: cấp trên trực tiếp điền điểm của mình (để trống: giữ điểm tự "
    "chấm), lý do khi điểm khác điểm tự chấm, và nhận xét. Các thành phần d, đ, e của lãnh "
    "đạo điều chỉnh trên trang phiếu đánh giá.",
    "Ô màu xám đậm: tiêu chí không áp dụng cho người đó, để trống. Cột màu xám nhạt: bước "
    "chưa mở hoặc đã qua; giữ nguyên.",
    "Nhóm cột để trống, hoặc giống hệt dữ liệu đã có: không thay đổi gì cho người đó.",
)


def access_unit_sheet(user: Any, period_id: Any, unit_id: Any) -> tuple[Period, Unit]:
    """The period and unit whose template `user` may download and import: the personnel
    office, the head of the agency and the leaders of the unit (or of a unit above it) —
    those who follow the unit's progress."""
    try:
        period_pk, unit_pk = int(period_id), int(unit_id)
    except (TypeError, ValueError):
        raise NotFound(
            "Mẫu này lập cho một kỳ đánh giá và một đơn vị: hãy tải từ trang tiến độ của đơn vị.",
            "This template is made for one period and one unit: download it from the unit's "
            "progress page.",
        ) from None
    period = access_period(user, period_pk)
    unit = Unit.objects.filter(pk=unit_pk, agency_id=period.agency_id).first()
    if unit is None:
        raise NotFound("Đơn vị không thuộc cơ quan của kỳ này.", "Not a unit of this agency.")
    allowed = scope_for(user).configures_agency(period.agency_id) or (
        isinstance(user, User) and may_remind(user, period, unit, clock.today())
    )
    if not allowed:
        raise AccessDenied(
            "Chỉ bộ phận tổ chức cán bộ, người đứng đầu cơ quan và lãnh đạo đơn vị mới tải và "
            "nhập phiếu đánh giá của đơn vị.",
            "Only the personnel office, the head of the agency and the unit's leaders download "
            "and import the unit's evaluations.",
        )
    return period, unit


def _criteria(period: Period, versions: Iterable[FrameworkVersion]) -> list[Criterion]:
    """Every general criterion of the frameworks the unit's evaluations use, in framework
    order (a criterion of one role only is a column too: shaded for the others)."""
    if period.kind == Period.Kind.YEAR:
        return []  # the year rolls the months up: no general criteria to score
    found: dict[str, Criterion] = {}
    for version in versions:
        for node in engine_framework(version).individual.root.walk():
            if node.type == "manual" and node.scale is not None and node.key not in found:
                found[node.key] = Criterion(node.key, node.label_vi, node.label_en, node.scale.max)
    return list(found.values())


class EvaluationKind(ImportKind):
    """The kind as registered: it reads a file's naming lines and hands over to the
    `UnitSheetKind` of that period and unit."""

    code = "evaluations"
    title_vi = gettext_noop("Tự đánh giá và đánh giá của đơn vị")
    title_en = "Self-assessments and reviews of a unit"
    sheet_name = SHEET
    row_noun_vi = "người được đánh giá"
    columns = sheet_columns(())
    key = ("person",)
    instructions_vi = INSTRUCTIONS
    period_sheet = True  # the template is a period's and a unit's own (pages offer it there)

    def __init__(self, *, expected: tuple[int, int] | None = None) -> None:
        self.expected = expected  # (period id, unit id) the page imports into

    def expecting(self, period: Period, unit: Unit) -> EvaluationKind:
        """The kind for an upload made from one unit's page: a file of another period or
        unit is refused."""
        return EvaluationKind(expected=(period.pk, unit.pk))

    def for_sheet(self, period: Period, unit: Unit) -> UnitSheetKind:
        return UnitSheetKind(period, unit)

    def for_source(self, source: str | IO[bytes], agency: Unit) -> ImportKind:
        found = read_sheet_id(source, self.sheet_name)
        if found is None:
            return self  # no such sheet, or no workbook: the reader says which
        if not found.period or not found.unit:
            raise missing_id()
        if found.agency and fold(found.agency) != fold(agency.code):
            raise FileRejected(
                f"Tệp là mẫu của cơ quan “{found.agency}”, không phải của “{agency.name}” "
                f"({agency.code}).",
                f"The file is a template of the agency “{found.agency}”, not of "
                f"{agency.name} ({agency.code}).",
            )
        slot = parse_period_name(found.period)
        period = None
        if slot is not None:
            kind, year, number = slot
            period = (
                Period.objects.filter(agency=agency, kind=kind, year=year, number=number)
                .select_related("agency")
                .first()
            )
        if period is None:
            raise FileRejected(
                f"Cơ quan “{agency.name}” không có kỳ đánh giá “{found.period}”.",
                f"{agency.name} has no evaluation period “{found.period}”.",
            )
        unit = _find_unit(agency, found.unit)
        if unit is None:
            raise FileRejected(
                f"Cơ quan “{agency.name}” không có đơn vị “{found.unit}”.",
                f"{agency.name} has no unit “{found.unit}”.",
            )
        if self.expected is not None and self.expected != (period.pk, unit.pk):
            wanted_period = Period.objects.filter(pk=self.expected[0]).first()
            wanted_unit = Unit.objects.filter(pk=self.expected[1]).first()
            want_vi = f"{wanted_unit.name if wanted_unit else '?'} — " + (
                wanted_period.name("vi") if wanted_period else "?"
            )
            want_en = f"{wanted_unit.name if wanted_unit else '?'} — " + (
                wanted_period.name("en") if wanted_period else "?"
            )
            raise FileRejected(
                f"Tệp là mẫu của {unit.name} — {period.name('vi')}, không phải của {want_vi} "
                "đang nhập. Hãy tải mẫu của đơn vị và kỳ này.",
                f"The file is the template of {unit.name} — {period.name('en')}, not of "
                f"{want_en} being imported. Download this unit's template for this period.",
            )
        return self.for_sheet(period, unit)

    def plan_rows(
        self,
        agency: Unit,
        rows: list[ParsedRow],
        errors: list[RowError],
        *,
        reason: str,
        actor: Actor = ANYONE,
    ) -> list[RowPlan]:
        # Reached only when the sheet names no period (`for_source` hands over otherwise).
        error = missing_id()
        errors.append(RowError(None, "", "", "", error.message_vi, error.message_en))
        return []

    def export_rows(self, agency: Unit) -> Iterable[dict[str, Any]]:
        raise ValidationFailed(
            "Phiếu đánh giá được tải theo từng kỳ và từng đơn vị, ở trang tiến độ của đơn vị.",
            "Evaluations are downloaded per period and unit, from the unit's progress page.",
        )


def _find_unit(agency: Unit, text: str) -> Unit | None:
    units = Unit.objects.filter(agency=agency)
    exact = units.filter(code=text).first()
    if exact is not None:
        return exact
    key = fold(text)
    matches = [u for u in units if key in (fold(u.code), fold(u.name))]
    return matches[0] if len(matches) == 1 else None


class UnitSheetKind(EvaluationKind):
    """One period's and one unit's template: its columns follow the period's framework."""

    def __init__(self, period: Period, unit: Unit) -> None:
        super().__init__(expected=(period.pk, unit.pk))
        self.period = period
        self.unit = unit
        versions = FrameworkVersion.objects.filter(
            pk__in=Evaluation.objects.filter(period=period, unit=unit).values("framework_id")
        ).order_by("pk")
        self.criteria = _criteria(period, versions)
        self.columns = sheet_columns(self.criteria)

    # --- the template -------------------------------------------------------------------

    def evaluations(self) -> QuerySet[Evaluation]:
        return (
            Evaluation.objects.filter(period=self.period, unit=self.unit)
            .exclude(state=E.EXCLUDED)
            .select_related("person", "framework")
            .order_by("person__search_name", "pk")
        )

    def file_name(self) -> str:
        period = slugify(self.period.name("vi").replace("/", "-"))
        unit = slugify(self.unit.code) or str(self.unit.pk)
        agency = slugify(self.period.agency.code) or str(self.period.agency_id)
        return f"danh-gia-{agency}-{period}-{unit}.xlsx"

    def template(self) -> bytes:
        """The prefilled workbook: identifying columns, the scores and comments stored."""
        evaluations = list(self.evaluations())
        scores = _scores_of([ev.pk for ev in evaluations])
        rows = [self._row(ev, scores.get(ev.pk, {})) for ev in evaluations]
        with translation.override("vi"):
            step = tr.state_label(self.period.state)
        if self.period.state == S.SELF_ASSESSMENT:
            closed = {c.key for c in self.columns if is_review_column(c.key)}
        elif self.period.state == S.REVIEW:
            closed = {c.key for c in self.columns if is_self_column(c.key)}
        else:
            closed = {
                c.key for c in self.columns if is_self_column(c.key) or is_review_column(c.key)
            }
        head = SheetHead(
            title=f"{self.title_vi} — {self.unit.name} — {self.period.name('vi')}",
            agency_code=self.period.agency.code,
            agency_name=self.period.agency.name,
            period_name=self.period.name("vi"),
            step=step,
            unit_code=self.unit.code,
            unit_name=self.unit.name,
            closed=closed,
            instructions=self.instructions_vi,
        )
        maxima = {}
        for criterion in self.criteria:
            maxima[self_key(criterion.key)] = criterion.max
            maxima[review_key(criterion.key)] = criterion.max
        return write_sheet(head, self.columns, rows, maxima)

    def _row(self, ev: Evaluation, stored: dict[str, CriterionScore]) -> dict[str, Any]:
        applies = {n.key for n in self._nodes(ev)}
        with translation.override("vi"):
            role, state = str(ev.get_role_display()), str(ev.get_state_display())
        reviewed = ev.state in (E.REVIEWED, E.DECIDED)
        row: dict[str, Any] = {
            "period": self.period.name("vi"),
            "unit": self.unit.code,
            "person": ev.person.code,
            "name": ev.person.full_name,
            "role": role,
            "state": state,
            "version": ev.version,
            "self_comment": ev.self_comment or None,
            "self_evidence": ev.self_evidence or None,
            "review_comment": (ev.review_comment or None) if reviewed else None,
            "_absent": {
                key(c.key)
                for c in self.criteria
                if c.key not in applies
                for key in (self_key, review_key)
            },
        }
        for key, score in stored.items():
            row[self_key(key)] = score.self_score
            if reviewed:
                row[review_key(key)] = (
                    score.reviewer_score if score.reviewer_score is not None else score.self_score
                )
        return row

    def _nodes(self, ev: Evaluation) -> list[Node]:
        if self.period.kind == Period.Kind.YEAR:
            return []
        return general_nodes(engine_framework(ev.framework), ev.role)

    # --- planning -------------------------------------------------------------------------

    def plan_rows(
        self,
        agency: Unit,
        rows: list[ParsedRow],
        errors: list[RowError],
        *,
        reason: str,
        actor: Actor = ANYONE,
    ) -> list[RowPlan]:
        period = Period.objects.select_related("agency").get(pk=self.period.pk)
        codes = sorted({row.values["person"] for row in rows})
        found: dict[str, list[Evaluation]] = {}
        for one in (
            Evaluation.objects.filter(period=period, person__code__in=codes)
            .select_related("person", "unit", "framework")
            .order_by("pk")
        ):
            one.period = period  # read once: the checks ask each row's period
            found.setdefault(one.person.code, []).append(one)
        scores = _scores_of([one.pk for evs in found.values() for one in evs])
        rights = _Rights(actor, period)
        planned: list[RowPlan] = []
        for row in rows:
            ev = self._evaluation(row, found, period, errors)
            if ev is None:
                continue
            check = _RowCheck(self, row, ev, period, scores.get(ev.pk, {}), rights, errors)
            steps = check.steps()
            if check.failed:
                continue
            planned.append(
                RowPlan(row=row.row, key=ev.person.code, label=ev.person.full_name, steps=steps)
            )
        return planned

    def _evaluation(
        self,
        row: ParsedRow,
        found: dict[str, list[Evaluation]],
        period: Period,
        errors: list[RowError],
    ) -> Evaluation | None:
        v = row.values
        before = len(errors)
        if fold(v["period"]) not in (fold(period.name("vi")), fold(period.name("en"))):
            errors.append(
                self.error(
                    row,
                    "period",
                    f"Dòng này không thuộc kỳ của tệp ({period.name('vi')}).",
                    f"The row is not of the file's period ({period.name('en')}).",
                )
            )
        if fold(v["unit"]) not in (fold(self.unit.code), fold(self.unit.name)):
            errors.append(
                self.error(
                    row,
                    "unit",
                    f"Dòng này không thuộc đơn vị của tệp ({self.unit.code} — {self.unit.name}).",
                    f"The row is not of the file's unit ({self.unit.code} — {self.unit.name}).",
                )
            )
        candidates = found.get(v["person"], [])
        ev = next((e for e in candidates if e.unit_id == self.unit.pk), None)
        if ev is None and candidates:
            other = candidates[0]
            errors.append(
                self.error(
                    row,
                    "person",
                    f"{other.person.full_name} được đánh giá ở đơn vị “{other.unit.name}”, không "
                    f"phải “{self.unit.name}”: phiếu nằm trong mẫu của đơn vị đó.",
                    f"{other.person.full_name} is evaluated in {other.unit.name}, not "
                    f"{self.unit.name}: the row belongs to that unit's template.",
                )
            )
        elif ev is None:
            errors.append(
                self.error(
                    row,
                    "person",
                    f"Không có phiếu đánh giá của mã cán bộ “{v['person']}” trong kỳ "
                    f"{period.name('vi')}.",
                    f"There is no evaluation of staff code {v['person']!r} in {period.name('en')}.",
                )
            )
        elif v["name"] is not None and fold(v["name"]) != fold(ev.person.full_name):
            errors.append(
                self.error(
                    row,
                    "name",
                    f"Họ và tên không khớp với mã cán bộ {ev.person.code} ({ev.person.full_name}).",
                    f"The name does not match staff code {ev.person.code} ({ev.person.full_name}).",
                )
            )
        return ev if len(errors) == before else None


def _scores_of(evaluation_ids: list[int]) -> dict[int, dict[str, CriterionScore]]:
    out: dict[int, dict[str, CriterionScore]] = {}
    for score in CriterionScore.objects.filter(evaluation_id__in=evaluation_ids):
        out.setdefault(score.evaluation_id, {})[score.key] = score
    return out


class _Rights:
    """Who the actor is, read once for the whole file (the services ask per write)."""

    def __init__(self, actor: Actor, period: Period) -> None:
        self.actor = actor
        self.person: Person | None = None
        self.office = False
        self.leads: list[managers.Lead] = []
        if isinstance(actor, User):
            today = clock.today()
            self.person = Person.objects.filter(user=actor, is_active=True).first()
            self.office = rules.is_personnel(actor, period.agency, today)
            self.leads = managers.leads_of(self.person.pk if self.person else None, today)

    @property
    def known(self) -> bool:
        return self.actor is not ANYONE

    def own(self, ev: Evaluation) -> bool:
        return self.person is not None and self.person.pk == ev.person_id

    def manages(self, ev: Evaluation) -> bool:
        """`services.is_direct_manager`, on the leads read once."""
        if self.person is None or self.own(ev):
            return False
        return managers.manages(
            self.leads, unit_id=ev.unit_id, unit_path=ev.unit.path, role=ev.role
        )


def _same(a: Decimal | None, b: Decimal | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and a == b)


class _RowCheck:
    """One row's two groups (self-assessment, review) checked as the services would."""

    def __init__(
        self,
        kind: UnitSheetKind,
        row: ParsedRow,
        ev: Evaluation,
        period: Period,
        stored: dict[str, CriterionScore],
        rights: _Rights,
        errors: list[RowError],
    ) -> None:
        self.kind, self.row, self.ev, self.period = kind, row, ev, period
        self.stored, self.rights, self.errors = stored, rights, errors
        self.nodes = {n.key: n for n in kind._nodes(ev)}
        self.failed = False

    def fail(self, key: str, rule_vi: str, rule_en: str) -> None:
        self.errors.append(self.kind.error(self.row, key, rule_vi, rule_en))
        self.failed = True

    def refused(self, key: str, error: ThuocDoError) -> None:
        self.fail(key, error.message_vi, error.message_en)

    def steps(self) -> list[Step]:
        v = self.row.values
        self_scores = {c.key: v[self_key(c.key)] for c in self.kind.criteria}
        review_scores = {c.key: v[review_key(c.key)] for c in self.kind.criteria}
        for prefix, scores in ((self_key, self_scores), (review_key, review_scores)):
            for key, value in scores.items():
                if value is not None and key not in self.nodes:
                    with translation.override("vi"):
                        role = str(self.ev.get_role_display())
                    self.fail(
                        prefix(key),
                        f"Tiêu chí này không áp dụng cho {self.ev.person.full_name} ({role}); "
                        "để trống ô này.",
                        "The criterion does not apply to this person's role; leave it blank.",
                    )
        if self.failed:
            return []
        steps: list[Step] = []
        stale = v["version"] is not None and v["version"] != self.ev.version
        own_scores = {k: s for k, s in self_scores.items() if k in self.nodes}
        mine = {k: s for k, s in review_scores.items() if k in self.nodes and s is not None}
        filled_self = any(s is not None for s in own_scores.values()) or any(
            v[key] is not None for key in ("self_comment", "self_evidence")
        )
        filled_review = bool(mine) or any(
            v[key] is not None for key in ("review_comment", "review_reason")
        )
        changed_self = filled_self and self._self_changed(own_scores)
        changed_review = filled_review and self._review_changed(mine)
        if stale and (changed_self or changed_review):
            self.fail(
                "version",
                f"Phiếu của {self.ev.person.full_name} đã được sửa sau khi tải mẫu (phiên bản "
                f"{v['version']}, nay là {self.ev.version}); hãy tải mẫu mới để không ghi đè.",
                f"{self.ev.person.full_name}'s evaluation changed after the template was "
                f"downloaded (version {v['version']}, now {self.ev.version}); download a new "
                "template so as not to overwrite it.",
            )
            return []
        if changed_self:
            step = self._self_step(own_scores)
            if step is not None:
                steps.append(step)
        if changed_review:
            step = self._review_step(mine)
            if step is not None:
                steps.append(step)
        return steps

    # --- self-assessment -----------------------------------------------------------------

    def _self_changed(self, scores: dict[str, Decimal | None]) -> bool:
        ev, v = self.ev, self.row.values
        if ev.state == E.DRAFT:
            return True
        same = all(_same(value, self._stored(key, "self_score")) for key, value in scores.items())
        return not (
            same
            and (v["self_comment"] or "") == ev.self_comment
            and (v["self_evidence"] is None or v["self_evidence"] == ev.self_evidence)
        )

    def _stored(self, key: str, name: str) -> Decimal | None:
        score = self.stored.get(key)
        return None if score is None else getattr(score, name)

    def _first(self, keys: Iterable[str], fallback: str) -> str:
        v = self.row.values
        return next((key for key in keys if v[key] is not None), fallback)

    def _self_step(self, scores: dict[str, Decimal | None]) -> Step | None:
        ev, v = self.ev, self.row.values
        where = self._first([self_key(k) for k in scores], "self_comment")
        if ev.state == E.EXCLUDED:
            self.fail(
                where,
                f"{ev.person.full_name} không đánh giá kỳ này (đã được để ra ngoài kỳ); "
                "để trống các cột của người này.",
                f"{ev.person.full_name} is left out of this period; leave the row blank.",
            )
            return None
        own = self.rights.own(ev)
        behalf = v["on_behalf_reason"] or ""
        if self.rights.known:
            if self.rights.actor is None:
                self.refused("person", signed_in_error("tự đánh giá", "self-assessments"))
                return None
            if not own and not (self.rights.office or self.rights.manages(ev)):
                self.refused("person", entry_for_refused())
                return None
            if not own and not behalf:
                self.fail(
                    "on_behalf_reason",
                    f"Thiếu lý do nhập thay: bạn nhập tự đánh giá thay cho {ev.person.full_name}.",
                    f"The reason for entering it is missing: you enter "
                    f"{ev.person.full_name}'s self-assessment on their behalf.",
                )
                return None
        try:
            require_self_assessable(ev)
        except Conflict as error:
            self.refused(where, error)
            return None
        values: dict[str, Decimal] = {}
        for key, node in self.nodes.items():
            value = scores.get(key)
            if value is None:
                self.fail(
                    self_key(key),
                    f"Chưa chấm tiêu chí “{node.label_vi}”: chấm đủ mọi tiêu chí, hoặc để trống "
                    "cả nhóm tự đánh giá.",
                    f"“{node.label_en}” is not scored: score every criterion, or leave the "
                    "self-assessment blank.",
                )
                continue
            try:
                check_scale(node, value, self_key(key))
            except ValidationFailed as error:
                self.refused(self_key(key), error)
                continue
            values[key] = value
        if self.failed:
            return None
        comment = v["self_comment"] or ""
        evidence_text = ev.self_evidence if v["self_evidence"] is None else v["self_evidence"]
        evidence = {key: score.evidence for key, score in self.stored.items()}
        version = ev.version
        sure_own = own and self.rights.known

        def run(actor: User | None) -> None:
            user = signed_in(actor, "tự đánh giá", "self-assessments")
            _mapped(
                lambda: services.evaluation_self_assess(
                    actor=user,
                    evaluation=ev,
                    expected_version=version,
                    scores={key: str(value) for key, value in values.items()},
                    evidence=evidence,
                    comment=comment,
                    evidence_text=evidence_text,
                    on_behalf_reason=behalf,
                ),
                {
                    "on_behalf_reason": "on_behalf_reason",
                    "comment": "self_comment",
                    "version": "version",
                },
                self_key,
            )

        pairs: list[tuple[str, Any, Any]] = [
            (self_key(key), plain(self._stored(key, "self_score")), plain(value))
            for key, value in values.items()
        ]
        pairs += [
            ("self_comment", ev.self_comment, comment),
            ("self_evidence", ev.self_evidence, evidence_text),
        ]
        if behalf and not sure_own:
            pairs.append(("on_behalf_reason", None, behalf))
        return Step("update", changes=changes_of(self.kind.columns, pairs), writes=[Write(0, run)])

    # --- review ---------------------------------------------------------------------------

    def _final(self, key: str) -> Decimal | None:
        reviewer = self._stored(key, "reviewer_score")
        return reviewer if reviewer is not None else self._stored(key, "self_score")

    def _review_changed(self, scores: dict[str, Decimal]) -> bool:
        ev, v = self.ev, self.row.values
        if ev.state not in (E.REVIEWED, E.DECIDED, E.EXCLUDED):
            return True
        same = all(_same(value, self._final(key)) for key, value in scores.items())
        return not (same and (v["review_comment"] or "") == ev.review_comment)

    def _review_step(self, scores: dict[str, Decimal]) -> Step | None:
        ev, v = self.ev, self.row.values
        where = self._first([review_key(k) for k in scores], "review_comment")
        if ev.state == E.EXCLUDED:
            self.fail(
                where,
                f"{ev.person.full_name} không đánh giá kỳ này (đã được để ra ngoài kỳ); "
                "để trống các cột của người này.",
                f"{ev.person.full_name} is left out of this period; leave the row blank.",
            )
            return None
        if self.rights.known:
            if self.rights.actor is None:
                self.refused("person", signed_in_error("đánh giá", "reviews"))
                return None
            if not self.rights.manages(ev):
                self.refused("person", review_refused())
                return None
        try:
            require_reviewable(ev)
        except Conflict as error:
            self.refused(where, error)
            return None
        reason = v["review_reason"] or ""
        for key, value in scores.items():
            node = self.nodes[key]
            if key not in self.stored:
                self.fail(
                    review_key(key),
                    f"Tiêu chí “{node.label_vi}” không có trong phiếu.",
                    f"Criterion “{node.label_en}” is not on this evaluation.",
                )
                continue
            try:
                check_scale(node, value, review_key(key))
            except ValidationFailed as error:
                self.refused(review_key(key), error)
                continue
            own = self._stored(key, "self_score")
            if own is not None and value != own and not reason:
                self.refused("review_reason", change_needs_reason(node, "review_reason"))
        if self.failed:
            return None
        comment = v["review_comment"] or ""
        version = ev.version

        def run(actor: User | None) -> None:
            user = signed_in(actor, "đánh giá", "reviews")
            _mapped(
                lambda: services.evaluation_review(
                    actor=user,
                    evaluation=ev,
                    expected_version=version,
                    scores={key: str(value) for key, value in scores.items()},
                    reasons=dict.fromkeys(scores, reason),
                    comment=comment,
                ),
                {"comment": "review_comment", "version": "version"},
                review_key,
                reasons="review_reason",
            )

        pairs: list[tuple[str, Any, Any]] = [
            (review_key(key), plain(self._final(key)) if ev.state == E.REVIEWED else None,
             plain(value))
            for key, value in scores.items()
        ]  # fmt: skip
        pairs.append(
            ("review_comment", ev.review_comment if ev.state == E.REVIEWED else None, comment)
        )
        changed = any(value != self._stored(key, "self_score") for key, value in scores.items())
        if changed and reason:
            pairs.append(("review_reason", None, reason))
        return Step("update", changes=changes_of(self.kind.columns, pairs), writes=[Write(0, run)])


def _mapped(
    call: Callable[[], object],
    fields: dict[str, str],
    score_key: Callable[[str], str],
    *,
    reasons: str = "",
) -> None:
    """Runs a service call; a refusal names the template's column (not the service's
    field), so the error table points at the cell."""
    try:
        call()
    except ThuocDoError as error:
        field = error.field
        if field.startswith("scores."):
            column = score_key(field.removeprefix("scores."))
        elif field.startswith("reasons.") and reasons:
            column = reasons
        else:
            column = fields.get(field, "person")
        raise type(error)(error.message_vi, error.message_en, field=column) from error


__all__ = ["EvaluationKind", "UnitSheetKind", "access_unit_sheet"]
