"""The tables. Secrecy is designed in: while a round votes its ballots are sealed envelopes
that say nothing without the server secret; at the close they become ballot rows carrying
their tracker, round and content only — no code, no device, no voter, no time — written all
at once in tracker order; a voter code row records whether it was used, never for which
ballot (docs/security.md has the threat model)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, validates

from engine.process import ProcessPhase, RoundPhase
from engine.validity import Validity
from service.db.base import Base, utcnow
from service.db.types import EnumText, StructJSON
from service.rounds.settings import BallotSettings, RoundOptions, SlateOption
from service.zones import DEFAULT_ZONE

ROLES = ("admin", "facilitator", "secretary", "grid_worker", "street")
"""Staff roles. Residents have no account: they act through one-time voter codes. The first
four work in a community; ``street`` is the street office's staff, who see the escalated
requests and the figures of their street's communities (:mod:`service.auth.scope`)."""


class User(Base):
    """A staff member who signs in."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    """Login name, unique."""
    display_name: Mapped[str] = mapped_column(String(120))
    """Name shown on pages and in the audit log."""
    role: Mapped[str] = mapped_column(String(20))
    """One of :data:`ROLES`."""
    password_hash: Mapped[str] = mapped_column(String(255))
    """scrypt hash with its parameters and salt (see :mod:`service.auth.passwords`)."""
    active: Mapped[bool] = mapped_column(default=True)
    """Inactive users cannot sign in and their tokens stop working."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    community_id: Mapped[int | None] = mapped_column(Integer, default=None)
    """The community a community role works in; ``None``: every community (an admin, or an
    installation with one community). Like the other references added to tables already in
    use (revision 0020), it has no foreign key in the database, because SQLite could not take
    one back on a downgrade; the service checks it on every write."""
    street_id: Mapped[int | None] = mapped_column(Integer, default=None)
    """The street a ``street`` account works for (required for that role)."""


class ApiToken(Base):
    """A bearer token (or the value of a session cookie) for one user."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    """SHA-256 of the token; the token itself is shown once and never stored."""
    label: Mapped[str] = mapped_column(String(120), default="")
    """What the token is for ("login", "tablet script" ...)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    """When it was issued: it lapses :data:`~service.auth.lifetimes.ABSOLUTE` later."""
    last_used_at: Mapped[datetime] = mapped_column(default=utcnow)
    """When it was last seen in use, written at most once a minute: it lapses
    :data:`~service.auth.lifetimes.IDLE` after this."""
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    """Set when the token was revoked: signed out, or the user's password, role or standing
    changed."""


class FailedSignIns(Base):
    """Failed sign-ins counted per account and per client address, and the lockout they
    earned (:mod:`service.auth.throttle`). In the database, so every app worker sees the
    same counts."""

    __tablename__ = "failed_sign_ins"
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    """``account`` (``name`` is the username typed, existing or not) or ``address``
    (``name`` is the client's network address)."""
    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    """Failures since the count last started over (a success, for an account, or a day
    without failures)."""
    last_failed_at: Mapped[datetime] = mapped_column(index=True)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    """Sign-ins for this account or from this address are refused until then."""


class Community(Base):
    """A residents' community (社区) served by a neighbourhood committee."""

    __tablename__ = "communities"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    """Name, e.g. 杜集社区."""
    time_zone: Mapped[str] = mapped_column(
        String(64), default=DEFAULT_ZONE, server_default=DEFAULT_ZONE
    )
    """IANA name of the zone its pages and records show times in (:mod:`service.zones`)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    street_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    """The street (街道) it belongs to, if one is set up (checked by the service, see
    :attr:`User.community_id`)."""


class Grid(Base):
    """A grid (网格) inside a community, walked by a grid worker."""

    __tablename__ = "grids"
    __table_args__ = (UniqueConstraint("community_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    """Name, e.g. 第三网格."""
    branch_id: Mapped[int | None] = mapped_column(Integer, default=None)
    """The grid party branch (网格党支部) that covers it (checked by the service)."""


class Process(Base):
    """An agenda item (议题) and its lifecycle 收集 → 协商 → 落实 → 反馈 → 销号."""

    __tablename__ = "processes"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    """Short title, e.g. 口袋公园建设方案."""
    question: Mapped[str] = mapped_column(Text, default="")
    """The question put to residents."""
    phase: Mapped[ProcessPhase] = mapped_column(
        EnumText(ProcessPhase, 20), default=ProcessPhase.COLLECTING
    )
    """Current phase."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deliberating_at: Mapped[datetime | None] = mapped_column(default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text, default=None)
    """Why the process was withdrawn (required to withdraw)."""

    @validates("phase")
    def _phase(self, _: str, value: str) -> ProcessPhase:
        return ProcessPhase(value)  # a phase set as its value is held as the member


