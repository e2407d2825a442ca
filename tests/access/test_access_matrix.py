"""Every role × every kind of object × own / same unit / other unit / other agency.

Each row says who may view and who may change; the helper and the list filter must
agree with it, and a refusal must be an AccessDenied with a Vietnamese message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Cast
from thuocdo.access import (
    access_assignment,
    access_audit_entry,
    access_job_position,
    access_person,
    access_unit,
    visible_assignments,
    visible_audit_entries,
    visible_job_positions,
    visible_people,
    visible_units,
)
from thuocdo.audit.models import AuditEntry
from thuocdo.core.errors import AccessDenied, NotFound

ROLES = [
    "staff_x",
    "deputy_x",
    "head_x",
    "head_y",
    "leader_a",
    "personnel_a",
    "auditor_a",
    "head_z",
    "nobody",
    "operator",
]
A_WIDE = {"leader_a", "personnel_a", "auditor_a", "operator"}
CONFIG_A = {"personnel_a", "operator"}
CONFIG_B = {"operator"}

# target person → who may view them (besides A_WIDE for agency A people)
PERSON_VIEWERS = {
    "staff_x": {"staff_x", "deputy_x", "head_x"} | A_WIDE,
    "staff_x1": {"deputy_x", "head_x"} | A_WIDE,  # office X1 is inside X's subtree
    "head_x": {"head_x", "deputy_x"} | A_WIDE,  # the deputy's scope is the unit, head included
    "staff_y": {"head_y"} | A_WIDE,
    "leader_a": {"leader_a"} | A_WIDE,
    "staff_z": {"head_z", "operator"},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", sorted(PERSON_VIEWERS))
def test_people_are_seen_only_within_scope(cast: Cast, role: str, target: str) -> None:
    user = cast.user(role)
    person = cast.person(target)
    may_view = role in PERSON_VIEWERS[target]
    listed = visible_people(user).filter(pk=person.pk).exists()
    assert listed is may_view
    if may_view:
        assert access_person(user, person.pk) == person
    else:
        with pytest.raises(AccessDenied) as refused:
            access_person(user, person.pk)
        assert "không có quyền xem" in refused.value.message_vi


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", ["staff_x", "staff_y", "staff_z"])
def test_only_the_personnel_office_changes_people_of_its_agency(
    cast: Cast, role: str, target: str
) -> None:
    may_change = role in (CONFIG_B if target == "staff_z" else CONFIG_A)
    check: Callable[[], Any] = lambda: access_person(  # noqa: E731
        cast.user(role), cast.person(target).pk, action="change"
    )
    if may_change:
        assert check() == cast.person(target)
    else:
        with pytest.raises(AccessDenied, match="không có quyền thay đổi"):
            check()


UNIT_VIEWERS = {
    "unit_x": {"staff_x", "deputy_x", "head_x"} | A_WIDE,
    "office_x1": {"deputy_x", "head_x"} | A_WIDE,
    "unit_y": {"head_y"} | A_WIDE,  # personnel_a and auditor_a also sit in Y
    "agency_a": {"leader_a"} | A_WIDE,
    "unit_z": {"head_z", "operator"},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", sorted(UNIT_VIEWERS))
def test_units_are_seen_only_within_scope(cast: Cast, role: str, target: str) -> None:
    unit = getattr(cast, target)
    may_view = role in UNIT_VIEWERS[target]
    assert visible_units(cast.user(role)).filter(pk=unit.pk).exists() is may_view
    if may_view:
        assert access_unit(cast.user(role), unit.pk) == unit
    else:
        with pytest.raises(AccessDenied):
            access_unit(cast.user(role), unit.pk)
    may_change = role in (CONFIG_B if target == "unit_z" else CONFIG_A)
    if may_change:
        assert access_unit(cast.user(role), unit.pk, action="change") == unit
    else:
        with pytest.raises(AccessDenied):
            access_unit(cast.user(role), unit.pk, action="change")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", sorted(PERSON_VIEWERS))
def test_assignments_follow_the_same_scope_as_people(cast: Cast, role: str, target: str) -> None:
    assignment = cast.assignment(target)
    may_view = role in PERSON_VIEWERS[target]
    assert visible_assignments(cast.user(role)).filter(pk=assignment.pk).exists() is may_view
    if may_view:
        assert access_assignment(cast.user(role), assignment.pk) == assignment
    else:
        with pytest.raises(AccessDenied):
            access_assignment(cast.user(role), assignment.pk)
    may_change = role in (CONFIG_B if target == "staff_z" else CONFIG_A)
    if may_change:
        access_assignment(cast.user(role), assignment.pk, action="change")
    else:
        with pytest.raises(AccessDenied):
            access_assignment(cast.user(role), assignment.pk, action="change")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", ["job_x", "job_b"])
def test_job_positions_are_open_within_the_agency(cast: Cast, role: str, target: str) -> None:
    job = getattr(cast, target)
    agency_b_roles = {"head_z", "operator"}
    agency_a_roles = set(ROLES) - {"head_z", "nobody"}
    may_view = role in (agency_b_roles if target == "job_b" else agency_a_roles)
    assert visible_job_positions(cast.user(role)).filter(pk=job.pk).exists() is may_view
    if may_view:
        assert access_job_position(cast.user(role), job.pk) == job
    else:
        with pytest.raises(AccessDenied):
            access_job_position(cast.user(role), job.pk)
    may_change = role in (CONFIG_B if target == "job_b" else CONFIG_A)
    if may_change:
        access_job_position(cast.user(role), job.pk, action="change")
    else:
        with pytest.raises(AccessDenied):
            access_job_position(cast.user(role), job.pk, action="change")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("agency", ["agency_a", "agency_b"])
def test_only_auditors_read_the_audit_log_and_nobody_changes_it(
    cast: Cast, role: str, agency: str
) -> None:
    entry = AuditEntry.objects.filter(agency=getattr(cast, agency)).first()
    assert entry is not None
    may_view = role == "operator" or (role == "auditor_a" and agency == "agency_a")
    assert visible_audit_entries(cast.user(role)).filter(pk=entry.pk).exists() is may_view
    if may_view:
        assert access_audit_entry(cast.user(role), entry.pk) == entry
    else:
        with pytest.raises(AccessDenied):
            access_audit_entry(cast.user(role), entry.pk)
    with pytest.raises(AccessDenied, match="chỉ được ghi thêm"):
        access_audit_entry(cast.user(role), entry.pk, action="change")


@pytest.mark.parametrize(
    "helper",
    [access_person, access_unit, access_assignment, access_job_position, access_audit_entry],
)
def test_unknown_ids_are_not_found_with_a_message_naming_the_id(cast: Cast, helper: Any) -> None:
    with pytest.raises(NotFound) as missing:
        helper(cast.user("operator"), 987654)
    assert "#987654" in missing.value.message_vi
    assert "#987654" in missing.value.message_en


def test_a_moved_head_loses_the_old_units_scope(cast: Cast) -> None:
    import datetime as dt

    from thuocdo.org.services import person_move

    person_move(
        actor=cast.user("personnel_a"),
        person=cast.person("head_x"),
        unit=cast.unit_y,
        start_date=dt.date(2025, 6, 1),
        reason="Điều động",
    )
    head = cast.user("head_x")
    assert not visible_people(head).filter(pk=cast.person("staff_x").pk).exists()
    with pytest.raises(AccessDenied):
        access_person(head, cast.person("staff_x1").pk)


@pytest.mark.parametrize("agency", ["a", "b"])
def test_an_integration_client_reads_evaluations_as_the_agencys_auditors_do(
    cast: Cast, agency: str
) -> None:
    """Issue 17: the results API asks the same helpers with `reader_scope(agency)`; it must
    see what the agency's auditor sees on the web, and nothing of another agency."""
    from io import StringIO

    from django.core.management import call_command

    from tests.evaluations.conftest import make_flow
    from thuocdo.access import (
        reader_scope,
        visible_evaluations,
        visible_periods,
        visible_quota_groups,
        visible_unit_evaluations,
    )

    call_command("load_presets", stdout=StringIO())
    flow = make_flow(cast)
    flow.step("start_self_assessment")
    client = reader_scope(cast.agency_a.pk if agency == "a" else cast.agency_b.pk)
    auditor = cast.user("auditor_a")
    for helper in (
        visible_periods,
        visible_evaluations,
        visible_unit_evaluations,
        visible_quota_groups,
    ):
        seen = set(helper(client).values_list("pk", flat=True))
        if agency == "a":
            assert seen == set(helper(auditor).values_list("pk", flat=True)), helper.__name__
            assert seen or helper is visible_quota_groups, helper.__name__
        else:
            assert seen == set(), helper.__name__
    staff_only = set(visible_evaluations(cast.user("staff_x")).values_list("pk", flat=True))
    if agency == "a":
        assert staff_only < set(visible_evaluations(client).values_list("pk", flat=True))


