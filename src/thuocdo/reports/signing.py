"""Signed forms (issue 17, point 5): when the install configures the agency's certificate,
every form PDF the system serves (an official's evaluation form, a unit's summary, a
unit's bundle) is signed PAdES (ETSI.CAdES.detached, SHA-256) with pyHanko, with a visible
box in the deciding authority's signature block (CẤP CÓ THẨM QUYỀN); docs/signing.md.

Off unless `SIGNING_PKCS12_FILE` names a PKCS#12 (.p12/.pfx) with the key and the
certificate chain; its password comes from `SIGNING_PKCS12_PASSWORD` or, better, from the
file `SIGNING_PKCS12_PASSWORD_FILE`. `SIGNING_REASON`, `SIGNING_LOCATION` go into the
signature; `SIGNING_TIMESTAMP_URL` (an RFC 3161 server, e.g. the agency's own) adds a
trusted time. Once configured, signing never falls back to an unsigned file: a missing
file, a wrong password, a certificate out of its validity or a time-stamp server that does
not answer raises `SigningUnavailable` naming what is wrong, and nothing is served. The
system check `thuocdo.reports.E001` (and `manage.py check_signing`) says so at start.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from asn1crypto import pkcs12 as asn1_pkcs12
from cryptography import x509 as pyca_x509
from cryptography.hazmat.primitives.serialization import pkcs12
from django.conf import settings
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from thuocdo.core import clock
from thuocdo.core.errors import ThuocDoError

T = TypeVar("T")
FIELD_NAME = "ChuKySoCoQuan"  # the signature field: "the agency's digital signature"
DEFAULT_REASON = "Xác thực biểu mẫu đánh giá do hệ thống Thước đo cấp"
STAMP_COLOUR = (0, 51, 153)  # blue, as a signature's image is (Decree 30/2020, Appendix I)
TIMESTAMP_TIMEOUT = 10  # seconds
EXPIRY_WARNING_DAYS = 30
FONTS_DIR = Path(__file__).resolve().parent / "fonts"


class SigningUnavailable(ThuocDoError):
    """Signing is configured but cannot be done: the form is not served unsigned."""

    status = 503


@dataclass(frozen=True)
class SignatureBox:
    """Where the visible signature goes: a page (0-based) and a rectangle in PDF points
    from the page's lower left corner."""

    page: int
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True)
class LoadedSigner:
    signer: Any  # pyhanko.sign.signers.SimpleSigner
    name: str  # the certificate's subject common name (or organisation)
    not_before: dt.datetime
    not_after: dt.datetime


def enabled() -> bool:
    return bool(getattr(settings, "SIGNING_PKCS12_FILE", ""))


def _fail(vi: str, en: str) -> SigningUnavailable:
    return SigningUnavailable(vi, en, field="SIGNING_PKCS12_FILE")


def _password() -> bytes | None:
    given = str(getattr(settings, "SIGNING_PKCS12_PASSWORD", "") or "")
    path = str(getattr(settings, "SIGNING_PKCS12_PASSWORD_FILE", "") or "")
    if given and path:
        raise _fail(
            "Chỉ đặt một trong hai biến SIGNING_PKCS12_PASSWORD và "
            "SIGNING_PKCS12_PASSWORD_FILE cho mật khẩu của tệp chứng thư số.",
            "Set only one of SIGNING_PKCS12_PASSWORD and SIGNING_PKCS12_PASSWORD_FILE.",
        )
    if path:
        try:
            given = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
        except FileNotFoundError:
            raise _fail(
                f"Không tìm thấy tệp mật khẩu của chứng thư số (SIGNING_PKCS12_PASSWORD_FILE): "
                f"{path}.",
                f"The certificate's password file (SIGNING_PKCS12_PASSWORD_FILE) was not "
                f"found: {path}.",
            ) from None
        except (OSError, UnicodeDecodeError) as error:
            raise _fail(
                f"Không đọc được tệp mật khẩu của chứng thư số (SIGNING_PKCS12_PASSWORD_FILE) "
                f"{path}: {error}.",
                f"Cannot read the certificate's password file "
                f"(SIGNING_PKCS12_PASSWORD_FILE) {path}: {error}.",
            ) from None
    return given.encode("utf-8") if given else None


