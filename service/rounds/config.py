"""Checking a round's configuration: a method that counts the ballot kind, its options
(seats, budget, tie policy and the method's own, checked with the registry's
:class:`~engine.registry.OptionSpec`), and ballot rules that fit the kind."""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final, get_args

import msgspec

from engine.errors import OptionError
from engine.registry import METHODS, MethodInfo
from service.errors import Invalid
from service.records.labels import method_name, option_name, option_value
from service.refusals import method_names
from service.rounds.schemas import RoundRules
from service.rounds.settings import ROUND_OPTIONS, BallotSettings, RoundOptions, TiePolicy

BUDGET_METHODS: Final = ("equal-shares", "greedy")
"""The approval-kind methods that fund projects within a budget: the only ones for budget
rounds, and not for plain approval rounds (they need costs)."""

TIE_POLICIES: Final = get_args(TiePolicy)
"""The tie policies a round can have (see :class:`~service.rounds.settings.RoundOptions`)."""


_KIND_ZH: Final = {"ranked": "排序", "approval": "赞成", "score": "打分", "budget": "预算"}


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
    fitting = ", ".join(methods_for(kind))
    fitting_zh = method_names(methods_for(kind))
    kind_zh = _KIND_ZH.get(kind, kind)
    if method not in METHODS:
        raise Invalid(
            f"there is no method {method!r}; for {kind} ballots choose one of: {fitting}",
            code="unknown-method",
            zh=f"没有这种计票方法；{kind_zh}投票可选：{fitting_zh}",
            field="method",
        )
    if method not in methods_for(kind):
        raise Invalid(
            f"method {method} cannot count {kind} ballots; choose one of: {fitting}",
            code="kind-mismatch",
            zh=f"计票方法“{method_name(method, 'zh')}”不能用于{kind_zh}投票；可选：{fitting_zh}",
            field="method",
        )
    return METHODS[method]


def _bad(name: str, en: str, zh: str) -> Invalid:
    return Invalid(
        f"option {name}: {en}",
        code="invalid-option",
        zh=f"参数“{option_name(name, 'zh')}”：{zh}",
        field=f"options.{name}",
    )


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_options(kind: str, info: MethodInfo, options: Mapping[str, Any]) -> RoundOptions:
    """The round's options with defaults filled in, or 422 naming the first bad option."""
    own = sorted(set(options) - set(ROUND_OPTIONS))
    for name in own:
        if name not in info.options:
            allowed = [*ROUND_OPTIONS, *sorted(info.options)]
            raise _bad(
                name,
                f"method {info.name} has no such option; options: {', '.join(allowed)}",
                f"计票方法“{method_name(info.name, 'zh')}”没有这个参数，可用参数："
                + "、".join(f"“{option_name(o, 'zh')}”" for o in allowed),
            )
    seats = options.get("seats")
    if "seats" in options and (not isinstance(seats, int) or isinstance(seats, bool) or seats < 1):
        raise _bad(
            "seats",
            f"must be a whole number of at least 1, got {seats!r}",
            f"应为不小于 1 的整数，收到 {seats!r}",
        )
    tie_policy = options.get("tie_policy")
    if "tie_policy" in options and tie_policy not in TIE_POLICIES:
        raise _bad(
            "tie_policy",
            f"must be lot or refuse, got {tie_policy!r}",
            f"应为“{option_value('tie_policy', 'lot', 'zh')}”或"
            f"“{option_value('tie_policy', 'refuse', 'zh')}”",
        )
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
            choices_zh = "、".join(f"“{option_value(name, c, 'zh')}”" for c in spec.choices)
            raise Invalid(
                str(exc),
                code="invalid-option",
                zh=f"参数“{option_name(name, 'zh')}”的取值不对"
                + (f"，可选：{choices_zh}" if choices_zh else ""),
                field=f"options.{name}",
            ) from exc
    return RoundOptions.of(chosen)


def _budget(kind: str, value: Any) -> Any:
    if kind != "budget":
        raise _bad(
            "budget",
            f"a budget applies only to budget rounds, not {kind} rounds",
            "只有预算投票才设总预算",
        )
    if value is None:
        return None
    if not _is_number(value) or not math.isfinite(value) or value < 0:
        raise _bad(
            "budget",
            f"must be an amount in yuan of at least 0, got {value!r}",
            "应为不小于 0 的金额（元）",
        )
    exact = Decimal(repr(float(value))) * 100
    if exact != exact.to_integral_value():
        raise _bad(
            "budget", f"{value!r} yuan is not a whole number of fen", "金额最多精确到分（两位小数）"
        )
    return value


def check_rules(kind: str, rules: RoundRules) -> BallotSettings:
    """The ballot rules as stored, or 422 naming a rule that does not apply to ``kind``."""
    kind_zh = _KIND_ZH.get(kind, kind)
    if rules.allow_ties and kind != "ranked":
        raise Invalid(
            f"allow_ties applies only to ranked ballots, not {kind} ballots",
            zh=f"只有排序投票可以允许并列，{kind_zh}投票不行",
            field="rules.allow_ties",
        )
    if rules.max_approvals is not None and kind not in ("approval", "budget"):
        raise Invalid(
            f"max_approvals applies only to approval and budget ballots, not {kind} ballots",
            zh=f"最多赞成数只适用于赞成投票和预算投票，不适用于{kind_zh}投票",
            field="rules.max_approvals",
        )
    if rules.max_score is not None and kind != "score":
        raise Invalid(
            f"max_score applies only to score ballots, not {kind} ballots",
            zh=f"最高分只适用于打分投票，不适用于{kind_zh}投票",
            field="rules.max_score",
        )
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
