"""The decision bundle: a sealed, machine-readable decision record (``redbench-decision``)
that anyone can verify and recount with nothing else at hand.

A bundle is one JSON object: the process, and per round the slate, the dates, the turnout,
the deliberation (comments by stance), the counting rules declared before voting, the
anonymous ballots, the ballot-box digest, the stored result and the method comparison. A
process's whole record (version 2) also holds ``loop``: what became of the decision — rounds
cancelled before voting, the tasks with their progress notes and the photos' digests, the
residents' feedback, the close-out and any re-opening. Its last member is the package
digest::

    {"format":"redbench-decision","version":2,"scope":"round","process":{…},
     "rounds":[{…,"ballots":{"trackers":[…],"trackers_digest":"…",
                            "contents":[{"count":3,"ballot":{…}}],"contents_digest":"…"},
                "result":{…}}],
     "digest":"<sha256>"}
    {"format":"redbench-decision","version":2,"scope":"process","process":{…},
     "rounds":[…],"loop":{"phase":…,"tasks":[…],"feedback":[…],"close_outs":[…]},
     "digest":"<sha256>"}

Version 2 adds ``loop`` and sealed receipts: a bundle with neither is written as version 1,
byte for byte as before, so every digest printed on an earlier record still verifies.

A round's ``ballots`` take one of two shapes, as its receipts:

- **sealed receipts** (an object, :class:`SealedBallots`): the sorted tracker list and the
  distinct ballots with their counts, two lists that nothing pairs, each with its digest;
- **open receipts** (an array of :class:`BallotEntry`): each ballot beside its tracker, in
  tracker order, with the SHA-256 of its ballot-box line — the only shape of version 1.

The version is the oldest that holds the bundle: 1 when every round has open receipts and
there is no loop (byte for byte what version 1 writers wrote), 2 when a round has sealed
receipts or the bundle holds the loop.

The file is the canonical encoding (compact JSON, UTF-8, keys of maps sorted, fields in the
order declared here), and ``digest`` is the SHA-256 of the canonical bytes of everything
else, i.e. of the file with its final ``,"digest":"…"`` member removed.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Annotated, Final, Literal, NamedTuple

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from ballots.digest import (
    ENCODER,
    ballot_box_digest,
    content_list_digest,
    line_hash,
    sealed_box_digest,
    tracker_list_digest,
)
from ballots.errors import FormatError
from ballots.kinds import Ballot, BallotRules
from engine.compare import Comparison
from engine.process import ProcessPhase
from engine.result import Option, Result, TieBreak
from engine.validity import Validity, Verdict

FORMAT: Final[str] = "redbench-decision"
VERSION: Final[int] = 2
"""The newest version this reader knows (see the module docstring for what each holds)."""
LOOP_VERSION: Final[int] = 2
"""The first version that may hold ``loop`` (a process's whole record)."""
VERSIONS: Final[tuple[int, ...]] = (1, 2)

Digest = Annotated[str, Meta(pattern="^[0-9a-f]{64}$")]
"""A SHA-256 digest in lowercase hexadecimal."""
Stance = Literal["support", "oppose", "neutral", "question"]
STANCES: Final[tuple[Stance, ...]] = ("support", "oppose", "neutral", "question")
TaskStatus = Literal["planned", "in_progress", "done", "cancelled"]
Channel = Literal["bench", "board"]
"""Where residents gave feedback: at a bench meeting, or on the public board."""
Percent = Annotated[int, Meta(ge=0, le=100)]
Count = Annotated[int, Meta(ge=0)]


class _Record(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base config of every part of a bundle: immutable, strict when read."""


class ProcessRecord(_Record, frozen=True, kw_only=True):
    """The agenda item (议题) the rounds belong to; ``id`` is ``None`` for imported files.
    (Its phase is left out: the record is sealed at the decision and the loop goes on.)"""

    id: int | None = None
    community: str = ""
    title: str
    question: str = ""
    created_at: datetime | None = None
    deliberating_at: datetime | None = None
    decided_at: datetime | None = None


class SlateEntry(_Record, frozen=True, kw_only=True):
    """One option on the ballot, in ballot order; ``cost`` in yuan for budget rounds."""

    name: str
    description: str = ""
    author: str = ""
    cost: float | None = None
    proposal_id: int | None = None


class RoundDates(_Record, frozen=True, kw_only=True):
    """When the round moved through its phases and was counted (UTC)."""

    created_at: datetime | None = None
    commenting_at: datetime | None = None
    voting_at: datetime | None = None
    closed_at: datetime | None = None
    published_at: datetime | None = None
    counted_at: datetime | None = None


class Turnout(_Record, frozen=True, kw_only=True):
    """Codes issued (not voided), voided and used, and ballots cast; the code figures are
    ``None`` for ballots imported from a file."""

    codes_issued: Annotated[int, Meta(ge=0)] | None = None
    codes_void: Annotated[int, Meta(ge=0)] | None = None
    codes_used: Annotated[int, Meta(ge=0)] | None = None
    ballots_cast: Annotated[int, Meta(ge=0)]
    # --- ballots by channel, reconciliation and assistance (issue 16); left out (unset) of
    # rounds counted before, so their records stay byte for byte the same ---
    tablet_ballots: Count | UnsetType = UNSET
    paper_ballots: Count | UnsetType = UNSET
    phone_ballots: Count | UnsetType = UNSET
    paper_spoiled: Count | UnsetType = UNSET
    paper_blank: Count | UnsetType = UNSET
    codes_unused: Count | UnsetType = UNSET
    reconciled: bool | UnsetType = UNSET
    """Whether codes issued = tablet + paper + phone + spoiled + blank + unused + void."""
    assisted_chosen: Count | UnsetType = UNSET
    assisted_staff: Count | UnsetType = UNSET
    proxies: Annotated[int, Meta(ge=0)] | UnsetType = UNSET
    """Household rounds only: written proxy authorisations in force (left out otherwise)."""
    proxy_votes: Annotated[int, Meta(ge=0)] | UnsetType = UNSET
    """Household rounds only: households that voted through a proxy (never linked to a
    ballot)."""


class StanceCounts(_Record, frozen=True, kw_only=True):
    """Visible comments by stance."""

    support: Annotated[int, Meta(ge=0)] = 0
    oppose: Annotated[int, Meta(ge=0)] = 0
    neutral: Annotated[int, Meta(ge=0)] = 0
    question: Annotated[int, Meta(ge=0)] = 0


class OptionComments(_Record, frozen=True, kw_only=True):
    """Comment counts about one option (``option`` ``None``: about the round as a whole)."""

    option: str | None
    counts: StanceCounts


class CommentRecord(_Record, frozen=True, kw_only=True):
    """A visible comment (hidden ones are only counted). Speakers' names are not published."""

    id: int
    parent_id: int | None = None
    option: str | None = None
    prompt: int | None = None
    stance: Stance
    body: str
    at: datetime | None = None


class Deliberation(_Record, frozen=True, kw_only=True):
    """The comment phase: the prompts, counts by stance per option, every visible comment,
    the ids of the notable ones and how many were hidden by a facilitator."""

    prompts: tuple[str, ...] = ()
    per_option: tuple[OptionComments, ...] = ()
    comments: tuple[CommentRecord, ...] = ()
    notable: tuple[int, ...] = ()
    hidden: Annotated[int, Meta(ge=0)] = 0


class Counting(_Record, frozen=True, kw_only=True):
    """How the round is counted, as declared before voting opened.

    ``tie_policy`` ``lot``: a tie the method's own rules leave open is drawn with the
    ballot-box digest as the seed; ``refuse``: no lot is drawn (such a tie stops the count).
    ``method_options`` are the method's own options (``seats`` and the budget are separate).
    """

    method: str
    seats: Annotated[int, Meta(ge=1)] = 1
    tie_policy: Literal["lot", "refuse"] = "lot"
    method_options: dict[str, Option] = {}
    tie_break: TieBreak | UnsetType = UNSET
    """The round's tie-break mode with its order and the facilitator's answers (left out for
    a round without one, so older bundles keep their bytes and digests)."""


class BallotEntry(_Record, frozen=True, kw_only=True):
    """One anonymous ballot: its tracker (receipt), the SHA-256 of its ballot-box line
    (:func:`ballots.digest.ballot_line`) and the ballot itself."""

    tracker: str
    hash: Digest
    ballot: Ballot


class CountedContent(_Record, frozen=True, kw_only=True):
    """One distinct ballot of a round with sealed receipts, and how many ballots say it."""

    count: Annotated[int, Meta(ge=1)]
    ballot: Ballot


class SealedBallots(_Record, frozen=True, kw_only=True):
    """The ballots of a round with sealed receipts, as two lists nothing pairs: every
    tracker (sorted), and every distinct ballot with its count (sorted by canonical bytes),
    each with its digest (:func:`ballots.digest.tracker_list_digest`,
    :func:`ballots.digest.content_list_digest`). The round's ballot-box digest is
    :func:`ballots.digest.sealed_box_digest` of the two."""

    trackers: tuple[str, ...]
    trackers_digest: Digest
    contents: tuple[CountedContent, ...]
    contents_digest: Digest


class BoxDigests(NamedTuple):
    """A round's ballot-box digest as recomputed from its published ballots and, with
    sealed receipts, the digests of its two lists it is made of."""

    box: str
    trackers: str | None = None
    contents: str | None = None


class RoundRecord(_Record, frozen=True, kw_only=True):
    """One counted round: everything needed to show, check and recount its decision.

    ``ballots`` is :class:`SealedBallots` for a round with sealed receipts, a tuple of
    :class:`BallotEntry` (in tracker order) for one with open receipts."""

    number: Annotated[int, Meta(ge=1)]
    title: str = ""
    counting: Counting
    rules: BallotRules
    slate: tuple[SlateEntry, ...]
    dates: RoundDates = RoundDates()
    turnout: Turnout
    deliberation: Deliberation = Deliberation()
    ballot_box_digest: Digest
    result: Result
    comparison: Comparison | None = None
    validity_rule: Validity | UnsetType = UNSET
    """The rule for a valid decision set before voting (issue 16; unset: none recorded)."""
    validity: Verdict | UnsetType = UNSET
    """Whether the decision is valid under ``validity_rule``, and why not."""
    ballots: tuple[BallotEntry, ...] | SealedBallots

    @property
    def open_receipts(self) -> bool:
        """Whether each ballot is published beside its tracker."""
        return not isinstance(self.ballots, SealedBallots)

    @property
    def ballot_count(self) -> int:
        """How many ballots the round lists."""
        if isinstance(self.ballots, SealedBallots):
            return sum(c.count for c in self.ballots.contents)
        return len(self.ballots)

    def box_digests(self) -> BoxDigests:
        """The ballot-box digest recomputed from the published ballots: from the two lists
        (sealed receipts, whose own digests come with it) or from the tracker and ballot
        pairs (open receipts). A tracker not in canonical form or listed twice, or a count
        below 1, raises :class:`~ballots.errors.InvalidReceipt`."""
        if isinstance(self.ballots, SealedBallots):
            trackers = tracker_list_digest(self.ballots.trackers)
            contents = content_list_digest((c.ballot, c.count) for c in self.ballots.contents)
            return BoxDigests(sealed_box_digest(trackers, contents), trackers, contents)
        return BoxDigests(ballot_box_digest((e.tracker, e.ballot) for e in self.ballots))

    def counted(self) -> list[tuple[Ballot, int]]:
        """Every listed ballot with how many ballots say it (one entry per ballot for open
        receipts, per distinct ballot for sealed ones)."""
        if isinstance(self.ballots, SealedBallots):
            return [(c.ballot, c.count) for c in self.ballots.contents]
        return [(e.ballot, 1) for e in self.ballots]


class CancelledRound(_Record, frozen=True, kw_only=True):
    """A round cancelled before its voting opened: it had no ballots and has no result."""

    number: Annotated[int, Meta(ge=1)]
    title: str = ""
    reason: str
    cancelled_at: datetime | None = None


class PhotoRecord(_Record, frozen=True, kw_only=True):
    """A photo of a progress note, named by the SHA-256 of its bytes (the image itself is
    not in the bundle: whoever holds the file can check it with ``sha256sum``)."""

    sha256: Digest
    filename: str = ""
    content_type: str
    size: Count


class NoteRecord(_Record, frozen=True, kw_only=True):
    """A progress note on a task, with the status and progress it set (``None``: left as
    they were) and its photos."""

    at: datetime | None = None
    author: str = ""
    body: str
    status: TaskStatus | None = None
    progress: Percent | None = None
    photos: tuple[PhotoRecord, ...] = ()


class TaskRecord(_Record, frozen=True, kw_only=True):
    """An implementation task (落实任务) as it stood: who answers for it, by when, how far
    it got, and its notes oldest first; ``option`` is the decided option it carries out."""

    title: str
    option: str | None = None
    owner: str
    due_on: date
    description: str = ""
    status: TaskStatus
    progress: Percent
    created_at: datetime | None = None
    done_at: datetime | None = None
    notes: tuple[NoteRecord, ...] = ()


class FeedbackRecord(_Record, frozen=True, kw_only=True):
    """A satisfaction check (反馈) of residents: at a bench meeting or on the board."""

    channel: Channel
    held_on: date
    satisfied: Count = 0
    fairly_satisfied: Count = 0
    dissatisfied: Count = 0
    note: str = ""


class CloseOutRecord(_Record, frozen=True, kw_only=True):
    """A close-out (销号) with the secretary's sign-off note, or a re-opening with its reason."""

    action: Literal["closed", "reopened"]
    note: str
    actor: str = ""
    at: datetime | None = None


class LoopRecord(_Record, frozen=True, kw_only=True):
    """What became of the decision when the record was made: the process's phase (and when
    it was closed), rounds cancelled before voting, the tasks, the feedback and the
    close-outs with any re-opening, each oldest first."""

    phase: ProcessPhase
    closed_at: datetime | None = None
    cancelled_rounds: tuple[CancelledRound, ...] = ()
    tasks: tuple[TaskRecord, ...] = ()
    feedback: tuple[FeedbackRecord, ...] = ()
    close_outs: tuple[CloseOutRecord, ...] = ()


class Package(_Record, frozen=True, kw_only=True):
    """Everything a bundle holds except its digest (what the digest is computed over).
    ``loop`` is left out of the file when unset; a package holding it is version 2."""

    format: str = FORMAT
    version: int = VERSION
    scope: Literal["round", "process"] = "round"
    process: ProcessRecord
    rounds: tuple[RoundRecord, ...]
    loop: LoopRecord | UnsetType = UNSET

    def __post_init__(self) -> None:
        if self.loop is not UNSET and self.version < LOOP_VERSION:
            raise ValueError(f"a bundle holding the loop is version {LOOP_VERSION} or later")


class Bundle(Package, frozen=True, kw_only=True):
    """A sealed package: :class:`Package` plus ``digest`` (SHA-256 of the package's bytes)."""

    digest: Digest


def entry(tracker: str, ballot: Ballot) -> BallotEntry:
    """The bundle entry of one ballot, with the hash of its ballot-box line."""
    return BallotEntry(
        tracker=tracker,
        hash=line_hash(tracker, ballot),
        ballot=ballot,
    )


def package_bytes(package: Package) -> bytes:
    """The canonical bytes of a package (a bundle's digest member left out)."""
    fields = {name: getattr(package, name) for name in Package.__struct_fields__}
    return ENCODER.encode(Package(**fields))


def package_digest(package: Package) -> str:
    """SHA-256 (lowercase hex) of :func:`package_bytes`."""
    return hashlib.sha256(package_bytes(package)).hexdigest()


def version_for(rounds: tuple[RoundRecord, ...], loop: LoopRecord | UnsetType = UNSET) -> int:
    """The oldest version that holds these rounds and this loop: 2 if a round has sealed
    receipts or the package holds the loop, else 1 (so bundles of rounds with open receipts
    keep the bytes a version 1 writer gave them)."""
    return 1 if loop is UNSET and all(r.open_receipts for r in rounds) else 2


def seal(package: Package) -> Bundle:
    """The package with its digest, under the version its rounds need (:func:`version_for`)."""
    fields = {name: getattr(package, name) for name in Package.__struct_fields__}
    fields["version"] = version_for(package.rounds, package.loop)
    return Bundle(**fields, digest=package_digest(Package(**fields)))


def encode(bundle: Bundle) -> bytes:
    """The bundle file: its canonical bytes (compact JSON, UTF-8, no trailing newline)."""
    return ENCODER.encode(bundle)


_DECODER: Final = msgspec.json.Decoder(Bundle)


def decode(data: bytes, name: str = "bundle") -> Bundle:
    """Read a bundle file strictly; a malformed one raises :class:`FormatError` naming the
    JSON path of the fault (``rounds[0].ballots[3].tracker: …``)."""
    try:
        bundle = _DECODER.decode(data)
    except msgspec.ValidationError as exc:
        text = str(exc)
        where = ""
        if " - at `$" in text:
            text, _, where = text.rpartition(" - at `$")
            where = where.rstrip("`").lstrip(".")
        raise FormatError(f"{name}: {where or '(top level)'}: {text}") from exc
    except msgspec.DecodeError as exc:
        raise FormatError(f"{name}: not a JSON document ({exc})") from exc
    if bundle.format != FORMAT:
        raise FormatError(f"{name}: format: expected {FORMAT!r}, got {bundle.format!r}")
    if bundle.version not in VERSIONS:
        raise FormatError(
            f"{name}: version: this reader knows versions 1 to {VERSION}, the file is "
            f"{bundle.version}"
        )
    if bundle.version < version_for(bundle.rounds):
        first = next(i for i, r in enumerate(bundle.rounds) if not r.open_receipts)
        raise FormatError(
            f"{name}: rounds[{first}].ballots: sealed receipts need version 2, the file says "
            f"version {bundle.version}"
        )
    return bundle
