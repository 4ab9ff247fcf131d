"""``time``: the fixed ``now``, ``load`` of timeish values, timespace fields and methods, durations."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tfc_sentinel.lang.errors import SentinelRuntimeError
from tfc_sentinel.lang.values import INT64_MAX, INT64_MIN, UNDEFINED

from .helpers import FIXED_NOW, fields, imp

time = imp("time")
load = time["load"]
REF = "2019-11-16T01:20:30Z"


def test_duration_constants_are_int_nanoseconds() -> None:
    assert [time[k] for k in ("nanosecond", "microsecond", "millisecond", "second", "minute", "hour")] == [
        1,
        1_000,
        1_000_000,
        1_000_000_000,
        60_000_000_000,
        3_600_000_000_000,
    ]


def test_documented_fields() -> None:
    assert fields(load(REF)) == {
        "year": 2019,
        "month": 11,
        "month_name": "November",
        "day": 16,
        "weekday": 6,
        "weekday_name": "Saturday",
        "hour": 1,
        "minute": 20,
        "second": 30,
        "unix": 1573867230,
        "unix_nano": 1573867230000000000,
        "zone": 0,
        "zone_string": "+00:00",
    }


def test_zone_fields() -> None:
    t = load("2019-11-16T01:20:30-08:00")
    assert t["zone"] == -28800
    assert t["zone_string"] == "-08:00"
    assert t["hour"] == 1  # fields are local to the zone
    assert t["unix"] == 1573867230 + 8 * 3600
    assert load("2019-11-16T01:20:30+05:45")["zone_string"] == "+05:45"


def test_now_is_the_context_time_in_utc() -> None:
    now = time["now"]
    assert (now["year"], now["month"], now["day"], now["hour"], now["minute"], now["second"]) == (
        2019,
        11,
        17,
        23,
        19,
        5,
    )
    assert now["unix_nano"] == int(FIXED_NOW.timestamp()) * 10**9 + 123456000
    assert now["weekday_name"] == "Sunday" and now["weekday"] == 0
    assert imp("time")["now"]["unix_nano"] == now["unix_nano"]


def test_now_from_other_zone_or_naive_datetime() -> None:
    east = datetime(2020, 1, 1, 5, 0, tzinfo=timezone(timedelta(hours=5)))
    assert imp("time", now=east)["now"]["hour"] == 0
    assert imp("time", now=datetime(2020, 1, 1, 5, 0))["now"]["hour"] == 5


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("nanosecond", 1573867230000000001),
        ("microsecond", 1573867230000001000),
        ("millisecond", 1573867230001000000),
        ("second", 1573867231000000000),
        ("minute", 1573867290000000000),
        ("hour", 1573870830000000000),
    ],
)
def test_add_documented_units(unit: str, expected: int) -> None:
    assert load(REF)["add"](time[unit] * 1)["unix_nano"] == expected


def test_add_negative_float_and_zone() -> None:
    t = load("2019-11-16T01:20:30-08:00")
    earlier = t["add"](-time["hour"])
    assert earlier["hour"] == 0 and earlier["zone"] == -28800
    assert load(REF)["add"](1.9)["unix_nano"] == 1573867230000000001  # floats truncate


def test_comparisons() -> None:
    t = load(REF)
    assert t["before"]("2019-11-15T01:20:30Z") is False
    assert t["after"]("2019-11-15T01:20:30Z") is True
    assert t["equal"]("2019-11-15T01:20:30Z") is False
    assert t["equal"]("2019-11-15T17:20:30-08:00") is True  # same instant, other zone
    assert t["equal"](1573867230) is True
    assert t["before"](load("2019-11-16T01:20:30.000000001Z")) is True


def test_sub_gives_nanoseconds_and_add_inverts_it() -> None:
    duration = load(REF)["sub"]("2019-11-16T04:20:30Z")
    assert duration == -3 * time["hour"]
    assert load("2019-11-16T04:20:30Z")["add"](duration)["equal"](REF) is True


def test_sub_saturates_like_go() -> None:
    assert load("9999-01-01T00:00:00Z")["sub"]("0001-01-01T00:00:00Z") == INT64_MAX
    assert load("0001-01-01T00:00:00Z")["sub"]("9999-01-01T00:00:00Z") == INT64_MIN


@pytest.mark.parametrize(
    ("timeish", "unix_nano"),
    [
        (0, 0),
        (-1, -1_000_000_000),
        (1573867230, 1573867230000000000),
        (1.5, 1_500_000_000),
        ("1970-01-01T00:00:00.5Z", 500_000_000),
        ("1970-01-01T00:00:00.123456789Z", 123456789),
        ("1970-01-01t00:00:00z", 0),
    ],
)
def test_load_timeish(timeish: object, unix_nano: int) -> None:
    assert load(timeish)["unix_nano"] == unix_nano


def test_load_of_a_timespace_or_its_copy() -> None:
    t = load("2019-11-16T01:20:30+01:00")
    assert fields(load(t)) == fields(t)
    assert fields(load(dict(t))) == fields(t)


def test_negative_times_floor_unix_seconds() -> None:
    t = load("1969-12-31T23:59:59.5Z")
    assert t["unix"] == -1 and t["second"] == 59 and t["year"] == 1969


@pytest.mark.parametrize(
    "bad",
    [
        "2019-11-16",
        "2019-11-16 01:20:30Z",
        "2019-02-30T01:20:30Z",
        "2019-11-16T24:00:00Z",
        "2019-11-16T01:20:30+24:00",
        "2019-11-16T01:20:30.1234567890Z",
        "2019-11-16T01:20:30",
        "yesterday",
    ],
)
def test_unparsable_times_are_errors(bad: str) -> None:
    with pytest.raises(SentinelRuntimeError, match=r"^time\.load: cannot parse"):
        load(bad)


@pytest.mark.parametrize("bad", [True, None, [1], {"a": 1}, float("nan")])
def test_wrong_types_are_errors(bad: object) -> None:
    with pytest.raises(SentinelRuntimeError, match=r"^time\.load: "):
        load(bad)
    with pytest.raises(SentinelRuntimeError, match=r"^time\.before: "):
        load(0)["before"](bad)


def test_out_of_range_is_an_error() -> None:
    with pytest.raises(SentinelRuntimeError, match="out of range"):
        load(10**12)
    with pytest.raises(SentinelRuntimeError, match=r"^time\.add: .*out of range"):
        load("9999-12-31T23:59:59Z")["add"](time["second"])


def test_undefined() -> None:
    assert load(UNDEFINED) is UNDEFINED
    t = load(0)
    for method in ("before", "after", "equal", "add", "sub"):
        assert t[method](UNDEFINED) is UNDEFINED


def test_method_arity() -> None:
    with pytest.raises(SentinelRuntimeError, match=r"^time\.add: expected 1 argument, got 0$"):
        load(0)["add"]()


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)), st.integers(-1439, 1439))
def test_rfc3339_fields_match_python(moment: datetime, offset_minutes: int) -> None:
    zone = timezone(timedelta(minutes=offset_minutes))
    aware = moment.replace(microsecond=0, tzinfo=zone)
    t = load(aware.isoformat())
    assert (t["year"], t["month"], t["day"], t["hour"], t["minute"], t["second"]) == (
        aware.year, aware.month, aware.day, aware.hour, aware.minute, aware.second
    )  # fmt: skip
    assert t["weekday"] == aware.isoweekday() % 7
    assert t["unix"] == int(aware.timestamp())
    assert t["zone"] == offset_minutes * 60
