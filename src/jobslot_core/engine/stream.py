"""The offer's random stream: HMAC-SHA256 counter mode over a secret and an offer context.

Block ``i`` is ``HMAC-SHA256(secret, context_bytes || i as 8-byte big-endian)``; each 32-byte
block gives four big-endian 64-bit words, used in order; word ``w`` becomes the uniform
``((w >> 11) + 0.5) * 2**-53``, strictly inside (0, 1). Anyone holding the secret can recompute
the stream (decision 19).
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from typing import Any

from ..errors import InvalidArgument
from .versions import MIN_SECRET_BYTES

__all__ = [
    "BELOW_ONE",
    "COMMITMENT_DOMAIN",
    "MIN_SALT_BYTES",
    "WORD_TOP",
    "OfferStream",
    "check_commitment",
    "check_secret",
    "commitment",
    "to_uniform",
]

_UNPACK = struct.Struct(">4Q").unpack
_SCALE = 2.0**-53
WORD_TOP = (2**53 - 1) << 11
"""Words at or above this have (w >> 11) = 2**53 - 1, where (w >> 11) + 0.5 rounds to 2**53."""
BELOW_ONE = 1.0 - 2.0**-53
"""The uniform of those words: the largest double below 1 (the formula would round to 1.0)."""


def to_uniform(word: int) -> float:
    """((word >> 11) + 0.5) * 2**-53 in IEEE double; the top 2**11 words give 1 - 2**-53."""
    return ((word >> 11) + 0.5) * _SCALE if word < WORD_TOP else BELOW_ONE
_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


_pad_cache: dict[bytes, tuple[hashlib._Hash, hashlib._Hash]] = {}
"""Cache: secret -> its HMAC key-pad states (a few secrets per process; at most 16)."""


def _pads(secret: bytes) -> tuple[hashlib._Hash, hashlib._Hash]:
    """SHA-256 states after absorbing the HMAC key pads (RFC 2104), computed once per secret."""
    found = _pad_cache.get(secret)
    if found is None:
        key = hashlib.sha256(secret).digest() if len(secret) > 64 else secret
        key = key.ljust(64, b"\0")
        found = (hashlib.sha256(key.translate(_IPAD)), hashlib.sha256(key.translate(_OPAD)))
        if len(_pad_cache) >= 16:
            _pad_cache.clear()
        _pad_cache[secret] = found
    return found


COMMITMENT_DOMAIN = b"jobslot-commitment\x00v2\x00"
"""Domain prefix of salted commitments."""
MIN_SALT_BYTES = 16
"""Shortest salt: with at least 128 unknown bits, a commitment reveals nothing of its secret."""


def check_secret(secret: Any, *, legacy: bool = False, name: str = "secret") -> bytes:
    """`secret` as bytes, refused unless it is at least `MIN_SECRET_BYTES` long (`legacy`: any
    non-empty length, to recompute engine version 1 offers made before the rule)."""
    if not isinstance(secret, bytes | bytearray) or not secret:
        raise InvalidArgument(name, "<redacted>", "must be non-empty bytes")
    if not legacy and len(secret) < MIN_SECRET_BYTES:
        raise InvalidArgument(
            name,
            f"<{len(secret)} bytes>",
            f"must be at least {MIN_SECRET_BYTES} bytes: a shorter secret can be found by trying "
            "every value against its commitment or its offers, and then predicts every offer",
        )
    return bytes(secret)


def _check_salt(salt: Any) -> bytes:
    if not isinstance(salt, bytes | bytearray) or len(salt) < MIN_SALT_BYTES:
        raise InvalidArgument(
            "salt",
            salt.hex() if isinstance(salt, bytes | bytearray) else salt,
            f"must be at least {MIN_SALT_BYTES} random bytes",
        )
    return bytes(salt)


def commitment(secret: bytes, salt: bytes) -> str:
    """The published commitment to `secret`: hex SHA-256 of COMMITMENT_DOMAIN, the salt's length
    (4-byte big-endian), the salt and the secret. The salt stays private until it is revealed
    with the secret, so the commitment tells nothing about the secret, however guessable.

    Raises:
        InvalidArgument: a secret shorter than 16 bytes or a salt shorter than 16 bytes.
    """
    secret = check_secret(secret)
    salt = _check_salt(salt)
    data = COMMITMENT_DOMAIN + len(salt).to_bytes(4, "big") + salt + secret
    return hashlib.sha256(data).hexdigest()


def check_commitment(published: str, secret: bytes, salt: bytes | None) -> bool:
    """Whether a revealed secret (and salt) matches its published commitment.

    Records registered before salts (`salt` None) committed to plain SHA-256 of the secret;
    they are checked that way. Comparison is constant-time.
    """
    if not isinstance(published, str):
        return False
    if salt is None:
        expected = hashlib.sha256(check_secret(secret, legacy=True)).hexdigest()
    else:
        expected = commitment(secret, salt)
    return hmac.compare_digest(published.lower().encode("utf-8", "replace"), expected.encode())


class OfferStream:
    """Deterministic uniforms in (0, 1) derived from (secret, context) by HMAC-SHA256."""

    __slots__ = ("_buf", "_context", "_counter", "_inner", "_outer")

    _buf: list[float]
    _context: bytes
    _counter: int
    _inner: hashlib._Hash
    _outer: hashlib._Hash

    def __init__(self, secret: bytes, context_bytes: bytes) -> None:
        self._inner, self._outer = _pads(bytes(secret))
        self._context = bytes(context_bytes)
        self._counter = 0
        self._buf: list[float] = []

    @classmethod
    def _resume(
        cls,
        pads: tuple[hashlib._Hash, hashlib._Hash],
        context_bytes: bytes,
        pending: list[float],
        counter: int,
    ) -> OfferStream:
        """A stream positioned after `counter` blocks, with `pending` uniforms (reversed) left."""
        self = cls.__new__(cls)
        self._inner, self._outer = pads
        self._context = context_bytes
        self._counter = counter
        self._buf = pending
        return self

    @property
    def blocks_used(self) -> int:
        """How many HMAC blocks the stream has computed so far."""
        return self._counter

    def _block(self, counter: int) -> bytes:
        """HMAC-SHA256(secret, context || counter) from the cached key-pad states."""
        inner = self._inner.copy()
        inner.update(self._context + counter.to_bytes(8, "big"))
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()

    def _refill(self) -> None:
        block = self._block(self._counter)
        self._counter += 1
        a, b, c, d = _UNPACK(block)
        # Reversed so that list.pop() yields the words in order a, b, c, d.
        self._buf = [to_uniform(d), to_uniform(c), to_uniform(b), to_uniform(a)]

    def uniform(self) -> float:
        """The next uniform, ((word >> 11) + 0.5) * 2**-53, strictly inside (0, 1).

        The formula is evaluated in IEEE double; for the top 2**11 words it would round to 1.0,
        and those give 1 - 2**-53 instead (see `to_uniform`).
        """
        buf = self._buf
        if not buf:
            self._refill()
            buf = self._buf
        return buf.pop()

    def words(self, n: int) -> list[int]:
        """The raw 64-bit words of the first `n` words of a fresh stream (for verification)."""
        out: list[int] = []
        counter = 0
        while len(out) < n:
            out.extend(_UNPACK(self._block(counter)))
            counter += 1
        return out[:n]
