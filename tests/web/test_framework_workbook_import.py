"""A framework's Excel file read back (issue 14, point 4): the personnel office downloads
the workbook, changes a weight, a range, a name, a band and the version label in Excel,
uploads it, and gets a draft with exactly those changes (the diff says so). A file that is
not a workbook, one not written by Thước đo, a bad number, a weight the engine refuses or
an unknown criterion is refused naming the sheet, row and column; nothing is stored."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO, StringIO
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from tests.conftest import Cast
from thuocdo.core.models import User
from thuocdo.frameworks.drafting import node_paths
from thuocdo.frameworks.models import FrameworkVersion

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def presets(db: None) -> None:
    call_command("load_presets", stdout=StringIO())


def ban() -> FrameworkVersion:
    return FrameworkVersion.objects.get(agency__isnull=True, key="ban-cscl-2025")


def login(client: Client, username: str) -> Client:
    client.force_login(User.objects.get(username=username))
    return client


def exported(client: Client, version: FrameworkVersion) -> Any:
    response = client.get(reverse("web:framework_xlsx", args=[version.pk]))
    assert response.status_code == 200
    return load_workbook(BytesIO(response.content))


def row_of(sheet: Any, key: str) -> int:
    for index, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        if row[0] and str(row[0]).split("›")[-1].strip() == key:
            return index
    raise AssertionError(key)


def upload(client: Client, cast: Cast, book: Any, name: str = "khung.xlsx") -> Any:
    buffer = BytesIO()
    book.save(buffer)
    return client.post(
        reverse("web:framework_import"),
        {
            "document": SimpleUploadedFile(name, buffer.getvalue(), content_type=XLSX),
            "owner": str(cast.agency_a.pk),
        },
    )


def html(response: Any) -> str:
    return str(response.content.decode())


def test_changes_made_in_excel_come_back_as_a_draft(
    client: Client, cast: Cast, presets: None
) -> None:
    login(client, "personnel_a")
    book = exported(client, ban())
    info = book["Thông tin chung"]
    version_row = next(r for r in range(1, 20) if info.cell(r, 1).value == "Phiên bản")
    info.cell(version_row, 2).value = "2027.1"
    sheet = book["Tiêu chí cá nhân"]
    volume = row_of(sheet, "volume")
    sheet.cell(volume, 8).value = 0.45  # typed as a number
    sheet.cell(volume, 9).value = "0,35 – 0,5"
    quality = row_of(sheet, "quality")
    sheet.cell(quality, 8).value = "0,3"  # typed as text with a decimal comma
    sheet.cell(quality, 2).value = "Chất lượng, hiệu quả công việc"
    sheet.cell(quality, 12).value = "Có"
    bands = book["Xếp loại"]
    good = next(r for r in range(2, 6) if bands.cell(r, 1).value == "Hoàn thành tốt nhiệm vụ")
    bands.cell(good, 3).value = 72
    response = upload(client, cast, book)
    assert response.status_code == 302, html(response)
    row = FrameworkVersion.objects.get(agency=cast.agency_a)
    assert response["Location"] == reverse("web:fwdraft_detail", args=[row.pk])
    assert (row.status, row.version, row.key) == ("draft", "2027.1", "ban-cscl-2025")
    nodes = node_paths(row.document, "individual")
    assert Decimal(nodes["volume"].node["weight"]) == Decimal("0.45")
    assert nodes["volume"].node["weight_range"] == ["0.35", "0.5"]
    assert Decimal(nodes["quality"].node["weight"]) == Decimal("0.3")
    assert nodes["quality"].node["label_vi"] == "Chất lượng, hiệu quả công việc"
    assert nodes["quality"].node["allow_additions"] is True
    good_band = next(b for b in row.document["rating"]["bands"] if b["rating"] == "good")
    assert Decimal(good_band["min"]) == Decimal("72")
    # nothing else moved: every other node is as in the national version
    base = node_paths(ban().document, "individual")

    def own(node: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in node.items() if k != "children"}

    changed = {k for k in base if own(base[k].node) != own(nodes[k].node)}
    assert changed == {"volume", "quality"}
    page = html(client.get(response["Location"]))
    assert "Tệp Excel có 6 thay đổi so với khung gốc." in page


def test_an_unchanged_workbook_is_the_same_framework(
    client: Client, cast: Cast, presets: None
) -> None:
    login(client, "personnel_a")
    response = upload(client, cast, exported(client, ban()))
    assert response.status_code == 302
    row = FrameworkVersion.objects.get(agency=cast.agency_a)
    assert row.content_hash == ban().content_hash


def _refused(client: Client, cast: Cast, book: Any, said: list[str]) -> None:
    before = FrameworkVersion.objects.count()
    response = upload(client, cast, book)
    assert response.status_code == 400
    for words in said:
        assert words in html(response), words
    assert FrameworkVersion.objects.count() == before


def test_a_weight_the_engine_refuses_names_its_cell(
    client: Client, cast: Cast, presets: None
) -> None:
    login(client, "personnel_a")
    book = exported(client, ban())
    sheet = book["Tiêu chí cá nhân"]
    volume = row_of(sheet, "volume")
    sheet.cell(volume, 8).value = "0,9"
    _refused(
        client,
        cast,
        book,
        [f"Trang “Tiêu chí cá nhân”, dòng {volume}, cột “Trọng số”", "nằm ngoài khoảng"],
    )


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ("weight_text", "“nhiều” không phải là số"),
        ("range_text", "không phải là một khoảng"),
        ("unknown_key", "không có tiêu chí mã “khong_co”"),
        ("yes_no", "ghi “Có” hoặc “Không”"),
        ("band_order", "thứ tự các mức xếp loại đã bị đổi"),
        ("document", "trang ẩn “_thuocdo” của tệp đã bị sửa"),
    ],
)
def test_a_bad_cell_is_refused_with_its_place(
    client: Client, cast: Cast, presets: None, change: str, said: str
) -> None:
    login(client, "personnel_a")
    book = exported(client, ban())
    sheet = book["Tiêu chí cá nhân"]
    volume = row_of(sheet, "volume")
    if change == "weight_text":
        sheet.cell(volume, 8).value = "nhiều"
    elif change == "range_text":
        sheet.cell(volume, 9).value = "từ 0,3"
    elif change == "unknown_key":
        sheet.cell(volume, 1).value = "total › khong_co"
    elif change == "yes_no":
        sheet.cell(row_of(sheet, "specific"), 12).value = "có lẽ"
    elif change == "band_order":
        bands = book["Xếp loại"]
        bands.cell(2, 1).value, bands.cell(3, 1).value = (
            bands.cell(3, 1).value,
            bands.cell(2, 1).value,
        )
    else:
        book["_thuocdo"].cell(1, 1).value = "{không phải JSON"
    _refused(client, cast, book, [said.capitalize() if change == "document" else said])


def test_files_that_are_not_framework_workbooks(client: Client, cast: Cast, presets: None) -> None:
    login(client, "personnel_a")
    plain = Workbook()
    plain.active["A1"] = "Tiêu chí"
    _refused(client, cast, plain, ["không phải tệp khung do Thước đo xuất"])
    before = FrameworkVersion.objects.count()
    response = client.post(
        reverse("web:framework_import"),
        {
            "document": SimpleUploadedFile("khung.xlsx", b"PK\x03\x04 hong", content_type=XLSX),
            "owner": str(cast.agency_a.pk),
        },
    )
    assert response.status_code == 400
    assert "Tệp không phải bảng tính Excel (.xlsx) đọc được." in html(response)
    assert FrameworkVersion.objects.count() == before


def test_the_import_page_commits_its_own_transaction(client: Client, cast_committed: Cast) -> None:
    """As in production, no transaction around the request: the import service opens its
    own, or its audit entry has none to join (it once failed with a server error)."""
    cast = cast_committed
    call_command("load_presets", stdout=StringIO())
    login(client, "personnel_a")
    yaml_text = client.get(reverse("web:framework_yaml", args=[ban().pk])).content
    response = client.post(
        reverse("web:framework_import"),
        {
            "document": SimpleUploadedFile("khung.yaml", yaml_text),
            "owner": str(cast.agency_a.pk),
        },
    )
    assert response.status_code == 302
    book = exported(client, ban())
    book["Thông tin chung"].cell(3, 2).value = "2027.2"
    assert upload(client, cast, book).status_code == 302
    assert FrameworkVersion.objects.filter(agency=cast.agency_a).count() == 2
