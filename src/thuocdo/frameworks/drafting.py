"""The personnel office drafts its agency's own framework version from the one in force.

A draft is a stored `FrameworkVersion` (status draft, owned by the agency, same framework
key as its source, so `framework_for` prefers it to the national version once adopted).
It changes through structured edits (`framework_draft_edit`), never raw YAML: each edit is
applied to a copy of the document, the whole document is validated by the engine, and a
refusal carries the engine's own message with the form field it concerns (`DraftRefused`).
The draft is adopted by the agency's head with a start date (`framework_draft_adopt`).
Every write runs in one transaction with its audit entry; a stale page (an old
`revision`) is refused.

Callers have already checked the actor's right (`thuocdo.access.framework_drafts`).
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction

from thuocdo.audit.services import changed, record, snapshot
from thuocdo.core import clock
from thuocdo.core.errors import Conflict, ValidationFailed
from thuocdo.core.models import User
from thuocdo.core.numbers import exact_text
from thuocdo.frameworks import criteria_sets
from thuocdo.frameworks.models import FrameworkVersion
from thuocdo.frameworks.refusals import DraftRefused, FieldError
from thuocdo.frameworks.services import (
    VERSION_FIELDS,
    _check_agency,
    _check_unique,
    framework_publish,
    new_draft_row,
)
from thuocdo.org.models import Unit
from thuocdo.scoring import Framework, FrameworkError, Issue, validate_framework
from thuocdo.scoring.diff import Change, framework_diff

__all__ = [
    "EDIT_OPS",
    "UNIT_KPI_GROUPS",
    "DraftRefused",
    "FieldError",
    "draft_diff",
    "framework_draft_adopt",
    "framework_draft_edit",
    "framework_draft_from",
    "node_paths",
]

EDIT_OPS = (
    "set_label",
    "set_weight",
    "set_limits",
    "set_scale",
    "set_combine",
    "add_criterion",
    "remove_criterion",
    "set_band",
    "set_quota",
    "add_unit_kpi",
    "edit_unit_kpi",
    "remove_unit_kpi",
)
UNIT_KPI_GROUPS = ("foundational", "functional", "specific")
DIRECTIONS = ("higher_is_better", "lower_is_better")
PARTS = ("individual", "unit")


def _refuse(field: str, vi: str, en: str) -> DraftRefused:
    return DraftRefused([FieldError(field, vi, en)])


# --- the document's nodes ------------------------------------------------------------------


@dataclass
class _Found:
    node: dict[str, Any]
    parent: dict[str, Any] | None
    path: str  # the validator's path of the node: individual.root.children[1]…


def _walk(node: dict[str, Any], parent: dict[str, Any] | None, path: str) -> Iterable[_Found]:
    yield _Found(node, parent, path)
    for i, child in enumerate(node.get("children") or []):
        yield from _walk(child, node, f"{path}.children[{i}]")


def node_paths(document: Mapping[str, Any], part: str) -> dict[str, _Found]:
    """{key: the node, its parent and its path} of one part of a document."""
    body = document.get(part)
    if not isinstance(body, dict) or not isinstance(body.get("root"), dict):
        return {}
    return {f.node["key"]: f for f in _walk(body["root"], None, f"{part}.root")}


def _number(value: Any) -> Any:
    """A number as exact text for the document (the engine parses and checks it)."""
    if isinstance(value, Decimal) or (isinstance(value, int) and not isinstance(value, bool)):
        return exact_text(value)
    return value


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


# --- one edit -------------------------------------------------------------------------------


@dataclass
class _Target:
    """Where an edit landed: issues under ``path`` go to the field its remainder names;
    any other issue goes to ``field`` (the edit's main field)."""

    path: str
    field: str
    names: Mapping[str, str]


# The form field for an issue's path below the edited node.
NODE_FIELDS = {
    "weight": "weight",
    "weight_range": "weight",
    "scale.max": "max",
    "scale.step": "step",
    "scale": "max",
    "label_vi": "label_vi",
    "label_en": "label_en",
    "key": "key",
    "target.direction": "direction",
    "target.unit_of_measure": "unit_of_measure",
    "combine": "combine",
}


def _find(nodes: Mapping[str, _Found], key: Any, field: str = "key") -> _Found:
    found = nodes.get(key) if isinstance(key, str) else None
    if found is None:
        raise _refuse(field, f"Không có tiêu chí “{key}”.", f"No criterion “{key}”.")
    return found


def _part(edit: Mapping[str, Any]) -> str:
    part = edit.get("part") or "individual"
    if part not in PARTS:
        raise _refuse(
            "part",
            f"Giá trị “{part}” không hợp lệ; chọn một trong: {', '.join(PARTS)}.",
            f"Invalid value “{part}”; expected one of: {', '.join(PARTS)}.",
        )
    return str(part)


def _removable(found: _Found) -> None:
    required = sorted(f.node["key"] for f in _walk(found.node, None, "") if f.node.get("required"))
    if required or found.parent is None:
        key = found.node["key"]
        keys = ", ".join(required or [key])
        raise _refuse(
            "key",
            f"Không được bỏ “{key}”: khung bắt buộc ({keys}).",
            f"“{key}” cannot be dropped: the framework requires it ({keys}).",
        )


def _new_node_base(edit: Mapping[str, Any], nodes: Mapping[str, _Found]) -> dict[str, Any]:
    key = _text(edit.get("key"))
    if key in nodes or any(key in node_paths(edit.get("_doc") or {}, p) for p in PARTS):
        raise _refuse(
            "key",
            f"Mã “{key}” bị trùng (đã có trong khung).",
            f"Duplicate key “{key}” (already in the framework).",
        )
    node: dict[str, Any] = {
        "key": key,
        "label_vi": _text(edit.get("label_vi")),
        "label_en": _text(edit.get("label_en")),
    }
    return node


def _apply(doc: dict[str, Any], edit: Mapping[str, Any]) -> _Target:
    """Applies one edit to ``doc`` in place; returns where it landed."""
    op = edit.get("op")
    if op == "set_band":
        bands = doc["rating"]["bands"]
        rating = edit.get("rating")
        field = f"min_{rating}"
        for i, band in enumerate(bands):
            if band.get("rating") == rating:
                band["min"] = _number(edit.get("min"))
                return _Target(f"rating.bands[{i}]", field, {"min": field})
        raise _refuse(field, f"Không có mức xếp loại “{rating}”.", f"No rating band “{rating}”.")
    if op == "set_quota":
        quota = doc.setdefault("quota", {})
        for name in ("ratio", "max_exception_ratio"):
            if edit.get(name) is not None:
                quota[name] = _number(edit[name])
        first = "ratio" if edit.get("ratio") is not None else "max_exception_ratio"
        return _Target(
            "quota", first, {"ratio": "ratio", "max_exception_ratio": "max_exception_ratio"}
        )
    if op in ("add_unit_kpi", "edit_unit_kpi", "remove_unit_kpi"):
        return _apply_unit_kpi(doc, edit)
    part = _part(edit)
    nodes = node_paths(doc, part)
    if op == "set_label":
        found = _find(nodes, edit.get("key"))
        for name in ("label_vi", "label_en"):
            if edit.get(name) is not None:
                found.node[name] = _text(edit[name])
        field = "label_vi" if edit.get("label_vi") is not None else "label_en"
        return _Target(found.path, field, NODE_FIELDS)
    if op == "set_weight":
        found = _find(nodes, edit.get("key"))
        found.node["weight"] = _number(edit.get("weight"))
        return _Target(found.path, "weight", NODE_FIELDS)
    if op == "set_limits":
        return _set_limits(_find(nodes, edit.get("key")), edit)
    if op == "set_scale":
        found = _find(nodes, edit.get("key"))
        if found.node.get("type") != "manual":
            raise _refuse(
                "max",
                f"“{found.node['key']}” không chấm theo thang điểm.",
                f"“{found.node['key']}” is not scored on a scale.",
            )
        scale = found.node.setdefault("scale", {})
        if edit.get("max") is not None:
            scale["max"] = _number(edit["max"])
        if edit.get("step") is not None:
            scale["step"] = _number(edit["step"])
        if "max_points" in found.node:  # a manual criterion's maximum is its scale's
            found.node["max_points"] = scale.get("max")
        return _Target(found.path, "max", NODE_FIELDS)
    if op == "set_combine":
        found = _find(nodes, edit.get("key"))
        combine = edit.get("combine")
        if found.node.get("type") != "group" or combine not in ("mean", "weighted_mean"):
            raise _refuse(
                "combine",
                "Chỉ đổi được giữa trung bình cộng và trung bình có trọng số của một nhóm.",
                "Only a group's mean and weighted mean can be swapped.",
            )
        found.node["combine"] = combine
        for child in found.node.get("children") or []:
            if combine == "weighted_mean":
                child.setdefault("weight", "1")
            else:
                child.pop("weight", None)
                child.pop("weight_range", None)
        return _Target(found.path, "combine", NODE_FIELDS)
    if op == "add_criterion":
        group = _find(nodes, edit.get("parent"), "parent")
        if group.node.get("type") != "group" or not group.node.get("allow_additions"):
            key = group.node["key"]
            raise _refuse(
                "parent",
                f"Khung không cho thêm tiêu chí vào nhóm “{key}”.",
                f"The framework does not allow adding criteria to “{key}”.",
            )
        node = _new_node_base({**edit, "_doc": doc}, nodes)
        node["type"] = "manual"
        node["scale"] = {"max": _number(edit.get("max")), "step": _number(edit.get("step"))}
        if edit.get("weight") is not None:
            node["weight"] = _number(edit["weight"])
        children = group.node.setdefault("children", [])
        children.append(node)
        return _Target(f"{group.path}.children[{len(children) - 1}]", "key", NODE_FIELDS)
    if op == "remove_criterion":
        found = _find(nodes, edit.get("key"))
        _removable(found)
        assert found.parent is not None
        found.parent["children"] = [
            c for c in found.parent["children"] if c["key"] != found.node["key"]
        ]
        parent_path = found.path.rsplit(".children[", 1)[0]
        return _Target(parent_path, "key", {})
    raise _refuse(
        "op",
        f"Thao tác “{op}” không hợp lệ; chọn một trong: {', '.join(EDIT_OPS)}.",
        f"Unknown edit “{op}”; expected one of: {', '.join(EDIT_OPS)}.",
    )


def _set_limits(found: _Found, edit: Mapping[str, Any]) -> _Target:
    """What a unit may tune in its criteria sets: the range a weight may take (both ends,
    or neither: fixed) and, for a group, whether units may add criteria to it."""
    node = found.node
    if "min_weight" in edit or "max_weight" in edit:
        low, high = edit.get("min_weight"), edit.get("max_weight")
        if (low is None) != (high is None):
            raise _refuse(
                "min_weight",
                "Nhập cả cận dưới và cận trên của trọng số, hoặc để trống cả hai (cố định).",
                "Give both ends of the weight range, or neither (fixed).",
            )
        if low is None:
            node.pop("weight_range", None)
        else:
            node["weight_range"] = [_number(low), _number(high)]
    if edit.get("allow_additions") is not None:
        if node.get("type") != "group":
            raise _refuse(
                "allow_additions",
                f"“{node['key']}” không phải là nhóm tiêu chí.",
                f"“{node['key']}” is not a criteria group.",
            )
        if edit["allow_additions"]:
            node["allow_additions"] = True
        else:
            node.pop("allow_additions", None)
    return _Target(found.path, "min_weight", {"weight_range": "min_weight", "weight": "min_weight"})


def _apply_unit_kpi(doc: dict[str, Any], edit: Mapping[str, Any]) -> _Target:
    op = edit.get("op")
    if not isinstance(doc.get("unit"), dict):
        raise _refuse(
            "group",
            "Khung này không có phần đánh giá đơn vị (KPIs nền tảng, chức năng, đặc thù).",
            "This framework has no unit part (foundational, functional, specific KPIs).",
        )
    nodes = node_paths(doc, "unit")
    if op == "add_unit_kpi":
        group_key = edit.get("group")
        group = nodes.get(group_key) if group_key in UNIT_KPI_GROUPS else None
        if group is None or group.node.get("type") != "group":
            raise _refuse(
                "group",
                f"Không có nhóm KPI “{group_key}” (nền tảng, chức năng hoặc đặc thù).",
                f"No KPI group “{group_key}” (foundational, functional or specific).",
            )
        node = _new_node_base({**edit, "_doc": doc}, nodes)
        node["type"] = "target"
        node["target"] = _target_rule(edit)
        if edit.get("weight") is not None:
            node["weight"] = _number(edit["weight"])
        children = group.node.setdefault("children", [])
        children.append(node)
        return _Target(f"{group.path}.children[{len(children) - 1}]", "key", NODE_FIELDS)
    found = _find(nodes, edit.get("key"))
    if found.node.get("type") != "target":
        key = found.node["key"]
        raise _refuse(
            "key",
            f"“{key}” không phải là một chỉ số KPI có chỉ tiêu.",
            f"“{key}” is not a KPI with a target.",
        )
    if op == "remove_unit_kpi":
        _removable(found)
        assert found.parent is not None
        found.parent["children"] = [
            c for c in found.parent["children"] if c["key"] != found.node["key"]
        ]
        return _Target(found.path.rsplit(".children[", 1)[0], "key", {})
    for name in ("label_vi", "label_en"):
        if edit.get(name) is not None:
            found.node[name] = _text(edit[name])
    if edit.get("weight") is not None:
        found.node["weight"] = _number(edit["weight"])
    rule = found.node.setdefault("target", {})
    if edit.get("direction") is not None:
        rule["direction"] = edit["direction"]
    if edit.get("unit_of_measure") is not None:
        rule["unit_of_measure"] = _text(edit["unit_of_measure"])
    return _Target(
        found.path, "weight" if edit.get("weight") is not None else "label_vi", NODE_FIELDS
    )


def _target_rule(edit: Mapping[str, Any]) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "direction": edit.get("direction") or "higher_is_better",
        "basis": "ratio_to_target",
        "scoring": "ratio",
        "cap": "1",
    }
    if _text(edit.get("unit_of_measure")):
        rule["unit_of_measure"] = _text(edit.get("unit_of_measure"))
    return rule


