"""Password hashes: OWASP's scrypt parameters, outdated hashes replaced at sign-in, hashing
in a thread a bounded number at a time, and an unknown username costing one hash too."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from service.auth import hashing
from service.auth.hashing import PasswordHasher
from service.auth.passwords import OWASP, Cost, cost_of, hash_password, verify_password
from service.db.models import User
from service.errors import TooMany
from tests.support.app import CHEAP, PASSWORD, make_staff

WEAK = Cost(n=2**6, r=8, p=1)
"""Older, weaker parameters a stored hash may have (cheap, for the tests)."""


def test_new_hashes_use_owasp_parameters():
    assert Cost(n=2**17, r=8, p=1) == OWASP
    stored = hash_password("口袋公园-2026")  # the one hash at the real cost: about 0.3 s
    assert stored.startswith("scrypt$131072$8$1$")
    assert cost_of(stored) == OWASP
    assert verify_password("口袋公园-2026", stored)  # (a wrong one: the tests below, cheaper)


def test_the_service_hashes_at_owasp_cost_and_knows_no_other():
    hasher = PasswordHasher()
    assert hasher.cost == OWASP
    assert cost_of(hasher.dummy) == OWASP  # an unknown name costs what a known one does
    assert hasher.outdated(hash_password("x", Cost(n=2**14, r=8, p=1)))  # the old default


@pytest.mark.parametrize(
    "stored",
    ["", "scrypt$", "bcrypt$2$8$1$AAAA$AAAA", "scrypt$x$8$1$AAAA$AAAA", "scrypt$256$8$1$!!$AAAA"],
)
def test_a_malformed_stored_hash_matches_nothing(stored):
    assert not verify_password("anything", stored)


async def test_an_outdated_hash_is_replaced_at_sign_in(client, db):
    await make_staff(db, "facilitator", "wang")
    user = await db.scalar(select(User).where(User.username == "wang"))
    user.password_hash = hash_password(PASSWORD, WEAK)
    await db.commit()
    answer = await client.post(
        "/api/v1/auth/login", json={"username": "wang", "password": PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    db.expire_all()
    stored = await db.scalar(select(User.password_hash).where(User.username == "wang"))
    assert cost_of(stored) == CHEAP  # the app's cost (the service's: OWASP)
    assert verify_password(PASSWORD, stored)
    again = await client.post("/api/v1/auth/login", json={"username": "wang", "password": PASSWORD})
    assert again.status_code == 200


async def test_a_wrong_password_leaves_the_outdated_hash(client, db):
    await make_staff(db, "facilitator", "wang")
    old = hash_password(PASSWORD, WEAK)
    user = await db.scalar(select(User).where(User.username == "wang"))
    user.password_hash = old
    await db.commit()
    await client.post("/api/v1/auth/login", json={"username": "wang", "password": "nope"})
    db.expire_all()
    assert await db.scalar(select(User.password_hash).where(User.username == "wang")) == old


@pytest.mark.backends("sqlite")
async def test_the_old_default_cost_becomes_owasp_with_the_real_hasher(client, db):
    """The production hasher, end to end: a 2^14 hash from before becomes 2^17."""
    client.app.state.passwords = PasswordHasher()
    await make_staff(db, "admin", "li")
    user = await db.scalar(select(User).where(User.username == "li"))
    user.password_hash = hash_password(PASSWORD, Cost(n=2**14, r=8, p=1))
    await db.commit()
    answer = await client.post("/api/v1/auth/login", json={"username": "li", "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    db.expire_all()
    stored = await db.scalar(select(User.password_hash).where(User.username == "li"))
    assert cost_of(stored) == OWASP


class Spy:
    """Stands in for scrypt: records the thread it ran on and how many ran at once."""

    def __init__(self, seconds: float = 0.02) -> None:
        self.seconds = seconds
        self.threads: list[threading.Thread] = []
        self.running = 0
        self.most = 0
        self.release = threading.Event()
        self.release.set()
        self._lock = threading.Lock()

    def __call__(self, *args: object) -> bool:
        with self._lock:
            self.threads.append(threading.current_thread())
            self.running += 1
            self.most = max(self.most, self.running)
        self.release.wait(5)
        time.sleep(self.seconds)
        with self._lock:
            self.running -= 1
        return False


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Spy]:
    found = Spy()
    monkeypatch.setattr(hashing, "verify_password", found)
    monkeypatch.setattr(hashing, "hash_password", found)
    yield found
    found.release.set()


def watched(spy: Spy, most_waiting: int = hashing.MOST_WAITING) -> PasswordHasher:
    """A hasher whose hashes ``spy`` stands in for (its dummy, made at once, not counted)."""
    hasher = PasswordHasher(CHEAP, most_waiting=most_waiting)
    spy.threads.clear()
    return hasher


async def test_hashing_runs_in_a_thread_not_on_the_event_loop(spy):
    hasher = watched(spy)
    async with hasher.turn() as turn:
        await turn.verify("x", hasher.dummy)
        await turn.hash("x")
    assert len(spy.threads) == 2
    assert threading.main_thread() not in spy.threads  # the loop's thread never hashes


async def test_one_hash_at_a_time(spy):
    hasher = watched(spy)
    await asyncio.gather(*(hasher.hash(f"password {i}") for i in range(6)))
    assert len(spy.threads) == 6
    assert spy.most == 1


async def test_too_many_waiting_are_refused_at_once(spy):
    hasher = watched(spy, most_waiting=2)
    spy.release.clear()  # the first hash holds its turn
    first = asyncio.create_task(hasher.hash("first"))
    waiting = [asyncio.create_task(hasher.hash(f"waits {i}")) for i in range(2)]
    await asyncio.sleep(0.05)
    with pytest.raises(TooMany) as busy:
        await hasher.hash("one too many")
    assert busy.value.code == "sign-in-busy"
    assert busy.value.detail["retry_after"] == hashing.BUSY_WAIT
    spy.release.set()
    await asyncio.gather(first, *waiting)


async def test_a_cancelled_sign_in_keeps_its_turn_until_scrypt_is_done(spy):
    hasher = watched(spy)
    spy.release.clear()
    first = asyncio.create_task(hasher.hash("first"))
    await asyncio.sleep(0.05)
    first.cancel()
    second = asyncio.create_task(hasher.hash("second"))
    await asyncio.sleep(0.05)
    assert spy.running == 1  # the cancelled one still runs; the second has not started
    spy.release.set()
    await second
    assert spy.most == 1
    with pytest.raises(asyncio.CancelledError):
        await first


async def test_an_unknown_username_costs_one_hash(client, db, hashes):
    await make_staff(db, "facilitator", "wang")
    checked = hashes
    unknown = await client.post(
        "/api/v1/auth/login", json={"username": "nobody", "password": PASSWORD}
    )
    known = await client.post("/api/v1/auth/login", json={"username": "wang", "password": "nope"})
    assert unknown.status_code == known.status_code == 401
    assert unknown.json()["code"] == known.json()["code"] == "bad-credentials"
    assert checked == [client.app.state.passwords.dummy, checked[1]]
    assert cost_of(checked[0]) == cost_of(checked[1])  # the same work either way
