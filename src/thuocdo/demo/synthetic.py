"""A synthetic agency of any size, for measuring: 1,000 to 100,000 officials with about
twenty tasks each in one month, taken to the decision step of that month's period.

Rows are written as the services would leave them (unit paths and depths, folded names,
copied coefficients, task counters, evaluations reviewed with general-criteria scores,
approved minutes, decided units), with explicit ids and one COPY per table on PostgreSQL
(an INSERT run with executemany on SQLite), so 100,000 officials and 2,000,000 tasks take
minutes. The rows carry no audit entries or task events: they are data to measure with,
not a history. `tests/demo/test_synthetic.py` checks that the services read them as their
own (a sample scored person by person agrees with the set-based close).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models, transaction

from thuocdo.core import clock
from thuocdo.core.models import User
from thuocdo.core.origin import origin_scope
from thuocdo.core.text import fold
from thuocdo.evaluations import services as evaluations
from thuocdo.evaluations.models import (
    CriterionScore,
    Evaluation,
    Minutes,
    Period,
    UnitEvaluation,
)
from thuocdo.frameworks.selectors import engine_framework, framework_for
from thuocdo.org import services as org
from thuocdo.org.models import Assignment, Person, RoleGrant, Unit
from thuocdo.scoring import Node
from thuocdo.work import services as work
from thuocdo.work.models import ProductType, Task

SURNAMES = ("Nguyễn", "Nguyễn", "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi")
MIDDLE = ("Văn", "Thị", "Đức", "Minh", "Ngọc", "Thu", "Quang", "Hồng", "Hữu", "Thanh")
GIVEN = ("An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hương", "Lan", "Long", "Mai", "Nam")
PRODUCTS = (
    ("BC", "Báo cáo chính sách", "báo cáo", "2.0"),
    ("CV", "Công văn", "văn bản", "0.5"),
    ("TD", "Thẩm định văn bản", "văn bản", "1.0"),
    ("DX", "Đề xuất, kiến nghị", "đề xuất", "1.5"),
)
OFFICE_SIZE = 16
OFFICES_PER_DEPARTMENT = 6
TITLES = ("Soạn thảo báo cáo", "Thẩm định dự thảo", "Trả lời công văn", "Tổng hợp ý kiến")


@dataclass
class Synthetic:
    agency: Unit
    period: Period
    authority: User
    office: User
    people: int = 0
    units: int = 0
    tasks: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


Report = Callable[[str], None]


class _Ids:
    """Explicit primary keys, continuing each table's own."""

    def __init__(self) -> None:
        self._next: dict[type[models.Model], int] = {}

    def take(self, model: type[models.Model], count: int) -> range:
        if model not in self._next:
            top = model._default_manager.aggregate(top=models.Max("pk"))["top"] or 0
            self._next[model] = top + 1
        start = self._next[model]
        self._next[model] = start + count
        return range(start, start + count)