_INDEX = re.compile(r"\[\d+\]$")


def _field_for(issue: Issue, targets: Sequence[_Target]) -> str:
    """The form field an engine issue concerns: by its path below an edited node, else
    the main field of the edit it most likely came from (the last)."""
    for target in reversed(targets):
        if issue.path == target.path:
            return target.field
        if issue.path.startswith(target.path + "."):
            rest = issue.path[len(target.path) + 1 :]
            rest = _INDEX.sub("", rest)
            if rest in target.names:
                return target.names[rest]
            if "." not in rest and rest.startswith("children"):
                return target.field
            return target.names.get(rest.split(".", 1)[0], target.field)
    return targets[-1].field if targets else ""


def _refusal(issues: Sequence[Issue], targets: Sequence[_Target]) -> DraftRefused:
    return DraftRefused(
        [FieldError(_field_for(i, targets), i.message_vi, i.message_en) for i in issues]
    )


def apply_edits(
    document: Mapping[str, Any], edits: Sequence[Mapping[str, Any]]
) -> tuple[dict[str, Any], Framework]:
    """The document with ``edits`` applied and its engine `Framework`; `DraftRefused`
    with the engine's messages next to their fields when the result breaks a rule.
    Pure of the database: the services and any preview use it."""
    doc = copy.deepcopy(dict(document))
    targets = [_apply(doc, edit) for edit in edits]
    try:
        fw = validate_framework(doc)
    except FrameworkError as exc:
        raise _refusal(exc.issues, targets) from exc
    return fw.to_data(), fw


