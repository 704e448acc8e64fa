"""The HTML forms of the pages as Structs, and turning them into the API's request shapes.

Browsers send every field as text and a checkbox group as one value or several, so the
form Structs take text and :func:`many`, :func:`whole` and :func:`amount` read it, with
refusals that name the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Annotated, Any, TypeAlias, TypeVar

import msgspec
from litestar.enums import RequestEncodingType
from litestar.params import Body

from ballots.kinds import KINDS
from engine.errors import OptionError
from engine.registry import METHODS
from service.auth.guard import MAX_ID
from service.comments.schemas import CommentCreate
from service.errors import Invalid
from service.proposals.schemas import ProposalCreate
from service.records.labels import listed, option_value, plain_number
from service.refusals import field_words, validation_zh
from service.rounds.config import methods_for
from service.rounds.schemas import DEFAULT_PROMPTS, Round, RoundCreate, RoundUpdate
from service.rounds.settings import ROUND_OPTIONS, OptionValue
from service.text import blank
from service.voting.schemas import CodeVoid
from service.web.digits import whole_number
from service.web.round_setup import rule_fields

T = TypeVar("T")
Form: TypeAlias = Annotated[T, Body(media_type=RequestEncodingType.URL_ENCODED)]
"""A handler's ``data`` sent as an HTML form."""

Many: TypeAlias = list[str] | str
"""A field sent once, several times (a checkbox group), or not at all."""


def many(value: Many) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def whole(value: str, field: str, *, least: int = 0, most: int = 10**6) -> int | None:
    """A whole number typed in a form (``None`` when left blank)."""
    value = value.strip()
    if not value:
        return None
    number = whole_number(value, longest=len(str(most)))
    if number is None or not least <= number <= most:
        raise Invalid(
            "form-whole-number",
            field=field,
            what=partial(field_words, field),
            least=least,
            most=most,
            value=value if len(value) <= 20 else f"{value[:20]}…",
        )
    return number


def amount(value: str, field: str) -> Decimal | None:
    """An amount of yuan typed in a form (``None`` when left blank); commas allowed."""
    value = value.strip().replace(",", "").replace("，", "")
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or number < 0:
        raise Invalid("form-amount", field=field, what=partial(field_words, field), value=value)
    return number


def checked(data: Mapping[str, Any], shape: type[T]) -> T:
    """``data`` as the API's request ``shape``, its constraints checked (422 naming the
    field otherwise)."""
    try:
        return msgspec.convert(data, shape)
    except msgspec.ValidationError as exc:
        raise Invalid("form-invalid", message=str(exc), said=validation_zh(str(exc))) from exc


def kind_of_method(method: str) -> str:
    """The ballot kind a method counts (a budget method makes a budget round)."""
    for kind in KINDS:
        if method in methods_for(kind):
            return kind
    return "ranked"


class SignIn(msgspec.Struct):
    username: str = ""
    password: str = ""
    next: str = ""


class RoundChoice(msgspec.Struct):
    round_id: int


class ZoneForm(msgspec.Struct):
    time_zone: str = ""


class ProcessForm(msgspec.Struct):
    community_id: int
    title: str = ""
    question: str = ""


class ProposalForm(msgspec.Struct):
    title: str = ""
    description: str = ""
    cost: str = ""
    author: str = ""

    def to_create(self) -> ProposalCreate:
        if not self.title.strip():
            raise Invalid("option-title-required", field="title")
        return checked(
            {
                "title": self.title.strip(),
                "description": self.description.strip(),
                "cost": amount(self.cost, "cost"),
                "author": self.author.strip(),
            },
            ProposalCreate,
        )


