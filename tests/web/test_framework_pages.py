"""Issue 14, points 1 and 4: every official reads the framework in force for them, in
Vietnamese and English, takes it away as YAML or Excel; the personnel office imports a
YAML document as a draft; a period chooses its framework from the versions in force."""

from __future__ import annotations

from io import BytesIO, StringIO
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from tests.conftest import Cast
from tests.web.test_audit_words import _visible
from thuocdo.evaluations.models import Period
from thuocdo.frameworks import services
from thuocdo.frameworks.models import FrameworkVersion
from thuocdo.scoring import loads_document, validate_framework

KEY = "decree-335-2025"


@pytest.fixture
def presets(db: None) -> None:
    call_command("load_presets", stdout=StringIO())


def national() -> FrameworkVersion:
    return FrameworkVersion.objects.get(agency__isnull=True, key=KEY)


def login(client: Client, cast: Cast, username: str, language: str = "vi") -> Client:
    client.force_login(cast.user(username))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def text(response: Any) -> str:
    return str(response.content.decode())


def draft_of(cast: Cast, agency: Any, version: str = "2026.9") -> FrameworkVersion:
    fw = validate_framework(national().document)
    data = fw.to_data() | {"version": version}
    return services.framework_import(actor=None, agency=agency, document_or_preset_name=data)


# --- reading -------------------------------------------------------------------------------


def test_an_official_reads_the_framework_in_force_and_all_of_it(
    client: Client, cast: Cast, presets: None
) -> None:
    login(client, cast, "staff_x")
    home = text(client.get("/"))
    assert reverse("web:framework_list") in home and "Khung đánh giá" in home  # the menu
    listing = client.get(reverse("web:framework_list"))
    page = text(listing)
    assert listing.status_code == 200
    assert "Khung đánh giá theo Nghị định 335/2025/NĐ-CP" in page
    assert "Khung quốc gia đã ban hành" in page  # why this one
    assert "phiên bản 2025.2" in page
    assert "Nhập khung từ tệp YAML" not in page  # an official imports nothing
    detail = client.get(reverse("web:framework", args=[national().pk]))
    page = text(detail)
    assert detail.status_code == 200
    for shown in [
        "Nhóm I: Chính trị, tư tưởng; đạo đức, lối sống",
        "Phẩm chất chính trị, tư tưởng",
        "0 đến 2,5, bước 0,5",  # the scale, with the decimal comma
        "cấp trưởng, quyền trưởng, cấp phó",  # roles in words
        "Hoàn thành xuất sắc nhiệm vụ",
        "từ 90 điểm trở lên",
        "từ 70 đến dưới 90 điểm",
        "dưới 50 điểm",
        "Bị kỷ luật từ mức khiển trách trở lên",
        "không vượt quá 20% số",
        "Tối đa 25%",
        "Điều 20 khoản 5",
        "Điều 17 khoản 3",
        "Điều 15 khoản 3",
        "6 tháng",
        "nghỉ ốm đau, nghỉ thai sản",
        "Trừ 25% mỗi lần",
        "Mặc định của Thước đo",
        "Tải YAML",
        "Tải Excel",
    ]:
        assert shown in page, shown
    assert "2.5" not in page and "0.25" not in page
    words = _visible(page)
    assert "not_completed" not in words and "acting_head" not in words  # no codes


def test_the_english_page_says_it_in_english(client: Client, cast: Cast, presets: None) -> None:
    login(client, cast, "head_x", language="en")
    page = text(client.get(reverse("web:framework", args=[national().pk])))
    for shown in [
        "Group I: political quality; ethics and lifestyle",
        "0 to 2.5, in steps of 0.5",
        "Excellent",
        "90 points or more",
        "Art. 20(5)",
        "head, acting head, deputy",
    ]:
        assert shown in page, shown


def test_a_unit_framework_shows_its_kpis_and_what_differs_from_the_decree(
    client: Client, cast: Cast, presets: None
) -> None:
    ban = FrameworkVersion.objects.get(agency__isnull=True, key="ban-cscl-2025")
    login(client, cast, "leader_a")
    page = text(client.get(reverse("web:framework", args=[ban.pk])))
    assert "Tiêu chí đánh giá đơn vị" in page and "Chỉ tiêu" in page
    assert "đơn vị được bổ sung tiêu chí" in page
    assert "Khung minh hoạ" in page


