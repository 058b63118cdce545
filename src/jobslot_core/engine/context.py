"""The offer context: everything an offer's randomness is derived from, besides the secret."""

import struct

import attrs

__all__ = ["OFFER_DOMAIN", "OfferContext"]

OFFER_DOMAIN = b"jobslot-offer\x00v1\x00"
"""Domain-separation prefix of the canonical context encoding (version 1 of the encoding)."""

_INTS = struct.Struct(">QQQ")


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
