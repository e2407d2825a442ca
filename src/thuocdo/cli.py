"""The ``thuocdo`` console script.

Subcommands register themselves in :data:`COMMANDS`; each imports what it needs when it
runs, so ``thuocdo --help`` never loads Django.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

__all__ = ["COMMANDS", "build_parser", "main"]

Handler = Callable[[argparse.Namespace, TextIO, TextIO], int]
COMMANDS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], Handler]] = {}


def command(
    name: str, setup: Callable[[argparse.ArgumentParser], None]
) -> Callable[[Handler], Handler]:
    """Register a subcommand: ``setup`` adds its arguments, the handler runs it."""

    def register(handler: Handler) -> Handler:
        COMMANDS[name] = (setup, handler)
        return handler

    return register


# -- score ------------------------------------------------------------------------------
def _score_args(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Chấm điểm một kịch bản (JSON hoặc YAML) và in kết quả JSON. / "
        "Score a scenario (JSON or YAML) and print JSON."
    )
    p.add_argument("scenario", help="scenario file (.json, .yaml, .yml) or - for stdin")
    p.add_argument(
        "--explain",
        action="store_true",
        help="print each person's breakdown as readable text instead of JSON",
    )
    p.add_argument("--lang", choices=("vi", "en"), default="vi", help="language for --explain")
    p.add_argument(
        "--no-breakdown", action="store_true", help="leave the breakdown trees out of the JSON"
    )
    p.add_argument("--indent", type=int, default=2, help="JSON indent (0 for compact)")


def _error(stderr: TextIO, title: str, issues: Sequence[Any] = ()) -> int:
    stderr.write(f"thuocdo score: {title}\n")
    for issue in issues:
        stderr.write(
            f"  - {issue.path or '$'} [{issue.rule}]: {issue.message_en}\n    {issue.message_vi}\n"
        )
    return 2


@command("score", _score_args)
def _score(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from thuocdo.scoring import (
        DocumentError,
        ScoringError,
        loads_document,
        render_text,
        run_scenario,
    )

    name = str(args.scenario)
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except OSError as exc:
        return _error(stderr, f"cannot read {name}: {exc.strerror or exc}")
    try:
        data = loads_document(text, name=name)
        result = run_scenario(data, explain=not args.no_breakdown or args.explain)
    except DocumentError as exc:
        return _error(stderr, f"{name}: {exc}")
    except ScoringError as exc:
        return _error(stderr, f"{name}: {exc.kind_en} / {exc.kind_vi}", exc.issues)
    if args.explain:
        stdout.write(_explain_text(result, args.lang, render_text))
        return 0
    if args.no_breakdown:
        for p in result["people"]:
            p.pop("breakdown", None)
        for u in result["units"]:
            u.pop("breakdown", None)
    json.dump(result, stdout, ensure_ascii=False, indent=args.indent or None)
    stdout.write("\n")
    return 0


def _explain_text(result: dict[str, Any], lang: str, render: Callable[..., str]) -> str:
    vi = lang == "vi"
    out: list[str] = []
    for p in result["people"]:
        title = f"{p.get('name') or p['person_id']} ({p['person_id']}, {p['role']})"
        out.append("=" * len(title))
        out.append(title)
        if p["status"] != "scored":
            out.append(p["reason_vi"] if vi else p["reason_en"])
            continue
        out.append(
            ("Điểm: " if vi else "Points: ")
            + str(p["points"])
            + (f" (chính xác {p['exact']})" if vi else f" (exact {p['exact']})")
            + " — "
            + (p["rating_label_vi"] if vi else p["rating"])
        )
        for ch in p["rating_changes"]:
            out.append(
                ("  Điều chỉnh xếp loại: " if vi else "  Rating changed: ")
                + f"{ch['from']} → {ch['to']}: "
                + (ch["reason_vi"] if vi else ch["reason_en"])
            )
        if p.get("breakdown"):
            out.append(render(p["breakdown"], lang=lang))
    for q in result["quota"]:
        if not q["holds_before"]:
            out.append(
                ("Tỷ lệ " if vi else "Quota ")
                + f"{q['group']}: "
                + ", ".join(f"{d['person_id']} ({d['points']})" for d in q["demotions"])
                + "".join(f"; tie {t['candidates']} choose {t['choose']}" for t in q["ties"])
            )
    return "\n".join(out) + "\n"


# -- schema -----------------------------------------------------------------------------
def _schema_args(p: argparse.ArgumentParser) -> None:
    p.description = "In JSON Schema của khung hoặc kịch bản. / Print a JSON Schema."
    p.add_argument("which", choices=("framework", "scenario"))


@command("schema", _schema_args)
def _schema(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from thuocdo.scoring import framework_json_schema, scenario_json_schema

    schema = framework_json_schema() if args.which == "framework" else scenario_json_schema()
    json.dump(schema, stdout, ensure_ascii=False, indent=2)
    stdout.write("\n")
    return 0


# -- entry point ------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="thuocdo", description="Thước đo — đánh giá hiệu suất công tác theo KPI."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (setup, _handler) in COMMANDS.items():
        setup(sub.add_parser(name))
    return parser


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help(out)
        return 1
    return COMMANDS[args.command][1](args, out, err)


if __name__ == "__main__":
    raise SystemExit(main())
