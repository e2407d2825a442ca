"""The English catalogue is complete, compiled and Unicode-normalised.

Msgids are Vietnamese (NFC, full diacritics); English is the translation.
These checks need no database.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import polib
import pytest

LOCALE_DIR = Path(__file__).resolve().parents[2] / "src" / "thuocdo" / "locale"
PO_PATH = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"
MO_PATH = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.mo"

Pair = tuple[str | None, str, str, tuple[tuple[int, str], ...] | str]


def _pair(entry: polib._BaseEntry) -> Pair:
    """A comparable (msgctxt, msgid, msgid_plural, translation) tuple."""
    if entry.msgid_plural:
        translation: tuple[tuple[int, str], ...] | str = tuple(
            sorted((int(k), v) for k, v in entry.msgstr_plural.items())
        )
    else:
        translation = entry.msgstr
    return (entry.msgctxt, entry.msgid, entry.msgid_plural, translation)


@pytest.fixture(scope="module")
def po() -> polib.POFile:
    return polib.pofile(str(PO_PATH))


def test_every_entry_is_translated_and_not_fuzzy(po: polib.POFile) -> None:
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not untranslated, f"untranslated msgids: {untranslated!r}"
    assert not fuzzy, f"fuzzy msgids: {fuzzy!r}"
    assert not po.metadata_is_fuzzy, "the .po header is still marked fuzzy"
    assert po.metadata.get("Language") == "en"
    assert len(po.translated_entries()) > 0


def test_plural_entries_fill_every_form(po: polib.POFile) -> None:
    incomplete = [
        e.msgid
        for e in po
        if e.msgid_plural and not e.obsolete and not all(e.msgstr_plural.get(i) for i in (0, 1))
    ]
    assert not incomplete, f"plural entries missing a form: {incomplete!r}"


def test_mo_is_in_sync_with_po(po: polib.POFile) -> None:
    assert MO_PATH.exists(), f"{MO_PATH} is missing; run msgfmt on the .po"
    mo = polib.mofile(str(MO_PATH))
    expected = {_pair(e) for e in po.translated_entries()}
    compiled = {_pair(e) for e in mo if e.msgid}  # skip the header entry
    stale = sorted(p[1] for p in compiled - expected)
    missing = sorted(p[1] for p in expected - compiled)
    assert not missing and not stale, (
        "django.mo is out of date with django.po; recompile with msgfmt. "
        f"Differs in .po: {missing!r}; differs in .mo: {stale!r}"
    )


def test_catalogue_text_is_nfc(po: polib.POFile) -> None:
    offenders: list[str] = []
    for entry in po:
        texts = [entry.msgid, entry.msgid_plural, entry.msgstr, *entry.msgstr_plural.values()]
        if any(t and not unicodedata.is_normalized("NFC", t) for t in texts):
            offenders.append(entry.msgid)
    assert not offenders, f"entries not in Unicode NFC: {offenders!r}"


def test_every_translation_keeps_the_placeholders_of_its_msgid() -> None:
    import re

    placeholder = re.compile(r"%\(\w+\)[sd]")
    wrong = []
    for entry in polib.pofile(str(PO_PATH)):
        wanted = set(placeholder.findall(entry.msgid))
        outputs = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for output in outputs:
            found = set(placeholder.findall(output))
            # A singular form may leave out the count ("Product type" for n = 1).
            if found != wanted and not (entry.msgid_plural and found < wanted):
                wrong.append(entry.msgid)
    assert not wrong, f"placeholders differ in: {wrong}"
