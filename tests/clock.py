"""The suite's clock: every test runs at a pinned moment, never at the machine's.

The moment is `THUOCDO_TEST_NOW` (ISO 8601; without an offset it is Hà Nội time), else
`DEFAULT_NOW`. It is pinned before collection (so module-level dates see it), holds for
the session's fixtures, and is set again at the start of every test, so no test's "today"
depends on when, or after which other test, it runs. Time ticks on from the moment, so
timeouts and waits behave. Product code reads the time through `thuocdo.core.clock`,
which asks Python's clock: time-machine moves that for the whole process, the live
server's thread included.

- A test that assumes a date states it: `@pytest.mark.now("2026-03-18 09:30")`. The mark
  wins over `THUOCDO_TEST_NOW`, so the calendar run leaves such a test at its date.
- A test without the mark claims to pass on any day; `make test-calendar`
  (`tests/calendar_run.py`) runs those under every moment of `CALENDAR`.
- A test that needs time to pass moves it with the `travel` fixture.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
# An ordinary working day: a Wednesday in the middle of a month and of a quarter.
DEFAULT_NOW = "2026-03-18 09:30"

# The moments `make test-calendar` tries: month, year and leap-day edges, a weekend, and both
# sides of the day line between Hà Nội (UTC+7) and UTC.
CALENDAR: dict[str, str] = {
    "1 January": "2027-01-01 09:30",
    "1st of a month": "2026-12-01 09:30",
    "2nd of a month": "2026-12-02 09:30",
    "28 February, leap year": "2028-02-28 09:30",
    "29 February, leap year": "2028-02-29 09:30",
    "31 December": "2026-12-31 09:30",
    "a Sunday": "2026-12-06 09:30",
    "23:30 in Hà Nội, last of a month": "2026-11-30 23:30",
    "06:30 in Hà Nội on the 1st (= 23:30 UTC the day before)": "2026-12-01 06:30",
}


def parse_moment(text: str) -> dt.datetime:
    """ "2026-03-18 09:30" (Hà Nội) or any ISO 8601 moment with an offset."""
    moment = dt.datetime.fromisoformat(text.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=HANOI)


def base_moment() -> dt.datetime:
    return parse_moment(os.environ.get("THUOCDO_TEST_NOW") or DEFAULT_NOW)


class Travel:
    """Moves the pinned clock inside a test (the `travel` fixture)."""

    def __init__(self, traveller: time_machine.Traveller) -> None:
        self._traveller = traveller

    def to(self, moment: str | dt.datetime) -> None:
        self._traveller.move_to(parse_moment(moment) if isinstance(moment, str) else moment)

    def shift(self, delta: dt.timedelta) -> None:
        self._traveller.shift(delta)

    def today(self) -> dt.date:
        return dt.datetime.now(HANOI).date()


_pin: time_machine.travel | None = None
_traveller: time_machine.Traveller | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _pin, _traveller
    config.addinivalue_line(
        "markers", 'now(moment): the test assumes this moment, e.g. now("2026-03-18 09:30")'
    )
    _pin = time_machine.travel(base_moment(), tick=True)
    _traveller = _pin.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    global _pin, _traveller
    if _pin is not None:
        _pin.stop()
    _pin = _traveller = None


def pytest_report_header(config: pytest.Config) -> str:
    source = "THUOCDO_TEST_NOW" if os.environ.get("THUOCDO_TEST_NOW") else "default"
    return f"clock: pinned at {base_moment().isoformat()} ({source}); @pytest.mark.now wins"


def moment_for(item: pytest.Item) -> dt.datetime:
    marker = item.get_closest_marker("now")
    return parse_moment(marker.args[0]) if marker else base_moment()


@pytest.fixture(autouse=True)
def _pinned_clock(request: pytest.FixtureRequest) -> Iterator[None]:
    assert _traveller is not None, "tests/clock.py is loaded as a plugin by tests/conftest.py"
    _traveller.move_to(moment_for(request.node))
    yield
    # Back to the base moment, so wider-scoped fixtures set up next never see a test's date.
    _traveller.move_to(base_moment())


@pytest.fixture
def travel() -> Travel:
    assert _traveller is not None
    return Travel(_traveller)
