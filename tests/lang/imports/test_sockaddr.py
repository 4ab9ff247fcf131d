"""``sockaddr``: containment, equality and address families for IPv4 and IPv6."""

from __future__ import annotations

import pytest

from tfc_sentinel.lang.errors import SentinelRuntimeError
from tfc_sentinel.lang.values import UNDEFINED

from .helpers import imp

sockaddr = imp("sockaddr")


@pytest.mark.parametrize(
    ("fn", "args", "expected"),
    [
        ("is_contained", ("192.168.0.0/24", "192.168.0.32"), True),
        ("is_contained", ("192.168.0.0/24", "192.174.1.1"), False),
        ("is_equal", ("192.168.12.24", "192.168.12.24"), True),
        ("is_ipv4", ("192.168.12.24",), True),
        ("is_ipv4", ("2001:0db8:85a3:0000:0000:8a2e:0370:7334",), False),
        ("is_ipv6", ("2001:0db8:85a3:0000:0000:8a2e:0370:7334",), True),
        ("is_ipv6", ("192.168.12.24",), False),
    ],
)
def test_documented_examples(fn: str, args: tuple[str, ...], expected: bool) -> None:
    assert sockaddr[fn](*args) is expected


@pytest.mark.parametrize(
    ("outer", "inner", "expected"),
    [
        ("10.0.0.0/8", "10.1.0.0/16", True),
        ("10.1.0.0/16", "10.0.0.0/8", False),
        ("10.0.0.0/8", "10.0.0.0/8", True),
        ("10.0.0.5/8", "10.200.0.1", True),  # host bits of the outer network are ignored
        ("0.0.0.0/0", "203.0.113.9", True),
        ("10.0.0.1", "10.0.0.1", True),
        ("10.0.0.1", "10.0.0.2", False),
        ("2001:db8::/32", "2001:db8:1::1", True),
        ("2001:db8::/32", "2001:db9::1", False),
        ("::/0", "10.0.0.1", False),  # families never mix
        ("0.0.0.0/0", "::1", False),
    ],
)
def test_is_contained(outer: str, inner: str, expected: bool) -> None:
    assert sockaddr["is_contained"](outer, inner) is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("10.0.0.1", "10.0.0.1/32", True),
        ("10.0.0.1/24", "10.0.0.1/24", True),
        ("10.0.0.1/24", "10.0.0.0/24", False),
        ("10.0.0.1/24", "10.0.0.1/25", False),
        ("2001:db8::1", "2001:0db8:0000::0001", True),
        ("::ffff:10.0.0.1", "10.0.0.1", False),
    ],
)
def test_is_equal(a: str, b: str, expected: bool) -> None:
    assert sockaddr["is_equal"](a, b) is expected


@pytest.mark.parametrize("text", ["", "not-an-ip", "300.1.1.1", "10.0.0.1/33", "192.168.01.1", "1.2.3"])
def test_family_checks_of_non_addresses_are_false(text: str) -> None:
    assert sockaddr["is_ipv4"](text) is False
    assert sockaddr["is_ipv6"](text) is False


def test_networks_have_families_too() -> None:
    assert sockaddr["is_ipv4"]("10.0.0.0/8") is True
    assert sockaddr["is_ipv6"]("fe80::/10") is True


def test_comparisons_with_non_addresses_are_errors() -> None:
    with pytest.raises(
        SentinelRuntimeError, match=r"^sockaddr\.is_contained: argument 2 is not an IP address"
    ):
        sockaddr["is_contained"]("10.0.0.0/8", "nope")
    with pytest.raises(SentinelRuntimeError, match=r"^sockaddr\.is_equal: argument 1 is not an IP address"):
        sockaddr["is_equal"]("", "10.0.0.1")


def test_types_and_undefined() -> None:
    assert sockaddr["is_contained"](UNDEFINED, "10.0.0.1") is UNDEFINED
    assert sockaddr["is_ipv4"](UNDEFINED) is UNDEFINED
    with pytest.raises(
        SentinelRuntimeError, match=r"^sockaddr\.is_ipv4: expected a string as argument 1, got int$"
    ):
        sockaddr["is_ipv4"](167772161)
