"""The cast every test can use: two agencies, units, people in each role.

Agency A ("BA"): root with leadership, department X with office X1, department Y.
Agency B ("BB"): root with department Z.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings

from thuocdo.core.models import User
from thuocdo.core.origin import origin_scope
from thuocdo.org import services
from thuocdo.org.models import Assignment, JobPosition, Person, RoleGrant, Unit

# Every test runs at a pinned moment (tests/clock.py): the machine's date never matters.
pytest_plugins = ["tests.clock"]

START = dt.date(2025, 1, 1)
PASSWORD = "Mật-khẩu-thử-2025"


def pytest_configure() -> None:
    # Tests render templates without running collectstatic first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Jobs run where they are queued, inside the test's transaction; tests of the worker
    # itself switch to the database backend (tests/jobs/).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    # Argon2 stays in production; tests hash fast. One test checks Argon2 explicitly.
    # API rate counters in memory, emptied before each test (see reset_api_rates).
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "thuocdo-tests-throttle",
        },
    }
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ]


@pytest.fixture(autouse=True)
def page_language_reset() -> Iterator[None]:
    """A request in English leaves English active in its thread; the next test starts in
    the default language, as a fresh request would."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def reset_api_rates() -> None:
    """Each test starts with no API requests counted against any client or address."""
    from django.core.cache import caches

    caches["throttle"].clear()


@dataclass
class Cast:
    agency_a: Unit
    unit_x: Unit
    office_x1: Unit
    unit_y: Unit
    agency_b: Unit
    unit_z: Unit
    job_x: JobPosition
    job_b: JobPosition
    people: dict[str, Person]
    users: dict[str, User]

    def user(self, name: str) -> User:
        # A fresh instance each time: the scope is cached on the user object.
        return User.objects.get(pk=self.users[name].pk)

    def person(self, name: str) -> Person:
        return self.people[name]

    def assignment(self, name: str) -> Assignment:
        return Assignment.objects.get(
            person=self.people[name], end_date__isnull=True, is_concurrent=False
        )


def make_cast() -> Cast:
    with origin_scope("cli:test"):
        agency_a = services.agency_create(actor=None, code="BA", name="Ban Thử nghiệm A")
        unit_x = services.unit_create(actor=None, parent=agency_a, code="X", name="Vụ Xây dựng")
        office_x1 = services.unit_create(
            actor=None, parent=unit_x, code="X1", name="Phòng Một", kind=Unit.Kind.OFFICE
        )
        unit_y = services.unit_create(actor=None, parent=agency_a, code="Y", name="Vụ Yên Bình")
        agency_b = services.agency_create(actor=None, code="BB", name="Sở Thử nghiệm B")
        unit_z = services.unit_create(actor=None, parent=agency_b, code="Z", name="Phòng Zét")
        job_x = services.job_position_create(
            actor=None, agency=agency_a, unit=unit_x, code="X-CV", name="Chuyên viên Vụ X"
        )
        job_b = services.job_position_create(
            actor=None, agency=agency_b, unit=unit_z, code="Z-CV", name="Chuyên viên Phòng Z"
        )
        plan = [
            ("leader_a", agency_a, Assignment.Role.HEAD),
            ("head_x", unit_x, Assignment.Role.HEAD),
            ("deputy_x", unit_x, Assignment.Role.DEPUTY),
            ("staff_x", unit_x, Assignment.Role.STAFF),
            ("staff_x1", office_x1, Assignment.Role.STAFF),
            ("head_y", unit_y, Assignment.Role.HEAD),
            ("staff_y", unit_y, Assignment.Role.STAFF),
            ("personnel_a", unit_y, Assignment.Role.STAFF),
            ("auditor_a", unit_y, Assignment.Role.STAFF),
            ("head_z", unit_z, Assignment.Role.HEAD),
            ("staff_z", unit_z, Assignment.Role.STAFF),
        ]
        people: dict[str, Person] = {}
        users: dict[str, User] = {}
        for index, (name, unit, role) in enumerate(plan, start=1):
            agency = agency_b if unit.agency_id == agency_b.pk else agency_a
            person = services.person_create(
                actor=None,
                agency=agency,
                code=f"P{index:03d}",
                full_name=f"Nguyễn Văn {name.replace('_', ' ').title()}",
                category=Person.Category.CIVIL_SERVANT,
            )
            services.assignment_start(
                actor=None,
                person=person,
                unit=unit,
                role=role,
                start_date=START,
                job_position=job_x if unit == unit_x else None,
                assigned_fields=["Lĩnh vực thử"] if role == Assignment.Role.DEPUTY else [],
            )
            users[name] = services.person_set_login(
                actor=None, person=person, username=name, password=PASSWORD
            )
            people[name] = person
        services.role_grant(
            actor=None,
            user=users["personnel_a"],
            agency=agency_a,
            role=RoleGrant.Role.PERSONNEL,
            start_date=START,
        )
        services.role_grant(
            actor=None,
            user=users["auditor_a"],
            agency=agency_a,
            role=RoleGrant.Role.AUDITOR,
            start_date=START,
        )
        users["operator"] = User.objects.create_superuser("operator", "", PASSWORD)
        users["nobody"] = User.objects.create_user("nobody", "", PASSWORD)
    return Cast(agency_a, unit_x, office_x1, unit_y, agency_b, unit_z, job_x, job_b, people, users)


def load_cast() -> Cast:
    units = {unit.code: unit for unit in Unit.objects.all()}
    people = {p.user.username: p for p in Person.objects.select_related("user") if p.user}
    users = {user.username: user for user in User.objects.all()}
    return Cast(
        units["BA"],
        units["X"],
        units["X1"],
        units["Y"],
        units["BB"],
        units["Z"],
        JobPosition.objects.get(code="X-CV"),
        JobPosition.objects.get(code="Z-CV"),
        people,
        users,
    )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """The cast is made once; each test runs in a transaction that is rolled back."""
    with django_db_blocker.unblock():
        make_cast()


@pytest.fixture
def cast(db: None) -> Cast:
    return load_cast()


@pytest.fixture
def cast_committed(transactional_db: None) -> Cast:
    """The cast in committed rows, for tests where another connection, thread or process
    must see the data (a worker, a live server); the flush after such a test removes it."""
    if not Unit.objects.filter(code="BA").exists():
        make_cast()
    return load_cast()
