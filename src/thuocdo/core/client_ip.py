"""The real client address of a request, the one place that reads it.

Behind a reverse proxy every request arrives from the proxy's address. Only when the
peer (REMOTE_ADDR) is one of the TRUSTED_PROXIES do we look at X-Forwarded-For, and
then take the right-most address that is not itself a trusted proxy: the addresses to
its left were written by the client and can be forged. A forged header from an
untrusted peer is never read.

Lockouts (django-axes, through AXES_CLIENT_IP_CALLABLE), throttles and the audit log
all ask this function.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """IPs or CIDRs ("10.0.0.1", "10.0.0.0/8", "::1") as networks; a bad entry raises."""
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values if v.strip())


@lru_cache(maxsize=8)
def _trusted(values: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(values)


def _address(value: str) -> Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.7:51234"
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _is_trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address in network for network in networks)


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or behind a trusted proxy the nearest untrusted X-Forwarded-For hop."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    networks = _trusted(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))
    peer = _address(remote)
    if peer is None or not networks or not _is_trusted(peer, networks):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "") or ""
    for hop in reversed(forwarded.split(",")):
        address = _address(hop)
        if address is None:
            # Garbage in the chain: stop rather than trust what lies to its left.
            break
        if not _is_trusted(address, networks):
            return str(address)
    # Only proxies (or nothing usable) in the chain: the nearest proxy is the client we know.
    return remote
