"""A community's time zone and how times are shown to people in it: one format, labelled
with the zone, the same on the pages, in the PDF record, the XLSX workbook and the CSV
files. Times are stored in UTC; the JSON bundle and the API keep them as ISO 8601 with an
offset, for machines.

    moment(at, "Asia/Shanghai", "zh")  →  2026-12-04 23:00（北京时间）
    moment(at, "Asia/Shanghai", "en")  →  2026-12-04 23:00 (China Standard Time)
    moment(at, "Asia/Urumqi", "zh")    →  2026-12-04 21:00（Asia/Urumqi）
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from service.i18n import text

DEFAULT_ZONE: Final = "Asia/Shanghai"
"""Every community's zone unless an admin sets another: China Standard Time (UTC+8, no
daylight saving)."""


class UnknownZone(ValueError):
    """Not a time zone of the IANA database (``Asia/Shanghai``, ``Asia/Urumqi`` …)."""


@cache
def zone(name: str) -> ZoneInfo:
    """The zone called ``name`` (:class:`UnknownZone` if there is none)."""
    if name not in _known():
        raise UnknownZone(name)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownZone(name) from exc


@cache
def _known() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_label(name: str, lang: str) -> str:
    """The name people use for the zone (``zone.name.<zone>`` in the catalogue: 北京时间 /
    China Standard Time for Asia/Shanghai), else its IANA name."""
    key = f"zone.name.{name}"
    shown = text(lang, key)
    return name if shown == key else shown


def moment(at: datetime | None, zone_name: str, lang: str) -> str:
    """A time for people, in the zone and labelled with it (``—`` for none)."""
    if at is None:
        return "—"
    local = at.astimezone(zone(zone_name))
    label = zone_label(zone_name, lang)
    return text(lang, "join.aside", a=f"{local:%Y-%m-%d %H:%M}", b=label)


def day(at: datetime | None, zone_name: str) -> str:
    """The date of a time in the zone, ``2026-12-04`` (``—`` for none)."""
    return "—" if at is None else f"{at.astimezone(zone(zone_name)):%Y-%m-%d}"


def local_day(at: datetime, zone_name: str) -> date:
    """The calendar date of a moment in the zone (a stored UTC time read back aware)."""
    return at.astimezone(zone(zone_name)).date()


def days_between(start: datetime, end: datetime, zone_name: str) -> int:
    """Calendar days from ``start``'s date to ``end``'s, both dates in the zone (0 on the
    same day): logged 09:00 and closed 01:30 a week later, local time, is 8 days in
    北京时间 even where the UTC dates are 7 apart."""
    return (local_day(end, zone_name) - local_day(start, zone_name)).days


def long_date(on: date, lang: str) -> str:
    """A date written out for reading: ``2026年6月30日`` / ``2026-06-30``."""
    return text(lang, "date.long", year=on.year, month=on.month, day=on.day)


def today(zone_name: str = DEFAULT_ZONE) -> date:
    """Today's date in the zone (tasks are overdue from the day after their due date)."""
    return datetime.now(zone(zone_name)).date()


def latest_today() -> date:
    """The latest date it is anywhere now (UTC+14): no zone's today is after it."""
    return (datetime.now(UTC) + timedelta(hours=14)).date()
