"""Validation of framework data into a frozen :class:`Framework`.

All issues are collected in one pass; each names the path to the bad field and
the rule it broke, in Vietnamese and English.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

from .errors import FrameworkError, Issue
from .model import (
    COMBINES,
    COMPONENTS,
    DISCIPLINE_LEVELS,
    MEASURES,
    NODE_TYPES,
    RATE_ON,
    RATINGS,
    ROLES,
    UNIT_RESULT_SCOPES,
    Adjustments,
    Band,
    Framework,
    Node,
    Override,
    Part,
    QuotaRule,
    RatingRules,
    RollUpRule,
    Scale,
    Settings,
    TargetRule,
    TaskKind,
    canonical_json,
    content_hash,
    num,
)
from .numbers import NumberError, parse_exact
from .rollup import DEFAULT_LEAVE_STATUSES, LEAVE_STATUSES

__all__ = [
    "FRAMEWORK_SCHEMA_ID",
    "MAX_DECIMAL_PLACES",
    "MAX_INTEGER_DIGITS",
    "Checker",
    "size_issue",
    "size_problem",
    "validate_framework",
]

FRAMEWORK_SCHEMA_ID = "thuocdo/framework@1"

# -- the size of a number the rules will read ----------------------------------------------
# Every number of framework data and of scoring inputs: at most 15 digits before the decimal
# point and 9 after it. Far beyond any real count, coefficient or KPI; small enough that
# exact arithmetic, rounding and display stay cheap (``Decimal("1E-999999999")`` as a
# Fraction takes minutes, "9" × 5000 overflows the display).
MAX_INTEGER_DIGITS = 15
MAX_DECIMAL_PLACES = 9
_DECIMAL_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def size_problem(value: Any, int_digits: int, places: int) -> str | None:
    """``"large"`` (more than ``int_digits`` digits before the point), ``"places"`` (more
    than ``places`` after it) or None, counted without building the number; None for
    anything that is not a number (and for floats, refused where a number is read)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return "large" if abs(value) >= 10**int_digits else None
    if isinstance(value, Fraction):
        if abs(value) >= 10**int_digits:
            return "large"
        return "places" if value.denominator > 10**places else None
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        parts = value.as_tuple()
        digits, exp = parts.digits, int(parts.exponent)
        n = len(digits)
        while n and digits[n - 1] == 0:
            n -= 1
            exp += 1
        if n == 0:
            return None  # zero, whatever its exponent
        if n + exp > int_digits:
            return "large"
        return "places" if -exp > places else None
    if isinstance(value, str):
        text = value.strip()
        if _DECIMAL_TEXT.fullmatch(text):
            whole, _, frac = text.lstrip("+-").partition(".")
            if len(whole.lstrip("0")) > int_digits:
                return "large"
            if len(frac.rstrip("0")) > places:
                return "places"
        return None
    return None


def size_issue(path: str, problem: str, int_digits: int, places: int) -> Issue:
    if problem == "large":
        return Issue(
            path,
            "range",
            f"Số quá lớn: tối đa {int_digits} chữ số trước dấu thập phân.",
            f"Number too large: at most {int_digits} digits before the decimal point.",
        )
    return Issue(
        path,
        "range",
        f"Quá nhiều chữ số thập phân: tối đa {places} chữ số sau dấu thập phân.",
        f"Too many decimal places: at most {places} digits after the decimal point.",
    )


ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
ZERO = Fraction(0)
ONE = Fraction(1)

_NODE_COMMON = {
    "key",
    "type",
    "label_vi",
    "label_en",
    "description_vi",
    "description_en",
    "weight",
    "weight_range",
    "applies_to",
    "required",
    "max_points",
    "cap_points",
}
_NODE_FIELDS = {
    "group": _NODE_COMMON | {"combine", "children", "allow_additions"},
    "manual": _NODE_COMMON | {"scale", "reason_required_on_change"},
    "task_ratio": _NODE_COMMON | {"measure", "kinds"},
    "target": _NODE_COMMON | {"target"},
    "leader_component": _NODE_COMMON | {"component"},
}
_TOP_FIELDS = {
    "schema",
    "id",
    "version",
    "title_vi",
    "title_en",
    "illustrative",
    "notes_vi",
    "notes_en",
    "source",
    "settings",
    "task_kinds",
    "individual",
    "unit",
    "rating",
    "quota",
    "roll_up",
    "derived_from",
    "job_position",
}


