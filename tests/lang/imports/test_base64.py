"""``base64``: RFC 4648 standard and URL alphabets with Go's strict decoding."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tfc_sentinel.lang.errors import SentinelLimitError, SentinelRuntimeError
from tfc_sentinel.lang.values import UNDEFINED, byte_length

from .helpers import imp

b64 = imp("base64")


def test_documented_examples() -> None:
    assert b64["encode"]("foo") == "Zm9v"
    assert b64["decode"]("Zm9v") == "foo"
    assert b64["urlencode"]("foo") == "Zm9v"
    assert b64["urldecode"]("Zm9v") == "foo"


def test_alphabets_differ_in_two_characters() -> None:
    text = "\xfb\xff"  # UTF-8 bytes c3 bb c3 bf
    assert b64["encode"](text) == "w7vDvw=="
    assert b64["encode"]("?>>") == "Pz4+"
    assert b64["urlencode"]("?>>") == "Pz4-"
    assert b64["decode"]("Pz4+") == "?>>"
    assert b64["urldecode"]("Pz4-") == "?>>"
    assert b64["urlencode"]("??") == "Pz8="


def test_padding_and_empty() -> None:
    assert b64["encode"]("") == ""
    assert b64["decode"]("") == ""
    assert b64["encode"]("f") == "Zg=="
    assert b64["encode"]("fo") == "Zm8="
    assert b64["decode"]("Zm9v\r\nYmFy") == "foobar"  # Go skips CR and LF


@pytest.mark.parametrize("bad", ["Zg", "Zm9", "Zm9v=", "Z===", "Zm 9v", "Pz4-", "@@@@", "Zm9v\t"])
def test_strict_standard_decoding(bad: str) -> None:
    with pytest.raises(SentinelRuntimeError, match=r"^base64\.decode: illegal base64 data$"):
        b64["decode"](bad)


def test_strict_url_decoding() -> None:
    with pytest.raises(SentinelRuntimeError, match=r"^base64\.urldecode: illegal base64 data$"):
        b64["urldecode"]("Pz4+")


def test_decoded_bytes_that_are_not_utf8_survive() -> None:
    raw = b64["decode"]("/w==")  # the single byte 0xff
    assert byte_length(raw) == 1
    assert b64["encode"](raw) == "/w=="


def test_undefined_and_types() -> None:
    for fn in ("encode", "decode", "urlencode", "urldecode"):
        assert b64[fn](UNDEFINED) is UNDEFINED
        with pytest.raises(
            SentinelRuntimeError, match=rf"^base64\.{fn}: expected a string as argument 1, got int$"
        ):
            b64[fn](5)


def test_size_limit() -> None:
    with pytest.raises(SentinelLimitError):
        imp("base64", max_items=7)["encode"]("abcdefg")


@given(st.text())
def test_round_trips(text: str) -> None:
    assert b64["decode"](b64["encode"](text)) == text
    assert b64["urldecode"](b64["urlencode"](text)) == text


@given(st.binary())
def test_round_trips_arbitrary_bytes(data: bytes) -> None:
    text = data.decode("utf-8", "surrogateescape")
    assert b64["decode"](b64["encode"](text)) == text
