"""Request and response shapes for comments."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import Meta, Struct

from ballots.bundle import Stance
from service.inputs import LINE, PROSE, Input


class CommentCreate(Input, forbid_unknown_fields=True):
    """A comment recorded by the facilitator on a speaker's behalf.

    ``proposal_id`` (on the round's slate) says which option it is about, ``prompt`` which
    of the round's prompts it answers (index from 0), ``parent_id`` the comment it replies to.
    """

    stance: Stance
    body: Annotated[str, Meta(min_length=1, max_length=2000, extra=PROSE)]
    speaker: Annotated[str, Meta(max_length=120, extra=LINE)] = ""
    proposal_id: int | None = None
    prompt: Annotated[int, Meta(ge=0)] | None = None
    parent_id: int | None = None


class CommentHide(Input, forbid_unknown_fields=True):
    """Why the comment is hidden (kept with it, shown to staff)."""

    reason: Annotated[str, Meta(min_length=1, max_length=500, extra=PROSE)]


class Comment(Struct):
    """A comment as staff see it; hidden ones included, with who hid them and why.
    ``option`` is the name of the option it is about (``proposal_id``), null for a comment
    on the round as a whole. ``replies`` is filled in the threaded view and empty in the
    flat one."""

    id: int
    round_id: int
    proposal_id: int | None
    option: str | None
    parent_id: int | None
    prompt: int | None
    prompt_text: str | None
    stance: str
    body: str
    speaker: str
    recorded_by: str | None
    created_at: datetime
    hidden: bool
    hidden_reason: str | None
    hidden_by: str | None
    replies: list[Comment] = []


class StanceCounts(Struct):
    support: int = 0
    oppose: int = 0
    neutral: int = 0
    question: int = 0
    total: int = 0


class ProposalComments(Struct):
    """Visible comments about one option, or (``whole_round`` true, ``proposal_id`` null,
    ``name`` empty) about the round as a whole — general comments, always the last entry."""

    proposal_id: int | None
    name: str
    counts: StanceCounts
    whole_round: bool = False


class CommentSummary(Struct):
    """Counts by stance per option in slate order (an option commented on and then taken
    off the slate after them, under its own name), then the general comments; hidden
    comments are left out and only counted."""

    round_id: int
    visible: int
    hidden: int
    proposals: list[ProposalComments]
