"""Tasks through the API: create (idempotent), read, list, edit and move along the workflow.

A thin adapter over `thuocdo.work.services`. An integration acts on behalf of a named
official (`assigner_code` / `acting_person_code`, who must have a login): the services
check that person's role exactly as on the web, and the audit entry names both the person
(actor) and the client (channel `api:<client id>:<client name>`). Whom a client may act
for at all is one rule, `thuocdo.api.services.client_may_act_for` (403 outside it).

- Create: `Idempotency-Key` makes a retry safe — the same key with the same body replays
  the first answer (no new task, no new audit entry); with another body it is a 409.
- Writes to an existing task need its version, as `If-Match: "<version>"` (the `ETag` of
  every task answer) or a `version` field: stale → 409, missing → 428. Never a blind write.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Header, Path, Query, Router
from ninja.responses import Status

from thuocdo.api.auth import client_of
from thuocdo.api.models import IdempotencyRecord, IntegrationClient
from thuocdo.api.org import _page
from thuocdo.api.schemas import (
    COMMON_ERRORS,
    NOT_FOUND,
    WRITE_ERRORS,
    Page,
    Problem,
)
from thuocdo.api.schemas_work import (
    MAX_ID,
    MAX_VERSION,
    TaskCreateIn,
    TaskFilter,
    TaskOut,
    TaskTransitionIn,
    TaskUpdateIn,
)
from thuocdo.api.services import require_act_for
from thuocdo.core import clock
from thuocdo.core.errors import Conflict, NotFound, ThuocDoError, ValidationFailed
from thuocdo.core.models import User
from thuocdo.core.origin import current_origin, origin_scope
from thuocdo.org.models import Person, Unit
from thuocdo.work import services
from thuocdo.work.models import PlanItem, ProductType, Task

router = Router(tags=["Nhiệm vụ / Tasks"])
READ, WRITE = "tasks:read", "tasks:write"
KEY_HEADER = "Idempotency-Key"
MAX_KEY = 100  # IdempotencyRecord.key
ORDER = {"id": ("id",), "deadline": ("effective_deadline", "id"), "updated": ("updated_at", "id")}
_ETAG = re.compile(r'^(?:W/)?"?([0-9]{1,10})"?$')

KEY_DOC = (
    "Khoá do ứng dụng tự sinh (≤ 100 ký tự, ví dụ UUID) cho mỗi nhiệm vụ mới: gửi lại cùng "
    "khoá và cùng nội dung sẽ nhận lại đúng câu trả lời đầu tiên, không tạo thêm nhiệm vụ."
)
IF_MATCH_DOC = 'Phiên bản đang sửa, đúng như ETag đã nhận, ví dụ "3".'

# Service field names → the names this API uses for them.
_FIELDS = {
    "owner": "owner_code",
    "plan_item": "plan_item_id",
    "product_type": "product_type_id",
    "taken_over_from": "taken_over_from_id",
    "collaborators": "collaborator_codes",
}
ERRORS: dict[int, Any] = dict(WRITE_ERRORS)
READ_ERRORS: dict[int, Any] = {**COMMON_ERRORS, **NOT_FOUND}


class PreconditionRequired(ThuocDoError):
    """A write to an existing task without the version it was based on."""

    status = 428


# --- reading --------------------------------------------------------------------------------


def _tasks(agency_id: int) -> QuerySet[Task]:
    return (
        Task.objects.filter(agency_id=agency_id)
        .select_related("unit", "owner", "assigner")
        .prefetch_related(
            Prefetch("collaborators", queryset=Person.objects.only("id", "code").order_by("code"))
        )
    )


def _agency_task(client: IntegrationClient, task_id: int) -> Task:
    task = Task.objects.filter(pk=task_id, agency_id=client.agency_id).first()
    if task is None:
        raise NotFound(
            f"Không tìm thấy nhiệm vụ #{task_id} trong cơ quan.",
            f"Task #{task_id} was not found in the agency.",
        )
    return task


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def task_out(task: Task) -> TaskOut:
    return TaskOut(
        id=task.pk,
        version=task.version,
        title=task.title,
        description=task.description,
        kind=task.kind,
        extra=task.extra,
        state=task.state,
        agency_id=task.agency_id,
        unit_id=task.unit_id,
        unit_code=task.unit.code,
        assigner_code=task.assigner.code,
        owner_id=task.owner_id,
        owner_code=task.owner.code,
        owner_name=task.owner.full_name,
        collaborator_codes=[p.code for p in task.collaborators.all()],
        plan_item_id=task.plan_item_id,
        product_type_id=task.product_type_id,
        taken_over_from_id=task.taken_over_from_id,
        unit_of_measure=task.unit_of_measure,
        quantity=str(task.quantity),
        coefficient=str(task.coefficient),
        done_quantity=_decimal(task.done_quantity),
        deadline=task.deadline,
        effective_deadline=task.effective_deadline,
        assigned_on=task.assigned_on,
        completed_on=task.completed_on,
        closed_reason=task.closed_reason,
        failures=task.failures,
        exempt_failures=task.exempt_failures,
        delays=task.delays,
        exempt_delays=task.exempt_delays,
        created_at=task.created_at,
        updated_at=task.updated_at,
    )


def _etag(version: int) -> str:
    return f'"{version}"'


def _answer(task: Task, response: HttpResponse) -> TaskOut:
    """The task as now stored, with its version as the ETag."""
    fresh = _tasks(task.agency_id).get(pk=task.pk)
    response["ETag"] = _etag(fresh.version)
    return task_out(fresh)


# --- acting on behalf of an official ---------------------------------------------------------


def _person(client: IntegrationClient, code: str, field: str) -> Person:
    person = (
        Person.objects.select_related("user").filter(agency_id=client.agency_id, code=code).first()
    )
    if person is None:
        raise ValidationFailed(
            f"Không tìm thấy cán bộ mã “{code}” trong cơ quan.",
            f"No official with code {code!r} in the agency.",
            field=field,
        )
    return person


def _acting_user(client: IntegrationClient, code: str, field: str) -> User:
    """The login of the official the client acts for; the services check their role.

    Whom a client may act for at all is `client_may_act_for`'s rule (403 otherwise).
    """
    person = _person(client, code, field)
    require_act_for(client, person, on=clock.today(), field=field)
    if not person.is_active:
        raise ValidationFailed(
            f"Cán bộ “{person.full_name}” ({code}) không còn hoạt động.",
            f"Official {code!r} is no longer active.",
            field=field,
        )
    if person.user is None or not person.user.is_active:
        raise ValidationFailed(
            f"Cán bộ “{person.full_name}” ({code}) chưa có tài khoản đăng nhập đang hoạt động, "
            "nên ứng dụng tích hợp không thể thay mặt người này.",
            f"Official {code!r} has no active login, so a client cannot act on their behalf.",
            field=field,
        )
    return person.user


def _people(client: IntegrationClient, codes: Sequence[str], field: str) -> list[Person]:
    wanted = list(dict.fromkeys(codes))
    found = {p.code: p for p in Person.objects.filter(agency_id=client.agency_id, code__in=wanted)}
    missing = [code for code in wanted if code not in found]
    if missing:
        raise ValidationFailed(
            f"Không tìm thấy cán bộ mã: {', '.join(missing)} trong cơ quan.",
            f"No official with code(s) {', '.join(missing)} in the agency.",
            field=field,
        )
    return [found[code] for code in wanted]


def _in_agency(queryset: QuerySet[Any], pk: int | None, field: str, what_vi: str) -> Any:
    if pk is None:
        return None
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise ValidationFailed(
            f"Không tìm thấy {what_vi} #{pk} trong cơ quan.",
            f"{field} #{pk} was not found in the agency.",
            field=field,
        )
    return found


@contextmanager
def _as_client(client: IntegrationClient) -> Iterator[None]:
    """Audit entries name the client as the channel; service errors use this API's names."""
    channel = f"api:{client.pk}:{client.name}"[:60]
    try:
        with origin_scope(dataclasses.replace(current_origin(), channel=channel)):
            yield
    except ThuocDoError as error:
        error.field = _FIELDS.get(error.field, error.field)
        raise


