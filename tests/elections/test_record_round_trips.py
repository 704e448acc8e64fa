"""Real elections through the decision record: Glasgow 2007 (BLT, Scottish STV) and Warsaw
2017 Gocław (pabulib, greedy) are imported, counted, exported as a sealed bundle and as
ballot files again, and verified — from the bundle alone, and on the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from ballots.bundle import Package, ProcessRecord, decode, encode, seal
from ballots.formats import read_ballots, write_ballots
from ballots.recount import ballot_box, round_from_box
from ballots.verify import verify
from engine import tally
from service.cli import main
from tests.support.paths import ELECTIONS

GLASGOW = [
    ("Calton-2007", ("George Redmond", "Alison E Thewliss", "Ruth Simpson"), 5_199),
    (
        "Anderston-City-2007",
        ("Craig MacKay", "Philip Braat", "Nina Baker", "Gordon Matheson"),
        6_900,
    ),
]
WARSAW = ELECTIONS / "pabulib" / "Poland_Warszawa_2017_Goclaw.pb"


@pytest.mark.parametrize(("ward", "winners", "ballots"), GLASGOW)
def test_glasgow_import_count_export_verify(tmp_path: Path, ward, winners, ballots) -> None:
    box = read_ballots(ELECTIONS / "scotland" / f"{ward}.blt")
    record = round_from_box(box, "stv")
    assert record.counting.seats == box.seats
    assert record.result.winners == winners  # the official councillors, in elected order
    assert len(record.ballots) == ballots
    bundle = seal(Package(process=ProcessRecord(title=box.title), rounds=(record,)))
    data = encode(bundle)
    report = verify(data)
    assert report.verified, report.findings
    assert report.ballots == ballots

    # the bundle's ballots as a BLT file again: read back, they count the same, stage by stage
    out = tmp_path / f"{ward}.blt"
    write_ballots(ballot_box(decode(data).rounds[0], box.title), out)
    again = read_ballots(out)
    assert again.seats == box.seats
    assert tally("stv", again.profile, seats=again.seats or 1, seed=record.result.seed) == (
        record.result
    )


def test_warsaw_import_count_export_verify(tmp_path: Path) -> None:
    box = read_ballots(WARSAW)
    record = round_from_box(box, "greedy")
    assert sorted(record.result.winners) == sorted(box.official or ())  # the 11 funded projects
    assert sum(d.cost for d in record.result.decisions if d.funded) == 957_435.0
    bundle = seal(Package(process=ProcessRecord(title=box.title), rounds=(record,)))
    assert verify(encode(bundle)).verified

    out = tmp_path / "goclaw.pb"
    write_ballots(ballot_box(record, box.title), out)
    again = read_ballots(out)
    assert again.profile.total == 2_093
    # counted under the projects' names again, with the bundle's lot seed
    assert again.profile.candidates == record.rules.candidates
    assert again.published is not None
    assert again.published.lot_seed == record.result.seed
    assert tally("greedy", again.profile, seed=again.published.lot_seed) == record.result
    assert sorted(again.official or ()) == sorted(box.official or ())


def test_seal_and_verify_on_the_command_line(tmp_path: Path, capsys) -> None:
    bundle = tmp_path / "calton.json"
    calton = ELECTIONS / "scotland" / "Calton-2007.blt"
    code = main(["seal", str(calton), "--method", "stv", "-o", str(bundle), "--lang", "en"])
    assert code == 0
    sealed = capsys.readouterr().out
    assert "Winners: George Redmond, Alison E Thewliss, Ruth Simpson" in sealed
    assert main(["verify", str(bundle), "--lang", "en"]) == 0
    assert capsys.readouterr().out.startswith("verified: package digest ")

    # one paper changed in a text editor: caught, named, non-zero exit
    text = bundle.read_text(encoding="utf-8")
    start = text.index('"ballots":[{"tracker"')
    first = text.index('"ranking":[[', start) + len('"ranking":[[')
    end = text.index("]", first)
    tampered = tmp_path / "tampered.json"
    other = '"Ruth Simpson"' if text[first:end] != '"Ruth Simpson"' else '"George Redmond"'
    tampered.write_text(text[:first] + other + text[end:], encoding="utf-8")
    assert main(["verify", str(tampered), "--lang", "en"]) == 1
    shown = capsys.readouterr().out
    assert shown.startswith("NOT verified: ")
    assert "ballot 1 (tracker " in shown
    assert "does not match its ballot-box line hash" in shown
