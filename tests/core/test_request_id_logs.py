"""Issue 17, point 3: every answer carries its request id in `X-Request-ID`; log lines are
JSON with that id; the audit entry of a write made by the request names the same id."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
from collections.abc import Iterator

import pytest
from django.test import Client

from tests.conftest import Cast
from thuocdo.audit.models import AuditEntry
from thuocdo.core.logs import JsonLines, OriginFilter, logging_config
from thuocdo.core.models import User
from thuocdo.core.origin import origin_scope

HEX32 = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """What the request logger writes, formatted as the console handler formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    handler.addFilter(OriginFilter())
    logger = logging.getLogger("thuocdo.request")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(level)


def records(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_each_answer_has_its_own_request_id_and_one_json_log_line(
    client: Client, db: None, lines: io.StringIO
) -> None:
    first = client.get("/healthz")
    second = client.get("/login/")
    ids = [first["X-Request-ID"], second["X-Request-ID"]]
    assert all(HEX32.fullmatch(i) for i in ids) and ids[0] != ids[1]
    logged = records(lines)
    assert [(r["path"], r["status"], r["request_id"]) for r in logged] == [
        ("/healthz", 200, ids[0]),
        ("/login/", 200, ids[1]),
    ]
    assert all(r["level"] == "INFO" and r["logger"] == "thuocdo.request" for r in logged)
    assert all(isinstance(r["ms"], float) and str(r["time"]).endswith("+00:00") for r in logged)


def test_an_early_refusal_also_carries_its_id(client: Client, db: None) -> None:
    refused = client.get("/login/?next=%00")  # the input guard answers 400 before any view
    assert refused.status_code == 400
    assert HEX32.fullmatch(refused["X-Request-ID"])


def test_a_proxys_id_is_kept_and_named_by_the_audit(
    client: Client, cast: Cast, lines: io.StringIO
) -> None:
    given = "0123456789abcdef0123456789abcdef"
    client.force_login(User.objects.get(username="personnel_a"))
    response = client.post(
        "/evaluations/notifications/email/",
        {"email_notifications": ""},
        HTTP_X_REQUEST_ID=given,
    )
    assert response.status_code == 302 and response["X-Request-ID"] == given
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry is not None and entry.request_id == given
    assert records(lines)[-1]["request_id"] == given
    assert records(lines)[-1]["user"] == "personnel_a"


@pytest.mark.parametrize("given", ["x" * 32, "abc", '0123"; DROP', "A" * 32 + "\n"])
def test_a_malformed_incoming_id_is_replaced(client: Client, db: None, given: str) -> None:
    answer = client.get("/healthz", HTTP_X_REQUEST_ID=given)
    assert answer["X-Request-ID"] != given and HEX32.fullmatch(answer["X-Request-ID"])


def test_a_line_outside_a_request_and_a_traceback_are_json_too() -> None:
    formatter, stamp = JsonLines(), OriginFilter()
    try:
        raise ValueError("hỏng")
    except ValueError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "Lỗi khi nhập %s", ("tệp",), sys.exc_info()
        )
    with origin_scope("cli:load_demo") as origin:
        stamp.filter(record)
    line = json.loads(formatter.format(record))
    assert line["message"] == "Lỗi khi nhập tệp"  # Vietnamese kept as written (not \\u escapes)
    assert "Lỗi khi nhập tệp" in formatter.format(record)
    assert line["request_id"] == origin.request_id and line["channel"] == "cli:load_demo"
    assert "ValueError: hỏng" in str(line["exception"])


def test_text_format_for_a_developer_console() -> None:
    config = logging_config(level="DEBUG", fmt="text")
    assert "format" in config["formatters"]["main"]
    assert config["root"]["level"] == "DEBUG"
    assert logging_config(level="INFO", fmt="json")["formatters"]["main"]["()"].endswith(
        "JsonLines"
    )
