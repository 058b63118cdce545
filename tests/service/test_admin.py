"""Admin: catalog versions and edits, verifiable offers (decision 19), idempotency retention."""

import attrs
import pytest

from jobslot_core import JobSlots
from jobslot_core.catalog import BuffRange, Cost
from jobslot_core.engine import check_commitment, commitment
from jobslot_core.errors import InvalidArgument, UnknownOffer, UnknownSecret
from jobslot_core.storage.protocol import IDEMPOTENCY, SECRETS

GOLD_D_1_4 = BuffRange("gold_per_hour", "D", 1, 4, 2.0, 6.0, 4.0, 1.0)
"""The janitor's first gold cell, moved up from [1, 5]."""


@pytest.fixture
def open_offer(started):
    """Pit stop 1 of m1 is open; returns (world, offer)."""
    started.clock.advance(seconds=200)
    return started, started.game.open_pit_stop("w1", "m1", "janitor")


def test_edit_cell_publishes_a_new_version(started):
    """Editing one buff range cell publishes version 2 with the new cell."""
    version = started.admin.set_buff_range(GOLD_D_1_4)
    assert [v.seq for v in started.admin.versions()] == [1, version.seq] == [1, 2]
    assert started.admin.catalog().buff_range("gold_per_hour", "D", 2) == GOLD_D_1_4
    assert started.admin.catalog(1).buff_range("gold_per_hour", "D", 2).min_value == 1.0


def test_publishing_the_same_catalog_makes_no_version(started):
    """Publishing content identical to the latest version returns that version."""
    assert started.admin.publish(started.catalog).seq == 1
    assert len(started.admin.versions()) == 1


def test_existing_offer_keeps_its_catalog_version(open_offer):
    """An offer opened before an edit keeps version 1 and its choices."""
    w, offer = open_offer
    w.admin.set_buff_range(GOLD_D_1_4)
    assert w.game.open_pit_stop("w1", "m1", "janitor") == offer
    assert w.game.buff_history("m1", "janitor")[0].catalog_version == 1


def test_new_offers_use_the_new_version(open_offer):
    """The running service makes the next offer under the newly published version."""
    w, offer = open_offer
    w.game.select_buff("w1", offer.offer_id, 0)
    w.admin.set_buff_range(GOLD_D_1_4)
    w.clock.advance(seconds=300)
    assert w.game.open_pit_stop("w1", "m1", "janitor").catalog_version == 2


def test_published_policy_takes_effect(open_offer, variant_of):
    """Publishing a catalog with a re-roll price turns re-rolls on in the running service."""
    w, offer = open_offer
    w.admin.publish(variant_of(reroll=Cost("gold", 10)))
    assert w.game.reroll_offer("w1", offer.offer_id).reroll == 1


def test_verify_offer_with_the_right_secret(open_offer):
    """The secret the offer was made under recomputes it exactly."""
    w, offer = open_offer
    assert w.admin.verify_offer(offer.offer_id, w.secret) is True


def test_verify_offer_with_a_wrong_secret(open_offer):
    """Another secret does not reproduce the offer."""
    w, offer = open_offer
    assert w.admin.verify_offer(offer.offer_id, b"a guessed secret") is False
    check = w.admin.check_offer(offer.offer_id, b"a guessed secret")
    assert check.problems == ("the secret and salt do not match the published commitment",)
    assert w.admin.verify_offer(offer.offer_id, b"guess") is False  # too short to match


def test_verify_offer_checks_the_commitment(open_offer):
    """A rewritten commitment fails verification even with the right secret (defect 4)."""
    w, offer = open_offer
    with w.store.unit_of_work() as uow:
        known = uow.get(SECRETS, (w.secret_id,))
        uow.put(SECRETS, attrs.evolve(known, commitment="ab" * 32))
        uow.commit()
    assert w.admin.verify_offer(offer.offer_id, w.secret) is False
    assert not w.admin.check_offer(offer.offer_id, w.secret).ok


def test_verify_offer_after_an_edit_uses_the_offers_version(open_offer):
    """An offer made under version 1 still verifies after version 2 is published."""
    w, offer = open_offer
    w.admin.set_buff_range(GOLD_D_1_4)
    assert w.admin.verify_offer(offer.offer_id, w.secret) is True


def test_verify_an_unknown_offer_is_refused(started):
    """verify_offer of an id never made raises UnknownOffer."""
    with pytest.raises(UnknownOffer) as caught:
        started.admin.verify_offer("of_x", b"k" * 16)
    assert (caught.value.field, caught.value.value) == ("offer_id", "of_x")


