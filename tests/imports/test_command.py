"""`import_excel` and `export_excel` from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import Cast
from thuocdo.audit.models import AuditEntry
from thuocdo.org.models import Person

from .conftest import person_row, xlsx


def write(tmp_path: Path, rows: list[list[object]]) -> Path:
    path = tmp_path / "can-bo.xlsx"
    path.write_bytes(xlsx(rows).getvalue())
    return path


def test_it_imports_prints_progress_and_audits_as_the_command(
    cast: Cast, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, [person_row(f"C{i:02d}", f"Người Thứ {i}") for i in range(30)])
    call_command("import_excel", "people", str(path), "--agency", "BA")
    out = capsys.readouterr().out
    assert "Thêm mới: 30; Cập nhật: 0; Bắt đầu phân công: 30" in out
    assert "Đã xử lý 3/60 thay đổi" in out  # every 5 %
    assert "Đã xử lý 60/60 thay đổi" in out
    assert "Đã nhập xong" in out
    assert Person.objects.filter(code__startswith="C").count() == 30
    entry = AuditEntry.objects.filter(action="org.person.create").latest("id")
    assert entry.channel == "cli:import_excel"
    audit = AuditEntry.objects.count()
    call_command("import_excel", "people", str(path), "--agency", "BA")
    assert "Không có gì thay đổi." in capsys.readouterr().out
    assert AuditEntry.objects.count() == audit


def test_dry_run_checks_and_writes_nothing(
    cast: Cast, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, [person_row("D1")])
    call_command("import_excel", "people", str(path), "--agency", "BA", "--dry-run")
    assert "--dry-run" in capsys.readouterr().out
    assert not Person.objects.filter(code="D1").exists()


def test_bad_input_exits_non_zero_with_the_error_table(
    cast: Cast, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, [person_row("B1", category="Bộ đội"), person_row("B2", start="")])
    with pytest.raises(CommandError, match=r"Tệp có 2 lỗi; chưa ghi dữ liệu nào\."):
        call_command("import_excel", "people", str(path), "--agency", "BA")
    table = capsys.readouterr().err.splitlines()
    assert table[0].split() == ["Dòng", "Cột", "Giá", "trị", "Quy", "tắc"]
    assert table[1].startswith("2     Đối tượng           Bộ đội")
    assert "Cột bắt buộc, không được để trống." in table[2]
    with pytest.raises(CommandError, match="Không có cơ quan mã “XX”"):
        call_command("import_excel", "people", str(path), "--agency", "XX")
    with pytest.raises(CommandError, match="Không mở được tệp"):
        call_command("import_excel", "people", str(tmp_path / "khong-co.xlsx"), "--agency", "BA")


def test_export_then_import_from_the_command_line_is_a_no_op(
    cast: Cast, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ba.xlsx"
    call_command("export_excel", "people", str(path), "--agency", "BA")
    call_command("import_excel", "people", str(path), "--agency", "BA")
    assert "Không đổi: 9" in capsys.readouterr().out
    call_command(
        "export_excel", "people", str(tmp_path / "mau.xlsx"), "--agency", "BA", "--template"
    )
    assert (tmp_path / "mau.xlsx").stat().st_size > 0
