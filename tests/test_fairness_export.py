"""A player's check from exported files alone (issue 9): the operator exports offers from a
SQLite game file, the file is deleted, and another process verifies with no store."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest

from jobslot_core import Admin, PublishedRecord
from jobslot_core.clock import ManualClock
from jobslot_core.engine import verify_offer
from jobslot_core.service import JobSlots
from jobslot_core.storage import SQLiteStore
from jobslot_core.testing.commands import machine_catalog

SECRET = b"export test secret 0123456789abc"


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jobslot_core", *args],
        capture_output=True, text=True, timeout=120, check=False, env=env,
    )


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """Six offers under a revealed secret, across a catalog edit, exported; the database gone."""
    folder = tmp_path_factory.mktemp("export")
    db = folder / "game.db"
    clock = ManualClock(0)
    with SQLiteStore(db) as store:
        game = JobSlots(store, machine_catalog(), secret=SECRET, secret_id="s1", clock=clock)
        admin = Admin(store, clock=clock)
        ids = []
        for wallet, mek in (("w1", "m1"), ("w2", "m2")):
            game.register_mek(wallet, mek)
            game.deposit(wallet, "gold", 500)
            game.unlock_slot(wallet, 1)
            game.purchase_job(wallet, 1, "quick")
            game.assign_mek(wallet, 1, mek)
        for index in range(3):
            clock.advance(seconds=40)
            for wallet, mek in (("w1", "m1"), ("w2", "m2")):
                offer = game.open_pit_stop(wallet, mek, "quick")
                ids.append(offer.offer_id)
                game.select_buff(wallet, offer.offer_id, index)
            if index == 0:
                rng = machine_catalog().rng
                admin.set_rng_config(
                    attrs.evolve(rng, guarantee_one_common=not rng.guarantee_one_common)
                )
        unrevealed = PublishedRecord(store).export_offer(ids[0])
        admin.reveal_secret("s1", SECRET)
        bundles = [PublishedRecord(store).export_offer(i) for i in ids]
    db.unlink()
    for i, bundle in enumerate(bundles):
        (folder / f"offer-{i}.json").write_text(json.dumps(bundle))
    (folder / "unrevealed.json").write_text(json.dumps(unrevealed))
    return folder, bundles


def test_every_exported_offer_verifies_in_another_process(exported: Any) -> None:
    folder, bundles = exported
    assert len({b["offer"]["catalog_version"] for b in bundles}) == 2  # across the edit
    assert all(b["offer"]["engine_version"] == 2 for b in bundles)
    for i in range(len(bundles)):
        done = _cli("verify-offer", str(folder / f"offer-{i}.json"))
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.startswith("ok: offer of_")


def test_the_three_parts_from_separate_files(exported: Any) -> None:
    folder, bundles = exported
    paths = {}
    for name in ("offer", "catalog_version", "secret_record"):
        paths[name] = folder / f"part-{name}.json"
        paths[name].write_text(json.dumps(bundles[1][name]))
    done = _cli("verify-offer", "--offer", str(paths["offer"]), "--catalog-version",
                str(paths["catalog_version"]), "--secret-record", str(paths["secret_record"]))
    assert done.returncode == 0, done.stdout + done.stderr


def test_before_the_reveal_the_record_withholds_salt_and_secret(exported: Any) -> None:
    folder, _ = exported
    bundle = json.loads((folder / "unrevealed.json").read_text())
    assert bundle["secret_record"]["salt_hex"] is None
    assert bundle["secret_record"]["revealed_hex"] is None
    done = _cli("verify-offer", str(folder / "unrevealed.json"))
    assert done.returncode == 1 and "is not revealed" in done.stdout


@pytest.mark.parametrize(
    ("part", "field", "value", "problem"),
    [
        ("offer", "reroll", 1, "recomputed offer id"),
        ("offer", "created_at_ms", -1, "after the offer"),
        ("secret_record", "commitment", "00" * 32, "do not match the published commitment"),
        ("secret_record", "salt_hex", "11" * 32, "do not match the published commitment"),
        ("secret_record", "revealed_hex", (b"another secret 0123456789").hex(), "do not match"),
        ("catalog_version", "fingerprint", "ab" * 32, "does not match its published fingerprint"),
        ("catalog_version", "seq", 99, "the offer was made under version"),
    ],
)
def test_tampering_is_caught(
    exported: Any, tmp_path: Path, part: str, field: str, value: Any, problem: str
) -> None:
    _, bundles = exported
    bundle = json.loads(json.dumps(bundles[2]))
    bundle[part][field] = value
    check = verify_offer(bundle["offer"], bundle["catalog_version"], bundle["secret_record"])
    assert not check.ok and any(problem in p for p in check.problems), check.problems
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(bundle))
    done = _cli("verify-offer", str(path))
    assert done.returncode == 1 and done.stdout.startswith("FAILED")


def test_a_forged_choice_is_caught(exported: Any) -> None:
    _, bundles = exported
    bundle = json.loads(json.dumps(bundles[3]))
    choice = bundle["offer"]["choices"][1]
    choice["value"] = choice["max_value"] if choice["value"] != choice["max_value"] else (
        choice["min_value"]
    )
    check = verify_offer(bundle["offer"], bundle["catalog_version"], bundle["secret_record"])
    assert [p for p in check.problems if p.startswith("choice 1 recomputes")]
