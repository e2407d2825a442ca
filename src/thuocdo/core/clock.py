"""The one place product code asks what time it is.

`now()` is the moment (aware); `today()` is the date in the agency's time zone
(`settings.TIME_ZONE`, Asia/Ho_Chi_Minh), never the server's date nor the UTC date.
A stored moment becomes a date through `local_date()`: a decision recorded at 00:30 on
2 December in Hà Nội is dated 02/12, though it is still 1 December in UTC.

Everything else reads time through these functions (ruff's banned-api rule refuses
`date.today()`, `datetime.now()`, `timezone.now()` and `timezone.localdate()` elsewhere),
so tests pin one clock and the whole product follows.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone() -> ZoneInfo:
    """The agency's time zone."""
    return _zone(settings.TIME_ZONE)


def now() -> dt.datetime:
    """This moment, time-zone aware."""
    return timezone.now()


def today() -> dt.date:
    """Today's date where the agency is."""
    return local_date(now())


def local(moment: dt.datetime) -> dt.datetime:
    """An aware moment as the agency's wall clock shows it."""
    return moment.astimezone(zone())


def local_date(moment: dt.datetime) -> dt.date:
    """The agency's date of an aware moment (not its UTC date)."""
    return local(moment).date()


def at(day: dt.date, hour: int = 0, minute: int = 0) -> dt.datetime:
    """The moment the agency's wall clock reads `hour:minute` on `day`."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone())
