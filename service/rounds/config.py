"""Checking a round's configuration: a method that counts the ballot kind, its options
(seats, budget, tie policy and the method's own, checked with the registry's
:class:`~engine.registry.OptionSpec`), and ballot rules that fit the kind."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from functools import partial
from typing import Any, Final, get_args

import msgspec

from engine.errors import OptionError
from engine.registry import METHODS, MethodInfo
from engine.validity import Validity
from service.errors import Invalid
from service.records.labels import option_name, option_value
from service.rounds.schemas import RoundRules
from service.rounds.settings import (
    ROUND_OPTIONS,
    BallotSettings,
    RoundOptions,
    TieBreakMode,
    TiePolicy,
    tie_order_names,
)

BUDGET_METHODS: Final = ("equal-shares", "greedy")
"""The approval-kind methods that fund projects within a budget: the only ones for budget
rounds, and not for plain approval rounds (they need costs)."""

TIE_POLICIES: Final = get_args(TiePolicy)
"""The tie policies a round can have (see :class:`~service.rounds.settings.RoundOptions`)."""

TIE_BREAKS: Final = get_args(TieBreakMode)
"""The tie-break modes a round can have (``engine.result.TIE_BREAK_MODES``)."""

DRAWING_MODES: Final = ("lot", "permutation")
"""Modes that draw from the lot seed whatever the tie: not with the tie policy ``refuse``."""


def methods_for(kind: str) -> list[str]:
    """The registered methods that can count a round of ballot ``kind``, sorted."""
    if kind == "budget":
        return [m for m in BUDGET_METHODS if m in METHODS]
    return sorted(
        name
        for name, info in METHODS.items()
        if info.accepts == kind and name not in BUDGET_METHODS
    )


def check_method(kind: str, method: str) -> MethodInfo:
    """The registered method ``method``, refused (422) unless it counts ``kind`` rounds."""
    fitting = methods_for(kind)
    if method not in METHODS:
        raise Invalid(
            "unknown-method-for-kind", field="method", method=method, kind=kind, fitting=fitting
        )
    if method not in fitting:
        raise Invalid(
            "method-kind-mismatch", field="method", method=method, kind=kind, fitting=fitting
        )
    return METHODS[method]


def _bad(key: str, name: str, **params: Any) -> Invalid:
    """The refusal ``key`` (422 ``invalid-option``) of the option ``name``."""
    return Invalid(key, field=f"options.{name}", name=name, **params)


def _choices(name: str, choices: Iterable[str], lang: str) -> str:
    return "、".join(f"“{option_value(name, c, lang)}”" for c in choices)


def _quoted(say: Callable[[str, str], str], names: Iterable[str], lang: str) -> str:
    return "、".join(f"“{say(n, lang)}”" for n in names)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_options(kind: str, info: MethodInfo, options: Mapping[str, Any]) -> RoundOptions:
    """The round's options with defaults filled in, or 422 naming the first bad option."""
    own = sorted(set(options) - set(ROUND_OPTIONS))
    for name in own:
        if name not in info.options:
            allowed = [*ROUND_OPTIONS, *sorted(info.options)]
            raise _bad(
                "option-unknown",
                name,
                method=info.name,
                allowed=allowed,
                allowed_said=partial(_quoted, option_name, allowed),
            )
    seats = options.get("seats")
    if "seats" in options and (not isinstance(seats, int) or isinstance(seats, bool) or seats < 1):
        raise _bad("option-seats", "seats", value=seats)
    tie_policy = options.get("tie_policy")
    if "tie_policy" in options and tie_policy not in TIE_POLICIES:
        raise _bad(
            "option-tie-policy",
            "tie_policy",
            value=tie_policy,
            lot=partial(option_value, "tie_policy", "lot"),
            refuse=partial(option_value, "tie_policy", "refuse"),
        )
    check_tie_break(options)
    chosen = {k: options[k] for k in ROUND_OPTIONS if k in options}
    if "budget" in options:
        chosen["budget"] = _budget(kind, options["budget"])
    for name, spec in sorted(info.options.items()):
        if name not in options:
            chosen[name] = spec.default
            continue
        try:
            chosen[name] = spec.check(name, options[name])
        except OptionError as exc:
            raise Invalid(
                "invalid-option-choices" if spec.choices else "invalid-option-choice",
                field=f"options.{name}",
                name=name,
                sentence=str(exc),
                choices=partial(_choices, name, spec.choices),
            ) from exc
    together = {name: chosen[name] for name in info.options}
    try:
        info.check_together(together)
    except OptionError as exc:  # each valid alone, but not together (stv's quota, not fractional)
        name = str(exc).removeprefix("option ").split(" ", 1)[0]
        raise Invalid(
            "invalid-option-choice",
            field=f"options.{name}" if name in info.options else "options",
            name=name,
            sentence=str(exc),
        ) from exc
    if chosen.get("write_in"):  # a round's ballots hold no undeclared write-ins
        raise _bad("option-write-in-round", "write_in", value=chosen["write_in"])
    return RoundOptions.of(chosen)


