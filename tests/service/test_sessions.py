"""How long a sign-in lasts and what ends it, on every database: the idle and the absolute
lifetime, the idle timer written at most once a minute, every token revoked when a user's
password, role or standing changes, and the last active admin kept."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from service.auth.lifetimes import ABSOLUTE, IDLE
from service.db.models import ApiToken, User
from tests.support.app import PASSWORD, Clock, from_address, make_staff, serving
from tests.support.pages import use_session


async def signed_in(client: Any, username: str, password: str = PASSWORD) -> dict[str, str]:
    answer = await client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}
    )
    assert answer.status_code == 200, answer.text
    client.cookies.clear()  # the bearer token only
    return {"Authorization": f"Bearer {answer.json()['token']}"}


async def me(client: Any, headers: dict[str, str]) -> Any:
    return await client.get("/api/v1/auth/me", headers=headers)


async def user_id(db: Any, username: str) -> int:
    found = await db.scalar(select(User.id).where(User.username == username))
    assert found is not None
    return int(found)


# ---- lifetimes -----------------------------------------------------------------------------


def test_the_lifetimes_fit_a_meeting_and_a_working_day():
    assert IDLE.total_seconds() == 2 * 3600
    assert ABSOLUTE.total_seconds() == 16 * 3600


async def test_two_idle_hours_end_a_sign_in(client, db, clock: Clock):
    await make_staff(db, "facilitator", "wang")
    token = await signed_in(client, "wang")
    clock.advance(hours=1, minutes=59)
    assert (await me(client, token)).status_code == 200  # used: the idle timer starts again
    clock.advance(hours=1, minutes=59)
    assert (await me(client, token)).status_code == 200
    clock.advance(hours=2)
    lapsed = await me(client, token)
    assert lapsed.status_code == 401
    body = lapsed.json()
    assert body["code"] == "session-expired"
    assert body["message_zh"] == "超过 2 小时未操作，登录已失效，请重新登录"
    assert body["message_en"] == "signed out after 2 hours without use; sign in again"


async def test_sixteen_hours_end_a_sign_in_however_busy(client, db, clock: Clock):
    await make_staff(db, "facilitator", "wang")
    token = await signed_in(client, "wang")
    for _ in range(15):
        clock.advance(hours=1)
        assert (await me(client, token)).status_code == 200
    clock.advance(minutes=59)
    assert (await me(client, token)).status_code == 200
    clock.advance(minutes=1)
    lapsed = await me(client, token)
    assert lapsed.status_code == 401
    assert lapsed.json()["code"] == "session-expired"
    assert lapsed.json()["message_zh"] == "登录已超过 16 小时，已失效，请重新登录"
    again = await signed_in(client, "wang")  # signing in again gives a fresh sixteen hours
    assert (await me(client, again)).status_code == 200


async def test_the_idle_timer_is_written_at_most_once_a_minute(client, db, clock: Clock):
    await make_staff(db, "facilitator", "wang")
    token = await signed_in(client, "wang")
    issued = clock.now

    async def last_used() -> Any:
        db.expire_all()
        return await db.scalar(
            select(ApiToken.last_used_at).where(ApiToken.label == "login").limit(1)
        )

    assert await last_used() == issued
    for seconds in (10, 20, 30, 40, 50, 59):
        clock.now = issued + timedelta(seconds=seconds)
        assert (await me(client, token)).status_code == 200
    assert await last_used() == issued  # six requests within the minute: no write
    clock.advance(seconds=2)
    await me(client, token)
    touched = await last_used()
    assert touched == clock.now
    clock.advance(seconds=30)
    await me(client, token)
    assert await last_used() == touched


async def test_a_lapsed_session_cookie_sends_the_page_to_sign_in(client, db, clock: Clock):
    headers = await make_staff(db, "facilitator", "wang")
    use_session(client, headers)
    assert (await client.get("/console")).status_code == 200
    clock.advance(hours=3)
    page = await client.get("/console", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/console/login?next=/console"


async def test_a_lapsed_cookie_does_not_stand_in_the_way_of_signing_in(client, db, clock):
    headers = await make_staff(db, "facilitator", "wang")
    use_session(client, headers)
    clock.advance(hours=3)
    answer = await client.post(
        "/api/v1/auth/login", json={"username": "wang", "password": PASSWORD}
    )
    assert answer.status_code == 200, answer.text


# ---- revocation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [{"password": "a new long password"}, {"role": "secretary"}, {"active": False}],
    ids=["password", "role", "deactivated"],
)
async def test_a_change_of_password_role_or_standing_revokes_every_token(client, db, staff, change):
    await make_staff(db, "facilitator", "wang")
    tokens = [await signed_in(client, "wang"), await signed_in(client, "wang")]
    answer = await client.patch(
        f"/api/v1/users/{await user_id(db, 'wang')}", json=change, headers=staff["admin"]
    )
    assert answer.status_code == 200, answer.text
    for token in tokens:
        refused = await me(client, token)
        assert refused.status_code == 401
        assert refused.json()["code"] == "not-signed-in"
    db.expire_all()
    revoked = await db.scalars(
        select(ApiToken.revoked_at).where(ApiToken.user_id == await user_id(db, "wang"))
    )
    assert all(at is not None for at in revoked)


async def test_a_new_display_name_or_the_same_role_keeps_the_tokens(client, db, staff):
    await make_staff(db, "facilitator", "wang")
    token = await signed_in(client, "wang")
    for change in ({"display_name": "王主持"}, {"role": "facilitator"}, {"active": True}):
        answer = await client.patch(
            f"/api/v1/users/{await user_id(db, 'wang')}", json=change, headers=staff["admin"]
        )
        assert answer.status_code == 200, answer.text
        assert (await me(client, token)).status_code == 200


async def test_a_new_password_signs_the_admin_out_too(client, db, staff):
    admin_id = (await me(client, staff["admin"])).json()["id"]
    answer = await client.patch(
        f"/api/v1/users/{admin_id}", json={"password": "my new password"}, headers=staff["admin"]
    )
    assert answer.status_code == 200
    assert (await me(client, staff["admin"])).status_code == 401  # the token it was sent with
    fresh = await signed_in(client, "admin-user", "my new password")
    assert (await me(client, fresh)).json()["role"] == "admin"


# ---- the last admin ------------------------------------------------------------------------


@pytest.mark.parametrize("change", [{"role": "facilitator"}, {"active": False}])
async def test_the_only_admin_cannot_demote_or_deactivate_itself(client, db, staff, change):
    admin_id = (await me(client, staff["admin"])).json()["id"]
    refused = await client.patch(f"/api/v1/users/{admin_id}", json=change, headers=staff["admin"])
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "last-admin"
    assert (
        body["message_zh"] == "这是最后一位在用的管理员，不能降级或停用；请先把另一位用户设为管理员"
    )
    assert (await me(client, staff["admin"])).json()["role"] == "admin"  # nothing changed


async def test_with_another_active_admin_an_admin_may_step_down(client, db, staff):
    await make_staff(db, "admin", "li")
    admin_id = (await me(client, staff["admin"])).json()["id"]
    answer = await client.patch(
        f"/api/v1/users/{admin_id}", json={"role": "secretary"}, headers=staff["admin"]
    )
    assert answer.status_code == 200
    assert answer.json()["role"] == "secretary"


async def test_an_inactive_admin_does_not_count(client, db, staff):
    other = await make_staff(db, "admin", "li")
    li = await user_id(db, "li")
    off = await client.patch(f"/api/v1/users/{li}", json={"active": False}, headers=other)
    assert off.status_code == 200  # the fixture's admin is still there
    admin_id = (await me(client, staff["admin"])).json()["id"]
    refused = await client.patch(
        f"/api/v1/users/{admin_id}", json={"active": False}, headers=staff["admin"]
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "last-admin"


async def test_two_admins_demoting_each_other_at_once_leave_one(db, settings, staff):
    """Both requests at the same moment, on two app workers: one wins; the other is told it
    would leave no admin (409) or, when the winner's change committed before it was even
    signed in, that its session ended with its role (401)."""
    await make_staff(db, "admin", "li")
    ids = {name: await user_id(db, name) for name in ("admin-user", "li")}
    li_token = {"Authorization": "Bearer token-li"}
    async with (
        serving(settings, Clock()) as one,
        serving(settings, Clock()) as two,
        from_address(one, "10.0.0.1") as first,
        from_address(two, "10.0.0.2") as second,
    ):
        answers = await asyncio.gather(
            first.patch(
                f"/api/v1/users/{ids['li']}", json={"role": "secretary"}, headers=staff["admin"]
            ),
            second.patch(
                f"/api/v1/users/{ids['admin-user']}", json={"role": "secretary"}, headers=li_token
            ),
        )
    statuses = sorted(a.status_code for a in answers)
    assert statuses in ([200, 401], [200, 409]), [a.text for a in answers]
    db.expire_all()
    admins = await db.scalar(
        select(func.count()).where(User.role == "admin", User.active.is_(True))
    )
    assert admins == 1
