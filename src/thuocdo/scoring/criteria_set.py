"""A unit's criteria set for a job position, derived from its agency's framework.

The unit may add unit-specific criteria into groups that allow additions, set weights
within the ranges the framework allows, and remove optional criteria; it may not drop a
required group or criterion. The result is a new framework version that records the
content hash of the framework it was derived from.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .errors import FrameworkError, Issue
from .model import Framework
from .numbers import parse_exact
from .validate import Checker, validate_framework

__all__ = ["derive_criteria_set"]


def _index(
    node: dict[str, Any],
    parent: dict[str, Any] | None,
    out: dict[str, tuple[dict[str, Any], dict[str, Any] | None]],
) -> None:
    out[node["key"]] = (node, parent)
    for child in node.get("children", []):
        _index(child, node, out)


def derive_criteria_set(framework: Framework, spec: Mapping[str, Any]) -> Framework:
    """Derive a criteria set. ``spec`` keys: ``job_position`` (required), ``version``
    (required), ``id``, ``title_vi``, ``title_en``, ``weights`` ({key: weight}),
    ``remove`` ([key]), ``add`` ([{parent, criterion}]), ``part`` ("individual"|"unit")."""
    c = Checker()
    obj = c.mapping(spec, "") or {}
    c.known(
        obj,
        {
            "job_position",
            "version",
            "id",
            "title_vi",
            "title_en",
            "weights",
            "remove",
            "add",
            "part",
        },
        "",
    )
    job = c.text(obj, "job_position", "")
    version = c.text(obj, "version", "")
    part_name = c.choice(obj, "part", "", ("individual", "unit"), "individual")
    data = copy.deepcopy(framework.to_data())
    part = data.get(part_name)
    if part is None:
        c.err(
            "part",
            "no_unit_framework",
            "Khung không có phần này.",
            "The framework has no such part.",
        )
        raise FrameworkError(c.issues)
    nodes: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {}
    _index(part["root"], None, nodes)
    required_keys = {k for k, (n, _) in nodes.items() if n.get("required")}

    for key, raw in (c.mapping(obj.get("weights", {}), "weights") or {}).items():
        path = f"weights.{key}"
        if key not in nodes:
            c.err(
                path, "unknown_criterion", f"Không có tiêu chí “{key}”.", f"No criterion “{key}”."
            )
            continue
        node = nodes[key][0]
        rng = node.get("weight_range")
        if rng is None:
            c.err(
                path,
                "weight_fixed",
                f"Khung không cho đơn vị đặt trọng số của “{key}”.",
                f"The framework does not let a unit set the weight of “{key}”.",
            )
            continue
        w = c.number(raw, path)  # exact, of a sane size: else the issue is recorded
        if w is None:
            continue
        lo, hi = parse_exact(rng[0]), parse_exact(rng[1])
        if not lo <= w <= hi:
            c.err(
                path,
                "weight_out_of_range",
                f"Trọng số {raw} nằm ngoài khoảng khung cho phép [{rng[0]}, {rng[1]}].",
                f"Weight {raw} is outside the range the framework allows [{rng[0]}, {rng[1]}].",
            )
            continue
        node["weight"] = str(raw)

    for i, key in enumerate(c.seq(obj.get("remove", []), "remove") or []):
        path = f"remove[{i}]"
        if not isinstance(key, str):
            c.err(path, "type", "Phải là mã tiêu chí (chuỗi).", "Must be a criterion key (text).")
            continue
        if key not in nodes:
            c.err(
                path, "unknown_criterion", f"Không có tiêu chí “{key}”.", f"No criterion “{key}”."
            )
            continue
        node, parent = nodes[key]
        inner_required = [k for k in required_keys if k in _keys(node)]
        if inner_required or parent is None:
            c.err(
                path,
                "required_group",
                f"Không được bỏ “{key}”: khung bắt buộc ("
                + ", ".join(sorted(inner_required or [key]))
                + ").",
                f"“{key}” cannot be dropped: the framework requires it ("
                + ", ".join(sorted(inner_required or [key]))
                + ").",
            )
            continue
        parent["children"] = [ch for ch in parent["children"] if ch["key"] != key]

    for i, raw in enumerate(c.seq(obj.get("add", []), "add") or []):
        path = f"add[{i}]"
        item = c.mapping(raw, path)
        if item is None:
            continue
        c.known(item, {"parent", "criterion"}, path)
        parent_key = c.text(item, "parent", path)
        crit = c.mapping(c.required(item, "criterion", path) or {}, f"{path}.criterion")
        if parent_key not in nodes or nodes[parent_key][0].get("type") != "group":
            c.err(
                f"{path}.parent",
                "unknown_criterion",
                f"Không có nhóm “{parent_key}”.",
                f"No group “{parent_key}”.",
            )
            continue
        group = nodes[parent_key][0]
        if not group.get("allow_additions"):
            c.err(
                f"{path}.parent",
                "additions_not_allowed",
                f"Khung không cho thêm tiêu chí vào nhóm “{parent_key}”.",
                f"The framework does not allow adding criteria to “{parent_key}”.",
            )
            continue
        if crit is not None:
            group.setdefault("children", []).append(dict(crit))

    if c.issues:
        raise FrameworkError(c.issues)
    data["derived_from"] = framework.content_hash
    data["job_position"] = job
    data["version"] = version
    data["id"] = obj.get("id") or f"{framework.id}.{slug(job)}"
    if obj.get("title_vi"):
        data["title_vi"] = obj["title_vi"]
    if obj.get("title_en"):
        data["title_en"] = obj["title_en"]
    derived = validate_framework(data)
    # a required group of the base must survive, wherever it sits
    p = derived.individual if part_name == "individual" else derived.unit
    present = {n.key for n in p.root.walk()} if p is not None else set()
    missing = sorted(required_keys - present)
    if missing:
        raise FrameworkError(
            [
                Issue(
                    "remove",
                    "required_group",
                    "Thiếu nhóm bắt buộc: " + ", ".join(missing) + ".",
                    "Required groups missing: " + ", ".join(missing) + ".",
                )
            ]
        )
    return derived


def _keys(node: dict[str, Any]) -> set[str]:
    out = {node["key"]}
    for child in node.get("children", []):
        out |= _keys(child)
    return out


def slug(text: str) -> str:
    """A name or code as a framework id part: lower case ASCII, digits and "-"."""
    import re
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    ascii_text = ascii_text.encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-") or "job"
