"""Fairness on the service side (issue 9): secrets of at least 16 bytes, salted commitments
registered before any offer, offer ids nobody can compute without the secret, valid Unicode."""

import hashlib

import pytest

from jobslot_core import JobSlots
from jobslot_core.engine import OfferContext, check_commitment
from jobslot_core.errors import InvalidArgument, NotOwned, UnknownOffer
from jobslot_core.storage.protocol import SECRETS


@pytest.mark.parametrize("secret", [b"x", b"ab", b"fifteen bytes!!"])
def test_a_service_refuses_a_short_secret(world, secret):
    """JobSlots' constructor needs 16 bytes and says why; nothing is registered."""
    before = world.snapshot()
    with pytest.raises(InvalidArgument) as caught:
        JobSlots(world.store, secret=secret, secret_id="short", clock=world.clock)
    assert caught.value.field == "secret" and "at least 16 bytes" in str(caught.value)
    assert world.snapshot() == before


def test_the_service_commits_to_its_secret_salted_before_any_offer(started):
    """The first start registers a salted commitment and announces it before any offer."""
    with started.store.unit_of_work(write=False) as uow:
        record = uow.get(SECRETS, (started.secret_id,))
    assert record is not None and record.salt_hex is not None
    assert record.commitment != hashlib.sha256(started.secret).hexdigest()
    assert check_commitment(record.commitment, started.secret, bytes.fromhex(record.salt_hex))
    kinds = [e.kind for e in started.game.events()]
    assert kinds[0] == "SecretCommitted"
    first = started.game.events()[0]
    assert dict(first.data) == {
        "secret_id": started.secret_id,
        "commitment": record.commitment,
        "registered_at_ms": record.registered_at_ms,
    }
    # restarting under the same secret checks it against the salted record and adds nothing
    JobSlots(started.store, secret=started.secret, secret_id=started.secret_id, clock=started.clock)
    assert [e.kind for e in started.game.events()].count("SecretCommitted") == 1


def test_offer_ids_cannot_be_computed_from_public_context(started):
    """Another wallet cannot derive an offer id from the context (defect 6): it is keyed."""
    started.clock.advance(seconds=200)
    offer = started.game.open_pit_stop("w1", "m1", "janitor")
    ctx = OfferContext(started.secret_id, "m1", "janitor", 0, offer.pit_stop_number, 0)
    assert offer.offer_id != "of_" + hashlib.sha256(ctx.encode()).hexdigest()[:24]
    assert offer.engine_version == 2
    started.game.register_mek("w2", "m2")
    started.refused(NotOwned, "offer_id", offer.offer_id, started.game.select_buff, "w2",
                    offer.offer_id, 0)
    public_guess = "of_" + hashlib.sha256(ctx.encode()).hexdigest()[:24]
    started.refused(UnknownOffer, "offer_id", public_guess, started.game.select_buff, "w2",
                    public_guess, 0)


@pytest.mark.parametrize("bad", ["\udc80", "m\ud800"])
def test_lone_surrogates_are_refused_naming_the_argument(started, bad):
    """Text UTF-8 cannot encode never reaches a store (defect 3), whichever store it is."""
    world = started
    world.refused(InvalidArgument, "mek_id", bad, world.game.register_mek, "w1", bad)
    world.refused(InvalidArgument, "wallet", bad, world.game.register_mek, bad, "m9")
    world.refused(InvalidArgument, "job_key", bad, world.game.open_pit_stop, "w1", "m1", bad)
    with pytest.raises(InvalidArgument) as caught:
        JobSlots(world.store, secret=b"another secret 01", secret_id=bad, clock=world.clock)
    assert caught.value.field == "secret_id"