class ResidentRequest(Base):
    """A resident's request (诉求) logged by a grid worker; may be promoted into a process."""

    __tablename__ = "requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"), default=None)
    body: Mapped[str] = mapped_column(Text)
    """What the resident asked for, in their words."""
    status: Mapped[str] = mapped_column(String(20), default="open")
    """``open``, ``promoted`` (into ``process_id``) or ``declined``."""
    process_id: Mapped[int | None] = mapped_column(ForeignKey("processes.id"), default=None)
    decline_reason: Mapped[str | None] = mapped_column(Text, default=None)
    """Why the request was declined (required to decline; told back to the resident)."""
    logged_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    """The grid worker who logged it."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # -- from the field to 销号 (issue 17; history in service.db.street.RequestEvent) --
    place: Mapped[str] = mapped_column(String(200), default="", server_default="")
    """Where, as the grid worker wrote it (3号楼东侧路口)."""
    category: Mapped[str] = mapped_column(String(20), default="other", server_default="other")
    """One of :data:`service.db.street.REQUEST_CATEGORIES`."""
    raised_by: Mapped[str] = mapped_column(String(120), default="", server_default="")
    """Who raised it, if they wished to be named (staff only; never on the board)."""
    stage: Mapped[str] = mapped_column(String(12), default="open", server_default="open")
    """Where it stands: one of :data:`service.db.street.REQUEST_STATES`."""
    meeting_id: Mapped[int | None] = mapped_column(Integer, default=None)
    """The bench meeting whose agenda it was put on (checked by the service)."""
    escalated_at: Mapped[datetime | None] = mapped_column(default=None)
    street_state: Mapped[str | None] = mapped_column(String(12), default=None)
    """At the street office: one of :data:`service.db.street.STREET_STATES`."""
    street_assignee: Mapped[str] = mapped_column(String(120), default="", server_default="")
    """The department or person the street assigned it to (城管科, 住建办 …)."""
    street_answer: Mapped[str] = mapped_column(Text, default="", server_default="")
    returned_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    """When it was closed (销号): its days open run from ``created_at`` to this."""
    close_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    satisfaction: Mapped[str | None] = mapped_column(String(20), default=None)
    """The resident's verdict when asked at the close (回访), one of
    :data:`service.db.street.VERDICTS`; ``None``: not asked or not given."""


class Proposal(Base):
    """An option (方案) under a process; amended, merged or withdrawn with its history kept."""

    __tablename__ = "proposals"
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    """The option's name as residents see it on the ballot."""
    description: Mapped[str] = mapped_column(Text, default="")
    cost_cents: Mapped[int | None] = mapped_column(BigInteger, default=None)
    """Estimated cost in fen (0.01 yuan), for budget rounds."""
    author: Mapped[str] = mapped_column(String(120), default="")
    """Who put it forward (a resident's name, or "on behalf of ...")."""
    status: Mapped[str] = mapped_column(String(20), default="active")
    """``active``, ``withdrawn`` or ``merged`` (into ``merged_into_id``)."""
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"), default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
    """Bumped on every amendment."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProposalEvent(Base):
    """One step in a proposal's history: created, amended, merged, withdrawn."""

    __tablename__ = "proposal_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict[str, Any]] = mapped_column()
    """Title, description and cost as they stood after this step."""
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Round(Base):
    """A deliberation round: slate, comment prompts, ballot rules and method; frozen when
    voting opens (``voting_at`` set), after which slate, method, options and roll are fixed."""

    __tablename__ = "rounds"
    __table_args__ = (UniqueConstraint("process_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    """1, 2, ... within the process."""
    title: Mapped[str] = mapped_column(String(200), default="")
    phase: Mapped[RoundPhase] = mapped_column(
        EnumText(RoundPhase, 20), default=RoundPhase.SCHEDULED
    )
    """Current phase."""
    ballot_kind: Mapped[str] = mapped_column(String(20), default="ranked")
    """``ranked``, ``approval``, ``score`` or ``budget``."""
    method: Mapped[str] = mapped_column(String(40), default="irv")
    """A method name from :mod:`engine.registry`."""
    options: Mapped[RoundOptions] = mapped_column(StructJSON(RoundOptions), default=RoundOptions)
    """Seats, tie policy, budget and the method's own options."""
    rules: Mapped[BallotSettings] = mapped_column(
        StructJSON(BallotSettings), default=BallotSettings
    )
    """Ballot rules beyond the slate (ties allowed, truncation, max approvals, max score)."""
    prompts: Mapped[list[Any]] = mapped_column(default=list)
    """Comment prompts, e.g. ["这个方案好在哪里", "您担心什么", "您想怎么改"]."""
    household_roll: Mapped[bool] = mapped_column(default=False)
    """One vote per household: codes are bound to roll entries."""
    proxy_limit: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    """Written authorisations one proxy may hold in the round (委托代投; at least 1, fixed
    when voting opens)."""
    roll_size: Mapped[int | None] = mapped_column(Integer, default=None)
    """Households on the community's roll (active) when voting opened: the base of a
    households quorum. ``None``: the community has no roll (or the round opened before it
    was kept); the base is then the round's own households."""
    open_receipts: Mapped[bool] = mapped_column(default=False, server_default=false())
    """Whether a receipt shows its ballot: looked up, the tracker shows what the ballot says,
    and the published list pairs each ballot with its tracker. Off (the default), a lookup
    only confirms the ballot was counted, and the trackers and the ballots are published as
    two lists nothing pairs (docs/security.md, "Receipts"). Rounds counted before this
    choice existed have it on: their lists were published with the pairs."""
    slate: Mapped[list[SlateOption] | None] = mapped_column(
        StructJSON(list[SlateOption]), default=None
    )
    """Frozen at voting: the options in ballot order."""
    seeded_from_round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"), default=None)
    """The published round whose top-k result gave this round its slate."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    commenting_at: Mapped[datetime | None] = mapped_column(default=None)
    voting_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(default=None)
    """When the round was cancelled, before its voting opened (``None``: it was not)."""
    cancel_reason: Mapped[str | None] = mapped_column(Text, default=None)
    """Why it was cancelled (required to cancel, and kept in the audit log as well)."""
    validity: Mapped[Validity | None] = mapped_column(StructJSON(Validity), default=None)
    """The community's rule for a valid decision (quorum, winner's share), set before voting
    opens and frozen with the round (``None``: no rule), see :mod:`engine.validity`."""
    phone_until: Mapped[datetime | None] = mapped_column(default=None)
    """Until when residents may vote from home by phone (UTC; ``None``: no phone voting).
    Phone ballots are taken only while the round is voting and before this time."""

    @validates("phase")
    def _phase(self, _: str, value: str) -> RoundPhase:
        return RoundPhase(value)  # a phase set as its value is held as the member


class RoundOption(Base):
    """A proposal on a round's slate (editable until voting opens)."""

    __tablename__ = "round_options"
    __table_args__ = (UniqueConstraint("round_id", "proposal_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"))
    position: Mapped[int] = mapped_column(Integer)
    """Order on the ballot."""


class Comment(Base):
    """A comment in a round's comment phase, with a stance; hidden (never deleted) with a
    reason kept."""

    __tablename__ = "comments"
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"), default=None)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"), default=None)
    """The comment this one replies to."""
    prompt: Mapped[int | None] = mapped_column(Integer, default=None)
    """Index of the round prompt it answers."""
    stance: Mapped[str] = mapped_column(String(20))
    """``support``, ``oppose``, ``neutral`` or ``question``."""
    body: Mapped[str] = mapped_column(Text)
    speaker: Mapped[str] = mapped_column(String(120), default="")
    """Name the speaker gave (may be empty); recorded by the facilitator on their behalf."""
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    hidden_reason: Mapped[str | None] = mapped_column(Text, default=None)
    hidden_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Household(Base):
    """An entry of a round's household roll (one vote per household)."""

    __tablename__ = "households"
    __table_args__ = (UniqueConstraint("round_id", "label"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    label: Mapped[str] = mapped_column(String(120))
    """Building and flat, e.g. 3栋2单元501."""
    voted: Mapped[bool] = mapped_column(default=False)
    """Set in the casting transaction; never linked to the ballot."""


class SlipBatch(Base):
    """Voter-code slips issued at once for a round, numbered within it. The codes are not
    stored: each is derived from the server's slip key, the round, :attr:`salt` and the
    slip's number (:mod:`service.voting.slip_codes`), so that the server can print an unused
    slip again while a copy of the database cannot read any code."""

    __tablename__ = "slip_batches"
    __table_args__ = (UniqueConstraint("round_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    """The batch's number in its round: 1, 2, 3 …"""
    first: Mapped[int] = mapped_column(Integer)
    """The number of its first slip; its slips are numbered ``first`` to ``first + count - 1``."""
    count: Mapped[int] = mapped_column(Integer)
    salt: Mapped[bytes] = mapped_column(LargeBinary(16))
    """16 random bytes: with the slip key and a slip's number, they make the slip's code."""
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    """The facilitator (or admin) who issued it."""
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    """When it was issued (when its codes were made, never when one was used)."""
    reprints: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Slips of it printed again after its printing window (shown to the whole meeting)."""


class VoterCode(Base):
    """A one-time code. Only its keyed hash is stored; it records that it was used, not
    when, and nothing links it to the ballot it cast."""

    __tablename__ = "voter_codes"
    __table_args__ = (Index("ix_voter_codes_round_id_number", "round_id", "number", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    """HMAC-SHA256 of the code under the server's secret key."""
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), default=None)
    status: Mapped[str] = mapped_column(String(12), default="issued")
    """``issued``, ``used`` or ``void``. A code whose paper ballot came back spoiled or
    blank is ``used`` with channel ``paper`` like a counted one (only
    :class:`PaperUncountedCount` counts those ballots)."""
    channel: Mapped[str | None] = mapped_column(String(8), default=None)
    """How a used code's ballot came (``paper``, ``phone``; ``None``: a tablet), see
    :mod:`service.voting.channels`."""
    void_reason: Mapped[str | None] = mapped_column(Text, default=None)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("slip_batches.id"), default=None)
    """The batch it was issued in (``None``: issued before slips were numbered)."""
    number: Mapped[int | None] = mapped_column(Integer, default=None)
    """Its slip's number in the round, printed on the slip (``None``: issued before slips
    were numbered; such a code cannot be printed again)."""


class Envelope(Base):
    """A ballot cast in a round that is still voting, sealed: its tracker and marks encrypted
    under the round's box key (see :mod:`service.voting.sealing`). Written in the casting
    transaction beside the code it used, so it must say nothing without the server secret;
    opened and written out as :class:`BoxPart` rows in tracker order when the round closes,
    then deleted. SQLite stores the table clustered on (round, nonce), with no row ids."""

    __tablename__ = "envelopes"
    __table_args__ = {"sqlite_with_rowid": False}
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), primary_key=True)
    nonce: Mapped[bytes] = mapped_column(LargeBinary(12), primary_key=True)
    """The random nonce it was sealed with (12 bytes)."""
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    """AES-256-GCM ciphertext and tag of the tracker (16 bytes) followed by the marks: the
    same length for every ballot of a round."""


