"""Catalogue and plan pages through Django's test client: who sees which page and which
lifecycle step, each step through the page, refused steps, and a plan item's tasks."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import Cast
from tests.work.conftest import JAN_5, JAN_10, JAN_20, Work, build_work
from thuocdo.core.models import User
from thuocdo.work.models import CatalogueVersion, Plan, PlanItem, ProductType

V = CatalogueVersion.Status


@pytest.fixture
def work(cast: Cast) -> Work:
    return build_work(cast)


def login(client: Client, username: str) -> Client:
    client.force_login(User.objects.get(username=username))
    return client


def html(response: Any) -> str:
    return str(response.content.decode())


def detail_url(work: Work) -> str:
    return reverse("web:work_catalogue", args=[work.version.catalogue_id])


def propose(client: Client, work: Work, **data: Any) -> Any:
    url = reverse("web:work_catalogue_propose", args=[work.version.catalogue_id])
    return client.post(url, {"copy_from_latest": "on", **data})


def product_data(**over: Any) -> dict[str, Any]:
    return {
        "code": "KH",
        "name": "Kế hoạch chuyên đề",
        "unit_of_measure": "kế hoạch",
        "coefficient": "1,25",
        "complexity_group": "3",
        "sort_order": "5",
        **over,
    }


def new_version(work: Work) -> CatalogueVersion:
    from thuocdo.work import services

    return services.catalogue_version_propose(
        actor=work.cast.user("head_x"), catalogue=work.version.catalogue
    )


# --- who sees which page ------------------------------------------------------------------------


def test_the_catalogue_list_shows_the_agencys_catalogues_only(client: Client, work: Work) -> None:
    page = login(client, "staff_x").get(reverse("web:work_catalogue_list"))
    assert page.status_code == 200
    assert "Danh mục sản phẩm Ban A" in html(page) and detail_url(work) in html(page)
    assert "Danh mục sản phẩm" in html(page) and reverse("web:work_plan_list") in html(page)  # nav
    other = login(client, "staff_z").get(reverse("web:work_catalogue_list"))
    assert other.status_code == 200 and "Danh mục sản phẩm Ban A" not in html(other)


def test_the_catalogue_page_shows_versions_and_product_types(client: Client, work: Work) -> None:
    page = login(client, "staff_x").get(detail_url(work))
    assert page.status_code == 200
    text = html(page)
    assert "Phiên bản 1" in text and "Đã quyết định" in text
    assert "Công văn" in text and "văn bản" in text and "0,5" in text
    assert "chỉ xem, không sửa được" in text
    # an official takes no lifecycle step
    for label in ("Đề xuất phiên bản mới", "Quyết định ban hành", "Thêm loại sản phẩm"):
        assert label not in text
    assert "/standardise/" not in text and "/decide/" not in text and "/propose/" not in text
    assert reverse("web:work_product_edit", args=[work.products["CV"].pk]) not in text


@pytest.mark.parametrize(
    ("username", "url_name", "message"),
    [
        ("staff_z", "web:work_catalogue", "Bạn không có quyền xem danh mục sản phẩm này."),
        ("staff_z", "web:work_plan", "Bạn không có quyền xem kế hoạch này."),
        ("staff_y", "web:work_plan", "Bạn không có quyền xem kế hoạch này."),
        ("staff_x", "web:work_product_edit", "Bạn không có quyền cập nhật danh mục sản phẩm này."),
        ("staff_x", "web:work_plan_new", "Lập kế hoạch công tác dành cho lãnh đạo đơn vị."),
        ("personnel_a", "web:work_plan_new", "Lập kế hoạch công tác dành cho lãnh đạo đơn vị."),
    ],
)
def test_pages_refuse_the_wrong_roles_with_a_message(
    client: Client, work: Work, username: str, url_name: str, message: str
) -> None:
    args = {
        "web:work_catalogue": [work.version.catalogue_id],
        "web:work_plan": [work.plan.pk],
        "web:work_product_edit": [work.products["CV"].pk],
    }.get(url_name, [])
    page = login(client, username).get(reverse(url_name, args=args))
    assert page.status_code == 403
    assert message in html(page)


def test_unknown_objects_are_404_pages_with_the_message(client: Client, work: Work) -> None:
    login(client, "head_x")
    page = client.post(reverse("web:work_version_decide", args=[999999]), {})
    assert page.status_code == 404 and "Không tìm thấy phiên bản danh mục #999999." in html(page)
    page = client.get(reverse("web:work_plan", args=[999999]))
    assert page.status_code == 404 and "Không tìm thấy kế hoạch #999999." in html(page)


def test_anonymous_visitors_go_to_login(client: Client) -> None:
    for name in ("web:work_catalogue_list", "web:work_plan_list"):
        page = client.get(reverse(name))
        assert page.status_code == 302 and reverse("web:login") in page["Location"]


# --- the catalogue lifecycle through the pages -------------------------------------------------


def test_each_lifecycle_step_through_the_pages(client: Client, work: Work) -> None:
    catalogue = work.version.catalogue
    # a unit leader proposes version 2, a copy of version 1
    page = login(client, "head_x").get(detail_url(work))
    assert "Đề xuất phiên bản mới" in html(page)
    assert "Quyết định ban hành" not in html(page)
    response = propose(client, work, note="Bổ sung sản phẩm")
    assert response.status_code == 302 and response["Location"] == detail_url(work)
    v2 = catalogue.versions.get(number=2)
    assert v2.status == V.PROPOSED and v2.note == "Bổ sung sản phẩm"
    assert v2.product_types.count() == 4
    # … adds a product type and edits one, while the version is proposed
    response = client.post(reverse("web:work_product_add", args=[v2.pk]), product_data())
    assert response.status_code == 302
    added = v2.product_types.get(code="KH")
    assert str(added.coefficient) == "1.2500" and added.complexity_group == 3
    cv2 = v2.product_types.get(code="CV")
    edit = reverse("web:work_product_edit", args=[cv2.pk])
    form = client.get(edit)
    assert form.status_code == 200 and "Công văn" in html(form)
    response = client.post(
        edit,
        {
            "name": "Công văn hành chính",
            "unit_of_measure": "văn bản",
            "coefficient": "0.75",
            "complexity_group": "2",
            "reason": "Điều chỉnh hệ số",
        },
    )
    assert response.status_code == 302
    cv2.refresh_from_db()
    assert cv2.name == "Công văn hành chính" and str(cv2.coefficient) == "0.7500"
    assert (
        work.products["CV"].coefficient
        == ProductType.objects.get(pk=work.products["CV"].pk).coefficient
    )
    page = client.get(detail_url(work))
    assert edit in html(page) and "Thêm loại sản phẩm" in html(page)
    # the personnel office standardises
    page = login(client, "personnel_a").get(detail_url(work))
    assert reverse("web:work_version_standardise", args=[v2.pk]) in html(page)
    response = client.post(
        reverse("web:work_version_standardise", args=[v2.pk]), {"note": "Đã rà soát"}
    )
    assert response.status_code == 302
    v2.refresh_from_db()
    assert v2.status == V.STANDARDISED
    # the head of the agency decides
    page = login(client, "leader_a").get(detail_url(work))
    assert reverse("web:work_version_decide", args=[v2.pk]) in html(page)
    response = client.post(reverse("web:work_version_decide", args=[v2.pk]), {})
    assert response.status_code == 302
    v2.refresh_from_db()
    assert v2.status == V.DECIDED and v2.decided_at is not None
    # a decided version is read-only: no edit links or forms, the service refuses
    page = login(client, "head_x").get(detail_url(work))
    assert edit not in html(page) and "Thêm loại sản phẩm" not in html(page)
    assert "/standardise/" not in html(page) and "/decide/" not in html(page)
    read_only = client.get(edit)
    assert read_only.status_code == 200 and "chỉ xem, không sửa được" in html(read_only)
    assert '<form method="post" class="card' not in html(read_only)


@pytest.mark.parametrize(
    ("username", "step", "status", "message"),
    [
        ("staff_x", "propose", 403, "Chỉ lãnh đạo đơn vị mới đề xuất danh mục sản phẩm."),
        ("head_x", "standardise", 403, "Chỉ bộ phận tổ chức cán bộ chuẩn hoá danh mục sản phẩm."),
        ("personnel_a", "decide", 403, "Chỉ người đứng đầu cơ quan quyết định danh mục sản phẩm."),
        ("leader_a", "decide", 409, "Phải chuẩn hoá danh mục trước khi quyết định."),
        ("staff_x", "add", 403, "Chỉ lãnh đạo đơn vị hoặc bộ phận tổ chức cán bộ sửa được"),
    ],
)
def test_a_refused_step_shows_the_message_and_changes_nothing(
    client: Client, work: Work, username: str, step: str, status: int, message: str
) -> None:
    v2 = new_version(work)
    before = (
        list(CatalogueVersion.objects.values_list("pk", "status").order_by("pk")),
        ProductType.objects.count(),
    )
    login(client, username)
    if step == "propose":
        response = propose(client, work)
    elif step == "add":
        response = client.post(reverse("web:work_product_add", args=[v2.pk]), product_data())
    else:
        response = client.post(reverse(f"web:work_version_{step}", args=[v2.pk]), {"note": "x"})
    assert response.status_code == status
    assert message in html(response) and "dữ liệu không thay đổi" in html(response)
    after = (
        list(CatalogueVersion.objects.values_list("pk", "status").order_by("pk")),
        ProductType.objects.count(),
    )
    assert after == before


def test_a_decided_version_refuses_edits_through_the_pages(client: Client, work: Work) -> None:
    login(client, "head_x")
    response = client.post(reverse("web:work_product_add", args=[work.version.pk]), product_data())
    assert response.status_code == 409
    assert "Phiên bản 1 đã được quyết định nên không sửa được" in html(response)
    cv = work.products["CV"]
    response = client.post(
        reverse("web:work_product_edit", args=[cv.pk]),
        {
            "name": "Đổi tên",
            "unit_of_measure": "văn bản",
            "coefficient": "9",
            "complexity_group": "1",
        },
    )
    assert response.status_code == 409 and "đã được quyết định" in html(response)
    cv.refresh_from_db()
    assert cv.name == "Công văn" and str(cv.coefficient) == "0.5000"
    assert not ProductType.objects.filter(code="KH").exists()


def test_a_duplicate_code_is_a_field_error(client: Client, work: Work) -> None:
    v2 = new_version(work)
    login(client, "head_x")
    response = client.post(reverse("web:work_product_add", args=[v2.pk]), product_data(code="CV"))
    assert response.status_code == 409
    assert "Phiên bản đã có sản phẩm mã “CV”." in html(response)
    assert v2.product_types.count() == 4


# --- plans --------------------------------------------------------------------------------------


def test_the_plan_list_shows_visible_plans(client: Client, work: Work) -> None:
    page = login(client, "staff_x").get(reverse("web:work_plan_list"))
    assert page.status_code == 200
    assert "Kế hoạch công tác 2026" in html(page)
    assert reverse("web:work_plan", args=[work.plan.pk]) in html(page)
    assert reverse("web:work_plan_new") not in html(page)
    other = login(client, "staff_y").get(reverse("web:work_plan_list"))
    assert other.status_code == 200 and "Kế hoạch công tác 2026" not in html(other)
    leader = login(client, "head_x").get(reverse("web:work_plan_list"))
    assert reverse("web:work_plan_new") in html(leader)


def test_plan_detail_lists_each_items_tasks(client: Client, work: Work) -> None:
    accepted = work.assign(title="Công văn đã xong", quantity=2)
    work.act(accepted, "submit", on=JAN_10)
    work.act(accepted, "accept", by="head_x", on=JAN_10)
    late = work.assign("staff_x1", title="Công văn quá hạn", deadline=JAN_20, on=JAN_5)
    january = {"month": "2026-01"}  # the page shows one month at a time
    page = login(client, "head_x").get(reverse("web:work_plan", args=[work.plan.pk]), january)
    assert page.status_code == 200
    text = html(page)
    assert "Văn bản tham mưu tháng 1" in text and "Tháng 1" in text
    assert "2 nhiệm vụ" in text and "đã nghiệm thu 1" in text and "quá hạn 1" in text
    for task in (accepted, late):
        assert task.title in text and reverse("web:work_task", args=[task.pk]) in text
    assert "Thêm nội dung kế hoạch" in text
    # a member of the unit sees the plan and only the tasks they may see, no form
    mine = login(client, "staff_x").get(reverse("web:work_plan", args=[work.plan.pk]), january)
    assert mine.status_code == 200
    assert "Công văn đã xong" in html(mine) and "Công văn quá hạn" not in html(mine)
    assert "Thêm nội dung kế hoạch" not in html(mine)


def test_a_unit_leader_creates_a_plan(client: Client, work: Work) -> None:
    login(client, "head_x")
    form = client.get(reverse("web:work_plan_new"))
    assert form.status_code == 200 and "Vụ Xây dựng" in html(form)
    data = {"unit": work.cast.unit_x.pk, "year": "2027", "title": "Kế hoạch 2027"}
    response = client.post(reverse("web:work_plan_new"), data)
    plan = Plan.objects.get(unit=work.cast.unit_x, year=2027)
    assert response.status_code == 302 and response["Location"] == reverse(
        "web:work_plan", args=[plan.pk]
    )
    # the same year twice: refused, nothing created
    again = client.post(reverse("web:work_plan_new"), {**data, "title": "Lần hai"})
    assert again.status_code == 409
    assert "Vụ Xây dựng đã có kế hoạch năm 2027." in html(again)
    assert Plan.objects.filter(unit=work.cast.unit_x).count() == 2
    # a unit the leader does not lead is not offered
    other = client.post(reverse("web:work_plan_new"), {**data, "unit": work.cast.unit_y.pk})
    assert other.status_code == 400 and not Plan.objects.filter(unit=work.cast.unit_y).exists()


def test_adding_a_plan_item_through_the_page(client: Client, work: Work) -> None:
    url = reverse("web:work_plan_item_add", args=[work.plan.pk])
    data = {
        "title": "Báo cáo quý 2",
        "frequency": "quarter",
        "period_number": "2",
        "product_type": work.products["BC"].pk,
        "target_quantity": "3",
    }
    response = login(client, "head_x").post(url, data)
    assert response.status_code == 302
    item = PlanItem.objects.get(plan=work.plan, title="Báo cáo quý 2")
    assert item.frequency == "quarter" and item.period_number == 2
    assert item.product_type == work.products["BC"]
    # the service's own range check becomes a field error
    bad = client.post(url, {**data, "title": "Quý thứ năm", "period_number": "5"})
    assert bad.status_code == 400 and "Số kỳ phải từ 1 đến 4." in html(bad)
    assert not PlanItem.objects.filter(title="Quý thứ năm").exists()


def test_a_refused_plan_item_shows_the_message_and_changes_nothing(
    client: Client, work: Work
) -> None:
    url = reverse("web:work_plan_item_add", args=[work.plan.pk])
    data = {"title": "Việc lạ", "frequency": "month", "period_number": "3"}
    before = PlanItem.objects.count()
    response = login(client, "staff_x").post(url, data)
    assert response.status_code == 403
    assert "Chỉ lãnh đạo đơn vị lập và sửa kế hoạch công tác của đơn vị." in html(response)
    head_y = login(client, "head_y").post(url, data)  # leads another unit: cannot see it
    assert head_y.status_code == 403
    assert PlanItem.objects.count() == before


def test_the_nav_links_to_catalogues_and_plans(client: Client, cast: Cast) -> None:
    page = login(client, "staff_x").get(reverse("web:work_plan_list"))
    text = html(page)
    assert "Danh mục sản phẩm" in text and "Kế hoạch" in text
    assert 'href="/work/plans/" aria-current="page"' in text.replace(
        reverse("web:work_plan_list"), "/work/plans/"
    )
