"""The sign-in throttle, on every database: per account and per client address, waits that
double up to half an hour, refusals before any hashing, the count shared by every app worker,
and the same rule on the sign-in page."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, event, func, select

from service.auth.throttle import ACCOUNT, ADDRESS, REMEMBERED, Rule
from service.db.models import FailedSignIns
from service.settings import Settings
from tests.support.app import PASSWORD, Clock, from_address, make_staff, serving
from tests.support.pages import post_form, token_from

LOGIN = "/api/v1/auth/login"


async def sign_in(client: Any, username: str, password: str = "wrong", **kwargs: Any) -> Any:
    return await client.post(LOGIN, json={"username": username, "password": password}, **kwargs)


# ---- the rule and its arithmetic ----------------------------------------------------------


def test_waits_double_from_one_minute_to_half_an_hour():
    minutes = [ACCOUNT.wait(n) for n in range(1, 13)]
    assert minutes == [None] * 4 + [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 30, 30, 30)]
    assert ADDRESS.wait(19) is None
    assert ADDRESS.wait(20) == timedelta(minutes=1)
    assert ACCOUNT.wait(10_000) == timedelta(minutes=30)


def most_guesses(rule: Rule, days: int) -> int:
    """Wrong passwords an attacker gets in ``days`` by guessing the moment each wait ends."""
    at, failures, guesses = timedelta(0), 0, 0
    while at < timedelta(days=days):
        guesses += 1
        failures += 1
        at += rule.wait(failures) or timedelta(0)
    return guesses


def test_the_arithmetic_of_the_docs():
    """docs/security.md: 56 guesses at an account in the first day, 48 a day after; from one
    address 71, then 48."""
    assert most_guesses(ACCOUNT, 1) == 56
    assert most_guesses(ACCOUNT, 2) - most_guesses(ACCOUNT, 1) == 48
    assert most_guesses(ADDRESS, 1) == 71
    assert most_guesses(ADDRESS, 2) - most_guesses(ADDRESS, 1) == 48


# ---- the account -------------------------------------------------------------------------


async def test_five_failures_lock_the_account_even_against_the_right_password(
    client, db, clock: Clock
):
    await make_staff(db, "facilitator", "wang")
    for _ in range(5):
        assert (await sign_in(client, "wang")).status_code == 401
    locked = await sign_in(client, "wang", PASSWORD)
    assert locked.status_code == 429
    assert locked.headers["retry-after"] == "60"
    body = locked.json()
    assert body["code"] == "too-many-sign-ins"
    assert body["message"] == body["message_zh"] == "该账号登录失败次数过多，请 1 分钟后再试"
    assert body["message_en"] == "too many failed sign-ins for this account; try again in 1 minute"
    assert body["detail"] == {"retry_after": 60, "locked": "account"}
    clock.advance(seconds=45)
    later = await sign_in(client, "wang", PASSWORD, headers={"Accept-Language": "en"})
    assert later.json()["message"] == (
        "too many failed sign-ins for this account; try again in 15 seconds"
    )
    assert later.headers["retry-after"] == "15"
    clock.advance(seconds=16)
    assert (await sign_in(client, "wang", PASSWORD)).status_code == 200


async def test_a_refused_sign_in_costs_no_hash_and_writes_nothing(client, db, clock, hashes):
    await make_staff(db, "facilitator", "wang")
    for _ in range(5):
        await sign_in(client, "wang")
    assert len(hashes) == 5
    before = (await db.execute(select(FailedSignIns.name, FailedSignIns.failures))).all()
    for _ in range(30):
        assert (await sign_in(client, "wang", PASSWORD)).status_code == 429
    assert len(hashes) == 5  # a flood of refusals hashes nothing ...
    db.expire_all()
    after = (await db.execute(select(FailedSignIns.name, FailedSignIns.failures))).all()
    assert sorted(after) == sorted(before)  # ... and counts nothing


async def test_each_further_failure_doubles_the_wait_up_to_half_an_hour(client, db, clock):
    await make_staff(db, "facilitator", "wang")
    for _ in range(5):
        await sign_in(client, "wang")
    waits = []
    for _ in range(7):
        refused = await sign_in(client, "wang")
        assert refused.status_code == 429
        wait = int(refused.headers["retry-after"])
        waits.append(wait)
        clock.advance(seconds=wait)
        assert (await sign_in(client, "wang")).status_code == 401  # one more wrong guess
    assert waits == [60, 120, 240, 480, 960, 1800, 1800]


async def test_a_success_clears_the_accounts_count(client, db, clock):
    await make_staff(db, "facilitator", "wang")
    for _ in range(4):
        await sign_in(client, "wang")
    assert (await sign_in(client, "wang", PASSWORD)).status_code == 200
    for _ in range(4):
        assert (await sign_in(client, "wang")).status_code == 401  # four free again
    assert (await sign_in(client, "wang")).status_code == 401
    assert (await sign_in(client, "wang")).headers["retry-after"] == "60"  # not doubled


async def test_a_day_without_failures_starts_the_count_over(client, db, clock):
    await make_staff(db, "facilitator", "wang")
    for _ in range(4):
        await sign_in(client, "wang")
    clock.advance(hours=25)
    for _ in range(4):
        assert (await sign_in(client, "wang")).status_code == 401
    assert (await sign_in(client, "wang", PASSWORD)).status_code == 200


async def test_counts_a_day_old_are_dropped(client, db, clock):
    for name in ("zhang", "li"):
        await sign_in(client, name)
    clock.advance(hours=25)
    await sign_in(client, "zhao")
    kept = (await db.scalars(select(FailedSignIns.name).order_by(FailedSignIns.name))).all()
    assert kept == ["testclient", "zhao"]  # the address, and the only recent account


async def test_an_unknown_username_is_locked_out_alike(client, db, clock):
    """A lockout does not tell which usernames exist."""
    for _ in range(5):
        assert (await sign_in(client, "nobody")).json()["code"] == "bad-credentials"
    refused = await sign_in(client, "nobody")
    assert refused.status_code == 429
    assert refused.json()["detail"]["locked"] == "account"


async def test_a_burst_gets_no_more_than_the_free_tries(db, settings, hashes):
    """Twelve wrong passwords at once: each waits its turn, and looks at the count again
    when it comes, so only the free five are ever hashed."""
    await make_staff(db, "facilitator", "wang")
    async with serving(settings, Clock()) as app, from_address(app, "10.1.2.3") as burst:
        answers = await asyncio.gather(*(sign_in(burst, "wang") for _ in range(12)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [401] * 5 + [429] * 7
    assert len(hashes) == 5


async def test_a_new_password_from_the_admin_lifts_the_lockout(client, db, staff, clock):
    for _ in range(5):
        await sign_in(client, "facilitator-user")
    assert (await sign_in(client, "facilitator-user", PASSWORD)).status_code == 429
    user_id = (await client.get("/api/v1/auth/me", headers=staff["facilitator"])).json()["id"]
    reset = await client.patch(
        f"/api/v1/users/{user_id}", json={"password": "new and long"}, headers=staff["admin"]
    )
    assert reset.status_code == 200, reset.text
    assert (await sign_in(client, "facilitator-user", "new and long")).status_code == 200


# ---- the address ---------------------------------------------------------------------------


async def test_twenty_failures_from_one_address_lock_that_address_out(db, settings):
    await make_staff(db, "facilitator", "wang")
    async with (
        serving(settings, Clock()) as app,
        from_address(app, "10.1.2.3") as guesser,
        from_address(app, "10.1.2.4") as neighbour,
    ):
        for n in range(20):
            assert (await sign_in(guesser, f"user{n}")).status_code == 401
        refused = await sign_in(guesser, "wang", PASSWORD)
        assert refused.status_code == 429
        assert refused.json()["detail"]["locked"] == "address"
        assert refused.json()["message_zh"] == "此网络地址登录失败次数过多，请 1 分钟后再试"
        assert (await sign_in(neighbour, "wang", PASSWORD)).status_code == 200


async def test_a_success_does_not_clear_the_addresss_count(db, settings):
    """Or an attacker with one account could guess at others without end."""
    await make_staff(db, "facilitator", "wang")
    async with serving(settings, Clock()) as app, from_address(app, "10.1.2.3") as guesser:
        for n in range(19):
            await sign_in(guesser, f"user{n}")
        assert (await sign_in(guesser, "wang", PASSWORD)).status_code == 200
        assert (await sign_in(guesser, "user19")).status_code == 401
        assert (await sign_in(guesser, "user20")).status_code == 429


# ---- every worker, and the page --------------------------------------------------------------


async def test_every_app_worker_sees_the_same_count(db, settings: Settings):
    """Two apps on one database, as two uvicorn workers are."""
    await make_staff(db, "facilitator", "wang")
    clock = Clock()
    async with (
        serving(settings, clock) as one,
        serving(settings, clock) as two,
        from_address(one, "10.1.2.3") as first_worker,
        from_address(two, "10.1.2.3") as second_worker,
    ):
        for worker in (first_worker, second_worker, first_worker, second_worker, first_worker):
            assert (await sign_in(worker, "wang")).status_code == 401
        assert (await sign_in(second_worker, "wang", PASSWORD)).status_code == 429
    count = await db.scalar(
        select(func.max(FailedSignIns.failures)).where(FailedSignIns.kind == "account")
    )
    assert count == 5


async def test_a_worker_refuses_a_lockout_it_remembers_without_reading_and_reads_again_soon(
    db, settings: Settings
):
    """A flood against a locked account costs no database read; a lockout lifted elsewhere
    (another worker's admin reset, a row removed) holds here at most ``REMEMBERED``."""
    await make_staff(db, "facilitator", "wang")
    clock = Clock()
    async with serving(settings, clock) as app, from_address(app, "10.1.2.3") as worker:
        for _ in range(5):
            await sign_in(worker, "wang")
        assert (await sign_in(worker, "wang", PASSWORD)).status_code == 429  # read, remembered
        await db.execute(delete(FailedSignIns))  # lifted behind this worker's back
        await db.commit()
        reads: list[str] = []
        engine = app.state.engine.sync_engine

        def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            reads.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            for _ in range(10):
                assert (await sign_in(worker, "wang", PASSWORD)).status_code == 429
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert [r for r in reads if "failed_sign_ins" in r] == []
        clock.advance(seconds=REMEMBERED.total_seconds() + 1)
        assert (await sign_in(worker, "wang", PASSWORD)).status_code == 200


async def test_the_sign_in_page_is_throttled_and_says_the_wait(client, db, clock):
    await make_staff(db, "facilitator", "wang")
    token = await token_from(client, "/console/login")
    for _ in range(3):
        await sign_in(client, "wang")  # the API and the page share the count
    for _ in range(2):
        wrong = await post_form(
            client, "/console/login", {"username": "wang", "password": "nope"}, token=token
        )
        assert wrong.status_code == 401
    locked = await post_form(
        client, "/console/login", {"username": "wang", "password": PASSWORD}, token=token
    )
    assert locked.status_code == 429
    assert "该账号登录失败次数过多，请 1 分钟后再试。" in locked.text
    assert locked.headers["retry-after"] == "60"
    assert locked.headers["cache-control"] == "no-store"
    clock.advance(seconds=50)
    english = await post_form(
        client,
        "/console/login?lang=en",
        {"username": "wang", "password": PASSWORD},
        token=token,
    )
    assert english.status_code == 429
    assert "Too many failed sign-ins for this account; try again in 10 seconds." in english.text
    assert (await sign_in(client, "wang", PASSWORD)).status_code == 429


async def test_sign_in_answers_are_not_cached(client, db):
    await make_staff(db, "facilitator", "wang")
    api = await sign_in(client, "wang", PASSWORD)
    assert api.status_code == 200
    assert api.headers["cache-control"] == "no-store"
    page = await post_form(
        client,
        "/console/login",
        {"username": "wang", "password": PASSWORD},
        token=await token_from(client, "/console/login"),
        follow_redirects=False,
    )
    assert page.status_code == 303
    assert page.headers["cache-control"] == "no-store"
