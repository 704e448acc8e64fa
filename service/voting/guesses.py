"""The guessing budget: how many unknown voter codes one device may try, per burst and per
day, and the arithmetic that says why that is enough.

A device is a ballot tablet's enrolment, the deliveries of one tablet's kept ballots (a
budget of their own, so typing mistakes made offline never lock out the live code check),
or, for any other caller, the client address, an IPv6 address counting with its whole /64
network (:mod:`service.voting.devices`). Every unknown code a device tries spends one
guess from each of two buckets, which refill evenly:

- **burst**: 10 guesses, one more every minute (30 for a tablet's kept deliveries, which
  bring a backlog of codes typed offline, where nothing could check them);
- **day**: 100 guesses, one more every 14.4 minutes (100 a day).

When either bucket is empty the device is refused (429 ``too-many-attempts`` with
``Retry-After``) until a guess has come back; other devices are not affected. A bucket is
kept as the one time when it is full again (GCRA), in the database, so every app worker
spends from the same budget (:mod:`service.voting.lockouts`).

Every unknown code that was answered is charged, also one that raced past a budget
emptied meanwhile: the bucket goes below zero and the device waits that much longer. Two
races can do that: k requests sent at once (all may be answered before the first is
charged), and app workers that have not yet heard of a lockout (each hears within
:data:`service.voting.lockouts.REFRESH` seconds, or on its own next unknown code, so a
guesser trying each of N workers in turn gets at most N - 1 guesses ahead). Either way the
guesses taken ahead are waited for afterwards: over days a device gets 100 a day however it
sends them, and N workers give it no more than one worker would.

However a device paces itself it gets at most 10 guesses at once, 19 in any 10 minutes,
69 in any hour and **199 in any 24 hours** (a full day bucket and what comes back
meanwhile), then **100 a day** (:func:`most_guesses`).

The arithmetic (docs/security.md says the same; a test checks both against this module and
against what paced and bursting guessers get): a code is 10 characters of base 32, 50
random bits, so in a round of 500 codes one guess finds a code with chance
500 / 2^50 ≈ 4.4 × 10^-13 (:func:`chance`). One device: at most 8.8 × 10^-11 in any 24
hours, then 4.4 × 10^-11 a day. 1,000 devices (a thousand addresses, or stolen
enrolments) guessing for a whole day: at most 8.8 × 10^-8; for a week (799 guesses each):
3.5 × 10^-7. A round votes for hours, not weeks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial
from typing import Final, NamedTuple

from service.errors import TooMany
from service.i18n import text

CODE_BITS: Final = 50
"""Random bits in a voter code (:data:`service.voting.codes.CODE_LENGTH` base-32 characters)."""
CODE_SPACE: Final = 1 << CODE_BITS
DAY: Final = 24 * 3600.0


@dataclass(frozen=True, slots=True)
class Bucket:
    """``size`` guesses when full; one comes back every ``refill`` seconds."""

    size: int
    refill: float

    def spend(self, full_at: float, now: float) -> float:
        """When the bucket, full again at ``full_at``, is full again after one more guess
        at ``now`` (also when it had none left: then it is in debt)."""
        return max(full_at, now) + self.refill

    def opens_at(self, full_at: float) -> float:
        """From when a bucket full again at ``full_at`` has a guess to spend."""
        return full_at - (self.size - 1) * self.refill

    def most(self, seconds: float) -> int:
        """The most guesses it lets through in any ``seconds`` (from one moment to just
        before another): a full bucket at once, and one for each refill after that."""
        if seconds <= 0:
            return self.size
        return self.size + math.ceil(seconds / self.refill) - 1


BURST: Final = Bucket(size=10, refill=60.0)
DAY_BUCKET: Final = Bucket(size=100, refill=DAY / 100)
KEPT_BURST: Final = Bucket(size=30, refill=60.0)
"""The burst bucket of a tablet's kept-ballot deliveries: a tablet back online delivers its
backlog at once, typos made offline (unchecked there) included."""


class Spent(NamedTuple):
    """A device's two buckets, each as the time it is full again (0: never used)."""

    burst_full_at: float = 0.0
    day_full_at: float = 0.0


@dataclass(frozen=True, slots=True)
class Budget:
    """The two buckets every unknown code spends from."""

    burst: Bucket = field(default=BURST)
    day: Bucket = field(default=DAY_BUCKET)

    def spend(self, spent: Spent, now: float) -> Spent:
        """The buckets after one more unknown code at ``now``."""
        return Spent(
            self.burst.spend(spent.burst_full_at, now), self.day.spend(spent.day_full_at, now)
        )

    def opens_at(self, spent: Spent) -> float:
        """From when the device may try a code again (in the past: it may now)."""
        return max(self.burst.opens_at(spent.burst_full_at), self.day.opens_at(spent.day_full_at))

    def most(self, seconds: float) -> int:
        """The most unknown codes one device can try in any ``seconds``, however paced."""
        return min(self.burst.most(seconds), self.day.most(seconds))

    def per_day(self) -> int:
        """Guesses a day once the first day's full bucket is spent."""
        return math.floor(DAY / self.day.refill)


KEPT: Final = Budget(burst=KEPT_BURST)
"""The budget of a tablet's kept-ballot deliveries (same day bucket, so the same arithmetic)."""


def most_guesses(seconds: float, budget: Budget | None = None) -> int:
    """The most unknown codes one device can try in any ``seconds`` (module docstring)."""
    return (budget or Budget()).most(seconds)


def chance(guesses: int, codes: int = 500, devices: int = 1) -> float:
    """At most this chance that ``devices`` devices, each trying ``guesses`` codes, find
    one of a round's ``codes`` valid codes (each guess hits with chance codes / 2^50; the
    sum bounds the chance that any does)."""
    return devices * guesses * codes / CODE_SPACE


def wait_text(seconds: int) -> tuple[str, str]:
    """A wait as people say it: (Chinese, English)."""
    return wait_words(seconds, "zh"), wait_words(seconds, "en")


def locked_out(seconds: float) -> TooMany:
    """The refusal for a device out of guesses, for ``seconds`` more."""
    wait = max(1, math.ceil(seconds))
    return TooMany(
        "too-many-wrong-codes", wait=partial(wait_words, wait), detail={"retry_after": wait}
    )


def wait_words(seconds: int, lang: str) -> str:
    """A wait as people say it in ``lang``: seconds up to two minutes, minutes up to two
    hours, then hours."""
    if seconds < 120:
        return text(lang, "wait.seconds", count=seconds)
    if seconds < 2 * 3600:
        return text(lang, "wait.minutes", count=math.ceil(seconds / 60))
    return text(lang, "wait.hours", count=math.ceil(seconds / 3600))
