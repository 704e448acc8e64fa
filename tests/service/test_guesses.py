"""Code guessing is slowed per device and then locked out, with growing waits; the next
tablet is never affected."""

from __future__ import annotations

import pytest

from service.errors import TooMany
from service.voting.guesses import LONGEST, GuessLimit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def guess(limit: GuessLimit, device: str, times: int) -> None:
    for _ in range(times):
        limit.check(device)
        limit.failed(device)


def test_a_device_is_locked_out_at_the_limit_and_others_are_not() -> None:
    clock = Clock()
    limit = GuessLimit(limit=30, window=60, lockout=60, clock=clock)
    guess(limit, "tablet-3", 29)
    limit.check("tablet-3")  # 29 wrong codes: still allowed
    limit.failed("tablet-3")  # the 30th locks it
    with pytest.raises(TooMany) as refused:
        limit.check("tablet-3")
    assert refused.value.detail["retry_after"] == 60
    limit.check("tablet-4")  # the resident on the next tablet is not affected


def test_each_lockout_doubles_the_wait_up_to_a_day() -> None:
    clock = Clock()
    limit = GuessLimit(limit=30, window=60, lockout=60, clock=clock)
    waits = []
    for _ in range(13):
        guess(limit, "attacker", 30)
        with pytest.raises(TooMany) as refused:
            limit.check("attacker")
        waits.append(refused.value.detail["retry_after"])
        clock.now += waits[-1]  # wait it out, then guess again
    assert waits[:4] == [60, 120, 240, 480]
    assert waits[-1] == LONGEST
    # 13 lockouts cost the attacker more than a day for 390 guesses
    assert sum(waits) > 24 * 3600


def test_wrong_codes_spread_over_time_do_not_lock() -> None:
    clock = Clock()
    limit = GuessLimit(limit=30, window=60, lockout=60, clock=clock)
    for _ in range(100):  # a typo now and then, one every three seconds
        guess(limit, "tablet-1", 1)
        clock.now += 3
    limit.check("tablet-1")


def test_quiet_devices_are_forgotten_but_locked_ones_kept(monkeypatch) -> None:
    monkeypatch.setattr("service.voting.guesses.MEMORY", 10)
    clock = Clock()
    limit = GuessLimit(limit=2, window=60, lockout=6000, clock=clock)
    guess(limit, "attacker", 2)
    for i in range(20):
        guess(limit, f"typo-{i}", 1)
        clock.now += 61
    with pytest.raises(TooMany):
        limit.check("attacker")  # its lockout outlives the forgetting
    assert len(limit._failures) <= 12
