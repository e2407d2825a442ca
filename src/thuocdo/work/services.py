"""Writes to catalogues, plans and tasks. Each runs in one transaction with its audit entry.

Callers have fetched the objects through `thuocdo.access` (view rights); the role each
step needs (owner, reviewer, unit leader, personnel, head of agency) is checked here,
because it is part of the workflow, not of the page.

Task writes take `expected_version`: a stale write raises Conflict and changes nothing.
`at` exists for imports and tests; interactive callers leave it to the clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction

from thuocdo.audit.services import changed, record, snapshot
from thuocdo.core import clock
from thuocdo.core.errors import AccessDenied, Conflict, NotFound, ValidationFailed
from thuocdo.core.models import User
from thuocdo.core.text import clean_text
from thuocdo.org.managers import manages_in
from thuocdo.org.models import JobPosition, Person, Unit
from thuocdo.org.selectors import main_assignment
from thuocdo.work import live, rules
from thuocdo.work.models import (
    CatalogueVersion,
    Exemption,
    Explanation,
    Extension,
    Plan,
    PlanItem,
    ProductCatalogue,
    ProductType,
    Task,
    TaskEvent,
)
from thuocdo.work.notices import notify_task
from thuocdo.work.transitions import ACTIONS, OPEN_STATES, SUBMITTING_ACTIONS, target_state

PRODUCT_FIELDS = (
    "code",
    "name",
    "unit_of_measure",
    "coefficient",
    "complexity_group",
    "sort_order",
)
PLAN_ITEM_FIELDS = (
    "plan",
    "title",
    "frequency",
    "period_number",
    "product_type",
    "target_quantity",
)
TASK_FIELDS = (
    "unit",
    "kind",
    "extra",
    "taken_over_from",
    "title",
    "description",
    "assigner",
    "owner",
    "plan_item",
    "product_type",
    "unit_of_measure",
    "quantity",
    "coefficient",
    "done_quantity",
    "deadline",
    "effective_deadline",
    "state",
    "assigned_on",
    "completed_on",
    "closed_reason",
    "failures",
    "exempt_failures",
    "delays",
    "exempt_delays",
    "version",
)


def _now(at: dt.datetime | None) -> dt.datetime:
    return at or clock.now()


def _day(at: dt.datetime) -> dt.date:
    return clock.local_date(at)


def _required(value: str, field: str, label_vi: str, label_en: str) -> str:
    cleaned = clean_text(value)
    if not cleaned:
        raise ValidationFailed(f"Thiếu {label_vi}.", f"The {label_en} is missing.", field=field)
    return cleaned


def _decimal(
    value: Any, field: str, label_vi: str, *, places: int, allow_zero: bool = False
) -> Decimal:
    if isinstance(value, float):  # floats are inexact: callers pass str, int or Decimal
        value = str(value)
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as error:
        raise ValidationFailed(
            f"{label_vi} “{value}” không phải là số.",
            f"{field} {value!r} is not a number.",
            field=field,
        ) from error
    if not number.is_finite() or number < 0 or (number == 0 and not allow_zero):
        bound_vi, bound_en = ("không âm", "at least 0") if allow_zero else ("lớn hơn 0", "> 0")
        raise ValidationFailed(
            f"{label_vi} phải {bound_vi}.", f"{field} must be {bound_en}.", field=field
        )
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise ValidationFailed(
            f"{label_vi} có nhiều nhất {places} chữ số thập phân.",
            f"{field} has at most {places} decimal places.",
            field=field,
        )
    return number


# --- product catalogue -----------------------------------------------------------------------


@transaction.atomic
def catalogue_create(
    *, actor: User, agency: Unit, name: str, job_position: JobPosition | None = None
) -> ProductCatalogue:
    if not agency.is_agency:
        raise ValidationFailed(
            "Danh mục sản phẩm lập theo cơ quan.",
            "Catalogues belong to an agency.",
            field="agency",
        )
    if job_position is not None and job_position.agency_id != agency.pk:
        raise ValidationFailed(
            "Vị trí việc làm thuộc cơ quan khác.",
            "The job position belongs to another agency.",
            field="job_position",
        )
    name = _required(name, "name", "tên danh mục", "catalogue name")
    if ProductCatalogue.objects.filter(agency=agency, job_position=job_position).exists():
        raise Conflict(
            "Đã có danh mục sản phẩm cho phạm vi này; hãy lập phiên bản mới.",
            "A catalogue for this scope exists; propose a new version instead.",
            field="job_position",
        )
    catalogue = ProductCatalogue.objects.create(agency=agency, job_position=job_position, name=name)
    record(
        actor=actor,
        action="work.catalogue.create",
        target=catalogue,
        agency_id=agency.pk,
        after={"name": name, "job_position": job_position.pk if job_position else None},
    )
    return catalogue


@transaction.atomic
def catalogue_version_propose(
    *, actor: User, catalogue: ProductCatalogue, note: str = "", copy_from_latest: bool = True
) -> CatalogueVersion:
    """A unit head proposes a new version, by default starting from the latest one."""
    person = rules.person_of(actor)
    if not rules.leads_any_unit(person, catalogue.agency, clock.today()):
        raise AccessDenied(
            "Chỉ lãnh đạo đơn vị mới đề xuất danh mục sản phẩm.",
            "Only a unit's head or deputy proposes a product catalogue.",
        )
    catalogue = ProductCatalogue.objects.select_for_update().get(pk=catalogue.pk)
    latest = catalogue.versions.order_by("-number").first()
    version = CatalogueVersion.objects.create(
        catalogue=catalogue,
        number=(latest.number + 1) if latest else 1,
        note=clean_text(note),
        proposed_by=actor,
    )
    if latest is not None and copy_from_latest:
        ProductType.objects.bulk_create(
            ProductType(version=version, **{f: getattr(p, f) for f in PRODUCT_FIELDS})
            for p in latest.product_types.all()
        )
    record(
        actor=actor,
        action="work.catalogue.propose",
        target=version,
        agency_id=catalogue.agency_id,
        after={"number": version.number, "copied_from": latest.number if latest else None},
        reason=version.note,
    )
    return version


def _editable(version: CatalogueVersion) -> CatalogueVersion:
    version = CatalogueVersion.objects.select_for_update().get(pk=version.pk)
    if version.status == CatalogueVersion.Status.DECIDED:
        raise Conflict(
            f"Phiên bản {version.number} đã được quyết định nên không sửa được; "
            "hãy đề xuất phiên bản mới.",
            f"Version {version.number} is decided and immutable; propose a new version.",
            field="version",
        )
    return version


def _check_editor(actor: User, version: CatalogueVersion) -> None:
    """Proposers (unit leaders) and the personnel office shape a version before decision."""
    agency = version.catalogue.agency
    today = clock.today()
    if rules.is_personnel(actor, agency, today):
        return
    person = rules.person_of(actor)
    if not rules.leads_any_unit(person, agency, today):
        raise AccessDenied(
            "Chỉ lãnh đạo đơn vị hoặc bộ phận tổ chức cán bộ sửa được danh mục.",
            "Only unit leaders or the personnel office edit a catalogue.",
        )


def _product_values(
    *,
    code: str,
    name: str,
    unit_of_measure: str,
    coefficient: Decimal | str | int,
    complexity_group: int,
) -> dict[str, Any]:
    if not isinstance(complexity_group, int) or not 1 <= complexity_group <= 5:
        raise ValidationFailed(
            "Nhóm mức độ phức tạp phải từ 1 đến 5.",
            "The complexity group must be 1 to 5.",
            field="complexity_group",
        )
    return {
        "code": _required(code, "code", "mã sản phẩm", "product code"),
        "name": _required(name, "name", "tên sản phẩm", "product name"),
        "unit_of_measure": _required(
            unit_of_measure, "unit_of_measure", "đơn vị tính", "unit of measure"
        ),
        "coefficient": _decimal(coefficient, "coefficient", "Hệ số quy đổi", places=4),
        "complexity_group": complexity_group,
    }


@transaction.atomic
def product_type_add(
    *,
    actor: User,
    version: CatalogueVersion,
    code: str,
    name: str,
    unit_of_measure: str,
    coefficient: Decimal | str | int,
    complexity_group: int,
    sort_order: int = 0,
) -> ProductType:
    version = _editable(version)
    _check_editor(actor, version)
    values = _product_values(
        code=code,
        name=name,
        unit_of_measure=unit_of_measure,
        coefficient=coefficient,
        complexity_group=complexity_group,
    )
    if version.product_types.filter(code=values["code"]).exists():
        raise Conflict(
            f"Phiên bản đã có sản phẩm mã “{values['code']}”.",
            f"Product code {values['code']} exists in this version.",
            field="code",
        )
    product = ProductType.objects.create(version=version, sort_order=sort_order, **values)
    record(
        actor=actor,
        action="work.product_type.add",
        target=product,
        agency_id=version.catalogue.agency_id,
        after=snapshot(product, PRODUCT_FIELDS),
    )
    return product


@transaction.atomic
def product_type_update(
    *, actor: User, product_type: ProductType, reason: str = "", **changes: Any
) -> ProductType:
    allowed = {"name", "unit_of_measure", "coefficient", "complexity_group", "sort_order"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed(
            f"Không sửa được trường: {', '.join(sorted(unknown))}.",
            f"These fields cannot be changed: {', '.join(sorted(unknown))}.",
        )
    version = _editable(product_type.version)
    _check_editor(actor, version)
    product = ProductType.objects.get(pk=product_type.pk)
    before = snapshot(product, PRODUCT_FIELDS)
    merged = {f: changes.get(f, getattr(product, f)) for f in PRODUCT_FIELDS if f != "sort_order"}
    for name, value in _product_values(**merged).items():
        setattr(product, name, value)
    if "sort_order" in changes:
        product.sort_order = changes["sort_order"]
    product.save()
    after = snapshot(product, PRODUCT_FIELDS)
    record(
        actor=actor,
        action="work.product_type.update",
        target=product,
        agency_id=version.catalogue.agency_id,
        before=changed(after, before),
        after=changed(before, after),
        reason=clean_text(reason),
    )
    return product


@transaction.atomic
def catalogue_version_standardise(
    *, actor: User, version: CatalogueVersion, note: str = ""
) -> CatalogueVersion:
    """The personnel office standardises a proposed version."""
    version = _editable(version)
    agency = version.catalogue.agency
    if not rules.is_personnel(actor, agency, clock.today()):
        raise AccessDenied(
            "Chỉ bộ phận tổ chức cán bộ chuẩn hoá danh mục sản phẩm.",
            "Only the personnel office standardises a product catalogue.",
        )
    if version.status != CatalogueVersion.Status.PROPOSED:
        raise Conflict(
            "Chỉ chuẩn hoá được phiên bản đang ở trạng thái đề xuất.",
            "Only a proposed version can be standardised.",
            field="status",
        )
    if not version.product_types.exists():
        raise ValidationFailed(
            "Danh mục chưa có sản phẩm nào.",
            "The version has no product types.",
            field="product_types",
        )
    version.status = CatalogueVersion.Status.STANDARDISED
    version.standardised_by = actor
    version.standardised_at = clock.now()
    version.save()
    record(
        actor=actor,
        action="work.catalogue.standardise",
        target=version,
        agency_id=agency.pk,
        before={"status": "proposed"},
        after={"status": version.status},
        reason=clean_text(note),
    )
    return version


@transaction.atomic
def catalogue_version_decide(
    *, actor: User, version: CatalogueVersion, note: str = ""
) -> CatalogueVersion:
    """The head of the agency decides a standardised version; it is frozen from then on."""
    version = _editable(version)
    agency = version.catalogue.agency
    person = rules.person_of(actor)
    if not rules.heads_agency(person, agency, clock.today()):
        raise AccessDenied(
            "Chỉ người đứng đầu cơ quan quyết định danh mục sản phẩm.",
            "Only the head of the agency decides a product catalogue.",
        )
    if version.status != CatalogueVersion.Status.STANDARDISED:
        raise Conflict(
            "Phải chuẩn hoá danh mục trước khi quyết định.",
            "The version must be standardised before it is decided.",
            field="status",
        )
    version.status = CatalogueVersion.Status.DECIDED
    version.decided_by = actor
    version.decided_at = clock.now()
    version.save()
    record(
        actor=actor,
        action="work.catalogue.decide",
        target=version,
        agency_id=agency.pk,
        before={"status": "standardised"},
        after={"status": version.status},
        reason=clean_text(note),
    )
    return version


# --- plans --------------------------------------------------------------------------------


def _check_plan_editor(actor: User, unit: Unit) -> None:
    if not rules.may_edit_plan(actor, unit, clock.today()):
        raise AccessDenied(
            "Chỉ lãnh đạo đơn vị lập và sửa kế hoạch công tác của đơn vị.",
            "Only the unit's leaders draw up its work plan.",
        )


@transaction.atomic
def plan_create(*, actor: User, unit: Unit, year: int, title: str, note: str = "") -> Plan:
    _check_plan_editor(actor, unit)
    if not 2000 <= year <= 2100:
        raise ValidationFailed(
            f"Năm {year} không hợp lệ.", f"Year {year} is not valid.", field="year"
        )
    if Plan.objects.filter(unit=unit, year=year).exists():
        raise Conflict(
            f"{unit.name} đã có kế hoạch năm {year}.",
            f"{unit.name} already has a plan for {year}.",
            field="year",
        )
    try:
        with transaction.atomic():
            plan = Plan.objects.create(
                unit=unit,
                year=year,
                title=_required(title, "title", "tên kế hoạch", "plan title"),
                note=clean_text(note),
            )
    except IntegrityError as error:  # a concurrent writer created it first
        raise Conflict(
            f"{unit.name} đã có kế hoạch năm {year}.",
            f"{unit.name} already has a plan for {year}.",
            field="year",
        ) from error
    record(
        actor=actor,
        action="work.plan.create",
        target=plan,
        agency_id=unit.agency_id,
        after={"unit": unit.pk, "year": year, "title": plan.title},
    )
    return plan


def _decided_product(product_type: ProductType, agency_id: int | None) -> ProductType:
    # Read afresh: the caller's instance may predate the decision.
    version = CatalogueVersion.objects.select_related("catalogue").get(pk=product_type.version_id)
    if version.catalogue.agency_id != agency_id:
        raise ValidationFailed(
            "Sản phẩm thuộc danh mục của cơ quan khác.",
            "The product type belongs to another agency's catalogue.",
            field="product_type",
        )
    if version.status != CatalogueVersion.Status.DECIDED:
        raise ValidationFailed(
            "Chỉ dùng sản phẩm trong danh mục đã được quyết định.",
            "Only product types of a decided catalogue version can be used.",
            field="product_type",
        )
    return product_type


@transaction.atomic
def plan_item_add(
    *,
    actor: User,
    plan: Plan,
    title: str,
    frequency: str,
    period_number: int,
    product_type: ProductType | None = None,
    target_quantity: Decimal | str | int | None = None,
    sort_order: int = 0,
) -> PlanItem:
    _check_plan_editor(actor, plan.unit)
    if frequency not in PlanItem.Frequency.values:
        raise ValidationFailed(
            f"Kỳ “{frequency}” không hợp lệ (tháng hoặc quý).",
            f"Frequency {frequency!r} is not month or quarter.",
            field="frequency",
        )
    top = 12 if frequency == PlanItem.Frequency.MONTH else 4
    if not 1 <= period_number <= top:
        raise ValidationFailed(
            f"Số kỳ phải từ 1 đến {top}.",
            f"The period number must be 1 to {top}.",
            field="period_number",
        )
    if product_type is not None:
        _decided_product(product_type, plan.unit.agency_id)
    item = PlanItem.objects.create(
        plan=plan,
        title=_required(title, "title", "nội dung", "item title"),
        frequency=frequency,
        period_number=period_number,
        product_type=product_type,
        target_quantity=(
            None
            if target_quantity is None
            else _decimal(target_quantity, "target_quantity", "Chỉ tiêu", places=2)
        ),
        sort_order=sort_order,
    )
    record(
        actor=actor,
        action="work.plan_item.add",
        target=item,
        agency_id=plan.unit.agency_id,
        after=snapshot(item, PLAN_ITEM_FIELDS),
    )
    return item


# --- tasks: helpers -------------------------------------------------------------------------


def _lock(task: Task, expected_version: int) -> Task:
    """Re-reads the task under a row lock; a stale version is a Conflict.

    The lock is the task row's alone (`of=("self",)`): the unit comes along for the
    permission check but is not locked, or every write to a task would queue behind every
    create in its unit (whose foreign-key check takes FOR KEY SHARE on the unit at commit)
    and deadlock with them (issue 16). FOR NO KEY UPDATE, as a task write never changes
    the task's id, so the foreign-key checks of rows that name the task (events, tasks
    taken over, exemptions) are not blocked either. Lock order: docs/locking.md.
    """
    fresh = (
        Task.objects.select_for_update(of=("self",), no_key=True)
        .select_related("unit")
        .filter(pk=task.pk)
        .first()
    )
    if fresh is None:
        raise NotFound(f"Không tìm thấy nhiệm vụ #{task.pk}.", f"Task #{task.pk} was not found.")
    if fresh.version != expected_version:
        raise Conflict(
            f"Nhiệm vụ vừa được người khác thay đổi (bạn sửa phiên bản {expected_version}, "
            f"hiện là {fresh.version}); hãy tải lại rồi làm lại.",
            f"The task changed meanwhile (you edited version {expected_version}, it is now "
            f"{fresh.version}); reload and try again.",
            field="version",
        )
    return fresh


def is_reviewer(person: Person, task: Task, on: dt.date) -> bool:
    """The owner's manager (thuocdo.org.managers), or the assigner unless the owner
    manages them (a deputy never reviews their head's work) — never the owner."""
    if person.pk == task.owner_id:
        return False
    if manages_in(person.pk, owner_id=task.owner_id, unit=task.unit, on=on):
        return True
    return person.pk == task.assigner_id and not _manages_assigner(task, on)


def _manages_assigner(task: Task, on: dt.date) -> bool:
    home = main_assignment(task.assigner, on)
    return home is not None and manages_in(
        task.owner_id, owner_id=task.assigner_id, unit=home.unit, on=on
    )


def _check_who(actor: User, task: Task, who: str, on: dt.date, what_vi: str, what_en: str) -> None:
    person = rules.person_of(actor)
    if who == "owner":
        allowed = person.pk == task.owner_id
        holder_vi, holder_en = "người được giao nhiệm vụ", "the task's owner"
    elif who == "reviewer":
        allowed = is_reviewer(person, task, on)
        holder_vi, holder_en = (
            "người giao việc hoặc lãnh đạo đơn vị của người thực hiện",
            "the assigner or a leader of the owner's unit",
        )
    else:  # leader: the owner's manager (thuocdo.org.managers), not the owner
        allowed = manages_in(person.pk, owner_id=task.owner_id, unit=task.unit, on=on)
        holder_vi, holder_en = "lãnh đạo đơn vị của người thực hiện", "a leader of the owner's unit"
    # A leader of the owner's unit who is not the owner's manager: a deputy and their head.
    if (
        not allowed
        and who != "owner"
        and person.pk != task.owner_id
        and rules.leads(person, task.unit, on)
    ):
        raise AccessDenied(
            f"Bạn không được {what_vi} nhiệm vụ này: việc của cấp trưởng (hoặc của cấp "
            "phó cùng đơn vị) do cấp trên trực tiếp của họ xét — lãnh đạo đơn vị cấp trên "
            "hoặc lãnh đạo cơ quan, không do cấp phó của họ.",
            f"You may not {what_en} this task: a head's (or a fellow deputy's) work is "
            "reviewed by their own manager, the leader above them, never by their deputy.",
        )
    if not allowed:
        raise AccessDenied(
            f"Chỉ {holder_vi} mới được {what_vi}.", f"Only {holder_en} may {what_en}."
        )


def _event(
    task: Task,
    *,
    actor: User,
    action: str,
    at: dt.datetime,
    from_state: str = "",
    reason: str = "",
    failure: bool = False,
    delays: int = 0,
) -> TaskEvent:
    return TaskEvent.objects.create(
        task=task,
        at=at,
        actor=actor,
        action=action,
        from_state=from_state,
        to_state=task.state,
        reason=reason,
        failure=failure,
        delays=delays,
        task_version=task.version,
    )


def _audit_task(
    *, actor: User, task: Task, action: str, before: dict[str, Any], reason: str = ""
) -> None:
    after = snapshot(task, TASK_FIELDS)
    record(
        actor=actor,
        action=f"work.task.{action}",
        target=task,
        agency_id=task.agency_id,
        before=changed(after, before),
        after=changed(before, after),
        reason=reason,
    )
    # Every audited task write moves the owner's live points (work.live). Last, as the
    # callers do nothing after it: the stamp row stays locked until the commit.
    live.touch([task.owner_id])


# --- tasks: assignment ----------------------------------------------------------------------


@transaction.atomic
def task_assign(
    *,
    actor: User,
    owner: Person,
    title: str,
    kind: str,
    deadline: dt.date,
    plan_item: PlanItem | None = None,
    product_type: ProductType | None = None,
    quantity: Decimal | str | int = 1,
    extra: str = "",
    taken_over_from: Task | None = None,
    collaborators: Iterable[Person] = (),
    description: str = "",
    at: dt.datetime | None = None,
) -> Task:
    """Assigns a task. The coefficient is copied from the product type (1 without one)."""
    now = _now(at)
    today = _day(now)
    assigner = rules.person_of(actor)
    if kind not in Task.Kind.values:
        raise ValidationFailed(
            f"Loại nhiệm vụ “{kind}” không hợp lệ.",
            f"Task kind {kind!r} is not one of: {', '.join(Task.Kind.values)}.",
            field="kind",
        )
    if extra not in Task.Extra.values:
        raise ValidationFailed(
            f"Loại việc làm thêm “{extra}” không hợp lệ.",
            f"Extra {extra!r} is not valid.",
            field="extra",
        )
    home = main_assignment(owner, today)
    if home is None or owner.agency_id != assigner.agency_id:
        raise ValidationFailed(
            f"{owner.full_name} không có phân công công tác trong cơ quan vào ngày giao.",
            f"{owner.full_name} has no assignment in the agency on the assignment day.",
            field="owner",
        )
    unit = home.unit
    if assigner.pk == owner.pk or not rules.leads(assigner, unit, today):
        raise AccessDenied(
            "Chỉ lãnh đạo đơn vị của người nhận (hoặc cấp trên) mới giao được nhiệm vụ.",
            "Only a leader of the owner's unit (or above) assigns tasks to them.",
            field="owner",
        )
    if not manages_in(assigner.pk, owner_id=owner.pk, unit=unit, on=today):
        raise AccessDenied(
            f"Không thể giao nhiệm vụ cho {owner.full_name}: việc của cấp trưởng (hoặc của "
            "cấp phó cùng đơn vị) do cấp trên trực tiếp của họ giao — lãnh đạo đơn vị cấp "
            "trên hoặc lãnh đạo cơ quan, không do cấp phó của họ.",
            f"You may not assign tasks to {owner.full_name}: a head's (or a fellow deputy's) "
            "work comes from their own manager, the leader above them, never from their deputy.",
            field="owner",
        )
    if kind == Task.Kind.PLANNED:
        if plan_item is None:
            raise ValidationFailed(
                "Nhiệm vụ theo kế hoạch phải gắn với một nội dung của kế hoạch.",
                "A planned task must refer to a plan item.",
                field="plan_item",
            )
        if plan_item.plan.unit.agency_id != owner.agency_id:
            raise ValidationFailed(
                "Kế hoạch thuộc cơ quan khác.",
                "The plan belongs to another agency.",
                field="plan_item",
            )
        if extra == Task.Extra.OUTSIDE_PLAN:
            raise ValidationFailed(
                "Nhiệm vụ theo kế hoạch không thể là việc làm thêm ngoài kế hoạch.",
                "A planned task cannot be extra work outside the plan.",
                field="extra",
            )
    elif plan_item is not None:
        raise ValidationFailed(
            "Chỉ nhiệm vụ theo kế hoạch mới gắn với kế hoạch.",
            "Only planned tasks refer to a plan item.",
            field="plan_item",
        )
    if product_type is None and plan_item is not None:
        product_type = plan_item.product_type
    coefficient, measure = Decimal(1), ""
    if product_type is not None:
        _decided_product(product_type, owner.agency_id)
        coefficient, measure = product_type.coefficient, product_type.unit_of_measure
    if taken_over_from is not None:
        if extra != Task.Extra.TAKEN_OVER:
            raise ValidationFailed(
                "Nhận lại việc của đồng nghiệp phải ghi là việc làm thêm (nhận thay).",
                "A task taken over from a colleague is extra work of kind taken_over.",
                field="extra",
            )
        if taken_over_from.agency_id != owner.agency_id or taken_over_from.state not in (
            Task.State.HANDED_BACK,
            Task.State.CANCELLED,
        ):
            raise ValidationFailed(
                "Chỉ nhận thay nhiệm vụ đã bị trả lại hoặc huỷ trong cùng cơ quan.",
                "Only a handed-back or cancelled task of the agency can be taken over.",
                field="taken_over_from",
            )
    if deadline < today:
        raise ValidationFailed(
            "Hạn hoàn thành không được trước ngày giao.",
            "The deadline cannot be before the assignment day.",
            field="deadline",
        )
    people = list(collaborators)
    if any(p.agency_id != owner.agency_id or p.pk == owner.pk for p in people):
        raise ValidationFailed(
            "Người phối hợp phải cùng cơ quan và khác người chủ trì.",
            "Collaborators must be in the same agency and not the owner.",
            field="collaborators",
        )
    task = Task.objects.create(
        agency_id=owner.agency_id,
        unit=unit,
        kind=kind,
        extra=extra,
        taken_over_from=taken_over_from,
        title=_required(title, "title", "tên nhiệm vụ", "task title"),
        description=clean_text(description),
        assigner=assigner,
        owner=owner,
        plan_item=plan_item,
        product_type=product_type,
        unit_of_measure=measure,
        quantity=_decimal(quantity, "quantity", "Số lượng", places=2),
        coefficient=coefficient,
        deadline=deadline,
        effective_deadline=deadline,
        assigned_on=today,
    )
    task.collaborators.set(people)
    _event(task, actor=actor, action="assign", at=now)
    record(
        actor=actor,
        action="work.task.assign",
        target=task,
        agency_id=task.agency_id,
        after={**snapshot(task, TASK_FIELDS), "collaborators": [p.pk for p in people]},
    )
    notify_task(task, "assigned", at=now)
    # Last: the owner's stamp row is locked until commit, so take it as late as possible.
    live.touch([owner.pk])
    return task


# --- tasks: the workflow ------------------------------------------------------------------


@transaction.atomic
def task_transition(
    *,
    actor: User,
    task: Task,
    action: str,
    expected_version: int,
    reason: str = "",
    done_quantity: Decimal | str | int | None = None,
    at: dt.datetime | None = None,
) -> Task:
    """Moves a task along the table in `transitions.py`.

    `submit`/`resubmit` after the effective deadline add delays (see `rules.DelayRule`);
    `return` counts one major-content failure; `accept` records the done quantity (the
    whole quantity unless given) and the completion date.
    """
    now = _now(at)
    today = _day(now)
    task = _lock(task, expected_version)
    new_state = target_state(task.state, action)
    spec = ACTIONS[action]
    _check_who(actor, task, spec.who, today, spec.label_vi, spec.label_en)
    reason = clean_text(reason)
    if spec.needs_reason and not reason:
        raise ValidationFailed(
            f"Cần nêu lý do khi {spec.label_vi}.",
            f"A reason is required to {spec.label_en}.",
            field="reason",
        )
    before = snapshot(task, TASK_FIELDS)
    old_state = task.state
    failure, delays = False, 0
    if action in SUBMITTING_ACTIONS:
        delays = rules.delay_rule().added(
            effective_deadline=task.effective_deadline, submitted_on=today, counted=task.delays
        )
        task.delays += delays
    elif action == "return":
        failure = True
        task.failures += 1
    elif action == "accept":
        done = task.quantity if done_quantity is None else done_quantity
        task.done_quantity = _decimal(
            done, "done_quantity", "Khối lượng hoàn thành", places=2, allow_zero=True
        )
        if task.done_quantity > task.quantity:
            raise ValidationFailed(
                "Khối lượng hoàn thành vượt khối lượng được giao; phần làm thêm hãy giao "
                "thành nhiệm vụ làm thêm.",
                "Done exceeds the assigned quantity; record the surplus as an extra task.",
                field="done_quantity",
            )
        task.completed_on = today
    if new_state in (Task.State.CANCELLED, Task.State.HANDED_BACK):
        task.closed_reason = reason
    task.state = new_state
    task.version += 1
    task.save()
    _event(
        task,
        actor=actor,
        action=action,
        at=now,
        from_state=old_state,
        reason=reason,
        failure=failure,
        delays=delays,
    )
    if action in ("return", "accept"):  # the owner's news; the reviewer's come from the queue
        notify_task(task, "returned" if action == "return" else "accepted", at=now, reason=reason)
    _audit_task(actor=actor, task=task, action=action, before=before, reason=reason)
    return task


@transaction.atomic
def task_update(
    *, actor: User, task: Task, expected_version: int, reason: str = "", **changes: Any
) -> Task:
    """A reviewer corrects an open task's title, description or quantity."""
    allowed = {"title", "description", "quantity"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed(
            f"Không sửa được trường: {', '.join(sorted(unknown))} (hạn dùng gia hạn).",
            f"These fields cannot be changed: {', '.join(sorted(unknown))} "
            "(use an extension for the deadline).",
        )
    task = _lock(task, expected_version)
    today = clock.today()
    _check_who(actor, task, "reviewer", today, "sửa nhiệm vụ", "edit the task")
    if task.state not in OPEN_STATES:
        raise Conflict(
            f"Không sửa được nhiệm vụ ở trạng thái “{task.get_state_display()}”.",
            f"A task in state {task.state} cannot be edited.",
            field="state",
        )
    before = snapshot(task, TASK_FIELDS)
    if "title" in changes:
        task.title = _required(changes["title"], "title", "tên nhiệm vụ", "task title")
    if "description" in changes:
        task.description = clean_text(changes["description"])
    if "quantity" in changes:
        task.quantity = _decimal(changes["quantity"], "quantity", "Số lượng", places=2)
    task.version += 1
    task.save()
    _event(
        task,
        actor=actor,
        action="update",
        at=clock.now(),
        from_state=task.state,
        reason=clean_text(reason),
    )
    _audit_task(actor=actor, task=task, action="update", before=before, reason=clean_text(reason))
    return task


@transaction.atomic
def task_extend(
    *,
    actor: User,
    task: Task,
    expected_version: int,
    new_deadline: dt.date,
    reason: str,
    at: dt.datetime | None = None,
) -> Extension:
    """A reviewer moves the effective deadline later, with a reason."""
    now = _now(at)
    task = _lock(task, expected_version)
    _check_who(actor, task, "reviewer", _day(now), "gia hạn", "extend the deadline")
    if task.state not in OPEN_STATES:
        raise Conflict(
            f"Không gia hạn được nhiệm vụ ở trạng thái “{task.get_state_display()}”.",
            f"A task in state {task.state} cannot be extended.",
            field="state",
        )
    reason = _required(reason, "reason", "lý do gia hạn", "reason for the extension")
    if new_deadline <= task.effective_deadline:
        raise ValidationFailed(
            f"Hạn mới phải sau hạn hiện tại ({task.effective_deadline:%d/%m/%Y}).",
            f"The new deadline must be after {task.effective_deadline.isoformat()}.",
            field="new_deadline",
        )
    before = snapshot(task, TASK_FIELDS)
    extension = Extension.objects.create(
        task=task,
        previous_deadline=task.effective_deadline,
        new_deadline=new_deadline,
        reason=reason,
        granted_by=actor,
        granted_at=now,
    )
    task.effective_deadline = new_deadline
    task.version += 1
    task.save()
    _event(task, actor=actor, action="extend", at=now, from_state=task.state, reason=reason)
    notify_task(task, "extended", at=now, reason=reason)
    _audit_task(actor=actor, task=task, action="extend", before=before, reason=reason)
    return extension


@transaction.atomic
def task_explain(
    *, actor: User, task: Task, text: str, at: dt.datetime | None = None
) -> Explanation:
    """The owner's explanation (giải trình). It adds a note and leaves the task as it is."""
    task = Task.objects.get(pk=task.pk)
    _check_who(actor, task, "owner", _day(_now(at)), "giải trình", "explain")
    note = Explanation.objects.create(
        task=task,
        author=actor,
        text=_required(text, "text", "nội dung giải trình", "explanation"),
        at=_now(at),
    )
    record(
        actor=actor,
        action="work.task.explain",
        target=task,
        agency_id=task.agency_id,
        after={"explanation": note.pk, "text": note.text},
    )
    return note


# --- exemptions -----------------------------------------------------------------------------


@transaction.atomic
def exemption_request(
    *, actor: User, event: TaskEvent, reason: str, at: dt.datetime | None = None
) -> Exemption:
    """The owner asks to excuse the failure or the delays of one event (objective cause)."""
    task = Task.objects.select_related("unit").get(pk=event.task_id)
    _check_who(actor, task, "owner", _day(_now(at)), "đề nghị miễn trừ", "request an exemption")
    if event.failure:
        subject = Exemption.Subject.FAILURE
    elif event.delays:
        subject = Exemption.Subject.DELAY
    else:
        raise ValidationFailed(
            "Diễn biến này không ghi nhận lỗi hay chậm tiến độ nào để miễn trừ.",
            "This event records no failure or delay to exempt.",
            field="event",
        )
    if Exemption.objects.filter(
        event=event, status__in=[Exemption.Status.PENDING, Exemption.Status.APPROVED]
    ).exists():
        raise Conflict(
            "Đã có đề nghị miễn trừ cho lần này (đang chờ hoặc đã được chấp thuận).",
            "An exemption for this event is already pending or approved.",
            field="event",
        )
    exemption = Exemption.objects.create(
        task=task,
        event=event,
        subject=subject,
        reason=_required(reason, "reason", "nguyên nhân khách quan", "objective cause"),
        requested_by=actor,
        requested_at=_now(at),
    )
    record(
        actor=actor,
        action="work.exemption.request",
        target=exemption,
        agency_id=task.agency_id,
        after={"task": task.pk, "event": event.pk, "subject": subject},
        reason=exemption.reason,
    )
    return exemption


@transaction.atomic
def exemption_decide(
    *,
    actor: User,
    exemption: Exemption,
    approve: bool,
    reason: str,
    expected_version: int,
    at: dt.datetime | None = None,
) -> Exemption:
    """A leader of the owner's unit confirms or refuses the objective cause, with a reason.

    Approval removes the event's failure (or its delays) from f_i (l_i) by raising the
    task's exempt counters; it changes the task, hence `expected_version`.
    """
    now = _now(at)
    # The exemption row, then the task (`_lock`), then the owner's stamp: docs/locking.md.
    exemption = (
        Exemption.objects.select_for_update(of=("self",), no_key=True)
        .select_related("event")
        .get(pk=exemption.pk)
    )
    task = _lock(exemption.task, expected_version)
    _check_who(actor, task, "leader", _day(now), "xét miễn trừ", "decide an exemption")
    if exemption.status != Exemption.Status.PENDING:
        raise Conflict(
            "Đề nghị miễn trừ này đã được xem xét.",
            "This exemption has already been decided.",
            field="status",
        )
    reason = _required(reason, "reason", "lý do", "reason for the decision")
    before = snapshot(task, TASK_FIELDS)
    exemption.status = Exemption.Status.APPROVED if approve else Exemption.Status.REFUSED
    exemption.decided_by = actor
    exemption.decided_at = now
    exemption.decision_reason = reason
    exemption.save()
    if approve:
        if exemption.subject == Exemption.Subject.FAILURE:
            task.exempt_failures += 1
        else:
            task.exempt_delays += exemption.event.delays
    task.version += 1
    task.save()
    action = "exemption_approve" if approve else "exemption_refuse"
    _event(task, actor=actor, action=action, at=now, from_state=task.state, reason=reason)
    notify_task(task, "exemption", at=now, reason=reason, approved=approve)
    record(
        actor=actor,
        action=f"work.exemption.{'approve' if approve else 'refuse'}",
        target=exemption,
        agency_id=task.agency_id,
        before={"status": "pending"},
        after={"status": exemption.status},
        reason=reason,
    )
    _audit_task(actor=actor, task=task, action=action, before=before, reason=reason)
    return exemption


__all__ = [
    "catalogue_create",
    "catalogue_version_decide",
    "catalogue_version_propose",
    "catalogue_version_standardise",
    "exemption_decide",
    "exemption_request",
    "is_reviewer",
    "plan_create",
    "plan_item_add",
    "product_type_add",
    "product_type_update",
    "task_assign",
    "task_explain",
    "task_extend",
    "task_transition",
    "task_update",
]
