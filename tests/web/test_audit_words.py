"""Issue 13, point 3: the audit log shows no code to a person, in Vietnamese or English.

The auditor saw `work.task.start` and `state: assigned`; every action the code can write,
every field the flows write and every coded value now reads as words.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.conftest import Cast
from tests.evaluations.conftest import (  # noqa: F401 (fixtures)
    AGENCY_A,
    OPENED,
    D,
    Flow,
    flow,
    presets,
)
from tests.work.conftest import at
from thuocdo.audit.models import AuditEntry
from thuocdo.evaluations import services
from thuocdo.evaluations import transitions as period_flow
from thuocdo.web import audit_words
from thuocdo.work import transitions as task_flow

SRC = Path(__file__).resolve().parents[2] / "src" / "thuocdo"
LITERAL = re.compile(r'action=(f?)"([a-z_]+\.[a-z_.{}]+)"')

# The f-string actions and the values each can take; a new family fails the test below
# until its words are added.
FAMILIES = {
    "work.task.{step.action}": [*task_flow.ACTIONS, "assign"],
    "work.task.{action}": [
        *task_flow.ACTIONS,
        "update",
        "extend",
        "exemption_approve",
        "exemption_refuse",
    ],
    "evaluations.period.{action}": [*period_flow.ACTIONS, period_flow.REOPEN.code],
    "evaluations.evaluation.{step}": ["compile", "decide"],
}


# Fields whose values are people's data, not codes ("head_x" is a username).
FREE_TEXT = {"username", "code", "name", "title", "full_name", "key", "text", "reason"}


def written_actions() -> set[str]:
    """Every audit action code the source can write."""
    found: set[str] = set()
    families: set[str] = set()
    for path in SRC.rglob("*.py"):
        for is_f, code in LITERAL.findall(path.read_text(encoding="utf-8")):
            if is_f:
                families.add(code)
            else:
                found.add(code)
    assert families == set(FAMILIES), f"new f-string actions to name: {families - set(FAMILIES)}"
    for pattern, values in FAMILIES.items():
        found.update(re.sub(r"\{.*\}", value, pattern) for value in values)
    return found


def test_every_action_the_code_writes_has_words_in_both_languages() -> None:
    codes = written_actions()
    assert len(codes) > 70
    missing = sorted(code for code in codes if audit_words.action_words(code) is None)
    assert not missing, f"actions without words: {missing}"
    for code in codes:
        for language in ("vi", "en"):
            with translation.override(language):
                label = audit_words.action_label(code)
            assert label != code and "." not in label.split(":")[0], (code, label)


@pytest.fixture
def decided(flow: Flow) -> Flow:  # noqa: F811
    """A month taken to publication: tasks, every step of the period, decisions."""
    for name in AGENCY_A:
        flow.task(name)
        flow.general[name] = 15
    flow.step("start_self_assessment", on=OPENED)
    # left out for a leave and brought back: the exclusion's own fields are audited too
    ev = flow.ev("staff_x1")
    services.evaluations_exclude(
        actor=flow.user("personnel_a"),
        versions={ev.pk: ev.version},
        reason="other_leave",
        note="Nghỉ phép dài ngày",
        since=D(2026, 1, 5),
        at=at(OPENED),
    )
    ev = flow.ev("staff_x1")
    services.evaluation_include(
        actor=flow.user("personnel_a"), evaluation=ev, expected_version=ev.version, at=at(OPENED)
    )
    flow.to_decision()
    flow.rate_units()
    flow.decide_all()
    flow.publish()
    return flow


def test_every_field_and_coded_value_the_flows_write_reads_as_words(decided: Flow) -> None:
    entries = list(AuditEntry.objects.all())
    assert len({e.action for e in entries}) > 15
    unnamed: set[str] = set()
    raw: set[tuple[str, str, str]] = set()
    for entry in entries:
        for values in (entry.before, entry.after):
            if not isinstance(values, dict):
                continue
            for key, value in values.items():
                if key not in audit_words.FIELDS:
                    unnamed.add(key)
                for language in ("vi", "en"):
                    with translation.override(language):
                        shown = audit_words.value_text(entry.object_type, key, value)
                    coded = (
                        key not in FREE_TEXT
                        and isinstance(value, str)
                        and re.fullmatch(r"[a-z]+(_[a-z]+)+", value)
                    )
                    if coded and shown == value:
                        raw.add((entry.object_type, key, value))
    assert not unnamed, f"fields without words: {sorted(unnamed)}"
    assert not raw, f"coded values shown as codes: {sorted(raw)}"


def _visible(html: str) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    body = re.sub(r"<select\b.*?</select>", " ", body, flags=re.S)  # option values are codes
    return unescape(re.sub(r"<[^>]+>", " ", body))


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_auditor_s_page_shows_no_code(
    decided: Flow, cast: Cast, client: Client, language: str
) -> None:
    client.force_login(cast.user("auditor_a"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    seen = set()
    for page in (1, 2, 3, 4):
        html = client.get(reverse("web:audit_log"), {"page": page}).content.decode()
        text = _visible(html)
        seen |= set(re.findall(r"\b[a-z_]+\.[a-z_]+\.[a-z_]+\b", text))
        # In English "assigned" and "excellent" are words; the codes with "_" never are.
        codes = ["self_assessment", "start_review", "in_progress", "not_completed"]
        for code in codes + (["assigned", "excellent", "accepted"] if language == "vi" else []):
            assert not re.search(rf"(?<![\w/-]){code}(?![\w/-])", text), (page, code)
    assert not seen, f"codes on the page: {sorted(seen)}"
    with translation.override(language):
        expected = audit_words.action_label("evaluations.period.publish")
    html = client.get(reverse("web:audit_log"), {"action": "evaluations.period"}).content
    assert expected in html.decode()


@pytest.mark.parametrize(
    ("channel", "vi", "en"),
    [
        ("web", "Web", "Web"),
        ("system", "Hệ thống", "System"),
        ("api:7:Văn thư Vụ X", "API: Văn thư Vụ X", "API: Văn thư Vụ X"),
        ("cli:load_demo", "Dòng lệnh: load_demo", "Command line: load_demo"),
        ("job:audit.verify", "Tiến trình nền", "Background job"),
    ],
)
def test_where_an_action_came_from_reads_as_words(channel: str, vi: str, en: str) -> None:
    for language, expected in (("vi", vi), ("en", en)):
        with translation.override(language):
            assert audit_words.channel_label(channel) == expected