class BoxPart(Base):
    """Part of a closed round's counted ballot box: up to 4,096 ballots in tracker order
    (:mod:`service.results.ballot_box`). A ballot is its tracker and its marks only — no
    code, no device, no voter, no time. With sealed receipts (the round's default) not even
    that: the trackers are in tracker order and the marks, separately, in the order of
    their content, so the i-th tracker and the i-th marks are not the same ballot's and
    nothing stored pairs a tracker with a ballot.

    Parts are written only when the round closes, all in one statement in tracker order,
    from the round's opened envelopes: nothing in the table or its storage (row versions,
    transaction ids, page layout) follows the order of casting. Clustered on (round, first
    tracker) in SQLite (``WITHOUT ROWID``).
    """

    __tablename__ = "box_parts"
    __table_args__ = {"sqlite_with_rowid": False}
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), primary_key=True)
    first_tracker: Mapped[str] = mapped_column(String(16), primary_key=True)
    """The first tracker of the part (the part holds the trackers from it up to the next
    part's first)."""
    count: Mapped[int] = mapped_column(Integer)
    """Ballots in the part."""
    trackers: Mapped[bytes] = mapped_column(LargeBinary)
    """Their trackers (random receipts, 16 Crockford base-32 characters each) joined, in
    order."""
    marks: Mapped[bytes] = mapped_column(LargeBinary)
    """Their marks (:mod:`ballots.marks`: one int16 per slate option each) joined, in the
    same order (open receipts) or in content order (sealed receipts): loaded straight into
    the engine's arrays when counting."""


