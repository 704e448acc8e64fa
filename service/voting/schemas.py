"""Request and response shapes for voter codes, casting and turnout."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

from ballots.kinds import Ballot
from engine.validity import Quorum
from service.inputs import HOUSEHOLD, LINE, PROSE, Input
from service.voting.roll import refuse_clashes

NO_QUORUM = Quorum(kind="none", present=0, required=0, reached=True, missing=0)
"""The quorum of a round without one."""

Household = Annotated[str, Meta(min_length=1, max_length=120, extra=HOUSEHOLD)]
RollChoice = Annotated[str, Meta(min_length=1, max_length=120, extra=LINE)]
CodeText = Annotated[str, Meta(min_length=1, max_length=40)]
IdempotencyKey = Annotated[str, Meta(min_length=16, max_length=64, pattern=r"^[\x21-\x7e]+$")]


class CodesCreate(Input, forbid_unknown_fields=True):
    """Issue ``count`` codes, or one code for each household of a household roll (labels
    that are one household once dashes, digits, case and spaces are set aside are refused:
    ``1-101`` and ``1－101`` cannot both be on a roll). Households that hold a live code or
    look like another household are issued only with ``confirm`` (else 409
    ``codes-unconfirmed``, listing them); households that have voted never get a code."""

    count: Annotated[int, Meta(ge=1, le=5000)] | None = None
    households: Annotated[list[Household], Meta(min_length=1, max_length=5000)] | None = None
    confirm: Annotated[
        bool,
        Meta(
            description="issue even to households that hold a live code or look like "
            "another household (the `warnings` of a refused request)"
        ),
    ] = False

    from_roll: Annotated[
        bool,
        Meta(
            description="a household round: one code for each active household of the "
            "community's roll that holds no live code and has not voted (of `buildings` or "
            "`grids` only, when given) instead of `count` or `households`"
        ),
    ] = False
    buildings: Annotated[list[RollChoice], Meta(max_length=200)] | None = None
    grids: Annotated[list[RollChoice], Meta(max_length=200)] | None = None

    def __post_init__(self) -> None:
        typed = list(self.households or ())
        super().__post_init__()
        refuse_clashes(enumerate(typed, start=1))


class IssuedCode(Struct):
    """A code in plaintext, the household it is bound to, if any, and its slip's number in
    the round (printed on the slip; the number voids the slip if it is lost)."""

    code: str
    household: str | None = None
    number: int | None = None


class HouseholdWarning(Struct):
    """A household rule told before codes are made. ``kind``: ``voted`` (has voted: gets no
    code), ``live`` (holds an unused code: a second one needs ``confirm``), ``look-alike``
    (the same numbers written another way, in the list or on the roll: needs ``confirm``)
    or ``duplicate`` (one household twice in the list). ``lines`` are 1-based positions in
    ``households`` (empty for a household on the roll only); ``households`` the labels."""

    kind: str
    lines: list[int]
    households: list[str]


class CodesIssued(Struct):
    """The new codes, numbered as batch ``batch`` of the round. ``skipped`` lists households
    that have voted and got no new code; ``warnings`` every household rule the request met
    (those needing ``confirm`` were confirmed)."""

    round_id: int
    codes: list[IssuedCode]
    skipped: list[str]
    batch: int | None = None
    warnings: list[HouseholdWarning] = []


class CodeVoid(Input, forbid_unknown_fields=True):
    code: CodeText
    reason: Annotated[str, Meta(min_length=1, max_length=500, extra=PROSE)]


class CodeVoided(Struct):
    round_id: int
    voided: bool
    reason: str


class Guessing(Struct):
    """Unknown codes tried in the round lately, to tell the facilitator about unusual
    guessing (:mod:`service.voting.guess_alert`). The descriptions are the OpenAPI
    document's."""

    unusual: Annotated[
        bool,
        Meta(
            description="unknown_codes reached threshold, or a device ran out of guesses: "
            "the round page warns the facilitator"
        ),
    ]
    unknown_codes: Annotated[
        int, Meta(description="unknown codes tried in the round in the last `minutes`")
    ]
    threshold: Annotated[
        int,
        Meta(
            description="unknown codes in `minutes` that residents' typing mistakes would not "
            "explain: 20, or one per five codes issued if more"
        ),
    ]
    devices_locked: Annotated[
        int,
        Meta(
            description="devices that ran out of guesses in the last `minutes` (their latest "
            "unknown code was in this round), those still waiting included"
        ),
    ]
    minutes: Annotated[int, Meta(description="the window the counts cover")]


