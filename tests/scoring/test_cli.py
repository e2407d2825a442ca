"""The ``thuocdo score`` command."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

from thuocdo.cli import main

from .conftest import EXAMPLES


def run(*argv: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_a_bad_scenario_exits_non_zero_and_names_each_problem() -> None:
    code, out, err = run("score", str(EXAMPLES / "bad-scenario.yaml"))
    assert code == 2
    assert out == ""
    assert "people[0].tasks[0].done [done_above_quantity]" in err
    assert "people[0].tasks[1].kind [enum]" in err
    assert "Loại nhiệm vụ" in err


def test_a_missing_file_and_broken_syntax_are_clear(tmp_path: Path) -> None:
    code, _, err = run("score", str(tmp_path / "nope.yaml"))
    assert code == 2
    assert "cannot read" in err
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json", "utf-8")
    code, _, err = run("score", str(bad))
    assert code == 2
    assert "invalid JSON" in err


def test_json_input_and_no_breakdown(tmp_path: Path) -> None:
    doc = {
        "framework": "decree-335-2025",
        "people": [
            {
                "id": "p",
                "given_points": {"general": 27.5},
                "task_facts": {"planned": {"w": 2, "done": 2, "done_q": 1.5, "done_t": 2}},
            }
        ],
    }
    path = tmp_path / "s.json"
    path.write_text(json.dumps(doc), "utf-8")
    code, out, _ = run("score", str(path), "--no-breakdown")
    assert code == 0
    (person,) = json.loads(out)["people"]
    assert "breakdown" not in person
    assert person["points"] == "91.67"  # 27.5 + 70 × (1 + 0.75 + 1) ÷ 3


def test_explain_prints_readable_vietnamese() -> None:
    code, out, _ = run("score", str(EXAMPLES / "worked-example-non-leader.yaml"), "--explain")
    assert code == 0
    assert "Điểm: 76.10" in out
    assert "a. Số lượng: 75%" in out


def test_the_console_script_does_not_import_django() -> None:
    code = "import sys, thuocdo.cli; thuocdo.cli.build_parser(); assert 'django' not in sys.modules"
    src = str(Path(__file__).resolve().parents[2] / "src")
    subprocess.run([sys.executable, "-c", code], check=True, env={"PYTHONPATH": src})


def test_schema_subcommand_prints_json() -> None:
    code, out, _ = run("schema", "scenario")
    assert code == 0
    assert json.loads(out)["title"] == "Thước đo scoring scenario"


def test_an_unknown_preset_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("framework: decree-999\npeople: []\n", "utf-8")
    code, _, err = run("score", str(path))
    assert code == 2
    assert "framework [unknown_preset]" in err


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path: Path) -> None:
    """`thuocdo score big.yaml | head`: the closed pipe ends the command quietly."""
    people = [
        {
            "id": f"p{i}",
            "unit": "u",
            "given_points": {"general": "27"},
            "tasks": [{"kind": "planned", "quantity": 1, "coefficient": "1", "completed": True}],
        }
        for i in range(300)
    ]
    big = tmp_path / "big.json"
    big.write_text(
        json.dumps(
            {
                "scenario": "thuocdo/scenario@1",
                "framework": "decree-335-2025",
                "units": [{"id": "u", "rating": "good"}],
                "people": people,
            }
        ),
        "utf-8",
    )
    src = str(Path(__file__).resolve().parents[2] / "src")
    command = [sys.executable, "-m", "thuocdo.cli", "score", str(big)]
    cli = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={"PYTHONPATH": src},
    )
    assert cli.stdout is not None and cli.stderr is not None
    assert cli.stdout.read(10)  # read a little, then hang up
    cli.stdout.close()
    err = cli.stderr.read().decode()
    assert cli.wait(timeout=60) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err
