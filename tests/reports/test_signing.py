"""Signed forms (issue 17, point 5): with the agency's PKCS#12 configured, every form PDF
served (an official's form, a unit's summary, a unit's bundle made by a job) carries a
PAdES signature that verifies against the CA, covers the whole file and names the agency;
a changed byte breaks it; off by default; a misconfigured install serves no PDF at all and
says what is wrong."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from tests.evaluations.conftest import Flow
from thuocdo.core import clock
from thuocdo.jobs.models import Job
from thuocdo.reports import signing
from thuocdo.reports.apps import check_signing
from thuocdo.reports.forms import individual_form
from thuocdo.reports.pdf import individual_pdf

from .certificates import AGENCY, Pki, make_pki
from .conftest import ARTIFACTS, exported, pdf_text


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path)


@pytest.fixture
def signing_on(pki: Pki) -> Iterator[Pki]:
    with override_settings(
        SIGNING_PKCS12_FILE=str(pki.p12),
        SIGNING_PKCS12_PASSWORD=pki.password,
        SIGNING_PKCS12_PASSWORD_FILE="",
        SIGNING_REASON="Phê duyệt kết quả đánh giá",
        SIGNING_LOCATION="Hà Nội",
        SIGNING_TIMESTAMP_URL="",
    ):
        yield pki


def form_url(flow: Flow, who: str = "staff_x") -> str:
    return f"/reports/evaluations/{flow.ev(who).pk}.pdf"


def summary_url(flow: Flow) -> str:
    return f"/reports/units/{flow.cast.unit_x.pk}/periods/{flow.period.pk}.pdf"


def bundle_url(flow: Flow) -> str:
    return f"/reports/units/{flow.cast.unit_x.pk}/periods/{flow.period.pk}/all.pdf"


def download(flow: Flow, who: str, url: str) -> Any:
    client = Client(HTTP_ACCEPT_LANGUAGE="vi")
    client.force_login(flow.user(who))
    return client.get(url)


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def verify(data: bytes, ca: Any) -> Any:
    """pyHanko's verdict on the file's one signature, trusting only the test's CA."""
    reader = PdfFileReader(io.BytesIO(data))
    assert len(reader.embedded_signatures) == 1
    root = asn1_x509.Certificate.load(ca.public_bytes(Encoding.DER))
    # pyHanko runs an event loop of its own: outside the session's browser driver's one
    return signing._outside_any_event_loop(
        lambda: validate_pdf_signature(
            reader.embedded_signatures[0], ValidationContext(trust_roots=[root])
        )
    )


def assert_verifies(data: bytes, pki: Pki) -> Any:
    status = verify(data, pki.ca)
    assert status.intact and status.valid, status.pretty_print_details()
    assert status.trusted, status.pretty_print_details()
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.signing_cert.subject.native["common_name"] == AGENCY
    assert status.md_algorithm == "sha256"
    return status


def test_an_officials_form_is_signed_pades_by_the_agency(decided: Flow, signing_on: Pki) -> None:
    response = download(decided, "staff_x", form_url(decided))
    assert response.status_code == 200, response.content.decode()[-3000:]
    assert response["Content-Type"] == "application/pdf"
    data = body(response)
    assert_verifies(data, signing_on)
    assert b"/SubFilter /ETSI.CAdES.detached" in data  # PAdES, not adbe.pkcs7.detached
    reader = PdfFileReader(io.BytesIO(data))
    sig = reader.embedded_signatures[0]
    assert sig.field_name == signing.FIELD_NAME
    assert sig.sig_object["/Reason"] == "Phê duyệt kết quả đánh giá"
    assert sig.sig_object["/Location"] == "Hà Nội"
    assert sig.sig_object["/Name"] == AGENCY
    # visible, in the deciding authority's block: the right column of the last page
    widget = sig.sig_field
    x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
    assert x2 - x1 > 100 and y2 - y1 > 30
    assert x1 > 595 / 2  # A4 is 595 pt wide: the third block is on the right
    last = reader.root["/Pages"]["/Kids"].raw_get(-1)
    assert widget.raw_get("/P").idnum == last.idnum  # the signer block ends the form
    # the form itself reads as before, then renders with its signature box
    text = pdf_text(data, "signed-individual")
    assert "CẤP CÓ THẨM QUYỀN" in text and "Trang 2/2" in text
    assert "Đã ký số" in text and f"Ký bởi: {AGENCY}" in text
    assert f"Ngày ký: {clock.today():%d/%m/%Y}" in text
    # the stamp's font is the forms' font, embedded like theirs (no system font needed)
    fonts = embedded_fonts(ARTIFACTS / "signed-individual.pdf")
    assert fonts and all(name.split("+")[-1].startswith("LiberationSerif") for name, _ in fonts)
    assert all(emb == "yes" for _, emb in fonts), fonts
    # page 1 still renders; the last one shows the box (test-artifacts/reports/)
    for number in (1, 2):
        shot = rendered(data, "signed-individual", number)
        assert shot is None or shot.stat().st_size > 1000


