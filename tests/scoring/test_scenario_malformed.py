"""Malformed scenarios: every problem is a bilingual issue with a path; `thuocdo score`
exits 2 and never prints a traceback.

The property tests start from the valid examples (and the same people with the preset
written inline as the framework) and break them: a node replaced by junk (None, NUL bytes,
"1e308", forty nines, floats, negative numbers, lone surrogates, nested lists and objects,
booleans), a key deleted, the whole document replaced.
"""

from __future__ import annotations

import copy
import json
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from thuocdo.cli import main
from thuocdo.scoring import Issue, ScenarioError, loads_document, run_scenario
from thuocdo.scoring.presets import preset_data

from .conftest import EXAMPLES

# -- helpers ------------------------------------------------------------------------------


def _load(name: str) -> Any:
    return loads_document((EXAMPLES / name).read_text("utf-8"), name=name)


def _bases() -> list[Any]:
    docs = [_load(p.name) for p in sorted(EXAMPLES.glob("*.yaml"))]
    inline = []
    for name in ("worked-example-non-leader.yaml", "leader-and-unit.yaml"):
        doc = _load(name)
        doc["framework"] = preset_data("decree-335-2025")
        inline.append(doc)
    ban = _load("ban-unit-and-staff.yaml")
    ban["framework"] = preset_data("ban-cscl-2025")
    return [*docs, *inline, ban]


BASES = _bases()