class Checker:
    """Collects issues while reading untrusted mappings. Reused by the input parsers."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []

    def err(self, path: str, rule: str, vi: str, en: str) -> None:
        self.issues.append(Issue(path=path, rule=rule, message_vi=vi, message_en=en))

    # -- shapes -------------------------------------------------------------
    def mapping(self, value: Any, path: str) -> Mapping[str, Any] | None:
        if isinstance(value, Mapping):
            return value
        self.err(
            path, "type", "Phải là một đối tượng (ánh xạ khóa → giá trị).", "Must be an object."
        )
        return None

    def seq(self, value: Any, path: str) -> list[Any] | None:
        if isinstance(value, list | tuple):
            return list(value)
        self.err(path, "type", "Phải là một danh sách.", "Must be a list.")
        return None

    def known(self, obj: Mapping[str, Any], allowed: set[str], path: str) -> None:
        for k in obj:
            if k not in allowed:
                self.err(
                    _join(path, str(k)),
                    "unknown_field",
                    f"Trường không được hỗ trợ: “{k}” (lỗi chính tả?).",
                    f"Unknown field “{k}” (a typo?).",
                )

    def required(self, obj: Mapping[str, Any], key: str, path: str) -> Any:
        if key not in obj or obj[key] is None:
            self.err(
                _join(path, key),
                "required",
                f"Thiếu trường bắt buộc “{key}”.",
                f"Missing required field “{key}”.",
            )
            return None
        return obj[key]

    def text(
        self,
        obj: Mapping[str, Any],
        key: str,
        path: str,
        *,
        required: bool = True,
        default: str = "",
    ) -> str:
        if key not in obj or obj[key] is None:
            if required:
                self.required(obj, key, path)
            return default
        value = obj[key]
        if not isinstance(value, str) or (required and not value.strip()):
            self.err(
                _join(path, key),
                "type",
                "Phải là một chuỗi không rỗng." if required else "Phải là một chuỗi.",
                "Must be a non-empty string." if required else "Must be a string.",
            )
            return default
        return value

    def boolean(self, obj: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
        if key not in obj or obj[key] is None:
            return default
        value = obj[key]
        if not isinstance(value, bool):
            self.err(_join(path, key), "type", "Phải là true hoặc false.", "Must be true or false.")
            return default
        return value

    def integer(
        self,
        obj: Mapping[str, Any],
        key: str,
        path: str,
        default: int,
        *,
        minimum: int = 0,
        maximum: int = 10**MAX_INTEGER_DIGITS - 1,
    ) -> int:
        if key not in obj or obj[key] is None:
            return default
        value = obj[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.err(_join(path, key), "type", "Phải là một số nguyên.", "Must be an integer.")
            return default
        if value < minimum:
            self.err(_join(path, key), "range", f"Phải ≥ {minimum}.", f"Must be ≥ {minimum}.")
            return default
        if value > maximum:
            self.err(_join(path, key), "range", f"Phải ≤ {maximum}.", f"Must be ≤ {maximum}.")
            return default
        return value

    def number(
        self,
        value: Any,
        path: str,
        *,
        minimum: Fraction | None = ZERO,
        maximum: Fraction | None = None,
        positive: bool = False,
    ) -> Fraction | None:
        problem = size_problem(value, MAX_INTEGER_DIGITS, MAX_DECIMAL_PLACES)
        if problem is not None:  # checked before the number is built
            self.issues.append(size_issue(path, problem, MAX_INTEGER_DIGITS, MAX_DECIMAL_PLACES))
            return None
        try:
            x = parse_exact(value)
        except NumberError:
            self.err(
                path,
                "number",
                'Phải là một số thập phân chính xác (số nguyên hoặc chuỗi như "0.25"; '
                "không dùng số thực dấu phẩy động).",
                'Must be an exact decimal number (an integer or a string like "0.25"; no floats).',
            )
            return None
        if positive and x <= 0:
            self.err(path, "range", "Phải lớn hơn 0.", "Must be greater than 0.")
            return None
        if minimum is not None and x < minimum:
            self.err(path, "range", f"Phải ≥ {num(minimum)}.", f"Must be ≥ {num(minimum)}.")
            return None
        if maximum is not None and x > maximum:
            self.err(path, "range", f"Phải ≤ {num(maximum)}.", f"Must be ≤ {num(maximum)}.")
            return None
        return x

    def opt_number(
        self, obj: Mapping[str, Any], key: str, path: str, default: Fraction | None, **kw: Any
    ) -> Fraction | None:
        if key not in obj or obj[key] is None:
            return default
        return self.number(obj[key], _join(path, key), **kw)

    def choice(
        self,
        obj: Mapping[str, Any],
        key: str,
        path: str,
        allowed: tuple[str, ...],
        default: str | None = None,
    ) -> str:
        if key not in obj or obj[key] is None:
            if default is None:
                self.required(obj, key, path)
                return allowed[0]
            return default
        value = obj[key]
        if value not in allowed:
            self.err(
                _join(path, key),
                "enum",
                f"Giá trị “{value}” không hợp lệ; chọn một trong: {', '.join(allowed)}.",
                f"Invalid value “{value}”; expected one of: {', '.join(allowed)}.",
            )
            return default if default is not None else allowed[0]
        return str(value)

    def key(self, obj: Mapping[str, Any], path: str) -> str:
        value = self.required(obj, "key", path)
        if value is None:
            return "?"
        if not isinstance(value, str) or not KEY_RE.match(value):
            self.err(
                _join(path, "key"),
                "key_format",
                "Mã phải gồm chữ thường không dấu, chữ số và “_”, bắt đầu bằng chữ cái.",
                "A key is lowercase ASCII letters, digits and “_”, starting with a letter.",
            )
            return str(value)
        return value

    def roles(self, value: Any, path: str) -> frozenset[str] | None:
        if value is None:
            return None
        items = self.seq(value, path)
        if items is None:
            return None
        out = set()
        for i, r in enumerate(items):
            if r not in ROLES:
                self.err(
                    f"{path}[{i}]",
                    "enum",
                    f"Vai trò “{r}” không hợp lệ; chọn trong: {', '.join(ROLES)}.",
                    f"Unknown role “{r}”; expected one of: {', '.join(ROLES)}.",
                )
            else:
                out.add(str(r))
        return frozenset(out)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _FrameworkReader(Checker):
    def __init__(self) -> None:
        super().__init__()
        self.kind_codes: tuple[str, ...] = ()

    # -- nodes ---------------------------------------------------------------
    def node(self, raw: Any, path: str, seen: dict[str, str], part: str) -> Node | None:
        built = self._node(raw, path, seen, part)
        if built is None:
            return None
        return replace(built, size=built.compute_size())

    def _node(self, raw: Any, path: str, seen: dict[str, str], part: str) -> Node | None:
        obj = self.mapping(raw, path)
        if obj is None:
            return None
        key = self.key(obj, path)
        if key in seen:
            self.err(
                _join(path, "key"),
                "duplicate_key",
                f"Mã “{key}” bị trùng (đã dùng tại {seen[key]}).",
                f"Duplicate key “{key}” (already used at {seen[key]}).",
            )
        seen[key] = path
        ntype = self.choice(obj, "type", path, NODE_TYPES)
        self.known(obj, _NODE_FIELDS[ntype], path)
        label_vi = self.text(obj, "label_vi", path)
        label_en = self.text(obj, "label_en", path)
        weight = self.opt_number(obj, "weight", path, None)
        weight_range = None
        if obj.get("weight_range") is not None:
            rng = self.seq(obj["weight_range"], _join(path, "weight_range"))
            if rng is not None and len(rng) == 2:
                lo = self.number(rng[0], _join(path, "weight_range") + "[0]")
                hi = self.number(rng[1], _join(path, "weight_range") + "[1]")
                if lo is not None and hi is not None:
                    if lo > hi:
                        self.err(
                            _join(path, "weight_range"),
                            "range",
                            "Cận dưới lớn hơn cận trên.",
                            "Lower bound above upper bound.",
                        )
                    weight_range = (lo, hi)
                    if weight is not None and not lo <= weight <= hi:
                        self.err(
                            _join(path, "weight"),
                            "weight_out_of_range",
                            f"Trọng số {num(weight)} nằm ngoài khoảng cho phép "
                            f"[{num(lo)}, {num(hi)}].",
                            f"Weight {num(weight)} is outside the allowed range "
                            f"[{num(lo)}, {num(hi)}].",
                        )
            elif rng is not None:
                self.err(
                    _join(path, "weight_range"),
                    "type",
                    "Phải là [min, max].",
                    "Must be [min, max].",
                )
        applies_to = self.roles(obj.get("applies_to"), _join(path, "applies_to"))
        required = self.boolean(obj, "required", path, False)
        max_points = self.opt_number(obj, "max_points", path, None, positive=True)
        cap_points = self.opt_number(obj, "cap_points", path, None)
        common: dict[str, Any] = {
            "key": key,
            "type": ntype,
            "label_vi": label_vi,
            "label_en": label_en,
            "path": path,
            "weight": weight,
            "weight_range": weight_range,
            "applies_to": applies_to,
            "required": required,
            "max_points": max_points,
            "cap_points": cap_points,
            "description_vi": self.text(obj, "description_vi", path, required=False),
            "description_en": self.text(obj, "description_en", path, required=False),
        }
        if ntype == "group":
            return self._group(obj, path, seen, part, common)
        if ntype == "manual":
            return self._manual(obj, path, common)
        if ntype == "task_ratio":
            measure = self.choice(obj, "measure", path, MEASURES)
            kinds: tuple[str, ...] | None = None
            raw_kinds = obj.get("kinds", "all")
            if raw_kinds != "all":
                items = self.seq(raw_kinds, _join(path, "kinds"))
                if items is not None:
                    for i, k in enumerate(items):
                        if k not in self.kind_codes:
                            self.err(
                                f"{path}.kinds[{i}]",
                                "enum",
                                f"Loại nhiệm vụ “{k}” không được khai báo trong task_kinds.",
                                f"Task kind “{k}” is not declared in task_kinds.",
                            )
                    if not items:
                        self.err(_join(path, "kinds"), "range", "Danh sách rỗng.", "Empty list.")
                    kinds = tuple(str(k) for k in items)
            return Node(**common, measure=measure, kinds=kinds)
        if ntype == "target":
            return Node(**common, target=self._target(obj.get("target"), _join(path, "target")))
        # leader_component
        component = self.choice(obj, "component", path, COMPONENTS)
        if applies_to is None or "staff" in applies_to:
            self.err(
                _join(path, "applies_to"),
                "leader_only",
                "Thành phần d, đ, e chỉ áp dụng cho lãnh đạo, quản lý (head, acting_head, "
                "deputy); hãy khai báo applies_to.",
                "Components d, đ, e apply to leaders only (head, acting_head, deputy); "
                "declare applies_to.",
            )
        return Node(**common, component=component)

    def _group(
        self,
        obj: Mapping[str, Any],
        path: str,
        seen: dict[str, str],
        part: str,
        common: dict[str, Any],
    ) -> Node:
        combine = self.choice(obj, "combine", path, COMBINES)
        raw_children = self.seq(obj.get("children", []), _join(path, "children")) or []
        allow_additions = self.boolean(obj, "allow_additions", path, False)
        children: list[Node] = []
        for i, raw in enumerate(raw_children):
            child = self.node(raw, f"{path}.children[{i}]", seen, part)
            if child is not None:
                children.append(child)
        if not raw_children and not allow_additions:
            self.err(
                _join(path, "children"),
                "group_empty",
                "Nhóm tiêu chí phải có ít nhất một tiêu chí (hoặc allow_additions: true).",
                "A criteria group needs at least one criterion (or allow_additions: true).",
            )
        for i, child in enumerate(children):
            cpath = f"{path}.children[{i}]"
            if combine == "sum" and child.points_max is None:
                self.err(
                    cpath,
                    "sum_needs_points",
                    f"Nhóm “{common['key']}” cộng điểm (sum): tiêu chí “{child.key}” phải có "
                    "số điểm tối đa (max_points hoặc thang điểm).",
                    f"Group “{common['key']}” adds points (sum): “{child.key}” needs a "
                    "maximum (max_points or a scale).",
                )
            if combine == "weighted_mean" and child.weight is None:
                self.err(
                    _join(cpath, "weight"),
                    "weight_required",
                    f"Nhóm “{common['key']}” dùng trung bình có trọng số: thiếu trọng số.",
                    f"Group “{common['key']}” is a weighted mean: the weight is missing.",
                )
            if combine != "weighted_mean" and child.weight is not None:
                self.err(
                    _join(cpath, "weight"),
                    "weight_unused",
                    f"Nhóm “{common['key']}” không dùng trọng số (combine: {combine}).",
                    f"Group “{common['key']}” does not use weights (combine: {combine}).",
                )
        if combine == "weighted_mean" and children and all(c.weight == 0 for c in children):
            self.err(
                _join(path, "children"),
                "weights_zero",
                "Tổng trọng số bằng 0.",
                "The weights add up to 0.",
            )
        node = Node(
            **common, combine=combine, children=tuple(children), allow_additions=allow_additions
        )
        declared = common["max_points"]
        if combine == "sum" and declared is not None and children:
            total = Node(
                **{**common, "max_points": None}, combine=combine, children=tuple(children)
            ).points_max
            if total is not None and total != declared:
                self.err(
                    _join(path, "max_points"),
                    "max_points_mismatch",
                    f"max_points {num(declared)} khác tổng điểm các tiêu chí {num(total)}.",
                    f"max_points {num(declared)} differs from the children's total {num(total)}.",
                )
        return node

    def _manual(self, obj: Mapping[str, Any], path: str, common: dict[str, Any]) -> Node:
        spath = _join(path, "scale")
        sobj = self.mapping(self.required(obj, "scale", path) or {}, spath) or {}
        self.known(sobj, {"max", "step"}, spath)
        smax = self.number(self.required(sobj, "max", spath), _join(spath, "max"), positive=True)
        step = self.number(
            sobj.get("step", smax if smax is not None else 1), _join(spath, "step"), positive=True
        )
        scale = None
        if smax is not None and step is not None:
            if (smax / step).denominator != 1:
                self.err(
                    _join(spath, "step"),
                    "scale_step",
                    f"Điểm tối đa {num(smax)} không chia hết cho bước {num(step)}.",
                    f"The maximum {num(smax)} is not a multiple of the step {num(step)}.",
                )
            scale = Scale(max=smax, step=step)
            if common["max_points"] is not None and common["max_points"] != smax:
                self.err(
                    _join(path, "max_points"),
                    "max_points_mismatch",
                    "max_points của tiêu chí chấm điểm phải bằng scale.max.",
                    "A manual criterion's max_points must equal scale.max.",
                )
        return Node(
            **common,
            scale=scale or Scale(ONE, ONE),
            reason_required_on_change=self.boolean(obj, "reason_required_on_change", path, True),
        )

    def _target(self, raw: Any, path: str) -> TargetRule:
        obj = self.mapping(raw if raw is not None else {}, path) or {}
        if raw is None:
            self.err(
                path,
                "required",
                "Thiếu cấu hình chỉ tiêu (target).",
                "Missing the target settings.",
            )
        self.known(
            obj, {"direction", "basis", "scoring", "cap", "thresholds", "unit_of_measure"}, path
        )
        direction = self.choice(obj, "direction", path, ("higher_is_better", "lower_is_better"))
        basis = self.choice(obj, "basis", path, ("ratio_to_target", "actual"), "ratio_to_target")
        scoring = self.choice(obj, "scoring", path, ("ratio", "thresholds"), "ratio")
        cap = self.opt_number(obj, "cap", path, ONE, positive=True) or ONE
        thresholds: list[tuple[Fraction, Fraction]] = []
        if scoring == "thresholds":
            items = (
                self.seq(self.required(obj, "thresholds", path) or [], _join(path, "thresholds"))
                or []
            )
            for i, t in enumerate(items):
                tpath = f"{path}.thresholds[{i}]"
                tobj = self.mapping(t, tpath)
                if tobj is None:
                    continue
                self.known(tobj, {"at", "score"}, tpath)
                at = self.number(self.required(tobj, "at", tpath), _join(tpath, "at"))
                score = self.number(
                    self.required(tobj, "score", tpath), _join(tpath, "score"), maximum=cap
                )
                if at is not None and score is not None:
                    thresholds.append((at, score))
            higher_first = direction == "higher_is_better" or basis == "ratio_to_target"
            ats = [t[0] for t in thresholds]
            ordered = sorted(ats, reverse=higher_first)
            if ats != ordered or len(set(ats)) != len(ats):
                self.err(
                    _join(path, "thresholds"),
                    "thresholds_order",
                    "Các ngưỡng phải xếp từ tốt nhất đến kém nhất, không trùng nhau.",
                    "Thresholds go from best to worst, without repeats.",
                )
            scores = [t[1] for t in thresholds]
            if scores != sorted(scores, reverse=True):
                self.err(
                    _join(path, "thresholds"),
                    "thresholds_order",
                    "Điểm của các ngưỡng phải giảm dần.",
                    "Threshold scores must not increase from best to worst.",
                )
            if not thresholds:
                self.err(
                    _join(path, "thresholds"),
                    "range",
                    "Cần ít nhất một ngưỡng.",
                    "At least one threshold is needed.",
                )
        return TargetRule(
            direction=direction,
            basis=basis,
            scoring=scoring,
            cap=cap,
            thresholds=tuple(thresholds),
            unit_of_measure=self.text(obj, "unit_of_measure", path, required=False),
        )

    # -- parts -----------------------------------------------------------------
    def part(self, raw: Any, path: str, name: str) -> Part | None:
        obj = self.mapping(raw, path)
        if obj is None:
            return None
        self.known(obj, {"max_points", "root", "adjustments"}, path)
        max_points = self.number(
            obj.get("max_points", 100), _join(path, "max_points"), positive=True
        ) or Fraction(100)
        root = self.node(self.required(obj, "root", path) or {}, _join(path, "root"), {}, name)
        adj_path = _join(path, "adjustments")
        adj = self.mapping(obj.get("adjustments", {}), adj_path) or {}
        self.known(adj, {"bonus_cap", "penalty_cap"}, adj_path)
        adjustments = Adjustments(
            bonus_cap=self.opt_number(adj, "bonus_cap", adj_path, ZERO) or ZERO,
            penalty_cap=self.opt_number(adj, "penalty_cap", adj_path, ZERO) or ZERO,
        )
        if root is None:
            return None
        if root.type != "group":
            self.err(
                _join(path, "root.type"),
                "root_group",
                "Gốc phải là một nhóm (group).",
                "The root must be a group.",
            )
        top = root.points_max
        if root.cap_points is not None and top is not None:
            top = min(top, root.cap_points)
        if top is None and root.cap_points is not None:
            top = root.cap_points
        if top is None:
            self.err(
                _join(path, "root"),
                "root_points",
                "Gốc phải có số điểm tối đa (max_points, cap_points hoặc cộng điểm).",
                "The root needs a maximum (max_points, cap_points or a sum).",
            )
        elif top > max_points:
            self.err(
                _join(path, "root"),
                "root_points",
                f"Điểm tối đa của gốc ({num(top)}) vượt thang {num(max_points)}.",
                f"The root's maximum ({num(top)}) exceeds the scale {num(max_points)}.",
            )
        for node in root.walk():
            if (
                node.type in ("group",)
                and node.combine != "sum"
                and node.max_points is None
                and node.cap_points is not None
            ):
                self.err(
                    _join(node.path, "cap_points"),
                    "cap_needs_points",
                    "cap_points cần max_points ở nhóm không cộng điểm.",
                    "cap_points needs max_points on a group that does not add points.",
                )
            if name == "unit" and node.type == "leader_component":
                self.err(
                    node.path,
                    "leader_only",
                    "Khung đơn vị không có thành phần d, đ, e.",
                    "A unit framework has no d, đ, e components.",
                )
        return Part(max_points=max_points, root=root, adjustments=adjustments)

    def settings(self, raw: Any, path: str) -> Settings:
        obj = self.mapping(raw if raw is not None else {}, path) or {}
        self.known(
            obj,
            {
                "rounding",
                "quality_deduction_per_failure",
                "timeliness_deduction_per_delay",
                "floor_item_at_zero",
                "no_assigned_work",
                "leader_component_levels",
                "leader_roles",
                "manual_change_needs_reason",
                "rate_on",
            },
            path,
        )
        rpath = _join(path, "rounding")
        robj = self.mapping(obj.get("rounding", {}), rpath) or {}
        self.known(robj, {"places", "mode"}, rpath)
        # 10**places is what rounding computes with: a sane bound, not a hang
        places = self.integer(robj, "places", rpath, 2, maximum=MAX_DECIMAL_PLACES)
        self.choice(robj, "mode", rpath, ("half_up",), "half_up")
        levels_raw = (
            self.seq(
                obj.get("leader_component_levels", ["1", "0.5"]),
                _join(path, "leader_component_levels"),
            )
            or []
        )
        levels = []
        for i, lv in enumerate(levels_raw):
            x = self.number(lv, f"{path}.leader_component_levels[{i}]", maximum=ONE)
            if x is not None:
                levels.append(x)
        if not levels:
            self.err(
                _join(path, "leader_component_levels"),
                "range",
                "Cần ít nhất một mức.",
                "At least one level is needed.",
            )
        leader_roles = (
            self.roles(
                obj.get("leader_roles", ["head", "acting_head", "deputy"]),
                _join(path, "leader_roles"),
            )
            or frozenset()
        )
        return Settings(
            rounding_places=places,
            quality_deduction=self.opt_number(
                obj, "quality_deduction_per_failure", path, Fraction(1, 4), maximum=ONE
            )
            or ZERO,
            timeliness_deduction=self.opt_number(
                obj, "timeliness_deduction_per_delay", path, Fraction(1, 4), maximum=ONE
            )
            or ZERO,
            floor_item_at_zero=self.boolean(obj, "floor_item_at_zero", path, True),
            no_assigned_work=self.choice(
                obj, "no_assigned_work", path, ("not_scored", "zero"), "not_scored"
            ),
            leader_levels=tuple(sorted(set(levels), reverse=True)),
            leader_roles=leader_roles,
            manual_change_needs_reason=self.boolean(obj, "manual_change_needs_reason", path, True),
            rate_on=self.choice(obj, "rate_on", path, RATE_ON, "rounded"),
        )

    def task_kinds(self, raw: Any, path: str) -> tuple[TaskKind, ...]:
        items = self.seq(raw, path) or []
        out: list[TaskKind] = []
        for i, item in enumerate(items):
            ipath = f"{path}[{i}]"
            obj = self.mapping(item, ipath)
            if obj is None:
                continue
            self.known(obj, {"key", "label_vi", "label_en"}, ipath)
            out.append(
                TaskKind(
                    self.key(obj, ipath),
                    self.text(obj, "label_vi", ipath),
                    self.text(obj, "label_en", ipath),
                )
            )
        codes = [k.code for k in out]
        if len(set(codes)) != len(codes):
            self.err(path, "duplicate_key", "Loại nhiệm vụ bị trùng.", "Duplicate task kind.")
        if not out:
            self.err(
                path, "range", "Cần ít nhất một loại nhiệm vụ.", "At least one task kind is needed."
            )
        self.kind_codes = tuple(codes)
        return tuple(out)

    def rating(self, raw: Any, path: str) -> RatingRules:
        obj = self.mapping(raw, path) or {}
        self.known(
            obj,
            {
                "bands",
                "overrides",
                "head_not_above_unit",
                "head_roles",
                "unit_result_basis",
                "unit_result_scope",
            },
            path,
        )
        bands: list[Band] = []
        bpath = _join(path, "bands")
        for i, b in enumerate(self.seq(self.required(obj, "bands", path) or [], bpath) or []):
            ipath = f"{bpath}[{i}]"
            bobj = self.mapping(b, ipath)
            if bobj is None:
                continue
            self.known(bobj, {"rating", "min"}, ipath)
            rating = self.choice(bobj, "rating", ipath, RATINGS)
            low = self.number(self.required(bobj, "min", ipath), _join(ipath, "min"))
            if low is not None:
                bands.append(Band(rating, low))
        if [b.rating for b in bands] != list(RATINGS):
            self.err(
                bpath,
                "bands_order",
                "Cần đủ 4 mức xếp loại theo thứ tự: " + ", ".join(RATINGS) + ".",
                "All four ratings are needed, best first: " + ", ".join(RATINGS) + ".",
            )
        mins = [b.min for b in bands]
        if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
            self.err(
                bpath,
                "bands_order",
                "Ngưỡng điểm phải giảm dần.",
                "Band minimums must strictly decrease.",
            )
        if bands and bands[-1].min != 0:
            self.err(
                f"{bpath}[{len(bands) - 1}].min",
                "bands_floor",
                "Mức thấp nhất phải bắt đầu từ 0.",
                "The lowest band must start at 0.",
            )
        overrides: list[Override] = []
        opath = _join(path, "overrides")
        for i, o in enumerate(self.seq(obj.get("overrides", []), opath) or []):
            ipath = f"{opath}[{i}]"
            oobj = self.mapping(o, ipath)
            if oobj is None:
                continue
            self.known(
                oobj,
                {"key", "label_vi", "label_en", "trigger", "value", "applies_to", "rating"},
                ipath,
            )
            trigger = self.choice(oobj, "trigger", ipath, ("discipline_at_least", "flag"))
            value = self.text(oobj, "value", ipath)
            if trigger == "discipline_at_least" and value and value not in DISCIPLINE_LEVELS:
                self.err(
                    _join(ipath, "value"),
                    "enum",
                    "Mức kỷ luật phải là một trong: " + ", ".join(DISCIPLINE_LEVELS) + ".",
                    "The discipline level must be one of: " + ", ".join(DISCIPLINE_LEVELS) + ".",
                )
            overrides.append(
                Override(
                    key=self.key(oobj, ipath),
                    label_vi=self.text(oobj, "label_vi", ipath),
                    label_en=self.text(oobj, "label_en", ipath),
                    trigger=trigger,
                    value=value,
                    applies_to=self.roles(oobj.get("applies_to"), _join(ipath, "applies_to")),
                    rating=self.choice(oobj, "rating", ipath, RATINGS, "not_completed"),
                )
            )
        return RatingRules(
            bands=tuple(bands),
            overrides=tuple(overrides),
            head_not_above_unit=self.boolean(obj, "head_not_above_unit", path, True),
            head_roles=self.roles(
                obj.get("head_roles", ["head", "acting_head"]), _join(path, "head_roles")
            )
            or frozenset(),
            unit_result_basis=self.choice(
                obj, "unit_result_basis", path, ("points", "final_rating"), "points"
            ),
            unit_result_scope=self.choice(
                obj, "unit_result_scope", path, UNIT_RESULT_SCOPES, "unit_tree"
            ),
        )

    def quota(self, raw: Any, path: str) -> QuotaRule:
        obj = self.mapping(raw if raw is not None else {}, path) or {}
        self.known(
            obj,
            {
                "limited_rating",
                "base_rating",
                "ratio",
                "max_exception_ratio",
                "demote_to",
                "scopes",
                "order",
            },
            path,
        )
        ratio = self.opt_number(obj, "ratio", path, Fraction(1, 5), maximum=ONE)
        exc = self.opt_number(obj, "max_exception_ratio", path, Fraction(1, 4), maximum=ONE)
        if ratio is not None and exc is not None and exc < ratio:
            self.err(
                _join(path, "max_exception_ratio"),
                "range",
                "Tỷ lệ ngoại lệ tối đa không được nhỏ hơn tỷ lệ thường.",
                "The exception ceiling cannot be below the ordinary ratio.",
            )
        scopes_raw = (
            self.seq(obj.get("scopes", ["unit", "duty_group"]), _join(path, "scopes")) or []
        )
        for i, s in enumerate(scopes_raw):
            if s not in ("unit", "duty_group"):
                self.err(
                    f"{path}.scopes[{i}]",
                    "enum",
                    "Chọn unit hoặc duty_group.",
                    "Expected unit or duty_group.",
                )
        limited = self.choice(obj, "limited_rating", path, RATINGS, "excellent")
        demote_to = self.choice(obj, "demote_to", path, RATINGS, "good")
        if RATINGS.index(demote_to) <= RATINGS.index(limited):
            self.err(
                _join(path, "demote_to"),
                "range",
                "Mức hạ phải thấp hơn mức bị giới hạn.",
                "demote_to must be below the limited rating.",
            )
        return QuotaRule(
            limited_rating=limited,
            base_rating=self.choice(obj, "base_rating", path, RATINGS, "good"),
            ratio=ratio if ratio is not None else Fraction(1, 5),
            max_exception_ratio=exc if exc is not None else Fraction(1, 4),
            demote_to=demote_to,
            scopes=tuple(str(s) for s in scopes_raw if s in ("unit", "duty_group")),
            order=self.choice(obj, "order", path, ("lowest_points_first",), "lowest_points_first"),
        )

    def roll_up(self, raw: Any, path: str) -> RollUpRule:
        obj = self.mapping(raw if raw is not None else {}, path) or {}
        self.known(
            obj,
            {"basis", "min_months_worked", "weight_by_days", "worked_month", "leave_statuses"},
            path,
        )
        return RollUpRule(
            basis=self.choice(obj, "basis", path, ("months", "quarters"), "months"),
            min_months_worked=self.integer(obj, "min_months_worked", path, 6),
            weight_by_days=self.boolean(obj, "weight_by_days", path, False),
            worked_month=self.worked_month(obj, path),
            leave_statuses=self.leave_statuses(obj, path),
        )

    def worked_month(self, obj: Mapping[str, Any], path: str) -> str:
        value = obj.get("worked_month")
        if value is None or value == "has_score":
            return "has_score"
        self.err(
            _join(path, "worked_month"),
            "enum",
            f"Giá trị “{value}” không hợp lệ: chỉ hỗ trợ “has_score” (tháng làm việc là tháng "
            "có điểm). Muốn tính bình quân theo ngày công, dùng “weight_by_days: true”.",
            f"Invalid value “{value}”: only “has_score” is supported (a month counts as worked "
            "when it has a score). To weight the year by days worked, set “weight_by_days: "
            "true”.",
        )
        return "has_score"

    def leave_statuses(self, obj: Mapping[str, Any], path: str) -> tuple[str, ...]:
        """Art. 11, 19: the kinds of leave that count as time in service towards the
        minimum months (the year is then rated on the months actually worked)."""
        lpath = _join(path, "leave_statuses")
        raw = obj.get("leave_statuses")
        if raw is None:
            return DEFAULT_LEAVE_STATUSES
        out: list[str] = []
        for i, item in enumerate(self.seq(raw, lpath) or []):
            ipath = f"{lpath}[{i}]"
            if item not in LEAVE_STATUSES:
                self.err(
                    ipath,
                    "enum",
                    f"Loại nghỉ “{item}” không hợp lệ; chọn trong: {', '.join(LEAVE_STATUSES)} "
                    "(tháng nghỉ được tính vào thời gian công tác; “worked” là tháng làm "
                    "việc, “not_worked” là vắng mặt thông thường).",
                    f"Invalid leave status “{item}”; expected one of: "
                    f"{', '.join(LEAVE_STATUSES)} (leave months count as time in service; "
                    "“worked” is a month worked, “not_worked” an ordinary absence).",
                )
            elif item in out:
                self.err(
                    ipath,
                    "duplicate",
                    f"Loại nghỉ “{item}” đã có trong danh sách tháng nghỉ.",
                    f"Leave status “{item}” is listed twice.",
                )
            else:
                out.append(str(item))
        return tuple(out)


def validate_framework(data: Mapping[str, Any]) -> Framework:
    """Validate framework data and return the frozen :class:`Framework`.

    Raises :class:`FrameworkError` listing every issue found.
    """
    r = _FrameworkReader()
    obj = r.mapping(data, "")
    if obj is None:
        raise FrameworkError(r.issues)
    r.known(obj, _TOP_FIELDS, "")
    schema = obj.get("schema", FRAMEWORK_SCHEMA_ID)
    if schema != FRAMEWORK_SCHEMA_ID:
        r.err(
            "schema",
            "schema_version",
            f"Phiên bản lược đồ không hỗ trợ: “{schema}” (cần “{FRAMEWORK_SCHEMA_ID}”).",
            f"Unsupported schema “{schema}” (expected “{FRAMEWORK_SCHEMA_ID}”).",
        )
    fid = r.text(obj, "id", "")
    if fid and not ID_RE.match(fid):
        r.err(
            "id",
            "key_format",
            "Mã khung gồm chữ thường không dấu, chữ số, “-”, “_” hoặc “.”.",
            "A framework id is lowercase ASCII letters, digits, “-”, “_” or “.”.",
        )
    version = r.text(obj, "version", "")
    title_vi = r.text(obj, "title_vi", "")
    title_en = r.text(obj, "title_en", "")
    settings = r.settings(obj.get("settings"), "settings")
    kinds = r.task_kinds(r.required(obj, "task_kinds", "") or [], "task_kinds")
    individual = r.part(r.required(obj, "individual", "") or {}, "individual", "individual")
    unit = r.part(obj["unit"], "unit", "unit") if obj.get("unit") is not None else None
    rating = r.rating(r.required(obj, "rating", "") or {}, "rating")
    quota = r.quota(obj.get("quota"), "quota")
    roll_up = r.roll_up(obj.get("roll_up"), "roll_up")
    derived_from = r.text(obj, "derived_from", "", required=False) or None
    job_position = r.text(obj, "job_position", "", required=False) or None
    if individual is not None:
        for node in individual.root.walk():
            if node.type == "leader_component" and node.applies_to is not None:
                extra = node.applies_to - settings.leader_roles
                if extra:
                    r.err(
                        _join(node.path, "applies_to"),
                        "leader_only",
                        "Vai trò không phải lãnh đạo: " + ", ".join(sorted(extra)) + ".",
                        "Not a leader role: " + ", ".join(sorted(extra)) + ".",
                    )
    # free texts are hashed as given: text only (a number there would break the hash)
    notes_vi = r.text(obj, "notes_vi", "", required=False)
    notes_en = r.text(obj, "notes_en", "", required=False)
    source = r.text(obj, "source", "", required=False)
    if r.issues or individual is None:
        raise FrameworkError(r.issues)
    canonical_data = {
        "schema": FRAMEWORK_SCHEMA_ID,
        "id": fid,
        "version": version,
        "title_vi": title_vi,
        "title_en": title_en,
        "illustrative": r.boolean(obj, "illustrative", "", False),
        "notes_vi": notes_vi,
        "notes_en": notes_en,
        "source": source,
        "settings": dump_settings(settings),
        "task_kinds": [
            {"key": k.code, "label_vi": k.label_vi, "label_en": k.label_en} for k in kinds
        ],
        "individual": dump_part(individual),
        "unit": dump_part(unit) if unit is not None else None,
        "rating": dump_rating(rating),
        "quota": dump_quota(quota),
        "roll_up": dump_roll_up(roll_up),
        "derived_from": derived_from,
        "job_position": job_position,
    }
    canonical = canonical_json(canonical_data)
    return Framework(
        id=fid,
        version=version,
        title_vi=title_vi,
        title_en=title_en,
        illustrative=bool(canonical_data["illustrative"]),
        settings=settings,
        task_kinds=kinds,
        individual=individual,
        unit=unit,
        rating=rating,
        quota=quota,
        roll_up=roll_up,
        derived_from=derived_from,
        job_position=job_position,
        canonical=canonical,
        content_hash=content_hash(canonical),
    )


# -- canonical dump (the content hash covers this form) --------------------------------
def dump_node(node: Node) -> dict[str, Any]:
    out: dict[str, Any] = {
        "key": node.key,
        "type": node.type,
        "label_vi": node.label_vi,
        "label_en": node.label_en,
    }
    if node.description_vi:
        out["description_vi"] = node.description_vi
    if node.description_en:
        out["description_en"] = node.description_en
    if node.weight is not None:
        out["weight"] = num(node.weight)
    if node.weight_range is not None:
        out["weight_range"] = [num(node.weight_range[0]), num(node.weight_range[1])]
    if node.applies_to is not None:
        out["applies_to"] = sorted(node.applies_to)
    if node.required:
        out["required"] = True
    if node.max_points is not None:
        out["max_points"] = num(node.max_points)
    if node.cap_points is not None:
        out["cap_points"] = num(node.cap_points)
    if node.type == "group":
        out["combine"] = node.combine
        out["children"] = [dump_node(c) for c in node.children]
        if node.allow_additions:
            out["allow_additions"] = True
    elif node.type == "manual" and node.scale is not None:
        out["scale"] = {"max": num(node.scale.max), "step": num(node.scale.step)}
        if not node.reason_required_on_change:
            out["reason_required_on_change"] = False
    elif node.type == "task_ratio":
        out["measure"] = node.measure
        out["kinds"] = list(node.kinds) if node.kinds is not None else "all"
    elif node.type == "target" and node.target is not None:
        t = node.target
        tout: dict[str, Any] = {
            "direction": t.direction,
            "basis": t.basis,
            "scoring": t.scoring,
            "cap": num(t.cap),
        }
        if t.thresholds:
            tout["thresholds"] = [{"at": num(a), "score": num(s)} for a, s in t.thresholds]
        if t.unit_of_measure:
            tout["unit_of_measure"] = t.unit_of_measure
        out["target"] = tout
    elif node.type == "leader_component":
        out["component"] = node.component
    return out


def dump_part(part: Part) -> dict[str, Any]:
    return {
        "max_points": num(part.max_points),
        "root": dump_node(part.root),
        "adjustments": {
            "bonus_cap": num(part.adjustments.bonus_cap),
            "penalty_cap": num(part.adjustments.penalty_cap),
        },
    }


def dump_settings(s: Settings) -> dict[str, Any]:
    return {
        "rounding": {"places": s.rounding_places, "mode": "half_up"},
        "quality_deduction_per_failure": num(s.quality_deduction),
        "timeliness_deduction_per_delay": num(s.timeliness_deduction),
        "floor_item_at_zero": s.floor_item_at_zero,
        "no_assigned_work": s.no_assigned_work,
        "leader_component_levels": [num(x) for x in s.leader_levels],
        "leader_roles": sorted(s.leader_roles),
        "manual_change_needs_reason": s.manual_change_needs_reason,
        # settings added later are written only when they differ from their default, so
        # the versions stored before them keep their content hash
        **({"rate_on": s.rate_on} if s.rate_on != "rounded" else {}),
    }


def dump_rating(r: RatingRules) -> dict[str, Any]:
    return {
        "bands": [{"rating": b.rating, "min": num(b.min)} for b in r.bands],
        "overrides": [
            {
                "key": o.key,
                "label_vi": o.label_vi,
                "label_en": o.label_en,
                "trigger": o.trigger,
                "value": o.value,
                "rating": o.rating,
                **({"applies_to": sorted(o.applies_to)} if o.applies_to is not None else {}),
            }
            for o in r.overrides
        ],
        "head_not_above_unit": r.head_not_above_unit,
        "head_roles": sorted(r.head_roles),
        "unit_result_basis": r.unit_result_basis,
        **(
            {"unit_result_scope": r.unit_result_scope} if r.unit_result_scope != "unit_tree" else {}
        ),
    }


def dump_quota(q: QuotaRule) -> dict[str, Any]:
    return {
        "limited_rating": q.limited_rating,
        "base_rating": q.base_rating,
        "ratio": num(q.ratio),
        "max_exception_ratio": num(q.max_exception_ratio),
        "demote_to": q.demote_to,
        "scopes": list(q.scopes),
        "order": q.order,
    }


def dump_roll_up(r: RollUpRule) -> dict[str, Any]:
    return {
        "basis": r.basis,
        "min_months_worked": r.min_months_worked,
        "weight_by_days": r.weight_by_days,
        "worked_month": r.worked_month,
        "leave_statuses": list(r.leave_statuses),
    }
