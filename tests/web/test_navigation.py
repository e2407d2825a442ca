"""Issue 13, point 4: every link a role is shown leads somewhere it may go.

Each role signs in and follows every link on every page it reaches (breadth first, from
the home page, on a month taken to publication): no link answers 4xx or 5xx, and the
pages the role works in are reachable from its menus. The auditor's home used to link to
the agency dashboard, which refused them.
"""

from __future__ import annotations

import re
from collections import deque

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.evaluations.conftest import Flow
from tests.web.test_audit_words import (  # noqa: F401 (fixtures)
    _visible,
    decided,
    flow,
    presets,
)
from thuocdo.core.models import User

LIMIT = 300
# Not pages: sign-out, files, the API and its documents.
SKIP = re.compile(r"/logout|/static/|/api/v1/|/(pdf|xlsx)/?$|/file/")
HREF = re.compile(r'href="([^"#]+)"')


def crawl(
    username: str, language: str = "vi", texts: dict[str, str] | None = None
) -> tuple[set[str], list[tuple[str, int, str]]]:
    """The pages reached from home, and the links that failed (url, status, found on);
    each page's visible text goes into `texts` when given."""
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.get(username=username))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    seen: set[str] = set()
    failed: list[tuple[str, int, str]] = []
    queue: deque[tuple[str, str]] = deque([("/", "")])
    while queue and len(seen) < LIMIT:
        url, source = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code >= 400:
            failed.append((url, response.status_code, source))
            continue
        if response.status_code in (301, 302):
            queue.append((response["Location"], url))
            continue
        if "text/html" not in response.get("Content-Type", ""):
            continue
        if texts is not None:
            texts[url] = _visible(response.content.decode())
        for href in HREF.findall(response.content.decode()):
            href = href.replace("&amp;", "&")
            if href.startswith("/") and not SKIP.search(href) and href not in seen:
                queue.append((href, url))
    return seen, failed


EXPECTED = {
    "staff_x": ["web:work_mine", "web:dashboard", "web:ev_index"],
    "head_x": ["web:work_assign", "web:work_board", "web:work_review", "web:ev_review_queue"],
    "leader_a": ["web:dashboard_agency", "reports:personnel_page"],
    "personnel_a": ["web:dashboard_agency", "reports:personnel_page", "imports:index"],
    "auditor_a": ["web:audit_log"],
}


@pytest.mark.parametrize("username", sorted(EXPECTED))
def test_every_link_a_role_sees_leads_somewhere_it_may_go(
    decided: Flow,  # noqa: F811 (the fixture)
    username: str,
) -> None:
    texts: dict[str, str] = {}
    seen, failed = crawl(username, texts=texts)
    assert not failed, f"{username}: links that fail (url, status, on page): {failed[:10]}"
    paths = {url.split("?")[0] for url in seen}
    missing = [name for name in EXPECTED[username] if reverse(name) not in paths]
    assert not missing, f"{username} cannot reach {missing} from the menus ({len(seen)} pages)"
    # Issue 13, point 1: a Vietnamese page writes 85,30, never 85.30.
    dotted = {url: found for url, text in texts.items() if (found := DOTTED.findall(text))}
    assert not dotted, f"{username}: decimals with a point on Vietnamese pages: {dotted}"


# A decimal written with a point ("85.30", "2.5"), not a date, a time, an address or a
# version ("phiên bản 2025.2").
DOTTED = re.compile(r"(?<![\d.,/:])(?<!phiên bản )\d+\.\d{1,2}(?![\d.,/:])")
COMMA = re.compile(r"(?<![\d.,/:])\d+,\d{1,2}(?![\d.,/:])")


def test_an_english_page_writes_decimals_with_a_point(decided: Flow) -> None:  # noqa: F811
    texts: dict[str, str] = {}
    crawl("personnel_a", language="en", texts=texts)
    assert len(texts) > 20
    comma = {url: found for url, text in texts.items() if (found := COMMA.findall(text))}
    assert not comma, f"decimals with a comma on English pages: {comma}"
