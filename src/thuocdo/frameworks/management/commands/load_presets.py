"""Store the shipped framework presets as published national versions (idempotent)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from thuocdo.core.origin import origin_scope
from thuocdo.frameworks import services
from thuocdo.frameworks.models import FrameworkVersion
from thuocdo.scoring import list_presets, load_preset

# Decree 335/2025/NĐ-CP is in force from 01/01/2026.
DEFAULT_VALID_FROM = dt.date(2026, 1, 1)


class Command(BaseCommand):
    help = "Lưu các khung mẫu đi kèm thành phiên bản quốc gia đã ban hành (chạy lại không sao)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--valid-from",
            type=dt.date.fromisoformat,
            default=DEFAULT_VALID_FROM,
            help="ngày áp dụng của phiên bản mới (YYYY-MM-DD)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with origin_scope("cli:load_presets"), transaction.atomic():
            for name in list_presets():
                fw = load_preset(name)
                row = FrameworkVersion.objects.filter(
                    agency__isnull=True, key=fw.id, content_hash=fw.content_hash
                ).first()
                if row is None:
                    row = services.framework_import(
                        actor=None, agency=None, document_or_preset_name=name
                    )
                    action = "imported"
                else:
                    action = "unchanged"
                if row.status == FrameworkVersion.Status.DRAFT:
                    services.framework_publish(
                        actor=None, version=row, valid_from=options["valid_from"]
                    )
                    action = "published" if action == "unchanged" else "imported, published"
                self.stdout.write(f"{name}: {fw.id} {fw.version} {fw.content_hash[:19]}… {action}")
