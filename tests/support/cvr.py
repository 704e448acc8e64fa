"""Cast-vote records for the tests: random ones with every kind of cell, a plain reading of
the marker rules (the reference for the columnar reader), and a box's ballots by name."""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from pathlib import Path

from ballots.box import BallotBox
from ballots.formats import cvr
from engine.profile import UNRANKED, RankedProfile


def named_rows(box: BallotBox) -> dict[tuple[str, ...], int]:
    """Each distinct ballot as its names best first (no ties in a CVR), with its count."""
    profile = box.profile
    assert isinstance(profile, RankedProfile)
    out: dict[tuple[str, ...], int] = {}
    for row, count in zip(profile.ranks.tolist(), profile.counts.tolist(), strict=True):
        ranked = sorted((r, profile.candidates[c]) for c, r in enumerate(row) if r != UNRANKED)
        out[tuple(name for _, name in ranked)] = count
    return out


MARKS = ["A", "B", "C d", "é,x", 'q"u', " B ", "undervote", "overvote", "UWI", "", ""]


def reference(path: Path, rules: cvr.CvrRules) -> tuple[dict[tuple[str, ...], int], list[int]]:
    """The ballots of a CSV cast-vote record and the figures its notes give, read ballot by
    ballot with the csv module straight from the rules in the module's docstring (the
    reference for the reader that works on whole columns)."""
    with path.open(encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    ranks = [i for i, h in enumerate(header) if "rank" in h.lower()]
    weight = header.index("Count") if "Count" in header else None
    ballots: dict[tuple[str, ...], int] = {}
    skipped = over = nobody = repeats = write_ins = ended_over = ended_skip = 0
    for row in rows:
        if not any(row):
            continue
        count = 1 if weight is None else int(row[weight])
        cells = [row[i].strip() for i in ranks]
        kept: list[str] = []
        gap, ended = 0, False
        for cell in cells:
            mark = cvr.WRITE_IN_NAME if cell == cvr.WRITE_IN else cell
            blank = cell in ("", cvr.UNDERVOTE)
            skipped += count * blank
            over += count * (cell == cvr.OVERVOTE)
            write_ins += count * (cell == cvr.WRITE_IN)
            if ended:
                continue
            if not blank and rules.max_skipped is not None and gap > rules.max_skipped:
                ended, ended_skip = True, ended_skip + count
            elif cell == cvr.OVERVOTE and rules.overvote == "exhaust":
                ended, ended_over = True, ended_over + count
            elif not blank and cell != cvr.OVERVOTE:
                if mark in kept:
                    repeats += count
                else:
                    kept.append(mark)
            gap = gap + 1 if blank else 0
        nobody += count * all(c in ("", cvr.UNDERVOTE) for c in cells)
        ballots[tuple(kept)] = ballots.get(tuple(kept), 0) + count
    # the figures the notes give, in their order (a limit on skipped ranks is one of them)
    figures = [skipped, over] + ([ended_over] if rules.overvote == "exhaust" else [])
    figures += [nobody, repeats]
    if any(row[i].strip() == cvr.WRITE_IN for row in rows for i in ranks if len(row) > i):
        figures.append(write_ins)
    if rules.max_skipped is not None:
        figures += [ended_skip, rules.max_skipped]
    return ballots, figures


def random_cvr(rng: random.Random, path: Path, marks: Sequence[str] = MARKS) -> None:
    """A small CVR with every kind of cell (from ``marks``), blank rows, other columns and
    maybe counts."""
    width = rng.randint(1, 6)
    header = [f"rank{r}" for r in range(1, width + 1)]
    if rng.random() < 0.3:
        header.insert(rng.randint(0, width), "Precinct")
    counted = rng.random() < 0.3
    if counted:
        header.append("Count")
    rows = []
    for _ in range(rng.randint(1, 60)):
        row = [rng.choice(marks) for _ in header]
        if "Precinct" in header:
            row[header.index("Precinct")] = rng.choice(["", "P1", "P 2"])
        if counted:
            row[-1] = rng.choice(["1", "2", "17"])
        rows.append([""] * len(header) if rng.random() < 0.05 else row)
    rows[0][header.index("rank1")] = "A"  # some ballot marks a candidate
    if counted:
        rows[0][-1] = "1"
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out, lineterminator=rng.choice(["\n", "\r\n"])).writerows([header, *rows])


def reference_ballots(path: Path, rules: cvr.CvrRules) -> dict[tuple[str, ...], int]:
    """The ballots of a CSV cast-vote record under any ``rules``, read ballot by ballot as
    the rules' docstring (:mod:`ballots.formats.cvr_rules`) says, one rank after another:
    each ballot its ranks best first, the candidates of a tie joined by ``=``."""
    with path.open(encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    ranks = [i for i, h in enumerate(header) if "rank" in h.lower()][: rules.max_rankings]
    weight = header.index("Count") if "Count" in header else None
    aliases = dict(rules.aliases)
    ballots: dict[tuple[str, ...], int] = {}
    for row in rows:
        if not any(row):
            continue
        kept: list[str] = []
        placed: set[str] = set()
        seen: set[str] = set()
        gap = 0
        for cell in (row[i].strip() for i in ranks):
            names: list[str] = []
            unknown = cell == cvr.OVERVOTE
            if cell == "" and rules.blank_is_write_in:
                names = [cvr.WRITE_IN_NAME]
            elif cell not in ("", cvr.UNDERVOTE, cvr.OVERVOTE):
                parts = cell.split(rules.delimiter) if rules.delimiter else [cell]
                for part in (p.strip() for p in parts):
                    if part == cvr.OVERVOTE:
                        unknown = True
                    elif part and part != cvr.UNDERVOTE:
                        name = (
                            cvr.WRITE_IN_NAME if part == cvr.WRITE_IN else aliases.get(part, part)
                        )
                        names += [name] if name not in names else []
            if not names and not unknown:
                gap += 1
                continue
            if rules.max_skipped is not None and gap > rules.max_skipped:
                break
            gap = 0
            if unknown:
                if rules.overvote == "skip":
                    continue
                break
            if rules.duplicate == "exhaust":
                if seen & set(names):
                    break
                seen |= set(names)
            if len(names) > 1 and rules.overvote == "skip":
                continue
            if len(names) > 1 and rules.overvote == "exhaust":
                break
            counted = sorted(n for n in names if n not in rules.excluded and n not in placed)
            if counted:
                kept.append("=".join(counted))
                placed |= set(counted)
        count = 1 if weight is None else int(row[weight])
        ballots[tuple(kept)] = ballots.get(tuple(kept), 0) + count
    return ballots
