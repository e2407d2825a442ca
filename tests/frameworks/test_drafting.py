"""Drafting an agency's framework version from the one in force: each edit, each refusal
with the engine's message next to its field, the audit, the diff in words, adoption with a
start date, immutability once used, and a period after the start using the new version."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from tests.conftest import Cast
from thuocdo.audit.models import AuditEntry
from thuocdo.core import clock
from thuocdo.core.errors import Conflict, ValidationFailed
from thuocdo.frameworks import drafting
from thuocdo.frameworks.drafting import DraftRefused
from thuocdo.frameworks.models import FrameworkVersion
from thuocdo.frameworks.selectors import engine_framework, framework_for
from thuocdo.frameworks.services import framework_mark_used, framework_update_draft
from thuocdo.scoring import load_preset
from thuocdo.scoring.diff import framework_diff


@pytest.fixture
def presets(db: None) -> None:
    call_command("load_presets", stdout=StringIO())


def national(key: str = "ban-cscl-2025") -> FrameworkVersion:
    return FrameworkVersion.objects.get(agency__isnull=True, key=key)


def draft(cast: Cast, key: str = "ban-cscl-2025", **kw: Any) -> FrameworkVersion:
    return drafting.framework_draft_from(
        actor=cast.user("personnel_a"), agency=cast.agency_a, source=national(key), **kw
    )


def edit(cast: Cast, row: FrameworkVersion, *edits: dict[str, Any]) -> FrameworkVersion:
    row.refresh_from_db()
    return drafting.framework_draft_edit(
        actor=cast.user("personnel_a"),
        version=row,
        edits=list(edits),
        expected_revision=row.revision,
    )


def refused(cast: Cast, row: FrameworkVersion, *edits: dict[str, Any]) -> DraftRefused:
    with pytest.raises(DraftRefused) as err:
        edit(cast, row, *edits)
    return err.value


def node(row: FrameworkVersion, key: str, part: str = "individual") -> dict[str, Any]:
    row.refresh_from_db()
    return drafting.node_paths(row.document, part)[key].node


def actions() -> list[str]:
    return list(
        AuditEntry.objects.filter(action__startswith="frameworks.version.")
        .order_by("id")
        .values_list("action", flat=True)
    )


# -- a draft from the version in force --------------------------------------------------------
def test_a_draft_copies_the_version_in_force_under_a_new_label(cast: Cast, presets: None) -> None:
    row = draft(cast)
    source = national()
    assert (row.agency, row.key, row.status) == (cast.agency_a, "ban-cscl-2025", "draft")
    assert row.version == "2025.2-illustrative-ba-1"
    assert draft(cast).version == "2025.2-illustrative-ba-2"
    assert draft(cast, version_label="2027.1").version == "2027.1"
    doc = dict(row.document, version=source.version)
    assert doc == source.document
    entry = AuditEntry.objects.filter(action="frameworks.version.draft_from").first()
    assert entry is not None and entry.after["source"] == source.pk
    assert entry.agency_id == cast.agency_a.pk


def test_a_draft_is_made_only_from_a_published_version(cast: Cast, presets: None) -> None:
    row = draft(cast)
    with pytest.raises(ValidationFailed) as err:
        drafting.framework_draft_from(actor=None, agency=cast.agency_a, source=row)
    assert err.value.field == "source"
    with pytest.raises(Conflict, match="cùng nội dung"):
        draft(cast, version_label=row.version)


# -- each edit ----------------------------------------------------------------------------------
def test_a_group_weight_within_its_range_is_set_and_audited(cast: Cast, presets: None) -> None:
    row = draft(cast)
    row = edit(cast, row, {"op": "set_weight", "key": "volume", "weight": Decimal("0.45")})
    assert node(row, "volume")["weight"] == "0.45"
    assert row.revision == 2
    assert engine_framework(row).find("volume").weight == Decimal("0.45")  # type: ignore[union-attr]
    entry = AuditEntry.objects.get(action="frameworks.version.edit_draft")
    assert entry.before["edits"][0]["weight"] == "0.4"
    assert entry.after["edits"][0]["now"]["weight"] == "0.45"
    assert entry.before["content_hash"] != entry.after["content_hash"]
    assert entry.after["revision"] == 2


def test_labels_scales_bands_and_quota_are_set(cast: Cast, presets: None) -> None:
    row = draft(cast)
    row = edit(
        cast,
        row,
        {"op": "set_label", "key": "quality", "label_vi": "Chất lượng", "label_en": "Quality"},
        {"op": "set_scale", "key": "g1_politics", "max": Decimal("4"), "step": Decimal("1")},
        {"op": "set_scale", "key": "g1_ethics", "max": Decimal("6"), "step": Decimal("0.5")},
        {"op": "set_band", "rating": "excellent", "min": Decimal("92")},
        {"op": "set_quota", "ratio": Decimal("0.15"), "max_exception_ratio": Decimal("0.2")},
    )
    assert node(row, "quality")["label_vi"] == "Chất lượng"
    assert node(row, "g1_politics")["scale"] == {"max": "4", "step": "1"}
    assert row.document["rating"]["bands"][0]["min"] == "92"
    assert row.document["quota"]["ratio"] == "0.15"


def test_a_criterion_is_added_to_a_group_that_allows_additions_then_removed(
    cast: Cast, presets: None
) -> None:
    row = draft(cast)
    new = {
        "op": "add_criterion",
        "parent": "specific",
        "key": "s_reports",
        "label_vi": "Báo cáo chuyên đề",
        "label_en": "Thematic reports",
        "max": Decimal("10"),
        "step": Decimal("1"),
        "weight": Decimal("1"),
    }
    row = edit(cast, row, new)
    assert [c["key"] for c in node(row, "specific")["children"]] == ["s_reports"]
    row = edit(cast, row, {"op": "remove_criterion", "key": "s_reports"})
    assert node(row, "specific")["children"] == []


def test_a_group_is_turned_into_a_weighted_mean(cast: Cast, presets: None) -> None:
    row = drafting.framework_draft_from(
        actor=None, agency=cast.agency_a, source=national("decree-335-2025")
    )
    row = edit(cast, row, {"op": "set_combine", "key": "task_results", "combine": "weighted_mean"})
    row = edit(cast, row, {"op": "set_weight", "key": "a", "weight": Decimal("2")})
    assert node(row, "a")["weight"] == "2"
    assert node(row, "b")["weight"] == "1"
    words = [
        c.message_vi
        for c in drafting.draft_diff(
            engine_framework(row), engine_framework(national("decree-335-2025"))
        )
    ]
    assert (
        "Cách tính của “Kết quả thực hiện nhiệm vụ” (task_results): trung bình cộng → "
        "trung bình có trọng số." in words
    ), words


def test_unit_kpis_are_added_edited_and_removed(cast: Cast, presets: None) -> None:
    row = draft(cast)
    row = edit(
        cast,
        row,
        {
            "op": "add_unit_kpi",
            "group": "specific",
            "key": "sp_visits",
            "label_vi": "Số đợt khảo sát thực tế",
            "label_en": "Field surveys",
            "direction": "higher_is_better",
            "unit_of_measure": "đợt",
            "weight": Decimal("1"),
        },
    )
    kpi = node(row, "sp_visits", "unit")
    assert kpi["target"]["unit_of_measure"] == "đợt"
    row = edit(
        cast,
        row,
        {
            "op": "edit_unit_kpi",
            "key": "fn_appraisal",
            "weight": Decimal("0.5"),
            "direction": "higher_is_better",
            "label_vi": "Văn bản thẩm định đúng hạn",
        },
    )
    assert node(row, "fn_appraisal", "unit")["weight"] == "0.5"
    row = edit(cast, row, {"op": "remove_unit_kpi", "key": "sp_visits"})
    assert "sp_visits" not in drafting.node_paths(row.document, "unit")


# -- each refusal: the engine's message, next to the field at fault ----------------------------
def test_a_weight_outside_its_range_is_refused_with_the_engine_s_message(
    cast: Cast, presets: None
) -> None:
    row = draft(cast)
    err = refused(cast, row, {"op": "set_weight", "key": "volume", "weight": Decimal("0.6")})
    assert err.field == "weight"
    assert err.errors[0].message_vi == "Trọng số 0.6 nằm ngoài khoảng cho phép [0.3, 0.5]."
    assert "outside the allowed range" in err.message_en
    row.refresh_from_db()
    assert (row.revision, node(row, "volume")["weight"]) == (1, "0.4")
    assert "frameworks.version.edit_draft" not in actions()


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (
            {"op": "set_scale", "key": "g1_politics", "max": Decimal("5"), "step": Decimal("2")},
            "step",
            "không chia hết cho bước",
        ),
        (
            {"op": "set_scale", "key": "g1_politics", "max": Decimal("9"), "step": Decimal("1")},
            "max",
            "vượt thang 100",
        ),
        (
            {"op": "set_weight", "key": "g1_politics", "weight": Decimal("1")},
            "weight",
            "không dùng trọng số",
        ),
        ({"op": "set_label", "key": "volume", "label_vi": " "}, "label_vi", "chuỗi không rỗng"),
        (
            {"op": "set_band", "rating": "good", "min": Decimal("95")},
            "min_good",
            "Ngưỡng điểm phải giảm dần",
        ),
        (
            {"op": "set_band", "rating": "not_completed", "min": Decimal("5")},
            "min_not_completed",
            "bắt đầu từ 0",
        ),
        (
            {"op": "set_quota", "ratio": Decimal("0.3"), "max_exception_ratio": Decimal("0.25")},
            "max_exception_ratio",
            "không được nhỏ hơn tỷ lệ thường",
        ),
        ({"op": "set_quota", "ratio": Decimal("1.5")}, "ratio", "Phải ≤ 1"),
        ({"op": "remove_criterion", "key": "volume"}, "key", "khung bắt buộc"),
        (
            {
                "op": "add_criterion",
                "parent": "general_1",
                "key": "g1_x",
                "label_vi": "X",
                "label_en": "X",
                "max": Decimal("1"),
                "step": Decimal("1"),
            },
            "parent",
            "không cho thêm tiêu chí",
        ),
        (
            {
                "op": "add_criterion",
                "parent": "specific",
                "key": "Bad Key",
                "label_vi": "X",
                "label_en": "X",
                "max": Decimal("1"),
                "step": Decimal("1"),
                "weight": Decimal("1"),
            },
            "key",
            "Mã phải gồm chữ thường",
        ),
        (
            {
                "op": "add_criterion",
                "parent": "specific",
                "key": "s_x",
                "label_vi": "X",
                "label_en": "X",
                "max": Decimal("1"),
                "step": Decimal("1"),
            },
            "weight",
            "thiếu trọng số",
        ),
        (
            {
                "op": "add_unit_kpi",
                "group": "functional",
                "key": "f_volume",
                "label_vi": "X",
                "label_en": "X",
                "weight": Decimal("1"),
            },
            "key",
            "bị trùng",
        ),
        (
            {
                "op": "add_unit_kpi",
                "group": "nowhere",
                "key": "k",
                "label_vi": "X",
                "label_en": "X",
            },
            "group",
            "Không có nhóm KPI",
        ),
        (
            {"op": "edit_unit_kpi", "key": "foundational", "weight": Decimal("0.4")},
            "key",
            "không phải là một chỉ số KPI",
        ),
        (
            {"op": "edit_unit_kpi", "key": "f_digital", "direction": "sideways"},
            "direction",
            "không hợp lệ",
        ),
    ],
)
def test_each_refusal_names_its_field(
    cast: Cast, presets: None, change: dict[str, Any], field: str, words: str
) -> None:
    row = draft(cast)
    err = refused(cast, row, change)
    assert err.field == field, err.errors
    assert words in err.message_vi


def test_several_issues_are_all_named(cast: Cast, presets: None) -> None:
    row = draft(cast)
    err = refused(
        cast,
        row,
        {"op": "set_quota", "ratio": Decimal("1.5"), "max_exception_ratio": Decimal("2")},
    )
    assert {e.field for e in err.errors} == {"ratio", "max_exception_ratio"}


def test_a_stale_page_and_an_empty_change_are_refused(cast: Cast, presets: None) -> None:
    row = draft(cast)
    with pytest.raises(Conflict, match="tải lại trang") as err:
        drafting.framework_draft_edit(
            actor=None,
            version=row,
            edits=[{"op": "set_weight", "key": "volume", "weight": Decimal("0.45")}],
            expected_revision=row.revision + 1,
        )
    assert err.value.field == "revision"
    assert (
        "Không có thay đổi"
        in refused(
            cast, row, {"op": "set_weight", "key": "volume", "weight": Decimal("0.4")}
        ).message_vi
    )


# -- the diff in words ---------------------------------------------------------------------------
def test_the_diff_says_each_change_in_words(cast: Cast, presets: None) -> None:
    row = draft(cast)
    row = edit(
        cast,
        row,
        {"op": "set_weight", "key": "volume", "weight": Decimal("0.45")},
        {"op": "set_scale", "key": "g1_politics", "max": Decimal("4"), "step": Decimal("1")},
        {"op": "set_band", "rating": "excellent", "min": Decimal("92")},
        {"op": "set_quota", "ratio": Decimal("0.15")},
        {"op": "set_label", "key": "quality", "label_vi": "Chất lượng"},
        {
            "op": "add_criterion",
            "parent": "specific",
            "key": "s_reports",
            "label_vi": "Báo cáo",
            "label_en": "Reports",
            "max": Decimal("10"),
            "step": Decimal("1"),
            "weight": Decimal("1"),
        },
        {"op": "remove_unit_kpi", "key": "f_digital"},
    )
    words = [
        c.message_vi
        for c in drafting.draft_diff(engine_framework(row), engine_framework(national()))
    ]
    assert "Trọng số của “Khối lượng công việc” (volume): 0,4 → 0,45." in words
    assert any(
        "Thang điểm của “Phẩm chất chính trị, tư tưởng”" in w and "tối đa 4, bước 1" in w
        for w in words
    )
    assert "Ngưỡng điểm “Hoàn thành xuất sắc nhiệm vụ”: từ 90 → từ 92 điểm." in words
    assert "Tỷ lệ tối đa: 20% → 15%." in words
    assert any(w.startswith("Đổi tên “Chất lượng công việc” thành “Chất lượng”") for w in words)
    assert any(
        "thêm “Báo cáo” (s_reports) vào nhóm “Tiêu chí đặc thù của vị trí việc làm”" in w
        for w in words
    )
    assert any(
        "bỏ “Tỷ lệ hồ sơ, văn bản xử lý trên môi trường điện tử” (f_digital)" in w for w in words
    )
    english = [
        c.message_en for c in framework_diff(engine_framework(national()), engine_framework(row))
    ]
    assert "Weight of “Volume of work” (volume): 0.4 → 0.45." in english
    assert drafting.draft_diff(engine_framework(row), None) == []


def test_the_same_framework_has_no_changes() -> None:
    fw = load_preset("ban-cscl-2025")
    assert framework_diff(fw, fw) == []


# -- adoption, immutability, the period after the start ------------------------------------------
def test_adoption_needs_a_start_date_today_or_later(cast: Cast, presets: None) -> None:
    row = draft(cast)
    today = clock.today()
    with pytest.raises(ValidationFailed) as err:
        drafting.framework_draft_adopt(
            actor=cast.user("leader_a"),
            version=row,
            valid_from=today - dt.timedelta(days=1),
            expected_revision=row.revision,
        )
    assert err.value.field == "valid_from"
    adopted = drafting.framework_draft_adopt(
        actor=cast.user("leader_a"), version=row, valid_from=None, expected_revision=1
    )
    assert adopted.status == "published"
    assert adopted.valid_from == drafting.default_start(today)
    assert adopted.valid_from.day == 1 and adopted.valid_from > today
    assert adopted.revision == 2
    entry = AuditEntry.objects.filter(action="frameworks.version.publish").latest("id")
    assert entry.actor_id == cast.user("leader_a").pk
    with pytest.raises(Conflict, match="không sửa được"):
        edit(cast, adopted, {"op": "set_weight", "key": "volume", "weight": Decimal("0.3")})


def test_a_used_version_never_changes(cast: Cast, presets: None) -> None:
    row = draft(cast)
    row = drafting.framework_draft_adopt(
        actor=None, version=row, valid_from=clock.today(), expected_revision=1
    )
    framework_mark_used(actor=None, version=row)
    with pytest.raises(Conflict):
        edit(cast, row, {"op": "set_weight", "key": "volume", "weight": Decimal("0.3")})
    with pytest.raises(Conflict):
        framework_update_draft(actor=None, version=row, document=row.document)


def test_a_period_after_the_start_date_uses_the_adopted_version(cast: Cast, presets: None) -> None:
    from thuocdo.evaluations import services as ev
    from thuocdo.evaluations.models import Evaluation, Period

    base = drafting.framework_draft_from(
        actor=None, agency=cast.agency_a, source=national("decree-335-2025")
    )
    base = edit(
        cast, base, {"op": "set_combine", "key": "task_results", "combine": "weighted_mean"}
    )
    base = edit(cast, base, {"op": "set_weight", "key": "a", "weight": Decimal("2")})
    start = drafting.default_start(clock.today())
    adopted = drafting.framework_draft_adopt(
        actor=cast.user("leader_a"), version=base, valid_from=start, expected_revision=base.revision
    )
    before = start - dt.timedelta(days=1)
    assert framework_for(cast.agency_a, "decree-335-2025", before)[0].agency_id is None
    assert framework_for(cast.agency_a, "decree-335-2025", start)[0] == adopted
    period = ev.period_create(
        actor=cast.user("personnel_a"),
        agency=cast.agency_a,
        kind=Period.Kind.MONTH,
        year=start.year,
        number=start.month,
    )
    period = ev.period_transition(
        actor=cast.user("personnel_a"),
        period=period,
        action="start_self_assessment",
        expected_version=period.version,
    )
    frameworks = set(
        Evaluation.objects.filter(period=period).values_list("framework_id", flat=True)
    )
    assert frameworks == {adopted.pk}
    adopted.refresh_from_db()
    assert adopted.first_used_at is not None
