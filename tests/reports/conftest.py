"""Report fixtures: January 2026 of agency A decided, with the decree's worked example for
staff_x (27 + 49.10 = 76.10, "Hoàn thành tốt nhiệm vụ") under a long Vietnamese name.

PDF text comes from poppler's `pdftotext` when installed; fpdf2 writes PDFs but has no
parser, so the fallback is pypdf when it happens to be installed; with neither, the text
tests skip with the reason, except in CI (env `CI` set) where they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import Client

from tests.evaluations.conftest import Flow, flow, presets  # noqa: F401  (fixtures)
from tests.work.test_aggregation import worked_example
from thuocdo.org.models import JobPosition, Person

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reports"
LONG_NAME = "Tôn Nữ Nguyễn Hoàng Phương Đông Thị Ngọc Khánh Linh Độ"
LONG_JOB = "Chuyên viên chính về tổng hợp, thẩm định và theo dõi thi hành pháp luật"


def decide_example(flow: Flow) -> Flow:  # noqa: F811
    """Every evaluation of agency A decided; staff_x has the worked example."""
    worked_example(flow.work)
    flow.general["staff_x"] = 27
    for name in ("head_x", "deputy_x", "staff_x1", "staff_y", "personnel_a", "auditor_a"):
        flow.task(name)
    flow.to_decision()
    flow.rate_units()
    flow.decide_all()
    return flow


@pytest.fixture
def decided(flow: Flow) -> Flow:  # noqa: F811
    Person.objects.filter(pk=flow.cast.person("staff_x").pk).update(full_name=LONG_NAME)
    JobPosition.objects.filter(pk=flow.cast.job_x.pk).update(name=LONG_JOB)
    return decide_example(flow)


def pdf_text(data: bytes, name: str) -> str:
    """The text of a PDF (kept under test-artifacts/reports/ with its text)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.pdf"
    path.write_bytes(data)
    tool = shutil.which("pdftotext") or (
        "/usr/bin/pdftotext" if Path("/usr/bin/pdftotext").exists() else None
    )
    if tool:
        out = subprocess.run(
            [tool, "-layout", "-enc", "UTF-8", str(path), "-"],
            check=True,
            capture_output=True,
        ).stdout.decode("utf-8")
    else:
        try:
            from pypdf import PdfReader
        except ImportError:
            reason = "neither pdftotext (poppler-utils) nor pypdf is installed"
            if os.environ.get("CI"):
                pytest.fail(f"cannot read the PDF's text in CI: {reason}")
            pytest.skip(reason)
        import io

        reader = PdfReader(io.BytesIO(data))
        out = "\f".join(page.extract_text() or "" for page in reader.pages)
    (ARTIFACTS / f"{name}.txt").write_text(out, encoding="utf-8")
    return out


def pdf_png(name: str) -> list[Path]:
    """Page 1 (and the others) rendered at 60 dpi next to the PDF, when poppler is here."""
    tool = shutil.which("pdftoppm")
    if tool is None:
        return []
    prefix = ARTIFACTS / name
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    subprocess.run([tool, "-r", "60", "-png", f"{prefix}.pdf", str(prefix)], check=True)
    return sorted(ARTIFACTS.glob(f"{name}-*.png"))


def exported(case: Flow, who: str, url: str, data: dict[str, object] | None = None):  # type: ignore[no-untyped-def]
    """A whole-agency report asked for as the page asks (POST starts a job), then its file
    taken from the job (the queue runs jobs at once in tests). A refusal is returned as
    the response that refused."""
    client = Client(HTTP_ACCEPT_LANGUAGE="vi")
    client.force_login(case.user(who))
    started = client.post(url, data or {})
    if started.status_code != 302:
        return started
    location = started["Location"]
    assert location.startswith("/jobs/"), location
    return client.get(f"{location}file/")
