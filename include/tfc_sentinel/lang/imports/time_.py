"""The ``time`` import: the fixed evaluation time, timespaces and nanosecond durations.

Named ``time_`` so it never shadows Python's ``time`` module. A timespace is a map of the fields
``year month month_name day weekday weekday_name hour minute second unix unix_nano zone
zone_string`` plus the methods ``before after equal add sub``; it keeps nanosecond precision and the
zone offset it was loaded with (``time.now`` and unix times are UTC).

A "timeish" is unix seconds (an int; a float keeps its fraction), an RFC 3339 string
(``2006-01-02T15:04:05Z`` or with ``+07:00``, optional fractional seconds up to nanoseconds) or a
timespace. Unparsable text is a runtime error. ``sub`` saturates at the int64 range as Go's
``Time.Sub`` does; ``add`` accepts floats and truncates them, as Sentinel 0.14.4 documents.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import partial
from typing import Final

from tfc_sentinel.lang.imports import ImportContext
from tfc_sentinel.lang.imports._util import check_arity, clamp_int64, fail, is_int, native, type_error
from tfc_sentinel.lang.values import UNDEFINED, Builtin, Value, wrap_int

NANOSECOND: Final = 1
MICROSECOND: Final = 1_000
MILLISECOND: Final = 1_000_000
SECOND: Final = 1_000_000_000
MINUTE: Final = 60 * SECOND
HOUR: Final = 60 * MINUTE

_EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()
_MAX_ORDINAL: Final = date.max.toordinal()
_MONTHS: Final = (
    "January February March April May June July August September October November December".split()
)
_WEEKDAYS: Final = "Sunday Monday Tuesday Wednesday Thursday Friday Saturday".split()
_RFC3339: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)
_TIMEISH: Final = "an int, a float, an RFC 3339 string or a timespace"


class Timespace(dict[str, Value]):
    """A timespace's map that also carries the instant (unix nanoseconds) and the zone offset."""

    __slots__ = ("ns", "offset")
    ns: int
    offset: int


def _parse(name: str, text: str) -> tuple[int, int]:
    match = _RFC3339.fullmatch(text)
    if match is None:
        fail(name, f"cannot parse {text!r} as an RFC 3339 time")
    year, month, day, hour, minute, second = (int(g) for g in match.group(1, 2, 3, 4, 5, 6))
    fraction, sign, zone_hours, zone_minutes = match.group(7, 8, 9, 10)
    try:
        ordinal = date(year, month, day).toordinal()
    except ValueError:
        fail(name, f"cannot parse {text!r} as an RFC 3339 time: day out of range")
    if hour > 23 or minute > 59 or second > 59:
        fail(name, f"cannot parse {text!r} as an RFC 3339 time: clock out of range")
    offset = 0
    if sign:
        if int(zone_hours) > 23 or int(zone_minutes) > 59:
            fail(name, f"cannot parse {text!r} as an RFC 3339 time: zone offset out of range")
        offset = (int(zone_hours) * 3600 + int(zone_minutes) * 60) * (-1 if sign == "-" else 1)
    seconds = (ordinal - _EPOCH_ORDINAL) * 86400 + hour * 3600 + minute * 60 + second - offset
    nanos = int(fraction.ljust(9, "0")) if fraction else 0
    return seconds * SECOND + nanos, offset


def instant(name: str, value: Value, index: int) -> tuple[int, int]:
    """A timeish or timespace as (unix nanoseconds, zone offset in seconds)."""
    if isinstance(value, Timespace):
        return value.ns, value.offset
    if isinstance(value, str):
        return _parse(name, value)
    if is_int(value):
        return int(value) * SECOND, 0
    if isinstance(value, float) and not isinstance(value, bool):
        if not math.isfinite(value):
            fail(name, f"cannot use {value} as a time")
        return int(Decimal(repr(value)) * SECOND), 0
    if isinstance(value, dict) and is_int(value.get("unix_nano")) and is_int(value.get("zone")):
        # A timespace whose map was copied (by the evaluator, say) lost its Python class.
        return int(value["unix_nano"]), int(value["zone"])
    type_error(name, _TIMEISH, index, value)


def make(name: str, ns: int, offset: int = 0) -> Timespace:
    """The Sentinel value of an instant seen at ``offset`` seconds east of UTC."""
    seconds, _ = divmod(ns, SECOND)
    days, rest = divmod(seconds + offset, 86400)
    ordinal = _EPOCH_ORDINAL + days
    if not 1 <= ordinal <= _MAX_ORDINAL:
        fail(name, "time out of range (years 1 to 9999)")
    day = date.fromordinal(ordinal)
    hour, rest = divmod(rest, 3600)
    minute, second = divmod(rest, 60)
    zone_hours, zone_minutes = divmod(abs(offset) // 60, 60)
    weekday = (day.weekday() + 1) % 7
    obj = Timespace(
        year=day.year,
        month=day.month,
        month_name=_MONTHS[day.month - 1],
        day=day.day,
        weekday=weekday,
        weekday_name=_WEEKDAYS[weekday],
        hour=hour,
        minute=minute,
        second=second,
        unix=seconds,
        unix_nano=wrap_int(ns),
        zone=offset,
        zone_string=f"{'-' if offset < 0 else '+'}{zone_hours:02d}:{zone_minutes:02d}",
    )
    obj.ns = ns
    obj.offset = offset
    obj["before"] = Builtin("time.before", partial(_before, ns))
    obj["after"] = Builtin("time.after", partial(_after, ns))
    obj["equal"] = Builtin("time.equal", partial(_equal, ns))
    obj["add"] = Builtin("time.add", partial(_add, ns, offset))
    obj["sub"] = Builtin("time.sub", partial(_sub, ns))
    return obj


def _other(name: str, args: tuple[Value, ...]) -> int | None:
    """The argument's instant, or None when it is undefined (the method then returns undefined)."""
    check_arity(name, args, 1)
    return None if args[0] is UNDEFINED else instant(name, args[0], 1)[0]


def _before(ns: int, *args: Value) -> Value:
    other = _other("time.before", args)
    return UNDEFINED if other is None else ns < other


def _after(ns: int, *args: Value) -> Value:
    other = _other("time.after", args)
    return UNDEFINED if other is None else ns > other


def _equal(ns: int, *args: Value) -> Value:
    other = _other("time.equal", args)
    return UNDEFINED if other is None else ns == other


def _add(ns: int, offset: int, *args: Value) -> Value:
    name = "time.add"
    check_arity(name, args, 1)
    duration = args[0]
    if duration is UNDEFINED:
        return UNDEFINED
    if is_int(duration) or (isinstance(duration, float) and math.isfinite(duration)):
        step = int(duration)
    else:
        type_error(name, "a duration in nanoseconds (int or float)", 1, duration)
    return make(name, ns + step, offset)


def _sub(ns: int, *args: Value) -> Value:
    other = _other("time.sub", args)
    return UNDEFINED if other is None else clamp_int64(ns - other)


def load(timeish: Value) -> Timespace:
    ns, offset = instant("time.load", timeish, 1)
    return make("time.load", ns, offset)


def _now_ns(now: datetime) -> int:
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    delta = now - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86400 + delta.seconds) * SECOND + delta.microseconds * MICROSECOND


def build(ctx: ImportContext) -> dict[str, Value]:
    return {
        "now": make("time.now", _now_ns(ctx.now)),
        "load": native("time.load", load, 1),
        "nanosecond": NANOSECOND,
        "microsecond": MICROSECOND,
        "millisecond": MILLISECOND,
        "second": SECOND,
        "minute": MINUTE,
        "hour": HOUR,
    }
