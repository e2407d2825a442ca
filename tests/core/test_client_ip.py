"""The real client address: X-Forwarded-For is read only from a trusted proxy."""

from __future__ import annotations

from typing import Any

from django.test import RequestFactory

from thuocdo.core.client_ip import client_ip

factory = RequestFactory()


def ip_of(remote: str, forwarded: str | None = None) -> str:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(factory.get("/", **extra))  # type: ignore[arg-type]


def test_without_trusted_proxies_it_is_the_peer_and_the_header_is_ignored(settings: Any) -> None:
    settings.TRUSTED_PROXIES = []
    assert ip_of("203.0.113.7") == "203.0.113.7"
    assert ip_of("203.0.113.7", "198.51.100.1") == "203.0.113.7"


def test_a_forged_header_from_an_untrusted_peer_is_ignored(settings: Any) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    assert ip_of("203.0.113.7", "198.51.100.1, 10.0.0.1") == "203.0.113.7"


def test_behind_a_trusted_proxy_it_is_the_right_most_untrusted_hop(settings: Any) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "192.0.2.5"]
    assert ip_of("10.0.0.1", "198.51.100.9") == "198.51.100.9"
    # The client wrote "1.2.3.4" itself; nginx appended the real address.
    assert ip_of("10.0.0.1", "1.2.3.4, 198.51.100.9") == "198.51.100.9"
    # Two proxies in a row: both skipped.
    assert ip_of("10.0.0.1", "1.2.3.4, 198.51.100.9, 192.0.2.5") == "198.51.100.9"


def test_behind_a_trusted_proxy_without_a_usable_header_it_is_the_proxy(settings: Any) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert ip_of("10.0.0.1") == "10.0.0.1"
    assert ip_of("10.0.0.1", "10.0.0.2") == "10.0.0.1"
    assert ip_of("10.0.0.1", "1.2.3.4, not-an-address") == "10.0.0.1"


def test_ipv6_and_ports_are_understood(settings: Any) -> None:
    settings.TRUSTED_PROXIES = ["::1", "127.0.0.1"]
    assert ip_of("::1", "2001:db8::7") == "2001:db8::7"
    assert ip_of("127.0.0.1", "[2001:db8::8]:4431") == "2001:db8::8"
    assert ip_of("127.0.0.1", "198.51.100.3:51234") == "198.51.100.3"
    assert ip_of("::ffff:127.0.0.1", "198.51.100.4") == "198.51.100.4"