def write(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Writes rows (values in `columns` order, column names as in the table): one COPY on
    PostgreSQL, an executemany INSERT on SQLite. JSON values are given as Python objects."""
    table = model._meta.db_table
    quote = connection.ops.quote_name
    json_columns = {
        i
        for i, name in enumerate(columns)
        if isinstance(_field_by_column(model, name), models.JSONField)
    }

    def cells(row: Sequence[Any]) -> list[Any]:
        return [
            json.dumps(v) if i in json_columns and v is not None else v for i, v in enumerate(row)
        ]

    count = 0
    with connection.cursor() as cursor:
        names = ", ".join(quote(c) for c in columns)
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg's own cursor: COPY
            with raw.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(cells(row))
                    count += 1
        else:
            marks = ", ".join(["%s"] * len(columns))
            batch: list[list[Any]] = []
            for row in rows:
                batch.append(cells(row))
                if len(batch) >= 5000:
                    cursor.executemany(
                        f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})", batch
                    )
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})", batch)
                count += len(batch)
    return count


def _field_by_column(model: type[models.Model], column: str) -> Any:
    for candidate in model._meta.concrete_fields:
        if candidate.column == column:
            return candidate
    raise LookupError(f"{model.__name__} has no column {column}")


def _reset_sequences(*models_: type[models.Model]) -> None:
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(models_)):
            cursor.execute(sql)


def generate(
    people: int,
    *,
    code: str = "SYN",
    year: int = 2026,
    month: int = 3,
    seed: int = 335,
    tasks_per_person: int = 20,
    report: Report | None = None,
) -> Synthetic:
    """Creates the agency, its people and a month of their work, and takes the month's
    period to the decision step. Everything in one transaction."""
    say = report or (lambda _text: None)
    build = _Build(random.Random(seed), _Ids(), clock.now(), dt.date(year - 1, 1, 1))
    first = dt.date(year, month, 1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    with origin_scope(f"cli:generate_agency:{code}"), transaction.atomic():
        agency = org.agency_create(actor=None, code=code, name=f"Cơ quan tổng hợp {code}")
        Unit.objects.filter(pk=agency.pk).update(valid_from=build.start)
        units = build.units(agency, people)
        say(f"{len(units) + 1} đơn vị")
        homes = build.people(agency, code, people, units)
        say(f"{people} người")
        authority, office = build.logins(agency, code, homes)
        products = _catalogue(agency, authority, office)
        parents = {unit.pk: unit.parent for unit in units}
        boss = _bosses(homes, parents, agency.pk)
        count = _tasks(build, agency.pk, homes, boss, products, (first, last), tasks_per_person)
        say(f"{count} nhiệm vụ")
        period = evaluations.period_create(
            actor=office,
            agency=agency,
            kind=Period.Kind.MONTH,
            year=year,
            number=month,
            deadlines={},
            at=clock.at(last),
        )
        build.period(period, homes, units, authority, office)
        _reset_sequences(
            Unit, Person, Assignment, Task, Evaluation, CriterionScore, Minutes, UnitEvaluation
        )
        period.refresh_from_db()
    return Synthetic(agency, period, authority, office, people, len(units) + 1, count)


@dataclass(frozen=True)
class _Unit:
    pk: int
    parent: int
    path: str
    depth: int
    code: str
    name: str
    office: bool


Home = tuple[int, int, str]  # person, unit, role


@dataclass
class _Build:
    rnd: random.Random
    ids: _Ids
    now: dt.datetime
    start: dt.date
    leadership: list[int] = field(default_factory=list)

    def units(self, agency: Unit, people: int) -> list[_Unit]:
        """Departments of six offices of about sixteen people."""
        offices_needed = max(1, people // OFFICE_SIZE)
        departments = max(1, -(-offices_needed // OFFICES_PER_DEPARTMENT))
        take = iter(self.ids.take(Unit, departments * (1 + OFFICES_PER_DEPARTMENT)))
        units: list[_Unit] = []
        for d in range(1, departments + 1):
            dep = next(take)
            path = f"{agency.path}{dep}/"
            units.append(
                _Unit(dep, agency.pk, path, agency.depth + 1, f"V{d:03d}", f"Vụ số {d}", False)
            )
            for o in range(1, OFFICES_PER_DEPARTMENT + 1):
                pk = next(take)
                name = f"Phòng {o}, Vụ số {d}"
                units.append(
                    _Unit(pk, dep, f"{path}{pk}/", agency.depth + 2, f"V{d:03d}P{o}", name, True)
                )
        write(
            Unit,
            ["id", "agency_id", "parent_id", "path", "depth", "code", "name", "name_en",
             "short_name", "kind", "sort_order", "valid_from", "created_at", "updated_at"],
            (
                (u.pk, agency.pk, u.parent, u.path, u.depth, u.code, u.name, "", "",
                 Unit.Kind.OFFICE if u.office else Unit.Kind.DEPARTMENT, u.pk, self.start,
                 self.now, self.now)
                for u in units
            ),
        )  # fmt: skip
        return units

    def people(self, agency: Unit, code: str, people: int, units: list[_Unit]) -> list[Home]:
        """The agency's head and two deputies, a head and a deputy per department, then the
        offices filled in turn: the first of each a head, the second a deputy."""
        person_ids = self.ids.take(Person, people)
        pool = iter(person_ids)
        self.leadership = [next(pool) for _ in range(min(3, people))]
        homes: list[Home] = [
            (pk, agency.pk, "head" if i == 0 else "deputy") for i, pk in enumerate(self.leadership)
        ]
        for unit in units:
            if not unit.office:
                for role in ("head", "deputy"):
                    pk = next(pool, None)
                    if pk is not None:
                        homes.append((pk, unit.pk, role))
        offices = [u.pk for u in units if u.office]
        remaining = list(pool)
        size = max(1, -(-len(remaining) // len(offices)))
        for index, pk in enumerate(remaining):
            slot = index % size
            role = "head" if slot == 0 else "deputy" if slot == 1 else "staff"
            homes.append((pk, offices[index // size], role))
        rnd = self.rnd
        names = [
            f"{rnd.choice(SURNAMES)} {rnd.choice(MIDDLE)} {rnd.choice(GIVEN)} {i}"
            for i in range(people)
        ]
        write(
            Person,
            ["id", "agency_id", "code", "full_name", "search_name", "gender", "category",
             "email", "phone", "is_active", "email_notifications", "created_at", "updated_at"],
            (
                (pk, agency.pk, f"{code}{i:06d}", names[i], fold(names[i]), "",
                 "civil_servant", "", "", True, True, self.now, self.now)
                for i, pk in enumerate(person_ids)
            ),
        )  # fmt: skip
        assignment_ids = self.ids.take(Assignment, len(homes))
        write(
            Assignment,
            ["id", "person_id", "unit_id", "role", "title", "assigned_fields", "start_date",
             "is_concurrent", "created_at"],
            (
                (pk, person, unit, role, "", [], self.start, False, self.now)
                for pk, (person, unit, role) in zip(assignment_ids, homes, strict=True)
            ),
        )  # fmt: skip
        return homes

    def logins(self, agency: Unit, code: str, homes: list[Home]) -> tuple[User, User]:
        """The agency's head decides; a personnel officer runs the period."""
        head = Person.objects.get(pk=self.leadership[0])
        authority = org.person_set_login(
            actor=None, person=head, username=f"{code.lower()}-lanhdao", password=None
        )
        officer = Person.objects.get(pk=homes[-1][0])
        office = org.person_set_login(
            actor=None, person=officer, username=f"{code.lower()}-tochuc", password=None
        )
        org.role_grant(
            actor=None,
            user=office,
            agency=agency,
            role=RoleGrant.Role.PERSONNEL,
            start_date=self.start,
        )
        return authority, office

    def period(
        self,
        period: Period,
        homes: list[Home],
        units: list[_Unit],
        authority: User,
        office: User,
    ) -> None:
        """Everyone but the agency's head reviewed, every unit's minutes approved and
        rating decided; the period at the decision step."""
        fw_version, _fw = framework_for(period.agency, period.framework_key, period.end)
        _evaluations(self, period, homes, fw_version.pk, engine_framework(fw_version))
        every = [period.agency_id, *(u.pk for u in units)]
        write(
            Minutes,
            ["id", "period_id", "unit_id", "text", "held_on", "attendees", "total_members",
             "approved", "recorded_by_id", "recorded_at"],
            (
                (pk, period.pk, unit, "Tập thể nhất trí.", period.end, [], 10, True,
                 office.pk, self.now)
                for pk, unit in zip(self.ids.take(Minutes, len(every)), every, strict=True)
            ),
        )  # fmt: skip
        ratings = ("excellent", "good", "good")
        write(
            UnitEvaluation,
            ["id", "period_id", "unit_id", "framework_id", "state", "given_rating",
             "given_basis", "rating", "decided_by_id", "decided_at", "version"],
            (
                (pk, period.pk, u.pk, fw_version.pk, "decided", "", "",
                 self.rnd.choice(ratings), authority.pk, self.now, 1)
                for pk, u in zip(self.ids.take(UnitEvaluation, len(units)), units, strict=True)
            ),
        )  # fmt: skip
        Period.objects.filter(pk=period.pk).update(state=Period.State.DECISION)


def _catalogue(agency: Unit, authority: User, office: User) -> list[ProductType]:
    catalogue = work.catalogue_create(actor=office, agency=agency, name="Danh mục sản phẩm")
    version = work.catalogue_version_propose(actor=authority, catalogue=catalogue)
    products = [
        work.product_type_add(
            actor=authority,
            version=version,
            code=p_code,
            name=name,
            unit_of_measure=measure,
            coefficient=Decimal(coefficient),
            complexity_group=1,
        )
        for p_code, name, measure, coefficient in PRODUCTS
    ]
    work.catalogue_version_standardise(actor=office, version=version)
    work.catalogue_version_decide(actor=authority, version=version)
    return products


def _bosses(
    homes: list[tuple[int, int, str]], parents: dict[int, int], root: int
) -> dict[int, int]:
    """{person: who assigns and reviews their work}: the unit's head; a head's superior."""
    heads = {unit: person for person, unit, role in homes if role == "head"}
    out = {}
    for person, unit, role in homes:
        if role == "head":
            superior = heads.get(parents.get(unit, root)) or heads[root]
            out[person] = superior if superior != person else heads[root]
        else:
            out[person] = heads.get(unit, heads[root])
    return out


def _tasks(
    build: _Build,
    agency: int,
    homes: list[Home],
    boss: dict[int, int],
    products: list[ProductType],
    month: tuple[dt.date, dt.date],
    per_person: int,
) -> int:
    """About `per_person` tasks for everyone but the agency's head, with the mix a month
    has: most accepted on time, some late, returned, part-done, handed back or open."""
    rnd, now = build.rnd, build.now
    first, last = month
    workers = [(person, unit) for person, unit, _role in homes if person != boss.get(person)]
    task_ids = iter(build.ids.take(Task, len(workers) * per_person))
    days = (last - first).days

    def rows() -> Iterable[tuple[Any, ...]]:
        for person, unit in workers:
            for _ in range(per_person):
                product = products[rnd.randrange(len(products))]
                assigned = first + dt.timedelta(days=rnd.randrange(max(1, days - 5)))
                deadline = min(last, assigned + dt.timedelta(days=rnd.randint(2, 12)))
                quantity = Decimal(rnd.randint(1, 3))
                fate = rnd.random()
                failures = delays = 0
                done: Decimal | None = quantity
                state = Task.State.ACCEPTED
                completed: dt.date | None = deadline
                if fate < 0.10:
                    delays = 1
                    completed = min(last, deadline + dt.timedelta(days=2))
                elif fate < 0.16:
                    failures = 1
                elif fate < 0.20:
                    state, done, completed = Task.State.HANDED_BACK, None, None
                elif fate < 0.24:
                    state, done, completed = Task.State.IN_PROGRESS, None, None
                elif fate < 0.30:
                    done = max(Decimal(1), quantity - 1)
                title = f"{TITLES[rnd.randrange(len(TITLES))]} số {rnd.randint(1, 999)}"
                yield (
                    next(task_ids), agency, unit, "arising" if fate > 0.5 else "other", "",
                    title, fold(title), "", boss[person], person, product.pk,
                    product.unit_of_measure, quantity, product.coefficient, done, deadline,
                    deadline, state, assigned, completed, "", failures, 0, delays, 0, 1, now,
                    now,
                )  # fmt: skip

    return write(
        Task,
        ["id", "agency_id", "unit_id", "kind", "extra", "title", "search_title", "description",
         "assigner_id", "owner_id", "product_type_id", "unit_of_measure", "quantity",
         "coefficient", "done_quantity", "deadline", "effective_deadline", "state",
         "assigned_on", "completed_on", "closed_reason", "failures", "exempt_failures",
         "delays", "exempt_delays", "version", "created_at", "updated_at"],
        rows(),
    )  # fmt: skip


def _evaluations(
    build: _Build, period: Period, homes: list[Home], framework_id: int, fw: Any
) -> None:
    """Everyone but the agency's head, reviewed: general criteria scored (self = reviewer)."""
    rnd, now = build.rnd, build.now
    rated = [(person, unit, role) for person, unit, role in homes if person != build.leadership[0]]
    ev_ids = build.ids.take(Evaluation, len(rated))
    write(
        Evaluation,
        ["id", "period_id", "person_id", "agency_id", "unit_id", "role", "assigned_fields",
         "framework_id", "state", "self_comment", "self_evidence", "self_assessed_at",
         "self_on_behalf_reason", "review_comment", "reviewed_at", "leader", "rating",
         "version", "compiled_token", "created_at", "updated_at"],
        (
            (pk, period.pk, person, period.agency_id, unit, role, [], framework_id,
             "reviewed", "Hoàn thành nhiệm vụ", "", now, "", "Đồng ý", now, {}, "", 1, "", now,
             now)
            for pk, (person, unit, role) in zip(ev_ids, rated, strict=True)
        ),
    )  # fmt: skip
    criteria: list[Node] = [
        n for n in fw.individual.root.walk() if n.type == "manual" and n.scale is not None
    ]

    # Ids before the COPY starts: no other query may run on its connection until it ends.
    score_ids = iter(build.ids.take(CriterionScore, len(rated) * len(criteria)))

    def scores() -> Iterable[tuple[Any, ...]]:
        for ev_id, (_person, _unit, role) in zip(ev_ids, rated, strict=True):
            strong = rnd.random()
            for node in criteria:
                if node.applies_to is not None and role not in node.applies_to:
                    continue
                scale = node.scale
                assert scale is not None
                top = Decimal(scale.max.numerator) / Decimal(scale.max.denominator)
                step = Decimal(scale.step.numerator) / Decimal(scale.step.denominator)
                value = top if strong > 0.3 else max(Decimal(0), top - step * rnd.randint(1, 2))
                yield (next(score_ids), ev_id, node.key, value, value, "", "")

    write(
        CriterionScore,
        ["id", "evaluation_id", "key", "self_score", "reviewer_score", "reason", "evidence"],
        scores(),
    )
