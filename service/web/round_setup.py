"""What the round set-up form shows: the options that may go on the slate, each with its
place on the ballot, each method's own counting rules (计票规则) as choices, and (to change
a round before voting opens) the round's current settings, so the form opens filled in with
what is stored. The fields themselves are the template ``console/round_fields.html``,
shared with the form that creates a round."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.registry import METHODS, OptionSpec
from engine.validity import Share, Validity
from service.db.models import Proposal, Round
from service.i18n import catalogue
from service.rounds.settings import OptionValue, SlateOption
from service.rounds.titles import own_name


@dataclass(frozen=True, slots=True)
class SlateChoice:
    """An option the form offers for the slate: ticked when ``on_slate``, at ``place``."""

    id: int
    title: str
    on_slate: bool
    place: int


def new_slate(proposals: Sequence[Proposal]) -> list[SlateChoice]:
    """A new round's slate: every active option, ticked, in the order they were added."""
    active = [p for p in proposals if p.status == "active"]
    return [SlateChoice(p.id, p.title, True, n) for n, p in enumerate(active, start=1)]


def slate_choices(slate: Sequence[SlateOption], proposals: Sequence[Proposal]) -> list[SlateChoice]:
    """A round's slate as it stands, ticked and in ballot order, then the other active
    options of its process, unticked, after them."""
    on = [SlateChoice(o.proposal_id, o.name, True, n) for n, o in enumerate(slate, start=1)]
    taken = {o.proposal_id for o in slate}
    off = [p for p in proposals if p.status == "active" and p.id not in taken]
    return on + [SlateChoice(p.id, p.title, False, len(on) + n) for n, p in enumerate(off, 1)]


def current_values(round_row: Round) -> dict[str, Any]:
    """The round's settings as the form's fields show them; its name without the round's
    own number ("第一轮：设施排序" shows 设施排序: the page says 第1轮 once, and saving it
    keeps the same title on every page)."""
    return {
        "title": own_name(round_row.number, round_row.title) or round_row.title,
        "method": round_row.method,
        "seats": round_row.options.seats,
        "budget": yuan_typed(round_row.options.budget),
        "tie_policy": round_row.options.tie_policy,
        "tie_break": round_row.options.tie_break or "",
        "tie_order": "\n".join(round_row.options.tie_order),
        "allow_truncation": round_row.rules.allow_truncation,
        "household_roll": round_row.household_roll,
        "open_receipts": round_row.open_receipts,
        "prompts": "\n".join(round_row.prompts),
        "rules": rule_values(round_row.method, round_row.options.own),
        **validity_values(round_row.validity or Validity()),
    }


def _typed(share: Share | None) -> str:
    """A share as the form's selects name it: ``2/3``, or ``>1/2`` for a strict one."""
    if share is None:
        return ""
    return (">" if share.strict else "") + f"{share.numerator}/{share.denominator}"


def validity_values(rule: Validity) -> dict[str, Any]:
    """The rule for a valid decision as the set-up form's fields show it."""
    return {
        "quorum": rule.quorum,
        "quorum_share": _typed(rule.quorum_share),
        "quorum_count": rule.quorum_count if rule.quorum == "count" else "",
        "winner_share": _typed(rule.winner_share),
    }


def yuan_typed(amount: float | None) -> str:
    """An amount of yuan as one would type it (``150000``, ``1234.5``; blank for none)."""
    if amount is None:
        return ""
    return str(int(amount)) if float(amount).is_integer() else str(amount)


@dataclass(frozen=True, slots=True)
class RuleField:
    """One counting rule of a method as the set-up form asks it: the option ``name`` (its
    words are ``option.<name>`` and ``option.<name>.help`` in the catalogue), the form
    field ``field`` it is sent as, and either the ``values`` to choose from (as the form
    sends them; a yes/no option's are ``true`` and ``false``) or, for a number, none and
    the ``minimum`` it may be."""

    method: str
    name: str
    field: str
    values: tuple[str, ...]
    default: str
    minimum: float | None = None

    @property
    def number(self) -> bool:
        return not self.values

    @property
    def choices(self) -> tuple[tuple[str, OptionValue], ...]:
        """Each value as the form sends it and as the option means it (``"true"``, ``True``)."""
        yes_no = self.values == ("true", "false")
        return tuple((v, v == "true" if yes_no else v) for v in self.values)


def rule_field_name(method: str, name: str) -> str:
    """The form field of a method's option: ``rule_irv_batch``, ``rule_equal_shares_completion``
    (one name, letters and underscores, so a refusal can point at it)."""
    return f"rule_{method.replace('-', '_')}_{name}"


def typed(value: OptionValue) -> str:
    """An option's value as the form sends it: ``true``/``false``, a number as typed, text
    as it is; ``""`` for none."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _values(spec: OptionSpec) -> tuple[str, ...]:
    if spec.choices:
        return spec.choices
    if isinstance(spec.default, bool):
        return ("true", "false")
    return ()


def rule_fields(method: str) -> tuple[RuleField, ...]:
    """The counting rules the set-up form offers for ``method``: each of its options the
    catalogue words (``option.<name>``), in the order the method lists them. An option
    without words is not asked; a round gets its default (an option added to a method
    appears here once its words are in ``locale/fields.toml``). An option naming a candidate
    (``write_in``, the undeclared write-ins of an election office's record) is not asked
    either: a round's own ballots hold no write-ins."""
    words = catalogue()
    return tuple(
        RuleField(
            method=method,
            name=name,
            field=rule_field_name(method, name),
            values=_values(spec),
            default=typed(spec.default),
            minimum=spec.minimum,
        )
        for name, spec in METHODS[method].options.items()
        if f"option.{name}" in words and not spec.names_candidate
    )


def rule_values(method: str | None, own: Mapping[str, OptionValue]) -> dict[str, str]:
    """What the set-up form's counting rules show for a round of ``method`` whose own
    options are ``own``: by form field, its stored values (the other methods' rules show
    their defaults)."""
    if method not in METHODS:
        return {}
    return {rule.field: typed(own[rule.name]) for rule in rule_fields(method) if rule.name in own}