def _vn_date(moment: dt.datetime) -> str:
    return clock.local(moment).strftime("%d/%m/%Y")


def _subject_name(cert: pyca_x509.Certificate) -> str:
    for oid in (pyca_x509.NameOID.COMMON_NAME, pyca_x509.NameOID.ORGANIZATION_NAME):
        found = cert.subject.get_attributes_for_oid(oid)
        if found:
            return str(found[0].value)
    return cert.subject.rfc4514_string()


def load_signer(*, at: dt.datetime | None = None) -> LoadedSigner:
    """The configured signer, checked: the file is there and opens with the password,
    holds a key and its certificate, the certificate is valid at `at` (now) and may sign.
    Raises `SigningUnavailable` naming the variable and the problem."""
    from pyhanko.sign import signers

    path = str(settings.SIGNING_PKCS12_FILE)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise _fail(
            f"Không tìm thấy tệp chứng thư số để ký biểu mẫu (SIGNING_PKCS12_FILE): {path}. "
            "Biểu mẫu không được cấp khi chưa ký được; hãy báo quản trị hệ thống.",
            f"The signing certificate file (SIGNING_PKCS12_FILE) was not found: {path}. "
            "No form is served unsigned; tell the system administrator.",
        ) from None
    except OSError as error:
        raise _fail(
            f"Không đọc được tệp chứng thư số (SIGNING_PKCS12_FILE) {path}: {error}.",
            f"Cannot read the signing certificate file (SIGNING_PKCS12_FILE) {path}: {error}.",
        ) from None
    password = _password()
    try:
        key, cert, _chain = pkcs12.load_key_and_certificates(data, password)
    except (ValueError, TypeError):
        if not _is_pkcs12(data):
            raise _fail(
                f"Tệp {path} (SIGNING_PKCS12_FILE) không phải tệp PKCS#12 (.p12, .pfx) hợp lệ.",
                f"{path} (SIGNING_PKCS12_FILE) is not a valid PKCS#12 (.p12, .pfx) file.",
            ) from None
        raise _fail(
            f"Mật khẩu của tệp chứng thư số {path} không đúng (SIGNING_PKCS12_PASSWORD "
            "hoặc SIGNING_PKCS12_PASSWORD_FILE).",
            f"Wrong password for the certificate file {path} (SIGNING_PKCS12_PASSWORD or "
            "SIGNING_PKCS12_PASSWORD_FILE).",
        ) from None
    if key is None or cert is None:
        raise _fail(
            f"Tệp {path} (SIGNING_PKCS12_FILE) không có khóa bí mật và chứng thư số của cơ quan.",
            f"{path} (SIGNING_PKCS12_FILE) holds no private key with its certificate.",
        )
    name = _subject_name(cert)
    moment = at or clock.now()
    not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    if moment > not_after:
        raise _fail(
            f"Chứng thư số của “{name}” đã hết hạn ngày {_vn_date(not_after)}: hãy đề nghị "
            "tổ chức cung cấp dịch vụ chứng thực gia hạn hoặc cấp mới và cập nhật "
            "SIGNING_PKCS12_FILE.",
            f"The certificate of “{name}” expired on {not_after:%Y-%m-%d}: renew it and "
            "update SIGNING_PKCS12_FILE.",
        )
    if moment < not_before:
        raise _fail(
            f"Chứng thư số của “{name}” chưa có hiệu lực (từ ngày {_vn_date(not_before)}).",
            f"The certificate of “{name}” is not valid before {not_before:%Y-%m-%d}.",
        )
    try:
        usage = cert.extensions.get_extension_for_class(pyca_x509.KeyUsage).value
    except pyca_x509.ExtensionNotFound:
        usage = None
    if usage is not None and not (usage.digital_signature or usage.content_commitment):
        raise _fail(
            f"Chứng thư số của “{name}” không dùng để ký số (Key Usage không có Digital "
            "Signature hoặc Non-Repudiation).",
            f"The certificate of “{name}” may not sign (its Key Usage has neither Digital "
            "Signature nor Non-Repudiation).",
        )
    try:
        # the chain in the file is registered too, and embedded in each signature
        signer = signers.SimpleSigner.load_pkcs12_data(data, other_certs=[], passphrase=password)
    except ValueError as error:  # a key type pyHanko cannot use
        raise _fail(
            f"pyHanko không dùng được khóa trong tệp {path}: {error}.",
            f"pyHanko cannot use the key in {path}: {error}.",
        ) from None
    return LoadedSigner(signer=signer, name=name, not_before=not_before, not_after=not_after)