class Turnout(Struct):
    """How many codes were issued, voided and used, and how many ballots were cast."""

    round_id: int
    phase: str
    codes_issued: int
    codes_void: int
    codes_used: int
    codes_unused: int
    ballots_cast: int
    households: int
    households_voted: int
    guessing: Annotated[
        Guessing,
        Meta(
            description="unknown codes tried lately, devices out of guesses, and whether "
            "that is unusual"
        ),
    ]
    late_ballots: int = 0
    """Ballots tablets kept while offline and delivered too late to count (see
    ``GET /api/v1/rounds/{round_id}/late-ballots`` for why)."""
    slips_reprinted: int = 0
    """Slips printed again after their batch's printing window (``重印 N 张``)."""
    tablet_ballots: int = 0
    paper_ballots: int = 0
    """Paper ballots keyed by two clerks and cast into the box."""
    phone_ballots: int = 0
    paper_spoiled: int = 0
    """Paper ballots that came back spoiled: their codes are used up, nothing counted."""
    paper_blank: int = 0
    reconciled: bool = True
    """Whether codes issued = tablet + paper + phone ballots + spoiled + blank paper +
    unused + void, with tablet + paper + phone = the ballots in the box, paper = the paper
    serials cast and spoiled + blank = the serials settled so (figures kept apart from the
    codes, :mod:`service.voting.channels`): false when stored codes, ballots or counts were
    altered."""
    # --- quorum and assisted voting (issue 16) ---
    quorum: Annotated[
        Quorum,
        Meta(
            description="turnout against the round's quorum: `present` of `required` "
            "(`kind`: none, households, codes or count; `missing`: how many more are needed)"
        ),
    ] = NO_QUORUM
    assisted_chosen: int = 0
    """Residents who voted helped by a person of their choice."""
    assisted_staff: int = 0
    """Residents who voted helped by two staff together."""
    proxies: int = 0
    """Written proxy authorisations in force (委托代投 授权 M 份), revoked ones left out."""
    proxy_votes: int = 0
    """Households that voted through a proxy (委托代投 N 户): authorisations whose grantor
    household has voted; never linked to a ballot."""
    roll_size: int | None = None
    """Households on the community's roll when voting opened, the base of a households
    quorum; ``None`` when the community keeps no roll (the base is then the round's own
    households) or voting has not opened."""


Padding = Annotated[str, Meta(max_length=65536, pattern=r"^ *$")]


class CastRequest(Struct, forbid_unknown_fields=True):
    """A ballot cast with a one-time code; ``key`` is the tablet's idempotency key for this
    submission (the same key on a retry returns the same receipt). ``pad`` (spaces, ignored)
    lets a client send every ballot of a round at one length, so that the size of an
    encrypted request does not tell an onlooker on the network how much a resident marked
    (the ballot tablets do: :func:`service.voting.padding.padded_size`)."""

    code: CodeText
    key: IdempotencyKey
    ballot: Ballot
    pad: Padding = ""


class Receipt(Struct):
    """The receipt: the tracker to find the ballot in the published list later, its short
    form to write down, and whether this answer repeats an earlier one (a retry)."""

    round_id: int
    tracker: str
    short: str
    grouped: str
    replayed: bool = False
