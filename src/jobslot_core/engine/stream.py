"""The offer's random stream: HMAC-SHA256 counter mode over a secret and an offer context.

Block ``i`` is ``HMAC-SHA256(secret, context_bytes || i as 8-byte big-endian)``; each 32-byte
block gives four big-endian 64-bit words, used in order; word ``w`` becomes the uniform
``((w >> 11) + 0.5) * 2**-53``, strictly inside (0, 1). Anyone holding the secret can recompute
the stream (decision 19).
"""

from __future__ import annotations

import hashlib
import struct

__all__ = ["BELOW_ONE", "WORD_TOP", "OfferStream", "commitment", "to_uniform"]

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


def commitment(secret: bytes) -> str:
    """Hex SHA-256 of `secret`: publishable before the secret is used, checkable after reveal."""
    return hashlib.sha256(secret).hexdigest()


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
