"""The one date parser and renderer of the project: VBA batch and single records, list filters, the ``upsert_*``
commands and Spry's serializers all read dates with :func:`parse_datetime` and write them with
:func:`render_datetime` (decisions.md 10 and 14).

Accepted: ``YYYY-MM-DD`` or ``YYYY-MM-DD[T| ]HH:MM:SS[.f{1,7}]`` followed by nothing (the server's time zone),
``Z``, `` UTC`` or an offset ``±HH:MM`` / ``±HHMM`` (optionally after a space, as Ruby's ``Time#to_s`` writes it).
A 7th fractional digit (.NET's ticks) is below the database's microsecond and is dropped.

Every accepted value can be stored and read back on SQLite and PostgreSQL: offsets are limited to ±15:59 (what
PostgreSQL's time zones allow) and the instant must lie within years 1-9999 both in UTC and in the server's time
zone (the zone it is rendered in); anything else is refused with a message, never stored.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils import timezone

FORMS = "YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[.fffffff][Z| UTC|±HH:MM]"
RANGE = "years 1 to 9999, in UTC and in the server's time zone"
MAX_OFFSET = dt.timedelta(hours=15, minutes=59)
_DATE_RE = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[T ](?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<fraction>\d{1,7}))?"
    r"(?: ?(?P<zone>Z|UTC|(?P<sign>[+-])(?P<hours>\d{2}):?(?P<minutes>\d{2})))?)?$"
)


#: Dates already read, by text and default time zone (a batch's records share many dates; a datetime is immutable).
_KNOWN: dict[tuple[str, dt.tzinfo], dt.datetime] = {}
_KNOWN_MAX = 4096


def parse_datetime(value: Any) -> dt.datetime:
    """A client's date-time (see the module doc); naive values are in the server's time zone. ``ValueError`` with
    a message for the caller to prefix with the field's name."""
    if value.__class__ is str:
        key = (value, timezone.get_default_timezone())
        known = _KNOWN.get(key)
        if known is not None:
            return known
        parsed = _parse_text(value, key[1])
        if 1 < parsed.year < 9999:  # a shift of less than a day (any offset, any zone) cannot leave years 1-9999
            if len(_KNOWN) >= _KNOWN_MAX:
                _KNOWN.clear()
            _KNOWN[key] = parsed  # (only these: near years 1 and 9999 the answer depends on the current zone)
            return parsed
    elif isinstance(value, dt.datetime):
        parsed = _aware(value, value, timezone.get_default_timezone())
        if 1 < parsed.year < 9999:
            return parsed
    elif isinstance(value, str):  # a subclass of str
        parsed = _parse_text(str(value), timezone.get_default_timezone())
    else:
        raise ValueError(f"must be a date string ({FORMS})")
    try:
        parsed.astimezone(dt.UTC)
        timezone.localtime(parsed)
    except (OverflowError, ValueError):
        raise ValueError(
            f"{_text(value)} is out of range (years 1 to 9999, in UTC and in the server's time zone)"
        ) from None
    return parsed


def _parse_text(value: str, default_tz: dt.tzinfo) -> dt.datetime:
    match = _DATE_RE.match(value)
    if match is None:
        raise ValueError(f"{value!r} is not a valid date; use {FORMS}")
    return _aware(_build(value, match), value, default_tz)


def _aware(parsed: dt.datetime, value: Any, default_tz: dt.tzinfo) -> dt.datetime:
    """``parsed`` in ``default_tz`` when naive (zoneinfo: replace() is the right way to attach it); its offset
    checked."""
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=default_tz)
    offset = parsed.utcoffset()
    if offset is not None and abs(offset) > MAX_OFFSET:
        raise ValueError(f"{_text(value)}: the offset must be between -15:59 and +15:59")
    return parsed


def _build(value: str, match: re.Match[str]) -> dt.datetime:
    if match["fraction"] is None and match["zone"] is None:  # the common forms: one C call
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a valid calendar date") from None
    try:
        day = dt.date.fromisoformat(match["date"])
        clock = dt.time.fromisoformat(match["time"]) if match["time"] else dt.time()
    except ValueError:
        raise ValueError(f"{value!r} is not a valid calendar date") from None
    micro = int((match["fraction"] or "0")[:6].ljust(6, "0"))
    tz: dt.tzinfo | None = None
    if match["zone"] in ("Z", "UTC"):
        tz = dt.UTC
    elif match["sign"]:
        hours, minutes = int(match["hours"]), int(match["minutes"])
        if minutes > 59:
            raise ValueError(f"{value!r} has an invalid offset")
        delta = dt.timedelta(hours=hours, minutes=minutes)
        if delta > MAX_OFFSET:
            raise ValueError(f"{value!r}: the offset must be between -15:59 and +15:59")
        tz = dt.timezone(-delta if match["sign"] == "-" else delta)
    return dt.datetime.combine(day, clock.replace(microsecond=micro), tzinfo=tz)


def _text(value: Any) -> str:
    return repr(value) if isinstance(value, str) else repr(value.isoformat())


def render_datetime(value: dt.datetime | None, tz: dt.tzinfo | None = None) -> str | None:
    """``YYYY-MM-DDTHH:MM:SS`` in the server's time zone (``tz``, when a caller rendering many already has it), the
    year always 4 digits (``0999-06-15T12:00:00``)."""
    if value is None:
        return None
    return value.astimezone(tz or timezone.get_current_timezone()).replace(tzinfo=None, microsecond=0).isoformat()


def render_utc(value: dt.datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` (Spry's ``created_date``)."""
    return value.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0).isoformat() + "Z"
