"""People and their main assignment, one row each; the natural key is (agency, Mã cán bộ).

A row for a known code updates the person's changed fields; its assignment columns
describe the main assignment in force: none yet → start; a different one → move from
the row's date; the same → nothing. Blank optional person cells keep what is stored.
Concurrent assignments (kiêm nhiệm) are not touched.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import TextChoices
from django.utils import translation
from django.utils.translation import gettext_noop

from thuocdo.core import clock
from thuocdo.core.models import User
from thuocdo.imports.columns import Choice, Column
from thuocdo.imports.errors import RowError
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
from thuocdo.org import services
from thuocdo.org.models import Assignment, JobPosition, Person, Unit

HEAD_ROLES = (Assignment.Role.HEAD, Assignment.Role.ACTING_HEAD)
ROLE_ORDER: dict[str, int] = {
    Assignment.Role.HEAD: 0,
    Assignment.Role.ACTING_HEAD: 1,
    Assignment.Role.DEPUTY: 2,
    Assignment.Role.STAFF: 3,
}


def _labelled(choices: type[TextChoices]) -> list[Choice]:
    """Vietnamese labels whatever the page language; English labels match too."""
    with translation.override("en"):
        english = {value: str(label) for value, label in choices.choices}
    with translation.override("vi"):
        return [
            Choice(label=str(label), value=value, aliases=(english[value], value))
            for value, label in choices.choices
        ]


def gender_choices(agency: Unit) -> list[Choice]:
    return _labelled(Person.Gender)


def category_choices(agency: Unit) -> list[Choice]:
    return _labelled(Person.Category)


def role_choices(agency: Unit) -> list[Choice]:
    return _labelled(Assignment.Role)


def unit_choices(agency: Unit) -> list[Choice]:
    units = Unit.objects.filter(agency=agency).order_by("path")
    return [Choice(label=u.code, value=u, aliases=(u.name,), note=u.name) for u in units]


def job_choices(agency: Unit) -> list[Choice]:
    jobs = JobPosition.objects.filter(agency=agency, is_active=True).order_by("sort_order", "code")
    return [Choice(label=j.code, value=j, aliases=(j.name,), note=j.name) for j in jobs]


COLUMNS = (
    Column(
        "code",
        "Mã cán bộ",
        "Staff code",
        required=True,
        width=14,
        note_vi="Mã duy nhất trong cơ quan; dùng để nhận ra người đã có.",
        max_length=Person._meta.get_field("code").max_length,
    ),
    Column(
        "full_name",
        "Họ và tên",
        "Full name",
        required=True,
        width=28,
        max_length=Person._meta.get_field("full_name").max_length,
    ),
    Column("gender", "Giới tính", "Gender", "choice", choices=gender_choices, width=10),
    Column(
        "birth_date",
        "Ngày sinh",
        "Date of birth",
        "date",
        width=13,
        note_vi="Ngày, dạng dd/mm/yyyy. Để trống: giữ giá trị đang có.",
    ),
    Column(
        "category",
        "Đối tượng",
        "Category",
        "choice",
        required=True,
        choices=category_choices,
        width=16,
    ),
    Column(
        "email",
        "Thư điện tử",
        "Email",
        "email",
        width=26,
        note_vi="Địa chỉ thư điện tử. Để trống: giữ giá trị đang có.",
        max_length=Person._meta.get_field("email").max_length,
    ),
    Column(
        "unit",
        "Mã đơn vị",
        "Unit code",
        "choice",
        required=True,
        choices=unit_choices,
        width=13,
        note_vi="Mã (hoặc tên) đơn vị nơi công tác chính.",
    ),
    Column(
        "job", "Mã vị trí việc làm", "Job position code", "choice", choices=job_choices, width=16
    ),
    Column("role", "Chức vụ", "Role", "choice", required=True, choices=role_choices, width=26),
    Column(
        "title",
        "Chức danh",
        "Title",
        width=24,
        note_vi="Chữ, ví dụ “Phó Vụ trưởng”. Để trống nếu không có.",
        max_length=Assignment._meta.get_field("title").max_length,
    ),
    Column(
        "fields",
        "Lĩnh vực được phân công",
        "Assigned fields",
        multiple=True,
        width=30,
        note_vi="Chỉ cho cấp phó; nhiều lĩnh vực cách nhau bằng dấu “;”.",
    ),
    Column(
        "start_date",
        "Ngày nhận công tác",
        "Start date",
        "date",
        required=True,
        width=16,
        note_vi="Ngày bắt đầu phân công này; khi chuyển công tác, phải sau ngày bắt đầu "
        "phân công hiện tại.",
    ),
)


@dataclass
class _Heads:
    """Who will head each unit once the file is applied, to refuse two heads in one unit."""

    holders: dict[int, list[tuple[int | None, int | None, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )  # unit id → (open assignment id or None, file row or None, name)

    def vacate(self, assignment: Assignment) -> None:
        self.holders[assignment.unit_id] = [
            h for h in self.holders[assignment.unit_id] if h[0] != assignment.pk
        ]

    def take(self, unit: Unit, row: int, name: str) -> None:
        self.holders[unit.pk].append((None, row, name))


class PeopleKind(ImportKind):
    code = "people"
    title_vi = gettext_noop("Cán bộ và phân công công tác")
    title_en = "People and assignments"
    sheet_name = "Cán bộ"
    row_noun_vi = "người"
    columns = COLUMNS
    key = ("code",)
    instructions_vi = (
        "Người đã có (cùng Mã cán bộ) được cập nhật những trường khác; ô trống ở cột không "
        "bắt buộc về cá nhân giữ nguyên giá trị đang có.",
        "Các cột đơn vị, vị trí việc làm, chức vụ, chức danh, lĩnh vực mô tả phân công chính "
        "hiện tại: nếu khác phân công đang có thì ghi nhận chuyển công tác từ “Ngày nhận công "
        "tác”; phân công cũ kết thúc vào ngày hôm trước.",
        "Phân công kiêm nhiệm không thay đổi khi nhập tệp này.",
    )

    def plan_rows(
        self,
        agency: Unit,
        rows: list[ParsedRow],
        errors: list[RowError],
        *,
        reason: str,
        actor: Actor = ANYONE,
    ) -> list[RowPlan]:
        people = {p.code: p for p in Person.objects.filter(agency=agency)}
        main = {
            a.person_id: a
            for a in Assignment.objects.filter(
                person__agency=agency, end_date__isnull=True, is_concurrent=False
            ).select_related("unit", "job_position")
        }
        heads = _Heads()
        for a in Assignment.objects.filter(
            unit__agency=agency, end_date__isnull=True, role__in=HEAD_ROLES
        ).select_related("person"):
            heads.holders[a.unit_id].append((a.pk, None, a.person.full_name))
        units = {u.pk: u for u in Unit.objects.filter(agency=agency)}
        today = clock.today()
        planned: list[RowPlan] = []
        for row in rows:
            v = row.values
            person = people.get(v["code"])
            before = len(errors)
            if v["birth_date"] is not None and v["birth_date"] >= today:
                errors.append(
                    self.error(
                        row,
                        "birth_date",
                        "Ngày sinh phải trước hôm nay.",
                        "The date of birth must be before today.",
                    )
                )
            if v["fields"] and v["role"] != Assignment.Role.DEPUTY:
                errors.append(
                    self.error(
                        row,
                        "fields",
                        "Chỉ cấp phó mới có lĩnh vực được phân công.",
                        "Only a deputy has assigned fields.",
                    )
                )
            current = main.get(person.pk) if person is not None else None
            if (
                current is not None
                and _differs(current, v)
                and v["start_date"] <= current.start_date
            ):
                errors.append(
                    self.error(
                        row,
                        "start_date",
                        "Ngày nhận công tác mới phải sau ngày bắt đầu phân công hiện tại "
                        f"({current.start_date:%d/%m/%Y}).",
                        "The new start must be after the current assignment's start "
                        f"({current.start_date.isoformat()}).",
                    )
                )
            if len(errors) > before:
                continue
            plan_row = RowPlan(row=row.row, key=v["code"], label=v["full_name"])
            if person is None:
                plan_row.steps = self._join(agency, v, reason)
            else:
                plan_row.steps = self._update(person, v, reason)
            if current is None or _differs(current, v):
                if current is not None:
                    heads.vacate(current)
                    plan_row.steps.append(self._move(person, current, v, reason))
                elif person is not None:
                    plan_row.steps.append(self._start(person, v, reason))
                if v["role"] in HEAD_ROLES:
                    heads.take(v["unit"], row.row, v["full_name"])
            planned.append(plan_row)
        self._check_heads(heads, units, rows, errors)
        return planned

    def _join(self, agency: Unit, v: dict[str, Any], reason: str) -> list[Step]:
        made: dict[str, Person] = {}

        def create(actor: User | None) -> None:
            made["person"] = services.person_create(
                actor=actor,
                agency=agency,
                code=v["code"],
                full_name=v["full_name"],
                category=v["category"],
                gender=v["gender"] or "",
                birth_date=v["birth_date"],
                email=v["email"] or "",
            )

        def start(actor: User | None) -> None:
            services.assignment_start(
                actor=actor, person=made["person"], reason=reason, **_assignment(v)
            )

        return [
            Step("create", writes=[Write(0, create)]),
            Step("start", changes=_assignment_changes(None, v), writes=[Write(1, start)]),
        ]

    def _update(self, person: Person, v: dict[str, Any], reason: str) -> list[Step]:
        wanted = {"full_name": v["full_name"], "category": v["category"]}
        for name in ("gender", "birth_date", "email"):
            if v[name] is not None:  # blank keeps what is stored
                wanted[name] = v[name]
        changes = {name: value for name, value in wanted.items() if getattr(person, name) != value}
        if not changes:
            return []
        shown = changes_of(
            COLUMNS,
            [
                (name, _label(name, getattr(person, name)), _label(name, value))
                for name, value in changes.items()
            ],
        )

        def update(actor: User | None) -> None:
            services.person_update(actor=actor, person=person, reason=reason, **changes)

        return [Step("update", changes=shown, writes=[Write(0, update)])]

    def _start(self, person: Person, v: dict[str, Any], reason: str) -> Step:
        def start(actor: User | None) -> None:
            services.assignment_start(actor=actor, person=person, reason=reason, **_assignment(v))

        return Step("start", changes=_assignment_changes(None, v), writes=[Write(1, start)])

    def _move(
        self, person: Person | None, current: Assignment, v: dict[str, Any], reason: str
    ) -> Step:
        assert person is not None  # only a known person has a current assignment

        # End first (phase 0), start after every end (phase 1), so a file may swap two
        # heads; within one agency this is what person_move does, in two halves.
        def end(actor: User | None) -> None:
            services.assignment_end(
                actor=actor,
                assignment=current,
                reason=reason,
                end_date=v["start_date"] - dt.timedelta(days=1),
            )

        def start(actor: User | None) -> None:
            services.assignment_start(actor=actor, person=person, reason=reason, **_assignment(v))

        return Step(
            "move", changes=_assignment_changes(current, v), writes=[Write(0, end), Write(1, start)]
        )

    def _check_heads(
        self, heads: _Heads, units: dict[int, Unit], rows: list[ParsedRow], errors: list[RowError]
    ) -> None:
        by_number = {row.row: row for row in rows}
        for unit_id, holders in heads.holders.items():
            if len(holders) < 2:
                continue
            names = ", ".join(name for _, _, name in holders)
            unit = units[unit_id]
            for _, number, _ in holders:
                if number is None:
                    continue
                errors.append(
                    self.error(
                        by_number[number],
                        "role",
                        f"Đơn vị “{unit.name}” sẽ có hơn một cấp trưởng hoặc quyền cấp trưởng "
                        f"({names}).",
                        f"The unit “{unit.name}” would have more than one head or acting head "
                        f"({names}).",
                    )
                )

    def export_rows(self, agency: Unit) -> Iterable[dict[str, Any]]:
        assignments = Assignment.objects.filter(
            person__agency=agency, end_date__isnull=True, is_concurrent=False
        ).select_related("person", "unit", "job_position")
        ordered = sorted(
            assignments,
            key=lambda a: (a.unit.path, ROLE_ORDER.get(a.role, 9), a.person.search_name, a.pk),
        )
        for a in ordered:
            p = a.person
            yield {
                "code": p.code,
                "full_name": p.full_name,
                "gender": p.gender or None,
                "birth_date": p.birth_date,
                "category": p.category,
                "email": p.email or None,
                "unit": a.unit,
                "job": a.job_position,
                "role": a.role,
                "title": a.title or None,
                "fields": list(a.assigned_fields) or None,
                "start_date": a.start_date,
            }


def _assignment(v: dict[str, Any]) -> dict[str, Any]:
    return {
        "unit": v["unit"],
        "job_position": v["job"],
        "role": v["role"],
        "title": v["title"] or "",
        "assigned_fields": v["fields"] or [],
        "start_date": v["start_date"],
    }


def _differs(current: Assignment, v: dict[str, Any]) -> bool:
    wanted = _assignment(v)
    return (
        current.unit_id != wanted["unit"].pk
        or current.job_position_id
        != (wanted["job_position"].pk if wanted["job_position"] else None)
        or current.role != wanted["role"]
        or current.title != wanted["title"]
        or list(current.assigned_fields) != wanted["assigned_fields"]
    )


_LABELS = {"gender": Person.Gender, "category": Person.Category, "role": Assignment.Role}


def _label(name: str, value: Any) -> Any:
    choices = _LABELS.get(name)
    if choices is None or not value:
        return value
    with translation.override("vi"):
        return str(dict(choices.choices).get(value, value))


def _assignment_changes(current: Assignment | None, v: dict[str, Any]) -> list[Any]:
    wanted = _assignment(v)
    pairs: Sequence[tuple[str, Any, Any]] = [
        ("unit", current.unit.code if current else None, wanted["unit"].code),
        (
            "job",
            current.job_position.code if current and current.job_position else None,
            wanted["job_position"].code if wanted["job_position"] else None,
        ),
        ("role", _label("role", current.role) if current else None, _label("role", wanted["role"])),
        ("title", current.title or None if current else None, wanted["title"] or None),
        (
            "fields",
            list(current.assigned_fields) or None if current else None,
            wanted["assigned_fields"] or None,
        ),
        ("start_date", current.start_date if current else None, wanted["start_date"]),
    ]
    return changes_of(COLUMNS, pairs)