# --- services -------------------------------------------------------------------------------


def _stale(row: FrameworkVersion, expected_revision: int | None) -> None:
    if expected_revision is not None and row.revision != expected_revision:
        raise Conflict(
            "Bản nháp vừa được người khác thay đổi; hãy tải lại trang.",
            "The draft was changed by someone else; reload it.",
            field="revision",
        )


def _editable(row: FrameworkVersion) -> None:
    if row.status != FrameworkVersion.Status.DRAFT or row.first_used_at is not None:
        raise Conflict(
            f"Phiên bản “{row.version}” đã ban hành hoặc đã dùng: không sửa được, "
            "hãy tạo phiên bản mới.",
            f"Version {row.version} is published or used: it cannot be edited; "
            "create a new version.",
            field="status",
        )


def _next_label(agency: Unit, source: FrameworkVersion) -> str:
    base = f"{source.version}-{(agency.code or str(agency.pk)).lower()}"
    taken = set(
        FrameworkVersion.objects.filter(
            agency=agency, key=source.key, version__startswith=base
        ).values_list("version", flat=True)
    )
    n = 1
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"[:60]


@transaction.atomic
def framework_draft_from(
    *,
    actor: User | None,
    agency: Unit,
    source: FrameworkVersion,
    version_label: str = "",
    reason: str = "",
) -> FrameworkVersion:
    """A new draft of the agency, a copy of ``source`` (the version in force: national or
    the agency's own, published). Same framework key; a new version label (the one given,
    else "<source version>-<agency code>-<n>")."""
    _check_agency(agency)
    if source.status == FrameworkVersion.Status.DRAFT or source.agency_id not in (
        None,
        agency.pk,
    ):
        raise ValidationFailed(
            "Chỉ tạo bản nháp từ một phiên bản đã ban hành của khung quốc gia hoặc của "
            "chính cơ quan.",
            "A draft is made from a published version, national or the agency's own.",
            field="source",
        )
    label = (version_label or "").strip() or _next_label(agency, source)
    if len(label) > 60:
        raise ValidationFailed(
            "Số phiên bản dài tối đa 60 ký tự.",
            "A version label has at most 60 characters.",
            field="version",
        )
    data = copy.deepcopy(source.document)
    data["version"] = label
    try:
        fw = validate_framework(data)
    except FrameworkError as exc:
        raise _refusal(exc.issues, [_Target("version", "version", {})]) from exc
    _check_unique(agency=agency, fw=fw)
    row = new_draft_row(actor=actor, agency=agency, fw=fw)
    sets = criteria_sets.copy_sets(source, row, actor)
    record(
        actor=actor,
        action="frameworks.version.draft_from",
        target=row,
        agency_id=agency.pk,
        after={
            **snapshot(row, VERSION_FIELDS),
            "source": source.pk,
            "source_version": source.version,
            "criteria_sets": sets,
        },
        reason=reason,
    )
    return row