def _expected_version(raw: str | None, body_version: int | None) -> int:
    """The version the caller edits: `If-Match: "<n>"` or the `version` field."""
    header: int | None = None
    if raw is not None:
        if raw.strip() == "*":
            raise PreconditionRequired(
                "If-Match: * không nêu phiên bản; hãy gửi phiên bản cụ thể, ví dụ "
                'If-Match: "3" (ETag nhận được khi đọc nhiệm vụ).',
                'If-Match: * names no version; send the task\'s ETag, e.g. If-Match: "3".',
                field="If-Match",
            )
        match = _ETAG.match(raw.strip())
        if match is None or not 1 <= int(match.group(1)) <= MAX_VERSION:
            raise ValidationFailed(
                f"Header If-Match “{raw[:40]}” không hợp lệ: gửi phiên bản trong ngoặc kép, "
                'ví dụ If-Match: "3".',
                f'If-Match {raw[:40]!r} is not a version; send e.g. If-Match: "3".',
                field="If-Match",
            )
        header = int(match.group(1))
    if header is not None and body_version is not None and header != body_version:
        raise ValidationFailed(
            f"If-Match ({header}) và trường version ({body_version}) khác nhau; chỉ gửi một.",
            f"If-Match ({header}) and version ({body_version}) differ; send one of them.",
            field="version",
        )
    version = header if header is not None else body_version
    if version is None:
        raise PreconditionRequired(
            'Thiếu phiên bản của nhiệm vụ: gửi header If-Match: "<version>" (ETag nhận được '
            "khi đọc nhiệm vụ) hoặc trường version, để không ghi đè thay đổi của người khác.",
            'The task version is missing: send If-Match: "<version>" (the task\'s ETag) or a '
            "version field, so that nobody's change is overwritten.",
            field="If-Match",
        )
    return version


