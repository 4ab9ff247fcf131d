"""HMAC-SHA512 signatures of Terraform Cloud's webhook bodies (tfc-api.md sections 11 and 12).

Both Terraform Cloud senders sign the same way: the lowercase hex HMAC-SHA512 of the raw request body,
keyed with the secret configured on the notification or run task. The check works on the exact bytes
received (never on re-serialised JSON, whose spacing and key order differ) and compares in constant
time, so an attacker learns nothing from how long a rejection takes.

Only the lowercase hex form the senders produce is accepted: an upper-case or otherwise re-encoded
signature is not what Terraform Cloud sends, so it is treated as forged rather than normalised.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["sign", "verify"]


def _key_bytes(key: str | bytes) -> bytes:
    return key if isinstance(key, bytes) else key.encode("utf-8")


def sign(key: str | bytes, body: bytes) -> str:
    """The signature Terraform Cloud would send for ``body``: lowercase hex HMAC-SHA512."""
    return hmac.new(_key_bytes(key), body, hashlib.sha512).hexdigest()


def verify(key: str | bytes, body: bytes, signature: str | None) -> bool:
    """Whether ``signature`` is ``body``'s signature under ``key``. An empty key never verifies: a
    receiver without a key cannot tell a signed request from a forged one."""
    if not key or not signature:
        return False
    expected = sign(key, body).encode("ascii")
    try:
        given = signature.encode("ascii")
    except UnicodeEncodeError:  # not hex at all; compare_digest needs equal types, not equal lengths
        return False
    return hmac.compare_digest(expected, given)
