"""Issue 13, point 3: no Vietnamese text left untranslated on an English page.

Every string the templates and the code mark for translation — `{% translate %}`,
`{% blocktranslate %}` (singular and plural) and `_()`/`gettext*()` with a literal — must
have its English in the catalogue, so a new string without one fails here rather than
showing Vietnamese to an English reader. (The catalogue's own health is checked in
test_translations.py.)
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import polib

SRC = Path(__file__).resolve().parents[2] / "src" / "thuocdo"
PO = SRC / "locale" / "en" / "LC_MESSAGES" / "django.po"

TRANSLATE = re.compile(r"""{%\s*(?:translate|trans)\s+(["'])((?:(?!\1).)*)\1""")
BLOCK = re.compile(
    r"{%\s*blocktranslate\b(?P<opts>[^%]*)%}(?P<one>.*?)"
    r"(?:{%\s*plural\s*%}(?P<many>.*?))?{%\s*endblocktranslate\s*%}",
    re.S,
)
VARIABLE = re.compile(r"{{\s*(\w+)\s*}}")
CALLS = {"_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy"}


def _block_msgid(text: str, trimmed: bool) -> str:
    text = VARIABLE.sub(r"%(\1)s", text.replace("%", "%%"))
    if trimmed:
        text = " ".join(line.strip() for line in text.strip().splitlines() if line.strip())
    return text


def marked_strings() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for path in SRC.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        name = str(path.relative_to(SRC))
        # Django looks a literal up with its "%" doubled, as makemessages writes it.
        found |= {(name, m.group(2).replace("%", "%%")) for m in TRANSLATE.finditer(text)}
        for m in BLOCK.finditer(text):
            trimmed = "trimmed" in m.group("opts")
            found.add((name, _block_msgid(m.group("one"), trimmed)))
            if m.group("many") is not None:
                found.add((name, _block_msgid(m.group("many"), trimmed)))
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in CALLS
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add((str(path.relative_to(SRC)), node.args[0].value))
    return found


def test_every_marked_string_has_its_english() -> None:
    catalogue = polib.pofile(str(PO))
    known = {e.msgid for e in catalogue if not e.obsolete and e.translated()}
    known |= {e.msgid_plural for e in catalogue if e.msgid_plural and e.translated()}
    marked = marked_strings()
    assert len(marked) > 500
    missing = sorted((where, text) for where, text in marked if text and text not in known)
    assert not missing, f"{len(missing)} strings without English: {missing[:15]}"
