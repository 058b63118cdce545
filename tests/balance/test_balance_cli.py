"""The balance command line: validate (lint), simulate, career, compare and replay, their
--json/--csv output, --plot and its refusals, help defaults and the progress line."""

import csv
import io
import json
import sys
from pathlib import Path

import pytest

from jobslot_core import JobSlots, ManualClock, load_catalog
from jobslot_core.cli import main
from jobslot_core.storage.sqlite import SQLiteStore

ROOT = Path(__file__).resolve().parents[2]
CATALOG = str(ROOT / "examples" / "catalog.toml")
SECRET = bytes(range(32))


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _richer(tmp_path: Path) -> Path:
    """The example catalog with a richer janitor D 1-4 gold cell (mean 3 -> 4)."""
    text = Path(CATALOG).read_text()
    old = "min_value = 1.0\nmax_value = 5.0\nmean_value = 3.0"
    assert old in text
    path = tmp_path / "richer.toml"
    path.write_text(text.replace(old, "min_value = 1.0\nmax_value = 5.0\nmean_value = 4.0", 1))
    return path


def test_validate_reports_every_error_with_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = Path(CATALOG).read_text()
    broken = tmp_path / "broken.toml"
    text = text.replace('tier = "D"', 'tier = "Z"', 1)
    broken.write_text(text.replace("max_value = 150.0", "max_value = 150.125"))
    code, out, err = run(["validate", str(broken)], capsys)
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert lines[0].startswith("error: InvalidCatalog: job_types.janitor.tier (line 20): 'Z'")
    assert lines[1].startswith("error: InvalidCatalog: buff_ranges[8].max_value (line ")
    assert lines[-1] == f"2 error(s) in {broken}"


