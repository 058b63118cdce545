"""The offer context: everything an offer's randomness is derived from, besides the secret."""

import struct
from typing import Any

import attrs

from ..errors import InvalidArgument

__all__ = ["OFFER_DOMAIN", "OfferContext", "check_text"]

OFFER_DOMAIN = b"jobslot-offer\x00v1\x00"
"""Domain-separation prefix of the canonical context encoding (version 1 of the encoding)."""

_INTS = struct.Struct(">QQQ")


def check_text(name: str, value: Any) -> None:
    """Refuse text UTF-8 cannot encode (a lone surrogate such as "\\udc80") with InvalidArgument
    naming the argument: the context encoding, documents and stores all need valid Unicode."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidArgument(
                name, value, f"is not valid Unicode text (lone surrogate at index {exc.start})"
            ) from None


def _lp(text: str) -> bytes:
    """A UTF-8 string prefixed by its byte length as 4-byte big-endian (unambiguous)."""
    raw = text.encode("utf-8")
    return len(raw).to_bytes(4, "big") + raw


@attrs.frozen
class OfferContext:
    """Who, where and which attempt an offer is for; with the secret it fixes the offer."""

    secret_id: str
    mek_id: str
    job_key: str
    prestige_sequence: int
    pit_stop_number: int
    reroll: int = 0

    def encode(self) -> bytes:
        """The canonical bytes: domain prefix, three length-prefixed strings, three u64 BE ints."""
        return (
            OFFER_DOMAIN
            + _lp(self.secret_id)
            + _lp(self.mek_id)
            + _lp(self.job_key)
            + _INTS.pack(self.prestige_sequence, self.pit_stop_number, self.reroll)
        )
