"""Request and response shapes of the catalogue and task endpoints.

Quantities and coefficients travel as decimal strings ("1.50"), never as floats. Input
bounds that the database would otherwise enforce with an error (lengths, digits, id
ranges) are checked here, so bad input is a 422 naming the field, never a 500.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.utils import timezone
from ninja import Schema
from pydantic import BeforeValidator, ConfigDict, Field, WithJsonSchema

from thuocdo.api.org import Paging
from thuocdo.api.schemas import MAX_ID

MAX_VERSION = 2**31 - 1
MAX_OFFSET = 10**9

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Version = Annotated[int, Field(ge=1, le=MAX_VERSION)]
Code = Annotated[str, Field(min_length=1, max_length=40)]
# Digits as in the Task columns: 12 digits with 2 decimals; the sign is the service's rule.
QUANTITY_MAX = Decimal("9999999999.99")


def _cents_from_float(value: Any) -> Any:
    """A JSON number meant as 2.57 arrives as the float 2.5700000000000003: take the cents
    it stands for. A float that is not within rounding noise of whole cents (2.575) is
    left as it is, and refused for its decimals; strings are always taken digit by digit."""
    if isinstance(value, float) and value == value and abs(value) != float("inf"):
        cents = round(value, 2)
        if abs(cents - value) <= 1e-9 * max(1.0, abs(value)):
            return Decimal(repr(cents))
    return value


Quantity = Annotated[
    Decimal,
    BeforeValidator(_cents_from_float),
    Field(max_digits=12, decimal_places=2, allow_inf_nan=False),
    WithJsonSchema(
        {
            "anyOf": [
                {
                    "type": "number",
                    "minimum": -float(QUANTITY_MAX),
                    "maximum": float(QUANTITY_MAX),
                    "multipleOf": 0.01,
                },
                {"type": "string", "pattern": r"^-?[0-9]{1,10}(\.[0-9]{1,2})?$", "maxLength": 14},
            ],
            "description": "Số thập phân tối đa 12 chữ số, 2 chữ số lẻ (≤ 9999999999.99); "
            'nên gửi dạng chuỗi, ví dụ "2.50".',
        }
    ),
]


def _iso_date(value: Any) -> Any:
    """Only an ISO 8601 date (`2025-03-31`): no timestamps, no numbers."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str):
        raise ValueError("expected an ISO 8601 date, e.g. 2025-03-31")
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("expected an ISO 8601 date, e.g. 2025-03-31") from None


def _iso_datetime(value: Any) -> Any:
    """Only an ISO 8601 date-time, its offset as Python reads it (under ±24:00), in UTC.

    A number (`0.5`, read by pydantic as a Unix time) is refused; a time without an
    offset is in the agency's time zone; a moment outside years 1–9999 once in UTC is
    refused rather than overflowing in the database driver.
    """
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(
                "expected an ISO 8601 date-time, e.g. 2025-03-31T08:00:00+07:00"
            ) from None
    else:
        raise ValueError("expected an ISO 8601 date-time, e.g. 2025-03-31T08:00:00+07:00")
    try:
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            parsed = parsed.replace(tzinfo=timezone.get_default_timezone())
        return parsed.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise ValueError("the moment is outside the years 1-9999 in UTC") from None


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
IsoDateTime = Annotated[dt.datetime, BeforeValidator(_iso_datetime)]

# Spelled out for the OpenAPI enums; a test keeps them equal to the model choices.
TaskKind = Literal["planned", "arising", "other"]
TaskExtra = Literal["", "taken_over", "outside_plan"]
TaskState = Literal[
    "assigned",
    "in_progress",
    "submitted",
    "returned",
    "resubmitted",
    "accepted",
    "handed_back",
    "cancelled",
]
TaskAction = Literal["start", "submit", "resubmit", "hand_back", "return", "accept", "cancel"]


