"""Issue 14, point 3: the preview's pages — start a run, read its result (distributions,
per unit, who changes and why, paged and filtered), one person side by side; refused
with a Vietnamese message to anyone but the personnel office and leadership."""

from __future__ import annotations

from html import unescape

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.conftest import Cast
from tests.evaluations.conftest import (  # noqa: F401 (fixtures)
    Flow,
    presets,
)
from tests.evaluations.test_whatif import _bands, _new_criterion, decide_january, draft
from thuocdo.evaluations.models import WhatIfLine, WhatIfRun


@pytest.fixture
def decided(cast: Cast, request: pytest.FixtureRequest) -> Flow:
    request.getfixturevalue("presets")  # the shipped frameworks (imported above)
    return decide_january(cast)


def client_for(flow: Flow, name: str) -> Client:
    client = Client()
    client.force_login(flow.user(name))
    return client


def start(flow: Flow, change: object = None, by: str = "personnel_a") -> WhatIfRun:
    version = draft(flow, change)
    page = client_for(flow, by).post(
        reverse("web:whatif_start"), {"framework": version.pk, "periods": 3}
    )
    assert page.status_code == 302, page.content.decode()[:2000]
    found = WhatIfRun.objects.get(framework=version)
    assert page["Location"] == reverse("web:whatif_run", args=[found.pk])
    return found


def test_the_start_form_lists_the_agencys_drafts(decided: Flow) -> None:
    version = draft(decided, _bands)
    page = client_for(decided, "personnel_a").get(reverse("web:whatif_start"))
    text = unescape(page.content.decode())
    assert page.status_code == 200
    assert "Xem trước khung mới" in text
    assert f'value="{version.pk}"' in text
    assert f"{version.title} (phiên bản 2027-draft)" in text  # named as the period form does
    assert 'name="periods"' in text and 'value="3"' in text


def test_the_draft_page_s_link_comes_with_its_draft_chosen(decided: Flow) -> None:
    version = draft(decided, _bands)
    url = f"{reverse('web:whatif_start')}?version={version.pk}"
    text = client_for(decided, "personnel_a").get(url).content.decode()
    assert f'<option value="{version.pk}" selected>' in text
    plain = client_for(decided, "personnel_a").get(reverse("web:whatif_start")).content.decode()
    assert f'<option value="{version.pk}" selected>' not in plain


def test_the_result_shows_the_distribution_units_and_who_drops(decided: Flow) -> None:
    found = start(decided, _bands, by="leader_a")
    page = client_for(decided, "leader_a").get(reverse("web:whatif_run", args=[found.pk]))
    text = unescape(page.content.decode())
    assert page.status_code == 200
    assert "Tháng 1/2026" in text
    assert 'data-rating="excellent"><td>Hoàn thành xuất sắc nhiệm vụ</td><td>1</td><td>0</td>' in (
        text
    )
    assert "data-units" in text and "Vụ" in text
    line = found.lines.get(changed=True)
    assert f'data-line="{line.pk}" data-way="down"' in text
    assert "95,00" in text and "Ngưỡng xếp loại của dự thảo" in text
    # filter: nobody goes up
    up = client_for(decided, "leader_a").get(
        reverse("web:whatif_run", args=[found.pk]), {"way": "up"}
    )
    assert "data-line=" not in up.content.decode()
    unit = client_for(decided, "leader_a").get(
        reverse("web:whatif_run", args=[found.pk]), {"unit": line.unit_id, "way": "down"}
    )
    assert f'data-line="{line.pk}"' in unit.content.decode()


def test_the_reasons_read_in_english_on_an_english_page(decided: Flow) -> None:
    found = start(decided, _bands)
    client = client_for(decided, "personnel_a")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("web:whatif_run", args=[found.pk]))
    text = unescape(page.content.decode())
    assert page.status_code == 200
    assert "Month 1/2026" in text
    assert "The draft's bands: 95 points is “Good” (from 70 to under 96 points)" in text


def test_a_line_shows_both_breakdowns_and_the_reason(decided: Flow) -> None:
    found = start(decided, _bands)
    line = found.lines.get(changed=True)
    page = client_for(decided, "personnel_a").get(
        reverse("web:whatif_line", args=[found.pk, line.pk])
    )
    text = unescape(page.content.decode())
    assert page.status_code == 200
    assert text.count('class="kpi-tree root"') == 2
    assert 'data-side="current">95,00' in text and 'data-side="draft">95,00' in text
    assert "từ 70 đến dưới 96 điểm" in text


def test_a_not_comparable_line_says_why(decided: Flow) -> None:
    found = start(decided, _new_criterion)
    page = client_for(decided, "personnel_a").get(
        reverse("web:whatif_run", args=[found.pk]), {"way": "none"}
    )
    text = unescape(page.content.decode())
    assert "Kỹ năng số" in text and "g3_digital" in text
    line = found.lines.filter(direction=WhatIfLine.Direction.NOT_COMPARABLE).first()
    assert line is not None
    detail = client_for(decided, "personnel_a").get(
        reverse("web:whatif_line", args=[found.pk, line.pk])
    )
    assert "Dự thảo không chấm được phiếu này" in unescape(detail.content.decode())


@pytest.mark.parametrize("name", ["staff_x", "head_x", "auditor_a"])
def test_others_are_refused_in_vietnamese(decided: Flow, name: str) -> None:
    found = start(decided)
    line = found.lines.first()
    assert line is not None
    client = client_for(decided, name)
    for url in (
        reverse("web:whatif_start"),
        reverse("web:whatif_run", args=[found.pk]),
        reverse("web:whatif_line", args=[found.pk, line.pk]),
    ):
        page = client.get(url)
        assert page.status_code == 403
        assert "Chỉ phòng tổ chức cán bộ và lãnh đạo cơ quan" in unescape(page.content.decode())


def test_a_bad_form_changes_nothing(decided: Flow) -> None:
    version = draft(decided)
    page = client_for(decided, "personnel_a").post(
        reverse("web:whatif_start"), {"framework": version.pk, "periods": 0}
    )
    assert page.status_code == 400
    assert not WhatIfRun.objects.exists()