def embedded_fonts(path: Path) -> list[tuple[str, str]]:
    """(font name, embedded yes/no) as poppler's `pdffonts` lists them."""
    tool = shutil.which("pdffonts")
    if tool is None:
        if os.environ.get("CI"):
            pytest.fail("pdffonts (poppler-utils) is not installed in CI")
        return [("LiberationSerif", "yes")]
    out = subprocess.run([tool, str(path)], check=True, capture_output=True, text=True).stdout
    rows = [row.split() for row in out.splitlines()[2:] if row.strip()]
    return [(row[0], row[-5]) for row in rows]


def rendered(data: bytes, name: str, number: int) -> Path | None:
    """Page `number` drawn by poppler at 60 dpi (None without poppler, except in CI)."""
    tool = shutil.which("pdftoppm")
    if tool is None:
        if os.environ.get("CI"):
            pytest.fail("pdftoppm (poppler-utils) is not installed in CI")
        return None
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.pdf"
    path.write_bytes(data)
    prefix = ARTIFACTS / f"{name}-page{number}"
    for old in ARTIFACTS.glob(f"{name}-page{number}*.png"):
        old.unlink()
    done = subprocess.run(
        [tool, "-png", "-r", "60", "-f", str(number), "-l", str(number), str(path), str(prefix)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "Error" not in done.stderr, done.stderr
    return next(ARTIFACTS.glob(f"{name}-page{number}*.png"))


def test_the_signature_covers_the_file_as_drawn(
    decided: Flow, signing_on: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An incremental update: the drawn file's bytes unchanged, the signature after them."""
    drawn: list[bytes] = []
    sign = signing.sign_pdf

    def keep(data: bytes, **kwargs: Any) -> bytes:
        drawn.append(data)
        return sign(data, **kwargs)

    monkeypatch.setattr(signing, "sign_pdf", keep)
    data = individual_pdf(individual_form(decided.ev("head_x")))
    assert len(drawn) == 1 and data.startswith(drawn[0]) and len(data) > len(drawn[0])
    assert_verifies(data, signing_on)


def test_a_changed_byte_breaks_the_signature(decided: Flow, signing_on: Pki) -> None:
    data = bytearray(body(download(decided, "staff_x", form_url(decided))))
    assert verify(bytes(data), signing_on.ca).intact
    # one byte of the first page's drawing (a deflated stream, inside the signed range)
    start = data.index(b"stream\n") + len(b"stream\n") + 20
    byte_range = [int(n) for n in re.search(rb"/ByteRange \[([0-9 ]+)\]", data)[1].split()]  # type: ignore[index]
    assert start < byte_range[1]
    data[start] ^= 0x01
    status = verify(bytes(data), signing_on.ca)
    assert not status.intact
    assert not status.bottom_line


def test_a_certificate_from_another_ca_is_not_trusted(
    decided: Flow, signing_on: Pki, tmp_path: Path
) -> None:
    folder = tmp_path / "other"
    folder.mkdir()
    other = make_pki(folder)
    status = verify(body(download(decided, "staff_x", form_url(decided))), other.ca)
    assert status.intact and not status.trusted


def test_the_unit_summary_and_the_bundle_job_are_signed(decided: Flow, signing_on: Pki) -> None:
    summary = download(decided, "head_x", summary_url(decided))
    assert summary.status_code == 200
    assert_verifies(body(summary), signing_on)
    bundle = exported(decided, "head_x", bundle_url(decided))
    assert bundle.status_code == 200 and bundle["Content-Type"] == "application/pdf"
    data = body(bundle)
    assert_verifies(data, signing_on)
    text = pdf_text(data, "signed-bundle")
    assert text.count("PHIẾU ĐÁNH GIÁ, XẾP LOẠI CHẤT LƯỢNG CÔNG CHỨC") == 3
    # the visible box sits in the summary's authority block, on the summary's last page
    sheets = text.split("\f")
    second_form = [i for i, sheet in enumerate(sheets) if re.search(r"Trang 1/\d", sheet)][1]
    reader = PdfFileReader(io.BytesIO(data))
    page = reader.root["/Pages"]["/Kids"].raw_get(second_form - 1)
    assert reader.embedded_signatures[0].sig_field.raw_get("/P").idnum == page.idnum
    assert "Đã ký số" in sheets[second_form - 1]
    assert text.count("Đã ký số") == 1


def test_off_by_default_there_is_no_signature(decided: Flow) -> None:
    assert not signing.enabled()
    for who, url in (("staff_x", form_url(decided)), ("head_x", summary_url(decided))):
        data = body(download(decided, who, url))
        assert data.startswith(b"%PDF")
        assert b"/ByteRange" not in data and b"/Type /Sig" not in data
        assert PdfFileReader(io.BytesIO(data)).embedded_signatures == []
    data = body(exported(decided, "head_x", bundle_url(decided)))
    assert b"/ByteRange" not in data
    assert signing.signed(b"%PDF-1.4 as drawn") == b"%PDF-1.4 as drawn"
    assert check_signing() == []


def refused(flow: Flow, message: str) -> None:
    """No PDF from the download nor from the bundle's job, and the message says why."""
    response = download(flow, "staff_x", form_url(flow))
    assert response.status_code == 503
    assert not response["Content-Type"].startswith("application/pdf")
    page = response.content.decode()
    assert message in page, page[:3000]
    assert b"%PDF" not in response.content
    before = Job.objects.count()
    exported(flow, "head_x", bundle_url(flow))
    job = Job.objects.order_by("-pk").first()
    assert Job.objects.count() == before + 1 and job is not None
    assert job.state == Job.State.FAILED and not job.result
    assert message in job.errors[0]["message_vi"]
    problems = check_signing()
    assert [p.id for p in problems] == ["thuocdo.reports.E001"]
    assert message in problems[0].msg


def test_a_wrong_password_serves_nothing_and_says_so(decided: Flow, pki: Pki) -> None:
    with override_settings(SIGNING_PKCS12_FILE=str(pki.p12), SIGNING_PKCS12_PASSWORD="sai"):
        refused(decided, f"Mật khẩu của tệp chứng thư số {pki.p12} không đúng")


def test_a_missing_file_serves_nothing_and_says_so(decided: Flow, tmp_path: Path) -> None:
    missing = tmp_path / "khong-co.p12"
    with override_settings(SIGNING_PKCS12_FILE=str(missing), SIGNING_PKCS12_PASSWORD="x"):
        refused(
            decided,
            f"Không tìm thấy tệp chứng thư số để ký biểu mẫu (SIGNING_PKCS12_FILE): {missing}",
        )


def test_an_expired_certificate_serves_nothing_and_says_so(decided: Flow, tmp_path: Path) -> None:
    old = make_pki(tmp_path, valid_from=clock.now() - dt.timedelta(days=400), valid_days=365)
    with override_settings(SIGNING_PKCS12_FILE=str(old.p12), SIGNING_PKCS12_PASSWORD=old.password):
        expired_on = clock.local(old.cert.not_valid_after_utc).strftime("%d/%m/%Y")
        refused(decided, f"Chứng thư số của “{AGENCY}” đã hết hạn ngày {expired_on}")


def test_a_file_that_is_not_pkcs12_says_so(tmp_path: Path) -> None:
    junk = tmp_path / "not.p12"
    junk.write_bytes(b"-----BEGIN CERTIFICATE-----\nnot a key store\n")
    with (
        override_settings(SIGNING_PKCS12_FILE=str(junk), SIGNING_PKCS12_PASSWORD="x"),
        pytest.raises(signing.SigningUnavailable) as caught,
    ):
        signing.signed(b"%PDF-1.4")
    assert "không phải tệp PKCS#12 (.p12, .pfx) hợp lệ" in caught.value.message_vi
    assert "is not a valid PKCS#12" in caught.value.message_en


def test_the_password_may_come_from_a_file(pki: Pki, tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text(pki.password + "\n", encoding="utf-8")
    with override_settings(
        SIGNING_PKCS12_FILE=str(pki.p12),
        SIGNING_PKCS12_PASSWORD="",
        SIGNING_PKCS12_PASSWORD_FILE=str(secret),
    ):
        assert signing.load_signer().name == AGENCY
        with (
            override_settings(SIGNING_PKCS12_PASSWORD="both"),
            pytest.raises(signing.SigningUnavailable, match="Chỉ đặt một trong hai"),
        ):
            signing.load_signer()
        with (
            override_settings(SIGNING_PKCS12_PASSWORD_FILE=str(tmp_path / "none")),
            pytest.raises(signing.SigningUnavailable, match="Không tìm thấy tệp mật khẩu"),
        ):
            signing.load_signer()


def test_an_unreachable_time_stamp_server_serves_nothing(signing_on: Pki) -> None:
    # port 9 (discard) on this machine: refused at once, no outside network needed
    with (
        override_settings(SIGNING_TIMESTAMP_URL="http://127.0.0.1:9/tsa"),
        pytest.raises(signing.SigningUnavailable) as caught,
    ):
        signing.signed(individual_blank())
    assert "Không lấy được dấu thời gian từ máy chủ SIGNING_TIMESTAMP_URL" in (
        caught.value.message_vi
    )
    assert caught.value.field == "SIGNING_TIMESTAMP_URL"


def individual_blank() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    return bytes(pdf.output())


def test_a_time_stamp_is_added_when_a_server_is_configured(
    signing_on: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    # the agency's own key stands in for its time-stamp authority
    tsa = SimpleSigner.load_pkcs12_data(
        signing_on.p12.read_bytes(), other_certs=[], passphrase=signing_on.password.encode()
    )
    monkeypatch.setattr(
        signing,
        "_timestamper",
        lambda: DummyTimeStamper(tsa_cert=tsa.signing_cert, tsa_key=tsa.signing_key),
    )
    data = signing.signed(individual_blank())
    status = verify(data, signing_on.ca)
    assert status.intact and status.valid
    assert status.timestamp_validity is not None


def test_the_check_and_the_command_report_the_configuration(
    signing_on: Pki, tmp_path: Path
) -> None:
    assert check_signing() == []
    out = io.StringIO()
    call_command("check_signing", stdout=out)
    assert f"bật, chứng thư số của “{AGENCY}”" in out.getvalue()
    with (
        override_settings(SIGNING_PKCS12_PASSWORD="sai"),
        pytest.raises(CommandError, match="không đúng"),
    ):
        call_command("check_signing", stdout=io.StringIO())
    # a certificate that expires within 30 days: a warning, forms still signed
    (tmp_path / "soon").mkdir()
    soon = make_pki(
        tmp_path / "soon", valid_from=clock.now() - dt.timedelta(days=350), valid_days=360
    )
    with override_settings(SIGNING_PKCS12_FILE=str(soon.p12)):
        problems = check_signing()
        assert [p.id for p in problems] == ["thuocdo.reports.W001"]
        assert "hết hạn ngày" in problems[0].msg


def test_the_command_says_when_signing_is_off() -> None:
    out = io.StringIO()
    call_command("check_signing", stdout=out)
    assert "tắt" in out.getvalue()
