"""Pages through Django's test client, on the real database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD, Cast
from thuocdo.audit.models import AuditEntry
from thuocdo.core.models import User
from thuocdo.org.models import Assignment, Person, Unit


def login(client: Client, username: str) -> Client:
    client.force_login(User.objects.get(username=username))
    return client


def test_the_login_page_speaks_vietnamese_first(client: Client) -> None:
    page = client.get(reverse("web:login"))
    html = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="vi">' in html
    assert "Đăng nhập" in html and "Tên đăng nhập" in html and "Mật khẩu" in html


def test_anonymous_visitors_are_sent_to_login(client: Client) -> None:
    page = client.get(reverse("web:home"))
    assert page.status_code == 302 and page.url.startswith(reverse("web:login"))


def test_signing_in_with_the_form_reaches_the_home_page_and_is_audited(
    client: Client, cast: Cast
) -> None:
    page = client.post(
        reverse("web:login"), {"username": "staff_x", "password": PASSWORD}, follow=True
    )
    assert page.status_code == 200
    assert "Xin chào, Nguyễn Văn Staff X" in page.content.decode()
    entry = AuditEntry.objects.filter(action="auth.login").latest("id")
    assert entry.actor == cast.user("staff_x") and entry.channel == "web"
    assert entry.ip == "127.0.0.1"


def test_a_wrong_password_gets_a_clear_message(client: Client, cast: Cast) -> None:
    page = client.post(reverse("web:login"), {"username": "staff_x", "password": "sai"})
    assert page.status_code == 200
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in page.content.decode()
    assert AuditEntry.objects.filter(action="auth.login_failed", object_repr="staff_x").exists()


@pytest.mark.parametrize(
    ("username", "sees", "does_not_see"),
    [
        ("staff_x", ["Công tác của tôi", "Vụ Xây dựng"], ["Đơn vị tôi phụ trách", "Toàn cơ quan"]),
        ("head_x", ["Đơn vị tôi phụ trách", "Lãnh đạo đơn vị"], ["Toàn cơ quan"]),
        ("leader_a", ["Toàn cơ quan", "Lãnh đạo cơ quan", "Vụ Yên Bình"], ["Nhật ký gần đây"]),
        ("personnel_a", ["Tổ chức cán bộ", "Cơ cấu tổ chức"], ["Nhật ký gần đây"]),
        ("auditor_a", ["Nhật ký gần đây", "Thanh tra, kiểm tra"], ["Đơn vị tôi phụ trách"]),
    ],
)
def test_the_home_page_fits_the_role(
    client: Client, cast: Cast, username: str, sees: list[str], does_not_see: list[str]
) -> None:
    html = login(client, username).get(reverse("web:home")).content.decode()
    for text in sees:
        assert text in html, text
    for text in does_not_see:
        assert text not in html, text


def test_a_unit_head_sees_their_unit_but_not_another(client: Client, cast: Cast) -> None:
    login(client, "head_x")
    own = client.get(reverse("web:unit_detail", args=[cast.unit_x.pk]))
    assert own.status_code == 200
    assert "Nguyễn Văn Staff X" in own.content.decode()
    other = client.get(reverse("web:unit_detail", args=[cast.unit_y.pk]))
    assert other.status_code == 403
    assert "Bạn không có quyền xem đơn vị này." in other.content.decode()


def test_an_unknown_id_is_a_404_naming_it(client: Client, cast: Cast) -> None:
    page = login(client, "leader_a").get(reverse("web:person_detail", args=[424242]))
    assert page.status_code == 404
    assert "Không tìm thấy cán bộ #424242." in page.content.decode()


def test_the_english_interface_is_one_click_away(client: Client, cast: Cast) -> None:
    login(client, "head_x")
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("web:home")).content.decode()
    assert '<html lang="en">' in html
    assert "Units I lead" in html and "Sign out" in html
    refused = client.get(reverse("web:unit_detail", args=[cast.unit_y.pk]))
    assert "You may not view this unit." in refused.content.decode()


def test_the_audit_page_is_for_auditors_only(client: Client, cast: Cast) -> None:
    page = login(client, "head_x").get(reverse("web:audit_log"))
    assert page.status_code == 403
    assert "dành cho thanh tra" in page.content.decode()


def test_the_auditor_filters_the_log(client: Client, cast: Cast) -> None:
    login(client, "auditor_a")
    page = client.get(reverse("web:audit_log"), {"action": "org.role.grant"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "2 mục" in html  # the personnel and auditor grants of agency A
    assert "org.person.create" not in html.split("<tbody>")[1]
    everything = client.get(reverse("web:audit_log")).content.decode()
    assert "Sở Thử nghiệm B" not in everything  # agency B's entries stay hidden
    bad = client.get(reverse("web:audit_log"), {"date_from": "2025-05-02", "date_to": "2025-05-01"})
    assert "“Từ ngày” phải trước hoặc bằng “Đến ngày”." in bad.content.decode()


def test_the_personnel_office_moves_a_person_through_the_page(client: Client, cast: Cast) -> None:
    login(client, "personnel_a")
    person = cast.person("staff_x")
    url = reverse("web:person_move", args=[person.pk])
    form = {
        "unit": cast.unit_y.pk,
        "role": "staff",
        "start_date": "2025-09-01",
        "reason": "Quyết định điều động số 12/QĐ",
    }
    page = client.post(url, form, follow=True)
    assert page.status_code == 200
    assert "Đã ghi nhận chuyển công tác." in page.content.decode()
    current = Assignment.objects.get(person=person, end_date__isnull=True)
    assert current.unit == cast.unit_y and current.start_date == dt.date(2025, 9, 1)
    entry = AuditEntry.objects.filter(action="org.assignment.start").latest("id")
    assert entry.channel == "web" and entry.path == url
    assert entry.reason == "Quyết định điều động số 12/QĐ"


def test_a_refused_move_shows_the_rule_and_changes_nothing(client: Client, cast: Cast) -> None:
    login(client, "personnel_a")
    person = cast.person("staff_y")
    form = {
        "unit": cast.unit_x.pk,
        "role": "head",
        "start_date": "2025-09-01",
        "reason": "Bổ nhiệm",
    }
    page = client.post(reverse("web:person_move", args=[person.pk]), form)
    assert page.status_code == 200
    assert "Vụ Xây dựng đã có cấp trưởng" in page.content.decode()
    assert cast.assignment("staff_y").unit == cast.unit_y


def test_a_head_cannot_move_people(client: Client, cast: Cast) -> None:
    page = login(client, "head_x").get(reverse("web:person_move", args=[cast.person("staff_x").pk]))
    assert page.status_code == 403
    assert "Bạn không có quyền thay đổi hồ sơ cán bộ này." in page.content.decode()


def test_healthz_reports_a_working_database(client: Client, db: None) -> None:
    page = client.get("/healthz")
    assert page.status_code == 200
    assert page.json() == {"status": "ok", "database": "ok"}


def test_the_personnel_office_adds_a_person_to_a_unit(client: Client, cast: Cast) -> None:
    login(client, "personnel_a")
    form = {
        "full_name": "  Vũ   Thị Hồng Nhung ",
        "code": "N-001",
        "category": "vien_chuc",
        "role": "staff",
        "start_date": "2025-10-01",
        "reason": "Quyết định tiếp nhận số 45/QĐ",
    }
    page = client.post(reverse("web:unit_join", args=[cast.unit_x.pk]), form, follow=True)
    assert "Đã thêm cán bộ vào đơn vị." in page.content.decode()
    person = Person.objects.get(code="N-001")
    assert person.full_name == "Vũ Thị Hồng Nhung"
    assert person.assignments.get().unit == cast.unit_x


def test_adding_a_person_with_a_taken_code_adds_nothing(client: Client, cast: Cast) -> None:
    login(client, "personnel_a")
    people_before = Person.objects.count()
    form = {
        "full_name": "Lê Văn Trùng",
        "code": "P001",
        "category": "cong_chuc",
        "role": "staff",
        "start_date": "2025-10-01",
        "reason": "Thử",
    }
    page = client.post(reverse("web:unit_join", args=[cast.unit_x.pk]), form)
    assert "Đã có người mang mã “P001”." in page.content.decode()
    assert Person.objects.count() == people_before


def test_the_personnel_office_adds_a_unit_and_a_head_cannot(client: Client, cast: Cast) -> None:
    form = {"code": "X2", "name": "Phòng Hai", "kind": "office"}
    refused = login(client, "head_x").post(
        reverse("web:unit_add_child", args=[cast.unit_x.pk]), form
    )
    assert refused.status_code == 403
    login(client, "personnel_a")
    page = client.post(reverse("web:unit_add_child", args=[cast.unit_x.pk]), form, follow=True)
    assert "Đã thêm đơn vị." in page.content.decode()
    assert Unit.objects.get(code="X2").parent == cast.unit_x
    duplicate = client.post(reverse("web:unit_add_child", args=[cast.unit_x.pk]), form)
    assert "Cơ quan đã có đơn vị mã “X2”." in duplicate.content.decode()
