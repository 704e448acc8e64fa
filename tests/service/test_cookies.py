"""The session cookie is HttpOnly and SameSite=Strict always, and Secure whenever the
service is reached over TLS; a secretary signing in lands on the secretary's desk."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from service.app import create_app
from service.settings import Settings
from tests.support.app import cheap_hashing, make_staff
from tests.support.pages import post_form


async def sign_in(client: AsyncTestClient, username: str) -> str:
    response = await client.post(
        "/api/v1/auth/login", json={"username": username, "password": "correct horse battery"}
    )
    assert response.status_code == 200, response.text
    return response.headers["set-cookie"].lower()


async def test_session_cookie_is_secure_over_tls(settings: Settings, db) -> None:
    await make_staff(db, "facilitator")
    app = create_app(settings)
    async with AsyncTestClient(app=app, base_url="https://bench.example") as tls:
        cheap_hashing(app)
        cookie = await sign_in(tls, "facilitator-user")
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "secure" in cookie.replace("samesite", "")


async def test_session_cookie_over_plain_http_is_httponly(client, db) -> None:
    await make_staff(db, "facilitator")
    cookie = await sign_in(client, "facilitator-user")
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "secure" not in cookie.replace("samesite", "")  # the meeting laptop's http


async def test_a_secretary_signs_in_to_the_secretary_desk(client, db) -> None:
    await make_staff(db, "secretary")
    response = await post_form(
        client,
        "/console/login",
        {"username": "secretary-user", "password": "correct horse battery", "next": "/console"},
        follow_redirects=False,
    )
    assert response.status_code in (302, 303)
    assert response.headers["location"] == "/secretary"
