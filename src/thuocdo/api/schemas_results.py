"""Response shapes of the evaluation results endpoints (scope `evaluations:read`).

Points travel as decimal strings ("87.50"). A result (points, rating, the changes to the
rating and their reasons) is given only once its period is published: before that the
people concerned have not been told, so no other system may know it either.
"""

from __future__ import annotations

import datetime as dt
from typing import Generic, Literal, TypeVar

from ninja import Schema
from pydantic import Field

from thuocdo.api.schemas import MAX_ID
from thuocdo.api.schemas_work import Id, IsoDateTime

T = TypeVar("T")

PeriodKind = Literal["month", "quarter", "year"]
PeriodState = Literal[
    "open", "self_assessment", "review", "collective_comments", "decision", "published", "locked"
]
EvaluationState = Literal["draft", "self_assessed", "reviewed", "decided", "excluded"]
UnitEvaluationState = Literal["draft", "decided"]


class KeysetPage(Schema, Generic[T]):
    """One page of a long list in id order; ask for the next with `after=<next_after>`."""

    limit: int
    next_after: int | None = Field(
        description="Gửi lại làm `after` để lấy trang sau; null: đã hết danh sách."
    )
    items: list[T]


class Keyset(Schema):
    after: int = Field(
        default=0, ge=0, le=MAX_ID, description="Chỉ các mục có id lớn hơn (trang trước trả về)."
    )
    limit: int = Field(default=100, ge=1, le=MAX_ID, description="Số mục mỗi trang (tối đa 500).")


class PeriodFilter(Schema):
    kind: PeriodKind | None = None
    year: int | None = Field(default=None, ge=2000, le=2100)
    state: list[PeriodState] | None = Field(default=None, description="Lặp lại để lọc nhiều.")
    limit: int = Field(default=100, ge=1, le=MAX_ID)
    offset: int = Field(default=0, ge=0, le=10**9)


class EvaluationFilter(Keyset):
    unit_id: Id | None = None
    subunits: bool = Field(default=False, description="Gồm cả các đơn vị trực thuộc unit_id.")
    person_code: str | None = Field(default=None, min_length=1, max_length=40)
    state: list[EvaluationState] | None = Field(default=None, description="Lặp lại để lọc nhiều.")
    updated_since: IsoDateTime | None = Field(
        default=None,
        description="Chỉ phiếu thay đổi từ thời điểm này (ISO 8601; không có múi giờ: giờ "
        "Việt Nam).",
    )


class YearFilter(Keyset):
    year: int = Field(ge=2000, le=2100, description="Năm đánh giá, ví dụ 2026.")
    person_code: str | None = Field(default=None, min_length=1, max_length=40)


class Counts(Schema):
    evaluations: int
    decided: int
    excluded: int


class PeriodOut(Schema):
    id: int
    version: int
    kind: PeriodKind
    year: int
    number: int
    name: str
    start: dt.date
    end: dt.date
    state: PeriodState
    state_label: str
    self_assessment_until: dt.date | None
    review_until: dt.date | None
    collective_until: dt.date | None
    decision_until: dt.date | None
    complaint_days: int
    framework_key: str
    published: bool
    published_at: dt.datetime | None
    counts: Counts
    links: dict[str, str]


class RatingChange(Schema):
    rule: str
    from_rating: str | None
    to_rating: str | None
    reason: str


class EvaluationOut(Schema):
    id: int
    version: int
    period_id: int
    person_id: int
    person_code: str
    person_name: str
    unit_id: int
    unit_code: str
    role: str
    state: EvaluationState
    state_label: str
    self_assessed_at: dt.datetime | None
    reviewed_at: dt.datetime | None
    published: bool = Field(description="Kết quả đã được thông báo: có điểm và xếp loại.")
    points: str | None
    rating: str | None
    rating_label: str | None
    decided_at: dt.datetime | None
    complaint_until: dt.date | None
    links: dict[str, str] = Field(
        description="`breakdown`: trang giải thích điểm (cần đăng nhập, đúng quyền xem)."
    )


class EvaluationDetailOut(EvaluationOut):
    rating_by_points: str | None
    rating_changes: list[RatingChange]


class UnitKpiOut(Schema):
    key: str
    group: str
    label: str
    target: str | None
    actual: str | None


class UnitEvaluationOut(Schema):
    id: int
    version: int
    period_id: int
    unit_id: int
    unit_code: str
    unit_name: str
    state: UnitEvaluationState
    published: bool
    points: str | None
    rating: str | None
    rating_label: str | None
    decided_at: dt.datetime | None
    kpis: list[UnitKpiOut]


class Demotion(Schema):
    evaluation_id: int
    person_code: str
    from_rating: str
    to_rating: str


class DecisionOut(Schema):
    """A quota group: who was compared, and once published what the head decided."""

    id: int
    code: str
    name: str
    kind: str
    unit_code: str | None
    members: int
    decided: bool
    decided_at: dt.datetime | None
    limited_rating: str | None
    base_rating: str | None
    ratio: str | None
    exception_ratio: str | None
    exception_basis: str
    final: dict[str, int] | None
    demoted: list[Demotion]
