"""What the paper-ballot API takes and gives."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

from ballots.paper import Mark, Verdict
from service.inputs import PROSE, Input

Reason = Annotated[str, Meta(max_length=2000, extra=PROSE)]
SerialState = Literal["keying", "mismatch", "agreed", "cast", "spoiled", "blank", "refused"]
SETTLED: frozenset[str] = frozenset({"cast", "spoiled", "blank", "refused"})
PENDING: frozenset[str] = frozenset({"keying", "mismatch", "agreed"})


class EntryIn(Struct, forbid_unknown_fields=True):
    """One clerk's entry of a paper ballot: its printed serial, the code as written on it
    (may be empty for a spoiled or blank ballot without a readable code), the verdict and
    one mark per option in the slate's order (a rank number, or 1 for a ticked box; ``null``
    for an empty box; ignored unless the verdict is ``ballot``)."""

    serial: Annotated[int, Meta(ge=1)]
    verdict: Verdict
    code: Annotated[str, Meta(max_length=40)] = ""
    marks: list[Mark] = []


class EntryOutcome(Struct):
    """What became of the serial after an entry or an adjudication: ``keying`` (the other
    clerk's entry is awaited), ``mismatch`` (``differences`` names the fields, never their
    values), ``cast`` (with the ballot's ``tracker``, shown once and never stored beside the
    serial), ``spoiled``, ``blank`` or ``refused`` (``reason``: why its code could not
    vote)."""

    round_id: int
    serial: int
    state: SerialState
    differences: list[str] = []
    tracker: str | None = None
    short: str | None = None
    reason: str | None = None


class EntryShown(Struct):
    """An entry as the adjudicator sees it."""

    clerk: str
    code: str
    verdict: Verdict
    marks: list[Mark]


class Mismatch(Struct):
    """Two entries of one serial that differ, side by side; ``fields`` names the differing
    fields (``code``, ``verdict``, ``mark:<option place from 0>``). ``first`` and
    ``second`` are ``null`` for a caller who keyed one of them (a clerk never sees the
    other clerk's entry, and never adjudicates their own serial)."""

    serial: int
    fields: list[str]
    options: list[str]
    first: EntryShown | None
    second: EntryShown | None
    keyed_by_you: bool


class MismatchList(Struct):
    round_id: int
    mismatches: list[Mismatch]


class Adjudication(Input, forbid_unknown_fields=True):
    """A third person's decision on a serial whose entries differ: entry 1, entry 2 or a
    corrected entry (``entry``), with the reason (required; kept in the audit log with the
    serial and which fields differed, never the marks or the code)."""

    serial: Annotated[int, Meta(ge=1)]
    choose: Literal[1, 2, "corrected"]
    reason: Reason
    entry: EntryIn | None = None


class SerialLine(Struct):
    """One serial in progress or settled: its state, and whether the caller keyed it."""

    serial: int
    state: SerialState
    entries: int
    keyed_by_you: bool
    reason: str | None = None


class PaperSummary(Struct):
    """The round's paper ballots by state: ``printed`` (the last serial printed),
    ``pending`` (being keyed, awaiting adjudication or being cast) and the settled ones."""

    round_id: int
    printed: int
    keying: int
    mismatch: int
    agreed: int
    cast: int
    spoiled: int
    blank: int
    refused: int
    pending: int
    serials: list[SerialLine] = []