def _edit_words(edit: Mapping[str, Any]) -> dict[str, Any]:
    """An edit as the audit keeps it (numbers as text, no internal keys)."""
    return {
        k: (_number(v) if isinstance(v, Decimal | int) and not isinstance(v, bool) else v)
        for k, v in edit.items()
        if not k.startswith("_")
    }


def _values_at(document: Mapping[str, Any], edit: Mapping[str, Any]) -> dict[str, Any]:
    """What an edit's fields held in ``document`` (the audit's before and after)."""
    op = edit.get("op")
    if op == "set_band":
        for band in document["rating"]["bands"]:
            if band.get("rating") == edit.get("rating"):
                return {"rating": band["rating"], "min": band["min"]}
        return {}
    if op == "set_quota":
        quota = document.get("quota") or {}
        return {k: quota.get(k) for k in ("ratio", "max_exception_ratio")}
    part = "unit" if op in ("add_unit_kpi", "edit_unit_kpi", "remove_unit_kpi") else _part(edit)
    found = node_paths(document, part).get(edit.get("key") or "")
    if found is None:
        return {}
    node = found.node
    out: dict[str, Any] = {
        k: node[k]
        for k in ("label_vi", "label_en", "weight", "weight_range", "allow_additions", "combine")
        if k in node
    }
    if "scale" in node:
        out["scale"] = dict(node["scale"])
    if "target" in node:
        out["target"] = {
            k: node["target"][k] for k in ("direction", "unit_of_measure") if k in node["target"]
        }
    return {"key": node["key"], **out}