# --- create ---------------------------------------------------------------------------------


def _canonical(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    return value


def request_hash(payload: TaskCreateIn) -> str:
    """The body's meaning, not its bytes: key order, spacing and 1 vs 1.0 do not matter."""
    text = json.dumps(_canonical(payload.model_dump()), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _idempotency_key(raw: str | None) -> str:
    key = (raw or "").strip()
    if len(key) > MAX_KEY:
        raise ValidationFailed(
            f"{KEY_HEADER} dài quá {MAX_KEY} ký tự.",
            f"{KEY_HEADER} is longer than {MAX_KEY} characters.",
            field=KEY_HEADER,
        )
    return key


def _replay(done: IdempotencyRecord, digest: str, response: HttpResponse) -> Status[Any]:
    if done.request_hash != digest:
        raise Conflict(
            f"{KEY_HEADER} “{done.key}” đã được dùng cho một yêu cầu tạo nhiệm vụ có nội dung "
            "khác. Dùng khoá mới cho nhiệm vụ mới; gửi lại đúng nội dung cũ nếu đang thử lại.",
            f"{KEY_HEADER} {done.key!r} was used for a different request body. Use a new key "
            "for a new task; resend the same body when retrying.",
            field=KEY_HEADER,
        )
    response["Idempotent-Replayed"] = "true"
    if isinstance(done.body, dict) and "id" in done.body:
        response["Location"] = f"/api/v1/tasks/{done.body['id']}"
        response["ETag"] = _etag(done.body["version"])
    return Status(done.status, done.body)


class _KeyTaken(Exception):
    """Another request with the same key committed first: undo ours and replay theirs."""


def _assign(client: IntegrationClient, payload: TaskCreateIn) -> Task:
    agency = client.agency_id
    actor = _acting_user(client, payload.assigner_code, "assigner_code")
    owner = _person(client, payload.owner_code, "owner_code")
    collaborators = _people(client, payload.collaborator_codes, "collaborator_codes")
    plan_item = _in_agency(
        PlanItem.objects.select_related("plan__unit", "product_type").filter(
            plan__unit__agency_id=agency
        ),
        payload.plan_item_id,
        "plan_item_id",
        "nội dung kế hoạch",
    )
    product_type = _in_agency(
        ProductType.objects.filter(version__catalogue__agency_id=agency),
        payload.product_type_id,
        "product_type_id",
        "loại sản phẩm",
    )
    taken_over_from = _in_agency(
        Task.objects.filter(agency_id=agency),
        payload.taken_over_from_id,
        "taken_over_from_id",
        "nhiệm vụ",
    )
    with _as_client(client):
        return services.task_assign(
            actor=actor,
            owner=owner,
            title=payload.title,
            description=payload.description,
            kind=payload.kind,
            extra=payload.extra,
            deadline=payload.deadline,
            quantity=payload.quantity,
            plan_item=plan_item,
            product_type=product_type,
            taken_over_from=taken_over_from,
            collaborators=collaborators,
        )


@router.post(
    "/tasks",
    response={201: TaskOut, **ERRORS},
    summary="Giao nhiệm vụ (an toàn khi gửi lại với Idempotency-Key)",
)
def create_task(
    request: HttpRequest,
    payload: TaskCreateIn,
    response: HttpResponse,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER, description=KEY_DOC),
) -> Any:
    client = client_of(request, WRITE)
    key = _idempotency_key(idempotency_key)
    digest = request_hash(payload)
    if key:
        done = IdempotencyRecord.objects.filter(client=client, key=key).first()
        if done is not None:
            return _replay(done, digest, response)
    try:
        with transaction.atomic():
            task = _assign(client, payload)
            out = _answer(task, response)
            if key:
                try:
                    with transaction.atomic():
                        IdempotencyRecord.objects.create(
                            client=client,
                            key=key,
                            request_hash=digest,
                            status=201,
                            body=out.model_dump(mode="json"),
                        )
                except IntegrityError as error:
                    raise _KeyTaken from error
    except _KeyTaken:
        done = IdempotencyRecord.objects.filter(client=client, key=key).first()
        if done is None:  # pragma: no cover - the unique key is the only constraint there
            raise
        return _replay(done, digest, response)
    response["Location"] = f"/api/v1/tasks/{out.id}"
    return Status(201, out)


# --- read -----------------------------------------------------------------------------------


@router.get("/tasks", response={200: Page[TaskOut], **COMMON_ERRORS}, summary="Danh sách nhiệm vụ")
def list_tasks(request: HttpRequest, filters: Query[TaskFilter]) -> Any:
    client = client_of(request, READ)
    tasks = _tasks(client.agency_id)
    if filters.owner_code is not None:
        tasks = tasks.filter(owner__code=filters.owner_code)
    if filters.unit_id is not None:
        if filters.subunits:
            unit = Unit.objects.filter(pk=filters.unit_id, agency_id=client.agency_id).first()
            tasks = tasks.filter(unit__path__startswith=unit.path) if unit else tasks.none()
        else:
            tasks = tasks.filter(unit_id=filters.unit_id)
    if filters.state:
        tasks = tasks.filter(state__in=filters.state)
    if filters.kind is not None:
        tasks = tasks.filter(kind=filters.kind)
    if filters.deadline_from is not None:
        tasks = tasks.filter(effective_deadline__gte=filters.deadline_from)
    if filters.deadline_to is not None:
        tasks = tasks.filter(effective_deadline__lte=filters.deadline_to)
    if filters.updated_since is not None:
        tasks = tasks.filter(updated_at__gte=filters.updated_since)  # aware, in UTC
    order = {
        "id": ("id",),
        "deadline": ("effective_deadline", "id"),
        "updated": ("updated_at", "id"),
    }
    page = _page(tasks.order_by(*order[filters.order]), filters)
    page["items"] = [task_out(task) for task in page["items"]]  # type: ignore[attr-defined]
    return page


@router.get("/tasks/{task_id}", response={200: TaskOut, **READ_ERRORS}, summary="Một nhiệm vụ")
def get_task(
    request: HttpRequest, response: HttpResponse, task_id: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    client = client_of(request, READ)
    task = _tasks(client.agency_id).filter(pk=task_id).first()
    if task is None:
        raise NotFound(
            f"Không tìm thấy nhiệm vụ #{task_id} trong cơ quan.",
            f"Task #{task_id} was not found in the agency.",
        )
    response["ETag"] = _etag(task.version)
    return task_out(task)


# --- write ----------------------------------------------------------------------------------


@router.patch(
    "/tasks/{task_id}",
    response={200: TaskOut, 428: Problem, **ERRORS},
    summary="Sửa tên, mô tả, khối lượng (cần If-Match hoặc version)",
)
def update_task(
    request: HttpRequest,
    payload: TaskUpdateIn,
    response: HttpResponse,
    task_id: int = Path(..., ge=1, le=MAX_ID),
    if_match: str | None = Header(None, alias="If-Match", description=IF_MATCH_DOC),
) -> Any:
    client = client_of(request, WRITE)
    task = _agency_task(client, task_id)
    expected = _expected_version(if_match, payload.version)
    changes = {
        name: value
        for name, value in payload.model_dump(exclude_unset=True).items()
        if name in {"title", "description", "quantity"} and value is not None
    }
    if not changes:
        raise ValidationFailed(
            "Không có gì để sửa: gửi ít nhất một trong title, description, quantity "
            "(hạn hoàn thành đổi bằng gia hạn).",
            "Nothing to change: send title, description or quantity "
            "(the deadline moves by an extension).",
        )
    actor = _acting_user(client, payload.acting_person_code, "acting_person_code")
    with _as_client(client):
        task = services.task_update(
            actor=actor, task=task, expected_version=expected, reason=payload.reason, **changes
        )
    return _answer(task, response)


@router.post(
    "/tasks/{task_id}/transitions",
    response={200: TaskOut, 428: Problem, **ERRORS},
    summary="Chuyển trạng thái: bắt đầu, nộp, nghiệm thu, trả lại, huỷ… (cần phiên bản)",
)
def transition_task(
    request: HttpRequest,
    payload: TaskTransitionIn,
    response: HttpResponse,
    task_id: int = Path(..., ge=1, le=MAX_ID),
    if_match: str | None = Header(None, alias="If-Match", description=IF_MATCH_DOC),
) -> Any:
    client = client_of(request, WRITE)
    task = _agency_task(client, task_id)
    expected = _expected_version(if_match, payload.version)
    actor = _acting_user(client, payload.acting_person_code, "acting_person_code")
    with _as_client(client):
        task = services.task_transition(
            actor=actor,
            task=task,
            action=payload.action,
            expected_version=expected,
            reason=payload.reason,
            done_quantity=payload.done_quantity,
        )
    return _answer(task, response)


__all__ = ["request_hash", "router", "task_out"]
