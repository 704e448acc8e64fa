"""Casting one ballot, before the writer: checking it against the round's frozen slate and
rules and encoding it as a :class:`CastJob` (the writer stores it, see
:mod:`service.voting.batch`), and the receipt and refusals a cast may get."""

from __future__ import annotations

from dataclasses import dataclass

from ballots.digest import grouped_tracker, short_tracker
from ballots.kinds import BallotRules
from ballots.marks import marks_of
from ballots.validate import validate
from service.db.models import Round
from service.errors import Conflict, NotFound
from service.rounds.settings import ballot_rules
from service.voting.channels import Channel
from service.voting.codes import code_hash, normalize_code, unknown_code
from service.voting.schemas import CastRequest, Receipt
from service.voting.sealing import RoundSeal, keyed_digest


@dataclass(frozen=True, slots=True)
class RoundSpec:
    """What casting needs to know of a voting round (frozen when voting opened)."""

    round_id: int
    rules: BallotRules
    seal: RoundSeal


@dataclass(frozen=True, slots=True)
class CastJob:
    """One checked, encoded ballot waiting for the writer. No plaintext code in it, and
    nothing of it is stored unsealed or unkeyed."""

    round_id: int
    code_hash: str
    key_hash: str
    """:func:`cast_key_hash` of the client's idempotency key."""
    request_digest: str
    """Keyed digest of the code and the marks (the same key with another ballot or code is
    refused)."""
    marks: bytes
    seal: RoundSeal
    channel: Channel = "tablet"
    """How the ballot came: typed on a tablet, keyed from paper by the clerks, or cast on a
    resident's own phone (counted per channel on the codes, never on the ballot)."""


def round_spec(round_row: Round, secret_key: str) -> RoundSpec:
    return RoundSpec(round_row.id, ballot_rules(round_row), RoundSeal(secret_key, round_row.id))


def cast_key_hash(secret_key: str, round_id: int, key: str) -> str:
    """How a client's idempotency key is stored: keyed with the server secret, so a key read
    off a tablet does not find its record without the secret."""
    return keyed_digest(secret_key, "cast key", str(round_id), key)


def not_open(round_id: int, phase: str) -> Conflict:
    return Conflict("round-not-open", round_id=round_id, phase=phase, detail={"phase": phase})


def no_round(round_id: int) -> NotFound:
    return NotFound("no-round", round_id=round_id)


def prepare(
    spec: RoundSpec, request: CastRequest, secret_key: str, channel: Channel = "tablet"
) -> CastJob:
    """Check the ballot against the slate and rules and encode it for the writer."""
    valid = validate(request.ballot, spec.rules)
    code = normalize_code(request.code)
    if code is None:
        raise unknown_code()
    marks = marks_of(valid, spec.rules.candidates)
    return CastJob(
        round_id=spec.round_id,
        code_hash=code_hash(secret_key, code),
        key_hash=cast_key_hash(secret_key, spec.round_id, request.key),
        # the code is in the digest so that a key reused for another voter is refused
        request_digest=keyed_digest(secret_key, "cast request", code, marks),
        marks=marks,
        seal=spec.seal,
        channel=channel,
    )


def receipt(round_id: int, tracker: str, *, replayed: bool = False) -> Receipt:
    return Receipt(
        round_id=round_id,
        tracker=tracker,
        short=short_tracker(tracker),
        grouped=grouped_tracker(tracker),
        replayed=replayed,
    )
