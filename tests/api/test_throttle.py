"""Issue 16: a per-client API throttle, and a guard on token guessing per real client address."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client, override_settings

from tests.api.conftest import Api
from tests.clock import Travel
from tests.conftest import Cast
from thuocdo.api.services import client_create
from thuocdo.api.throttle import parse_rate

pytestmark = pytest.mark.django_db


def second_client(cast: Cast) -> Api:
    _, token = client_create(
        actor=None, agency=cast.agency_a, name="Hệ thống giao việc", scopes=["org:read"]
    )
    return Api(token)


@override_settings(API_RATE_LIMIT="3/min")
def test_a_client_over_its_rate_gets_429_with_retry_after_and_others_are_not_slowed(
    api_a: Api, cast: Cast
) -> None:
    answers = [api_a.get("/units").status_code for _ in range(3)]
    assert answers == [200, 200, 200]
    refused = api_a.get("/units")
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith("Quá nhiều yêu cầu: thử lại sau ")
    wait = int(refused["Retry-After"])
    assert 1 <= wait <= 60
    english = api_a.get("/units", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 429
    assert english.json()["detail"].startswith("Too many requests")
    # The limit is the client's, not the address's: another client from the same address
    # is served.
    assert second_client(cast).get("/units").status_code == 200


@override_settings(API_RATE_LIMIT="2/min")
def test_the_window_ends_and_the_client_is_served_again(api_a: Api, travel: Travel) -> None:
    assert [api_a.get("/units").status_code for _ in range(3)] == [200, 200, 429]
    travel.shift(dt.timedelta(seconds=61))
    assert api_a.get("/units").status_code == 200


@override_settings(API_RATE_LIMIT="off")
def test_off_means_no_limit(api_a: Api) -> None:
    assert {api_a.get("/units").status_code for _ in range(20)} == {200}


@override_settings(API_AUTH_FAILURE_LIMIT="3/min")
def test_an_address_guessing_tokens_is_stopped_before_the_lookup(api_a: Api) -> None:
    guesser = Api("td_abcdefgh_wrong-secret")
    assert [guesser.get("/units").status_code for _ in range(3)] == [401, 401, 401]
    assert guesser.get("/units").status_code == 429
    # Even the right token from that address waits: the address is what is throttled.
    assert api_a.get("/units").status_code == 429
    # Another address is not affected.
    assert api_a.get("/units", REMOTE_ADDR="198.51.100.9").status_code == 200


@override_settings(API_AUTH_FAILURE_LIMIT="2/min", TRUSTED_PROXIES=["10.0.0.5"])
def test_behind_a_trusted_proxy_the_real_client_is_throttled_not_the_proxy(api_a: Api) -> None:
    def guess(real: str) -> int:
        return int(
            Client()
            .get(
                "/api/v1/units",
                HTTP_AUTHORIZATION="Bearer td_abcdefgh_wrong",
                REMOTE_ADDR="10.0.0.5",
                HTTP_X_FORWARDED_FOR=real,
            )
            .status_code
        )

    assert [guess("203.0.113.7") for _ in range(3)] == [401, 401, 429]
    assert guess("203.0.113.8") == 401
    # A forged header from an untrusted peer does not let one address spread its guesses.
    assert (
        Client()
        .get(
            "/api/v1/units",
            HTTP_AUTHORIZATION="Bearer td_abcdefgh_wrong",
            REMOTE_ADDR="192.0.2.1",
            HTTP_X_FORWARDED_FOR="203.0.113.99",
        )
        .status_code
        == 401
    )


@pytest.mark.parametrize(
    ("rate", "parsed"),
    [("600/min", (600, 60)), ("10/s", (10, 1)), ("5000/hour", (5000, 3600)), ("off", None)],
)
def test_rates_are_read(rate: str, parsed: tuple[int, int] | None) -> None:
    assert parse_rate(rate) == parsed


@pytest.mark.parametrize("rate", ["600", "0/min", "abc/min", "10/week", "-1/s"])
def test_a_malformed_rate_is_refused_naming_it(rate: str) -> None:
    with pytest.raises(ValueError, match="Sai định dạng giới hạn"):
        parse_rate(rate)


@override_settings(API_RATE_LIMIT="600/fortnight")
def test_a_malformed_rate_stops_the_server_from_starting() -> None:
    with pytest.raises(SystemCheckError, match="API_RATE_LIMIT"):
        call_command("check")