class CastKey(Base):
    """Idempotency of casting: a retried request with the same key gets the same receipt.
    Everything in it is keyed with the server secret; deleted when the round closes, so
    nothing of it outlives the vote. Clustered on the key hash in SQLite (no row ids)."""

    __tablename__ = "cast_keys"
    __table_args__ = {"sqlite_with_rowid": False}
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    """HMAC of the round id and the client's idempotency key."""
    request_digest: Mapped[str] = mapped_column(String(64))
    """HMAC of the code and the ballot's marks, to refuse the same key with another ballot."""
    envelope_nonce: Mapped[bytes] = mapped_column(LargeBinary(12))
    """The nonce of the cast's envelope, whose tracker a retry is answered with."""
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)


class LateBallot(Base):
    """A ballot a tablet kept while it was offline and delivered afterwards, refused because
    its code had been used or voided meanwhile, or the round had stopped voting. Kept so the
    facilitator is told (never silently dropped); it holds why and from which tablet, never
    the ballot or the code, so nothing here says how anyone voted."""

    __tablename__ = "late_ballots"
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    """HMAC of the round id and the tablet's idempotency key: a resent refusal is one row."""
    tablet: Mapped[str] = mapped_column(String(32))
    """The enrolled tablet's random id (see :mod:`service.web.tablets`)."""
    reason: Mapped[str] = mapped_column(String(40))
    """The refusal's error code, e.g. ``code-used`` or ``round-not-open``."""
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)


