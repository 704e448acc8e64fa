"""``redbench tally`` and ``redbench compare`` on a file that says how it was published: the
file's lot seed (and method, seats, options) is used and the output says so; ``--seed`` and
the option flags override, and say so too; files that say nothing count as before."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import msgspec
import pytest

from ballots.box import BallotBox, PublishedCount
from ballots.bundle import Bundle, Package, ProcessRecord, seal
from ballots.digest import lot_seed, profile_digest
from ballots.formats import read_ballots, write_ballots
from ballots.recount import round_from_box
from engine.profile import RankedProfile
from service.records.exports import export
from tests.support.cli import run
from tests.support.paths import DEMO, ROOT

A, B, C = "儿童游乐设施", "健康监测站", "文化墙"


def tied_bundle(method: str = "irv", **options: object) -> Bundle:
    """A round of 3 A>B>C and 3 B>A>C: only the lot (drawn with the ballot-box digest)
    decides between A and B."""
    profile = RankedProfile.from_orders([A, B, C], [[A, B, C]] * 3 + [[B, A, C]] * 3)
    box = BallotBox(profile=profile, format="test", title="平局")
    record = round_from_box(box, method, method_options=options)  # type: ignore[arg-type]
    return seal(Package(process=ProcessRecord(title="平局"), rounds=(record,)))


def exported(bundle: Bundle, fmt: str, folder: Path, lang: str = "zh") -> Path:
    made = export(bundle, fmt, lang)
    path = folder / made.ascii_filename
    path.write_bytes(made.content)
    return path


@pytest.mark.parametrize("fmt", ["blt", "preflib", "ballots-csv", "json"])
def test_the_files_seed_is_used_and_said(capsys, tmp_path, fmt):
    bundle = tied_bundle()
    published = bundle.rounds[0].result
    path = exported(bundle, fmt, tmp_path)
    code, out, err = run(capsys, "tally", str(path), "--lang", "zh")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "计票规则取自文件：irv，席位 1，方法参数 {}"
    assert lines[1] == f"抽签种子取自文件，即公布结果时所用的种子：{published.seed}"
    assert lines[2] == ""
    assert f"当选: {published.winners[0]}" in out
    _, out, _ = run(capsys, "tally", str(path), "--method", "irv", "--lang", "en")
    assert out.splitlines()[:2] == [
        "Counting rules from the file: irv, seats 1, method options {}",
        f"Lot seed from the file, the one the published count drew with: {published.seed}",
    ]
    _, out, _ = run(capsys, "tally", str(path), "--json")
    shown = json.loads(out)
    assert shown.pop("seed_source") == "file"
    assert shown.pop("published") == {
        "method": "irv",
        "seats": 1,
        "method_options": {},
        "tie_policy": "lot",
        "lot_seed": published.seed,
    }
    assert shown == json.loads(msgspec.json.encode(published))  # the published result


def test_the_seed_of_the_file_is_not_the_files_own_digest(capsys, tmp_path):
    bundle = tied_bundle()
    path = exported(bundle, "blt", tmp_path)
    digest_seed = lot_seed(profile_digest(read_ballots(path).profile))
    _, out, _ = run(capsys, "tally", str(path), "--json")
    assert json.loads(out)["seed"] == bundle.rounds[0].result.seed != digest_seed


def test_seed_given_on_the_command_line_overrides_and_says_so(capsys, tmp_path):
    bundle = tied_bundle()
    path = exported(bundle, "blt", tmp_path)
    _, out, _ = run(capsys, "tally", str(path), "--seed", "42", "--lang", "en")
    assert out.splitlines()[1] == (
        f"Lot seed given with --seed: 42 (not the file's {bundle.rounds[0].result.seed}, so"
        " where a lot is drawn the result may differ from the published one)"
    )
    _, out, _ = run(capsys, "tally", str(path), "--seed", "42", "--lang", "zh")
    assert out.splitlines()[1].startswith("抽签种子由 --seed 指定：42（未用文件中的种子 ")
    _, out, _ = run(capsys, "tally", str(path), "--seed", "42", "--json")
    shown = json.loads(out)
    assert (shown["seed"], shown["seed_source"]) == ("42", "option")
    assert shown["published"]["lot_seed"] == bundle.rounds[0].result.seed


def test_a_file_that_refuses_lots_is_counted_without_one(capsys, tmp_path):
    profile = RankedProfile.from_orders([A, B, C], [[A, B, C]] * 4 + [[B, A, C]] * 2)
    record = round_from_box(BallotBox(profile, "test"), "schulze", tie_policy="refuse")
    bundle = seal(Package(process=ProcessRecord(title="无平局"), rounds=(record,)))
    path = exported(bundle, "preflib", tmp_path)
    _, out, _ = run(capsys, "tally", str(path), "--lang", "en")
    assert out.splitlines()[1] == (
        "The file says no lot is drawn: a tie that decides the outcome stops the count"
    )
    _, out, _ = run(capsys, "tally", str(path), "--json")
    assert json.loads(out)["seed"] is None
    assert json.loads(out)["seed_source"] == "none"
    _, out, _ = run(capsys, "tally", str(path), "--seed", "7", "--lang", "en")
    assert out.splitlines()[1] == "Lot seed given with --seed: 7 (the file says no lot is drawn)"


def test_the_files_method_options_apply_unless_a_flag_or_another_method_says(capsys, tmp_path):
    bundle = tied_bundle("borda", truncated="zero")
    path = exported(bundle, "ballots-csv", tmp_path)
    _, out, _ = run(capsys, "tally", str(path), "--json")
    shown = json.loads(out)
    assert shown["options"] == {"seats": 1, "truncated": "zero"}
    assert shown["winners"] == list(bundle.rounds[0].result.winners)
    _, out, _ = run(capsys, "tally", str(path), "--truncated", "modified", "--json")
    assert json.loads(out)["options"]["truncated"] == "modified"
    _, out, _ = run(capsys, "tally", str(path), "--method", "schulze", "--lang", "en")
    assert out.splitlines()[0] == (
        "The file was counted with borda; this count uses schulze, without the file's method"
        " options"
    )
    assert out.splitlines()[1].startswith("Lot seed from the file")


def test_compare_uses_the_files_seed_and_says_so(capsys, tmp_path):
    bundle = tied_bundle()
    seed = bundle.rounds[0].result.seed
    path = exported(bundle, "blt", tmp_path)
    _, out, _ = run(capsys, "compare", str(path), "--lang", "en")
    assert out.splitlines()[0] == (
        f"Lot seed from the file, the one the published count drew with: {seed}"
    )
    _, out, _ = run(capsys, "compare", str(path), "--json")
    shown = json.loads(out)
    assert shown["seed"] == bundle.rounds[0].result.seed
    assert shown["seed_source"] == "file"
    comparison = bundle.rounds[0].comparison
    assert comparison is not None
    assert [v["winners"] for v in shown["verdicts"]] == [
        list(v.winners) for v in comparison.verdicts
    ]


def test_a_file_that_says_nothing_counts_as_before(capsys):
    _, out, _ = run(capsys, "tally", str(DEMO), "--method", "irv", "--lang", "zh")
    assert out.startswith("计票方法: 即时决选（IRV）")  # no line about the seed
    _, out, _ = run(capsys, "tally", str(DEMO), "--method", "irv", "--json")
    shown = json.loads(out)
    assert shown["seed"] == profile_digest(read_ballots(DEMO).profile)
    assert (shown["seed_source"], shown["published"]) == ("ballots", None)


def test_a_method_is_needed_when_the_file_names_none(capsys):
    code, out, err = run(capsys, "tally", str(DEMO), "--lang", "en")
    assert (code, out) == (2, "")
    assert err == "redbench: error: --method is needed: the file does not say how it was counted\n"
    _, _, err = run(capsys, "tally", str(DEMO), "--lang", "zh")
    assert err == "redbench: 错误: 需要 --method：文件没有记载计票方法\n"


def test_the_console_script_reads_the_ballots_csv_export(tmp_path):
    bundle = tied_bundle("plurality")
    path = exported(bundle, "ballots-csv", tmp_path, lang="en")
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "tally", str(path), "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["winners"] == list(bundle.rounds[0].result.winners)
    assert shown["seed"] == bundle.rounds[0].result.seed


def test_sealing_an_exported_file_warns_when_its_own_lot_may_differ(capsys, tmp_path):
    # a service round's trackers are random: sealing its file again gives other trackers,
    # so another ballot-box digest and another lot
    box = read_ballots(exported(tied_bundle(), "blt", tmp_path))
    seed = "5" * 64
    path = tmp_path / "service.blt"
    write_ballots(replace(box, published=PublishedCount(method="irv", lot_seed=seed)), path)
    out_file = tmp_path / "sealed.json"
    code, out, err = run(
        capsys, "seal", str(path), "--method", "irv", "-o", str(out_file), "--lang", "zh"
    )
    assert code == 0, err
    assert out.splitlines()[0] == (
        f"注意：本次计票抽了签。文件公布的结果用的抽签种子是 {seed}，封装的决定包则以它自己的"
        "票箱摘要为种子，当选者可能不同；要重算公布的结果，请用 redbench tally"
    )
    _, out, _ = run(
        capsys, "seal", str(DEMO), "--method", "irv", "-o", str(out_file), "--lang", "zh"
    )
    assert out.startswith("当选")  # a file that states no published count


def test_the_tally_the_seal_note_points_to_recounts_with_the_published_seed(capsys, tmp_path):
    # the seal note's way back: redbench tally on the same file draws with its seed
    box = read_ballots(exported(tied_bundle(), "blt", tmp_path))
    seed = "5" * 64
    path = tmp_path / "service.blt"
    write_ballots(replace(box, published=PublishedCount(method="irv", lot_seed=seed)), path)
    code, out, err = run(capsys, "tally", str(path), "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert (shown["seed"], shown["seed_source"]) == (seed, "file")