@pytest.mark.parametrize(
    ("username", "target", "status"),
    [
        ("staff_x", "national", 200),
        ("head_z", "national", 200),
        ("nobody", "national", 200),
        ("staff_x", "a_draft", 403),
        ("head_x", "a_draft", 403),
        ("leader_a", "a_draft", 200),
        ("personnel_a", "a_draft", 200),
        ("head_z", "a_published", 403),
        ("staff_y", "a_published", 200),
        ("operator", "a_draft", 200),
    ],
)
def test_who_reads_which_version(
    client: Client, cast: Cast, presets: None, username: str, target: str, status: int
) -> None:
    if target == "national":
        row = national()
    else:
        row = draft_of(cast, cast.agency_a)
        if target == "a_published":
            services.framework_publish(actor=None, version=row)
    login(client, cast, username)
    for name in ("web:framework", "web:framework_yaml", "web:framework_xlsx"):
        response = client.get(reverse(name, args=[row.pk]))
        assert response.status_code == status, name
    if status == 403:
        assert "không có quyền xem phiên bản khung đánh giá" in text(response)
    listed = reverse("web:framework", args=[row.pk]) in text(
        client.get(reverse("web:framework_list"))
    )
    assert listed is (status == 200)


def test_unknown_versions_and_visitors(client: Client, cast: Cast, presets: None) -> None:
    assert client.get(reverse("web:framework_list")).status_code == 302  # to the login page
    login(client, cast, "staff_x")
    missing = client.get(reverse("web:framework", args=[987654]))
    assert missing.status_code == 404 and "#987654" in text(missing)
    assert client.get(reverse("web:framework_preset", args=["no-such"])).status_code == 404


def test_with_nothing_stored_the_shipped_preset_is_read(client: Client, cast: Cast) -> None:
    login(client, cast, "staff_x")
    page = text(client.get(reverse("web:framework_list")))
    assert "Khung mẫu đi kèm phần mềm" in page
    url = reverse("web:framework_preset", args=[KEY])
    assert url in page
    assert "Hoàn thành tốt nhiệm vụ" in text(client.get(url))
    assert client.get(reverse("web:framework_preset_yaml", args=[KEY])).status_code == 200


# --- files -----------------------------------------------------------------------------------


def test_the_yaml_file_imports_back_to_the_same_content(
    client: Client, cast: Cast, presets: None
) -> None:
    login(client, cast, "staff_x")
    response = client.get(reverse("web:framework_yaml", args=[national().pk]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    document = loads_document(response.content.decode(), name="khung.yaml")
    again = services.framework_import(
        actor=None, agency=cast.agency_b, document_or_preset_name=document
    )
    assert again.content_hash == national().content_hash
    renamed = services.framework_import(
        actor=None, agency=cast.agency_a, document_or_preset_name=document | {"version": "2026.1"}
    )
    assert renamed.content_hash != national().content_hash
    assert renamed.document | {"version": "2025.2"} == national().document


def test_the_workbook_has_a_sheet_for_each_part(client: Client, cast: Cast, presets: None) -> None:
    login(client, cast, "staff_x")
    response = client.get(reverse("web:framework_xlsx", args=[national().pk]))
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.content))
    assert book.sheetnames == [
        "Thông tin chung",
        "Tiêu chí cá nhân",
        "Tiêu chí đơn vị",
        "Xếp loại",
        "Tỷ lệ",
        "Tổng hợp năm",
        "_thuocdo",  # hidden: the document the file is read back against
    ]
    assert book["_thuocdo"].sheet_state == "hidden"
    rows = list(book["Tiêu chí cá nhân"].iter_rows(values_only=True))
    assert rows[0][0] == "Đường dẫn" and rows[0][5] == "Điểm tối đa"
    politics = next(r for r in rows if r[0] == "total › general › general_1 › g1_politics")
    assert politics[1] == "Phẩm chất chính trị, tư tưởng" and politics[2] == "Political quality"
    assert politics[5] == 5 and politics[6] == "0 đến 5, bước 0,5" and politics[10] == "Không"
    group = next(r for r in rows if r[0] == "total › general › general_1")
    assert group[3] == "Nhóm" and group[5] == 10 and group[10] == "Có"
    assert len(rows) == 1 + 1 + 1 + 3 + 10 + 1 + 6  # header, total, general, groups, items, tasks
    bands = list(book["Xếp loại"].iter_rows(values_only=True))
    assert ("Hoàn thành xuất sắc nhiệm vụ", "từ 90 điểm trở lên", 90) in [r[:3] for r in bands]
    quota = list(book["Tỷ lệ"].iter_rows(values_only=True))
    assert any("20%" in str(r[1]) and r[2] == "Điều 20 khoản 5" for r in quota)
    info = {r[0]: r[1] for r in book["Thông tin chung"].iter_rows(values_only=True) if r[0]}
    assert info["Phiên bản"] == "2025.2" and info["Mã khung"] == KEY


