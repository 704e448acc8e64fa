"""The decision bundle: a sealed, machine-readable decision record (``redbench-decision``)
that anyone can verify and recount with nothing else at hand.

A bundle is one JSON object: the process, and per round the slate, the dates, the turnout,
the deliberation (comments by stance), the counting rules declared before voting, the
anonymous ballots in tracker order (each with the SHA-256 of its ballot-box line), the
ballot-box digest, the stored result and the method comparison. A process's whole record
(version 2) also holds ``loop``: what became of the decision — rounds cancelled before
voting, the tasks with their progress notes and the photos' digests, the residents'
feedback, the close-out and any re-opening. Its last member is the package digest::

    {"format":"redbench-decision","version":1,"scope":"round","process":{…},
     "rounds":[{…,"ballots":[{"tracker":"…","hash":"…","ballot":{…}}],"result":{…}}],
     "digest":"<sha256>"}
    {"format":"redbench-decision","version":2,"scope":"process","process":{…},
     "rounds":[…],"loop":{"phase":…,"tasks":[…],"feedback":[…],"close_outs":[…]},
     "digest":"<sha256>"}

Version 2 only adds ``loop``: a bundle without it is written as version 1, byte for byte
as before, so every digest printed on an earlier record still verifies.

The file is the canonical encoding (compact JSON, UTF-8, keys of maps sorted, fields in the
order declared here), and ``digest`` is the SHA-256 of the canonical bytes of everything
else, i.e. of the file with its final ``,"digest":"…"`` member removed.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Annotated, Final, Literal

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from ballots.digest import ENCODER, ballot_line
from ballots.errors import FormatError
from ballots.kinds import Ballot, BallotRules
from engine.compare import Comparison
from engine.result import Option, Result

FORMAT: Final[str] = "redbench-decision"
VERSION: Final[int] = 1
"""The version of a bundle without ``loop`` (every round's bundle)."""
LOOP_VERSION: Final[int] = 2
"""The version of a bundle holding ``loop`` (a process's whole record)."""
VERSIONS: Final[tuple[int, ...]] = (VERSION, LOOP_VERSION)

Digest = Annotated[str, Meta(pattern="^[0-9a-f]{64}$")]
"""A SHA-256 digest in lowercase hexadecimal."""
Stance = Literal["support", "oppose", "neutral", "question"]
STANCES: Final[tuple[Stance, ...]] = ("support", "oppose", "neutral", "question")
ProcessPhase = Literal[
    "collecting", "deliberating", "decided", "implementing", "feedback", "closed", "withdrawn"
]
TaskStatus = Literal["planned", "in_progress", "done", "cancelled"]
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


class BallotEntry(_Record, frozen=True, kw_only=True):
    """One anonymous ballot: its tracker (receipt), the SHA-256 of its ballot-box line
    (:func:`ballots.digest.ballot_line`) and the ballot itself."""

    tracker: str
    hash: Digest
    ballot: Ballot


class RoundRecord(_Record, frozen=True, kw_only=True):
    """One counted round: everything needed to show, check and recount its decision."""

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
    ballots: tuple[BallotEntry, ...]


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

    channel: Literal["bench", "board"]
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
        hash=hashlib.sha256(ballot_line(tracker, ballot)).hexdigest(),
        ballot=ballot,
    )


def package_bytes(package: Package) -> bytes:
    """The canonical bytes of a package (a bundle's digest member left out)."""
    fields = {name: getattr(package, name) for name in Package.__struct_fields__}
    return ENCODER.encode(Package(**fields))


def package_digest(package: Package) -> str:
    """SHA-256 (lowercase hex) of :func:`package_bytes`."""
    return hashlib.sha256(package_bytes(package)).hexdigest()


def seal(package: Package) -> Bundle:
    """The package with its digest."""
    fields = {name: getattr(package, name) for name in Package.__struct_fields__}
    return Bundle(**fields, digest=package_digest(package))


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
        known = " and ".join(str(v) for v in VERSIONS)
        raise FormatError(
            f"{name}: version: this reader knows versions {known}, the file is {bundle.version}"
        )
    return bundle


def version_for(loop: LoopRecord | UnsetType) -> int:
    """The version a package is written as: 2 when it holds the loop, else 1."""
    return VERSION if loop is UNSET else LOOP_VERSION
