"""The ``thuocdo`` console script.

Subcommands register themselves in :data:`COMMANDS`; each imports what it needs when it
runs, so ``thuocdo --help`` never loads Django.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from thuocdo.scoring.errors import Issue

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
EXIT_OK = 0
EXIT_INTERNAL = 1  # a bug in thuocdo (or no command given)
EXIT_BAD_INPUT = 2  # the input cannot be scored: every problem is listed on stderr
SCORE_EXIT_CODES = """\
exit codes / mã thoát:
  0  scored; the result is on stdout
     đã chấm; kết quả in ra stdout
  2  the input cannot be scored: unreadable file, not UTF-8, JSON/YAML syntax, not an
     object, a rule of the scenario or of its framework broken (inline framework, preset,
     criteria set). Each problem is printed on stderr: path [rule]: English / tiếng Việt
     không chấm được: tệp không đọc được, không phải UTF-8, sai cú pháp JSON/YAML, không
     phải đối tượng, vi phạm quy tắc của kịch bản hoặc khung (khung viết trong tệp, khung
     mẫu, bộ tiêu chí). Mỗi lỗi in ra stderr: đường dẫn [quy tắc]: tiếng Anh / tiếng Việt
  1  internal error (a bug: please report it with the file; --traceback shows details)
     lỗi nội bộ (lỗi của chương trình: xin báo lại kèm tệp; --traceback để xem chi tiết)
"""


def _score_args(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Chấm điểm một kịch bản (JSON hoặc YAML) và in kết quả JSON. / "
        "Score a scenario (JSON or YAML) and print JSON."
    )
    p.epilog = SCORE_EXIT_CODES
    p.formatter_class = argparse.RawDescriptionHelpFormatter
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
    p.add_argument(
        "--traceback",
        action="store_true",
        help="on an internal error (exit 1), also print the Python traceback",
    )


def _error(stderr: TextIO, title: str, issues: Sequence[Any] = ()) -> int:
    stderr.write(f"thuocdo score: {title}\n")
    for issue in issues:
        stderr.write(
            f"  - {issue.path or '$'} [{issue.rule}]: {issue.message_en}\n    {issue.message_vi}\n"
        )
    return EXIT_BAD_INPUT


def _document_issue(exc: BaseException) -> Issue:
    """Why the text is not a JSON or YAML document, located where the parser stopped."""
    from thuocdo.scoring.errors import Issue

    cause = exc.__cause__
    # the parsers' own errors are syntax; a ValueError or RecursionError is a limit
    syntax = not isinstance(cause, RecursionError) and (
        isinstance(cause, json.JSONDecodeError) or not isinstance(cause, ValueError)
    )
    mark = getattr(cause, "problem_mark", None) or getattr(cause, "context_mark", None)
    line, column = getattr(cause, "lineno", None), getattr(cause, "colno", None)
    if mark is not None:  # YAML counts from 0
        line, column = mark.line + 1, mark.column + 1
    located = isinstance(line, int) and isinstance(column, int)
    path = f"line {line}, column {column}" if located else "$"
    at_vi = f" (dòng {line}, cột {column})" if located else ""
    if syntax:
        lang = "JSON" if "JSON" in str(exc) else "YAML"
        return Issue(path, "syntax", f"Cú pháp {lang} không hợp lệ{at_vi}.", str(exc))
    if isinstance(cause, RecursionError):
        return Issue(
            path,
            "depth",
            "Tài liệu lồng nhau quá sâu, không đọc được.",
            "The document is nested too deeply to be read.",
        )
    return Issue(  # the parsers refuse integers past Python's limit of 4300 digits
        path,
        "range",
        "Có số nguyên quá nhiều chữ số (hơn 4300), không đọc được.",
        "An integer has too many digits (more than 4300) to be read.",
    )


@command("score", _score_args)
def _score(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from thuocdo.scoring import DocumentError, Issue, ScoringError, loads_document

    name = str(args.scenario)
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return _error(
            stderr,
            f"cannot read {name} / không đọc được tệp {name}",
            [
                Issue(
                    "$",
                    "read",
                    f"Không đọc được tệp: {reason}.",
                    f"Cannot read the file: {reason}.",
                )
            ],
        )
    except UnicodeDecodeError as exc:
        return _error(
            stderr,
            f"{name}: not UTF-8 text / không phải văn bản UTF-8",
            [
                Issue(
                    f"byte {exc.start}",
                    "encoding",
                    "Lưu tệp ở mã UTF-8.",
                    "Save the file as UTF-8.",
                )
            ],
        )
    try:
        data = loads_document(text, name=name)
    except DocumentError as exc:
        title = f"{name}: invalid document / tài liệu không hợp lệ"
        return _error(stderr, title, [_document_issue(exc)])
    try:
        output = _score_output(data, args)
    except ScoringError as exc:
        return _error(stderr, f"{name}: {exc.kind_en} / {exc.kind_vi}", exc.issues)
    except Exception as exc:  # a bug: say so in one line rather than with a traceback
        stderr.write(
            f"thuocdo score: {name}: internal error, please report it with the file / "
            f"lỗi nội bộ, xin báo lại kèm tệp: {type(exc).__name__}: {exc}\n"
        )
        if args.traceback:
            traceback.print_exc(file=stderr)
        else:
            stderr.write("  (--traceback prints the details / --traceback để xem chi tiết)\n")
        return EXIT_INTERNAL
    stdout.write(output)
    return EXIT_OK


def _score_output(data: Any, args: argparse.Namespace) -> str:
    from thuocdo.scoring import render_text, run_scenario

    result = run_scenario(data, explain=not args.no_breakdown or args.explain)
    if args.explain:
        return _explain_text(result, args.lang, render_text)
    if args.no_breakdown:
        for p in result["people"]:
            p.pop("breakdown", None)
        for u in result["units"]:
            u.pop("breakdown", None)
    return json.dumps(result, ensure_ascii=False, indent=args.indent or None) + "\n"


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
        prog="thuocdo",
        description="Thước đo — đánh giá hiệu suất công tác theo KPI.",
        epilog="thuocdo score --help: exit codes / mã thoát (0 ok, 2 bad input, 1 internal error).",
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
    try:
        return COMMANDS[args.command][1](args, out, err)
    except BrokenPipeError:
        # the reader stopped early (`thuocdo score f.yaml | head`): what it read is all it
        # wanted; keep Python from reporting the closed pipe again at exit
        if out is sys.stdout:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
