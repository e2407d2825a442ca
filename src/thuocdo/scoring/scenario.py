"""Scenarios: people, units, a framework and a period's facts in one document → results.

Pure: takes parsed data (see :func:`documents.loads_document`) and returns a JSON-ready dict.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

from .criteria_set import derive_criteria_set
from .engine import PersonResult, UnitResult, apply_head_rule, score_person, score_unit
from .errors import FrameworkError, InputError, Issue, ScenarioError
from .inputs import (
    Adjustment,
    KindFacts,
    LeaderFacts,
    ManualScore,
    PersonInputs,
    TargetFacts,
    TaskLine,
    UnitInputs,
    aggregate_tasks,
    check_task_lines,
)
from .model import DISCIPLINE_LEVELS, RATINGS, ROLES, Framework
from .presets import load_preset
from .quota import QuotaMember, QuotaResult, apply_quota, resolve_quota
from .rollup import MONTH_STATUSES, MonthEntry, RollUpResult, roll_up
from .validate import Checker, size_issue, size_problem, validate_framework

__all__ = ["SCENARIO_SCHEMA_ID", "run_scenario"]

SCENARIO_SCHEMA_ID = "thuocdo/scenario@1"
_ROLE_ORDER = {"staff": 0, "deputy": 1, "acting_head": 2, "head": 2}
_PERSON_FIELDS = {
    "id",
    "name",
    "unit",
    "role",
    "duty_group",
    "general",
    "given_points",
    "tasks",
    "task_facts",
    "targets",
    "leader",
    "bonus",
    "penalty",
    "flags",
    "discipline",
    "months",
    "criteria_set",
    "note",
}
_CRITERIA_SET_FIELDS = {"key", "unit", "default", "note"}
_PERIOD_INPUTS = ("general", "given_points", "tasks", "task_facts", "targets", "leader")

# -- the size of what a scenario may hold ------------------------------------------------
# Every number read as one (counts, quantities, coefficients, scores, KPIs, points, and every
# number of an inline framework or criteria set): at most 15 digits before the decimal point
# and 9 after it. Far beyond any real count or KPI; small enough that exact arithmetic,
# rounding and display stay cheap (``Decimal("1E-999999999")`` as a Fraction takes minutes).
# Anywhere in the document, even where no number is read (ids, labels, the echoed period).
_ANY_DIGITS = 100
_MAX_DEPTH = 64  # nesting of lists and objects
_MAX_VALUES = 2_000_000  # values in the document, YAML aliases counted each time they are used
_MAX_SCREEN_ISSUES = 50


def _at(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def _screen(data: Any) -> list[Issue]:
    """What no part of the scorer may be handed, found before anything else is read: a
    value that contains itself (a YAML alias inside its own anchor), nesting deeper than
    _MAX_DEPTH, more than _MAX_VALUES values once YAML aliases are expanded (the output
    echoes ``period`` in full), a value JSON cannot hold (``!!binary``, ``!!set``), text
    that is not valid Unicode, a number that is not finite or has more than _ANY_DIGITS
    digits. Each list or object is read once, however many aliases share it."""
    issues: list[Issue] = []
    sizes: dict[int, int] = {}  # id of a list or object → its size with aliases expanded
    on_path: set[int] = set()

    def bad(path: str, rule: str, vi: str, en: str) -> int:
        issues.append(Issue(path or "$", rule, vi, en))
        return 1

    def scalar(value: Any, path: str) -> int:
        if value is None or isinstance(value, bool):
            return 1
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return bad(
                    path,
                    "text",
                    "Chuỗi không phải Unicode hợp lệ (có ký tự thay thế đơn lẻ).",
                    "Text that is not valid Unicode (a lone surrogate).",
                )
            if len(value) <= _ANY_DIGITS:
                return 1
        elif isinstance(value, float | Decimal):
            finite = value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)
            if not finite:
                return bad(
                    path,
                    "number",
                    "Số không hữu hạn (NaN, vô cực) không được dùng.",
                    "A number that is not finite (NaN, infinity) is not allowed.",
                )
        elif not isinstance(value, int | Fraction):
            return bad(
                path,
                "type",
                "Kiểu giá trị không được hỗ trợ: chỉ dùng chuỗi, số, true/false, null, "
                "danh sách và đối tượng.",
                f"Unsupported value ({type(value).__name__}): use text, numbers, true/false, "
                "null, lists and objects only.",
            )
        problem = size_problem(value, _ANY_DIGITS, _ANY_DIGITS)
        if problem is not None:
            issues.append(size_issue(path or "$", problem, _ANY_DIGITS, _ANY_DIGITS))
        return 1

    def walk(value: Any, path: str, depth: int) -> int:
        if not isinstance(value, Mapping | list | tuple):
            return scalar(value, path)
        key = id(value)
        if key in sizes:
            return sizes[key]
        if key in on_path:
            return bad(
                path,
                "cycle",
                "Giá trị chứa chính nó (bí danh YAML trỏ vào neo bao ngoài).",
                "A value that contains itself (a YAML alias to an enclosing anchor).",
            )
        if depth >= _MAX_DEPTH:
            return bad(
                path,
                "depth",
                f"Lồng nhau quá sâu: tối đa {_MAX_DEPTH} cấp.",
                f"Nested too deeply: at most {_MAX_DEPTH} levels.",
            )
        on_path.add(key)
        size = 1
        if isinstance(value, Mapping):
            for k, v in value.items():
                if not isinstance(k, str):
                    scalar(k, _at(path, "<key>"))
                size += walk(v, _at(path, k), depth + 1)
                if len(issues) >= _MAX_SCREEN_ISSUES:
                    break
        else:
            for i, v in enumerate(value):
                size += walk(v, f"{path}[{i}]", depth + 1)
                if len(issues) >= _MAX_SCREEN_ISSUES:
                    break
        on_path.discard(key)
        sizes[key] = size
        return size

    if walk(data, "", 0) > _MAX_VALUES:
        bad(
            "",
            "size",
            f"Tài liệu quá lớn: hơn {_MAX_VALUES:,} giá trị (kể cả các lần dùng lại "
            "bí danh YAML).".replace(",", "."),  # 2.000.000 in Vietnamese
            f"The document is too large: more than {_MAX_VALUES:,} values (counting "
            "each use of a YAML alias).",
        )
    return issues[:_MAX_SCREEN_ISSUES]


def _exact_decimal(x: Fraction) -> Decimal | None:
    """``x`` as a Decimal with no rounding, or None when its decimal expansion does not
    end (``1/3``). Never through ``str(Fraction)``, which is ``"145/2"``."""
    den, twos, fives = x.denominator, 0, 0
    while den % 2 == 0:
        den, twos = den // 2, twos + 1
    while den % 5 == 0:
        den, fives = den // 5, fives + 1
    if den != 1:
        return None
    places = max(twos, fives)
    t = Decimal(x.numerator * (10**places // x.denominator)).as_tuple()
    return Decimal((t.sign, t.digits, -places))


class _Reader(Checker):
    def __init__(self, fw: Framework) -> None:
        super().__init__()
        self.fw = fw

    def decimal(self, value: Any, path: str) -> Decimal | None:
        """A number ≥ 0 as an exact Decimal (points are decimals)."""
        x = self.number(value, path)
        if x is None:
            return None
        d = _exact_decimal(x)
        if d is None:
            self.err(
                path,
                "number",
                "Phải là một số thập phân hữu hạn (không phải phân số như 1/3).",
                "Must be a terminating decimal number (not a fraction such as 1/3).",
            )
        return d

    def count(self, obj: Mapping[str, Any], key: str, path: str) -> int:
        return self.integer(obj, key, path, 0)

    def task_lines(self, raw: Any, path: str) -> tuple[TaskLine, ...]:
        lines: list[TaskLine] = []
        for i, item in enumerate(self.seq(raw, path) or []):
            p = f"{path}[{i}]"
            t = self.mapping(item, p)
            if t is None:
                continue
            self.known(
                t,
                {
                    "key",
                    "title",
                    "kind",
                    "quantity",
                    "coefficient",
                    "done",
                    "completed",
                    "failures",
                    "exempt_failures",
                    "delays",
                    "exempt_delays",
                    "extra",
                },
                p,
            )
            quantity = self.number(self.required(t, "quantity", p), f"{p}.quantity") or Fraction(0)
            coefficient = self.number(t.get("coefficient", 1), f"{p}.coefficient") or Fraction(0)
            if "done" in t and t["done"] is not None:
                done = self.number(t["done"], f"{p}.done") or Fraction(0)
            elif "completed" in t:
                done = quantity if self.boolean(t, "completed", p, False) else Fraction(0)
            else:
                self.err(
                    f"{p}.done",
                    "required",
                    "Cần “done” (khối lượng hoàn thành) hoặc “completed”.",
                    "Give “done” (quantity completed) or “completed”.",
                )
                done = Fraction(0)
            extra = t.get("extra")
            if extra is False:
                extra = None
            lines.append(
                TaskLine(
                    kind=str(self.required(t, "kind", p) or ""),
                    quantity=quantity,
                    coefficient=coefficient,
                    done=done,
                    failures=self.count(t, "failures", p),
                    exempt_failures=self.count(t, "exempt_failures", p),
                    delays=self.count(t, "delays", p),
                    exempt_delays=self.count(t, "exempt_delays", p),
                    extra=str(extra) if extra is not None else None,
                    key=str(t.get("key", "")),
                    title=str(t.get("title", "")),
                )
            )
        self.issues.extend(check_task_lines(self.fw, lines, path))
        return tuple(lines)

    def task_facts(self, raw: Any, path: str) -> dict[str, KindFacts]:
        out: dict[str, KindFacts] = {}
        codes = {k.code for k in self.fw.task_kinds}
        for kind, item in (self.mapping(raw, path) or {}).items():
            p = f"{path}.{kind}"
            if kind not in codes:
                self.err(
                    p,
                    "enum",
                    f"Loại nhiệm vụ “{kind}” không có trong khung.",
                    f"Task kind “{kind}” is not in the framework.",
                )
                continue
            f = self.mapping(item, p)
            if f is None:
                continue
            self.known(f, {"w", "done", "done_q", "done_t", "extra_done"}, p)
            vals = {
                k: self.number(f.get(k, 0), f"{p}.{k}") or Fraction(0)
                for k in ("w", "done", "done_q", "done_t", "extra_done")
            }
            if vals["done_q"] > vals["done"] or vals["done_t"] > vals["done"]:
                self.err(
                    p,
                    "range",
                    "done_q và done_t không vượt done.",
                    "done_q and done_t cannot exceed done.",
                )
            out[str(kind)] = KindFacts(
                vals["w"], vals["done"], vals["done_q"], vals["done_t"], vals["extra_done"]
            )
        return out

    def manual(self, raw: Any, path: str) -> dict[str, ManualScore]:
        out: dict[str, ManualScore] = {}
        for key, item in (self.mapping(raw, path) or {}).items():
            p = f"{path}.{key}"
            if isinstance(item, Mapping):
                self.known(item, {"score", "self_score", "reason"}, p)
                value = self.number(self.required(item, "score", p), f"{p}.score")
                self_score = (
                    self.number(item["self_score"], f"{p}.self_score")
                    if item.get("self_score") is not None
                    else None
                )
                reason = item.get("reason") or ""
            else:
                value = self.number(item, p)
                self_score, reason = None, ""
            if value is not None:
                out[str(key)] = ManualScore(value, self_score, str(reason))
        return out

    def targets(self, raw: Any, path: str) -> dict[str, TargetFacts]:
        out: dict[str, TargetFacts] = {}
        for key, item in (self.mapping(raw, path) or {}).items():
            p = f"{path}.{key}"
            t = self.mapping(item, p)
            if t is None:
                continue
            self.known(t, {"target", "actual"}, p)
            actual = self.number(self.required(t, "actual", p), f"{p}.actual")
            target = (
                self.number(t["target"], f"{p}.target") if t.get("target") is not None else None
            )
            if actual is not None:
                out[str(key)] = TargetFacts(actual, target)
        return out

    def adjustments(self, raw: Any, path: str) -> tuple[Adjustment, ...]:
        out: list[Adjustment] = []
        for i, item in enumerate(self.seq(raw, path) or []):
            p = f"{path}[{i}]"
            a = self.mapping(item, p)
            if a is None:
                continue
            self.known(a, {"points", "reason"}, p)
            pts = self.number(self.required(a, "points", p), f"{p}.points")
            reason = self.text(a, "reason", p)
            if pts is not None:
                out.append(Adjustment(pts, reason))
        return tuple(out)

    def given(self, raw: Any, path: str) -> dict[str, Fraction]:
        out: dict[str, Fraction] = {}
        for key, item in (self.mapping(raw, path) or {}).items():
            x = self.number(item, f"{path}.{key}")
            if x is not None:
                out[str(key)] = x
        return out


def _prefix(issues: list[Issue], prefix: str) -> list[Issue]:
    return [replace(i, path=f"{prefix}.{i.path}" if i.path else prefix) for i in issues]


def _preset(name: str, path: str) -> Framework:
    try:
        return load_preset(name)
    except FrameworkError as exc:  # the name is at ``path`` under "framework"
        raise FrameworkError(
            [replace(i, path=path) if i.rule == "unknown_preset" else i for i in exc.issues]
        ) from exc


def _framework(raw: Any) -> Framework:
    if isinstance(raw, str):
        return _preset(raw, "")
    if isinstance(raw, Mapping):
        if "preset" in raw and len(raw) == 1:
            return _preset(str(raw["preset"]), "preset")
        return validate_framework(raw)
    raise ScenarioError(
        [
            Issue(
                "framework",
                "required",
                "Cần tên khung mẫu hoặc khung đầy đủ.",
                "Give a preset name or an inline framework.",
            )
        ]
    )


def run_scenario(data: Any, *, explain: bool = True) -> dict[str, Any]:
    """Score everything in a scenario. Raises :class:`ScenarioError` on a bad scenario or
    framework, and nothing else on any data (a bug otherwise)."""
    screened = _screen(data)
    if screened:
        raise ScenarioError(screened)
    c0 = Checker()
    doc = c0.mapping(data, "")
    if doc is None:
        raise ScenarioError(c0.issues)
    c0.known(
        doc,
        {
            "scenario",
            "title",
            "description",
            "framework",
            "period",
            "units",
            "people",
            "quota_groups",
            "options",
            "criteria_sets",
        },
        "",
    )
    if doc.get("scenario", SCENARIO_SCHEMA_ID) != SCENARIO_SCHEMA_ID:
        c0.err(
            "scenario",
            "schema_version",
            f"Cần “{SCENARIO_SCHEMA_ID}”.",
            f"Expected “{SCENARIO_SCHEMA_ID}”.",
        )
    c0.text(doc, "title", "", required=False)  # echoed in the output
    if c0.issues:
        raise ScenarioError(c0.issues)
    try:
        fw = _framework(c0.required(doc, "framework", ""))
    except FrameworkError as exc:
        raise ScenarioError(_prefix(list(exc.issues), "framework")) from exc
    r = _Reader(fw)
    options = r.mapping(doc.get("options", {}), "options") or {}
    r.known(options, {"quota_by_unit", "explain"}, "options")
    quota_by_unit = r.boolean(options, "quota_by_unit", "options", "unit" in fw.quota.scopes)

    # -- units --------------------------------------------------------------------
    units_raw = r.seq(doc.get("units", []), "units") or []
    unit_ids: list[str] = []
    unit_objs: dict[str, Mapping[str, Any]] = {}
    for i, u in enumerate(units_raw):
        p = f"units[{i}]"
        uo = r.mapping(u, p)
        if uo is None:
            continue
        r.known(
            uo,
            {
                "id",
                "name",
                "rating",
                "tasks",
                "task_facts",
                "targets",
                "kpis",
                "manual",
                "given_points",
                "note",
                "parent",
            },
            p,
        )
        uid = str(r.required(uo, "id", p))
        if uid in unit_objs:
            r.err(
                f"{p}.id", "duplicate_key", f"Đơn vị “{uid}” bị trùng.", f"Duplicate unit “{uid}”."
            )
        unit_ids.append(uid)
        unit_objs[uid] = uo
        r.text(uo, "name", p, required=False)  # echoed in the output
        if uo.get("rating") is not None:
            r.choice(uo, "rating", p, RATINGS)
    unit_parents: dict[str, str | None] = {}
    for i, uid in enumerate(unit_ids):
        parent = unit_objs[uid].get("parent")
        if parent is not None and str(parent) not in unit_objs:
            r.err(
                f"units[{i}].parent",
                "unknown_unit",
                f"Không có đơn vị “{parent}” trong units.",
                f"No unit “{parent}” in units.",
            )
        unit_parents[uid] = str(parent) if parent is not None else None

    # -- criteria sets: a unit's derivation from the framework ------------------------------
    sets, person_set_of_unit, unit_set_of_unit = _criteria_sets(
        r, fw, doc.get("criteria_sets", []), unit_objs
    )

    # -- people: read inputs ----------------------------------------------------------
    people_raw = r.seq(r.required(doc, "people", ""), "people") or []
    people: list[dict[str, Any]] = []
    seen_ids: set[str] = set()
    for i, item in enumerate(people_raw):
        p = f"people[{i}]"
        po = r.mapping(item, p)
        if po is None:
            continue
        r.known(po, _PERSON_FIELDS, p)
        pid = str(r.required(po, "id", p))
        if pid in seen_ids:
            r.err(
                f"{p}.id", "duplicate_key", f"Người “{pid}” bị trùng.", f"Duplicate person “{pid}”."
            )
        seen_ids.add(pid)
        role = r.choice(po, "role", p, ROLES, "staff")
        r.text(po, "name", p, required=False)  # echoed in the output
        unit = po.get("unit")
        if unit is not None and (not isinstance(unit, str) or unit not in unit_objs):
            r.err(
                f"{p}.unit",
                "unknown_unit",
                f"Không có đơn vị “{unit}” trong units.",
                f"No unit “{unit}” in units.",
            )
        set_key = po.get("criteria_set")
        if set_key is not None:
            set_key = str(set_key)
            if set_key not in sets or sets[set_key][1] != "individual":
                r.err(
                    f"{p}.criteria_set",
                    "unknown_criteria_set",
                    f"Không có bộ tiêu chí cá nhân “{set_key}” trong criteria_sets.",
                    f"No individual criteria set “{set_key}” in criteria_sets.",
                )
                set_key = None
        elif unit is not None:
            set_key = person_set_of_unit.get(str(unit))
        entry: dict[str, Any] = {
            "index": i,
            "path": p,
            "id": pid,
            "name": po.get("name", ""),
            "unit": unit,
            "role": role,
            "duty_group": po.get("duty_group"),
            "in_charge_of": None,
            "inputs": None,
            "months": None,
            "fw": sets[set_key][0] if set_key is not None and set_key in sets else fw,
            "criteria_set": set_key,
        }
        if any(po.get(k) is not None for k in _PERIOD_INPUTS):
            entry["inputs"] = _person_inputs(r, po, p, pid, role, entry)
            year_discipline = entry["inputs"].discipline
            year_flags = entry["inputs"].flags
        else:
            year_discipline = _discipline(r, po.get("discipline", []), f"{p}.discipline")
            year_flags = _flags(r, po.get("flags", []), f"{p}.flags")
        if po.get("months") is not None:
            entry["months"] = _months(r, po["months"], f"{p}.months", pid, role, po)
            # the year counts discipline and conclusions recorded in any month too
            for mo in entry["months"]:
                year_discipline += mo["discipline"]
                year_flags |= mo["flags"]
        entry["year_discipline"] = year_discipline
        entry["year_flags"] = year_flags
        people.append(entry)
    for e in people:
        for j, other in enumerate(e["in_charge_of"] or []):
            if other not in seen_ids:
                r.err(
                    f"{e['path']}.leader.in_charge_of[{j}]",
                    "unknown_person",
                    f"Không có người “{other}”.",
                    f"No person “{other}”.",
                )
    groups_raw = r.seq(doc.get("quota_groups", []), "quota_groups") or []
    groups: list[tuple[str, list[str], Fraction | None]] = []
    for i, g in enumerate(groups_raw):
        p = f"quota_groups[{i}]"
        go = r.mapping(g, p)
        if go is None:
            continue
        r.known(go, {"key", "label", "members", "exception_ratio", "reason"}, p)
        members = [str(m) for m in (r.seq(r.required(go, "members", p), f"{p}.members") or [])]
        for j, m in enumerate(members):
            if m not in seen_ids:
                r.err(
                    f"{p}.members[{j}]",
                    "unknown_person",
                    f"Không có người “{m}”.",
                    f"No person “{m}”.",
                )
        allowed = (
            r.number(go["exception_ratio"], f"{p}.exception_ratio")
            if go.get("exception_ratio") is not None
            else None
        )
        if allowed is not None and not fw.quota.ratio <= allowed <= fw.quota.max_exception_ratio:
            r.err(
                f"{p}.exception_ratio",
                "quota_exception",
                "Tỷ lệ ngoại lệ phải trong khoảng tỷ lệ thường – tỷ lệ tối đa của khung.",
                "The exception ratio must lie between the framework's ratio and its ceiling.",
            )
        groups.append((str(go.get("key", f"group-{i + 1}")), members, allowed))
    _check_scopes(r, fw, quota_by_unit, people, groups)
    if r.issues:
        raise ScenarioError(r.issues)

    # -- units: score or take the given rating ---------------------------------------------
    issues: list[Issue] = []
    unit_results: dict[str, UnitResult] = {}
    unit_rating: dict[str, str] = {}
    for i, uid in enumerate(unit_ids):
        uo = unit_objs[uid]
        p = f"units[{i}]"
        if uo.get("rating") is not None:
            unit_rating[uid] = str(uo["rating"])
        has_inputs = any(
            uo.get(k) is not None
            for k in ("tasks", "task_facts", "targets", "kpis", "manual", "given_points")
        )
        ufw = sets[unit_set_of_unit[uid]][0] if uid in unit_set_of_unit else fw
        if ufw.unit is None or not has_inputs:
            continue
        ur = _Reader(ufw)
        if uo.get("task_facts") is not None:
            facts: dict[str, KindFacts] | None = ur.task_facts(uo["task_facts"], f"{p}.task_facts")
            lines: tuple[TaskLine, ...] = ()
        elif uo.get("tasks") is not None:
            lines = ur.task_lines(uo["tasks"], f"{p}.tasks")
            facts = None
        else:  # the unit's work = the work of its people
            facts = _unit_facts(fw, [e for e in people if e["unit"] == uid and e["inputs"]])
            lines = ()
        uin = UnitInputs(
            unit_id=uid,
            tasks=facts,
            task_lines=lines,
            manual=ur.manual(uo.get("manual", {}), f"{p}.manual"),
            given_points=ur.given(uo.get("given_points", {}), f"{p}.given_points"),
            targets=ur.targets(uo.get("targets", uo.get("kpis", {})), f"{p}.targets"),
        )
        if ur.issues:
            issues.extend(ur.issues)
            continue
        try:
            res = score_unit(ufw, uin, explain=explain)
        except InputError as exc:
            issues.extend(_prefix(list(exc.issues), p))
            continue
        unit_results[uid] = res
        if res.rating is not None and uid not in unit_rating:
            unit_rating[uid] = res.rating

    # -- people: staff, then deputies, then heads (d derives from those in charge) -----------
    results: dict[str, PersonResult] = {}
    for e in sorted(
        (e for e in people if e["inputs"] is not None),
        key=lambda e: (_ROLE_ORDER[e["role"]], e["index"]),
    ):
        inp: PersonInputs = e["inputs"]
        pfw: Framework = e["fw"]
        if e["role"] in pfw.settings.leader_roles:
            inp = _with_staff_points(pfw, e, people, results, inp, unit_parents)
        try:
            pres = score_person(pfw, inp, explain=explain)
        except InputError as exc:
            issues.extend(_prefix(list(exc.issues), e["path"]))
            continue
        if (
            pfw.rating.head_not_above_unit
            and e["role"] in pfw.rating.head_roles
            and pres.rating is not None
            and unit_rating.get(e["unit"]) is None
        ):
            # Art. 20(6) cannot be applied: say so rather than leave the head's rating as is
            issues.append(
                Issue(
                    f"{e['path']}.unit",
                    "unit_rating_required",
                    "Người đứng đầu không được xếp loại cao hơn đơn vị (Điều 20 khoản 6): "
                    "cần đơn vị (unit) có xếp loại (rating) hoặc dữ liệu để chấm.",
                    "The head is not rated above their unit (Art. 20(6)): give the unit, with "
                    "a rating or the inputs to score it.",
                )
            )
            continue
        if e["unit"] is not None:
            pres = apply_head_rule(pfw, pres, unit_rating.get(e["unit"]))
        results[e["id"]] = pres
    if issues:
        raise ScenarioError(issues)

    # -- quota ----------------------------------------------------------------------
    all_groups = _quota_groups(fw, quota_by_unit, unit_ids, people, groups)
    quota_results: list[QuotaResult] = []
    for key, members, exception in all_groups:
        scored = [results[m] for m in members if m in results and results[m].rating is not None]
        qm = [QuotaMember(s.person_id, s.points or Decimal(0), s.rating or "") for s in scored]
        try:
            qr = resolve_quota(fw, qm, group=key, exception_ratio=exception)
        except InputError as exc:
            raise ScenarioError(exc.issues) from exc
        quota_results.append(qr)
        for demoted in apply_quota(scored, qr):
            results[demoted.person_id] = demoted

    # -- roll-ups ----------------------------------------------------------------------
    roll_ups: list[dict[str, Any]] = []
    for e in people:
        if e["months"] is None:
            continue
        entries: list[MonthEntry] = []
        for mo in e["months"]:
            pts = mo["points"]
            if mo.get("inputs") is not None:
                try:
                    mres = score_person(e["fw"], mo["inputs"], explain=False)
                except InputError as exc:
                    issues.extend(_prefix(list(exc.issues), mo["path"]))
                    continue
                pts = mres.points
            entries.append(MonthEntry(mo["month"], pts, mo["status"], mo["days_worked"]))
        if issues:
            continue
        try:
            ru: RollUpResult = roll_up(
                e["fw"],
                entries,
                role=e["role"],
                flags=e["year_flags"],
                discipline=e["year_discipline"],
            )
        except InputError as exc:
            issues.extend(_prefix(list(exc.issues), f"{e['path']}"))
            continue
        roll_ups.append({"person_id": e["id"], **ru.as_dict()})
    if issues:
        raise ScenarioError(issues)

    out_people = []
    for e in people:
        if e["id"] in results:
            d = results[e["id"]].as_dict()
            d["name"] = e["name"]
            d["unit"] = e["unit"]
            if e["criteria_set"] is not None:
                d["criteria_set"] = e["criteria_set"]
            out_people.append(d)
    out_units = []
    for uid in unit_ids:
        if uid in unit_results:
            ud = unit_results[uid].as_dict()
        else:
            ud = {
                "unit_id": uid,
                "status": "given" if uid in unit_rating else "not_scored",
                "rating": unit_rating.get(uid),
            }
        ud["name"] = unit_objs[uid].get("name", "")
        if uid in unit_set_of_unit:
            ud["criteria_set"] = unit_set_of_unit[uid]
        out_units.append(ud)
    out: dict[str, Any] = {
        "scenario": SCENARIO_SCHEMA_ID,
        "title": doc.get("title", ""),
        "period": _plain(doc.get("period")),
        "framework": fw.ref,
    }
    if sets:
        out["criteria_sets"] = [
            {
                "key": key,
                "part": part,
                "unit": unit,
                "default": default,
                "job_position": derived.job_position,
                "framework": derived.ref,
                "derived_from": derived.derived_from,
            }
            for key, (derived, part, unit, default) in sets.items()
        ]
    out.update(
        {
            "units": out_units,
            "people": out_people,
            "quota": [q.as_dict() for q in quota_results],
            "roll_ups": roll_ups,
        }
    )
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _person_inputs(
    r: _Reader, po: Mapping[str, Any], p: str, pid: str, role: str, entry: dict[str, Any]
) -> PersonInputs:
    facts = r.task_facts(po["task_facts"], f"{p}.task_facts") if po.get("task_facts") else None
    lines = r.task_lines(po.get("tasks", []), f"{p}.tasks") if po.get("tasks") else ()
    if facts is not None and lines:
        r.err(
            f"{p}.tasks",
            "one_task_form",
            "Chỉ dùng một trong “tasks” hoặc “task_facts”.",
            "Use either “tasks” or “task_facts”, not both.",
        )
    if facts is None and not lines:
        facts = {}
    leader = None
    if po.get("leader") is not None:
        lp = f"{p}.leader"
        lo = r.mapping(po["leader"], lp) or {}
        r.known(
            lo,
            {
                "d",
                "dd",
                "e",
                "staff_points",
                "in_charge_of",
                "organisation_shortcomings",
                "internal_conflict",
            },
            lp,
        )
        comps = {
            k: (r.number(lo[k], f"{lp}.{k}") if lo.get(k) is not None else None)
            for k in ("d", "dd", "e")
        }
        staff_points = None
        if lo.get("staff_points") is not None:
            sp = f"{lp}.staff_points"
            items = r.seq(lo["staff_points"], sp) or []
            read = [r.decimal(x, f"{sp}[{j}]") for j, x in enumerate(items)]
            staff_points = tuple(x for x in read if x is not None)
        if lo.get("in_charge_of") is not None:
            entry["in_charge_of"] = [
                str(x) for x in r.seq(lo["in_charge_of"], f"{lp}.in_charge_of") or []
            ]
        leader = LeaderFacts(
            d=comps["d"],
            dd=comps["dd"],
            e=comps["e"],
            staff_points=staff_points,
            organisation_shortcomings=(
                r.boolean(lo, "organisation_shortcomings", lp, False)
                if "organisation_shortcomings" in lo
                else None
            ),
            internal_conflict=(
                r.boolean(lo, "internal_conflict", lp, False) if "internal_conflict" in lo else None
            ),
        )
    discipline = _discipline(r, po.get("discipline", []), f"{p}.discipline")
    flags = _flags(r, po.get("flags", []), f"{p}.flags")
    return PersonInputs(
        person_id=pid,
        role=role,
        tasks=facts,
        task_lines=lines,
        manual=r.manual(po.get("general", {}), f"{p}.general"),
        given_points=r.given(po.get("given_points", {}), f"{p}.given_points"),
        targets=r.targets(po.get("targets", {}), f"{p}.targets"),
        leader=leader,
        bonus=r.adjustments(po.get("bonus", []), f"{p}.bonus"),
        penalty=r.adjustments(po.get("penalty", []), f"{p}.penalty"),
        flags=flags,
        discipline=discipline,
    )


def _months(
    r: _Reader, raw: Any, path: str, pid: str, role: str, po: Mapping[str, Any]
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for j, item in enumerate(r.seq(raw, path) or []):
        p = f"{path}[{j}]"
        mo = r.mapping(item, p)
        if mo is None:
            continue
        r.known(
            mo,
            {"month", "status", "days_worked", "points", "discipline", "flags", *_PERIOD_INPUTS},
            p,
        )
        month = r.integer(mo, "month", p, 0, minimum=1)
        status = r.choice(mo, "status", p, MONTH_STATUSES, "worked")
        days = mo.get("days_worked")
        days_worked = r.integer(mo, "days_worked", p, 0) if days is not None else None
        points = None
        if mo.get("points") is not None:
            points = r.decimal(mo["points"], f"{p}.points")
        inputs = None
        if any(mo.get(k) is not None for k in _PERIOD_INPUTS):
            inputs = _person_inputs(r, mo, p, pid, role, {"in_charge_of": None})
            discipline, flags = inputs.discipline, inputs.flags
        else:  # a month given as points may still record discipline for the year
            discipline = _discipline(r, mo.get("discipline", []), f"{p}.discipline")
            flags = _flags(r, mo.get("flags", []), f"{p}.flags")
        out.append(
            {
                "month": month,
                "status": status,
                "days_worked": days_worked,
                "points": points,
                "inputs": inputs,
                "discipline": discipline,
                "flags": flags,
                "path": p,
            }
        )
    return out


def _unit_facts(fw: Framework, members: list[dict[str, Any]]) -> dict[str, KindFacts]:
    total: dict[str, KindFacts] = {}
    for e in members:
        inp: PersonInputs = e["inputs"]
        facts = inp.tasks if inp.tasks is not None else aggregate_tasks(fw, inp.task_lines)
        for kind, f in facts.items():
            total[kind] = total.get(kind, KindFacts()) + f
    return total


def _with_staff_points(
    fw: Framework,
    e: dict[str, Any],
    people: list[dict[str, Any]],
    results: Mapping[str, PersonResult],
    inp: PersonInputs,
    parents: Mapping[str, str | None],
) -> PersonInputs:
    """d's facts for a leader: the points and "not completed" ratings of those in their
    charge — `in_charge_of` when given, else for a head the framework's
    `unit_result_scope` (the unit with its sub-units, or the unit's own officials without
    its heads). Those not scored are left out."""
    lf = inp.leader or LeaderFacts()
    if lf.d is not None or lf.staff_points is not None or lf.staff_not_completed is not None:
        return inp
    if e["in_charge_of"] is not None:
        ids = e["in_charge_of"]
    elif e["role"] in fw.rating.head_roles and e["unit"] is not None:
        if fw.rating.unit_result_scope == "unit_members":
            ids = [
                o["id"]
                for o in people
                if o["unit"] == e["unit"]
                and o["id"] != e["id"]
                and o["role"] not in fw.rating.head_roles
            ]
        else:
            ids = [
                o["id"]
                for o in people
                if o["id"] != e["id"] and _within(o["unit"], e["unit"], parents)
            ]
    else:
        return inp
    scored = [results[i] for i in ids if i in results and results[i].points is not None]
    return replace(
        inp,
        leader=replace(
            lf,
            staff_points=tuple(r.points for r in scored if r.points is not None),
            staff_not_completed=tuple(r.rating == "not_completed" for r in scored),
        ),
    )


def _check_scopes(
    r: _Reader,
    fw: Framework,
    by_unit: bool,
    people: list[dict[str, Any]],
    listed: list[tuple[str, list[str], Fraction | None]],
) -> None:
    """Groups the framework's `quota.scopes` do not have are refused, not ignored."""
    scopes = ", ".join(fw.quota.scopes) or "—"
    if by_unit and "unit" not in fw.quota.scopes:
        r.err(
            "options.quota_by_unit",
            "quota_scope",
            f"Khung không áp tỷ lệ theo đơn vị (quota.scopes: {scopes}).",
            f"The framework does not apply the quota per unit (quota.scopes: {scopes}).",
        )
    if "duty_group" in fw.quota.scopes:
        return
    where = [f"{e['path']}.duty_group" for e in people if e["duty_group"] is not None]
    where += ["quota_groups"] if listed else []
    for path in where[:1]:
        r.err(
            path,
            "quota_scope",
            "Khung không áp tỷ lệ theo nhóm có chức trách, nhiệm vụ tương đồng "
            f"(quota.scopes: {scopes}).",
            f"The framework does not apply the quota per group of similar duties "
            f"(quota.scopes: {scopes}).",
        )


