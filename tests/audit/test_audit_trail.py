"""Every write leaves one audit entry in its own transaction; entries never change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction

from tests.conftest import Cast
from thuocdo.audit.models import AppendOnlyError, AuditEntry
from thuocdo.audit.services import record
from thuocdo.core.errors import Conflict, ValidationFailed
from thuocdo.core.origin import Origin, origin_scope
from thuocdo.org import services
from thuocdo.org.models import Assignment, Person


def test_a_write_records_who_what_before_after_and_origin(cast: Cast) -> None:
    actor = cast.user("personnel_a")
    person = cast.person("staff_x")
    origin = Origin(channel="web", ip="10.1.2.3", user_agent="Thử nghiệm", path="/people/1/")
    with origin_scope(origin):
        services.person_update(
            actor=actor, person=person, email="moi@example.vn", reason="Cập nhật theo đề nghị"
        )
    entry = AuditEntry.objects.get(action="org.person.update", object_id=str(person.pk))
    assert entry.actor == actor
    assert entry.actor_name == actor.get_full_name() == cast.person("personnel_a").full_name
    assert entry.agency_id == cast.agency_a.pk
    assert entry.before == {"email": ""}
    assert entry.after == {"email": "moi@example.vn"}
    assert entry.reason == "Cập nhật theo đề nghị"
    assert (entry.channel, entry.ip, entry.user_agent, entry.path) == (
        "web",
        "10.1.2.3",
        "Thử nghiệm",
        "/people/1/",
    )
    assert entry.request_id == origin.request_id


def test_a_move_is_recorded_as_an_end_and_a_start_in_one_transaction(cast: Cast) -> None:
    before = AuditEntry.objects.count()
    services.person_move(
        actor=cast.user("personnel_a"),
        person=cast.person("staff_x"),
        unit=cast.unit_y,
        start_date=dt.date(2025, 5, 1),
        reason="Điều động",
    )
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True)[before:])
    assert actions == ["org.assignment.end", "org.assignment.start"]


def test_a_refused_write_leaves_neither_data_nor_audit_entry(cast: Cast) -> None:
    audit_before = AuditEntry.objects.count()
    assignments_before = Assignment.objects.count()
    with pytest.raises(Conflict, match="đã có cấp trưởng"):
        services.person_move(
            actor=cast.user("personnel_a"),
            person=cast.person("staff_y"),
            unit=cast.unit_x,
            role=Assignment.Role.HEAD,
            start_date=dt.date(2025, 5, 1),
        )
    # The old assignment's end was rolled back with the refused start.
    assert cast.assignment("staff_y").end_date is None
    assert Assignment.objects.count() == assignments_before
    assert AuditEntry.objects.count() == audit_before


def test_a_validation_error_names_the_field(cast: Cast) -> None:
    with pytest.raises(ValidationFailed) as error:
        services.person_create(
            actor=None,
            agency=cast.agency_a,
            code="N1",
            full_name="  ",
            category=Person.Category.CIVIL_SERVANT,
        )
    assert error.value.field == "full_name"
    assert error.value.message_vi == "Thiếu họ và tên."


def test_record_refuses_to_run_outside_a_transaction(transactional_db: None) -> None:
    with pytest.raises(RuntimeError, match="inside the writing service"):
        record(actor=None, action="test.outside")


def test_the_app_offers_no_way_to_change_or_delete_entries(cast: Cast) -> None:
    entry = AuditEntry.objects.first()
    assert entry is not None
    entry.action = "forged"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="forged")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.get(pk=entry.pk).action != "forged"


def test_the_database_refuses_an_update_behind_the_apps_back(cast: Cast) -> None:
    entry = AuditEntry.objects.first()
    assert entry is not None
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET action = 'forged' WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).action == entry.action


def test_the_database_also_refuses_a_delete(cast: Cast) -> None:
    """Both databases: a trigger refuses DELETE (SQLite as PostgreSQL, since the chain)."""
    entry = AuditEntry.objects.first()
    assert entry is not None
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_passwords_never_reach_the_log(cast: Cast) -> None:
    services.person_set_login(
        actor=cast.user("personnel_a"),
        person=cast.person("head_z"),
        username="head_z",
        password="bí-mật-rất-dài-123",
    )
    entry = AuditEntry.objects.filter(action="org.person.set_login").latest("id")
    assert entry.after == {"username": "head_z", "password_set": True}
    assert "bí-mật" not in str(entry.after)


def test_an_edit_that_changes_nothing_writes_nothing(cast: Cast) -> None:
    person = cast.person("staff_x")
    before = AuditEntry.objects.count()
    services.person_update(actor=None, person=person, full_name=f"  {person.full_name} ")
    services.unit_update(actor=None, unit=cast.unit_x, name=cast.unit_x.name)
    assert AuditEntry.objects.count() == before


def test_a_login_s_name_reads_in_vietnamese_order(cast: Cast) -> None:
    """Django joins first and last name the Western way ("Diệu Anh Vũ"); the audit log,
    job pages and imports showed names so. The person's own order is kept."""
    with origin_scope("cli:test"):
        person = services.person_create(
            actor=None,
            agency=cast.agency_a,
            code="VN01",
            full_name="Anh Vũ Diệu",
            category=Person.Category.CIVIL_SERVANT,
        )
        user = services.person_set_login(
            actor=None, person=person, username="vudieu", password=None
        )
    assert (user.last_name, user.first_name) == ("Anh Vũ", "Diệu")
    assert user.get_full_name() == "Anh Vũ Diệu"
