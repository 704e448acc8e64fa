"""The one registry of counting methods, and :func:`tally`, the engine's entry point.

Each method is a function ``(profile, tiebreaker, seats, options) -> Outcome`` registered
with :func:`method`, stating the ballot kind it counts, the options it takes and the
properties it claims (tested by the contract tests). :func:`tally` checks the request,
runs the method and wraps its outcome into a :class:`~engine.result.Result`.

This module never imports the methods: they import it to register themselves, and
``engine/__init__.py`` imports :mod:`engine.methods`, so :data:`METHODS` is complete as
soon as any part of the engine has been imported.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from msgspec import UNSET, UnsetType

from engine.errors import KindMismatch, OptionError, UnknownMethod
from engine.profile import Profile
from engine.result import Decision, NoDecision, Option, Result, Round, TieBreak
from engine.tiebreak import TieBreaker


@dataclass(frozen=True)
class OptionSpec:
    """A method option: its default and either the allowed choices or a numeric range."""

    default: Option
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    help: str = ""
    below: float | None = None
    """A number option's value must be less than this (a percentage below 100)."""

    @property
    def names_candidate(self) -> bool:
        """A text option without fixed choices: its value names a candidate (``write_in``),
        ``""`` for none."""
        return isinstance(self.default, str) and not self.choices

    def check(self, name: str, value: Option) -> Option:
        if self.choices:
            if value not in self.choices:
                allowed = ", ".join(self.choices)
                raise OptionError(f"option {name} must be one of {allowed}, got {value!r}")
            return value
        if isinstance(self.default, bool):
            if not isinstance(value, bool):
                raise OptionError(f"option {name} must be true or false, got {value!r}")
            return value
        if isinstance(self.default, str):  # a free text option, such as a candidate's name
            if not isinstance(value, str):
                raise OptionError(f"option {name} must be text, got {value!r}")
            return value
        if isinstance(self.default, int | float) or self.default is None:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise OptionError(f"option {name} must be a number, got {value!r}")
            if isinstance(self.default, int) and not isinstance(value, int):
                raise OptionError(f"option {name} must be a whole number, got {value!r}")
            if self.minimum is not None and value < self.minimum:
                raise OptionError(f"option {name} must be at least {self.minimum:g}, got {value}")
            if self.below is not None and value >= self.below:
                raise OptionError(f"option {name} must be less than {self.below:g}, got {value}")
        return value


@dataclass
class Outcome:
    """What a method function hands back; :func:`tally` adds the common fields."""

    ranking: list[list[int]] | None = None
    winners: list[int] | None = None
    scores: Sequence[float] | None = None
    rounds: list[Round] = field(default_factory=list)
    pairwise: Any = None
    decisions: list[Decision] = field(default_factory=list)
    no_decision: NoDecision | None = None
    """Set by a method whose own rules leave no ballot counting for anyone (the rest of
    the outcome is then ignored)."""


MethodFunc = Callable[[Any, TieBreaker, int, Mapping[str, Option]], Outcome]


@dataclass(frozen=True)
class MethodInfo:
    """A registered counting method."""

    name: str
    func: MethodFunc
    accepts: str
    summary: str
    summary_zh: str
    options: Mapping[str, OptionSpec]
    claims: frozenset[str]
    multiwinner: bool
    agree: Callable[[Mapping[str, Option]], None] | None = None
    """Checks that the options, each valid alone, go together (raises
    :class:`~engine.errors.OptionError`): run by :func:`tally` and by a round's set-up, so
    a combination a count would refuse is refused before any ballot is cast."""

    def check_together(self, options: Mapping[str, Option]) -> None:
        """Refuse options that do not go together (every option filled in)."""
        if self.agree is not None:
            self.agree(options)


METHODS: dict[str, MethodInfo] = {}
"""Every counting method by name, filled by :func:`method` as :mod:`engine.methods` is
imported (which ``import engine`` does)."""


def method(
    name: str,
    *,
    accepts: str,
    summary: str,
    summary_zh: str,
    options: Mapping[str, OptionSpec] | None = None,
    claims: Sequence[str] = ("anonymous", "neutral"),
    multiwinner: bool = False,
    agree: Callable[[Mapping[str, Option]], None] | None = None,
) -> Callable[[MethodFunc], MethodFunc]:
    """Register a counting method under ``name``.

    ``claims`` lists the properties the contract tests check: ``anonymous``,
    ``neutral``, ``condorcet`` (elects the Condorcet winner whenever there is one),
    ``majority`` (elects a candidate ranked first by a strict majority).
    """

    def register(func: MethodFunc) -> MethodFunc:
        if name in METHODS:
            raise ValueError(f"method {name!r} registered twice")
        METHODS[name] = MethodInfo(
            name=name,
            func=func,
            accepts=accepts,
            summary=summary,
            summary_zh=summary_zh,
            options=dict(options or {}),
            claims=frozenset(claims),
            multiwinner=multiwinner,
            agree=agree,
        )
        return func

    return register


def get_method(name: str) -> MethodInfo:
    """The registered method called ``name``."""
    try:
        return METHODS[name]
    except KeyError:
        known = ", ".join(sorted(METHODS))
        raise UnknownMethod(f"unknown method {name!r}; known methods: {known}") from None