# --- the YAML import ------------------------------------------------------------------------


def _upload(content: str | bytes, name: str = "khung.yaml") -> SimpleUploadedFile:
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="application/yaml")


def test_the_office_imports_a_yaml_file_as_a_draft(
    client: Client, cast: Cast, presets: None
) -> None:
    login(client, cast, "personnel_a")
    listing = text(client.get(reverse("web:framework_list")))
    assert (
        "Nhập khung từ tệp YAML hoặc Excel" in listing
        and "Khung quốc gia (dùng chung)" not in listing
    )
    exported = client.get(reverse("web:framework_yaml", args=[national().pk])).content.decode()
    posted = client.post(
        reverse("web:framework_import"),
        {"document": _upload(exported), "owner": str(cast.agency_a.pk), "reason": "Áp dụng"},
    )
    row = FrameworkVersion.objects.get(agency=cast.agency_a, key=KEY)
    assert posted.status_code == 302
    assert posted["Location"] == reverse("web:fwdraft_detail", args=[row.pk])
    assert row.status == "draft" and row.content_hash == national().content_hash
    assert "thành bản nháp" in text(client.get(posted["Location"]))
    # another agency is not the office's to import into
    refused = client.post(
        reverse("web:framework_import"),
        {"document": _upload(exported), "owner": str(cast.agency_b.pk)},
    )
    assert refused.status_code == 400
    assert not FrameworkVersion.objects.filter(agency=cast.agency_b).exists()


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("id: [unclosed", "Tệp không phải YAML hợp lệ"),
        ("- just\n- a list\n", "Tệp YAML phải là một khung"),
        (b"\xff\xfe\x00bad", "UTF-8"),
        ("BROKEN_QUOTA", "quota.ratio"),
    ],
)
def test_a_bad_file_stores_nothing_and_says_where(
    client: Client, cast: Cast, presets: None, content: Any, said: str
) -> None:
    if content == "BROKEN_QUOTA":
        data = national().document
        data["quota"]["ratio"] = "hai mươi"
        content = yaml.safe_dump(data, allow_unicode=True)
    login(client, cast, "personnel_a")
    before = FrameworkVersion.objects.count()
    response = client.post(
        reverse("web:framework_import"),
        {"document": _upload(content), "owner": str(cast.agency_a.pk)},
    )
    assert response.status_code == 400
    assert said in text(response)
    assert FrameworkVersion.objects.count() == before


def test_an_official_cannot_import(client: Client, cast: Cast, presets: None) -> None:
    login(client, cast, "staff_x")
    response = client.post(reverse("web:framework_import"), {"owner": "1"})
    assert response.status_code == 403 and "tổ chức cán bộ" in text(response)


# --- the period form ---------------------------------------------------------------------------


def test_a_period_chooses_its_framework_from_those_in_force(
    client: Client, cast: Cast, presets: None
) -> None:
    own = draft_of(cast, cast.agency_a)
    services.framework_publish(actor=None, version=own)
    login(client, cast, "personnel_a")
    page = text(client.get(reverse("web:ev_period_create")))
    assert '<select name="framework_key"' in page
    assert (
        f'<option value="{KEY}" selected>Khung đánh giá theo Nghị định 335/2025/NĐ-CP '
        "(thang 100 điểm) (phiên bản 2026.9)</option>"
    ) in page  # the agency's own version of the key
    assert "(phiên bản 2025.2)" not in page  # the agency's own wins over the national one
    assert "Khung KPIs của Ban Chính sách, chiến lược Trung ương" in page  # national, other key
    refused = client.post(
        reverse("web:ev_period_create"),
        {
            "kind": "month",
            "year": "2026",
            "number": "4",
            "framework_key": "khung-tu-go",
            "complaint_days": "10",
            "acting_head_rule": "as_head",
        },
    )
    assert refused.status_code == 400
    assert "Khung “khung-tu-go” không có phiên bản nào được ban hành" in text(refused)
    assert not Period.objects.filter(year=2026, number=4).exists()
    # before the decree's versions take effect, nothing is offered
    early = client.post(
        reverse("web:ev_period_create"),
        {
            "kind": "month",
            "year": "2025",
            "number": "4",
            "framework_key": KEY,
            "complaint_days": "10",
            "acting_head_rule": "as_head",
        },
    )
    assert early.status_code == 400 and "không có phiên bản nào" in text(early)