def test_reveal_publishes_the_secret(started):
    """reveal_secret stores the secret (hex) beside its commitment."""
    record = started.admin.reveal_secret(started.secret_id, started.secret)
    assert record.revealed_hex == started.secret.hex()
    salt = bytes.fromhex(record.salt_hex) if record.salt_hex is not None else None
    assert check_commitment(record.commitment, started.secret, salt)
    revealed = [e for e in started.game.events(after=0) if e.kind == "SecretRevealed"]
    assert revealed[-1].data["secret_hex"] == started.secret.hex()
    assert revealed[-1].data["commitment"] == record.commitment


def test_register_secret_commits_with_a_fresh_salt(started):
    """register_secret stores a salted commitment, announces it, and refuses short secrets."""
    record = started.admin.register_secret("s9", b"the next secret 99")
    assert record.salt_hex is not None and len(bytes.fromhex(record.salt_hex)) == 32
    assert record.commitment == commitment(b"the next secret 99", bytes.fromhex(record.salt_hex))
    assert started.admin.register_secret("s9", b"the next secret 99") == record
    events = [e for e in started.game.events(after=0) if e.kind == "SecretCommitted"]
    assert events[-1].data == {
        "secret_id": "s9",
        "commitment": record.commitment,
        "registered_at_ms": record.registered_at_ms,
    }
    other = started.admin.register_secret("s10", b"the next secret 99")
    assert other.commitment != record.commitment  # salts differ
    with pytest.raises(UnknownSecret):
        started.admin.register_secret("s9", b"another secret 0123")
    with pytest.raises(InvalidArgument, match="at least 16 bytes"):
        started.admin.register_secret("s11", b"short")
    with pytest.raises(InvalidArgument) as caught:
        started.admin.register_secret("\udc80", b"the next secret 99")
    assert caught.value.field == "secret_id"


def test_reveal_with_a_wrong_secret_is_refused(started):
    """A secret that does not match the commitment is not revealed."""
    started.refused(
        UnknownSecret,
        "secret",
        "<hidden>",
        started.admin.reveal_secret,
        started.secret_id,
        b"not the secret 0123",
    )


def test_revealed_secret_makes_no_new_offers(started):
    """After its secret is revealed the service refuses to open a new pit stop."""
    started.admin.reveal_secret(started.secret_id, started.secret)
    started.clock.advance(seconds=200)
    started.refused(
        UnknownSecret, "secret_id", "s1", started.game.open_pit_stop, "w1", "m1", "janitor"
    )


def test_revealed_secret_cannot_start_a_service(started):
    """A new service under a revealed secret id is refused."""
    started.admin.reveal_secret(started.secret_id, started.secret)
    with pytest.raises(UnknownSecret) as caught:
        JobSlots(started.store, secret=started.secret, secret_id="s1", clock=started.clock)
    assert (caught.value.field, caught.value.value) == ("secret_id", "s1")


def test_rotated_secret_makes_offers_again(started):
    """A service started under a new secret id opens pit stops again."""
    started.admin.reveal_secret(started.secret_id, started.secret)
    game = JobSlots(
        started.store, secret=b"next secret 0123456", secret_id="s2", clock=started.clock
    )
    started.clock.advance(seconds=200)
    assert game.open_pit_stop("w1", "m1", "janitor").secret_id == "s2"


def test_purge_idempotency_forgets_old_keys(started):
    """Purged keys are gone: the same key then runs the command again."""
    started.game.deposit("w1", "gold", 5, idempotency_key="old")
    started.clock.advance(seconds=60)
    started.game.deposit("w1", "gold", 7, idempotency_key="new")
    now = started.clock.now_ms()
    with started.store.unit_of_work(write=False) as uow:
        older = [r.key for r in uow.find(IDEMPOTENCY) if r.at_ms < now]
    # Besides "old": the runner's settle markers (automatic "~" keys) where a store has them.
    assert [k for k in older if not k.startswith("~")] == ["old"]
    assert started.admin.purge_idempotency(now) == len(older)
    started.game.deposit("w1", "gold", 5, idempotency_key="old")
    started.game.deposit("w1", "gold", 7, idempotency_key="new")
    assert started.game.balance("w1", "gold") == 99_900 + 5 + 7 + 5


def test_restart_with_the_same_catalog_keeps_admin_edits(started):
    """A host restarting with its original catalog does not undo an admin edit (regression)."""
    started.admin.set_buff_range(GOLD_D_1_4)
    JobSlots(started.store, started.catalog, secret=started.secret, secret_id="s1")
    assert [v.seq for v in started.admin.versions()] == [1, 2]
    assert started.admin.catalog().buff_range("gold_per_hour", "D", 2) == GOLD_D_1_4


def test_restart_with_a_new_catalog_publishes_it(started, variant_of):
    """A catalog never published before becomes the next version when a service starts."""
    new = variant_of(reroll=Cost("gold", 10))
    JobSlots(started.store, new, secret=started.secret, secret_id="s1")
    assert [v.seq for v in started.admin.versions()] == [1, 2]
    assert started.admin.catalog() == new