def tally(
    name: str,
    profile: Profile,
    *,
    seats: int = 1,
    seed: str | int | None = None,
    tie_break: TieBreak | Option = None,
    **options: Option,
) -> Result:
    """Count ``profile`` with the method ``name``.

    ``seats`` is the number of winners (for single-winner methods, the top ``seats`` of
    their ranking, at most one per candidate; a method filling several seats, or counting
    approvals, elects every candidate when asked for more seats than there are candidates);
    ``seed`` draws lots where the method's own rules leave a tie (without
    a seed such a tie raises :class:`~engine.errors.TieUnresolved`); ``tie_break`` is the
    count's tie-break mode (:class:`~engine.tiebreak.TieBreaker`; ``None``: each method's own
    rule, then the lot), stated in the result with the order it followed and the answers
    it used. (It is typed to take an option value too only so that callers passing
    ``**options`` of plain values still type-check; anything but a ``TieBreak`` or ``None``
    is refused.)
    A profile with no ballots, or with blank ones only, is not counted: every method gives
    "no decision" (``Result.no_decision``), never a winner drawn by lot; so does a method
    under whose rules no ballot counts for anyone (its ``Outcome.no_decision``).
    """
    info = get_method(name)
    if profile.kind != info.accepts:
        raise KindMismatch(
            f"method {name} counts {info.accepts} ballots, but the ballots are {profile.kind}"
        )
    if isinstance(seats, bool) or not isinstance(seats, int) or seats < 1:
        raise OptionError(f"seats must be a whole number of at least 1, got {seats!r}")
    if seats > profile.n_candidates and info.accepts != "approval" and not info.multiwinner:
        raise OptionError(
            f"seats ({seats}) cannot exceed the number of candidates ({profile.n_candidates})"
        )
    unknown = sorted(set(options) - set(info.options))
    if unknown:
        allowed = ", ".join(sorted(info.options)) or "none"
        raise OptionError(f"method {name} has no option {unknown[0]}; its options: {allowed}")
    chosen: dict[str, Option] = {}
    for key, spec in sorted(info.options.items()):
        chosen[key] = spec.check(key, options[key]) if key in options else spec.default
    info.check_together(chosen)
    if tie_break is not None and not isinstance(tie_break, TieBreak):
        raise OptionError(f"tie_break must be a tie-break mode, got {tie_break!r}")
    tb = TieBreaker(profile.candidates, seed, tie_break)
    options_used: dict[str, Option] = {"seats": seats, **chosen}
    if profile.marked == 0:  # nothing to count: no method runs, no lot is drawn
        reason: NoDecision = "no-ballots" if profile.total == 0 else "no-valid-ballots"
        return undecided(name, profile, options_used, reason, tb)
    # a method filling several seats elects every candidate when there are no more of them
    # than seats: it counts as if asked for one seat per candidate (the request is recorded)
    outcome = info.func(profile, tb, min(seats, profile.n_candidates), chosen)
    if outcome.no_decision is not None:
        return undecided(name, profile, options_used, outcome.no_decision, tb)
    names = profile.candidates
    winners = outcome.winners
    if winners is None:
        if outcome.ranking is None:
            raise AssertionError(f"method {name} returned neither winners nor ranking")
        winners = top_of_ranking(outcome.ranking, seats, tb)
    return Result(
        method=name,
        options=options_used,
        candidates=names,
        ballots=profile.total,
        winners=tuple(names[i] for i in winners),
        ranking=None
        if outcome.ranking is None
        else tuple(tuple(names[i] for i in group) for group in outcome.ranking),
        scores=None
        if outcome.scores is None
        else {names[i]: float(s) for i, s in enumerate(outcome.scores)},
        rounds=tuple(outcome.rounds),
        pairwise=None
        if outcome.pairwise is None
        else tuple(tuple(int(v) for v in row) for row in outcome.pairwise),
        ties=tuple(tb.ties),
        decisions=tuple(outcome.decisions),
        seed=tb.seed,
        tie_break=_stated(tb),
    )


def _stated(tb: TieBreaker) -> TieBreak | UnsetType:
    stated = tb.stated()
    return UNSET if stated is None else stated


def undecided(
    name: str,
    profile: Profile,
    options: dict[str, Option],
    reason: NoDecision,
    tb: TieBreaker,
) -> Result:
    """The result of a count that decides nothing: no winners, no ranking, no lot."""
    return Result(
        method=name,
        options=options,
        candidates=profile.candidates,
        ballots=profile.total,
        winners=(),
        seed=tb.seed,
        no_decision=reason,
        tie_break=_stated(tb),
    )


def top_of_ranking(ranking: Sequence[Sequence[int]], seats: int, tb: TieBreaker) -> list[int]:
    """The first ``seats`` candidates of a weak order; a group straddling the cut goes to lot.

    Candidates of a group that fits whole are listed by name, so the order of the winners
    never depends on the order the candidates were listed in.
    """
    winners: list[int] = []
    for group in ranking:
        room = seats - len(winners)
        if room <= 0:
            break
        if len(group) <= room:
            winners.extend(sorted(group, key=lambda i: tb.candidates[i]))
        else:
            winners.extend(tb.choose(group, purpose="win", count=room))
    return winners
