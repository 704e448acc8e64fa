"""The contest an election office's tabulator configuration states, beside its ballot rules.

An RCTab contest configuration (JSON) holds two things: how the record's marks are read
(:meth:`~ballots.formats.cvr_rules.CvrRules.from_rctab`) and how the contest is counted: the
winner election mode, the number of seats, batch elimination, continuing until two remain,
the threshold, stopping early, the multi-seat arithmetic and the tie-break mode.
:func:`contest_from_rctab` reads the second into Red Bench's words, a method, its options and
a tie-break mode (docs/counting.md, "选举机构的计票配置"), so that ``redbench tally FILE --rules
CONFIG.json`` counts as the office counted. What cannot be matched is refused, never
approximated: a minimum vote threshold.

The certified tabulator draws its lots with a seeded Java generator; the ``lot`` mode a
configuration's ``random`` becomes draws Red Bench's published lot instead (engine.tiebreak),
so a contest whose outcome rests on a lot may be drawn differently — the count says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ballots.errors import FormatError
from ballots.formats.cvr_rules import rctab_flag, rctab_whole
from engine.registry import METHODS
from engine.result import Option, TieBreak

_MODES: dict[str, tuple[str, dict[str, Option]]] = {
    "singlewinnermajority": ("irv", {}),
    "singlewinnermajoritydetermineswinner": ("irv", {}),
    "multiwinnerallowmultiplewinnersperround": ("stv", {"rules": "fractional"}),
    "multiwinnerallowonlyonewinnerperround": (
        "stv",
        {"rules": "fractional", "one_per_round": True},
    ),
    "bottomsup": ("bottoms-up", {}),
    "bottomsupusingpercentagethreshold": ("bottoms-up", {}),
    "multipassirv": ("sequential-irv", {}),
}
"""The configuration's winner election modes (its words, squeezed) -> method and options."""

_TIE_BREAKS = {
    "random": "lot",
    "stopcountingandask": "ask",
    "previousroundcountsthenrandom": "later-round",
    "previousroundcountsthenask": "later-round-then-ask",
    "usecandidateorder": "candidate-order",
    "usecandidateorderintheconfigfile": "candidate-order",
    "generatepermutation": "permutation",
}
"""The configuration's tie-break modes (squeezed) -> Red Bench's (engine.result.TIE_BREAK_MODES)."""


_SETTING = {
    "batch": "batchElimination",
    "until_two": "continueUntilTwoCandidatesRemain",
    "threshold": "doesFirstRoundDetermineThreshold",
    "stop_after": "stopTabulationEarlyAfterRound",
    "quota": "hareQuota",
    "integer_threshold": "nonIntegerWinningThreshold",
    "decimals": "decimalPlacesForVoteArithmetic",
    "percentage": "multiSeatBottomsUpPercentageThreshold",
}
"""Red Bench's option -> the configuration's setting, for the refusals."""

_SINGLE_SEAT_MOOT = ("quota", "integer_threshold", "decimals")
_MOOT: dict[str, tuple[str, ...]] = {
    "irv": _SINGLE_SEAT_MOOT,
    "sequential-irv": _SINGLE_SEAT_MOOT,
    "bottoms-up": _SINGLE_SEAT_MOOT,
    "stv": ("threshold",),
}
"""Settings that change nothing under a method, so they are passed over: the multi-seat
arithmetic of a count in whole ballots that elects by majority or by elimination (the
certified tabulator's own manual says so), and a threshold fixed by the first round, which the
fractional rules always are."""


@dataclass(frozen=True)
class OfficeContest:
    """How a configuration counts its contest, in Red Bench's words."""

    method: str
    seats: int
    options: dict[str, Option] = field(default_factory=dict)
    tie_break: TieBreak | None = None
    drawn: bool = False
    """Whether ties the count's history leaves go to a lot (then drawn by Red Bench's lot)."""


def _squeezed(value: object) -> str:
    return re.sub(r"[^a-z]", "", str(value).lower())


def contest_from_rctab(config: Path | str) -> OfficeContest:
    """The method, seats, options and tie-break mode an RCTab configuration states."""
    path = Path(config)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        rules = data["rules"]
        if not isinstance(rules, dict):
            raise TypeError
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FormatError(f"{path}: not an RCTab configuration with a 'rules' section") from exc
    mode = _squeezed(rules.get("winnerElectionMode", "singleWinnerMajority"))
    if mode not in _MODES:
        raise FormatError(
            f"{path}: winner election mode {rules['winnerElectionMode']!r} is unknown"
        )
    method, fixed = _MODES[mode]
    seats = rctab_whole(path, "numberOfWinners", rules, 1, limits=False) or 1
    if method == "irv" and seats > 1:
        raise FormatError(f"{path}: a single-winner mode with {seats} winners")
    if rctab_whole(path, "minimumVoteThreshold", rules, 0, limits=False):
        raise FormatError(f"{path}: a minimum vote threshold is not supported")
    options: dict[str, Option] = dict(fixed)
    stop = rctab_whole(path, "stopTabulationEarlyAfterRound", rules, 1, limits=False)
    percentage = str(rules.get("multiSeatBottomsUpPercentageThreshold", "")).strip()
    try:
        share = float(percentage) if percentage else None
    except ValueError:
        raise FormatError(
            f"{path}: multiSeatBottomsUpPercentageThreshold {percentage!r} is not a number"
        ) from None
    wanted: dict[str, Option] = {
        "batch": True if rctab_flag(rules, "batchElimination") else None,
        "until_two": True if rctab_flag(rules, "continueUntilTwoCandidatesRemain") else None,
        "threshold": "first-round"
        if rctab_flag(rules, "doesFirstRoundDetermineThreshold")
        else None,
        "stop_after": stop,
        "quota": "hare" if rctab_flag(rules, "hareQuota") else None,
        "integer_threshold": False if rctab_flag(rules, "nonIntegerWinningThreshold") else None,
        "decimals": rctab_whole(path, "decimalPlacesForVoteArithmetic", rules, 1, limits=False),
        "percentage": share if mode == "bottomsupusingpercentagethreshold" else None,
    }
    if mode == "bottomsupusingpercentagethreshold" and wanted["percentage"] is None:
        raise FormatError(f"{path}: the percentage threshold mode without a percentage")
    known = METHODS[method].options
    for name, value in wanted.items():
        spec = known.get(name)
        if value is None or (spec is not None and value == spec.default):
            continue  # not set, or the method's default
        if spec is None:
            if name in _MOOT.get(method, ()):
                continue  # a setting that changes nothing in this mode
            said = rules.get("winnerElectionMode", "singleWinnerMajority")
            raise FormatError(f"{path}: {_SETTING[name]} is not supported with {said}")
        options[name] = value
    tie = _squeezed(rules.get("tiebreakMode", "random"))
    if tie not in _TIE_BREAKS:
        raise FormatError(f"{path}: tie-break mode {rules.get('tiebreakMode')!r} is unknown")
    chosen = _TIE_BREAKS[tie]
    order: tuple[str, ...] = ()
    if chosen == "candidate-order":
        order = tuple(
            str(c["name"]).strip()
            for c in data.get("candidates") or []
            if isinstance(c, Mapping)
            and str(c.get("name", "")).strip()
            and not rctab_flag(c, "excluded")
        )
    return OfficeContest(
        method=method,
        seats=seats,
        options=options,
        tie_break=TieBreak(mode=chosen, order=order),
        drawn=chosen in ("lot", "later-round", "permutation"),
    )