class RoundForm(msgspec.Struct):
    """A new round: the method decides the ballot kind; the slate is the ticked options, in
    the order their places say (``places``: one ``<proposal id>:<place>`` per option)."""

    title: str = ""
    method: str = "irv"
    seats: str = "1"
    budget: str = ""
    tie_policy: str = "lot"
    tie_break: str = ""
    tie_order: str = ""
    proposal_ids: Many = []
    places: Many = []
    prompts: str = "\n".join(DEFAULT_PROMPTS)
    allow_truncation: str = ""
    household_roll: str = ""
    open_receipts: str = ""
    seed_round: str = ""
    seed_top: str = ""
    quorum: str = "none"
    quorum_share: str = "1/2"
    quorum_count: str = ""
    winner_share: str = ""

    def settings(self, sent: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The set-up the form says, in the API's shape, checked as far as a form can;
        ``sent`` is the whole form, for the chosen method's counting rules
        (:func:`counting_rules`)."""
        if not self.title.strip():
            raise Invalid("round-title-required", field="title")
        kind = kind_of_method(self.method)
        options: dict[str, str | int | float | bool | None] = {
            "seats": whole(self.seats, "seats", least=1, most=100) or 1,
            "tie_policy": self.tie_policy,
            **counting_rules(self.method, sent or {}),
        }
        if self.tie_break:  # the mode's order only with a mode: the default leaves both out
            options["tie_break"] = self.tie_break
            if self.tie_order.strip():
                options["tie_order"] = self.tie_order
        budget = amount(self.budget, "budget")
        if kind == "budget":
            options["budget"] = None if budget is None else float(budget)
        return {
            "title": self.title.strip(),
            "method": self.method,
            "ballot_kind": kind,
            "options": options,
            "rules": {"allow_truncation": kind != "ranked" or bool(self.allow_truncation)},
            "prompts": [line.strip() for line in self.prompts.splitlines() if not blank(line)],
            "household_roll": bool(self.household_roll),
            "open_receipts": bool(self.open_receipts),
            "validity": validity_fields(
                self.quorum, self.quorum_share, self.quorum_count, self.winner_share
            ),
        }

    def slate(self) -> list[int]:
        """The ticked options in ballot order: by the place chosen for each (an option
        without one after those with one), then in the order they were listed."""
        ids = [whole(value, "proposal_ids", most=MAX_ID) for value in many(self.proposal_ids)]
        place: dict[int, int] = {}
        for value in many(self.places):
            pid, _, at = value.partition(":")
            number = whole(at, "places", least=1, most=100)
            key = whole(pid, "places", most=MAX_ID)
            if key is not None and number is not None:
                place[key] = number
        ticked = [i for i in ids if i is not None]
        listed = {pid: n for n, pid in enumerate(ticked)}
        return sorted(ticked, key=lambda pid: (place.get(pid, 101), listed[pid]))

    def to_create(self, sent: Mapping[str, Any] | None = None) -> RoundCreate:
        fields = self.settings(sent)
        seed = whole(self.seed_round, "seed_round", least=1, most=MAX_ID)
        if seed is not None:  # the slate is the top k of a published round, not the ticks
            top = whole(self.seed_top, "seed_top", least=1, most=100)
            if top is None:
                raise Invalid("seed-top-required", field="seed_top")
            fields["seed_from"] = {"round_id": seed, "top": top}
        else:
            fields["proposal_ids"] = self.slate()
        return checked(fields, RoundCreate)


class RoundEditForm(RoundForm):
    """A round's set-up changed before voting opens: the fields of :class:`RoundForm`
    (without seeding: the slate is ticked and placed)."""

    def to_update(self, current: Round, sent: Mapping[str, Any] | None = None) -> RoundUpdate:
        """The change, keeping what the form does not show: the method's own options it
        does not ask while the method stays, and the ballot rules other than partial
        rankings while the ballot kind stays."""
        fields = self.settings(sent)
        if fields["method"] == current.method:
            asked = {r.name for r in rule_fields(current.method) if r.field in (sent or {})}
            own = {
                k: v
                for k, v in current.options.items()
                if k not in ROUND_OPTIONS and k not in asked
            }
            fields["options"] = {**own, **fields["options"]}
        if fields["ballot_kind"] == current.ballot_kind:
            fields["rules"] = {**msgspec.structs.asdict(current.rules), **fields["rules"]}
        fields["proposal_ids"] = self.slate()
        return checked(fields, RoundUpdate)


class CommentForm(msgspec.Struct):
    """A comment recorded on a speaker's behalf."""

    stance: str = "neutral"
    body: str = ""
    speaker: str = ""
    proposal_id: str = ""
    prompt: str = ""

    def to_create(self) -> CommentCreate:
        return checked(
            {
                "stance": self.stance,
                "body": self.body.strip(),
                "speaker": self.speaker.strip(),
                "proposal_id": whole(self.proposal_id, "proposal_id", least=1, most=2**31),
                "prompt": whole(self.prompt, "prompt", most=100),
            },
            CommentCreate,
        )


class HideForm(msgspec.Struct):
    reason: str = ""


class CancelForm(msgspec.Struct):
    """Why a round is cancelled."""

    reason: str = ""


class VoidForm(msgspec.Struct):
    """A code to void (a slip handed back, or given twice) and why."""

    code: str = ""
    reason: str = ""

    def checked(self) -> CodeVoid:
        if not self.code.strip():
            raise Invalid("code-required", field="code")
        if blank(self.reason):
            raise Invalid("void-reason-required", field="reason")
        return checked({"code": self.code.strip(), "reason": self.reason}, CodeVoid)


class PhaseForm(msgspec.Struct):
    to: str


class ReceiptsForm(msgspec.Struct):
    """Open or seal a round's receipts before voting opens (``open_receipts`` ticked: "1")."""

    open_receipts: str = ""

    def to_update(self) -> RoundUpdate:
        return RoundUpdate(open_receipts=bool(self.open_receipts))


class AssistanceForm(msgspec.Struct):
    """One assisted vote from the round page: ``kind`` ``chosen`` or ``staff``."""

    kind: str = ""


SHARES = ("1/2", ">1/2", "2/3", "1/3", "3/4")
"""The shares the set-up form offers (a quorum's, a winner's), as ``numerator/denominator``,
``>`` first for a strict share (``>1/2``: 过半数, more than half). Besides these it offers
a round's current share, whatever the API set (``console/validity_fields.html``), so saving
the form keeps it."""
QUORUMS = ("none", "households", "codes", "count")
SHARE_TYPED = re.compile(r"(>?)([1-9][0-9]{0,2})/([1-9][0-9]{0,2})")


def _share(value: str, field: str) -> dict[str, Any]:
    """A share as the form sends it (``2/3``, ``>1/2``, or a round's current one like
    ``3/5``), in the API's shape; 422 unless it is a share the API would take."""
    typed = SHARE_TYPED.fullmatch(value.strip())
    if typed is None:
        raise Invalid("validity-share", field=field)
    strict, top, bottom = typed.group(1) == ">", int(typed.group(2)), int(typed.group(3))
    if bottom > 100 or top > bottom or (strict and top == bottom):
        raise Invalid("validity-share", field=field)
    share: dict[str, Any] = {"numerator": top, "denominator": bottom}
    if strict:
        share["strict"] = True
    return share


def validity_fields(quorum: str, share: str, count: str, winner: str) -> dict[str, Any]:
    """The rule for a valid decision the set-up form says, in the API's shape."""
    if quorum not in QUORUMS:
        raise Invalid("validity-share", field="quorum")
    rule: dict[str, Any] = {"quorum": quorum}
    if quorum in ("households", "codes"):
        rule["quorum_share"] = _share(share, "quorum_share")
    if quorum == "count":
        rule["quorum_count"] = whole(count, "quorum_count", least=1, most=1_000_000) or 1
    if winner:
        rule["winner_share"] = _share(winner, "winner_share")
    return rule


def _rule_number(typed: str, field: str, name: str) -> int | float:
    """A number typed for a counting rule: whole or with decimals (422 naming it)."""
    number = typed.strip().replace("，", ",").replace(",", "")
    try:
        value = Decimal(number)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        shown = typed if len(typed) <= 20 else f"{typed[:20]}…"
        raise Invalid("form-rule-number", field=field, name=name, value=shown)
    return int(value) if value == value.to_integral_value() else float(value)


def counting_rules(method: str, sent: Mapping[str, Any]) -> dict[str, OptionValue]:
    """The counting rules (the method's own options) the set-up form sends for ``method``,
    typed as the API takes them: a choice as its name, yes/no as ``true``/``false``, a
    number as a number. A rule not sent, or a number left blank, is left out: the round
    gets the method's default (:meth:`RoundEditForm.to_update` keeps a stored value only
    for a rule the form did not send at all). A value the rule does not take is refused
    (422) naming the rule and its field, in the API's words."""
    if method not in METHODS:
        return {}
    chosen: dict[str, OptionValue] = {}
    for rule in rule_fields(method):
        value = sent.get(rule.field)
        if not isinstance(value, str):
            continue
        spec = METHODS[method].options[rule.name]
        given: OptionValue
        if rule.number and not value.strip():
            continue  # left blank: the method's default (which may be "none")
        if rule.number:
            given = _rule_number(value, rule.field, rule.name)
        elif rule.values == ("true", "false") and value in rule.values:
            given = value == "true"
        else:
            given = value
        try:
            chosen[rule.name] = spec.check(rule.name, given)
        except OptionError as exc:
            raise Invalid(
                "form-rule-least" if rule.number else "invalid-option-choices",
                field=rule.field,
                name=rule.name,
                sentence=str(exc),
                least="" if spec.minimum is None else plain_number(spec.minimum),
                value=value,
                choices=partial(_said_choices, rule.name, rule.values),
            ) from exc
    return chosen


def _said_choices(name: str, values: tuple[str, ...], lang: str) -> str:
    return listed(lang, (f"“{option_value(name, v, lang)}”" for v in values))
