"""Malformed input gets a clear 4xx naming the parameter, never a 5xx: NUL characters
anywhere, date-times that are not ISO 8601, oversized bodies."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import override_settings

from tests.api.conftest import Api
from tests.api.test_tasks_api import body, create, problem
from tests.conftest import Cast
from tests.work.conftest import Work, build_work
from thuocdo.core import clock
from thuocdo.work.models import Task


@pytest.fixture
def work(cast: Cast) -> Work:
    return build_work(cast)


def test_a_nul_in_a_query_parameter_is_a_400_naming_it(api_a: Api, work: Work) -> None:
    data = problem(api_a.get("/people", data={"q": "Nguy\x00n"}), 400)
    assert data["field"] == "q"
    assert data["detail"].startswith("Tham số “q” chứa ký tự NUL")
    data = problem(api_a.get("/tasks", data={"owner_code": "P\x00"}), 400)
    assert data["field"] == "owner_code"
    english = api_a.get("/tasks", data={"owner_code": "\x00"}, HTTP_ACCEPT_LANGUAGE="en")
    assert problem(english, 400)["detail"].startswith("The parameter 'owner_code' contains a NUL")


def test_half_a_utf16_pair_in_a_json_string_is_a_400_naming_the_field(
    api_a: Api, work: Work
) -> None:
    """`"\\ud800"` decodes to a string no UTF-8 database can store (a 500 on PostgreSQL)."""
    raw = json.dumps(body(work)).replace('"title": "', '"title": "\\ud800', 1)
    response = api_a.post_raw("/tasks", raw)
    data = problem(response, 400)
    assert data["field"] == "title"
    assert "nửa cặp ký tự UTF-16" in data["detail"]
    # A whole pair (an emoji written as two escapes) is an ordinary character.
    paired = json.dumps(body(work)).replace('"title": "', '"title": "\\ud83d\\ude00 ', 1)
    accepted = api_a.post_raw("/tasks", paired)
    assert accepted.status_code == 201, accepted.content
    assert Task.objects.get().title.startswith("\U0001f600 ")


def test_a_nul_in_a_json_string_is_a_400_naming_the_field(api_a: Api, work: Work) -> None:
    data = problem(api_a.post("/tasks", body(work, title="Soạn\u0000 công văn")), 400)
    assert data["field"] == "title"
    nested = api_a.post("/tasks", body(work, collaborator_codes=["P005", "P\x00"]))
    assert problem(nested, 400)["field"] == "collaborator_codes.1"
    key = api_a.post("/tasks", {**body(work), "ti\x00tle": "x"})
    assert problem(key, 400)["field"] == "ti\\0tle"
    assert not Task.objects.exists()
    task = create(api_a, work)
    edit = api_a.patch(
        f"/tasks/{task['id']}",
        {"acting_person_code": "P002", "version": 1, "description": "a\x00"},
    )
    assert problem(edit, 400)["field"] == "description"


def test_a_raw_nul_byte_in_the_body_or_a_header_is_a_400(api_a: Api, work: Work) -> None:
    raw = api_a.client.post(
        "/api/v1/tasks",
        b'{"title": "a\x00b"}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api_a.token}",
    )
    assert problem(raw, 400)["field"] == "body"
    header = api_a.post("/tasks", body(work), HTTP_IDEMPOTENCY_KEY="k\x00")
    assert problem(header, 400)["field"] == "Idempotency-Key"
    assert not Task.objects.exists()


def test_a_nul_is_refused_before_the_token_is_checked(api_a: Api) -> None:
    answer = api_a.client.get("/api/v1/people", {"q": "\x00"})
    assert problem(answer, 400)["field"] == "q"


@pytest.mark.parametrize(
    "value",
    [
        "0.5",
        "1700000000",
        "2026-13-01T00:00:00",
        "2026-01-01T00:00:00+24:00",
        "2026-01-01T00:00:00+99:99",
        "0001-01-01T00:00:00+23:59",
        "9999-12-31T23:59:59-23:59",
        "0001-01-01T00:00:00",
        "null",
        "",
    ],
)
def test_updated_since_refuses_what_is_not_an_iso_date_time(
    api_a: Api, work: Work, value: str
) -> None:
    data = problem(api_a.get("/tasks", data={"updated_since": value}), 422)
    assert data["field"] == "updated_since"


def test_updated_since_accepts_every_offset_python_accepts(api_a: Api, work: Work) -> None:
    task = create(api_a, work)
    stamp = dt.datetime.fromisoformat(task["updated_at"])
    # The same instant written with the widest offsets Python reads.
    ahead = (stamp - dt.timedelta(minutes=1)).astimezone(
        dt.timezone(dt.timedelta(hours=23, minutes=59))
    )
    behind = (stamp + dt.timedelta(minutes=1)).astimezone(
        dt.timezone(-dt.timedelta(hours=23, minutes=59))
    )
    assert ahead.isoformat().endswith("+23:59")
    found = api_a.get("/tasks", data={"updated_since": ahead.isoformat()})
    assert found.status_code == 200 and found.json()["count"] == 1
    later = api_a.get("/tasks", data={"updated_since": behind.isoformat()})
    assert later.status_code == 200 and later.json()["count"] == 0
    for value in ("2026-03-31", "2026-03-31T08:00", "2026-03-31T08:00:00Z"):
        assert api_a.get("/tasks", data={"updated_since": value}).status_code == 200


@pytest.mark.parametrize("value", ["0", "0.5", "2026-02-30", "20260101T00", "null"])
def test_deadline_filters_take_iso_dates_only(api_a: Api, work: Work, value: str) -> None:
    for name in ("deadline_from", "deadline_to"):
        data = problem(api_a.get("/tasks", data={name: value}), 422)
        assert data["field"] == name
    today = clock.today().isoformat()
    assert api_a.get("/tasks", data={"deadline_from": today}).status_code == 200


@pytest.mark.parametrize("path", ["/tasks", "/units", "/people", "/catalogues", "/product-types"])
def test_offset_null_is_a_422_naming_offset(api_a: Api, work: Work, path: str) -> None:
    data = problem(api_a.get(path, data={"offset": "null"}), 422)
    assert data["field"] == "offset"
    assert data["errors"][0]["field"] == "offset"


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2000)
def test_an_oversized_body_is_a_json_413(api_a: Api, work: Work) -> None:
    big: dict[str, Any] = body(work, description="x" * 5000)
    data = problem(api_a.post("/tasks", big), 413)
    assert data["field"] == "body"
    assert "quá lớn" in data["detail"]
    english = api_a.post("/tasks", big, HTTP_ACCEPT_LANGUAGE="en")
    assert problem(english, 413)["detail"].startswith("The request body is too large")
    assert not Task.objects.exists()
