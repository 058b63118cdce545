"""Offer secrets (decision 19, 24): salted commitments registered before use, checked on reveal."""

from __future__ import annotations

import os

from ..engine import check_commitment, commitment
from ..model import OfferSecret
from ..storage.protocol import SECRETS
from ._context import Context

__all__ = ["matches", "register_commitment"]


def matches(known: OfferSecret, secret: bytes) -> bool:
    """Whether `secret` is the one `known` commits to (salted, or plain SHA-256 in records
    registered before salts)."""
    salt = bytes.fromhex(known.salt_hex) if known.salt_hex is not None else None
    return check_commitment(known.commitment, secret, salt)


def register_commitment(ctx: Context, secret_id: str, secret: bytes) -> OfferSecret:
    """Record a salted commitment to `secret` with a fresh 32-byte salt (private until the
    reveal) and announce it: the SecretCommitted event carries what a verifier keeps."""
    salt = os.urandom(32)
    record = OfferSecret(secret_id, commitment(secret, salt), ctx.now, salt_hex=salt.hex())
    ctx.uow.add(SECRETS, record)
    ctx.emit(
        "SecretCommitted",
        None,
        secret_id=secret_id,
        commitment=record.commitment,
        registered_at_ms=record.registered_at_ms,
    )
    return record
