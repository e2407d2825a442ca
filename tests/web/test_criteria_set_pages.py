"""Criteria set pages through Django's test client: a unit head tunes a weight for the
unit (a weight outside the range is refused next to its field, nothing saved), may not
touch another unit's or the agency-wide set; the personnel office keeps the agency-wide
one; staff read; another agency is refused; an official sees the set they are scored
with on the framework page; the draft page's limits give units their ranges."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.conftest import Cast
from thuocdo.core import clock
from thuocdo.core.models import User
from thuocdo.frameworks import criteria_sets as cs
from thuocdo.frameworks import drafting
from thuocdo.frameworks.models import CriteriaSet, FrameworkVersion


@pytest.fixture
def presets(db: None) -> None:
    call_command("load_presets", stdout=StringIO())


@pytest.fixture
def base(cast: Cast, presets: None) -> FrameworkVersion:
    source = FrameworkVersion.objects.get(agency__isnull=True, key="ban-cscl-2025")
    row = drafting.framework_draft_from(actor=None, agency=cast.agency_a, source=source)
    return drafting.framework_draft_adopt(
        actor=None, version=row, valid_from=clock.today(), expected_revision=row.revision
    )


def login(client: Client, username: str) -> Client:
    client.force_login(User.objects.get(username=username))
    return client


def html(response: Any) -> str:
    return str(response.content.decode())


def edit_url(base: FrameworkVersion, cast: Cast, unit: Any = None) -> str:
    unit_id = unit.pk if unit is not None else ""
    return reverse("web:criteria_set_edit", args=[base.pk]) + f"?job={cast.job_x.pk}&unit={unit_id}"


def post(base: FrameworkVersion, cast: Cast, unit: Any, **fields: Any) -> dict[str, Any]:
    return {"job": cast.job_x.pk, "unit": unit.pk if unit is not None else "", **fields}


def test_a_unit_head_tunes_a_weight_within_the_range(
    client: Client, cast: Cast, base: FrameworkVersion
) -> None:
    from thuocdo.org import services as org

    org.job_position_create(actor=None, agency=cast.agency_a, code="LD", name="Lãnh đạo Ban")
    login(client, "head_x")
    page = client.get(reverse("web:criteria_set_list", args=[base.pk]))
    assert page.status_code == 200
    assert "Mở bộ tiêu chí" in html(page)
    assert "Toàn cơ quan (bộ chung)" not in html(page)  # not the head's to keep
    # the positions of the unit and those held in it, not every position of the agency
    assert f'<option value="{cast.job_x.pk}">Chuyên viên Vụ X</option>' in html(page)
    assert "Lãnh đạo Ban" not in html(page)
    login(client, "personnel_a")
    assert "Lãnh đạo Ban" in html(client.get(reverse("web:criteria_set_list", args=[base.pk])))
    login(client, "head_x")
    form = client.get(edit_url(base, cast, cast.unit_x))
    assert form.status_code == 200
    text = html(form)
    assert 'name="weight_volume"' in text and "0,3 – 0,5" in text
    refused = client.post(
        edit_url(base, cast, cast.unit_x), post(base, cast, cast.unit_x, weight_volume="0,9")
    )
    assert refused.status_code == 400
    assert "nằm ngoài khoảng" in html(refused)
    assert 'class="field has-error"' in html(refused)
    assert not CriteriaSet.objects.exists()
    done = client.post(
        edit_url(base, cast, cast.unit_x), post(base, cast, cast.unit_x, weight_volume="0,45")
    )
    assert done.status_code == 302
    row = CriteriaSet.objects.get()
    assert (row.unit_id, row.weights, row.created_by_id) == (
        cast.unit_x.pk,
        {"volume": "0.45"},
        cast.user("head_x").pk,
    )
    shown = client.get(done["Location"])
    assert "Đã lưu bộ tiêu chí" in html(shown)
    assert "Bộ tiêu chí đang lưu" in html(shown)
    # a second post from the same (now stale) page is refused
    stale = client.post(
        edit_url(base, cast, cast.unit_x), post(base, cast, cast.unit_x, weight_volume="0,35")
    )
    assert stale.status_code == 409
    assert CriteriaSet.objects.get().weights == {"volume": "0.45"}


def test_a_unit_head_may_not_tune_another_unit_or_the_agency_set(
    client: Client, cast: Cast, base: FrameworkVersion
) -> None:
    login(client, "head_x")
    assert client.get(edit_url(base, cast, cast.unit_y)).status_code == 403
    assert client.get(edit_url(base, cast, None)).status_code == 403
    other = client.post(
        edit_url(base, cast, cast.unit_y), post(base, cast, cast.unit_y, weight_volume="0,4")
    )
    assert other.status_code == 403
    assert not CriteriaSet.objects.exists()


def test_the_office_keeps_the_agency_wide_set_and_staff_read_it(
    client: Client, cast: Cast, base: FrameworkVersion
) -> None:
    login(client, "personnel_a")
    page = client.get(reverse("web:criteria_set_list", args=[base.pk]))
    assert "Toàn cơ quan (bộ chung)" in html(page)
    done = client.post(
        edit_url(base, cast), post(base, cast, None, weight_volume="0,5", remove_a_other="on")
    )
    assert done.status_code == 302
    row = CriteriaSet.objects.get(unit__isnull=True)
    assert row.weights == {"volume": "0.5"} and row.removed == ["a_other"]
    login(client, "staff_x")
    listing = client.get(reverse("web:criteria_set_list", args=[base.pk]))
    assert listing.status_code == 200
    assert "Chuyên viên Vụ X" in html(listing) and "Mở bộ tiêu chí" not in html(listing)
    assert client.get(reverse("web:criteria_set", args=[row.pk])).status_code == 200
    assert client.get(edit_url(base, cast)).status_code == 403
    # the official sees the set they are scored with on the framework page
    mine = client.get(reverse("web:framework_list"))
    assert "Bạn được chấm theo bộ tiêu chí của vị trí “Chuyên viên Vụ X”" in html(mine)
    # another agency reads nothing of it
    login(client, "head_z")
    assert client.get(reverse("web:criteria_set_list", args=[base.pk])).status_code == 403
    assert client.get(reverse("web:criteria_set", args=[row.pk])).status_code == 403


def test_unknown_ids_say_what_was_not_found(
    client: Client, cast: Cast, base: FrameworkVersion
) -> None:
    login(client, "personnel_a")
    bad_job = reverse("web:criteria_set_edit", args=[base.pk]) + "?job=999999&unit="
    response = client.get(bad_job)
    assert response.status_code == 404 and "vị trí việc làm #999999" in html(response)
    response = client.get(
        reverse("web:criteria_set_edit", args=[base.pk]) + f"?job={cast.job_x.pk}&unit=abc"
    )
    assert response.status_code == 404
    assert client.get(reverse("web:criteria_set", args=[987654])).status_code == 404
    huge = "9" * 40  # past any row id: read as none, not a database overflow
    edit_base = reverse("web:criteria_set_edit", args=[base.pk])
    assert client.get(f"{edit_base}?job={huge}&unit=").status_code == 404
    assert client.get(f"{edit_base}?job={cast.job_x.pk}&unit=٣").status_code == 404
    assert client.get(f"/frameworks/criteria-sets/{huge}/").status_code == 404
    national = FrameworkVersion.objects.get(agency__isnull=True, key="ban-cscl-2025")
    assert client.get(reverse("web:criteria_set_list", args=[national.pk])).status_code == 404


def test_an_addition_and_dropping_the_set(
    client: Client, cast: Cast, base: FrameworkVersion
) -> None:
    login(client, "head_x")
    fields = post(
        base,
        cast,
        cast.unit_x,
        add_specific_key="bao_cao",
        add_specific_label_vi="Báo cáo chuyên đề",
        add_specific_max="5",
        add_specific_step="0,5",
        add_specific_weight="1",
    )
    done = client.post(edit_url(base, cast, cast.unit_x), fields)
    assert done.status_code == 302, html(done)
    row = CriteriaSet.objects.get()
    assert row.added[0]["parent"] == "specific"
    assert row.added[0]["criterion"]["label_vi"] == "Báo cáo chuyên đề"
    assert row.added[0]["criterion"]["scale"] == {"max": "5", "step": "0.5"}
    fw = cs.derived_framework(base, cast.job_x, cast.unit_x, row.spec())
    assert "bao_cao" in {n.key for n in fw.individual.root.walk()}
    # incomplete addition: the missing fields are named
    half = client.post(
        edit_url(base, cast, cast.unit_x),
        post(base, cast, cast.unit_x, revision=row.revision, keep_0="on", add_specific_key="moi"),
    )
    assert half.status_code == 400 and "Cần nhập khi thêm một tiêu chí mới." in html(half)
    dashed = client.post(
        edit_url(base, cast, cast.unit_x),
        post(base, cast, cast.unit_x, revision=row.revision, add_specific_key="bao-cao-2"),
    )
    assert dashed.status_code == 400 and "bắt đầu bằng chữ cái" in html(dashed)
    assert CriteriaSet.objects.get().revision == row.revision
    gone = client.post(
        reverse("web:criteria_set_delete", args=[row.pk]), {"revision": row.revision}
    )
    assert gone.status_code == 302
    assert not CriteriaSet.objects.exists()


def test_the_draft_page_sets_the_ranges_units_tune_within(
    client: Client, cast: Cast, presets: None
) -> None:
    source = FrameworkVersion.objects.get(agency__isnull=True, key="ban-cscl-2025")
    row = drafting.framework_draft_from(actor=None, agency=cast.agency_a, source=source)
    node = drafting.node_paths(row.document, "individual")["volume"].node
    login(client, "personnel_a")
    page = client.get(reverse("web:fwdraft_detail", args=[row.pk]))
    assert 'name="min_weight"' in html(page)
    done = client.post(
        reverse("web:fwdraft_edit", args=[row.pk]),
        {
            "form": "node",
            "key": "volume",
            "part": "individual",
            "revision": row.revision,
            "label_vi": node["label_vi"],
            "label_en": node["label_en"],
            "weight": "0,4",
            "limits": "1",
            "min_weight": "0,35",
            "max_weight": "0,45",
        },
    )
    assert done.status_code == 302
    row.refresh_from_db()
    volume = drafting.node_paths(row.document, "individual")["volume"].node
    assert volume["weight_range"] == ["0.35", "0.45"]
    assert Decimal(volume["weight"]) == Decimal("0.4")