def test_validate_warns_about_the_dead_cell(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["validate", CATALOG], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("ok: 3 job types")
    assert lines[1].startswith("warning: buff_ranges[2] (line 236): 'gold_per_hour/D'")


def test_simulate_warns_on_a_cell_no_offer_draws(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["simulate", CATALOG, "--buff", "gold_per_hour", "--tier", "D", "-n", "500"]
    code, _, err = run([*argv, "--level", "8"], capsys)
    assert code == 0 and "warning: this cell is never drawn by an offer" in err
    code, _, err = run([*argv, "--level", "5"], capsys)
    assert code == 0 and err == ""


def test_simulate_json_and_csv(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["simulate", CATALOG, "--buff", "gold_per_hour", "--tier", "D", "--level", "1"]
    code, out, _ = run([*argv, "-n", "1000", "--bins", "4", "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["n"] == 1000 and len(data["histogram"]) == 4
    assert sum(data["rarity_shares"].values()) == pytest.approx(1.0)
    code, out, _ = run([*argv, "-n", "1000", "--bins", "4", "--csv"], capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [int(r["count"]) for r in rows] == [b[2] for b in data["histogram"]]


def test_career_text_json_csv(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["career", CATALOG, "--job", "janitor", "--careers", "3000", "--seed", "1"]
    argv += ["--pick", "greedy:gold_rate"]
    code, out, _ = run(argv, capsys)
    assert code == 0 and out.startswith("3000 careers of janitor (seed 1, pick greedy:gold_rate")
    code, out, _ = run([*argv, "--json"], capsys)
    data = json.loads(out)
    assert data["careers"] == 3000 and len(data["effects"]["gold_rate"]) == 3
    assert 0.04 < data["never"]["gold_rate"] < 0.09
    code, out, _ = run([*argv, "--csv"], capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    final = [r for r in rows if r["name"] == "gold_rate" and r["checkpoint"] == "stop3"]
    assert float(final[0]["p50"]) == data["effects"]["gold_rate"][-1]["p50"]


def test_compare_identical_and_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--careers", "500", "--offers", "500", "--fail-on-difference"]
    code, out, _ = run(["compare", CATALOG, CATALOG, *argv], capsys)
    assert (code, out) == (0, "no differences\n")
    richer = str(_richer(tmp_path))
    code, out, _ = run(["compare", CATALOG, richer, *argv, "--job", "janitor"], capsys)
    assert code == 1
    assert "buff_ranges[gold_per_hour,D,1-4].mean_value: 3.0 -> 4.0" in out
    code, out, _ = run(["compare", CATALOG, richer, *argv, "--job", "janitor", "--csv"], capsys)
    kinds = {r["kind"] for r in csv.DictReader(io.StringIO(out))}
    assert {"field", "offer_mean", "career_p50"} <= kinds


@pytest.fixture
def game_db(tmp_path: Path) -> Path:
    """The example catalog played on a SQLite file: four Meks through the janitor's pit stops."""
    path = tmp_path / "game.db"
    clock = ManualClock(0)
    catalog = load_catalog(CATALOG)
    with SQLiteStore(path) as store:
        game = JobSlots(store, catalog, secret=SECRET, secret_id="s1", clock=clock)
        players = [(f"w{i}", f"m{i}") for i in range(1, 5)]
        for wallet, mek in players:
            game.register_mek(wallet, mek)
            game.deposit(wallet, "gold", 500)
            game.unlock_slot(wallet, 1)
            game.purchase_job(wallet, 1, "janitor")
            game.assign_mek(wallet, 1, mek)
        worked = 0
        for stop in catalog.job_types["janitor"].pit_stops:
            due = catalog.job_types["janitor"].pit_stop_tenure(stop.number)
            clock.advance(seconds=due - worked)
            worked = due
            for wallet, mek in players:
                offer = game.open_pit_stop(wallet, mek, "janitor")
                game.select_buff(wallet, offer.offer_id, 0)
    return path


def test_replay_stored_and_candidate(
    game_db: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret_file = tmp_path / "s1.hex"
    secret_file.write_text(SECRET.hex())
    secret = ["--secret-file", f"s1={secret_file}", "--fail-on-difference"]
    for candidate in ("stored", CATALOG):
        code, out, _ = run(["replay", str(game_db), candidate, *secret], capsys)
        assert (code, out) == (0, "12 stored offers: 0 would change; 0 of 12 picks would change\n")
    code, out, _ = run(["replay", str(game_db), str(_richer(tmp_path)), *secret, "--json"], capsys)
    data = json.loads(out)
    assert code == 1 and len(data["offers"]) == 12
    code, out, err = run(["replay", str(game_db), "stored", "--secret-file", "s1"], capsys)
    assert code == 2 and "--secret-file" in err
    code, out, err = run(["replay", str(game_db), "stored"], capsys)
    assert code == 2 and "--secret-file" in err
    monkeypatch.setenv("JOBSLOT_S1", SECRET.hex())
    code, out, _ = run(
        ["replay", str(game_db), "stored", "--secret-env", "s1=JOBSLOT_S1"], capsys
    )
    assert (code, out) == (0, "12 stored offers: 0 would change; 0 of 12 picks would change\n")
    code, out, err = run(["replay", str(tmp_path / "none.db"), "stored", *secret], capsys)
    assert code == 2 and "no such file" in err


def test_help_shows_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    for command, expected in (
        ("career", "(default: 10000)"),
        ("compare", "(default: 2000)"),
        ("simulate", "(default: 100000)"),
        ("replay", "SECRET_ID=PATH"),
    ):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        out, _ = capsys.readouterr()
        assert expected in out, command
        assert "(default: None)" not in out


def test_plot_refuses_before_computing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import jobslot_core.balance as balance

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("computed before refusing")

    monkeypatch.setattr(balance, "simulate_career", never)
    argv = ["career", CATALOG, "--job", "janitor", "--careers", "10"]
    code, _, err = run([*argv, "--plot", str(tmp_path / "missing" / "x.png")], capsys)
    assert code == 2 and "its folder does not exist" in err
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code, _, err = run([*argv, "--plot", str(tmp_path / "x.png")], capsys)
    assert code == 2 and "jobslot_core[plot]" in err
    assert not (tmp_path / "x.png").exists()


def test_plots_are_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")  # the `test` extra installs it; a bare host may not
    cell, career, overlay = (tmp_path / n for n in ("cell.png", "career.png", "overlay.png"))
    sim = ["simulate", CATALOG, "--buff", "gold_per_hour", "--tier", "D", "--level", "1"]
    assert run([*sim, "-n", "2000", "--plot", str(cell)], capsys)[0] == 0
    argv = ["career", CATALOG, "--job", "janitor", "--careers", "300", "--effect", "gold_rate"]
    assert run([*argv, "--plot", str(career)], capsys)[0] == 0
    richer = str(_richer(tmp_path))
    argv = ["compare", CATALOG, richer, "--careers", "300", "--offers", "100", "--job", "janitor"]
    assert run([*argv, "--plot", str(overlay), "--effect", "gold_rate"], capsys)[0] == 0
    for png in (cell, career, overlay):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_line_only_on_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ["career", CATALOG, "--job", "janitor", "--careers", "2500"]
    _, _, err = run(argv, capsys)
    assert err == ""
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(argv) == 0
    text = terminal.getvalue()
    assert "\rjanitor careers: 0/2500 (0%)" in text
    assert "\rjanitor careers: 2000/2500 (80%)" in text
    assert text.endswith("\rjanitor careers: 2500/2500 (100%)\n")