def _quota_groups(
    fw: Framework,
    by_unit: bool,
    unit_ids: list[str],
    people: list[dict[str, Any]],
    listed: list[tuple[str, list[str], Fraction | None]],
) -> list[tuple[str, list[str], Fraction | None]]:
    """Art. 20(5): the groups the quota is checked in, as the framework's `quota.scopes`
    says — each unit, and each group of officials with similar duties (a person's
    `duty_group`, plus the groups listed in `quota_groups`)."""
    out: list[tuple[str, list[str], Fraction | None]] = []
    if by_unit:
        for uid in unit_ids:
            members = [e["id"] for e in people if e["unit"] == uid]
            if members:
                out.append((f"unit:{uid}", members, None))
    if "duty_group" in fw.quota.scopes:
        duty: dict[str, list[str]] = {}
        for e in people:
            if e["duty_group"] is not None:
                duty.setdefault(str(e["duty_group"]), []).append(e["id"])
        out.extend((f"duty:{key}", members, None) for key, members in duty.items())
        out.extend(listed)
    return out


def _within(unit: str | None, top: str, parents: Mapping[str, str | None]) -> bool:
    """Whether ``unit`` is ``top`` or lies below it (a cycle ends the walk)."""
    seen: set[str] = set()
    while unit is not None and unit not in seen:
        if unit == top:
            return True
        seen.add(unit)
        unit = parents.get(unit)
    return False


