"""Issue 17, point 3: the deployment kit. The systemd units' own command lines are started
here (web answers /healthz through gunicorn with its request id; the worker runs); the
compose file and the nginx sample are checked for what they must carry. (No Docker engine
or nginx runs on the test machines; the compose file is read, not started.)"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml

import thuocdo

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SRC = Path(thuocdo.__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def unit(name: str) -> dict[str, dict[str, list[str]]]:
    """A unit file's sections, each key with its values in order (ExecStartPre repeats)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for raw in (DEPLOY / "systemd" / name).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
        elif line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            current.setdefault(key.strip(), []).append(value.strip())
    return sections


def here(line: str, port: int = 8000) -> list[str]:
    """A unit's command line, pointed at this checkout's virtualenv and a free port."""
    line = line.replace("/srv/thuocdo/.venv/bin/", f"{BIN}/")
    return shlex.split(line.replace("127.0.0.1:8000", f"127.0.0.1:{port}"))


def start(line: str, env: dict[str, str], cwd: Path, port: int = 8000) -> subprocess.Popen[str]:
    return subprocess.Popen(
        here(line, port), env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_web_and_worker_units_start_and_answer(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'thuocdo.sqlite3'}",
        "VAR_DIR": str(tmp_path / "var"),
        "PYTHONPATH": str(SRC),
        "LOG_LEVEL": "INFO",
    }
    web = unit("thuocdo-web.service")["Service"]
    for step in web["ExecStartPre"]:  # migrations and static files, as the unit runs them
        subprocess.run(here(step), env=env, cwd=tmp_path, check=True, timeout=300)
    assert (tmp_path / "var" / "static" / "thuocdo").is_dir()
    port = free_port()
    server = start(web["ExecStart"][0], env, tmp_path, port)
    worker = start(unit("thuocdo-worker.service")["Service"]["ExecStart"][0], env, tmp_path)
    try:
        answer = None
        for _ in range(100):
            try:
                answer = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        assert answer is not None and answer.status == 200, "gunicorn did not answer"
        assert len(answer.headers["X-Request-ID"]) == 32
        assert worker.poll() is None, "the worker stopped"
    finally:
        for process in (server, worker):
            process.terminate()
        out = server.communicate(timeout=30)[0]
        worker.communicate(timeout=30)
    assert '"path": "/healthz"' in out, out[-2000:]  # its JSON access line


def test_every_unit_runs_as_the_service_user_with_the_settings_file() -> None:
    names = sorted(p.name for p in (DEPLOY / "systemd").glob("*.service"))
    assert {"thuocdo-web.service", "thuocdo-worker.service"} <= set(names)
    for name in names:
        service = unit(name)["Service"]
        assert service["User"] == ["thuocdo"], name
        assert service["EnvironmentFile"] == ["/etc/thuocdo/thuocdo.env"], name
        assert any(w in service["ExecStart"][0] for w in ("thuocdo.manage", "gunicorn")), name
    for timer in (DEPLOY / "systemd").glob("*.timer"):
        assert (timer.with_suffix(".service")).exists(), timer.name
        assert "OnCalendar" in unit(timer.name)["Timer"], timer.name


def test_the_compose_file_runs_db_web_worker_and_nginx() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"db", "migrate", "web", "worker", "nginx"} <= set(services)
    assert services["db"]["image"].startswith("postgres:")
    for name in ("web", "worker", "migrate"):  # one image, one settings file
        assert services[name]["image"] == "thuocdo:latest"
        assert services[name]["env_file"] == "thuocdo.env"
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgres://")
    assert "db_worker" in services["worker"]["command"]
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    assert services["web"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    assert "./nginx.conf:/etc/nginx/conf.d/default.conf:ro" in services["nginx"]["volumes"]
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert "FROM python:3.11" in dockerfile and "USER thuocdo" in dockerfile


def test_the_nginx_sample_passes_the_client_and_the_request_id_and_serves_static() -> None:
    conf = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    for line in (
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
        "proxy_set_header X-Request-ID $request_id;",
        "location /static/",
        "alias /var/lib/thuocdo/static/;",
        "client_max_body_size 20m;",
        "real_ip_header X-Forwarded-For;",
    ):
        assert line in conf, line


def test_the_settings_example_names_only_real_settings() -> None:
    documented = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    settings_py = (SRC / "thuocdo" / "config" / "settings.py").read_text(encoding="utf-8")
    for line in (DEPLOY / "thuocdo.env.example").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name = line.split("=", 1)[0]
            assert f'"{name}"' in settings_py, f"{name} is not read by the settings"
            assert name in documented or name.startswith("EMAIL_") or name == "SITE_URL", name
