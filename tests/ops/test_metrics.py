"""Issue 17, point 3: `/metrics` for Prometheus behind a setting. Off by default (404);
with METRICS=1 a server answers the scraper's address and refuses any other."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.test import Client

from tests.ops.test_deploy_kit import SRC, free_port


def test_off_by_default(client: Client, db: None) -> None:
    assert client.get("/metrics").status_code == 404


def get(url: str, **headers: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_on_it_counts_requests_for_the_scraper_only(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'm.sqlite3'}",
        "VAR_DIR": str(tmp_path / "var"),
        "PYTHONPATH": str(SRC),
        "METRICS": "1",
        "TRUSTED_PROXIES": "127.0.0.1",  # so a forwarded address stands for another client
        "LOG_LEVEL": "WARNING",
    }
    manage = [sys.executable, "-m", "thuocdo.manage"]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, timeout=300)
    # as every install does (its pages, the refusal's page too, use the collected files)
    subprocess.run([*manage, "collectstatic", "--no-input", "-v0"], env=env, check=True)
    port = free_port()
    server = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload", "--nothreading"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if get(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        status, body = get(f"{base}/metrics")
        assert status == 200, body[:500]
        assert "django_http_requests_total_by_view_transport_method_total" in body
        assert 'view="web:healthz"' in body  # the health check above was counted
        refused, text = get(f"{base}/metrics", **{"X-Forwarded-For": "10.20.30.40"})
        assert refused == 403 and "METRICS_FROM" in text
    finally:
        server.terminate()
        server.wait(timeout=30)
