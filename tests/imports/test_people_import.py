"""People and assignments: create, update, start, move, unchanged; every rule; all-or-nothing."""

from __future__ import annotations

import unicodedata

import pytest

from tests.conftest import Cast
from thuocdo.audit.models import AuditEntry
from thuocdo.core.origin import origin_scope
from thuocdo.imports.errors import ImportRefused
from thuocdo.imports.framework import apply
from thuocdo.org import services
from thuocdo.org.models import Assignment, Person

from .conftest import D, errors_of, person_row, plan_of, xlsx


def test_a_new_person_is_created_and_starts_in_the_unit(cast: Cast) -> None:
    result = plan_of(xlsx([person_row(email="moi@example.vn")]), cast.agency_a)
    assert result.ok, errors_of(result)
    assert result.counts == {"create": 1, "update": 0, "start": 1, "move": 0, "unchanged": 0}
    with origin_scope("cli:test"):
        apply(result, actor=cast.user("personnel_a"))
    person = Person.objects.get(agency=cast.agency_a, code="N001")
    assert (person.full_name, person.gender, person.birth_date) == (
        "Trần Thị Mới",
        "female",
        D(1990, 3, 15),
    )
    assert (person.category, person.email) == ("cong_chuc", "moi@example.vn")
    assignment = Assignment.objects.get(person=person, end_date__isnull=True)
    assert (assignment.unit, assignment.role, assignment.start_date) == (
        cast.unit_x,
        "staff",
        D(2025, 2, 1),
    )
    entries = AuditEntry.objects.filter(object_id__in=[str(person.pk), str(assignment.pk)])
    assert {e.action for e in entries} == {"org.person.create", "org.assignment.start"}
    assert {e.actor_id for e in entries} == {cast.users["personnel_a"].pk}


def test_nfd_names_and_stray_spaces_are_stored_nfc_and_match_existing_people(cast: Cast) -> None:
    name = unicodedata.normalize("NFD", "  Trần   Thị  Mới ")
    result = plan_of(
        xlsx(
            [
                person_row(
                    " N001 ",
                    name,
                    category="  cong  CHUC ",
                    role=unicodedata.normalize("NFD", "Cấp phó"),
                    fields=unicodedata.normalize("NFD", " Tài chính ;  Kế toán; "),
                    unit=unicodedata.normalize("NFD", "vụ xây dựng"),
                )
            ]
        ),
        cast.agency_a,
    )
    assert result.ok, errors_of(result)
    apply(result, actor=None)
    person = Person.objects.get(code="N001")
    assert person.full_name == "Trần Thị Mới"
    assert unicodedata.is_normalized("NFC", person.full_name)
    assert person.search_name == "tran thi moi"
    assignment = cast_assignment(person)
    assert assignment.unit == cast.unit_x  # matched by the unit's name, accents folded
    assert assignment.assigned_fields == ["Tài chính", "Kế toán"]
    assert all(unicodedata.is_normalized("NFC", f) for f in assignment.assigned_fields)
    # The same person typed in NFD again: nothing to do.
    again = plan_of(
        xlsx(
            [
                person_row(
                    "N001",
                    unicodedata.normalize("NFD", "Trần Thị Mới"),
                    role="Cấp phó",
                    fields="Tài chính; Kế toán",
                )
            ]
        ),
        cast.agency_a,
    )
    assert again.counts["unchanged"] == 1


def cast_assignment(person: Person) -> Assignment:
    return Assignment.objects.get(person=person, end_date__isnull=True, is_concurrent=False)


def existing_row(cast: Cast, name: str, **overrides: object) -> list[object]:
    """The row that describes a cast member exactly as stored."""
    person = cast.person(name)
    a = cast.assignment(name)
    labels = {
        "head": "Cấp trưởng",
        "deputy": "Cấp phó",
        "staff": "Không giữ chức vụ lãnh đạo",
        "acting_head": "Quyền cấp trưởng",
    }
    values: dict[str, object] = {
        "gender": "",
        "birth": "",
        "category": "Công chức",
        "email": "",
        "unit": a.unit.code,
        "job": a.job_position.code if a.job_position else "",
        "role": labels[a.role],
        "title": a.title,
        "fields": "; ".join(a.assigned_fields),
        "start": a.start_date,
    }
    values.update(overrides)
    return person_row(person.code, person.full_name, **values)  # type: ignore[arg-type]