class GuessBudget(Base):
    """How much of its guessing budget a device has spent (:mod:`service.voting.guesses`):
    one row per device that tried an unknown code lately, forgotten a day after its budget
    is full again. The device is a keyed hash: no address and no tablet id is stored."""

    __tablename__ = "guess_budgets"
    device: Mapped[str] = mapped_column(String(32), primary_key=True)
    """Keyed hash of the device (:func:`service.voting.devices.device_key`)."""
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    """The round of the device's latest unknown code (for the facilitator's alert)."""
    burst_full_at: Mapped[float]
    """Unix time when the burst bucket is full again."""
    day_full_at: Mapped[float]
    """Unix time when the day bucket is full again."""
    locked_until: Mapped[float] = mapped_column(index=True)
    """Unix time when the device's latest lockout ends (0: never locked out); read by every
    app worker."""


class CodeGuess(Base):
    """An unknown code tried in a round, and when: nothing else (no code, no device). Read
    for the facilitator's alert on unusual guessing; forgotten after a day."""

    __tablename__ = "code_guesses"
    __table_args__ = (Index("ix_code_guesses_round_id_guessed_at", "round_id", "guessed_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"))
    guessed_at: Mapped[float]
    """Unix time of the answer."""


class RoundResult(Base):
    """The count of a closed round: the engine's result and the ballot-box digest (and,
    for a round with sealed receipts, the digests of its two lists the box digest is made
    of, see :func:`ballots.digest.sealed_box_digest`)."""

    __tablename__ = "round_results"
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), primary_key=True)
    result: Mapped[bytes] = mapped_column(LargeBinary)
    """Canonical JSON of :class:`engine.result.Result`."""
    comparison: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    """Canonical JSON of :class:`engine.compare.Comparison`."""
    ballot_box_digest: Mapped[str] = mapped_column(String(64))
    """The digest the count's lot seed is (:func:`ballots.digest.lot_seed`)."""
    trackers_digest: Mapped[str | None] = mapped_column(String(64), default=None)
    """Sealed receipts: the digest of the sorted tracker list; ``None`` for open receipts."""
    contents_digest: Mapped[str | None] = mapped_column(String(64), default=None)
    """Sealed receipts: the digest of the distinct ballots and their counts; ``None`` for
    open receipts."""
    ballots: Mapped[int] = mapped_column(Integer)
    codes_issued: Mapped[int] = mapped_column(Integer)
    counted_at: Mapped[datetime] = mapped_column(default=utcnow)
    purged_at: Mapped[datetime | None] = mapped_column(default=None)
    """When storage was cleared of the round's voting after the count (its envelopes deleted
    and their traces removed, see :mod:`service.results.opening`); ``None`` until then, and
    the purge is tried again at every start."""


