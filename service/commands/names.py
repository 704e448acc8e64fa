"""Names, not numbers, in what the command line prints.

Some ballot files count their options under numbers and give the names beside them: a
pabulib file from outside Red Bench lists its projects by ``project_id`` with their titles
in the ``name`` column (``ballots.formats.pabulib`` keeps those under
:data:`~ballots.formats.pabulib.NAME_KEY` in the box's ``meta``). The count is done under
the numbers, as the file says (the lot is drawn on them, so a recount matches the file's);
only what is printed is renamed, so people read ``立项: 儿童游乐设施、健身器材`` rather than
``立项: 1、4``. Two projects with the same name keep their numbers beside it.

Files that name their options themselves (BLT's and PrefLib's candidate names, the CSV's
columns, the JSON bundle's slate) need nothing: :func:`names_of` gives an empty map for them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from msgspec.structs import replace

from ballots.box import BallotBox
from ballots.formats.pabulib import NAME_KEY
from engine.compare import Comparison, MethodVerdict
from engine.result import Decision, Result, Round, Tie
from service.i18n import text

Names = Mapping[str, str]
"""An option as the file counts it → its name for people."""


def names_of(box: BallotBox, lang: str) -> dict[str, str]:
    """The names the file gives its options where they differ from what it counts them
    under (a name given twice has its number beside it: ``文化墙（3号）``)."""
    given = {
        option: name
        for option in box.profile.candidates
        if (name := box.meta.get(NAME_KEY.format(option), "").strip()) and name != option
    }
    twice = Counter(given.values())
    return {
        option: text(lang, "cli.name.numbered", name=name, id=option) if twice[name] > 1 else name
        for option, name in given.items()
    }


def _all(names: Names, options: Iterable[str]) -> tuple[str, ...]:
    return tuple(names.get(option, option) for option in options)


def _keys(names: Names, values: Mapping[str, float]) -> dict[str, float]:
    return {names.get(option, option): value for option, value in values.items()}


def named_result(result: Result, names: Names) -> Result:
    """``result`` with every option named: winners, candidates, every step's tallies and
    transfers, ties, budget decisions (for printing only: never counted again)."""
    if not names:
        return result

    def step(r: Round) -> Round:
        moved = tuple(
            replace(t, source=names.get(t.source, t.source), received=_keys(names, t.received))
            for t in r.transfers
        )
        return replace(
            r,
            tallies=_keys(names, r.tallies),
            elected=_all(names, r.elected),
            eliminated=_all(names, r.eliminated),
            transfers=moved,
        )

    def tie(t: Tie) -> Tie:
        return replace(t, tied=_all(names, t.tied), chosen=_all(names, t.chosen))

    def decision(d: Decision) -> Decision:
        return replace(d, candidate=names.get(d.candidate, d.candidate))

    return replace(
        result,
        candidates=_all(names, result.candidates),
        winners=_all(names, result.winners),
        ranking=None
        if result.ranking is None
        else tuple(_all(names, group) for group in result.ranking),
        scores=None if result.scores is None else _keys(names, result.scores),
        rounds=tuple(step(r) for r in result.rounds),
        ties=tuple(tie(t) for t in result.ties),
        decisions=tuple(decision(d) for d in result.decisions),
    )


def named_comparison(comparison: Comparison, names: Names) -> Comparison:
    """``comparison`` with every option named (each method's winners and ties, the
    Condorcet winner, the Smith set; ``condorcet_misses`` names methods)."""
    if not names:
        return comparison

    def verdict(v: MethodVerdict) -> MethodVerdict:
        return replace(v, winners=_all(names, v.winners), tied=_all(names, v.tied))

    winner = comparison.condorcet_winner
    return replace(
        comparison,
        candidates=_all(names, comparison.candidates),
        verdicts=tuple(verdict(v) for v in comparison.verdicts),
        condorcet_winner=None if winner is None else names.get(winner, winner),
        smith_set=_all(names, comparison.smith_set),
    )