def test_an_identical_row_is_unchanged_even_if_its_start_date_differs(cast: Cast) -> None:
    result = plan_of(xlsx([existing_row(cast, "staff_x", start="01/06/2025")]), cast.agency_a)
    assert result.ok
    assert result.counts["unchanged"] == 1
    assert not result.has_changes


def test_an_existing_person_gets_only_the_changed_fields(cast: Cast) -> None:
    result = plan_of(
        xlsx([existing_row(cast, "staff_x", category="Viên chức", email="sx@example.vn")]),
        cast.agency_a,
    )
    assert result.counts == {"create": 0, "update": 1, "start": 0, "move": 0, "unchanged": 0}
    changes = {(c.column, c.before, c.after) for c in result.rows[0].steps[0].changes}
    assert changes == {
        ("Đối tượng", "Công chức", "Viên chức"),
        ("Thư điện tử", "", "sx@example.vn"),
    }
    apply(result, actor=None)
    entry = AuditEntry.objects.filter(action="org.person.update").latest("id")
    assert entry.after == {"category": "vien_chuc", "email": "sx@example.vn"}
    assert entry.reason == "Nhập Excel: thu.xlsx"


def test_a_different_assignment_is_a_move_from_the_row_date(cast: Cast) -> None:
    old = cast.assignment("staff_x")
    result = plan_of(
        xlsx([existing_row(cast, "staff_x", unit="Y", job="", start="01/07/2025")]), cast.agency_a
    )
    assert result.counts["move"] == 1
    apply(result, actor=None)
    old.refresh_from_db()
    assert old.end_date == D(2025, 6, 30)
    new = cast.assignment("staff_x")
    assert (new.unit, new.job_position, new.start_date) == (cast.unit_y, None, D(2025, 7, 1))


def test_a_person_without_a_main_assignment_starts_one(cast: Cast) -> None:
    row = existing_row(cast, "staff_y", start="01/05/2025")
    services.assignment_end(
        actor=None, assignment=cast.assignment("staff_y"), end_date=D(2025, 3, 31)
    )
    result = plan_of(xlsx([row]), cast.agency_a)
    assert result.counts["start"] == 1
    apply(result, actor=None)
    assert cast.assignment("staff_y").start_date == D(2025, 5, 1)


def test_two_heads_can_swap_units_in_one_file(cast: Cast) -> None:
    result = plan_of(
        xlsx(
            [
                existing_row(cast, "head_x", unit="Y", job="", start="01/09/2025"),
                existing_row(cast, "head_y", unit="X", start="01/09/2025"),
            ]
        ),
        cast.agency_a,
    )
    assert result.ok, errors_of(result)
    apply(result, actor=None)
    assert cast.assignment("head_x").unit == cast.unit_y
    assert cast.assignment("head_y").unit == cast.unit_x


def audit_count() -> int:
    return AuditEntry.objects.count()


def test_each_row_rule_is_reported_with_row_column_value_and_rule(cast: Cast) -> None:
    before = (audit_count(), Person.objects.count(), Assignment.objects.count())
    rows = [
        person_row("E1", "", category="Bộ đội"),  # row 2
        person_row("E2", gender="Khác", birth="31/02/1990"),  # row 3
        person_row("E3", email="không-phải-thư", unit="ZZZ", job="Z-CV"),  # row 4
        person_row("E4", role="Cấp trưởng", start="ngày mai"),  # row 5
        person_row("E5", fields="Tài chính"),  # row 6
        existing_row(cast, "staff_x", unit="Y", job="", start="01/01/2025"),  # row 7
        person_row("E6", birth="01/01/2090"),  # row 8
        person_row("E7", unit="", role=""),  # row 9
    ]
    result = plan_of(xlsx(rows), cast.agency_a)
    assert not result.ok
    assert result.rows == []
    got = errors_of(result)
    assert (2, "Họ và tên", "", "Cột bắt buộc, không được để trống.") in got
    assert got[1][:3] == (2, "Đối tượng", "Bộ đội")
    assert got[1][3].startswith("Không có trong danh sách giá trị hợp lệ (Cán bộ, Công chức")
    assert got[2][:3] == (3, "Giới tính", "Khác")
    assert (3, "Ngày sinh", "31/02/1990", "Không phải ngày hợp lệ (dd/mm/yyyy).") in got
    assert (4, "Thư điện tử", "không-phải-thư", "Địa chỉ thư điện tử không hợp lệ.") in got
    assert [e[:3] for e in got if e[0] == 4][1:] == [
        (4, "Mã đơn vị", "ZZZ"),
        (4, "Mã vị trí việc làm", "Z-CV"),
    ]
    assert (5, "Ngày nhận công tác", "ngày mai", "Không phải ngày hợp lệ (dd/mm/yyyy).") in got
    assert (
        6,
        "Lĩnh vực được phân công",
        "Tài chính",
        "Chỉ cấp phó mới có lĩnh vực được phân công.",
    ) in got
    assert (
        7,
        "Ngày nhận công tác",
        "01/01/2025",
        "Ngày nhận công tác mới phải sau ngày bắt đầu phân công hiện tại (01/01/2025).",
    ) in got
    assert (8, "Ngày sinh", "01/01/2090", "Ngày sinh phải trước hôm nay.") in got
    assert (9, "Mã đơn vị", "", "Cột bắt buộc, không được để trống.") in got
    assert (9, "Chức vụ", "", "Cột bắt buộc, không được để trống.") in got
    assert all(e.rule_en for e in result.errors)
    with pytest.raises(ImportRefused):
        apply(result, actor=None)
    assert (audit_count(), Person.objects.count(), Assignment.objects.count()) == before


