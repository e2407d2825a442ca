"""Settings come from the environment; production values pass Django's deploy check."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD, Cast

ROOT = Path(__file__).resolve().parents[2]


def run_manage(
    args: list[str], env: dict[str, str], tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    # A throw-away SQLite under tmp_path unless the test names a database itself.
    inherited = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    full_env = {**inherited, "VAR_DIR": str(tmp_path), **env}
    return subprocess.run(
        [sys.executable, "-m", "thuocdo.manage", *args],
        env=full_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_values_pass_the_deploy_check(tmp_path: Path) -> None:
    result = run_manage(
        ["check", "--deploy", "--fail-level", "WARNING"],
        {
            "SECURE": "1",
            "DEBUG": "0",
            "SECRET_KEY": "k" * 20 + "-production-secret-" + "z" * 40,
            "ALLOWED_HOSTS": "kpi.example.gov.vn",
        },
        tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    env = {"SECRET_KEY": ""}
    first = run_manage(
        [
            "shell",
            "--no-imports",
            "-c",
            "from django.conf import settings; print(settings.SECRET_KEY)",
        ],
        env,
        tmp_path,
    )
    second = run_manage(
        [
            "shell",
            "--no-imports",
            "-c",
            "from django.conf import settings; print(settings.SECRET_KEY)",
        ],
        env,
        tmp_path,
    )
    key_file = tmp_path / "secret_key"
    assert first.returncode == 0, first.stderr
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert first.stdout.strip() == second.stdout.strip() == key_file.read_text().strip()
    assert len(first.stdout.strip()) >= 50


def test_debug_is_off_unless_asked(tmp_path: Path) -> None:
    code = (
        "from django.conf import settings; "
        "print(settings.DEBUG, settings.TIME_ZONE, settings.LANGUAGE_CODE)"
    )
    assert run_manage(["shell", "--no-imports", "-c", code], {}, tmp_path).stdout.split() == [
        "False",
        "Asia/Ho_Chi_Minh",
        "vi",
    ]
    assert (
        run_manage(["shell", "--no-imports", "-c", code], {"DEBUG": "1"}, tmp_path).stdout.split()[
            0
        ]
        == "True"
    )


def test_passwords_are_hashed_with_argon2_in_production(settings: Any) -> None:
    import thuocdo.config.settings as configured

    production = "django.contrib.auth.hashers.Argon2PasswordHasher"
    # The test run puts a fast hasher first; the production setting is read from the module.
    assert configured.PASSWORD_HASHERS[0] == production
    settings.PASSWORD_HASHERS = configured.PASSWORD_HASHERS
    encoded = make_password("Mật khẩu dài 2025")
    assert identify_hasher(encoded).algorithm == "argon2"
    assert check_password("Mật khẩu dài 2025", encoded)


def test_repeated_failed_logins_lock_the_account_for_a_while(client: Client, cast: Cast) -> None:
    url = reverse("web:login")
    for _ in range(4):
        page = client.post(url, {"username": "staff_x", "password": "sai-mật-khẩu"})
        assert page.status_code == 200
    fifth = client.post(url, {"username": "staff_x", "password": "sai-mật-khẩu"})
    assert fifth.status_code == 429
    locked = client.post(url, {"username": "staff_x", "password": PASSWORD})
    assert locked.status_code == 429
    assert "Tạm khoá đăng nhập" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not locked by these failures.
    other = client.post(url, {"username": "staff_y", "password": PASSWORD})
    assert other.status_code == 302


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, seconds: float = 30) -> tuple[int, bytes]:
    """The first HTTP answer from a server that is still starting."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    """A real server pointed at a PostgreSQL port where nothing listens."""
    port = free_port()
    dead_db = f"postgres://nobody@127.0.0.1:{free_port()}/nothing"
    env = {
        **os.environ,
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": dead_db,
        "DJANGO_SETTINGS_MODULE": "thuocdo.config.settings",
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "thuocdo.config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        status, body = wait_for(f"http://127.0.0.1:{port}/healthz")
        assert status == 503
        assert json.loads(body)["status"] == "error"
    finally:
        server.terminate()
        server.wait(timeout=10)
