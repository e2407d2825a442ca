"""`python -m thuocdo.manage check_signing`: whether the form PDFs are signed and with what
certificate; exit 1 and the problem when signing is configured but cannot be done (the
file, its password, the certificate's validity), after signing a test page to be sure."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from fpdf import FPDF

from thuocdo.core.errors import ThuocDoError
from thuocdo.reports import signing


class Command(BaseCommand):
    help = "Kiểm tra cấu hình ký số biểu mẫu PDF (chứng thư số, mật khẩu, hạn dùng)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not signing.enabled():
            self.stdout.write("Ký số biểu mẫu: tắt (chưa đặt SIGNING_PKCS12_FILE).")
            return
        errors, warnings = signing.problems()
        if errors:
            raise CommandError(" ".join(errors), returncode=1)
        loaded = signing.load_signer()
        page = FPDF()
        page.add_page()
        try:
            signing.sign_pdf(bytes(page.output()))
        except ThuocDoError as error:
            raise CommandError(error.message_vi, returncode=1) from None
        self.stdout.write(
            f"Ký số biểu mẫu: bật, chứng thư số của “{loaded.name}”, hiệu lực "
            f"{loaded.not_before:%d/%m/%Y} – {loaded.not_after:%d/%m/%Y}; đã ký thử một trang."
        )
        for text in warnings:
            self.stderr.write(f"Cảnh báo: {text}")