def test_a_second_head_for_a_unit_is_refused_on_the_row_that_adds_it(cast: Cast) -> None:
    result = plan_of(
        xlsx([person_row("H1", role="Cấp trưởng"), person_row("H2", unit="Y")]), cast.agency_a
    )
    assert errors_of(result) == [
        (
            2,
            "Chức vụ",
            "Cấp trưởng",
            "Đơn vị “Vụ Xây dựng” sẽ có hơn một cấp trưởng hoặc quyền cấp "
            "trưởng (Nguyễn Văn Head X, Trần Thị Mới).",
        )
    ]


def test_a_refusal_in_a_later_row_writes_nothing(cast: Cast) -> None:
    """Planned against one state, applied against another: the service refuses row 4 and
    rows 2–3, already written inside the transaction, are rolled back."""
    result = plan_of(
        xlsx(
            [
                person_row("L1", "Lê Văn Một"),
                existing_row(cast, "staff_x", category="Viên chức"),
                person_row("L3", "Lê Văn Ba"),
            ]
        ),
        cast.agency_a,
    )
    assert result.ok
    services.person_create(
        actor=None, agency=cast.agency_a, code="L3", full_name="Người khác", category="can_bo"
    )
    before = (audit_count(), Person.objects.count(), Assignment.objects.count())
    with pytest.raises(ImportRefused) as refused:
        apply(result, actor=None)
    assert errors_of_refusal(refused.value) == [(4, "Mã cán bộ", "L3", "Đã có người mang mã “L3”.")]
    assert (audit_count(), Person.objects.count(), Assignment.objects.count()) == before
    assert not Person.objects.filter(code="L1").exists()
    assert Person.objects.get(pk=cast.person("staff_x").pk).category == "cong_chuc"


def errors_of_refusal(error: ImportRefused) -> list[tuple[int | None, str, str, str]]:
    return [(e.row, e.column, e.value, e.rule_vi) for e in error.errors]


def test_importing_the_same_file_twice_changes_nothing_the_second_time(cast: Cast) -> None:
    buffer = xlsx(
        [
            person_row("R1"),
            person_row("R2", "Phạm Văn Hai", unit="Y"),
            existing_row(cast, "staff_x", unit="X1", job="", start="01/04/2025"),
        ]
    )
    apply(plan_of(buffer, cast.agency_a), actor=None)
    snapshot = (audit_count(), Person.objects.count(), Assignment.objects.count())
    second = plan_of(buffer, cast.agency_a)
    assert second.counts == {"create": 0, "update": 0, "start": 0, "move": 0, "unchanged": 3}
    assert apply(second, actor=None)["unchanged"] == 3
    assert (audit_count(), Person.objects.count(), Assignment.objects.count()) == snapshot


def test_codes_are_per_agency_so_the_same_code_elsewhere_is_a_new_person(cast: Cast) -> None:
    code_in_b = cast.person("staff_z").code
    result = plan_of(xlsx([person_row(code_in_b)]), cast.agency_a)
    assert result.counts["create"] == 1


def test_units_and_jobs_of_another_agency_are_not_allowed_values(cast: Cast) -> None:
    result = plan_of(xlsx([person_row(unit="Z", job="Z-CV")]), cast.agency_a)
    assert [e[:3] for e in errors_of(result)] == [
        (2, "Mã đơn vị", "Z"),
        (2, "Mã vị trí việc làm", "Z-CV"),
    ]
