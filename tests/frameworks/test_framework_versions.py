"""Stored framework versions: import, publish, use, immutability, presets."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from tests.conftest import Cast
from thuocdo.audit.models import AuditEntry
from thuocdo.core.errors import Conflict, NotFound, ValidationFailed
from thuocdo.frameworks import services
from thuocdo.frameworks.models import FrameworkVersion
from thuocdo.frameworks.selectors import framework_for
from thuocdo.scoring import list_presets, load_preset, preset_data

DAY = dt.date(2026, 3, 1)


def agency_doc(version: str = "2026.1", **changes: Any) -> dict[str, Any]:
    data = load_preset("decree-335-2025").to_data()
    data.update({"id": "ba-kpi", "version": version, **changes})
    return data


def published(cast: Cast, version: str = "2026.1", **changes: Any) -> FrameworkVersion:
    row = services.framework_import(
        actor=cast.user("personnel_a"),
        agency=cast.agency_a,
        document_or_preset_name=agency_doc(version, **changes),
    )
    return services.framework_publish(
        actor=cast.user("personnel_a"), version=row, valid_from=dt.date(2026, 1, 1)
    )


def actions() -> list[str]:
    return list(
        AuditEntry.objects.filter(action__startswith="frameworks.")
        .order_by("id")
        .values_list("action", flat=True)
    )


# -- import, publish, audit -----------------------------------------------------------------
def test_an_import_stores_the_canonical_document_and_its_hash(cast: Cast) -> None:
    row = services.framework_import(
        actor=cast.user("personnel_a"), agency=cast.agency_a, document_or_preset_name=agency_doc()
    )
    fw = load_preset("decree-335-2025")
    assert (row.key, row.version, row.status) == ("ba-kpi", "2026.1", "draft")
    assert row.content_hash.startswith("sha256:")
    assert row.content_hash != fw.content_hash  # the id is part of the content
    assert row.document["individual"] == fw.to_data()["individual"]
    assert row.created_by == cast.user("personnel_a")
    entry = AuditEntry.objects.get(action="frameworks.version.import")
    assert entry.after["content_hash"] == row.content_hash
    assert entry.agency_id == cast.agency_a.pk


def test_a_bad_document_is_refused_with_every_issue_named(cast: Cast) -> None:
    doc = agency_doc()
    doc["individual"]["root"]["children"][1]["combine"] = "median"
    doc["rating"]["bands"][0]["min"] = 0.5
    doc["typo"] = 1
    with pytest.raises(ValidationFailed) as err:
        services.framework_import(actor=None, agency=cast.agency_a, document_or_preset_name=doc)
    message = err.value.message_vi
    assert err.value.field == "document"
    assert "individual.root.children[1].combine [enum]" in message
    assert "typo [unknown_field]" in message
    assert "rating.bands[0].min [number]" in message
    assert message.startswith("Khung tiêu chí không hợp lệ (")
    assert "Invalid framework (" in err.value.message_en
    assert not FrameworkVersion.objects.exists()


def test_an_unknown_preset_and_a_non_agency_are_refused(cast: Cast) -> None:
    with pytest.raises(ValidationFailed, match="unknown_preset"):
        services.framework_import(actor=None, agency=None, document_or_preset_name="nope")
    with pytest.raises(ValidationFailed, match="không phải là cơ quan"):
        services.framework_import(
            actor=None, agency=cast.unit_x, document_or_preset_name=agency_doc()
        )


def test_the_same_content_or_version_twice_is_a_conflict(cast: Cast) -> None:
    published(cast)
    with pytest.raises(Conflict, match="cùng nội dung"):
        services.framework_import(
            actor=None, agency=cast.agency_a, document_or_preset_name=agency_doc()
        )
    with pytest.raises(Conflict, match="đã có phiên bản"):
        services.framework_import(
            actor=None,
            agency=cast.agency_a,
            document_or_preset_name=agency_doc(title_vi="Khung khác"),
        )
    # another agency may hold the same content
    services.framework_import(
        actor=None, agency=cast.agency_b, document_or_preset_name=agency_doc()
    )


def test_a_draft_can_be_edited_then_published_once(cast: Cast) -> None:
    row = services.framework_import(
        actor=None, agency=cast.agency_a, document_or_preset_name=agency_doc()
    )
    row = services.framework_update_draft(
        actor=None, version=row, document=agency_doc("2026.2", title_vi="Khung Ban A")
    )
    assert (row.version, row.title) == ("2026.2", "Khung Ban A")
    row = services.framework_publish(actor=None, version=row, valid_from=dt.date(2026, 1, 1))
    assert row.status == "published"
    assert row.published_at is not None
    with pytest.raises(Conflict, match="Chỉ ban hành được bản nháp"):
        services.framework_publish(actor=None, version=row)
    with pytest.raises(Conflict, match="không sửa được"):
        services.framework_update_draft(actor=None, version=row, document=agency_doc("2026.3"))
    assert actions() == [
        "frameworks.version.import",
        "frameworks.version.update_draft",
        "frameworks.version.publish",
    ]


def test_a_draft_keeps_its_framework_id(cast: Cast) -> None:
    row = services.framework_import(
        actor=None, agency=cast.agency_a, document_or_preset_name=agency_doc()
    )
    with pytest.raises(ValidationFailed, match="Mã khung phải giữ nguyên"):
        services.framework_update_draft(actor=None, version=row, document=agency_doc(id="other-id"))


# -- use and immutability --------------------------------------------------------------------
def test_only_a_published_version_can_be_used_and_the_first_use_is_kept(cast: Cast) -> None:
    draft = services.framework_import(
        actor=None, agency=cast.agency_a, document_or_preset_name=agency_doc()
    )
    with pytest.raises(Conflict, match="chưa ban hành"):
        services.framework_mark_used(actor=None, version=draft)
    row = services.framework_publish(actor=None, version=draft, valid_from=dt.date(2026, 1, 1))
    first = services.framework_mark_used(actor=None, version=row).first_used_at
    assert first is not None
    again = services.framework_mark_used(actor=None, version=row)
    assert again.first_used_at == first
    assert actions().count("frameworks.version.mark_used") == 1


def test_a_used_version_is_refused_by_the_model_save(cast: Cast) -> None:
    row = services.framework_mark_used(actor=None, version=published(cast))
    row.document = {**row.document, "title_vi": "Sửa lén"}
    with pytest.raises(Conflict, match="đã được dùng"):
        row.save()
    row.refresh_from_db()
    row.first_used_at = None
    with pytest.raises(Conflict):
        row.save()
    row.refresh_from_db()
    with pytest.raises(Conflict):
        row.delete()
    # other fields may still change (e.g. retiring it)
    services.framework_retire(actor=None, version=row)


def test_a_used_version_is_refused_by_a_queryset_update(cast: Cast) -> None:
    row = services.framework_mark_used(actor=None, version=published(cast))
    with pytest.raises(Conflict):
        FrameworkVersion.objects.filter(pk=row.pk).update(version="9")
    assert FrameworkVersion.objects.filter(pk=row.pk).update(title="Tên mới") == 1


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("version", "'9'"),
        ("content_hash", "'sha256:forged'"),
        ("document", "'{}'"),
        ("first_used_at", "NULL"),
    ],
)
def test_the_database_refuses_changing_a_used_version(cast: Cast, column: str, value: str) -> None:
    row = services.framework_mark_used(actor=None, version=published(cast))
    table = FrameworkVersion._meta.db_table
    if column == "document" and connection.vendor == "postgresql":
        value = "'{}'::jsonb"
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = {value} WHERE id = %s", [row.pk])
    row.refresh_from_db()
    assert row.version == "2026.1"
    assert row.first_used_at is not None


def test_the_database_still_allows_changing_an_unused_version(cast: Cast) -> None:
    row = published(cast)
    table = FrameworkVersion._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET version = '2026.1a' WHERE id = %s", [row.pk])
        cursor.execute(f"UPDATE {table} SET title = 'x' WHERE id = %s", [row.pk])
    row.refresh_from_db()
    assert row.version == "2026.1a"


def test_postgresql_refuses_deleting_a_used_version(cast: Cast) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's test flush deletes rows; the model refuses DELETE there")
    row = services.framework_mark_used(actor=None, version=published(cast))
    table = FrameworkVersion._meta.db_table
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [row.pk])


# -- reading the version in force ------------------------------------------------------------
def test_the_agency_version_in_force_wins_over_the_national_one(cast: Cast) -> None:
    call_command("load_presets", stdout=StringIO())
    national, fw = framework_for(cast.agency_a, "decree-335-2025", DAY)
    assert national.agency is None
    assert fw.content_hash == load_preset("decree-335-2025").content_hash
    first = published(cast)
    second = services.framework_import(
        actor=None, agency=cast.agency_a, document_or_preset_name=agency_doc("2026.2")
    )
    services.framework_publish(actor=None, version=second, valid_from=dt.date(2026, 4, 1))
    assert framework_for(cast.unit_x, "ba-kpi", DAY)[0] == first
    row, fw = framework_for(cast.unit_x, "ba-kpi", dt.date(2026, 4, 1))
    assert (row, fw.version) == (second, "2026.2")
    with pytest.raises(NotFound):
        framework_for(cast.agency_b, "ba-kpi", DAY)
    with pytest.raises(NotFound):
        framework_for(cast.agency_a, "ba-kpi", dt.date(2025, 12, 31))


def test_a_retired_version_serves_dates_before_its_retirement_only(cast: Cast) -> None:
    row = services.framework_retire(actor=None, version=published(cast))
    with pytest.raises(NotFound):
        framework_for(cast.agency_a, "ba-kpi", dt.date(2100, 1, 1))
    assert framework_for(cast.agency_a, "ba-kpi", dt.date(2026, 1, 1))[0] == row


# -- presets ----------------------------------------------------------------------------------
def test_loading_the_presets_twice_stores_them_once(cast: Cast) -> None:
    out = StringIO()
    call_command("load_presets", stdout=out)
    call_command("load_presets", stdout=out)
    rows = FrameworkVersion.objects.filter(agency__isnull=True)
    assert rows.count() == len(list_presets())
    assert {r.status for r in rows} == {"published"}
    for name in list_presets():
        fw = load_preset(name)
        row = rows.get(key=fw.id)
        assert row.content_hash == fw.content_hash
        assert row.valid_from == dt.date(2026, 1, 1)
        assert preset_data(name)["id"] == row.key
    assert actions().count("frameworks.version.import") == len(list_presets())
    assert out.getvalue().count("unchanged") == len(list_presets())
