"""A cast-vote record's marks turned into ranked ballots by its rules
(:class:`~ballots.formats.cvr_rules.CvrRules`): identical rows are collapsed first (there are
far fewer kinds than ballots), then each rank column is read on whole arrays.

Each label is read once into what it means (:class:`_Meaning`): a skipped rank, an overvote
whose candidates are unknown, or the candidates it marks (one, or several for an overvote
whose candidates the record names); marks for one counted candidate, the common case, are
placed for every row at once, and the few labels of several candidates label by label.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ballots.formats._common import fail
from ballots.formats._cvr_cells import OVERVOTE_SEP, Marks
from ballots.formats.cvr_rules import (
    OVERVOTE,
    UNDERVOTE,
    WRITE_IN,
    WRITE_IN_NAME,
    CvrRules,
)
from engine.counts import check_counts
from engine.errors import ProfileError
from engine.profile import RankedProfile, collapse_rows

SKIP = -1
"""Lookup value of a skipped rank (``undervote``, or a blank cell)."""
UNKNOWN_OVERVOTE = -2
"""Lookup value of an ``overvote`` label (two or more marks, candidates not named)."""
PASSED = -3
"""Lookup value of a mark passed over: an excluded candidate, or one repeated (see below)."""
GROUP = -4
"""Lookup value of a label of several candidates (an overvote whose candidates are named) or
of an excluded candidate when repeats end a ballot: read label by label."""


@dataclass(frozen=True)
class _Meaning:
    """What one label marks: ``skip``, ``overvote`` (candidates unknown), or ``names``."""

    kind: str
    names: tuple[str, ...] = ()


def _meaning(label: str, rules: CvrRules, words: dict[str, set[str]]) -> _Meaning:
    """What ``label`` marks under ``rules`` (``words``: each marker's spellings)."""
    if label == "":
        return _Meaning("names", (WRITE_IN_NAME,)) if rules.blank_is_write_in else _Meaning("skip")
    if label in words[UNDERVOTE]:
        return _Meaning("skip")
    if label in words[OVERVOTE]:
        return _Meaning("overvote")
    if OVERVOTE_SEP in label:
        parts = label.split(OVERVOTE_SEP)
    elif rules.delimiter is not None and rules.delimiter in label:
        parts = label.split(rules.delimiter)
    else:
        parts = [label]
    aliases = dict(rules.aliases)
    names: list[str] = []
    for part in (p.strip() for p in parts):
        if part in words[OVERVOTE]:
            return _Meaning("overvote")
        if not part or part in words[UNDERVOTE]:
            continue
        name = WRITE_IN_NAME if part in words[WRITE_IN] else aliases.get(part, part)
        if name not in names:
            names.append(name)
    return _Meaning("names", tuple(names)) if names else _Meaning("skip")


def profile_from_marks(
    path: Path, marks: Marks, rules: CvrRules
) -> tuple[RankedProfile, tuple[str, ...]]:
    """The ranked ballots ``marks`` stand for under ``rules``, and notes on how the special
    marks were counted (for :attr:`ballots.box.BallotBox.notes`)."""
    refused: ProfileError | None = None
    cells = marks.codes
    if rules.max_rankings is not None and cells.shape[1] > rules.max_rankings:
        cells = cells[:, : rules.max_rankings]
    try:
        weights = None if marks.counts is None else check_counts(marks.counts, len(marks.counts))
        codes, counts = collapse_rows(cells, weights)
    except ProfileError as exc:
        refused = exc
        codes, counts = cells.astype(np.int64), np.zeros(0, dtype=np.int64)
    n_labels = len(marks.labels)
    used = np.bincount(codes.ravel(), minlength=n_labels) > 0
    words = {marker: {marker} for marker in (UNDERVOTE, OVERVOTE, WRITE_IN)}
    for marker, word in rules.labels:
        words[marker].add(word)
    meanings = [
        _meaning(label, rules, words) if seen else _Meaning("skip")
        for label, seen in zip(marks.labels, used, strict=True)
    ]
    excluded = set(rules.excluded)
    marked = {name for meaning in meanings for name in meaning.names}
    names = sorted(marked - excluded - {WRITE_IN_NAME})
    if WRITE_IN_NAME in marked and WRITE_IN_NAME not in excluded:
        names.append(WRITE_IN_NAME)
    if not names:
        raise fail(path, None, "no ballot marks a candidate")
    if refused is not None:
        raise fail(path, None, str(refused)) from refused
    reading = _Reading(names, sorted(marked & excluded), meanings, rules)
    table = reading.run(codes, counts)
    notes = reading.notes(codes, counts)
    try:
        profile = RankedProfile.from_ranks(names, table, counts)
    except ProfileError as exc:
        raise fail(path, None, str(exc)) from exc
    return profile, tuple(notes)


class _Reading:
    """One pass over the rank columns of the distinct rows, with what it counted."""

    def __init__(
        self, names: list[str], excluded: list[str], meanings: list[_Meaning], rules: CvrRules
    ) -> None:
        self.names, self.excluded, self.meanings, self.rules = names, excluded, meanings, rules
        # every candidate marked, counted ones first: an index for repeats
        self.index = {name: i for i, name in enumerate([*names, *excluded])}
        self.ended_over = self.ended_skip = self.ended_repeat = self.repeats = 0
        lookup = []
        for meaning in meanings:
            ids = [self.index[n] for n in meaning.names]
            if meaning.kind == "skip":
                lookup.append(SKIP)
            elif meaning.kind == "overvote":
                lookup.append(UNKNOWN_OVERVOTE)
            elif len(ids) == 1 and ids[0] < len(names):
                lookup.append(ids[0])
            elif len(ids) == 1 and rules.duplicate == "skip":
                lookup.append(PASSED)
            else:
                lookup.append(GROUP)
        self.lookup = np.array(lookup, dtype=np.int64)
        self.groups = [code for code, value in enumerate(lookup) if value == GROUP]

    def run(self, codes: NDArray[np.integer[Any]], counts: NDArray[np.int64]) -> NDArray[Any]:
        """The ``(rows, candidates)`` table of positions (-1: unranked) the rules give."""
        rules, m = self.rules, len(self.names)
        cand = np.asfortranarray(self.lookup[codes])  # one contiguous column per rank
        n, width = cand.shape
        table = np.full((n, m), -1, dtype=np.int8 if width < 127 else np.int64)
        cells = table.reshape(-1)  # a view: cell (row, candidate) is row * m + candidate
        starts = np.arange(n, dtype=np.int64) * m
        alive = np.ones(n, dtype=bool)
        gap = np.zeros(n, dtype=np.int64)
        placed = np.zeros(n, dtype=table.dtype)  # the next mark's position in each row
        seen = np.zeros((n, len(self.index)), dtype=bool) if rules.duplicate == "exhaust" else None
        for rank in range(width):
            column = cand[:, rank]
            mark = column != SKIP
            if rules.max_skipped is not None:
                end = alive & mark & (gap > rules.max_skipped)
                self.ended_skip += int(counts[end].sum())
                alive &= ~end
                gap = np.where(mark, 0, gap + 1)
            if seen is not None:  # a candidate marked again ends the ballot
                rows = np.flatnonzero(alive & (column >= 0))
                again = seen[rows, column[rows]]
                self.ended_repeat += int(counts[rows[again]].sum())
                alive[rows[again]] = False
                seen[rows[~again], column[rows[~again]]] = True
            if rules.overvote != "skip":
                end = alive & (column == UNKNOWN_OVERVOTE)
                self.ended_over += int(counts[end].sum())
                alive &= ~end
            live = np.flatnonzero(alive & (column >= 0))
            at = starts[live] + column[live]
            fresh = cells[at] < 0
            self.repeats += int(counts[live[~fresh]].sum())
            live = live[fresh]
            cells[at[fresh]] = placed[live]
            placed[live] += 1
            for code in self.groups:
                rows = np.flatnonzero(alive & (codes[:, rank] == code))
                if len(rows):
                    self._group(code, rows, table, placed, alive, seen, counts)
        return table

    def _group(
        self,
        code: int,
        rows: NDArray[np.int64],
        table: NDArray[Any],
        placed: NDArray[Any],
        alive: NDArray[np.bool_],
        seen: NDArray[np.bool_] | None,
        counts: NDArray[np.int64],
    ) -> None:
        """A label of several candidates (or an excluded one) at one rank of ``rows``."""
        ids = np.array([self.index[n] for n in self.meanings[code].names], dtype=np.int64)
        if seen is not None:
            again = seen[np.ix_(rows, ids)].any(axis=1)
            self.ended_repeat += int(counts[rows[again]].sum())
            alive[rows[again]] = False
            rows = rows[~again]
            seen[np.ix_(rows, ids)] = True
        if len(ids) > 1 and self.rules.overvote == "skip":
            return
        if len(ids) > 1 and self.rules.overvote == "exhaust":
            self.ended_over += int(counts[rows].sum())
            alive[rows] = False
            return
        counted = ids[ids < len(self.names)]  # excluded candidates: passed over
        if not len(counted) or not len(rows):
            return
        block = table[np.ix_(rows, counted)]
        fresh = block < 0  # a candidate already ranked keeps the higher rank
        self.repeats += int(counts[rows] @ (~fresh).sum(axis=1))
        some = fresh.any(axis=1)
        table[np.ix_(rows, counted)] = np.where(fresh, placed[rows][:, None], block)
        placed[rows[some]] += 1

    def notes(self, codes: NDArray[np.integer[Any]], counts: NDArray[np.int64]) -> list[str]:
        """What the reading did with the special marks, in words and figures."""
        rules = self.rules
        per_label = np.zeros(len(self.meanings), dtype=np.int64)
        for rank in range(codes.shape[1]):
            per_label += np.bincount(
                codes[:, rank], weights=counts, minlength=len(per_label)
            ).astype(np.int64)

        def marks(test: Any) -> int:
            return int(
                sum(int(v) for v, m in zip(per_label, self.meanings, strict=True) if test(m))
            )

        skipped = marks(lambda m: m.kind == "skip")
        overvotes = marks(lambda m: m.kind == "overvote" or len(m.names) > 1)
        if rules.overvote == "skip":
            over = "passed over"
        elif rules.overvote == "exhaust":
            over = f"ended {self.ended_over} ballots"
        else:
            over = (
                "counted as a tie of their candidates (the ballot ends while two of them"
                f" continue); {self.ended_over} ballots ended at an overvote naming no candidate"
            )
        blank_rows = (self.lookup[codes] == SKIP).all(axis=1)
        notes = [
            f"{skipped} skipped ranks (undervote or blank) passed over",
            f"{overvotes} overvoted ranks {over}",
            f"{int(counts[blank_rows].sum())} ballots rank nobody",
        ]
        if rules.duplicate == "skip":
            notes.append(
                f"{self.repeats} repeated marks for a candidate counted once, at the highest rank"
            )
        else:
            notes.append(f"{self.ended_repeat} ballots ended at a repeated candidate")
        if WRITE_IN_NAME in self.names:
            uwi = marks(lambda m: WRITE_IN_NAME in m.names)
            notes.append(f"{uwi} undeclared write-in marks counted for {WRITE_IN_NAME!r}")
        if rules.max_skipped is not None:
            notes.append(
                f"{self.ended_skip} ballots ended after more than {rules.max_skipped} skipped ranks"
            )
        if self.excluded:
            passed = marks(lambda m: any(n in self.excluded for n in m.names))
            notes.append(f"{passed} marks for excluded candidates passed over")
        return notes