@transaction.atomic
def framework_draft_edit(
    *,
    actor: User | None,
    version: FrameworkVersion,
    edits: Sequence[Mapping[str, Any]],
    expected_revision: int | None,
    reason: str = "",
) -> FrameworkVersion:
    """Applies ``edits`` (all or nothing) to a draft; each edit is a mapping with ``op`` (one
    of `EDIT_OPS`) and its fields. The engine validates the result: a refusal is a
    `DraftRefused` naming the field at fault with the engine's message. Refused once the
    version is published or used, and on a stale ``expected_revision``."""
    row = FrameworkVersion.objects.select_for_update().get(pk=version.pk)
    _editable(row)
    _stale(row, expected_revision)
    if not edits:
        raise _refuse("", "Không có thay đổi nào.", "Nothing to change.")
    before_doc = row.document
    document, fw = apply_edits(before_doc, edits)
    if fw.content_hash == row.content_hash:
        raise _refuse("", "Không có thay đổi nào.", "Nothing to change.")
    _check_unique(agency=row.agency, fw=fw, exclude_pk=row.pk)
    before = snapshot(row, (*VERSION_FIELDS, "revision"))
    row.document = document
    row.content_hash = fw.content_hash
    row.title = fw.title_vi[:255]
    row.revision += 1
    row.save(update_fields=["document", "content_hash", "title", "revision", "updated_at"])
    after = snapshot(row, (*VERSION_FIELDS, "revision"))
    record(
        actor=actor,
        action="frameworks.version.edit_draft",
        target=row,
        agency_id=row.agency_id,
        before={
            **changed(after, before),
            "edits": [_values_at(before_doc, e) for e in edits],
        },
        after={
            **changed(before, after),
            "edits": [{**_edit_words(e), "now": _values_at(document, e)} for e in edits],
        },
        reason=reason,
    )
    return row


