"""The OpenAPI document is the contract: every status an operation can answer is listed,
and the API answers only what it lists (a bounded walk with malformed values; schemathesis
is not installed in this environment, so this test walks the document itself)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from tests.api.conftest import Api
from tests.conftest import Cast
from tests.work.conftest import Work, build_work

HUGE_ID = str(2**62)
MALFORMED = ["\x00", "0.5", "null", "", "-1", "1e308", "9" * 40, "2026-01-01T00:00:00+23:59"]


@pytest.fixture
def work(cast: Cast) -> Work:
    return build_work(cast)


@pytest.fixture
def document(client: Client, db: None) -> dict[str, Any]:
    return dict(client.get("/api/v1/openapi.json").json())


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]


def test_every_operation_lists_400_401_403_422_and_429(document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        listed = set(operation["responses"])
        assert {"400", "401", "403", "422", "429"} <= listed, (method, path, listed)


def test_every_path_with_an_id_lists_404_and_every_write_409_and_413(
    document: dict[str, Any],
) -> None:
    for path, method, operation in operations(document):
        listed = set(operation["responses"])
        if "{" in path:
            assert "404" in listed, (method, path)
        if method in {"post", "patch"}:
            assert {"409", "413"} <= listed, (method, path)
            assert operation.get("requestBody"), (method, path)


def test_the_quantity_limit_and_the_date_time_format_are_in_the_schema(
    document: dict[str, Any],
) -> None:
    quantity = document["components"]["schemas"]["TaskCreateIn"]["properties"]["quantity"]
    number, text = quantity["anyOf"]
    assert number["maximum"] == 9999999999.99
    assert re.match(text["pattern"], "9999999999.99")
    assert not re.match(text["pattern"], "12345678901")
    assert not re.match(text["pattern"], "1.234")
    parameters = document["paths"]["/api/v1/tasks"]["get"]["parameters"]
    since = next(p for p in parameters if p["name"] == "updated_since")
    assert since["schema"]["anyOf"][0] == {"format": "date-time", "type": "string"}


def _concrete(path: str, ids: dict[str, int]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), 1)), path)


def test_the_api_answers_only_what_it_documents(
    document: dict[str, Any], api_a: Api, work: Work
) -> None:
    """Every GET, without a token, with a wrong id and with malformed values in each query
    parameter; every write with a malformed body: never a 5xx, always a listed status."""
    task = api_a.post(
        "/tasks",
        {
            "assigner_code": work.cast.person("head_x").code,
            "owner_code": work.cast.person("staff_x").code,
            "title": "Soạn công văn",
            "kind": "arising",
            "deadline": "2030-01-01",
        },
    ).json()
    ids = {"unit_id": work.cast.unit_x.pk, "person_id": work.cast.person("head_x").pk}
    ids |= {"task_id": task["id"], "catalogue_id": 1}
    anonymous = Client()
    tried = 0
    for path, method, operation in operations(document):
        listed = {int(code) for code in operation["responses"]}
        relative = _concrete(path, ids).removeprefix("/api/v1")
        if method == "get":
            answers = [anonymous.get(_concrete(path, ids)), api_a.get(relative)]
            if "{" in path:
                answers.append(api_a.get(re.sub(r"/\d+(/|$)", f"/{HUGE_ID}\\1", relative, count=1)))
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "query":
                    continue
                for value in MALFORMED:
                    answers.append(
                        api_a.client.get(
                            f"/api/v1{relative}",
                            {parameter["name"]: value},
                            HTTP_AUTHORIZATION=f"Bearer {api_a.token}",
                        )
                    )
        else:
            send = api_a.post if method == "post" else api_a.patch
            answers = [
                send(relative, shape, HTTP_IF_MATCH='"1"')
                for shape in ([], "null", {"title": "\x00"}, {"quantity": "9" * 40}, {"x": 1})
            ]
        for answer in answers:
            tried += 1
            assert answer.status_code < 500, (method, path, answer.content[:300])
            assert answer.status_code in listed, (method, path, answer.status_code, listed)
            assert answer["Content-Type"].startswith("application/json"), (method, path)
    assert tried > 200