class _Strict(Schema):
    """Unknown fields are refused by name rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


class BoundedPaging(Paging):
    """`limit` is clamped to 1–500 by the page helper; an absurd offset is refused."""

    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)


# --- catalogues -----------------------------------------------------------------------------


class CatalogueVersionOut(Schema):
    number: int
    status: str
    decided_at: dt.datetime | None


class CatalogueOut(Schema):
    id: int
    name: str
    job_position_id: int | None
    job_position_code: str | None
    decided_version: int | None = Field(
        description="Số phiên bản đã quyết định mới nhất (đang áp dụng), null nếu chưa có."
    )
    versions: list[CatalogueVersionOut]


class ProductTypeOut(Schema):
    id: int
    code: str
    name: str
    unit_of_measure: str
    coefficient: str = Field(description="Hệ số quy đổi, chuỗi thập phân (4 chữ số lẻ).")
    complexity_group: int
    catalogue_id: int
    version: int


# --- tasks ----------------------------------------------------------------------------------


class TaskOut(Schema):
    id: int
    version: int = Field(description="Phiên bản hiện tại; gửi lại trong If-Match khi sửa.")
    title: str
    description: str
    kind: str
    extra: str
    state: str
    agency_id: int
    unit_id: int
    unit_code: str
    assigner_code: str
    owner_id: int
    owner_code: str
    owner_name: str
    collaborator_codes: list[str]
    plan_item_id: int | None
    product_type_id: int | None
    taken_over_from_id: int | None
    unit_of_measure: str
    quantity: str
    coefficient: str
    done_quantity: str | None
    deadline: dt.date
    effective_deadline: dt.date
    assigned_on: dt.date
    completed_on: dt.date | None
    closed_reason: str
    failures: int
    exempt_failures: int
    delays: int
    exempt_delays: int
    created_at: dt.datetime
    updated_at: dt.datetime


class TaskCreateIn(_Strict):
    assigner_code: Code = Field(
        description="Mã cán bộ của lãnh đạo giao việc (hệ thống tích hợp thay mặt người này); "
        "người đó phải có tài khoản đăng nhập."
    )
    owner_code: Code = Field(description="Mã cán bộ của người chủ trì thực hiện.")
    title: str = Field(min_length=1, max_length=500)
    description: str = ""
    kind: TaskKind
    extra: TaskExtra = ""
    deadline: dt.date
    quantity: Quantity = Decimal(1)
    product_type_id: Id | None = None
    plan_item_id: Id | None = None
    taken_over_from_id: Id | None = None
    collaborator_codes: list[Code] = Field(default_factory=list, max_length=200)


class TaskUpdateIn(_Strict):
    acting_person_code: Code = Field(
        description="Mã cán bộ thay mặt người sửa (người giao việc hoặc lãnh đạo đơn vị)."
    )
    version: Version | None = Field(
        default=None, description="Phiên bản đang sửa, nếu không gửi header If-Match."
    )
    title: str | None = Field(default=None, min_length=1, max_length=500)
    description: str | None = None
    quantity: Quantity | None = None
    reason: str = ""


class TaskTransitionIn(_Strict):
    acting_person_code: Code = Field(
        description="Mã cán bộ thực hiện thao tác (người chủ trì hoặc người xem xét)."
    )
    action: TaskAction
    version: Version | None = Field(
        default=None, description="Phiên bản đang thao tác, nếu không gửi header If-Match."
    )
    reason: str = ""
    done_quantity: Quantity | None = None


class TaskFilter(BoundedPaging):
    owner_code: str | None = None
    unit_id: Id | None = None
    subunits: bool = Field(default=False, description="Gồm cả các đơn vị trực thuộc unit_id.")
    state: list[TaskState] | None = Field(default=None, description="Lặp lại để lọc nhiều.")
    kind: TaskKind | None = None
    deadline_from: IsoDate | None = Field(default=None, description="Hạn (đã gia hạn) ≥ ngày.")
    deadline_to: IsoDate | None = Field(default=None, description="Hạn (đã gia hạn) ≤ ngày.")
    updated_since: IsoDateTime | None = Field(
        default=None,
        description="Chỉ nhiệm vụ thay đổi từ thời điểm này: ngày giờ ISO 8601, ví dụ "
        "2025-03-31T08:00:00+07:00 (không có múi giờ: giờ Việt Nam). Số (Unix time) bị từ chối.",
    )
    order: Literal["id", "deadline", "updated"] = "id"