def score(*argv: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    code = main(["score", *argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def score_text(text: str, suffix: str = ".yaml", *argv: str) -> tuple[int, str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"scenario{suffix}"
        path.write_text(text, "utf-8", errors="surrogatepass")
        return score(str(path), *argv)


def issues_of(data: Any) -> list[tuple[str, str]]:
    with pytest.raises(ScenarioError) as info:
        run_scenario(data)
    return [(i.path, i.rule) for i in info.value.issues]


def head(**leader: Any) -> dict[str, Any]:
    """A unit head with d derived from ``leader``; the unit gives the head rule a rating."""
    return {
        "framework": "decree-335-2025",
        "units": [{"id": "u", "rating": "excellent"}],
        "people": [
            {
                "id": "h",
                "unit": "u",
                "role": "head",
                "given_points": {"general": "29"},
                "task_facts": {"planned": {"w": 2, "done": 2, "done_q": 2, "done_t": 2}},
                "leader": {
                    "organisation_shortcomings": False,
                    "internal_conflict": False,
                    **leader,
                },
            }
        ],
    }


def node(tree: dict[str, Any], key: str) -> dict[str, Any]:
    def walk(n: dict[str, Any]) -> Iterator[dict[str, Any]]:
        yield n
        for c in n.get("children", []):
            yield from walk(c)

    return next(n for n in walk(tree) if n["key"] == key)


# -- JSON text with exact numbers (Decimals written as number tokens) ----------------------


def to_json(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ",".join(f"{to_json(str(k))}:{to_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return str(value) if value.is_finite() else "NaN"
    if isinstance(value, Fraction):
        return json.dumps(str(value))
    return json.dumps(value)  # str (lone surrogates escaped), int, float (NaN, Infinity)


# -- strategies ----------------------------------------------------------------------------

JUNK_TEXT = [
    "",
    "\x00",
    "72\x00",
    "1e308",
    "9" * 40,
    "-9" + "9" * 40,
    "0." + "0" * 40 + "1",
    "9" * 5000,
    "NaN",
    "-1",
    "72.5",
    "0.1",
    "\ud800",
    "planned",
    "head",
    "excellent",
    "decree-335-2025",
    "nobody",
]
JUNK_NUMBERS = [
    Decimal("1E+308"),
    Decimal("1E-999999"),
    Decimal("9" * 40),
    Decimal("-0.5"),
    Decimal("72.5"),
    Decimal("NaN"),
    10**40,
    -(10**40),
    2**70,
    10**15 - 1,
    Decimal("999999999999999.999999999"),
]
# the hostile values drawn half the time, plain junk the other half
hostile = st.sampled_from([*JUNK_TEXT, *JUNK_NUMBERS])
junk = st.one_of(
    hostile,
    hostile,
    hostile,
    hostile,
    hostile,
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
)
KEYS = ["id", "key", "kind", "quantity", "points", "staff_points", "unit", "w", "done", "x"]
values = st.recursive(
    junk,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(x: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(x, dict):
        for k, v in x.items():
            yield from _paths(v, (*path, k))
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from _paths(v, (*path, i))


def _get(x: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        x = x[p]
    return x


@st.composite
def malformed(draw: st.DrawFn) -> Any:
    doc = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 3, 5]))):
        paths = list(_paths(doc))
        leaves = [p for p in paths if p and not isinstance(_get(doc, p), dict | list)]
        # mostly a scalar (where numbers and names are read), else any node
        path = draw(st.sampled_from(leaves if leaves and draw(st.booleans()) else paths))
        if not path:
            if draw(st.integers(0, 9)) == 0:  # a document that is not an object
                return draw(values)
            continue
        parent = _get(doc, path[:-1])
        if isinstance(parent, dict) and draw(st.integers(0, 4)) == 0:
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(values)
    return doc


# -- properties ----------------------------------------------------------------------------


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(doc=malformed(), through_cli=st.integers(0, 4))
def test_malformed_scenarios_give_issues_never_exceptions(doc: Any, through_cli: int) -> None:
    issues: tuple[Issue, ...] = ()
    try:  # only ScenarioError may come out
        result = run_scenario(doc)
    except ScenarioError as exc:
        issues = exc.issues
        assert issues
    else:
        json.dumps(result, ensure_ascii=False).encode("utf-8")  # JSON-ready, valid text
    for issue in issues:
        assert isinstance(issue.path, str)
        assert issue.rule and issue.message_vi and issue.message_en
    if through_cli == 0:  # a fifth of them through the console script too, as JSON text
        code, out, err = score_text(to_json(doc), ".json")
        assert code in (0, 2), err
        assert "Traceback" not in out + err
        if code == 2:
            assert out == ""
            assert "[" in err and "]:" in err  # path [rule]: English / Vietnamese
        else:
            json.loads(out)


# -- staff points (issue 12 point 3) -------------------------------------------------------


@pytest.mark.parametrize("points", ["72.5", 72, Decimal("72.5"), " 72.50 ", "+72.5"])
def test_staff_points_in_any_exact_form_derive_d(points: Any) -> None:
    result = run_scenario(head(staff_points=[points]))
    (person,) = result["people"]
    d = node(person["breakdown"], "d")
    assert d["inputs"]["source"] == "derived"
    assert d["inputs"]["staff_count"] == "1"
    assert d["inputs"]["below_completed"] == "0"
    assert d["ratio"]["exact"] == "1"
    assert person["points"] == "99.00"


def test_a_staff_point_below_completed_halves_d() -> None:
    result = run_scenario(head(staff_points=["72.5", "49.99"]))
    d = node(result["people"][0]["breakdown"], "d")
    assert d["inputs"]["below_completed"] == "1"
    assert d["ratio"]["exact"] == "1/2"


def test_staff_points_as_documented_through_the_cli() -> None:
    text = """\
framework: decree-335-2025
units: [{id: u, rating: excellent}]
people:
  - id: h
    unit: u
    role: head
    given_points: {general: "29"}
    task_facts: {planned: {w: 2, done: 2, done_q: 2, done_t: 2}}
    leader: {staff_points: ["72.5", 72, 72.5], organisation_shortcomings: false,
             internal_conflict: false}
"""
    code, out, err = score_text(text, ".yaml", "--no-breakdown")
    assert code == 0, err
    assert json.loads(out)["people"][0]["points"] == "99.00"


@pytest.mark.parametrize(
    ("points", "rule"),
    [
        (72.5, "number"),  # a Python float: inexact (YAML's 72.5 arrives as Decimal)
        ("72\x00", "number"),
        ("1e308", "number"),
        (None, "number"),
        ([], "number"),
        ("-1", "range"),
        ("9" * 40, "range"),
        (Decimal("1E+308"), "range"),
        (Fraction(1, 3), "number"),  # no terminating decimal
        ("0.0000000001", "range"),  # more than 9 decimal places
    ],
)
def test_bad_staff_points_are_issues_with_their_path(points: Any, rule: str) -> None:
    assert ("people[0].leader.staff_points[0]", rule) in issues_of(head(staff_points=[points]))


def test_staff_points_not_a_list() -> None:
    assert ("people[0].leader.staff_points", "type") in issues_of(head(staff_points="72.5"))


# -- huge numbers --------------------------------------------------------------------------


def _worked_example() -> Any:
    return _load("worked-example-non-leader.yaml")


@pytest.mark.parametrize(
    "value",
    [Decimal("1E+308"), Decimal("1E-999999999"), Decimal("9" * 40), "9" * 40, 10**40],
)
@pytest.mark.parametrize("field", ["quantity", "coefficient"])
def test_huge_numbers_are_refused_quickly(value: Any, field: str) -> None:
    doc = _worked_example()
    doc["people"][0]["tasks"][0][field] = value
    assert (f"people[0].tasks[0].{field}", "range") in issues_of(doc)


def test_the_largest_numbers_allowed_still_score() -> None:
    doc = _worked_example()
    doc["people"][0]["bonus"] = [{"points": "999999999999999.999999999", "reason": "x"}]
    doc["people"][0]["tasks"][0]["quantity"] = "999999999999999"
    doc["people"][0]["tasks"][0]["done"] = "999999999999999"
    result = run_scenario(doc)
    assert result["people"][0]["status"] == "scored"


Q = "people[0].tasks[0].quantity"


@pytest.mark.parametrize(
    ("text", "path", "rule"),
    [
        ("[{kind: planned, quantity: 1.0e+308, done: 1}]", Q, "range"),
        ("[{kind: planned, quantity: 1.0e-999999999, done: 0}]", Q, "range"),
        ('[{kind: planned, quantity: "1e308", done: 1}]', Q, "number"),
        (f"[{{kind: planned, quantity: {'9' * 40}, done: 1}}]", Q, "range"),
        (f'[{{kind: planned, quantity: "{"9" * 40}", done: 1}}]', Q, "range"),
        ('[{kind: planned, quantity: "1\\0", done: 1}]', Q, "number"),
        (
            "[{kind: planned, quantity: 1, coefficient: -1.5, done: 1}]",
            Q[:-8] + "coefficient",
            "range",
        ),
        ("{kind: planned}", "people[0].tasks", "type"),
        ("[[planned]]", "people[0].tasks[0]", "type"),
    ],
)
def test_the_cli_names_the_path_and_rule_and_exits_2(text: str, path: str, rule: str) -> None:
    doc = "framework: decree-335-2025\npeople:\n  - id: p\n    given_points: {general: 27}\n"
    code, out, err = score_text(f"{doc}    tasks: {text}\n")
    assert code == 2
    assert out == ""
    assert f"{path} [{rule}]" in err
    assert "Traceback" not in err


# -- wrong types and documents that are not scenarios -------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- 1\n- 2\n", "$ [type]"),
        ("", "$ [type]"),
        ("framework: decree-335-2025\npeople: x\n", "people [type]"),
        ("framework: decree-335-2025\npeople: [7]\n", "people[0] [type]"),
        ("framework: decree-335-2025\npeople: [{id: a, leader: [1]}]\n", "people[0].leader [type]"),
        (
            "framework: decree-335-2025\npeople: [{id: a, unit: [u]}]\n",
            "people[0].unit [unknown_unit]",
        ),
        ("framework: decree-335-2025\ntitle: 1.5\npeople: []\n", "title [type]"),
        ("framework: decree-335-2025\npeople: [{id: a, name: {x: 1}}]\n", "people[0].name [type]"),
        ("framework: 7\npeople: []\n", "framework [required]"),
        ("framework: nope\npeople: []\n", "framework [unknown_preset]"),
        ("framework: {preset: nope}\npeople: []\n", "framework.preset [unknown_preset]"),
        ("framework: {id: x}\npeople: []\n", "framework.version [required]"),
        ("framework: decree-335-2025\nperiod: !!binary aGVsbG8=\npeople: []\n", "period [type]"),
        ("framework: decree-335-2025\nperiod: &a [*a]\npeople: []\n", "period[0] [cycle]"),
        ("framework: decree-335-2025\nperiod: " + "[" * 80 + "]" * 80 + "\n", "[depth]"),
        ('{"framework": "decree-335-2025", "title": "\\ud800", "people": []}', "title [text]"),
        ('{"framework": "decree-335-2025", "period": NaN, "people": []}', "period [number]"),
        ("a: [1\n", "line 2, column 1 [syntax]"),
        ("a: " + "9" * 5000 + "\n", "$ [range]"),
        ("[" * 100_000 + "]" * 100_000, "$ [depth]"),
    ],
)
def test_bad_documents_exit_2_with_path_and_rule(text: str, expected: str) -> None:
    code, out, err = score_text(text)
    assert code == 2, err
    assert out == ""
    assert expected in err
    assert "Traceback" not in err


def test_yaml_aliases_that_expand_without_end_are_refused_at_once() -> None:
    lines = ["framework: decree-335-2025", "people: []", "x0: &a0 [1, 2, 3, 4, 5, 6, 7, 8]"]
    lines += [f"x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 8)}]" for i in range(1, 10)]
    lines.append("period: *a9")
    code, _, err = score_text("\n".join(lines) + "\n")
    assert code == 2
    assert "$ [size]" in err


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_bytes(b"title: \xff\xfe\n")
    code, _, err = score(str(path))
    assert code == 2
    assert "[encoding]" in err and "UTF-8" in err


# -- framework data -----------------------------------------------------------------------


def _with_framework(change: Any) -> Any:
    doc = _worked_example()
    fw = preset_data("decree-335-2025")
    change(fw)
    doc["framework"] = fw
    return doc


def test_an_inline_framework_with_huge_numbers() -> None:
    doc = _with_framework(lambda fw: fw["individual"].update(max_points=Decimal("1E+400")))
    assert ("framework.individual.max_points", "range") in issues_of(doc)


def test_an_inline_framework_rounding_to_absurd_places() -> None:
    doc = _with_framework(lambda fw: fw["settings"].update(rounding={"places": 10**14}))
    assert ("framework.settings.rounding.places", "range") in issues_of(doc)


def test_an_inline_framework_with_notes_that_are_not_text() -> None:
    doc = _with_framework(lambda fw: fw.update(notes_vi=Decimal("1.5"), source=["x"]))
    found = issues_of(doc)
    assert ("framework.notes_vi", "type") in found
    assert ("framework.source", "type") in found


def test_a_criteria_set_removing_something_that_is_not_a_key() -> None:
    doc = _load("criteria-set.yaml")
    doc["criteria_sets"][0]["remove"] = [["a_other"]]
    doc["criteria_sets"][0]["weights"] = {"volume": "1e308"}
    found = issues_of(doc)
    assert ("criteria_sets[0].remove[0]", "type") in found


def test_a_criteria_set_with_a_huge_weight() -> None:
    doc = _load("criteria-set.yaml")
    doc["criteria_sets"][0]["weights"] = {"volume": Decimal("1E-999999999")}
    assert ("criteria_sets[0].weights.volume", "range") in issues_of(doc)


# -- exit codes and help ------------------------------------------------------------------


def test_an_internal_error_exits_1_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import thuocdo.scoring

    def broken(data: Any, *, explain: bool = True) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(thuocdo.scoring, "run_scenario", broken)
    path = str(EXAMPLES / "worked-example-non-leader.yaml")
    code, out, err = score(path)
    assert code == 1
    assert out == ""
    assert "internal error" in err and "lỗi nội bộ" in err and "RuntimeError: boom" in err
    assert "Traceback" not in err
    code, _, err = score(path, "--traceback")
    assert code == 1
    assert "Traceback" in err


def test_the_help_lists_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["score", "--help"])
    assert info.value.code == 0
    help_text = capsys.readouterr().out
    assert "exit codes / mã thoát" in help_text
    for line in ("  0  scored", "  2  the input cannot be scored", "  1  internal error"):
        assert line in help_text