def default_start(today: dt.date) -> dt.date:
    """The first day of next month: the default start of an adopted version."""
    return (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


@transaction.atomic
def framework_draft_adopt(
    *,
    actor: User | None,
    version: FrameworkVersion,
    valid_from: dt.date | None,
    expected_revision: int | None,
    reason: str = "",
) -> FrameworkVersion:
    """The agency head adopts the draft from ``valid_from`` (today or later; default the
    first day of next month). Then it is published (`framework_publish`, audited) and
    never edited again; once a period uses it, it never changes."""
    row = FrameworkVersion.objects.select_for_update().get(pk=version.pk)
    if row.agency_id is None:
        raise ValidationFailed(
            "Khung quốc gia không ban hành tại đây.",
            "A national framework is not adopted here.",
            field="status",
        )
    _stale(row, expected_revision)
    today = clock.today()
    start = valid_from or default_start(today)
    if start < today:
        raise ValidationFailed(
            f"Ngày bắt đầu áp dụng không được trước hôm nay ({today:%d/%m/%Y}).",
            f"The start date cannot be before today ({today.isoformat()}).",
            field="valid_from",
        )
    refused = criteria_sets.sets_refused(row)
    if refused:
        names = "; ".join(
            f"{s.job_position.name}" + (f" ({s.unit.name})" if s.unit else "") + f": {r.message_vi}"
            for s, r in refused
        )
        names_en = "; ".join(
            f"{s.job_position.name}" + (f" ({s.unit.name})" if s.unit else "") + f": {r.message_en}"
            for s, r in refused
        )
        raise ValidationFailed(
            f"Bản nháp không còn cho phép {len(refused)} bộ tiêu chí theo vị trí việc làm; "
            f"hãy sửa các bộ đó trước khi ban hành — {names}",
            f"The draft no longer allows {len(refused)} criteria set(s); correct them "
            f"before adopting — {names_en}",
            field="valid_from",
        )
    row = framework_publish(actor=actor, version=row, valid_from=start, reason=reason)
    FrameworkVersion.objects.filter(pk=row.pk).update(revision=row.revision + 1)
    row.refresh_from_db()
    return row


def draft_diff(draft: Framework, in_force: Framework | None) -> list[Change]:
    """The draft against the version in force (nothing when none is in force)."""
    return [] if in_force is None else framework_diff(in_force, draft)
