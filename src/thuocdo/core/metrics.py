"""`/metrics` for Prometheus, when the install turns it on (`METRICS=1`): request counts
and latencies by view, database and cache use (django-prometheus). Only the addresses in
`METRICS_FROM` may read it (the scraper's; default the machine itself): the figures name
the site's views and are nobody else's business."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from thuocdo.core.client_ip import client_ip, parse_networks
from thuocdo.core.errors import AccessDenied


def metrics(request: HttpRequest) -> HttpResponse:
    from django_prometheus.exports import ExportToDjangoView  # installed with METRICS=1

    allowed = parse_networks(getattr(settings, "METRICS_FROM", ()))
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        address = None
    if address is None or not any(address in network for network in allowed):
        raise AccessDenied(
            "Chỉ máy thu thập số liệu được cấu hình (METRICS_FROM) mới đọc được /metrics.",
            "Only the configured metrics scraper (METRICS_FROM) may read /metrics.",
        )
    return ExportToDjangoView(request)
