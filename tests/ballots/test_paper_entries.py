"""Double entry of paper ballots: any single keying difference between the two clerks'
entries is reported by :func:`ballots.paper.compare`, and identical entries agree."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ballots.digest import ALPHABET
from ballots.kinds import BallotRules, RankedBallot
from ballots.paper import VERDICTS, PaperEntry, ballot_of, compare

codes = st.text(alphabet=ALPHABET, min_size=10, max_size=10)
marks = st.lists(st.one_of(st.none(), st.integers(0, 999)), min_size=1, max_size=8)
entries = st.builds(
    PaperEntry,
    serial=st.integers(1, 10_000),
    code=codes,
    verdict=st.sampled_from(VERDICTS),
    marks=marks.map(tuple),
)


@st.composite
def one_change(draw: st.DrawFn) -> tuple[PaperEntry, PaperEntry, str]:
    """An entry and the same entry with exactly one field, character or mark changed."""
    entry = draw(entries)
    field = draw(st.sampled_from(["serial", "code", "verdict", "mark"]))
    if field == "serial":
        serial = draw(st.integers(1, 10_000).filter(lambda s: s != entry.serial))
        return entry, PaperEntry(serial, entry.code, entry.verdict, entry.marks), field
    if field == "code":
        at = draw(st.integers(0, len(entry.code) - 1))
        char = draw(st.sampled_from(ALPHABET).filter(lambda c: c != entry.code[at]))
        code = entry.code[:at] + char + entry.code[at + 1 :]
        return entry, PaperEntry(entry.serial, code, entry.verdict, entry.marks), field
    if field == "verdict":
        verdict = draw(st.sampled_from(VERDICTS).filter(lambda v: v != entry.verdict))
        return entry, PaperEntry(entry.serial, entry.code, verdict, entry.marks), field
    at = draw(st.integers(0, len(entry.marks) - 1))
    mark = draw(st.one_of(st.none(), st.integers(0, 999)).filter(lambda m: m != entry.marks[at]))
    changed = (*entry.marks[:at], mark, *entry.marks[at + 1 :])
    return entry, PaperEntry(entry.serial, entry.code, entry.verdict, changed), "mark"


@given(entries)
def test_an_entry_agrees_with_itself(entry: PaperEntry) -> None:
    assert compare(entry, entry) == []


@given(one_change())
def test_any_single_keying_difference_is_reported(case: tuple[PaperEntry, PaperEntry, str]) -> None:
    first, second, field = case
    found = compare(first, second)
    assert [d.field for d in found] == [field]
    assert compare(second, first) != []


@given(entries, st.integers(0, 9))
def test_a_code_keyed_in_lower_case_or_with_a_dash_is_the_same_code(
    entry: PaperEntry, at: int
) -> None:
    typed = (entry.code[:5] + "-" + entry.code[5:]).lower()
    again = PaperEntry(entry.serial, typed, entry.verdict, entry.marks)
    assert compare(entry, again) == []


def test_a_box_missing_is_reported_as_the_number_of_marks() -> None:
    first = PaperEntry(1, "ABCDE12345", "ballot", (1, 2, None))
    second = PaperEntry(1, "ABCDE12345", "ballot", (1, 2))
    assert [d.field for d in compare(first, second)] == ["marks"]


def test_ranked_marks_make_the_ranking_in_number_order() -> None:
    rules = BallotRules(kind="ranked", candidates=("a", "b", "c"))
    assert ballot_of((2, None, 1), rules) == RankedBallot(ranking=(("c",), ("a",)))
