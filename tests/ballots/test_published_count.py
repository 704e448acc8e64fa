"""How a round was counted travels in every file of its ballots (:class:`PublishedCount`):
written and read back by the BLT, PrefLib and pabulib formats, read from the ballots CSV and
from a decision bundle, refused when malformed; and a recount with the carried seed gives
the published result where the file's own digest would draw another lot."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ballots.box import LOT_RULE, BallotBox, PublishedCount
from ballots.bundle import Package, ProcessRecord, encode, seal
from ballots.digest import lot_seed, profile_digest
from ballots.errors import FormatError
from ballots.formats import detect, read_ballots, write_ballots
from ballots.formats._common import orders
from ballots.formats.pabulib import CANDIDATES_KEY
from ballots.recount import ballot_box, published_count, round_from_box
from engine import tally
from engine.profile import ApprovalProfile, RankedProfile
from tests.support.paths import ELECTIONS

SEED = hashlib.sha256(b"a ballot box").hexdigest()
A, B, C = "儿童游乐设施", "健康监测站", "文化墙"


def tied_box() -> BallotBox:
    """3 A>B>C and 3 B>A>C: A and B tie under every method, so only the lot decides."""
    profile = RankedProfile.from_orders([A, B, C], [[A, B, C]] * 3 + [[B, A, C]] * 3)
    return BallotBox(profile=profile, format="test", title="平局")


def budget_box() -> BallotBox:
    """Six voters, each for one of six 10,000-yuan projects; 20,000 yuan fund two."""
    names = [f"方案{i}" for i in range(1, 7)]
    rows = [[j == i for j in range(6)] for i in range(6)]
    profile = ApprovalProfile.from_matrix(names, rows, costs=[10000.0] * 6, budget=20000)
    return BallotBox(profile=profile, format="test", title="预算")


COUNTS = [
    PublishedCount(method="irv", seats=1, lot_seed=SEED),
    PublishedCount(method="stv", seats=2, method_options={"rules": "meek"}, lot_seed=SEED),
    PublishedCount(method="schulze", tie_policy="refuse"),
]


@pytest.mark.parametrize("name", ["round.blt", "round.soi", "round.toi"])
@pytest.mark.parametrize("published", COUNTS, ids=["irv", "stv-meek", "refuse"])
def test_ranked_files_carry_the_published_count(
    tmp_path: Path, name: str, published: PublishedCount
) -> None:
    box = tied_box()
    path = tmp_path / name
    write_ballots(
        BallotBox(box.profile, "test", title="平局", seats=published.seats, published=published),
        path,
    )
    again = read_ballots(path)
    assert again.published == published
    assert again.seats == published.seats
    assert again.meta.get("redbench_method") is None  # the count, not loose metadata


def test_the_blt_file_says_it_after_the_title(tmp_path: Path) -> None:
    box = tied_box()
    path = tmp_path / "round.blt"
    write_ballots(BallotBox(box.profile, "test", title="平局", published=COUNTS[1]), path)
    assert path.read_text(encoding="utf-8").endswith(
        '"平局"\n'
        "# redbench_method: stv\n"
        "# redbench_seats: 2\n"
        '# redbench_method_options: {"rules":"meek"}\n'
        "# redbench_tie_policy: lot\n"
        f"# redbench_lot_rule: {LOT_RULE}\n"
        f"# redbench_lot_seed: {SEED}\n"
    )


def test_the_preflib_file_says_it_in_its_headers(tmp_path: Path) -> None:
    path = tmp_path / "round.soi"
    write_ballots(BallotBox(tied_box().profile, "test", published=COUNTS[2]), path)
    text = path.read_text(encoding="utf-8")
    assert (
        "# NUMBER UNIQUE ORDERS: 2\n"
        "# REDBENCH METHOD: schulze\n"
        "# REDBENCH SEATS: 1\n"
        "# REDBENCH METHOD OPTIONS: {}\n"
        "# REDBENCH TIE POLICY: refuse\n"
        "# ALTERNATIVE NAME 1: "
    ) in text


def test_a_budget_round_in_pabulib_is_counted_under_its_names_with_its_seed(
    tmp_path: Path,
) -> None:
    record = round_from_box(budget_box(), "greedy")
    assert [t.rule for t in record.result.ties] == ["lot"]
    path = tmp_path / "round.pb"
    write_ballots(ballot_box(record, "预算"), path)
    text = path.read_text(encoding="utf-8")
    assert f"{CANDIDATES_KEY};name\n" in text
    assert f"redbench_lot_seed;{record.result.seed}\n" in text
    assert "project_id;cost;votes;name;selected\n1;10000;1;方案1;" in text
    again = read_ballots(path)
    assert again.profile.candidates == record.rules.candidates  # names, not 1 … 6
    assert again.published == published_count(record)
    assert again.official == record.result.winners
    assert CANDIDATES_KEY not in again.meta
    seed = again.published.lot_seed if again.published else None
    assert tally("greedy", again.profile, seed=seed) == record.result


def test_files_from_elsewhere_state_no_published_count() -> None:
    for name in ("scotland/Calton-2007.blt", "preflib/00005-00000002.toi"):
        assert read_ballots(ELECTIONS / name).published is None
    warsaw = read_ballots(ELECTIONS / "pabulib" / "Poland_Warszawa_2017_Goclaw.pb")
    assert warsaw.published is None
    assert warsaw.profile.candidates[0].isdigit()  # pabulib ids, as before


def test_a_recount_with_the_carried_seed_gives_the_published_result(tmp_path: Path) -> None:
    # The bug: the lot was drawn with the ballot-box digest (over trackers and ballots),
    # but a recount of the exported file drew with the file's own digest.
    for method in ("plurality", "irv", "borda", "schulze", "ranked-pairs", "copeland"):
        record = round_from_box(tied_box(), method)
        assert any(t.rule == "lot" for t in record.result.ties), method
        path = tmp_path / f"{method}.blt"
        write_ballots(ballot_box(record, "平局"), path)
        again = read_ballots(path)
        assert again.published is not None
        assert again.published.lot_seed == record.result.seed == lot_seed(record.ballot_box_digest)
        assert again.published.lot_seed != lot_seed(profile_digest(again.profile))
        assert tally(method, again.profile, seed=again.published.lot_seed) == record.result


def test_a_bundle_reads_as_its_round_counted_as_published(tmp_path: Path) -> None:
    record = round_from_box(tied_box(), "irv")
    path = tmp_path / "bundle.json"
    path.write_bytes(encode(seal(Package(process=ProcessRecord(title="平局"), rounds=(record,)))))
    box = read_ballots(path)
    assert box.published == published_count(record)
    assert box.title == "平局"
    assert box.notes == ()
    assert tally("irv", box.profile, seed=record.result.seed) == record.result


def test_a_bundle_whose_ballots_do_not_hash_to_its_digest_says_so(tmp_path: Path) -> None:
    record = round_from_box(tied_box(), "irv")
    forged = "0" * 64
    package = Package(
        process=ProcessRecord(title="平局"),
        rounds=(record.__class__(**{**_fields(record), "ballot_box_digest": forged}),),
    )
    path = tmp_path / "bundle.json"
    path.write_bytes(encode(seal(package)))
    box = read_ballots(path)
    assert box.published is not None
    assert box.published.lot_seed == record.result.seed  # recomputed from the ballots
    assert box.notes == (
        f"the ballots hash to {record.ballot_box_digest}, not to the ballot-box digest the"
        f" bundle states ({forged}); redbench verify says what changed",
    )


def test_a_process_bundle_of_several_rounds_is_refused(tmp_path: Path) -> None:
    record = round_from_box(tied_box(), "irv")
    package = Package(scope="process", process=ProcessRecord(title="平局"), rounds=(record,) * 2)
    path = tmp_path / "process.json"
    path.write_bytes(encode(seal(package)))
    with pytest.raises(FormatError) as info:
        read_ballots(path)
    assert str(info.value) == (
        "process.json: the bundle holds 2 rounds; count one round's bundle"
        " (redbench export ROUND --format json), or check them all with redbench verify"
    )


def _fields(record: object) -> dict[str, object]:
    return {name: getattr(record, name) for name in record.__struct_fields__}  # type: ignore[attr-defined]


# --- malformed published counts -------------------------------------------------------------

LOT = {"method": "irv", "tie_policy": "lot", "lot_rule": LOT_RULE, "lot_seed": SEED}

MALFORMED = [
    ({"seats": "2"}, "redbench_method is missing: the file does not say how it was counted"),
    ({**LOT, "seats": "0"}, "redbench_seats '0' is not a whole number of at least 1"),
    ({**LOT, "tie_policy": "coin"}, "redbench_tie_policy 'coin' is neither lot nor refuse"),
    (
        {**LOT, "lot_rule": "sha1-name"},
        "redbench_lot_rule 'sha1-name' is not the lot this version of redbench draws"
        " (sha256-name): the count could not be repeated",
    ),
    (
        {**LOT, "lot_seed": SEED.upper()},
        f"redbench_lot_seed '{SEED.upper()}' is not 64 lowercase hexadecimal digits",
    ),
    (
        {"method": "irv", "tie_policy": "refuse", "lot_seed": SEED},
        "redbench_lot_seed is given but redbench_tie_policy refuse draws no lot",
    ),
    ({**LOT, "method_options": "[1]"}, "redbench_method_options '[1]' is not a JSON object"),
    (
        {**LOT, "method_options": '{"rules":["meek"]}'},
        "redbench_method_options: rules must be text, a number or true/false",
    ),
]


@pytest.mark.parametrize(("found", "message"), MALFORMED, ids=[m for _, m in MALFORMED])
def test_a_malformed_published_count_is_refused(found: dict[str, str], message: str) -> None:
    with pytest.raises(FormatError) as info:
        PublishedCount.from_fields(found)
    assert str(info.value) == message


def test_a_malformed_count_in_a_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.blt"
    path.write_text(
        '3 1\n2 1 0\n0\n"A"\n"B"\n"C"\n"T"\n# redbench_method: irv\n# redbench_lot_seed: x\n',
        encoding="utf-8",
    )
    with pytest.raises(FormatError) as info:
        read_ballots(path)
    assert str(info.value) == (
        "bad.blt: redbench_lot_rule '' is not the lot this version of redbench draws"
        " (sha256-name): the count could not be repeated"
    )


def test_other_comments_in_a_blt_file_say_nothing(tmp_path: Path) -> None:
    path = tmp_path / "notes.blt"
    path.write_text(
        '# made by hand\n3 1\n# the ballots\n2 1 0\n0\n"A"\n# names\n"B"\n"C"\n"T"\n# end\n',
        encoding="utf-8",
    )
    box = read_ballots(path)
    assert box.profile.candidates == ("A", "B", "C")
    assert (box.title, box.published) == ("T", None)


@pytest.mark.parametrize(
    ("projects", "value", "message"),
    [
        (
            '1;10;"A"\n2;10;"A"\n',
            "name",
            "redbench_candidates is name but the name 'A' is given twice",
        ),
        ('1;10;"A"\n2;10;\n', "name", "redbench_candidates is name but project 2 has no name"),
        (
            '1;10;"A"\n2;10;"B"\n',
            "title",
            "redbench_candidates 'title' is neither name nor project_id",
        ),
    ],
)
def test_pabulib_names_as_candidates_must_be_given_once_each(
    tmp_path: Path, projects: str, value: str, message: str
) -> None:
    path = tmp_path / "bad.pb"
    path.write_text(
        f"META\nkey;value\nbudget;20\nredbench_candidates;{value}\n"
        f"PROJECTS\nproject_id;cost;name\n{projects}VOTES\nvoter_id;vote\n1;1\n",
        encoding="utf-8",
    )
    with pytest.raises(FormatError) as info:
        read_ballots(path)
    assert str(info.value) == f"bad.pb, line 4: {message}"


# --- the ballots CSV ----------------------------------------------------------------------------


def csv_file(tmp_path: Path, head: str, rows: str, name: str = "ballots.csv") -> Path:
    """A ballots CSV as the service writes it: byte-order mark, CRLF line ends."""
    path = tmp_path / name
    text = head + "轮次,回执编号,行哈希,选票,A,B,C\n" + rows
    path.write_bytes(("\ufeff" + text.replace("\n", "\r\n")).encode("utf-8"))
    return path


HEAD = (
    "#redbench_ballots,1,红板凳议事会选票文件\n"
    "#redbench_kind,{kind},选票类型\n"
    '#redbench_candidates,"[""A"",""B"",""C""]",方案\n'
    "{extra}"
    "#redbench_method,{method},计票方法\n"
    "#redbench_seats,1,席位\n"
    "#redbench_method_options,{{}},方法参数\n"
    "#redbench_tie_policy,lot,平局处理\n"
    f"#redbench_lot_rule,{LOT_RULE},抽签规则\n"
    f"#redbench_lot_seed,{SEED},抽签种子\n"
)


def head(kind: str = "ranked", method: str = "irv", extra: str = "") -> str:
    return HEAD.format(kind=kind, method=method, extra=extra)


def test_a_ranked_ballots_csv_reads_with_ties_and_unranked_options(tmp_path: Path) -> None:
    rows = "1,T1,h1,A > B,1,2,\n1,T2,h2,B = C,,1,1\n1,T3,h3,—,,,\n"
    path = csv_file(tmp_path, head(), rows)
    assert detect(path) == "ballots-csv"
    box = read_ballots(path)
    assert box.published == PublishedCount(method="irv", lot_seed=SEED)
    profile = box.profile
    assert isinstance(profile, RankedProfile)
    assert profile.candidates == ("A", "B", "C")
    named = [
        (tuple(tuple(profile.candidates[c] for c in group) for group in groups), int(n))
        for groups, n in zip(orders(profile), profile.counts, strict=True)
    ]
    assert sorted(named) == [((), 1), ((("A",), ("B",)), 1), ((("B", "C"),), 1)]


def test_approval_score_and_budget_ballots_csv(tmp_path: Path) -> None:
    approval = read_ballots(csv_file(tmp_path, head("approval", "approval"), "1,T,h,A,1,0,1\n"))
    assert approval.profile.approvals.tolist() == [[True, False, True]]  # type: ignore[union-attr]
    score = read_ballots(
        csv_file(tmp_path, head("score", "score", "#redbench_max_score,9,\n"), "1,T,h,s,9,0,3\n")
    )
    assert score.profile.scores.tolist() == [[9, 0, 3]]  # type: ignore[union-attr]
    assert score.profile.max_score == 9  # type: ignore[union-attr]
    money = '#redbench_costs,"[100,250.5,0]",\n#redbench_budget,300,\n'
    budget = read_ballots(csv_file(tmp_path, head("budget", "greedy", money), "1,T,h,b,0,1,1\n"))
    assert budget.profile.costs == (100.0, 250.5, 0.0)  # type: ignore[union-attr]
    assert budget.profile.budget == 300.0  # type: ignore[union-attr]


CSV_CASES = [
    (
        "no magic",
        "#redbench_kind,ranked,\n",
        "",
        "line 1: a Red Bench ballots CSV starts with a #redbench_ballots row",
    ),
    (
        "version",
        head().replace("ballots,1,", "ballots,3,"),
        "",
        "line 1: this reader knows versions 1 and 2, the file is version '3'",
    ),
    (
        "kind",
        head("plural"),
        "",
        "line 2: ballot kind 'plural' is not one of ranked, approval, score, budget",
    ),
    (
        "names",
        head().replace('"[""A"",""B"",""C""]"', "A B C"),
        "",
        "line 3: redbench_candidates must be a JSON list of option names",
    ),
    ("twice", head() + "#redbench_seats,2,\n", "", "line 10: a second #redbench_seats row"),
    ("short row", head(), "1,T,h,b,1,2\n", "line 11: the row has 6 of the 7 columns"),
    ("text", head(), "1,T,h,b,1,x,\n", "line 11: 'x' under B is not a whole number"),
    (
        "zero rank",
        head(),
        "1,T,h,b,0,1,\n",
        "line 11: 0 under A is not a preference number (at least 1)",
    ),
    (
        "approval 2",
        head("approval", "approval"),
        "1,T,h,b,1,2,0\n",
        "line 11: 2 under B is not 1 (chosen) or 0 (0 to 1)",
    ),
    (
        "approval blank",
        head("approval", "approval"),
        "1,T,h,b,1,,0\n",
        "line 11: the cell under B is empty",
    ),
    (
        "score high",
        head("score", "score", "#redbench_max_score,5,\n"),
        "1,T,h,b,6,0,0\n",
        "line 12: 6 under A is not a score (0 to 5)",
    ),
    (
        "costs",
        head("budget", "greedy", '#redbench_costs,"[1,2]",\n#redbench_budget,5,\n'),
        "1,T,h,b,1,0,0\n",
        "line 4: redbench_costs must be a JSON list of 3 amounts",
    ),
]


@pytest.mark.parametrize(
    ("case", "top", "rows", "message"), CSV_CASES, ids=[c[0] for c in CSV_CASES]
)
def test_a_malformed_ballots_csv(
    tmp_path: Path, case: str, top: str, rows: str, message: str
) -> None:
    path = csv_file(tmp_path, top, rows)
    with pytest.raises(FormatError) as info:
        read_ballots(path, "ballots-csv")
    assert str(info.value) == f"ballots.csv, {message}"


def test_a_header_that_does_not_fit_the_options_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ballots.csv"
    path.write_text(head() + "round,tracker,hash,ballot,A,B\n", encoding="utf-8")
    with pytest.raises(FormatError) as info:
        read_ballots(path)
    assert str(info.value) == (
        "ballots.csv, line 10: the header has 6 columns; 4 and one per option (3) make 7"
    )


def test_the_ballots_csv_is_told_by_its_content(tmp_path: Path) -> None:
    path = csv_file(tmp_path, head(), "1,T,h,A,1,,\n", name="downloaded.txt")
    assert detect(path) == "ballots-csv"


def test_the_sealed_layout_counts_each_row_as_many_times_as_it_says(tmp_path: Path) -> None:
    """Version 2 (sealed receipts): a row per distinct ballot with how many ballots say it,
    no tracker; a count that is not a whole number from 1 is refused with its line."""
    top = head().replace("ballots,1,", "ballots,2,")

    def sealed(rows: str) -> Path:
        path = tmp_path / "sealed.csv"
        text = top + "轮次,张数,选票,A,B,C\n" + rows
        path.write_bytes(("\ufeff" + text).encode("utf-8"))
        return path

    box = read_ballots(sealed("1,3,A > B,1,2,\n1,2,B > A,2,1,\n"), "ballots-csv")
    assert box.profile.total == 5
    with pytest.raises(FormatError, match="the count '0' is not a whole number"):
        read_ballots(sealed("1,0,A > B,1,2,\n"), "ballots-csv")