def _discipline(r: _Reader, raw: Any, path: str) -> tuple[str, ...]:
    out: list[str] = []
    for j, d in enumerate(r.seq(raw, path) or []):
        level = d.get("level") if isinstance(d, Mapping) else d
        if level not in DISCIPLINE_LEVELS:
            r.err(
                f"{path}[{j}]",
                "enum",
                "Mức kỷ luật: " + ", ".join(DISCIPLINE_LEVELS) + ".",
                "Discipline level: " + ", ".join(DISCIPLINE_LEVELS) + ".",
            )
        else:
            out.append(str(level))
    return tuple(out)


def _flags(r: _Reader, raw: Any, path: str) -> frozenset[str]:
    return frozenset(str(f) for f in (r.seq(raw, path) or []))


_SetTable = dict[str, tuple[Framework, str, str | None, bool]]


def _criteria_sets(
    r: _Reader, fw: Framework, raw: Any, unit_objs: Mapping[str, Any]
) -> tuple[_SetTable, dict[str, str], dict[str, str]]:
    """Derive each criteria set from the scenario's framework.

    Returns {key: (framework, part, unit, default)} and, per unit, the key of its default
    set for people and for the unit itself.
    """
    sets: _SetTable = {}
    person_default: dict[str, str] = {}
    unit_default: dict[str, str] = {}
    for i, item in enumerate(r.seq(raw, "criteria_sets") or []):
        p = f"criteria_sets[{i}]"
        so = r.mapping(item, p)
        if so is None:
            continue
        key = r.key(so, p)
        if key in sets:
            r.err(
                f"{p}.key",
                "duplicate_key",
                f"Bộ tiêu chí “{key}” bị trùng.",
                f"Duplicate criteria set “{key}”.",
            )
            continue
        unit = so.get("unit")
        if unit is not None and str(unit) not in unit_objs:
            r.err(
                f"{p}.unit",
                "unknown_unit",
                f"Không có đơn vị “{unit}” trong units.",
                f"No unit “{unit}” in units.",
            )
        default = r.boolean(so, "default", p, False)
        part = str(so.get("part", "individual"))
        spec = {k: v for k, v in so.items() if k not in _CRITERIA_SET_FIELDS}
        spec_issues: list[Issue] = []
        removed = spec.get("remove")
        for j, k in enumerate(removed if isinstance(removed, list | tuple) else []):
            if not isinstance(k, str):
                spec_issues.append(
                    Issue(
                        f"{p}.remove[{j}]",
                        "type",
                        "Phải là mã (key) của một tiêu chí.",
                        "Must be the key of a criterion.",
                    )
                )
        if spec_issues:
            r.issues.extend(spec_issues)
            continue
        try:
            derived = derive_criteria_set(fw, spec)
        except FrameworkError as exc:
            r.issues.extend(_prefix(list(exc.issues), p))
            continue
        sets[key] = (derived, part, str(unit) if unit is not None else None, default)
        if not default:
            continue
        if unit is None:
            r.err(
                f"{p}.default",
                "required",
                "Bộ tiêu chí mặc định phải gắn với một đơn vị (unit).",
                "A default criteria set needs its unit.",
            )
            continue
        table = person_default if part == "individual" else unit_default
        if str(unit) in table:
            r.err(
                f"{p}.default",
                "duplicate_default",
                f"Đơn vị “{unit}” đã có bộ tiêu chí mặc định “{table[str(unit)]}”.",
                f"Unit “{unit}” already has the default criteria set “{table[str(unit)]}”.",
            )
            continue
        table[str(unit)] = key
    return sets, person_default, unit_default
