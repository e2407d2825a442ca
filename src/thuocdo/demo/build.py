"""Builds the demo agency through the org services, so every row has its audit entry.

Deterministic: the same seed gives the same people, names and assignments.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from thuocdo.core import clock
from thuocdo.core.memory import collector_paused
from thuocdo.core.models import User
from thuocdo.core.origin import origin_scope
from thuocdo.demo.cycle import EvaluationHistory
from thuocdo.demo.data import (
    AGENCY_CODE,
    AGENCY_NAME,
    AGENCY_NAME_EN,
    AGENCY_SHORT,
    DEMO_LOGINS,
    DEMO_PASSWORD,
    GIVEN_FEMALE,
    GIVEN_MALE,
    LEADERSHIP,
    MIDDLE_FEMALE,
    MIDDLE_MALE,
    SURNAMES,
    UNITS,
    UnitSpec,
)
from thuocdo.demo.work import WorkHistory
from thuocdo.evaluations.models import Period
from thuocdo.org import services
from thuocdo.org.models import Assignment, JobPosition, Person, RoleGrant, Unit
from thuocdo.work.models import Task

START = dt.date(2025, 3, 1)
MOVE_DAY = dt.date(2025, 9, 1)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role_vi: str
    role_en: str
    person_name: str
    where: str


@dataclass
class DemoResult:
    created: bool
    agency: Unit
    logins: list[DemoLogin] = field(default_factory=list)
    tasks: int = 0
    periods: int = 0


class NameMaker:
    """Realistic Vietnamese names (NFC, full diacritics), never the same twice."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()
        self.surnames = [name for name, _ in SURNAMES]
        self.weights = [weight for _, weight in SURNAMES]

    def make(self, gender: str) -> str:
        for _ in range(1000):
            surname = self.rng.choices(self.surnames, self.weights)[0]
            if gender == Person.Gender.MALE:
                middle, given = self.rng.choice(MIDDLE_MALE), self.rng.choice(GIVEN_MALE)
            else:
                middle, given = self.rng.choice(MIDDLE_FEMALE), self.rng.choice(GIVEN_FEMALE)
            name = f"{surname} {middle} {given}"
            if name not in self.used and middle != given:
                self.used.add(name)
                return name
        raise RuntimeError("ran out of demo names")


