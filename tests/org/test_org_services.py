from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from django.db import IntegrityError, transaction

from tests.conftest import Cast
from thuocdo.core.errors import Conflict, ValidationFailed
from thuocdo.core.text import clean_text, fold
from thuocdo.org import selectors, services
from thuocdo.org.models import Assignment, Person, Unit


def test_a_unit_knows_its_agency_and_path(cast: Cast) -> None:
    assert cast.office_x1.agency_id == cast.agency_a.pk
    assert cast.office_x1.path == f"/{cast.agency_a.pk}/{cast.unit_x.pk}/{cast.office_x1.pk}/"
    assert set(selectors.subtree(cast.unit_x)) == {cast.unit_x, cast.office_x1}
    assert cast.agency_a.agency_id == cast.agency_a.pk and cast.agency_a.is_agency


def test_unit_codes_are_unique_per_agency_only(cast: Cast) -> None:
    with pytest.raises(Conflict, match="mã “X”"):
        services.unit_create(actor=None, parent=cast.agency_a, code="X", name="Trùng mã")
    other = services.unit_create(actor=None, parent=cast.agency_b, code="X", name="Vụ X ở B")
    assert other.agency_id == cast.agency_b.pk


def test_names_are_stored_in_nfc_and_searchable_without_accents(cast: Cast) -> None:
    decomposed = unicodedata.normalize("NFD", "  Đặng   Thị Thuỳ  Dương ")
    person = services.person_create(
        actor=None,
        agency=cast.agency_a,
        code="NFD1",
        full_name=decomposed,
        category=Person.Category.CONTRACT,
    )
    assert person.full_name == "Đặng Thị Thuỳ Dương"
    assert unicodedata.is_normalized("NFC", person.full_name)
    assert person.search_name == "dang thi thuy duong"
    assert fold("NGUYỄN Văn Ánh") == "nguyen van anh"
    assert clean_text("a\u00a0 b") == "a b"


def test_moving_ends_one_assignment_and_starts_another(cast: Cast) -> None:
    person = cast.person("staff_x")
    old = cast.assignment("staff_x")
    new = services.person_move(
        actor=None,
        person=person,
        unit=cast.unit_y,
        start_date=dt.date(2025, 7, 1),
        reason="Điều động",
    )
    old.refresh_from_db()
    assert old.end_date == dt.date(2025, 6, 30)
    assert new.unit == cast.unit_y and new.end_date is None
    assert selectors.main_assignment(person, dt.date(2025, 6, 30)) == old
    assert selectors.main_assignment(person, dt.date(2025, 7, 1)) == new
    assert person.assignments.count() == 2


def test_a_transfer_to_another_agency_keeps_the_history(cast: Cast) -> None:
    person = cast.person("staff_y")
    services.person_move(
        actor=None,
        person=person,
        unit=cast.unit_z,
        start_date=dt.date(2025, 8, 1),
        reason="Chuyển công tác",
    )
    person.refresh_from_db()
    assert person.agency_id == cast.agency_b.pk
    units = list(person.assignments.order_by("start_date").values_list("unit__code", flat=True))
    assert units == ["Y", "Z"]


def test_a_move_cannot_start_before_the_current_assignment(cast: Cast) -> None:
    with pytest.raises(ValidationFailed) as error:
        services.person_move(
            actor=None,
            person=cast.person("staff_x"),
            unit=cast.unit_y,
            start_date=dt.date(2024, 12, 31),
        )
    assert error.value.field == "start_date"
    assert cast.assignment("staff_x").unit == cast.unit_x


def test_a_second_main_assignment_is_refused(cast: Cast) -> None:
    with pytest.raises(Conflict, match="chuyển công tác"):
        services.assignment_start(
            actor=None,
            person=cast.person("staff_x"),
            unit=cast.unit_y,
            start_date=dt.date(2025, 2, 1),
        )
    concurrent = services.assignment_start(
        actor=None,
        person=cast.person("staff_x"),
        unit=cast.unit_y,
        start_date=dt.date(2025, 2, 1),
        is_concurrent=True,
    )
    assert concurrent.is_concurrent


def test_the_database_keeps_one_head_per_unit(cast: Cast) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(
            person=cast.person("staff_y"),
            unit=cast.unit_x,
            role=Assignment.Role.HEAD,
            start_date=dt.date(2025, 1, 1),
            is_concurrent=True,
        )


def test_only_deputies_have_assigned_fields(cast: Cast) -> None:
    with pytest.raises(ValidationFailed, match="cấp phó"):
        services.assignment_start(
            actor=None,
            person=cast.person("staff_x"),
            unit=cast.unit_y,
            start_date=dt.date(2025, 2, 1),
            is_concurrent=True,
            assigned_fields=["Tài chính"],
        )


def test_an_end_before_the_start_is_refused(cast: Cast) -> None:
    with pytest.raises(ValidationFailed, match="trước ngày bắt đầu"):
        services.assignment_end(
            actor=None, assignment=cast.assignment("staff_x"), end_date=dt.date(2024, 1, 1)
        )
    assignment = cast.assignment("staff_x")
    services.assignment_end(actor=None, assignment=assignment, end_date=dt.date(2025, 3, 1))
    with pytest.raises(Conflict, match="đã kết thúc"):
        services.assignment_end(actor=None, assignment=assignment, end_date=dt.date(2025, 3, 2))


def test_unknown_categories_and_kinds_are_refused(cast: Cast) -> None:
    with pytest.raises(ValidationFailed, match="Đối tượng"):
        services.person_create(
            actor=None, agency=cast.agency_a, code="Q1", full_name="Lê Văn Q", category="minister"
        )
    with pytest.raises(ValidationFailed, match="Loại đơn vị"):
        services.unit_create(
            actor=None, parent=cast.agency_a, code="Q", name="Q", kind=Unit.Kind.AGENCY
        )


def test_units_and_people_are_updated_with_their_changes_only(cast: Cast) -> None:
    unit = services.unit_update(actor=None, unit=cast.unit_x, name=" Vụ  Xây dựng mới ")
    assert unit.name == "Vụ Xây dựng mới"
    with pytest.raises(ValidationFailed, match="Không sửa được"):
        services.unit_update(actor=None, unit=cast.unit_x, code="NEW")
    person = services.person_update(
        actor=None, person=cast.person("staff_x"), full_name="Trần  Thị Mới"
    )
    assert person.search_name == "tran thi moi"


def test_roles_are_granted_per_agency_and_revoked_with_a_date(cast: Cast) -> None:
    user = cast.user("staff_x")
    with pytest.raises(ValidationFailed, match="theo cơ quan"):
        services.role_grant(
            actor=None,
            user=user,
            agency=cast.unit_x,
            role="auditor",
            start_date=dt.date(2025, 1, 1),
        )
    grant = services.role_grant(
        actor=None, user=user, agency=cast.agency_a, role="auditor", start_date=dt.date(2025, 1, 1)
    )
    with pytest.raises(Conflict):
        services.role_grant(
            actor=None,
            user=user,
            agency=cast.agency_a,
            role="auditor",
            start_date=dt.date(2025, 1, 1),
        )
    services.role_revoke(actor=None, grant=grant, end_date=dt.date(2025, 2, 1))
    with pytest.raises(Conflict):
        services.role_revoke(actor=None, grant=grant, end_date=dt.date(2025, 2, 1))