def _is_pkcs12(data: bytes) -> bool:
    """A PKCS#12 structure whatever its password (so a failure to open it is the password)."""
    try:
        pfx = asn1_pkcs12.Pfx.load(data)
        pfx["auth_safe"]["content_type"].native  # noqa: B018  (parses the structure)
    except Exception:  # anything unparseable is simply not PKCS#12
        return False
    return True


def _stamp_pdf(box: SignatureBox, name: str, moment: dt.datetime) -> bytes:
    """The visible signature's picture: a one-page PDF the size of the box, in the forms'
    font (pyHanko's own text stamps need HarfBuzz for Vietnamese)."""
    width, height = (box.x2 - box.x1) * 25.4 / 72, (box.y2 - box.y1) * 25.4 / 72
    pdf = FPDF(unit="mm", format=(width, height))
    pdf.set_margins(1.5, 1.5, 1.5)
    pdf.set_auto_page_break(False)
    pdf.add_font("LiberationSerif", "", str(FONTS_DIR / "LiberationSerif-Regular.ttf"))
    pdf.add_font("LiberationSerif", "B", str(FONTS_DIR / "LiberationSerif-Bold.ttf"))
    pdf.add_page()
    pdf.set_draw_color(*STAMP_COLOUR)
    pdf.set_text_color(*STAMP_COLOUR)
    pdf.set_line_width(0.35)
    pdf.rect(0.4, 0.4, width - 0.8, height - 0.8)
    lines = [
        ("B", "Đã ký số"),
        ("", f"Ký bởi: {name}"),
        ("", f"Ngày ký: {_vn_date(moment)}"),
    ]
    pdf.set_y(max(1.5, (height - 4.8 * len(lines)) / 2))
    for style, text in lines:
        pdf.set_font("LiberationSerif", style, 10)
        pdf.multi_cell(0, 4.8, text, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def _stamp_style(box: SignatureBox, name: str, moment: dt.datetime) -> Any:
    from pyhanko.pdf_utils import content, layout
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.stamp import StaticStampStyle

    picture = _stamp_pdf(box, name, moment)

    class _Picture(content.PdfContent):
        """`content.ImportedPdfPage`, from bytes rather than a file."""

        def render(self) -> bytes:
            writer = self._ensure_writer
            xobj = writer.import_page_as_xobject(PdfFileReader(io.BytesIO(picture)), page_ix=0)
            self.resources.xobject["/Stamp"] = xobj
            x1, y1, x2, y2 = xobj.get_object()["/BBox"]
            self.box = layout.BoxConstraints(width=abs(x1 - x2), height=abs(y1 - y2))
            return b"/Stamp Do"

    return StaticStampStyle(
        background=_Picture(),
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins(0, 0, 0, 0),
            inner_content_scaling=layout.InnerScaling.NO_SCALING,  # drawn at the box's size
        ),
        border_width=0,
        background_opacity=1.0,
    )