# Issue 14: framework versions. National versions once issued: every signed-in user; an
# agency's own issued versions: its people; drafts: its personnel office and leadership
# (national drafts: every personnel office); operators read everything.
AGENCY_A_PEOPLE = set(ROLES) - {"head_z", "nobody"}
FRAMEWORK_READERS = {
    "national_published": set(ROLES),
    "national_draft": {"personnel_a", "operator"},
    "a_published": AGENCY_A_PEOPLE,
    "a_draft": {"personnel_a", "leader_a", "operator"},
    "b_published": {"head_z", "operator"},
    "b_draft": {"operator"},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", sorted(FRAMEWORK_READERS))
def test_framework_versions_are_read_within_scope(cast: Cast, role: str, target: str) -> None:
    from thuocdo.access import access_framework_version, visible_framework_versions
    from thuocdo.frameworks import services
    from thuocdo.scoring import load_preset

    owner, status = target.rsplit("_", 1)
    agency = {"national": None, "a": cast.agency_a, "b": cast.agency_b}[owner]
    document = load_preset("decree-335-2025").to_data() | {"version": f"9.{target}"}
    row = services.framework_import(actor=None, agency=agency, document_or_preset_name=document)
    if status == "published":
        row = services.framework_publish(actor=None, version=row)
    user = cast.user(role)
    may_view = role in FRAMEWORK_READERS[target]
    assert visible_framework_versions(user).filter(pk=row.pk).exists() is may_view
    if may_view:
        assert access_framework_version(user, row.pk) == row
    else:
        with pytest.raises(AccessDenied) as refused:
            access_framework_version(user, row.pk)
        assert "không có quyền xem phiên bản khung" in refused.value.message_vi
    with pytest.raises(NotFound, match="#987654"):
        access_framework_version(user, 987654)
