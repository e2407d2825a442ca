"""Web pages answer a NUL character in any parameter with a 400 page naming it, not a 500
(PostgreSQL refuses NUL in text)."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from tests.conftest import Cast
from thuocdo.core.models import User
from thuocdo.org.models import Unit


def login(client: Client, username: str) -> Client:
    client.force_login(User.objects.get(username=username))
    return client


def test_a_nul_in_the_search_box_is_a_400_page(client: Client, cast: Cast) -> None:
    login(client, "head_x")
    page = client.get(reverse("web:search"), {"q": "Nguy\x00n"})
    html = page.content.decode()
    assert page.status_code == 400
    assert "Tham số “q” chứa ký tự NUL" in html
    assert "<html" in html


def test_a_nul_in_any_filter_is_a_400_page(client: Client, cast: Cast) -> None:
    login(client, "staff_x")
    for params in ({"q": "\x00"}, {"state": "x\x00"}, {"page": "1\x00"}, {"o\x00": "1"}):
        page = client.get(reverse("web:work_mine"), params)
        assert page.status_code == 400, params
    assert client.get(reverse("web:audit_log"), {"actor": "\x00"}).status_code == 400


def test_a_nul_in_a_form_field_is_refused_and_changes_nothing(client: Client, cast: Cast) -> None:
    login(client, "operator")
    before = Unit.objects.count()
    page = client.post(
        reverse("web:unit_add_child", args=[cast.agency_a.pk]), {"code": "N\x00", "name": "Đơn"}
    )
    assert page.status_code == 400
    assert "Tham số “code” chứa ký tự NUL" in page.content.decode()
    assert Unit.objects.count() == before


def test_a_nul_in_the_login_form_is_a_400(client: Client, cast: Cast) -> None:
    page = client.post(reverse("web:login"), {"username": "staff\x00x", "password": "x"})
    assert page.status_code == 400
    assert "Tham số “username” chứa ký tự NUL" in page.content.decode()


def test_the_page_is_in_english_when_asked(client: Client, cast: Cast) -> None:
    login(client, "head_x")
    page = client.get(reverse("web:search"), {"q": "\x00"}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 400
    assert "The parameter &#x27;q&#x27; contains a NUL" in page.content.decode()


def test_a_nul_in_a_cookie_does_not_reach_the_session_table(client: Client, cast: Cast) -> None:
    page = client.get(reverse("web:search"), {"q": "x"}, HTTP_COOKIE="sessionid=abc\x00defghij")
    assert page.status_code == 400
    assert "Cookie" in page.content.decode()


def test_ids_in_query_strings_that_name_no_row_are_ignored(client: Client, cast: Cast) -> None:
    """ "²".isdigit() is true and 40 nines overflow the database: both were a 500."""
    login(client, "head_x")
    for value in ("²", "٣", "9" * 40, "0", "-1"):
        assert client.get(reverse("web:work_assign"), {"owner": value}).status_code == 200
        assert client.get(reverse("web:dashboard"), {"person": value}).status_code == 200
    login(client, "operator")
    for value in ("²", "9" * 40):
        assert client.get(reverse("web:dashboard_agency"), {"agency": value}).status_code == 200