def _timestamper() -> Any:
    url = str(getattr(settings, "SIGNING_TIMESTAMP_URL", "") or "")
    if not url:
        return None
    from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper

    return RequestsHTTPTimeStamper(url, timeout=TIMESTAMP_TIMEOUT)


def _outside_any_event_loop(work: Callable[[], T]) -> T:
    """pyHanko's blocking calls run their own event loop (`asyncio.run`), which Python
    refuses in a thread that already runs one (an async view, a browser driver): there
    the work goes to a fresh thread, whose result (or error) comes back here."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def sign_pdf(data: bytes, *, box: SignatureBox | None = None) -> bytes:
    """`data` signed PAdES with the configured certificate (a visible box at `box`, else
    invisible). Raises `SigningUnavailable` rather than return it unsigned."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.timestamps.common_utils import TimestampRequestError

    loaded = load_signer()
    moment = clock.now()
    if box is not None:  # whole points, as pyHanko's field takes them
        box = SignatureBox(box.page, round(box.x1), round(box.y1), round(box.x2), round(box.y2))
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=str(getattr(settings, "SIGNING_REASON", "") or DEFAULT_REASON),
        location=str(getattr(settings, "SIGNING_LOCATION", "") or "") or None,
        name=loaded.name,
    )
    spec = fields.SigFieldSpec(
        sig_field_name=FIELD_NAME,
        on_page=box.page if box else 0,
        box=(int(box.x1), int(box.y1), int(box.x2), int(box.y2)) if box else None,
    )
    signer = signers.PdfSigner(
        meta,
        signer=loaded.signer,
        timestamper=_timestamper(),
        stamp_style=_stamp_style(box, loaded.name, moment) if box else None,
        new_field_spec=spec,
    )
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(data))
        out = _outside_any_event_loop(lambda: signer.sign_pdf(writer))
    except TimestampRequestError as error:
        url = settings.SIGNING_TIMESTAMP_URL
        cause = f"{error}" + (f" ({error.__cause__})" if error.__cause__ else "")
        raise SigningUnavailable(
            f"Không lấy được dấu thời gian từ máy chủ SIGNING_TIMESTAMP_URL ({url}): "
            f"{cause}. Biểu mẫu không được cấp khi chưa ký được.",
            f"No time stamp from the SIGNING_TIMESTAMP_URL server ({url}): {cause}. "
            "No form is served unsigned.",
            field="SIGNING_TIMESTAMP_URL",
        ) from error
    except Exception as error:  # any failure: never an unsigned form
        raise SigningUnavailable(
            f"Không ký số được biểu mẫu: {error}. Biểu mẫu không được cấp khi chưa ký được.",
            f"The form could not be signed: {error}. No form is served unsigned.",
        ) from error
    return bytes(out.getvalue())


def signed(data: bytes, *, box: SignatureBox | None = None) -> bytes:
    """A form's PDF as it is served: signed when the install configures a certificate,
    else exactly `data`."""
    return sign_pdf(data, box=box) if enabled() else data


def problems(*, at: dt.datetime | None = None) -> tuple[list[str], list[str]]:
    """(errors, warnings) of the signing configuration, for the system check and the
    `check_signing` command: errors stop forms from being served, a warning is a
    certificate that expires within 30 days."""
    if not enabled():
        return [], []
    try:
        loaded = load_signer(at=at)
    except SigningUnavailable as error:
        return [error.message_vi], []
    left = loaded.not_after - (at or clock.now())
    if left < dt.timedelta(days=EXPIRY_WARNING_DAYS):
        return [], [
            f"Chứng thư số của “{loaded.name}” hết hạn ngày {_vn_date(loaded.not_after)} "
            f"(còn {left.days} ngày): hãy gia hạn trước ngày đó."
        ]
    return [], []
