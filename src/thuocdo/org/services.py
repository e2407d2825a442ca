"""Writes to the organisation. Each runs in one transaction with its audit entry.

Callers (views, API, importers) have already checked the actor's right through
`thuocdo.access`; these functions check the data rules.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction

from thuocdo.audit.services import changed, record, snapshot
from thuocdo.core.errors import AccessDenied, Conflict, ValidationFailed
from thuocdo.core.models import User
from thuocdo.core.text import clean_text, fold
from thuocdo.org.models import Assignment, JobPosition, Person, RoleGrant, Unit

UNIT_FIELDS = (
    "parent",
    "code",
    "name",
    "name_en",
    "short_name",
    "kind",
    "sort_order",
    "valid_from",
    "valid_to",
)
PERSON_FIELDS = (
    "agency",
    "code",
    "full_name",
    "gender",
    "birth_date",
    "category",
    "email",
    "phone",
    "is_active",
    "user",
)
JOB_FIELDS = (
    "agency",
    "unit",
    "code",
    "name",
    "description",
    "is_leadership",
    "sort_order",
    "is_active",
)
ASSIGNMENT_FIELDS = (
    "person",
    "unit",
    "job_position",
    "role",
    "title",
    "assigned_fields",
    "is_concurrent",
    "start_date",
    "end_date",
)


def _required(value: str, field: str, label_vi: str, label_en: str) -> str:
    cleaned = clean_text(value)
    if not cleaned:
        raise ValidationFailed(f"Thiếu {label_vi}.", f"The {label_en} is missing.", field=field)
    return cleaned


# --- units -----------------------------------------------------------------------------


@transaction.atomic
def agency_create(
    *, actor: User | None, code: str, name: str, name_en: str = "", short_name: str = ""
) -> Unit:
    code = _required(code, "code", "mã cơ quan", "agency code")
    if Unit.objects.filter(parent__isnull=True, code=code).exists():
        raise Conflict(
            f"Đã có cơ quan mã “{code}”.", f"An agency with code {code} exists.", field="code"
        )
    agency = Unit(
        code=code,
        name=_required(name, "name", "tên cơ quan", "agency name"),
        name_en=clean_text(name_en),
        short_name=clean_text(short_name),
        kind=Unit.Kind.AGENCY,
    )
    agency.save()
    agency.agency = agency
    agency.path = f"/{agency.pk}/"
    agency.save(update_fields=["agency", "path"])
    record(
        actor=actor,
        action="org.agency.create",
        target=agency,
        agency_id=agency.pk,
        after=snapshot(agency, UNIT_FIELDS),
    )
    return agency


@transaction.atomic
def unit_create(
    *,
    actor: User | None,
    parent: Unit,
    code: str,
    name: str,
    kind: str = Unit.Kind.DEPARTMENT,
    name_en: str = "",
    short_name: str = "",
    sort_order: int = 0,
    valid_from: dt.date | None = None,
) -> Unit:
    if kind not in Unit.Kind.values or kind == Unit.Kind.AGENCY:
        raise ValidationFailed(
            f"Loại đơn vị “{kind}” không hợp lệ.", f"Unit kind {kind!r} is not valid.", field="kind"
        )
    code = _required(code, "code", "mã đơn vị", "unit code")
    if Unit.objects.filter(agency_id=parent.agency_id, code=code).exists():
        raise Conflict(
            f"Cơ quan đã có đơn vị mã “{code}”.",
            f"The agency already has a unit with code {code}.",
            field="code",
        )
    unit = Unit(
        agency_id=parent.agency_id,
        parent=parent,
        code=code,
        name=_required(name, "name", "tên đơn vị", "unit name"),
        name_en=clean_text(name_en),
        short_name=clean_text(short_name),
        kind=kind,
        sort_order=sort_order,
        depth=parent.depth + 1,
        path="",
    )
    if valid_from is not None:
        unit.valid_from = valid_from
    unit.save()
    unit.path = f"{parent.path}{unit.pk}/"
    unit.save(update_fields=["path"])
    record(
        actor=actor,
        action="org.unit.create",
        target=unit,
        agency_id=unit.agency_id,
        after=snapshot(unit, UNIT_FIELDS),
    )
    return unit


def _set_changes(instance: Unit | Person, changes: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(changes) - allowed
    if unknown:
        names = ", ".join(sorted(unknown))
        raise ValidationFailed(
            f"Không sửa được trường: {names}.", f"These fields cannot be changed: {names}."
        )
    for name, value in changes.items():
        setattr(instance, name, clean_text(value) if isinstance(value, str) else value)


def _save_and_record(
    *,
    actor: User | None,
    action: str,
    instance: Unit | Person,
    fields: tuple[str, ...],
    before: dict[str, Any],
    agency_id: int | None,
    reason: str,
) -> None:
    """Saves and audits only what changed; an edit that changes nothing writes nothing."""
    after = snapshot(instance, fields)
    if after == before:
        return
    instance.save()
    record(
        actor=actor,
        action=action,
        target=instance,
        agency_id=agency_id,
        before=changed(after, before),
        after=changed(before, after),
        reason=reason,
    )


@transaction.atomic
def unit_update(*, actor: User | None, unit: Unit, reason: str = "", **changes: Any) -> Unit:
    before = snapshot(unit, UNIT_FIELDS)
    _set_changes(unit, changes, {"name", "name_en", "short_name", "sort_order", "valid_to"})
    if not unit.name:
        raise ValidationFailed("Thiếu tên đơn vị.", "The unit name is missing.", field="name")
    _save_and_record(
        actor=actor,
        action="org.unit.update",
        instance=unit,
        fields=UNIT_FIELDS,
        before=before,
        agency_id=unit.agency_id,
        reason=reason,
    )
    return unit


# --- people and job positions ------------------------------------------------------------


@transaction.atomic
def person_create(
    *,
    actor: User | None,
    agency: Unit,
    code: str,
    full_name: str,
    category: str,
    gender: str = "",
    birth_date: dt.date | None = None,
    email: str = "",
    phone: str = "",
) -> Person:
    if category not in Person.Category.values:
        raise ValidationFailed(
            f"Đối tượng “{category}” không hợp lệ (cán bộ, công chức, viên chức, người lao động).",
            f"Category {category!r} is not one of: {', '.join(Person.Category.values)}.",
            field="category",
        )
    code = _required(code, "code", "mã cán bộ", "staff code")
    if Person.objects.filter(agency=agency, code=code).exists():
        raise Conflict(
            f"Đã có người mang mã “{code}”.", f"Staff code {code} is taken.", field="code"
        )
    name = _required(full_name, "full_name", "họ và tên", "full name")
    person = Person.objects.create(
        agency=agency,
        code=code,
        full_name=name,
        search_name=fold(name),
        category=category,
        gender=gender,
        birth_date=birth_date,
        email=clean_text(email),
        phone=clean_text(phone),
    )
    record(
        actor=actor,
        action="org.person.create",
        target=person,
        agency_id=agency.pk,
        after=snapshot(person, PERSON_FIELDS),
    )
    return person


@transaction.atomic
def person_update(
    *, actor: User | None, person: Person, reason: str = "", **changes: Any
) -> Person:
    if "category" in changes and changes["category"] not in Person.Category.values:
        raise ValidationFailed("Đối tượng không hợp lệ.", "Invalid category.", field="category")
    before = snapshot(person, PERSON_FIELDS)
    _set_changes(
        person,
        changes,
        {"full_name", "gender", "birth_date", "category", "email", "phone", "is_active"},
    )
    if not person.full_name:
        raise ValidationFailed("Thiếu họ và tên.", "The full name is missing.", field="full_name")
    person.search_name = fold(person.full_name)
    _save_and_record(
        actor=actor,
        action="org.person.update",
        instance=person,
        fields=PERSON_FIELDS,
        before=before,
        agency_id=person.agency_id,
        reason=reason,
    )
    return person


@transaction.atomic
def person_set_login(
    *, actor: User | None, person: Person, username: str, password: str | None
) -> User:
    """Gives a person a login (or a new password). The password itself is never logged."""
    username = _required(username, "username", "tên đăng nhập", "username")
    user = person.user
    if user is None:
        if User.objects.filter(username=username).exists():
            raise Conflict(
                f"Tên đăng nhập “{username}” đã được dùng.",
                f"Username {username} is taken.",
                field="username",
            )
        parts = person.full_name.rsplit(" ", 1)
        user = User(
            username=username,
            first_name=parts[-1],
            last_name=parts[0] if len(parts) > 1 else "",
            email=person.email,
        )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    person.user = user
    person.save(update_fields=["user", "updated_at"])
    record(
        actor=actor,
        action="org.person.set_login",
        target=person,
        agency_id=person.agency_id,
        after={"username": user.username, "password_set": bool(password)},
    )
    return user


@transaction.atomic
def job_position_create(
    *,
    actor: User | None,
    agency: Unit,
    code: str,
    name: str,
    unit: Unit | None = None,
    description: str = "",
    is_leadership: bool = False,
    sort_order: int = 0,
) -> JobPosition:
    if unit is not None and unit.agency_id != agency.pk:
        raise ValidationFailed(
            "Đơn vị không thuộc cơ quan này.", "The unit is not in this agency.", field="unit"
        )
    code = _required(code, "code", "mã vị trí việc làm", "job position code")
    if JobPosition.objects.filter(agency=agency, code=code).exists():
        raise Conflict(
            f"Đã có vị trí việc làm mã “{code}”.", f"Job position {code} exists.", field="code"
        )
    job = JobPosition.objects.create(
        agency=agency,
        unit=unit,
        code=code,
        name=_required(name, "name", "tên vị trí việc làm", "job position name"),
        description=clean_text(description),
        is_leadership=is_leadership,
        sort_order=sort_order,
    )
    record(
        actor=actor,
        action="org.job_position.create",
        target=job,
        agency_id=agency.pk,
        after=snapshot(job, JOB_FIELDS),
    )
    return job


# --- assignments -------------------------------------------------------------------------


def _check_assignment(
    *,
    person: Person,
    unit: Unit,
    job_position: JobPosition | None,
    role: str,
    assigned_fields: list[str],
) -> list[str]:
    if role not in Assignment.Role.values:
        raise ValidationFailed(
            f"Chức vụ “{role}” không hợp lệ.", f"Role {role!r} is not valid.", field="role"
        )
    if job_position is not None and job_position.agency_id != unit.agency_id:
        raise ValidationFailed(
            "Vị trí việc làm không thuộc cơ quan của đơn vị.",
            "The job position belongs to another agency.",
            field="job_position",
        )
    fields = [clean_text(item) for item in assigned_fields if clean_text(item)]
    if fields and role != Assignment.Role.DEPUTY:
        raise ValidationFailed(
            "Chỉ cấp phó mới có lĩnh vực được phân công.",
            "Only a deputy has assigned fields.",
            field="assigned_fields",
        )
    return fields


@transaction.atomic
def assignment_start(
    *,
    actor: User | None,
    person: Person,
    unit: Unit,
    start_date: dt.date,
    role: str = Assignment.Role.STAFF,
    job_position: JobPosition | None = None,
    title: str = "",
    assigned_fields: list[str] | None = None,
    is_concurrent: bool = False,
    reason: str = "",
) -> Assignment:
    fields = _check_assignment(
        person=person,
        unit=unit,
        job_position=job_position,
        role=role,
        assigned_fields=assigned_fields or [],
    )
    if unit.agency_id != person.agency_id:
        raise ValidationFailed(
            "Đơn vị thuộc cơ quan khác; hãy dùng chuyển công tác.",
            "The unit is in another agency; use a transfer.",
            field="unit",
        )
    open_assignments = Assignment.objects.select_for_update().filter(
        person=person, end_date__isnull=True
    )
    if not is_concurrent and open_assignments.filter(is_concurrent=False).exists():
        raise Conflict(
            f"{person.full_name} đang có phân công chính; hãy dùng chuyển công tác.",
            f"{person.full_name} already has a main assignment; use a move.",
            field="person",
        )
    if (
        role in (Assignment.Role.HEAD, Assignment.Role.ACTING_HEAD)
        and Assignment.objects.filter(
            unit=unit,
            end_date__isnull=True,
            role__in=[Assignment.Role.HEAD, Assignment.Role.ACTING_HEAD],
        ).exists()
    ):
        raise Conflict(
            f"{unit.name} đã có cấp trưởng (hoặc quyền cấp trưởng).",
            f"{unit.name} already has a head or acting head.",
            field="role",
        )
    try:
        with transaction.atomic():
            assignment = Assignment.objects.create(
                person=person,
                unit=unit,
                job_position=job_position,
                role=role,
                title=clean_text(title),
                assigned_fields=fields,
                is_concurrent=is_concurrent,
                start_date=start_date,
            )
    except IntegrityError as error:  # a concurrent writer won the race
        raise Conflict(
            "Phân công vừa bị thay đổi bởi người khác; hãy tải lại.",
            "The assignment changed meanwhile; reload and try again.",
        ) from error
    record(
        actor=actor,
        action="org.assignment.start",
        target=assignment,
        agency_id=unit.agency_id,
        after=snapshot(assignment, ASSIGNMENT_FIELDS),
        reason=reason,
    )
    return assignment


@transaction.atomic
def assignment_end(
    *, actor: User | None, assignment: Assignment, end_date: dt.date, reason: str = ""
) -> Assignment:
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.end_date is not None:
        raise Conflict("Phân công này đã kết thúc.", "This assignment has already ended.")
    if end_date < assignment.start_date:
        raise ValidationFailed(
            "Ngày kết thúc trước ngày bắt đầu.",
            "The end date is before the start date.",
            field="end_date",
        )
    before = snapshot(assignment, ASSIGNMENT_FIELDS)
    assignment.end_date = end_date
    assignment.save(update_fields=["end_date"])
    record(
        actor=actor,
        action="org.assignment.end",
        target=assignment,
        agency_id=assignment.unit.agency_id,
        before={"end_date": before["end_date"]},
        after={"end_date": end_date.isoformat()},
        reason=reason,
    )
    return assignment


@transaction.atomic
def person_move(
    *,
    actor: User | None,
    person: Person,
    unit: Unit,
    start_date: dt.date,
    role: str = Assignment.Role.STAFF,
    job_position: JobPosition | None = None,
    title: str = "",
    assigned_fields: list[str] | None = None,
    reason: str = "",
) -> Assignment:
    """Moves a person: the main assignment ends the day before `start_date`, a new one starts.

    Across agencies (a transfer) the person's agency follows the new unit; the old
    assignments stay as history, so earlier results can still be averaged in.
    """
    # no key lock: rows that reference the person (tasks, stamps) are not blocked
    person = Person.objects.select_for_update(no_key=True).get(pk=person.pk)
    current = Assignment.objects.filter(
        person=person, end_date__isnull=True, is_concurrent=False
    ).first()
    if current is not None:
        if start_date <= current.start_date:
            raise ValidationFailed(
                "Ngày nhận công tác mới phải sau ngày bắt đầu phân công hiện tại "
                f"({current.start_date:%d/%m/%Y}).",
                f"The new start must be after the current assignment's start "
                f"({current.start_date.isoformat()}).",
                field="start_date",
            )
        assignment_end(
            actor=actor,
            assignment=current,
            end_date=start_date - dt.timedelta(days=1),
            reason=reason,
        )
    new_agency_id = unit.agency_id
    assert new_agency_id is not None  # set when the unit was created
    if new_agency_id != person.agency_id:
        before = {"agency": person.agency_id}
        person.agency_id = new_agency_id
        person.save(update_fields=["agency", "updated_at"])
        record(
            actor=actor,
            action="org.person.transfer",
            target=person,
            agency_id=unit.agency_id,
            before=before,
            after={"agency": unit.agency_id},
            reason=reason,
        )
    return assignment_start(
        actor=actor,
        person=person,
        unit=unit,
        start_date=start_date,
        role=role,
        job_position=job_position,
        title=title,
        assigned_fields=assigned_fields,
        reason=reason,
    )


# --- role grants -------------------------------------------------------------------------


@transaction.atomic
def role_grant(
    *,
    actor: User | None,
    user: User,
    agency: Unit,
    role: str,
    start_date: dt.date,
    reason: str = "",
) -> RoleGrant:
    if role not in RoleGrant.Role.values:
        raise ValidationFailed(
            f"Vai trò “{role}” không hợp lệ.", f"Role {role!r} is not valid.", field="role"
        )
    if not agency.is_agency:
        raise ValidationFailed(
            "Vai trò được giao theo cơ quan, không theo đơn vị.",
            "Roles are granted per agency, not per unit.",
            field="agency",
        )
    if RoleGrant.objects.filter(
        user=user, agency=agency, role=role, end_date__isnull=True
    ).exists():
        raise Conflict("Tài khoản đã có vai trò này.", "The login already has this role.")
    grant = RoleGrant.objects.create(user=user, agency=agency, role=role, start_date=start_date)
    record(
        actor=actor,
        action="org.role.grant",
        target=grant,
        agency_id=agency.pk,
        after={"user": user.pk, "role": role, "start_date": start_date.isoformat()},
        reason=reason,
    )
    return grant


@transaction.atomic
def role_revoke(
    *, actor: User | None, grant: RoleGrant, end_date: dt.date, reason: str = ""
) -> None:
    if grant.end_date is not None:
        raise Conflict("Vai trò này đã được thu hồi.", "This role was already revoked.")
    grant.end_date = end_date
    grant.save(update_fields=["end_date"])
    record(
        actor=actor,
        action="org.role.revoke",
        target=grant,
        agency_id=grant.agency_id,
        after={"end_date": end_date.isoformat()},
        reason=reason,
    )


@transaction.atomic
def person_join(
    *,
    actor: User | None,
    unit: Unit,
    code: str,
    full_name: str,
    category: str,
    start_date: dt.date,
    role: str = Assignment.Role.STAFF,
    job_position: JobPosition | None = None,
    title: str = "",
    gender: str = "",
    birth_date: dt.date | None = None,
    email: str = "",
    reason: str = "",
) -> Person:
    """A new person and their first assignment, together or not at all."""
    agency = unit.agency
    assert agency is not None  # every unit points at its agency once created
    person = person_create(
        actor=actor,
        agency=agency,
        code=code,
        full_name=full_name,
        category=category,
        gender=gender,
        birth_date=birth_date,
        email=email,
    )
    assignment_start(
        actor=actor,
        person=person,
        unit=unit,
        start_date=start_date,
        role=role,
        job_position=job_position,
        title=title,
        reason=reason,
    )
    return person


@transaction.atomic
def person_set_email_notifications(*, actor: User, person: Person, enabled: bool) -> Person:
    """A person's own choice to get their notifications by e-mail too (the app always)."""
    if person.user_id != actor.pk:
        raise AccessDenied(
            "Chỉ chính người nhận mới đổi được cách nhận thông báo của mình.",
            "Only the person themselves chooses how they are notified.",
        )
    person = Person.objects.select_for_update().get(pk=person.pk)
    if person.email_notifications == enabled:
        return person
    person.email_notifications = enabled
    person.save(update_fields=["email_notifications", "updated_at"])
    record(
        actor=actor,
        action="org.person.email_notifications",
        target=person,
        agency_id=person.agency_id,
        before={"email_notifications": not enabled},
        after={"email_notifications": enabled},
    )
    return person