def _budget(kind: str, value: Any) -> Any:
    if kind != "budget":
        raise _bad("budget-misplaced", "budget", kind=kind)
    if value is None:
        return None
    if not _is_number(value) or not math.isfinite(value) or value < 0:
        raise _bad("budget-negative", "budget", value=value)
    exact = Decimal(repr(float(value))) * 100
    if exact != exact.to_integral_value():
        raise _bad("budget-fen", "budget", value=value)
    return value


def check_rules(kind: str, rules: RoundRules) -> BallotSettings:
    """The ballot rules as stored, or 422 naming a rule that does not apply to ``kind``."""
    if rules.allow_ties and kind != "ranked":
        raise Invalid("ties-ranked-only", field="rules.allow_ties", kind=kind)
    if rules.max_approvals is not None and kind not in ("approval", "budget"):
        raise Invalid("max-approvals-misplaced", field="rules.max_approvals", kind=kind)
    if rules.max_score is not None and kind != "score":
        raise Invalid("max-score-misplaced", field="rules.max_score", kind=kind)
    given = msgspec.structs.asdict(rules)
    return BallotSettings(**{k: v for k, v in given.items() if v is not None})


def rules_for(kind: str, rules: BallotSettings) -> RoundRules:
    """The stored rules as the API shows and takes them: only those that apply to ballot
    ``kind``, the rest left out (``None``) or off."""
    return RoundRules(
        allow_ties=rules.allow_ties and kind == "ranked",
        allow_truncation=rules.allow_truncation,
        max_approvals=rules.max_approvals if kind in ("approval", "budget") else None,
        max_score=rules.max_score if kind == "score" else None,
    )


def check_validity(rule: Validity, *, household_roll: bool) -> None:
    """A quorum of households needs the round's household roll (422 ``validity-needs-roll``)."""
    if rule.quorum == "households" and not household_roll:
        raise Invalid("validity-needs-roll", field="validity.quorum")


def check_tie_break(options: Mapping[str, Any]) -> None:
    """Refuse (422) a tie-break mode that is not one, a tie order that is not a list of
    distinct names or comes without ``candidate-order`` (or is missing with it), and a
    mode that draws lots under the tie policy ``refuse``. The names are checked against
    the slate apart (:func:`check_tie_order`)."""
    mode = options.get("tie_break")
    if mode is not None and mode not in TIE_BREAKS:
        raise _bad(
            "option-tie-break",
            "tie_break",
            value=mode,
            choices=partial(_choices, "tie_break", TIE_BREAKS),
        )
    typed = options.get("tie_order")
    if typed is not None and not isinstance(typed, str):
        raise _bad("option-tie-order-text", "tie_order", value=typed)
    names = tie_order_names(typed or "")
    if names and mode != "candidate-order":
        raise _bad("option-tie-order-misplaced", "tie_order")
    if mode == "candidate-order" and not names:
        raise _bad("option-tie-order-needed", "tie_order")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise _bad("option-tie-order-twice", "tie_order", names=twice)
    if mode in DRAWING_MODES and options.get("tie_policy") == "refuse":
        raise _bad("option-tie-break-refuse", "tie_break", mode=mode)


def check_tie_order(options: RoundOptions, slate: Iterable[str]) -> None:
    """Refuse (422 on ``options.tie_order``) a tie order naming what is not on the slate."""
    known = set(slate)
    unknown = [n for n in options.tie_order if n not in known]
    if unknown:
        raise _bad("option-tie-order-names", "tie_order", names=unknown)