class AuditEvent(Base):
    """Append-only log of every state change: who did what to which thing."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    actor: Mapped[str] = mapped_column(String(120))
    """Display name at the time, or ``resident`` / ``system``."""
    action: Mapped[str] = mapped_column(String(60))
    """E.g. ``round.voting``, ``codes.issued``, ``proposal.withdrawn``."""
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer, default=None)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


# --- implementation loop (records) ---


class Task(Base):
    """An implementation task (落实任务) of a decided process: what is to be done, by whom,
    by when. Its history is its notes; the status and progress shown are the latest."""

    __tablename__ = "tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id"), index=True)
    """The process whose decision the task carries out."""
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"), default=None)
    """The decided option the task implements, if it is about one."""
    title: Mapped[str] = mapped_column(String(200))
    """What is to be done, e.g. 采购并安装滑梯和秋千."""
    description: Mapped[str] = mapped_column(Text, default="")
    """Details: scope, budget line, contractor."""
    owner: Mapped[str] = mapped_column(String(120))
    """Who answers for it: a person or a unit (社区居委会、物业公司 …)."""
    due_on: Mapped[date] = mapped_column()
    """The date it is due; after it an unfinished task is overdue."""
    status: Mapped[str] = mapped_column(String(20), default="planned")
    """``planned``, ``in_progress``, ``done`` or ``cancelled``."""
    progress: Mapped[int] = mapped_column(Integer, default=0)
    """Per cent done, 0–100 (100 once done)."""
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    """The secretary (or admin) who set the task."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(default=None)
    """When a note marked it done (cleared if it is taken up again)."""


class TaskNote(Base):
    """A progress note on a task, optionally changing its status and progress; photos may
    be attached. Notes are never edited or deleted."""

    __tablename__ = "task_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    """What was done or found, in the writer's words."""
    status: Mapped[str | None] = mapped_column(String(20), default=None)
    """The status this note set (``None``: unchanged)."""
    progress: Mapped[int | None] = mapped_column(Integer, default=None)
    """The progress this note set (``None``: unchanged)."""
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    author: Mapped[str] = mapped_column(String(120))
    """Display name of the writer at the time."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TaskPhoto(Base):
    """A photo attached to a task note (JPEG, PNG or WebP, checked by its first bytes)."""

    __tablename__ = "task_photos"
    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("task_notes.id"), index=True)
    content_type: Mapped[str] = mapped_column(String(40))
    """``image/jpeg``, ``image/png`` or ``image/webp``, from the file's magic bytes."""
    size: Mapped[int] = mapped_column(Integer)
    """Bytes (at most :data:`service.loop.photos.MAX_PHOTO_BYTES`)."""
    sha256: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the bytes, for integrity checks and caching."""
    filename: Mapped[str] = mapped_column(String(200), default="")
    """The uploaded file's name, as given (shown only, never used as a path)."""
    data: Mapped[bytes] = mapped_column(LargeBinary)
    """The image itself."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Feedback(Base):
    """Residents' feedback on the implemented decision (反馈): a satisfaction check taken at a
    later bench meeting (show of hands) or collected on the board, as counts."""

    __tablename__ = "feedback"
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    """``bench`` (at a bench meeting) or ``board`` (on the public board)."""
    held_on: Mapped[date] = mapped_column()
    """The day of the check."""
    satisfied: Mapped[int] = mapped_column(Integer, default=0)
    """Residents satisfied (满意)."""
    fairly_satisfied: Mapped[int] = mapped_column(Integer, default=0)
    """Residents fairly satisfied (基本满意)."""
    dissatisfied: Mapped[int] = mapped_column(Integer, default=0)
    """Residents dissatisfied (不满意)."""
    note: Mapped[str] = mapped_column(Text, default="")
    """What residents said: remarks, complaints, follow-ups asked for."""
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    from_residents: Mapped[bool] = mapped_column(default=False, server_default=false())
    """``True``: the running count of residents' own feedback given on the board page and
    approved by the secretary (:mod:`service.loop.residents`), kept up by approvals and never
    typed in; ``False``: a check the secretary recorded."""


class ResidentFeedback(Base):
    """One resident's feedback given on the public board (no account): the verdict, an
    optional short text and an optional household label, as typed — nothing else about the
    resident (no address, no device, no time of day). Pending until the secretary approves
    it (then its text shows on the board and its verdict is counted into the board's
    collection, ``feedback_id``) or rejects it with a reason (then it never shows)."""

    __tablename__ = "resident_feedback"
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id"), index=True)
    verdict: Mapped[str] = mapped_column(String(20))
    """``satisfied``, ``fairly_satisfied`` or ``dissatisfied``."""
    body: Mapped[str] = mapped_column(Text, default="")
    """What the resident wrote (may be empty)."""
    household: Mapped[str] = mapped_column(String(40), default="")
    """The household label the resident chose to give (门牌), for the secretary only."""
    given_on: Mapped[date] = mapped_column()
    """The day it was given, in the community's time zone."""
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    """``pending``, ``approved`` or ``rejected``."""
    reason: Mapped[str] = mapped_column(Text, default="")
    """Why it was rejected (for the secretary's page and the audit log, never public)."""
    moderated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    moderated_at: Mapped[datetime | None] = mapped_column(default=None)
    feedback_id: Mapped[int | None] = mapped_column(ForeignKey("feedback.id"), default=None)
    """The satisfaction check its verdict was counted into (set on approval)."""


