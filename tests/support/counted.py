"""Counted rounds of many random ballots for the export tests: cast as sealed envelopes
straight into the database, then closed, counted and published (:func:`counted_round`)."""

from __future__ import annotations

import random

from ballots.digest import new_tracker
from ballots.marks import NONE
from service.db.models import Envelope, VoterCode
from service.results.purge import purged
from service.voting.sealing import RoundSeal
from tests.support.app import SECRET
from tests.support.rounds import close, make_round

OPTIONS = 6
"""The pocket park's six options (:func:`tests.support.rounds.make_round`)."""


def marks(rng: random.Random) -> bytes:
    """A ranked ballot's marks: one to four options in a random order, the rest unranked."""
    chosen = rng.sample(range(OPTIONS), rng.randint(1, 4))
    places = [NONE] * OPTIONS
    for place, option in enumerate(chosen):
        places[option] = place
    return b"".join(p.to_bytes(2, "little", signed=True) for p in places)


async def counted_round(db, ballots: int, *, open_receipts: bool) -> int:
    """A published ranked round whose box holds ``ballots`` random ballots, cast as
    envelopes straight into the database (as many codes used) and then closed and counted."""
    round_id = await make_round(db, open_receipts=open_receipts)
    rng = random.Random(ballots)
    seal = RoundSeal(SECRET, round_id)
    envelopes = []
    for _ in range(ballots):
        nonce, sealed = seal.seal(new_tracker(), marks(rng))
        envelopes.append({"round_id": round_id, "nonce": nonce, "sealed": sealed})
    codes = [
        {"round_id": round_id, "code_hash": f"{round_id:08x}{i:056x}", "status": "used"}
        for i in range(ballots)
    ]
    if ballots:
        await db.execute(Envelope.__table__.insert(), envelopes)
        await db.execute(VoterCode.__table__.insert(), codes)
    await db.commit()
    await close(db, round_id, "published")
    await purged()  # as a server does right after a close, before anyone downloads
    return round_id
