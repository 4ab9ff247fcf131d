"""The ``base64`` import: RFC 4648 standard and URL alphabets, both padded, as Go's encodings.

Named ``base64_`` so it never shadows Python's ``base64`` module. Decoding is strict like Go's
(padding required; only CR and LF are skipped) and invalid input is a runtime error. Strings are
byte sequences: decoded bytes that are not UTF-8 survive as surrogate escapes (see ``values.py``).
"""

from __future__ import annotations

import base64
import re
from functools import partial
from typing import Final

from tfc_sentinel.lang.imports import ImportContext
from tfc_sentinel.lang.imports._util import bytes_text, expect_str, fail, native, utf8_bytes
from tfc_sentinel.lang.values import Value

_STD: Final = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
_URL: Final = re.compile(r"(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}==|[A-Za-z0-9_-]{3}=)?")


def _encode(ctx: ImportContext, name: str, url: bool, s: Value) -> str:
    data = utf8_bytes(expect_str(name, s, 1))
    ctx.check_size(name, (len(data) + 2) // 3 * 4)
    encoded = base64.urlsafe_b64encode(data) if url else base64.b64encode(data)
    return encoded.decode("ascii")


def _decode(name: str, url: bool, s: Value) -> str:
    text = expect_str(name, s, 1).replace("\r", "").replace("\n", "")
    if not (_URL if url else _STD).fullmatch(text):
        fail(name, "illegal base64 data")
    data = base64.urlsafe_b64decode(text) if url else base64.b64decode(text)
    return bytes_text(data)


def build(ctx: ImportContext) -> dict[str, Value]:
    return {
        "encode": native("base64.encode", partial(_encode, ctx, "base64.encode", False), 1),
        "decode": native("base64.decode", partial(_decode, "base64.decode", False), 1),
        "urlencode": native("base64.urlencode", partial(_encode, ctx, "base64.urlencode", True), 1),
        "urldecode": native("base64.urldecode", partial(_decode, "base64.urldecode", True), 1),
    }