class FeedbackThrottle(Base):
    """How many feedback forms each client address sent on the board in its current window
    (:mod:`service.loop.board_throttle`). The address is kept only as a keyed digest, and
    only while its window lasts."""

    __tablename__ = "feedback_throttle"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    """HMAC-SHA-256 of the client address under the server secret (hex)."""
    given: Mapped[int] = mapped_column(Integer)
    """Forms accepted from this address since ``window_from``."""
    window_from: Mapped[datetime] = mapped_column(index=True)


class CloseOut(Base):
    """A close-out (销号) of a process with the secretary's sign-off note, or its re-opening
    with a reason; the rows are the history, newest last."""

    __tablename__ = "close_outs"
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id"), index=True)
    action: Mapped[str] = mapped_column(String(12))
    """``closed`` or ``reopened``."""
    note: Mapped[str] = mapped_column(Text)
    """The sign-off note (closing) or the reason (re-opening)."""
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    actor: Mapped[str] = mapped_column(String(120))
    """Display name of the secretary at the time."""
    at: Mapped[datetime] = mapped_column(default=utcnow)


class AssistanceCount(Base):
    """How many residents of a round voted with help, per kind of helper (``chosen``: a
    person of their choice; ``staff``: two staff together). A count only: no time, no
    helper's name, no household and nothing about the ballot (docs/security.md)."""

    __tablename__ = "assistance_counts"
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    """``chosen`` or ``staff``."""
    count: Mapped[int] = mapped_column(Integer, default=0)


# --- community household roll and proxies (issue 16) ---