class Builder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.names = NameMaker(self.rng)
        self.counter = 0
        self.agency: Unit | None = None

    def person(
        self,
        category: str = Person.Category.CIVIL_SERVANT,
        *,
        senior: bool = False,
        gender: str | None = None,
    ) -> Person:
        assert self.agency is not None
        self.counter += 1
        gender = gender or self.rng.choice([Person.Gender.MALE, Person.Gender.FEMALE])
        year = self.rng.randint(1966, 1978) if senior else self.rng.randint(1975, 1998)
        born = dt.date(year, self.rng.randint(1, 12), self.rng.randint(1, 28))
        code = f"CB{self.counter:04d}"
        return services.person_create(
            actor=None,
            agency=self.agency,
            code=code,
            full_name=self.names.make(gender),
            category=category,
            gender=gender,
            birth_date=born,
            email=f"{code.lower()}@demo.thuocdo.vn",
        )

    def job(
        self,
        unit: Unit | None,
        code: str,
        name: str,
        *,
        leadership: bool = False,
        description: str = "",
        order: int = 0,
    ) -> JobPosition:
        assert self.agency is not None
        return services.job_position_create(
            actor=None,
            agency=self.agency,
            unit=unit,
            code=code,
            name=name,
            is_leadership=leadership,
            sort_order=order,
            description=description
            or f"{name}: thực hiện nhiệm vụ theo chức năng của đơn vị, "
            "chịu trách nhiệm về khối lượng, chất lượng và tiến độ sản phẩm được giao.",
        )

    def staff_unit(self, spec: UnitSpec, unit: Unit) -> dict[str, Person]:
        """Head, deputies and staff of one unit; returns named people for the demo logins."""
        named: dict[str, Person] = {}
        head_job = self.job(unit, f"{spec.code}-LD1", spec.head_title, leadership=True, order=1)
        deputy_job = self.job(unit, f"{spec.code}-LD2", spec.deputy_title, leadership=True, order=2)
        jobs = [
            self.job(unit, f"{spec.code}-CM{i + 1}", name, order=10 + i)
            for i, name in enumerate(spec.jobs)
        ]
        category = (
            Person.Category.PUBLIC_EMPLOYEE
            if spec.code.startswith("TT")
            else Person.Category.CIVIL_SERVANT
        )
        head = self.person(category, senior=True)
        services.assignment_start(
            actor=None,
            person=head,
            unit=unit,
            start_date=START,
            role=Assignment.Role.HEAD,
            job_position=head_job,
            title=spec.head_title,
        )
        named["head"] = head
        for index, assigned in enumerate(spec.fields):
            deputy = self.person(category, senior=True)
            services.assignment_start(
                actor=None,
                person=deputy,
                unit=unit,
                start_date=START,
                role=Assignment.Role.DEPUTY,
                job_position=deputy_job,
                title=spec.deputy_title,
                assigned_fields=[assigned] if assigned else [],
            )
            named.setdefault("deputy", deputy) if index == 0 else None
        for index in range(spec.staff):
            job = jobs[index % len(jobs)]
            staff_category = (
                Person.Category.CONTRACT if job.name == "Nhân viên phục vụ" else category
            )
            member = self.person(staff_category)
            services.assignment_start(
                actor=None, person=member, unit=unit, start_date=START, job_position=job, title=""
            )
            named.setdefault("staff", member)
        return named

    def build(self) -> DemoResult:
        agency = services.agency_create(
            actor=None,
            code=AGENCY_CODE,
            name=AGENCY_NAME,
            name_en=AGENCY_NAME_EN,
            short_name=AGENCY_SHORT,
        )
        self.agency = agency
        leaders_job = self.job(None, "LDB", "Lãnh đạo Ban", leadership=True, order=0)
        leaders: list[Person] = []
        for role, title, fields in LEADERSHIP:
            leader = self.person(Person.Category.CADRE, senior=True)
            services.assignment_start(
                actor=None,
                person=leader,
                unit=agency,
                start_date=START,
                role=role,
                job_position=leaders_job,
                title=title,
                assigned_fields=list(fields),
            )
            leaders.append(leader)
        people: dict[str, dict[str, Person]] = {}
        units: dict[str, Unit] = {}
        for order, spec in enumerate(UNITS, start=1):
            unit = services.unit_create(
                actor=None,
                parent=agency,
                code=spec.code,
                name=spec.name,
                name_en=spec.name_en,
                kind=spec.kind,
                sort_order=order,
                valid_from=START,
            )
            units[spec.code] = unit
            people[spec.code] = self.staff_unit(spec, unit)
            for sub_order, sub in enumerate(spec.offices, start=1):
                sub_unit = services.unit_create(
                    actor=None,
                    parent=unit,
                    code=sub.code,
                    name=sub.name,
                    name_en=sub.name_en,
                    kind=sub.kind,
                    sort_order=sub_order,
                    valid_from=START,
                )
                units[sub.code] = sub_unit
                people[sub.code] = self.staff_unit(sub, sub_unit)

        # History: an official who moved between departments in September.
        official = people["V-CL"]["staff"]
        services.person_move(
            actor=None,
            person=official,
            unit=units["V-KTVM"],
            start_date=MOVE_DAY,
            job_position=JobPosition.objects.get(agency=agency, code="V-KTVM-CM1"),
            reason="Điều động theo Quyết định số 215-QĐ/BCSCL ngày 25/8/2025",
        )
        personnel_officer = people["VP-TCCB"]["staff"]
        auditor = people["VP-TH"]["staff"]
        holders = {
            "lanhdao": leaders[0],
            "truongvu": people["V-KTVM"]["head"],
            "phovu": people["V-KTVM"]["deputy"],
            "chuyenvien": official,
            "tochuc": personnel_officer,
            "thanhtra": auditor,
        }
        result = DemoResult(created=True, agency=agency)
        for username, person in holders.items():
            services.person_set_login(
                actor=None, person=person, username=username, password=DEMO_PASSWORD
            )
            assignment = Assignment.objects.filter(person=person, end_date__isnull=True).first()
            where = assignment.unit.name if assignment else agency.name
            role_vi, role_en = DEMO_LOGINS[username]
            result.logins.append(DemoLogin(username, role_vi, role_en, person.full_name, where))
        tochuc = User.objects.get(username="tochuc")
        services.role_grant(
            actor=None, user=tochuc, agency=agency, role=RoleGrant.Role.PERSONNEL, start_date=START
        )
        thanhtra = User.objects.get(username="thanhtra")
        services.role_grant(
            actor=None, user=thanhtra, agency=agency, role=RoleGrant.Role.AUDITOR, start_date=START
        )
        return result


def demo_logins() -> list[DemoLogin]:
    """The demo logins as they stand in the database (for printing)."""
    found: list[DemoLogin] = []
    for username, (role_vi, role_en) in DEMO_LOGINS.items():
        person = Person.objects.filter(user__username=username).first()
        if person is None:
            continue
        assignment = (
            Assignment.objects.filter(person=person, end_date__isnull=True)
            .select_related("unit")
            .first()
        )
        found.append(
            DemoLogin(
                username,
                role_vi,
                role_en,
                person.full_name,
                assignment.unit.name if assignment else "",
            )
        )
    return found


@collector_paused()  # a year of work builds hundreds of thousands of objects (core.memory)
def load_demo(
    seed: int = 335,
    *,
    with_work: bool = False,
    evaluations: bool = True,
    today: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
) -> DemoResult:
    """Creates the demo agency once (and, when asked, its year of work and of evaluations:
    the months before last decided and published, last month in review, this month open);
    a second call finds what exists and changes nothing."""
    existing = Unit.objects.filter(parent__isnull=True, code=AGENCY_CODE).first()
    if existing is not None:
        result = DemoResult(created=False, agency=existing, logins=demo_logins())
    else:
        with origin_scope("cli:load_demo"), transaction.atomic():
            result = Builder(seed).build()
    if with_work and not Task.objects.filter(agency=result.agency).exists():
        with origin_scope("cli:load_demo"), transaction.atomic():
            result.tasks = WorkHistory(
                result.agency,
                seed=seed,
                today=today or clock.today(),
                progress=progress,
            ).build()
    if with_work and evaluations and not Period.objects.filter(agency=result.agency).exists():
        with origin_scope("cli:load_demo"), transaction.atomic():
            result.periods = EvaluationHistory(
                result.agency, seed=seed, today=today or clock.today(), progress=progress
            ).build()
    return result
