"""Framework drafting pages through Django's test client: the personnel office drafts
from the version in force and edits a group weight (the diff says it), a refusal shows the
engine's message next to the field, a stale page is refused, staff get 403, the agency
head adopts with a start date (others are refused), and a period after the start date
uses the adopted version."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.conftest import Cast
from thuocdo.core import clock
from thuocdo.core.models import User
from thuocdo.evaluations import services as ev
from thuocdo.evaluations.models import Evaluation, Period
from thuocdo.frameworks import drafting
from thuocdo.frameworks.models import FrameworkVersion


@pytest.fixture
def presets(db: None) -> None:
    call_command("load_presets", stdout=StringIO())


def login(client: Client, username: str) -> Client:
    client.force_login(User.objects.get(username=username))
    return client


def html(response: Any) -> str:
    return str(response.content.decode())


@pytest.fixture
def draft(cast: Cast, presets: None) -> FrameworkVersion:
    source = FrameworkVersion.objects.get(agency__isnull=True, key="ban-cscl-2025")
    return drafting.framework_draft_from(actor=None, agency=cast.agency_a, source=source)


def edit_url(row: FrameworkVersion) -> str:
    return reverse("web:fwdraft_edit", args=[row.pk])


def weight_post(row: FrameworkVersion, weight: str, **over: Any) -> dict[str, Any]:
    node = drafting.node_paths(row.document, "individual")["volume"].node
    return {
        "form": "node",
        "key": "volume",
        "part": "individual",
        "revision": row.revision,
        "label_vi": node["label_vi"],
        "label_en": node["label_en"],
        "weight": weight,
        **over,
    }


def test_the_office_drafts_from_the_version_in_force(
    client: Client, cast: Cast, presets: None
) -> None:
    login(client, "personnel_a")
    page = client.get(reverse("web:fwdraft_list"))
    assert page.status_code == 200
    assert "Tạo bản nháp từ khung đang áp dụng" in html(page)
    done = client.post(reverse("web:fwdraft_create"), {"agency": cast.agency_a.pk})
    row = FrameworkVersion.objects.get(agency=cast.agency_a)
    assert done.status_code == 302
    assert done["Location"] == reverse("web:fwdraft_detail", args=[row.pk])
    assert row.key == "decree-335-2025"  # the agency's version in force is the national default
    assert row.status == "draft"


def test_the_office_edits_a_group_weight_and_sees_the_diff(
    client: Client, draft: FrameworkVersion
) -> None:
    login(client, "personnel_a")
    page = client.get(reverse("web:fwdraft_detail", args=[draft.pk]))
    assert page.status_code == 200
    assert "Chưa có thay đổi nào." in html(page)
    done = client.post(edit_url(draft), weight_post(draft, "0,45"))
    assert done.status_code == 302
    draft.refresh_from_db()
    assert drafting.node_paths(draft.document, "individual")["volume"].node["weight"] == "0.45"
    page = client.get(done["Location"])
    assert "Trọng số của “Khối lượng công việc” (volume): 0,4 → 0,45." in html(page)


def test_a_weight_out_of_range_is_shown_next_to_the_weight(
    client: Client, draft: FrameworkVersion
) -> None:
    login(client, "personnel_a")
    page = client.post(edit_url(draft), weight_post(draft, "0,6"))
    assert page.status_code == 400
    text = html(page)
    assert "Trọng số 0.6 nằm ngoài khoảng cho phép [0.3, 0.5]." in text
    row = next(r for r in page.context["rows"] if r["key"] == "volume")
    error = row["form"].errors
    assert list(error) == ["weight"]
    draft.refresh_from_db()
    assert draft.revision == 1


def test_a_stale_page_is_refused(client: Client, draft: FrameworkVersion) -> None:
    login(client, "personnel_a")
    assert client.post(edit_url(draft), weight_post(draft, "0,45")).status_code == 302
    page = client.post(edit_url(draft), weight_post(draft, "0,35", revision=1))
    assert page.status_code == 409
    assert "Bản nháp vừa được người khác thay đổi; hãy tải lại trang." in html(page)


def test_bands_quota_and_a_unit_kpi_through_their_forms(
    client: Client, draft: FrameworkVersion
) -> None:
    login(client, "personnel_a")
    bands = {
        "form": "bands",
        "revision": 1,
        "min_excellent": "92",
        "min_good": "70",
        "min_completed": "50",
        "min_not_completed": "0",
    }
    assert client.post(edit_url(draft), bands).status_code == 302
    bad = client.post(edit_url(draft), {**bands, "revision": 2, "min_good": "95"})
    assert bad.status_code == 400
    assert "min_good" in bad.context["bands_form"].errors
    quota = {"form": "quota", "revision": 2, "ratio": "0,3", "max_exception_ratio": "0,25"}
    bad = client.post(edit_url(draft), quota)
    assert "max_exception_ratio" in bad.context["quota_form"].errors
    kpi = {
        "form": "kpi_add",
        "revision": 2,
        "group": "specific",
        "key": "sp_visits",
        "label_vi": "Số đợt khảo sát",
        "label_en": "Field surveys",
        "direction": "higher_is_better",
        "unit_of_measure": "đợt",
        "weight": "1",
    }
    assert client.post(edit_url(draft), kpi).status_code == 302
    draft.refresh_from_db()
    assert "sp_visits" in drafting.node_paths(draft.document, "unit")
    assert draft.document["rating"]["bands"][0]["min"] == "92"


@pytest.mark.parametrize("who", ["staff_x", "head_x"])
def test_others_may_not_edit(client: Client, draft: FrameworkVersion, who: str) -> None:
    login(client, who)
    assert client.post(edit_url(draft), weight_post(draft, "0,45")).status_code == 403
    assert client.get(reverse("web:fwdraft_detail", args=[draft.pk])).status_code == 403
    assert client.post(reverse("web:fwdraft_create"), {}).status_code == 403


def test_another_agency_s_office_does_not_see_the_draft(
    client: Client, draft: FrameworkVersion, cast: Cast
) -> None:
    login(client, "head_z")
    assert client.get(reverse("web:fwdraft_detail", args=[draft.pk])).status_code == 403


def test_the_head_adopts_with_a_start_date_and_a_period_then_uses_it(
    client: Client, cast: Cast, draft: FrameworkVersion
) -> None:
    start = drafting.default_start(clock.today())
    office = login(Client(), "personnel_a")
    assert office.post(edit_url(draft), weight_post(draft, "0,45")).status_code == 302
    page = office.get(reverse("web:fwdraft_detail", args=[draft.pk]))
    assert "adopt_form" not in page.context
    refused = office.post(
        reverse("web:fwdraft_adopt", args=[draft.pk]),
        {"revision": 2, "valid_from": start.isoformat()},
    )
    assert refused.status_code == 403
    assert "Chỉ người đứng đầu cơ quan" in html(refused)

    login(client, "leader_a")
    page = client.get(reverse("web:fwdraft_detail", args=[draft.pk]))
    assert page.context["adopt_form"].initial["valid_from"] == start
    assert "Ban hành" in html(page)
    # the page's own form posts to the adoption, not to the office's edits
    assert f'action="{reverse("web:fwdraft_adopt", args=[draft.pk])}"' in html(page)
    past = client.post(
        reverse("web:fwdraft_adopt", args=[draft.pk]),
        {"revision": 2, "valid_from": (clock.today() - dt.timedelta(days=1)).isoformat()},
    )
    assert past.status_code == 400
    assert "valid_from" in past.context["adopt_form"].errors
    done = client.post(
        reverse("web:fwdraft_adopt", args=[draft.pk]),
        {"revision": 2, "valid_from": start.isoformat(), "reason": "Quyết định số 12/QĐ"},
    )
    assert done.status_code == 302
    draft.refresh_from_db()
    assert (draft.status, draft.valid_from) == ("published", start)

    # adopted: the office can no longer edit it, and is told why
    page = office.post(edit_url(draft), weight_post(draft, "0,35", revision=draft.revision))
    assert page.status_code == 409
    assert "không sửa được" in html(page)

    period = ev.period_create(
        actor=cast.user("personnel_a"),
        agency=cast.agency_a,
        kind=Period.Kind.MONTH,
        year=start.year,
        number=start.month,
        framework_key="ban-cscl-2025",
    )
    ev.period_transition(
        actor=cast.user("personnel_a"),
        period=period,
        action="start_self_assessment",
        expected_version=period.version,
    )
    used = set(Evaluation.objects.filter(period=period).values_list("framework_id", flat=True))
    assert used == {draft.pk}
