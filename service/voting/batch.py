"""Writing a batch of casts inside the writer's transaction, a few statements per round
whatever the number of ballots (the statements are in :mod:`service.voting.statements`;
no ORM object is built).

The casts of one round are answered exactly as if they were written one after the other in
queue order, each all or nothing (a later cast sees the codes, households and keys of the
earlier ones):

1. one SELECT of the idempotency keys already stored: a retry gets its earlier receipt, or
   ``idempotency-key-reused`` if the ballot or code differs, and touches nothing;
2. one ``UPDATE voter_codes ... RETURNING`` claims the codes of all other casts, and one
   ``UPDATE households ... RETURNING`` the households of the claimed codes;
3. the casts are settled in order, in memory: the first cast of a code or a household wins
   it, a later cast with a key stored earlier in the batch replays that cast;
4. claims that no cast won are given back (so a household that had voted leaves its code
   unused), and refused codes get their exact reason from one SELECT of their status;
5. the ballots, sealed (:mod:`service.voting.sealing`), and the keys are stored with one
   INSERT each, executed once for all rows.

Step 4's statements run only when a claim was left over or a cast refused, and step 2's
household UPDATE only in rounds with a household roll. Rounds are independent (codes,
households and keys all belong to one round), so a batch spanning rounds runs this per round.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from ballots.digest import new_tracker
from engine.process import RoundPhase
from service.errors import Conflict
from service.voting.casting import CastJob, no_round, not_open, receipt
from service.voting.codes import refusal_for, used_code
from service.voting.schemas import Receipt
from service.voting.sealing import RoundSeal
from service.voting.statements import BoxStatements

CastAnswer: TypeAlias = Receipt | Exception
"""What one cast gets back: its receipt, or the error that refuses it."""


def key_reused() -> Conflict:
    return Conflict("idempotency-key-reused", field="key")


def household_voted() -> Conflict:
    return Conflict("household-voted", field="code")


def open_rounds(box: BoxStatements, round_ids: Iterable[int]) -> dict[int, str]:
    """The phase of each round, read under a shared row lock (PostgreSQL ``FOR SHARE``) held
    to the end of the transaction, so that closing a round waits for the casts in flight."""
    return dict(box.phases(sorted(set(round_ids))))


StoredKeys: TypeAlias = dict[str, tuple[str, str]]
"""Key hash → (request digest, tracker) of a stored cast (the tracker unsealed)."""


def stored_keys(box: BoxStatements, seal: RoundSeal, key_hashes: Collection[str]) -> StoredKeys:
    """The casts of the round already stored under these idempotency keys."""
    if not key_hashes:
        return {}
    rows = box.stored_keys(sorted(key_hashes))
    return {key: (digest, seal.open(nonce, sealed)[0]) for key, digest, nonce, sealed in rows}


def replay(job: CastJob, digest: str, tracker: str) -> CastAnswer:
    """The answer to a cast whose key is stored: the earlier receipt for the same request."""
    if digest != job.request_digest:
        return key_reused()
    return receipt(job.round_id, tracker, replayed=True)


def claim_codes(
    box: BoxStatements, round_id: int, hashes: Collection[str]
) -> dict[str, int | None]:
    """Mark the round's issued codes among ``hashes`` used; code hash → household id."""
    if not hashes:
        return {}
    return dict(box.claim_codes(round_id, sorted(hashes)))


def claim_households(box: BoxStatements, ids: Collection[int]) -> set[int]:
    """Mark the households among ``ids`` that have not voted as voted; those ids."""
    if not ids:
        return set()
    return set(box.claim_households(sorted(ids)))


def give_back(
    box: BoxStatements, round_id: int, codes: Collection[str], households: Collection[int]
) -> None:
    """Undo the claims that no cast won: the codes are issued again, the households unvoted."""
    if codes:
        box.return_codes(round_id, sorted(codes))
    if households:
        box.return_households(sorted(households))


def why_not_redeemed(
    box: BoxStatements, round_id: int, jobs: Sequence[CastJob]
) -> list[CastAnswer]:
    """Why each of ``jobs`` could not redeem its code: a replay of a cast that another worker
    committed meanwhile, or the code unknown in the round, void, or used."""
    committed = stored_keys(box, jobs[0].seal, {job.key_hash for job in jobs})
    status = dict(box.code_status(round_id, sorted({job.code_hash for job in jobs})))
    outcomes: list[CastAnswer] = []
    for job in jobs:
        earlier = committed.get(job.key_hash)
        if earlier is not None:
            outcomes.append(replay(job, *earlier))
        else:
            outcomes.append(refusal_for(status.get(job.code_hash)) or used_code())
    return outcomes


