"""What an integration sends is read exactly: no parameter ignored, no quantity rounded away.

Found by the schemathesis run (issue 16): an undeclared query parameter was ignored (a
misspelt filter returned every task), a repeated one silently took its last value, and a
quantity sent as a JSON number (2.57 is the float 2.5700000000000003) was refused for its
digits although the schema allowed it.
"""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import Api
from tests.api.test_tasks_api import body, create, problem
from tests.conftest import Cast
from tests.work.conftest import Work, build_work


@pytest.fixture
def work(cast: Cast) -> Work:
    return build_work(cast)


def test_a_misspelt_filter_is_refused_not_ignored(api_a: Api, work: Work) -> None:
    create(api_a, work)
    data = problem(api_a.get("/tasks", data={"owner": "P999"}), 422)
    assert data["field"] == "owner"
    assert data["errors"][0]["message"].startswith("Tham số không có trong API này")
    english = problem(api_a.get("/tasks?owner=P999", HTTP_ACCEPT_LANGUAGE="en"), 422)
    assert english["errors"][0]["message"].startswith("Unknown parameter")
    # A declared filter still works, and an operation without parameters refuses any.
    assert api_a.get("/tasks", data={"owner_code": "P999"}).json()["count"] == 0
    unit = work.cast.unit_x.pk
    assert problem(api_a.get(f"/units/{unit}?limit=5"), 422)["field"] == "limit"


def test_a_filter_sent_twice_is_refused_unless_it_is_a_list(api_a: Api, work: Work) -> None:
    data = problem(api_a.get("/tasks?owner_code=A&owner_code=B"), 422)
    assert data["field"] == "owner_code"
    assert data["errors"][0]["message"] == "Tham số chỉ được gửi một lần"
    # `state` is a list: repeating it is how several states are asked for.
    assert api_a.get("/tasks?state=assigned&state=in_progress").status_code == 200


def test_without_a_valid_token_the_parameters_are_not_judged(api_a: Api) -> None:
    stranger = Api("td_abcdefgh_wrong")
    assert stranger.get("/tasks?owner=P1").status_code == 401


@pytest.mark.parametrize(
    ("sent", "kept"), [(2.57, "2.57"), (0.1 + 0.2, "0.30"), (9999999999.99, "9999999999.99")]
)
def test_a_quantity_sent_as_a_json_number_keeps_its_cents(
    api_a: Api, work: Work, sent: float, kept: str
) -> None:
    raw = json.dumps(body(work, quantity=sent))
    answer = api_a.post_raw("/tasks", raw)
    assert answer.status_code == 201, answer.content
    assert answer.json()["quantity"] == kept


@pytest.mark.parametrize("sent", [2.575, 1e-3, 12345678901.0])
def test_a_json_number_with_more_than_cents_is_refused_naming_the_field(
    api_a: Api, work: Work, sent: float
) -> None:
    data = problem(api_a.post("/tasks", body(work, quantity=sent)), 422)
    assert data["field"] == "quantity"
