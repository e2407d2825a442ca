"""The demo agency: realistic, deterministic, and loaded only once."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse

from thuocdo.access import scope_for
from thuocdo.audit.models import AuditEntry
from thuocdo.core.models import User
from thuocdo.demo.build import load_demo
from thuocdo.demo.data import AGENCY_CODE, DEMO_PASSWORD
from thuocdo.org.models import Assignment, JobPosition, Person, RoleGrant, Unit


def table_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Unit, Person, JobPosition, Assignment, RoleGrant, User, AuditEntry)
    }


@pytest.fixture
def demo(db: None) -> Unit:
    return load_demo().agency


def test_a_second_load_changes_nothing(demo: Unit) -> None:
    before = table_counts()
    again = load_demo()
    assert again.created is False
    assert table_counts() == before


class _Rollback(Exception):
    pass


def fresh_build() -> list[tuple[object, ...]]:
    """Builds the demo inside a savepoint, reads it, and rolls it back."""
    rows: list[tuple[object, ...]] = []
    try:
        with transaction.atomic():
            load_demo()
            rows = list(
                Assignment.objects.order_by("person__code", "start_date").values_list(
                    "person__code",
                    "person__full_name",
                    "person__birth_date",
                    "unit__code",
                    "role",
                    "start_date",
                    "end_date",
                )
            )
            raise _Rollback
    except _Rollback:
        return rows


def test_the_demo_is_the_same_every_time(db: None) -> None:
    first, second = fresh_build(), fresh_build()
    assert len(first) > 140
    assert first == second


def test_the_agency_has_the_shape_of_the_ban(demo: Unit) -> None:
    departments = Unit.objects.filter(parent=demo)
    assert departments.count() == 11  # Văn phòng Ban and ten vụ/đơn vị
    assert departments.filter(name="Văn phòng Ban").exists()
    assert Unit.objects.filter(parent__name="Văn phòng Ban", kind=Unit.Kind.OFFICE).count() == 3
    people = Person.objects.filter(agency=demo)
    assert 140 <= people.count() <= 160
    titles = Counter(Assignment.objects.filter(unit=demo).values_list("title", flat=True))
    assert titles == {"Trưởng Ban": 1, "Phó Trưởng Ban Thường trực": 1, "Phó Trưởng Ban": 2}
    for unit in departments:
        roles = Counter(
            Assignment.objects.filter(unit=unit, end_date__isnull=True).values_list(
                "role", flat=True
            )
        )
        assert roles["head"] == 1, unit.name
        assert roles["deputy"] >= 1, unit.name
    deputies = Assignment.objects.filter(role="deputy", unit__parent=demo)
    assert all(deputy.assigned_fields for deputy in deputies)
    assert (
        JobPosition.objects.filter(agency=demo, unit__isnull=False)
        .values("unit")
        .distinct()
        .count()
        == 14
    )


def test_names_are_vietnamese_in_nfc_and_unique(demo: Unit) -> None:
    names = list(Person.objects.filter(agency=demo).values_list("full_name", flat=True))
    assert len(set(names)) == len(names)
    assert all(unicodedata.is_normalized("NFC", name) for name in names)
    assert all(len(name.split()) == 3 for name in names)
    assert sum(name.startswith("Nguyễn ") for name in names) >= 30  # the commonest surname
    assert any(any(ch in name for ch in "ăâđêôơư") for name in names)


@pytest.mark.parametrize(
    ("username", "role"),
    [
        ("lanhdao", "leadership"),
        ("truongvu", "unit_leader"),
        ("phovu", "unit_leader"),
        ("chuyenvien", "official"),
        ("tochuc", "personnel"),
        ("thanhtra", "auditor"),
    ],
)
def test_one_demo_login_per_role(client: Client, demo: Unit, username: str, role: str) -> None:
    page = client.post(reverse("web:login"), {"username": username, "password": DEMO_PASSWORD})
    assert page.status_code == 302
    user = User.objects.get(username=username)
    assert role in scope_for(user).roles


def test_every_demo_row_was_written_through_an_audited_service(demo: Unit) -> None:
    entries = AuditEntry.objects.filter(agency=demo)
    assert (
        entries.filter(action="org.person.create").count()
        == Person.objects.filter(agency=demo).count()
    )
    assert (
        entries.filter(action="org.assignment.start").count()
        == Assignment.objects.filter(unit__agency=demo).count()
    )
    assert set(entries.values_list("channel", flat=True)) == {"cli:load_demo"}
    assert Unit.objects.get(parent__isnull=True, code=AGENCY_CODE) == demo


def test_a_year_of_work_tells_realistic_stories(demo: Unit) -> None:
    from thuocdo.core.origin import origin_scope
    from thuocdo.demo.work import WorkHistory
    from thuocdo.work.models import Exemption, Task

    today = dt.date(2026, 11, 24)
    with origin_scope("cli:load_demo"), transaction.atomic():
        made = WorkHistory(demo, seed=335, today=today).build(people_limit=6)
    tasks = Task.objects.filter(agency=demo)
    assert made == tasks.count() > 6 * 11 * 15  # about 20 a month for each of the six
    states = set(tasks.values_list("state", flat=True))
    assert {"accepted", "handed_back"} <= states
    assert states & {"assigned", "in_progress", "submitted", "returned", "resubmitted"}
    assert tasks.filter(delays__gt=0).exists() and tasks.filter(failures__gt=0).exists()
    assert Exemption.objects.filter(task__agency=demo, status="approved").exists()
    assert not tasks.filter(assigned_on__gt=today).exists()
    assert set(tasks.values_list("kind", flat=True)) == {"planned", "arising", "other"}
    # The year of work is there now, so loading again adds nothing.
    again = load_demo(with_work=True, evaluations=False, today=today)
    assert again.tasks == 0 and Task.objects.filter(agency=demo).count() == made


def test_nothing_in_the_demo_happens_in_the_future(demo: Unit) -> None:
    """Issue 13: "Nộp lúc 02/12/2026 15:00" was shown at 04:00 the same day."""
    from thuocdo.audit.models import AuditEntry
    from thuocdo.core import clock
    from thuocdo.core.origin import origin_scope
    from thuocdo.demo.work import WorkHistory
    from thuocdo.work.models import Task, TaskEvent

    before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with origin_scope("cli:load_demo"), transaction.atomic():
        WorkHistory(demo, seed=335, today=clock.today()).build(people_limit=8)
    now = clock.now()  # the pinned clock ticks: now is after the build
    events = TaskEvent.objects.filter(task__agency=demo)
    today = events.filter(at__gte=clock.at(clock.today()))
    assert today.exists(), "the demo has steps today, so the cap is exercised"
    late = list(events.filter(at__gt=now).values_list("at", "action")[:5])
    assert not late, late
    assert not Task.objects.filter(agency=demo, created_at__gt=now).exists()
    assert not AuditEntry.objects.filter(id__gt=before, at__gt=now).exists()


@pytest.mark.now("2026-03-18 09:30")
def test_the_demo_has_decided_months_one_in_review_and_one_open(demo: Unit) -> None:
    """Issue 13: the demo had no decided period, so no dashboard showed a distribution.
    At 18 March: January decided and published (with a complaint answered), February in
    review with the demo department's people still waiting, March open."""
    from thuocdo.core import clock
    from thuocdo.core.origin import origin_scope
    from thuocdo.demo.work import WorkHistory
    from thuocdo.evaluations.models import (
        Complaint,
        Evaluation,
        Notification,
        Period,
        UnitEvaluation,
    )

    call_command("load_presets", stdout=StringIO())
    today = clock.today()
    with origin_scope("cli:load_demo"), transaction.atomic():
        WorkHistory(demo, seed=335, today=today).build(people_limit=40)
    before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    made = load_demo(with_work=True, today=today)
    now = clock.now()
    assert made.tasks == 0 and made.periods == 3
    states = dict(Period.objects.filter(agency=demo).values_list("number", "state"))
    assert states == {1: "published", 2: "review", 3: "open"}

    january = Evaluation.objects.filter(period__agency=demo, period__number=1)
    assert january.count() == Evaluation.objects.filter(period__number=2).count() > 100
    assert set(january.values_list("state", flat=True)) == {"decided"}
    assert january.filter(notified_at__isnull=False).count() == january.count()
    assert len({r for r in january.values_list("rating", flat=True) if r}) >= 2
    assert not UnitEvaluation.objects.filter(period__number=1).exclude(state="decided").exists()
    for group in Period.objects.get(agency=demo, number=1).quota_groups.all():
        assert group.decided_at is not None and group.decision["final"], group.code
        final = group.decision["final"]
        assert final["excellent"] <= Decimal(group.decision["ratio"]) * final["good"], group.code

    complaint = Complaint.objects.get(evaluation__period__number=1)
    assert complaint.state == "answered" and complaint.answered_at <= now
    assert complaint.filed_at.date() <= complaint.evaluation.complaint_until
    # History is not news: no notice of a task, none to the head of an answered complaint.
    assert not Notification.objects.filter(link__startswith="/work/").exists()
    assert not Notification.objects.filter(
        link=reverse("web:ev_complaint", args=[complaint.pk])
    ).exists()

    february = Evaluation.objects.filter(period__number=2)
    assert not february.filter(state="draft").exists()
    waiting = february.filter(state="self_assessed")
    assert waiting.exists() and february.filter(state="reviewed").exists()
    home = Assignment.objects.get(person__user__username="truongvu", end_date__isnull=True).unit
    assert {ev.unit.path.startswith(home.path) for ev in waiting.select_related("unit")} == {True}

    steps = AuditEntry.objects.filter(id__gt=before)
    assert not steps.filter(at__gt=now).exists(), "nothing in the demo happens in the future"
    assert set(steps.values_list("channel", flat=True)) == {"cli:load_demo"}
    assert steps.filter(action="evaluations.period.publish").count() == 1
    # Loaded once: a second call changes nothing.
    again = load_demo(with_work=True, today=today)
    assert again.periods == 0 and Period.objects.filter(agency=demo).count() == 3
