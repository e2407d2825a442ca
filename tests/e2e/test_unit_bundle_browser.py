"""A unit's head prints every form of the unit: the button on the unit's evaluation page
starts the job, its page offers the PDF, which holds the summary and each member's form."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from tests.conftest import Cast, load_cast, make_cast
from tests.e2e.conftest import shoot
from tests.e2e.test_evaluation_flow import sign_in
from tests.evaluations.conftest import Flow, make_flow
from tests.reports.conftest import decide_example
from thuocdo.core.models import User
from thuocdo.evaluations.models import UnitEvaluation

pytestmark = pytest.mark.browser


@pytest.fixture
def decided_flow(transactional_db: None) -> Flow:
    cast: Cast = load_cast() if User.objects.filter(username="staff_x").exists() else make_cast()
    call_command("load_presets", stdout=StringIO())
    return decide_example(make_flow(cast))


def test_a_head_prints_every_form_of_the_unit(
    page: Any, live_server: Any, decided_flow: Flow
) -> None:
    base = live_server.url
    sign_in(page, base, "head_x")
    ue = UnitEvaluation.objects.get(period=decided_flow.period, unit=decided_flow.cast.unit_x)
    page.goto(f"{base}/evaluations/units/{ue.pk}/")
    shoot(page, "unit-page-bundle-button")
    page.get_by_role("button", name="Lập tệp PDF").click()
    page.wait_for_url(re.compile(r"/jobs/\d+/"))
    link = page.get_by_role("link", name="Tải tệp về")
    link.wait_for()
    assert "phieu-danh-gia-x-month-2026-01.pdf" in page.content()
    shoot(page, "unit-bundle-job")
    response = page.request.get(f"{base}{link.get_attribute('href')}")
    assert response.status == 200
    assert response.body().startswith(b"%PDF")
