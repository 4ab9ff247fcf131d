"""The ``sockaddr`` import: IP address checks (``is_contained``, ``is_equal``, ``is_ipv4``, ``is_ipv6``).

Addresses are IPv4 or IPv6 text, optionally with a ``/prefix``; a bare address is a single-host
network. ``is_contained(outer, inner)`` is true when ``inner`` (an address or a network) lies
entirely inside the network of ``outer``; ``is_equal`` compares address and prefix. IPv4 and IPv6
never contain or equal each other. ``is_ipv4``/``is_ipv6`` answer false for text that is not an
address, while the two-address functions raise a runtime error for it, since a comparison with an
unparsable address has no meaningful answer.
"""

from __future__ import annotations

import ipaddress
from typing import Final

from tfc_sentinel.lang.imports import ImportContext
from tfc_sentinel.lang.imports._util import expect_str, fail, native
from tfc_sentinel.lang.values import Value

Interface = ipaddress.IPv4Interface | ipaddress.IPv6Interface
_NOT_AN_ADDRESS: Final = (ValueError, TypeError)


def _interface(text: str) -> Interface | None:
    try:
        return ipaddress.ip_interface(text)
    except _NOT_AN_ADDRESS:
        return None


def _required(name: str, value: Value, index: int) -> Interface:
    text = expect_str(name, value, index)
    parsed = _interface(text)
    if parsed is None:
        fail(name, f"argument {index} is not an IP address or network: {text!r}")
    return parsed


def is_contained(outer: Value, inner: Value) -> bool:
    name = "sockaddr.is_contained"
    container, member = _required(name, outer, 1), _required(name, inner, 2)
    if container.version != member.version:
        return False
    return member.network.subnet_of(container.network)  # type: ignore[arg-type]


def is_equal(addr1: Value, addr2: Value) -> bool:
    name = "sockaddr.is_equal"
    first, second = _required(name, addr1, 1), _required(name, addr2, 2)
    return first.version == second.version and first == second


def is_ipv4(addr: Value) -> bool:
    parsed = _interface(expect_str("sockaddr.is_ipv4", addr, 1))
    return parsed is not None and parsed.version == 4


def is_ipv6(addr: Value) -> bool:
    parsed = _interface(expect_str("sockaddr.is_ipv6", addr, 1))
    return parsed is not None and parsed.version == 6


def build(ctx: ImportContext) -> dict[str, Value]:
    return {
        "is_contained": native("sockaddr.is_contained", is_contained, 2),
        "is_equal": native("sockaddr.is_equal", is_equal, 2),
        "is_ipv4": native("sockaddr.is_ipv4", is_ipv4, 1),
        "is_ipv6": native("sockaddr.is_ipv6", is_ipv6, 1),
    }