class CommunityHousehold(Base):
    """A household (户) on its community's roll, kept across rounds and processes: imported
    from the grid workers' CSV or added in the console, deactivated (never deleted) when it
    leaves. A household round can issue its codes from this roll."""

    __tablename__ = "community_households"
    __table_args__ = (UniqueConstraint("community_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    building: Mapped[str] = mapped_column(String(40))
    """Building as stored (:func:`service.text.household`), e.g. ``3号楼``."""
    unit: Mapped[str] = mapped_column(String(40), default="")
    """Unit (单元), e.g. ``2单元``; empty for a building without units."""
    flat: Mapped[str] = mapped_column(String(40))
    """Flat (户号/室), e.g. ``101``."""
    label: Mapped[str] = mapped_column(String(120))
    """The label rounds use: building, unit and flat together, e.g. ``3号楼2单元101``."""
    key: Mapped[str] = mapped_column(String(120))
    """:func:`service.text.household_key` of the label: one household per key."""
    head: Mapped[str] = mapped_column(String(120), default="")
    """Head of household (户主) as the grid worker wrote it; may be empty. Staff only."""
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"), default=None)
    """The community's grid the household is in, if known."""
    active: Mapped[bool] = mapped_column(default=True)
    """Whether the household is on the roll now (no codes are issued to inactive ones)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Proxy(Base):
    """A written authorisation (委托书) by which a household of a round lets another person
    vote for it: the holder votes with the grantor household's own code, so nothing joins a
    proxy to a ballot. Revoked, never deleted."""

    __tablename__ = "proxies"
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    grantor_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    """The round's household that authorises (its ``households`` row)."""
    holder_label: Mapped[str] = mapped_column(String(120), default="")
    """The holder's household label, if the holder lives in the community."""
    holder_name: Mapped[str] = mapped_column(String(120), default="")
    """The holder's name as written on the authorisation."""
    holder_key: Mapped[str] = mapped_column(String(120), index=True)
    """Who the holder is for the limit: the label's household key, else the name's likeness."""
    serial: Mapped[str] = mapped_column(String(80), default="")
    """The authorisation's serial number, if it has one."""
    photo: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    """A photo of the written authorisation, re-encoded without metadata (JPEG)."""
    photo_deleted_at: Mapped[datetime | None] = mapped_column(default=None)
    """When :attr:`photo` was deleted (the round was published): there was a photo, it is
    gone."""
    signed_on: Mapped[date] = mapped_column()
    """The date written on the authorisation."""
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    revoke_reason: Mapped[str | None] = mapped_column(Text, default=None)


# ---- paper ballots keyed twice (issue 16) ----


class PaperPrinting(Base):
    """Paper ballots printed for a round at once: their serials run ``first`` to ``first +
    count - 1`` and never repeat within the round (the next printing starts after the last)."""

    __tablename__ = "paper_printings"
    __table_args__ = (UniqueConstraint("round_id", "first"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    first: Mapped[int] = mapped_column(Integer)
    """The serial of its first ballot."""
    count: Mapped[int] = mapped_column(Integer)
    size: Mapped[str] = mapped_column(String(4))
    """``A4`` or ``A5``."""
    printed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    printed_at: Mapped[datetime] = mapped_column(default=utcnow)


class PaperSerial(Base):
    """What became of one paper ballot of a round, by its printed serial: being keyed,
    waiting for adjudication, or settled (cast, spoiled, blank, refused). Never its code,
    its marks or its tracker."""

    __tablename__ = "paper_serials"
    __table_args__ = (UniqueConstraint("round_id", "serial"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    serial: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(12))
    """``keying`` (one entry so far), ``mismatch`` (two entries differ), ``agreed`` (being
    cast), ``cast``, ``spoiled``, ``blank`` or ``refused`` (its code could not vote)."""
    reason: Mapped[str | None] = mapped_column(String(40), default=None)
    """Why a refused ballot was refused (``code-used``, ``code-void``, ``code-unknown``,
    ``household-voted``); ``code-unread`` for a spoiled or blank one whose code could not be
    read (it used up no code)."""
    adjudicated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    """Who decided between two differing entries (``None``: the clerks agreed)."""
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PaperKeying(Base):
    """One clerk's entry of one paper ballot, sealed (AES-256-GCM under a key derived from
    the server secret for paper entries of the round): it holds the code and the marks
    together, so it is deleted as soon as its ballot is settled."""

    __tablename__ = "paper_keyings"
    __table_args__ = (UniqueConstraint("round_id", "serial", "slot"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    serial: Mapped[int] = mapped_column(Integer)
    slot: Mapped[int] = mapped_column(Integer)
    """1 for the first clerk's entry, 2 for the second's."""
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    nonce: Mapped[bytes] = mapped_column(LargeBinary(12))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    """The sealed entry (serial, code as keyed, verdict, marks)."""


class PaperUncountedCount(Base):
    """How many paper ballots of a round came back spoiled or blank and used up their code:
    a count per round and verdict only. The code itself is marked ``used`` with channel
    ``paper`` like a counted paper ballot's and loses its slip number and batch, so no row
    says which household or slip returned a spoiled or blank ballot (docs/security.md)."""

    __tablename__ = "paper_uncounted_counts"
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), primary_key=True)
    verdict: Mapped[str] = mapped_column(String(8), primary_key=True)
    """``spoiled`` or ``blank``."""
    count: Mapped[int] = mapped_column(Integer, default=0)


# the bench meeting and the street (issue 17): their tables join the metadata from here
from service.db import street as _street  # noqa: E402, F401
