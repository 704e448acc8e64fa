"""The BLT, PrefLib and pabulib readers parse plain ballot lines at once and read anything
else line by line: both ways give the same ballot box, on every real election file, on
random files written by the writers and on hand-made files with the unusual spellings the
formats allow."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from ballots.box import BallotBox
from ballots.errors import FormatError
from ballots.formats import blt, pabulib, preflib
from engine.profile import ApprovalProfile, RankedProfile
from tests.support.paths import ELECTIONS

READERS = {".blt": blt, ".pb": pabulib} | dict.fromkeys(preflib.EXTENSIONS, preflib)
REAL = sorted(p for p in ELECTIONS.rglob("*") if p.suffix in READERS)


def both_ways(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[BallotBox, BallotBox, bool]:
    """The box read as the reader reads it, the box read line by line, and whether the
    first reading parsed the ballot lines at once."""
    module: ModuleType = READERS[path.suffix]
    bulk: Callable[..., Any] = module._bulk
    taken: list[bool] = []

    def spy(*args: Any) -> Any:
        found = bulk(*args)
        taken.append(found is not None)
        return found

    with monkeypatch.context() as patch:
        patch.setattr(module, "_bulk", spy)
        fast = module.read(path)
    with monkeypatch.context() as patch:
        patch.setattr(module, "_bulk", lambda *args: None)
        slow = module.read(path)
    return fast, slow, any(taken)


def same_box(a: BallotBox, b: BallotBox) -> bool:
    pa, pb = a.profile, b.profile
    if isinstance(pa, RankedProfile) and isinstance(pb, RankedProfile):
        marks_equal = np.array_equal(pa.ranks, pb.ranks)
    elif isinstance(pa, ApprovalProfile) and isinstance(pb, ApprovalProfile):
        marks_equal = np.array_equal(pa.approvals, pb.approvals) and (pa.costs, pa.budget) == (
            pb.costs,
            pb.budget,
        )
    else:
        return False
    return (
        marks_equal
        and pa.candidates == pb.candidates
        and np.array_equal(pa.counts, pb.counts)
        and (a.title, a.seats, a.notes, a.meta, a.official, a.published)
        == (b.title, b.seats, b.notes, b.meta, b.official, b.published)
    )


@pytest.mark.parametrize("path", REAL, ids=[p.name for p in REAL])
def test_real_files_read_the_same_both_ways(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow, bulk = both_ways(path, monkeypatch)
    assert bulk
    assert same_box(fast, slow)


def random_ranked(rng: np.random.Generator, ties: bool) -> RankedProfile:
    m = int(rng.integers(1, 12))
    n = int(rng.integers(1, 300))
    raw = rng.integers(-1, m if ties else 1, size=(n, m))
    if not ties:
        raw = np.where(raw < 0, -1, np.argsort(rng.random((n, m)), axis=1))
    counts = rng.integers(1, 1000, size=n)
    return RankedProfile.from_ranks([f"候选 {i}" for i in range(m)], raw, counts)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("name", ["r.blt", "r.toi", "r.soi"])
def test_random_written_files_read_the_same_both_ways(
    seed: int, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile = random_ranked(np.random.default_rng(seed), ties=name != "r.soi")
    box = BallotBox(profile=profile, format="json", title="口袋公园", seats=2)
    path = tmp_path / name
    READERS[path.suffix].write(box, path)
    fast, slow, bulk = both_ways(path, monkeypatch)
    assert bulk
    assert same_box(fast, slow)
    assert np.array_equal(fast.profile.ranks, profile.ranks)  # type: ignore[union-attr]
    assert np.array_equal(fast.profile.counts, profile.counts)


@pytest.mark.parametrize("seed", range(8))
def test_random_pabulib_files_read_the_same_both_ways(
    seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(seed)
    m, n = int(rng.integers(1, 40)), int(rng.integers(1, 200))
    approvals = rng.random((n, m)) < rng.random()
    profile = ApprovalProfile.from_matrix(
        [f"p{i}" for i in range(m)],
        approvals,
        rng.integers(1, 4, size=n),
        costs=rng.integers(0, 10_000, size=m).tolist(),
        budget=50_000,
    )
    path = tmp_path / "r.pb"
    pabulib.write(BallotBox(profile=profile, format="pabulib", title="口袋公园"), path)
    fast, slow, bulk = both_ways(path, monkeypatch)
    assert bulk
    assert same_box(fast, slow)


NAMES_BLT = '"A"\n"B"\n"C"\n"T"\n'
PREFLIB_HEAD = "# ALTERNATIVE NAME 1: A\n# ALTERNATIVE NAME 2: B\n# ALTERNATIVE NAME 3: C\n"
PB_HEAD = (
    "META\nkey;value\nbudget;100\nvote_type;approval\nPROJECTS\nproject_id;cost\n"
    "1;10\n2;20\n3;30\nVOTES\n"
)

# (file name, content, whether the ballot lines can be parsed at once)
SPELLINGS = [
    ("spaces.blt", f"3 1\n  2\t1  2=3   0  \n\n 01 3 0\n0\n{NAMES_BLT}", True),
    ("crlf.blt", f"3 1\r\n2 1 2 0\r\n1 0\r\n0\r\n{NAMES_BLT}", True),
    ("empty.blt", f"3 1\n0\n{NAMES_BLT}", True),
    ("withdrawn.blt", f"3 1\n# a note\n-2\n2 1 2=3 0\n1 2 0\n0\n{NAMES_BLT}", True),
    ("comment.blt", f"3 1\n2 1 2 0\n# redbench_note: x\n1 3 0\n0\n{NAMES_BLT}", False),
    ("end-spaced.blt", f"3 1\n2 1 2 0\n 0 \n{NAMES_BLT}", False),
    ("ties.toi", f"{PREFLIB_HEAD}3: {{1, 2}} ,3\n\n2:\n 1 : {3}\n", True),
    ("complete.toc", f"{PREFLIB_HEAD}3: 1,{{2,3}}\n2: 3,2,1\n", True),
    ("crlf.soi", PREFLIB_HEAD.replace("\n", "\r\n") + "3: 1,2\r\n01: 3\r\n", True),
    ("crlf.pb", (PB_HEAD + "voter_id;vote\n1; 1 , 2\n2;\n3;3,\n").replace("\n", "\r\n"), True),
    ("extra.pb", PB_HEAD + "voter_id;age;vote\n1;30;1,2\n\n2;40;3\n", False),
    ("quoted.pb", PB_HEAD + 'voter_id;vote\n1;"1,2"\n2;3\n', False),
    ("short.pb", PB_HEAD + "voter_id;vote\nv1;1,2\nv2\n", False),
]


@pytest.mark.parametrize(("name", "content", "at_once"), SPELLINGS, ids=[s[0] for s in SPELLINGS])
def test_unusual_spellings_read_the_same_both_ways(
    name: str, content: str, at_once: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / name
    path.write_bytes(content.encode())
    if name == "short.pb":
        with pytest.raises(FormatError, match="line 13: the row has no vote field"):
            pabulib.read(path)
        return
    fast, slow, bulk = both_ways(path, monkeypatch)
    assert bulk == at_once
    assert same_box(fast, slow)


def outcome(module: ModuleType, path: Path) -> BallotBox | str:
    try:
        return module.read(path)
    except FormatError as exc:
        return str(exc)


TRIES = 300
SEEDS = {
    "m.blt": (f"3 1\n2 1 2=3 0\n1 3 0\n 4 2 1 0\n0\n{NAMES_BLT}", '0123= \t\n-#"x'),
    "m.toi": (f"{PREFLIB_HEAD}3: 1,{{2,3}}\n2: 3\n1: 2,1\n", "0123:,{} \t\n#x"),
    "m.soc": (f"{PREFLIB_HEAD}3: 1,2,3\n2: 3,2,1\n", "0123:,{} \t\n"),
    "m.pb": (PB_HEAD + "voter_id;vote\n1;1,2\n2;3\n3;\n", '0123;, \t\n"x'),
}


@pytest.mark.parametrize("name", list(SEEDS))
def test_mutated_files_read_or_fail_the_same_both_ways(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a few hundred small files, each a plain one with two characters inserted, removed or
    # replaced after the header: the same box or the same message either way
    text, alphabet = SEEDS[name]
    module = READERS[Path(name).suffix]
    rng = np.random.default_rng(14)
    start = (
        text.index("VOTES") if name.endswith(".pb") else text.index("\n", 60 if "#" in text else 0)
    )
    path = tmp_path / name
    for _ in range(TRIES):
        chars = list(text)
        for _ in range(2):
            at = int(rng.integers(start, len(chars)))
            sign = alphabet[int(rng.integers(len(alphabet)))]
            how = int(rng.integers(3))
            chars[at : at + (how > 0)] = [sign] if how < 2 else []
        path.write_text("".join(chars), encoding="utf-8")
        fast = outcome(module, path)
        with monkeypatch.context() as patch:
            patch.setattr(module, "_bulk", lambda *args: None)
            slow = outcome(module, path)
        if isinstance(fast, str) or isinstance(slow, str):
            assert fast == slow, "".join(chars)
        else:
            assert same_box(fast, slow), "".join(chars)