@dataclass(slots=True)
class Settlement:
    """The casts of a round settled in order against the claimed codes and households."""

    keys: StoredKeys
    codes: dict[str, int | None]
    """Claimed codes no cast has won yet (code hash → household id)."""
    households: set[int]
    """Claimed households no cast has won yet."""
    outcomes: list[CastAnswer | None] = field(default_factory=list)
    """Per cast; ``None`` for a cast whose code could not be redeemed (reason looked up)."""
    envelopes: list[dict[str, Any]] = field(default_factory=list)
    cast_keys: list[dict[str, Any]] = field(default_factory=list)
    channels: dict[str, list[str]] = field(default_factory=dict)
    """Codes won by casts that did not come from a tablet, by channel."""

    def settle(self, job: CastJob) -> None:
        """Decide ``job`` as casting it alone after the casts before it would."""
        earlier = self.keys.get(job.key_hash)
        if earlier is not None:
            self.outcomes.append(replay(job, *earlier))
            return
        if job.code_hash not in self.codes:
            self.outcomes.append(None)
            return
        household = self.codes[job.code_hash]
        if household is not None and household not in self.households:
            self.outcomes.append(household_voted())  # the code stays unused
            return
        del self.codes[job.code_hash]
        if household is not None:
            self.households.discard(household)
        if job.channel != "tablet":
            self.channels.setdefault(job.channel, []).append(job.code_hash)
        tracker = new_tracker()
        self.keys[job.key_hash] = (job.request_digest, tracker)
        nonce, sealed = job.seal.seal(tracker, job.marks)
        self.envelopes.append({"round_id": job.round_id, "nonce": nonce, "sealed": sealed})
        self.cast_keys.append(
            {
                "key_hash": job.key_hash,
                "request_digest": job.request_digest,
                "envelope_nonce": nonce,
                "round_id": job.round_id,
            }
        )
        self.outcomes.append(receipt(job.round_id, tracker))


def cast_round(box: BoxStatements, round_id: int, jobs: Sequence[CastJob]) -> list[CastAnswer]:
    """Write the casts of one voting round (see the module docstring); one outcome per job."""
    keys = stored_keys(box, jobs[0].seal, {job.key_hash for job in jobs})
    fresh = {job.code_hash for job in jobs if job.key_hash not in keys}
    codes = claim_codes(box, round_id, fresh)
    households = claim_households(box, {h for h in codes.values() if h is not None})
    settlement = Settlement(keys, codes, households)
    for job in jobs:
        settlement.settle(job)
    give_back(box, round_id, settlement.codes, settlement.households)
    refused = [
        job for job, outcome in zip(jobs, settlement.outcomes, strict=True) if outcome is None
    ]
    reasons = iter(why_not_redeemed(box, round_id, refused) if refused else ())
    if settlement.envelopes:
        box.store(settlement.envelopes, settlement.cast_keys)
    for channel, hashes in sorted(settlement.channels.items()):
        box.mark_channel(round_id, channel, sorted(hashes))
    return [next(reasons) if outcome is None else outcome for outcome in settlement.outcomes]


def write_batch(box: BoxStatements, jobs: Sequence[CastJob]) -> list[CastAnswer]:
    """Write ``jobs`` in the open transaction of ``box``: per job its receipt or refusal, as
    casting them one after the other would give. The phase of each round is read first."""
    by_round: dict[int, list[int]] = {}
    for i, job in enumerate(jobs):
        by_round.setdefault(job.round_id, []).append(i)
    phases = open_rounds(box, by_round)
    outcomes: dict[int, CastAnswer] = {}
    for round_id, indices in by_round.items():
        phase = phases.get(round_id)
        if phase == RoundPhase.VOTING:
            done = cast_round(box, round_id, [jobs[i] for i in indices])
        else:
            done = [
                no_round(round_id) if phase is None else not_open(round_id, phase) for _ in indices
            ]
        outcomes.update(zip(indices, done, strict=True))
    return [outcomes[i] for i in range(len(jobs))]
