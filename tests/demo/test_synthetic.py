"""The synthetic agency (`manage generate_agency`) is data the product reads as its own:
the structure the services keep, and a sample scored person by person agrees with the
set-based close."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from thuocdo.demo.synthetic import generate
from thuocdo.evaluations import services
from thuocdo.evaluations.compute import compute_person
from thuocdo.evaluations.models import Evaluation, QuotaGroup
from thuocdo.org.models import Assignment, Person, Unit
from thuocdo.work.models import Task


@pytest.fixture
def presets(db: None) -> None:
    call_command("load_presets", stdout=StringIO())


def test_a_synthetic_agency_is_read_and_closed_as_the_services_would(presets: None) -> None:
    made = generate(120, code="SYN", tasks_per_person=20)
    agency = made.agency
    assert Person.objects.filter(agency=agency).count() == 120
    units = Unit.objects.filter(path__startswith=agency.path)
    assert units.count() == made.units and all(
        u.path == f"{u.parent.path}{u.pk}/" and u.depth == u.parent.depth + 1
        for u in units.exclude(pk=agency.pk).select_related("parent")
    )
    assert Assignment.objects.filter(unit__in=units, end_date__isnull=True).count() == 120
    assert Task.objects.filter(agency=agency).count() == made.tasks == 119 * 20
    evs = Evaluation.objects.filter(period=made.period)
    assert made.period.state == "decision" and evs.count() == 119  # the agency's head aside
    assert evs.filter(role="head").exists() and evs.filter(role="deputy").exists()

    services.period_compile(actor=made.office, period=made.period)
    rows = evs.select_related("period", "unit", "person", "framework").order_by("pk")
    # A sample, and both deputies of the agency: each in the other's whole-unit fallback
    # charge, until fellow deputies were left out of it (d fed d, and compiled late).
    sample = [*rows[::17], *rows.filter(unit=agency, role="deputy")]
    assert len(sample) > 8
    for ev in sample:
        unit = ev.unit.unit_evaluations.filter(period=made.period).first()  # none for the root
        _result, data = compute_person(ev, unit_rating=unit.rating if unit else None)
        assert data == ev.proposed, f"{ev} is scored differently person by person"
    assert all(ev.points is not None for ev in sample)

    outcome = services.period_decide_all(actor=made.authority, period=made.period)
    decided = QuotaGroup.objects.filter(period=made.period, decided_at__isnull=False).count()
    assert outcome.evaluations > 0 and decided == len(outcome.groups)
    assert decided + len(outcome.skipped) == QuotaGroup.objects.filter(period=made.period).count()


def test_the_command_says_what_it_made(presets: None) -> None:
    out = StringIO()
    call_command("generate_agency", "--people", "40", "--code", "SYN2", "--tasks", "5", stdout=out)
    text = out.getvalue()
    assert "40 người" in text and "195 nhiệm vụ" in text and "ở bước quyết định" in text
