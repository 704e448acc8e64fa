"""Paper ballots keyed twice: what a clerk keys from one paper ballot (an *entry*), how two
entries of the same ballot are compared field by field, and the ballot the agreed marks
make. Pure: the service stores, seals and settles entries (:mod:`service.paper`).

An entry is the ballot's printed serial, its code as keyed, the clerk's verdict (``ballot``,
``spoiled``: marked so that it cannot be read; ``blank``: nothing marked) and the marks, one
per option in the slate's order (a rank number for ranked ballots, 1 for a ticked box on
approval ballots, ``None`` for an empty box). Two entries agree only if every field is
identical once the code is read the one way a typed code is read (case, spaces and dashes
ignored, ``O`` as ``0``, ``I``/``L`` as ``1``), so no keying difference is ever counted
unnoticed: it is listed for a third person to decide.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from msgspec import Meta, Struct

from ballots.digest import as_typed
from ballots.errors import InvalidBallot
from ballots.kinds import ApprovalBallot, Ballot, BallotRules, RankedBallot

Verdict = Literal["ballot", "spoiled", "blank"]
VERDICTS: Final[tuple[Verdict, ...]] = ("ballot", "spoiled", "blank")
Mark = Annotated[int, Meta(ge=0, le=999)] | None
PAPER_KINDS: Final = frozenset({"ranked", "approval"})
"""Ballot kinds printed and keyed on paper (a box per option: a rank number or a tick)."""


class PaperEntry(Struct, frozen=True, forbid_unknown_fields=True):
    """One clerk's keying of one paper ballot."""

    serial: Annotated[int, Meta(ge=1)]
    code: Annotated[str, Meta(max_length=40)]
    verdict: Verdict
    marks: tuple[Mark, ...]


class Difference(Struct, frozen=True):
    """A field on which two entries differ: ``serial``, ``code``, ``verdict``, ``marks``
    (different numbers of boxes) or ``mark`` with the option's place (0-based) in
    ``option``, and the two values as keyed."""

    field: str
    first: str
    second: str
    option: int | None = None


def field_names(differences: list[Difference]) -> list[str]:
    """The differing fields as the adjudication log names them: ``code``, ``verdict``,
    ``mark:2`` (the third option's box) … never the values keyed."""
    return [d.field if d.option is None else f"{d.field}:{d.option}" for d in differences]


def canonical_code(code: str) -> str:
    """A keyed code read the one way a typed code is read (:func:`ballots.digest.as_typed`)."""
    return as_typed(code)


def _shown(mark: Mark) -> str:
    return "" if mark is None else str(mark)


def compare(first: PaperEntry, second: PaperEntry) -> list[Difference]:
    """Every field on which the two entries differ, in the entry's order (empty: they
    agree)."""
    found: list[Difference] = []
    if first.serial != second.serial:
        found.append(Difference("serial", str(first.serial), str(second.serial)))
    if canonical_code(first.code) != canonical_code(second.code):
        found.append(Difference("code", first.code, second.code))
    if first.verdict != second.verdict:
        found.append(Difference("verdict", first.verdict, second.verdict))
    if len(first.marks) != len(second.marks):
        found.append(Difference("marks", str(len(first.marks)), str(len(second.marks))))
        return found
    for option, (a, b) in enumerate(zip(first.marks, second.marks, strict=True)):
        if a != b:
            found.append(Difference("mark", _shown(a), _shown(b), option))
    return found


def ballot_of(marks: tuple[Mark, ...], rules: BallotRules) -> Ballot:
    """The ballot the marks make over the rules' candidates (in the slate's order): ranked,
    the options ordered by their numbers (equal numbers a tie, which the rules may refuse);
    approval, the options whose box holds a mark other than 0. Check it with
    :func:`ballots.validate.validate`."""
    if len(marks) != len(rules.candidates):
        raise InvalidBallot(
            f"{len(marks)} marks for {len(rules.candidates)} options", problem="malformed"
        )
    if rules.kind == "approval":
        return ApprovalBallot(
            approved=tuple(c for c, m in zip(rules.candidates, marks, strict=True) if m)
        )
    if rules.kind != "ranked":
        raise InvalidBallot(f"{rules.kind} ballots are not keyed from paper", problem="wrong-kind")
    numbers = sorted({m for m in marks if m is not None})
    ranking = tuple(
        tuple(c for c, m in zip(rules.candidates, marks, strict=True) if m == n) for n in numbers
    )
    return RankedBallot(ranking=ranking)
