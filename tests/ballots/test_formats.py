"""Ranked ballot files: the real elections read with their published figures, write -> read
round trips for every writable format, and the format dispatcher."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ballots.formats as formats
from ballots.box import BallotBox
from ballots.errors import FormatError, UnknownFormat
from ballots.formats import (
    FORMATS,
    alaska,
    blt,
    cvr,
    detect,
    preflib,
    read_ballots,
    votekit,
    write_ballots,
)
from engine.profile import UNRANKED, RankedProfile
from tests.support.paths import ELECTIONS, ROOT
from tests.support.profiles import sole_first

MINE = ("alaska", "blt", "cvr", "preflib", "votekit")


def ballots_by_name(
    box: BallotBox,
) -> tuple[list[str], list[tuple[tuple[tuple[str, ...], ...], int]]]:
    """The profile independent of candidate order: sorted names and sorted named ballots."""
    profile = box.profile
    assert isinstance(profile, RankedProfile)
    out = []
    for row, count in zip(profile.ranks, profile.counts, strict=True):
        levels = sorted({int(r) for r in row if r != UNRANKED})
        order = tuple(
            tuple(sorted(profile.candidates[c] for c in np.flatnonzero(row == level)))
            for level in levels
        )
        out.append((order, int(count)))
    return sorted(profile.candidates), sorted(out)


def same_profile(a: BallotBox, b: BallotBox) -> bool:
    pa, pb = a.profile, b.profile
    assert isinstance(pa, RankedProfile)
    assert isinstance(pb, RankedProfile)
    return (
        pa.candidates == pb.candidates
        and np.array_equal(pa.ranks, pb.ranks)
        and np.array_equal(pa.counts, pb.counts)
    )


# --- real elections ---------------------------------------------------------------------


def test_burlington_2009_round_one() -> None:
    box = read_ballots(ELECTIONS / "preflib" / "00005-00000002.toi")
    assert box.format == "preflib"
    assert box.title == "2009 Burlington Mayoral Election"
    assert box.profile.n_candidates == 6
    assert box.profile.total == 8980
    assert len(box.profile.counts) == 384
    first = sole_first(box)
    # the README's official round 1; the six tied-at-the-top ballots count for nobody
    assert first["Kurt Wright"] == 2951
    assert first["Bob Kiss"] == 2585
    assert first["Andy Montroll"] == 2063
    assert first["Dan Smith"] == 1306


def test_burlington_ties_are_kept() -> None:
    box = preflib.read(ELECTIONS / "preflib" / "00005-00000002.toi")
    ranks = box.profile.ranks
    tied_rows = [
        r for r in ranks if len(set(r[r != UNRANKED].tolist())) < int((r != UNRANKED).sum())
    ]
    assert len(tied_rows) == 6


def test_dublin_west_first_preferences() -> None:
    box = read_ballots(ELECTIONS / "preflib" / "00001-00000002.soi")
    assert box.profile.n_candidates == 9
    assert box.profile.total == 29988
    assert len(box.profile.counts) == 10335
    assert box.seats is None
    assert sole_first(box) == {
        "Robert Bonnie G.P.": 748,
        "Joan Burton Lab": 3810,
        "Deirdre Doherty Ryan F.F.": 2300,
        "Joe Higgins S.P.": 6442,
        "Brian Lenihan F.F.": 8086,
        "Mary Lou Mc Donald S.F.": 2404,
        "Tom Morrissey P.D.": 2370,
        "John Thomas Smyth C.C. Csp": 134,
        "Sheila Terry F.G.": 3694,
    }


@pytest.mark.parametrize(
    ("name", "voters", "orders", "candidates"),
    [
        ("00002-00000001.soi", 475, 41, 4),
        ("00002-00000005.soi", 482, 430, 9),
        ("00002-00000008.soi", 143, 125, 8),
    ],
)
def test_debian_files(name: str, voters: int, orders: int, candidates: int) -> None:
    box = read_ballots(ELECTIONS / "preflib" / name)
    assert box.profile.total == voters
    assert len(box.profile.counts) == orders
    assert box.profile.n_candidates == candidates


def test_debian_2007_spelling_kept_and_ir_round_one_tie() -> None:
    box = read_ballots(ELECTIONS / "preflib" / "00002-00000005.soi")
    first = sole_first(box)
    assert "Raphal Hertzog" in first
    # the README's tie for fewest first preferences
    assert first["Aigars Mahinovs"] == first["Simon Richter"] == 3


def test_glasgow_calton_first_preferences() -> None:
    box = read_ballots(ELECTIONS / "scotland" / "Calton-2007.blt")
    assert box.format == "blt"
    assert box.title == "CALTON"
    assert box.seats == 3
    assert box.profile.n_candidates == 10
    assert box.profile.total == 5199
    first = sole_first(box)
    assert first["George Redmond"] == 1982
    assert first["Alison E Thewliss"] == 1143
    assert first["Ruth Simpson"] == 628
    assert first["Fiacra Fullerton"] == 302
    assert sum(first.values()) == 5199


def test_glasgow_anderston_city_first_preferences() -> None:
    box = read_ballots(ELECTIONS / "scotland" / "Anderston-City-2007.blt")
    assert box.seats == 4
    assert box.profile.n_candidates == 9
    assert box.profile.total == 6900
    first = sole_first(box)
    assert first["Craig MacKay"] == 1632
    assert first["Philip Braat"] == 1291
    assert first["Gordon Matheson"] == 1177
    assert first["Nina Baker"] == 880
    assert first["Ann Laird"] == 806


def test_alaska_first_round() -> None:
    box = read_ballots(ELECTIONS / "alaska" / "special_election_v1.ignore_ambig.profile")
    assert box.format == "alaska"
    assert box.profile.candidates == (
        "Begich, Nick",
        "Palin, Sarah",
        "Peltola, Mary S.",
        "Write-in",
    )
    assert box.profile.total == 189112
    # first preferences as the file holds them (write-ins still in)
    assert sole_first(box) == {
        "Begich, Nick": 52774,
        "Palin, Sarah": 58544,
        "Peltola, Mary S.": 74820,
        "Write-in": 2974,
    }
    # with write-ins eliminated (as the official round 1 was reported), within 0.3%
    named = box.profile.restrict([0, 1, 2])
    first = dict(zip(named.candidates, (named.counts @ (named.ranks == 0)).tolist(), strict=True))
    official = {"Peltola, Mary S.": 75761, "Palin, Sarah": 58945, "Begich, Nick": 53756}
    for name, votes in official.items():
        assert abs(first[name] - votes) <= 0.003 * votes, (name, first[name], votes)


def test_alaska_three_candidate_projection() -> None:
    box = alaska.read(ELECTIONS / "alaska" / "special_election_v1.ignore_ambig.3candCm1.profile")
    assert box.profile.n_candidates == 3
    assert box.profile.total == 188581
    assert sole_first(box)["Peltola, Mary S."] == 75799


def test_portland_district1_first_preferences() -> None:
    box = read_ballots(ELECTIONS / "portland" / "Portland_D1_cleaned_votekit_pref_profile.csv")
    assert box.format == "votekit"
    assert box.profile.n_candidates == 17
    assert box.profile.total == 42871
    first = sole_first(box)
    # the official round 1 (Multnomah County report) for every candidate shown in the README
    assert first["Candace Avalos"] == 8297
    assert first["Loretta Smith"] == 5586
    assert first["Jamie Dunphy"] == 5064
    assert first["Noah Ernst"] == 4052
    assert first["Terrence Hayes"] == 3975
    assert first["Steph Routh"] == 3894
    assert first["Timur Ender"] == 3550


def test_minneapolis_2013_mayor_csv_official_first_round() -> None:
    box = read_ballots(ELECTIONS / "minneapolis" / "2013_minneapolis_mayor_cvr.csv")
    assert box.format == "cvr"
    assert box.profile.n_candidates == 36  # 35 registered + Undeclared Write-ins
    assert box.profile.total == 80101
    first = sole_first(box)
    # the city's certified first round (README): Hodges 28,962 / Andrew 19,648
    assert first["BETSY HODGES"] == 28962
    assert first["MARK ANDREW"] == 19648
    assert cvr.WRITE_IN_NAME in first


@pytest.mark.slow
def test_minneapolis_2017_mayor_xlsx_official_first_round() -> None:
    box = read_ballots(ELECTIONS / "minneapolis" / "2017_minneapolis_mayor_cvr.xlsx")
    assert box.profile.n_candidates == 19
    assert box.profile.total == 105928
    first = sole_first(box)
    # certified first choices (README)
    assert first["Jacob Frey"] == 26116
    assert first["Tom Hoch"] == 20125
    assert first["Betsy Hodges"] == 18915
    assert first["Raymond Dehn"] == 18101
    assert first["Nekima Levy-Pounds"] == 15716
    assert "1369 ballots rank nobody" in box.notes


@pytest.mark.slow
def test_minneapolis_2013_park_xlsx() -> None:
    box = read_ballots(ELECTIONS / "minneapolis" / "2013_minneapolis_park_cvr.xlsx")
    assert box.profile.n_candidates == 11
    assert box.profile.total == 80101
    assert "20571 ballots rank nobody" in box.notes
    assert sole_first(box)["JOHN ERWIN"] == 14678


# --- round trips --------------------------------------------------------------------------

ROUND_TRIPS = [
    ("preflib/00005-00000002.toi", "out.toi"),
    ("preflib/00001-00000002.soi", "out.soi"),
    ("preflib/00002-00000008.soi", "out.soi"),
    ("scotland/Calton-2007.blt", "out.blt"),
    ("scotland/Anderston-City-2007.blt", "out.toi"),
    ("alaska/special_election_v1.ignore_ambig.profile", "out.blt"),
    ("portland/Portland_D1_cleaned_votekit_pref_profile.csv", "out.blt"),
    ("preflib/00005-00000002.toi", "out.blt"),
]


@pytest.mark.parametrize(("source", "target"), ROUND_TRIPS)
def test_round_trip_keeps_the_profile(source: str, target: str, tmp_path: Path) -> None:
    box = read_ballots(ELECTIONS / source)
    write_ballots(box, tmp_path / target)
    again = read_ballots(tmp_path / target)
    assert same_profile(box, again)


@pytest.mark.parametrize(
    "source",
    [
        "preflib/00005-00000002.toi",
        "portland/Portland_D1_cleaned_votekit_pref_profile.csv",
        "scotland/Calton-2007.blt",
    ],
)
def test_votekit_round_trip(source: str, tmp_path: Path) -> None:
    box = read_ballots(ELECTIONS / source)
    votekit.write(box, tmp_path / "out.csv")
    assert detect(tmp_path / "out.csv") == "votekit"
    assert same_profile(box, read_ballots(tmp_path / "out.csv"))


@pytest.mark.parametrize(
    "source",
    [
        "minneapolis/2013_minneapolis_mayor_cvr.csv",
        "preflib/00001-00000002.soi",
        "scotland/Anderston-City-2007.blt",
    ],
)
def test_cvr_round_trip(source: str, tmp_path: Path) -> None:
    # a CVR has no candidate list: names come back sorted, so compare by name
    box = read_ballots(ELECTIONS / source)
    write_ballots(box, tmp_path / "out.csv", format="cvr")
    again = read_ballots(tmp_path / "out.csv")
    assert again.format == "cvr"
    assert ballots_by_name(box) == ballots_by_name(again)


def test_round_trip_keeps_blt_seats_and_title(tmp_path: Path) -> None:
    box = blt.read(ELECTIONS / "scotland" / "Anderston-City-2007.blt")
    blt.write(box, tmp_path / "a.blt")
    again = blt.read(tmp_path / "a.blt")
    assert (again.seats, again.title) == (4, "ANDERSTON-CITY")


def test_preflib_written_file_is_stable(tmp_path: Path) -> None:
    box = preflib.read(ELECTIONS / "preflib" / "00002-00000001.soi")
    preflib.write(box, tmp_path / "a.soi")
    preflib.write(preflib.read(tmp_path / "a.soi"), tmp_path / "b.soi")
    first = (tmp_path / "a.soi").read_text().replace("a.soi", "X")
    second = (tmp_path / "b.soi").read_text().replace("b.soi", "X")
    assert first == second
    assert "# DATA TYPE: soi" in first
    assert "# NUMBER VOTERS: 475" in first


# --- the dispatcher -----------------------------------------------------------------------


def test_all_is_sorted_and_complete() -> None:
    defined = {
        name
        for name, value in vars(formats).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == formats.__name__
    }
    assert formats.__all__ == sorted(formats.__all__)
    assert set(formats.__all__) == defined | {"FORMATS"}


@pytest.mark.parametrize("name", MINE)
def test_my_format_modules_expose_read_and_write(name: str) -> None:
    module = FORMATS[name].load()
    assert callable(module.read)
    assert name == module.NAME
    assert tuple(module.EXTENSIONS) == FORMATS[name].extensions
    assert hasattr(module, "write") == FORMATS[name].writable


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("preflib/00005-00000002.toi", "preflib"),
        ("preflib/00001-00000002.soi", "preflib"),
        ("scotland/Calton-2007.blt", "blt"),
        ("alaska/special_election_v1.ignore_ambig.profile", "alaska"),
        ("portland/Portland_D1_cleaned_votekit_pref_profile.csv", "votekit"),
        ("minneapolis/2013_minneapolis_mayor_cvr.csv", "cvr"),
        ("minneapolis/2017_minneapolis_mayor_cvr.xlsx", "cvr"),
        ("pabulib/Poland_Swiecie_2023.pb", "pabulib"),
    ],
)
def test_detect_real_files(source: str, expected: str) -> None:
    assert detect(ELECTIONS / source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("preflib/00005-00000002.toi", "preflib"),
        ("scotland/Calton-2007.blt", "blt"),
        ("alaska/special_election_v1.ignore_ambig.profile", "alaska"),
        ("portland/Portland_D1_cleaned_votekit_pref_profile.csv", "votekit"),
        ("minneapolis/2013_minneapolis_mayor_cvr.csv", "cvr"),
        ("pabulib/Poland_Swiecie_2023.pb", "pabulib"),
    ],
)
def test_detect_from_content_when_the_extension_says_nothing(
    source: str, expected: str, tmp_path: Path
) -> None:
    copy = tmp_path / "ballots.txt"
    copy.write_bytes((ELECTIONS / source).read_bytes()[:8192])
    assert detect(copy) == expected


def test_detect_unknown_lists_the_known_formats(tmp_path: Path) -> None:
    path = tmp_path / "notes.dat"
    path.write_text("hello\n")
    with pytest.raises(UnknownFormat) as info:
        detect(path)
    assert str(info.value) == (
        f"{path}: cannot tell the ballot format from its name or content;"
        " known formats: alaska, ballots-csv, blt, cdf, clearballot, cvr, dominion, hart, json,"
        " pabulib, preflib, votekit"
    )


def test_read_ballots_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.blt"
    with pytest.raises(FormatError, match=r"^.*nowhere\.blt: no such file$"):
        read_ballots(path)


def test_read_ballots_empty_directory(tmp_path: Path) -> None:
    # a folder is one contest's records split over several files; this one holds none
    with pytest.raises(FormatError) as info:
        read_ballots(tmp_path)
    assert str(info.value) == f"{tmp_path}: no ballot files in the folder"


@pytest.mark.parametrize("name", ["empty.blt", "empty.toi", "empty.csv", "empty.profile"])
def test_read_ballots_empty_file(name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(FormatError) as info:
        read_ballots(path)
    assert str(info.value) == f"{path}: the file is empty"


def test_read_ballots_blank_file_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "blank.blt"
    path.write_text("\n  \n")
    with pytest.raises(FormatError) as info:
        read_ballots(path)
    assert str(info.value) == f"{path}: the file is empty"


def test_read_ballots_unknown_format_name(tmp_path: Path) -> None:
    path = tmp_path / "a.blt"
    path.write_text('1 1\n1 1 0\n0\n"A"\n')
    with pytest.raises(UnknownFormat) as info:
        read_ballots(path, format="odt")
    assert str(info.value) == (
        "unknown ballot format 'odt';"
        " known formats: alaska, ballots-csv, blt, cdf, clearballot, cvr, dominion, hart, json,"
        " pabulib, preflib, votekit"
    )


def test_read_ballots_with_explicit_format(tmp_path: Path) -> None:
    path = tmp_path / "ballots.txt"
    path.write_text('2 1\n3 1 2 0\n0\n"A"\n"B"\n"t"\n')
    box = read_ballots(path, format="blt")
    assert box.profile.total == 3


def test_write_ballots_unknown_extension(tmp_path: Path) -> None:
    box = read_ballots(ELECTIONS / "preflib" / "00002-00000001.soi")
    path = tmp_path / "out.doc"
    with pytest.raises(UnknownFormat) as info:
        write_ballots(box, path)
    assert str(info.value) == (
        f"{path}: cannot tell the ballot format from the extension '.doc';"
        " known formats: alaska, ballots-csv, blt, cdf, clearballot, cvr, dominion, hart, json,"
        " pabulib, preflib, votekit"
    )


def test_write_ballots_refuses_read_only_format(tmp_path: Path) -> None:
    box = read_ballots(ELECTIONS / "preflib" / "00002-00000001.soi")
    with pytest.raises(FormatError, match=r"^the alaska format can be read but not written$"):
        write_ballots(box, tmp_path / "x.profile", format="alaska")


def test_write_ballots_csv_means_cvr(tmp_path: Path) -> None:
    box = read_ballots(ELECTIONS / "preflib" / "00002-00000001.soi")
    write_ballots(box, tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_text().startswith("rank1,rank2,rank3,rank4,count\n")


def test_progress_is_reported_to_the_end() -> None:
    calls: list[tuple[int, int]] = []
    path = ELECTIONS / "minneapolis" / "2013_minneapolis_mayor_cvr.csv"
    read_ballots(path, progress=lambda done, total: calls.append((done, total)))
    size = path.stat().st_size
    assert len(calls) > 3
    assert calls[-1] == (size, size)
    done = [d for d, _ in calls]
    assert done == sorted(done)
    assert {t for _, t in calls} == {size}


def test_progress_on_preflib() -> None:
    calls: list[tuple[int, int]] = []
    path = ELECTIONS / "preflib" / "00001-00000002.soi"
    preflib.read(path, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (path.stat().st_size, path.stat().st_size)
    assert len(calls) >= 2


# --- round trips on generated profiles ----------------------------------------------------

NAMES = (
    "儿童游乐设施",
    "健康监测站",
    "文化墙",
    "Small events area",
    "Fitness, gym",
    "Shade (seats)",
)


@st.composite
def ranked_boxes(draw: st.DrawFn, ties: bool = True) -> BallotBox:
    """Up to 6 candidates, up to 8 ballot kinds: truncated, with ties if allowed, some empty."""
    m = draw(st.integers(1, len(NAMES)))
    names = list(NAMES[:m])
    rows = draw(
        st.lists(
            st.lists(st.integers(-1, m - 1 if ties else 3 * m), min_size=m, max_size=m),
            min_size=1,
            max_size=8,
        )
    )
    if not ties:
        # distinct values per row: keep the first of each repeated value, unrank the rest
        rows = [
            [v if v < 0 or row.index(v) == i else -1 for i, v in enumerate(row)] for row in rows
        ]
    counts = draw(st.lists(st.integers(1, 50), min_size=len(rows), max_size=len(rows)))
    profile = RankedProfile.from_ranks(names, np.asarray(rows, dtype=np.int64), counts)
    return BallotBox(
        profile=profile, format="json", title="口袋公园", seats=draw(st.integers(1, 3))
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(box=ranked_boxes())
@pytest.mark.parametrize("target", ["g.toi", "g.blt", "g.csv"])
def test_generated_round_trip(box: BallotBox, target: str, tmp_path: Path) -> None:
    path = tmp_path / target
    fmt = "votekit" if target.endswith(".csv") else None
    write_ballots(box, path, format=fmt)
    again = read_ballots(path)
    assert same_profile(box, again)
    if target.endswith(".blt"):
        assert (again.seats, again.title) == (box.seats, box.title)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(box=ranked_boxes(ties=False))
def test_generated_cvr_round_trip(box: BallotBox, tmp_path: Path) -> None:
    # a CVR lists no candidates: one that no ballot marks does not come back
    path = tmp_path / "g.csv"
    write_ballots(box, path, format="cvr")
    profile = box.profile
    assert isinstance(profile, RankedProfile)
    if not np.any(profile.ranks != UNRANKED):
        with pytest.raises(FormatError, match=r"no ballot marks a candidate$"):
            read_ballots(path)
        return
    again = read_ballots(path)
    marked = [i for i in range(profile.n_candidates) if np.any(profile.ranks[:, i] != UNRANKED)]
    assert ballots_by_name(again) == ballots_by_name(
        BallotBox(profile=profile.restrict(marked), format="cvr")
    )


def test_readers_do_not_depend_on_pythonhashseed(tmp_path: Path) -> None:
    cvr_file = tmp_path / "c.csv"
    cvr_file.write_text("rank1,rank2,rank3\nB,UWI,A\nA,overvote,C\nC,C,undervote\nB,UWI,A\n")
    script = (
        "import hashlib, sys\n"
        "from ballots.formats import read_ballots\n"
        "for f in sys.argv[1:]:\n"
        "    p = read_ballots(f).profile\n"
        "    data = repr(p.candidates).encode() + p.ranks.tobytes() + p.counts.tobytes()\n"
        "    print(hashlib.sha256(data).hexdigest())\n"
    )
    files = [str(cvr_file), str(ELECTIONS / "preflib" / "00005-00000002.toi")]
    outputs = set()
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script, *files],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            cwd=ROOT,
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1
