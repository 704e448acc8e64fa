"""Sign-in, tokens, roles, and the error shape, on every database."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from service.db.models import AuditEvent


async def test_login_me_logout(client, staff):
    # staff fixture users have password "correct horse battery"
    response = await client.post(
        "/api/v1/auth/login", json={"username": "admin-user", "password": "correct horse battery"}
    )
    assert response.status_code == 200, response.text
    token = response.json()["token"]
    assert response.cookies.get("redbench_session") == token
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["role"] == "admin"
    out = await client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert out.status_code == 204
    again = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 401
    assert again.json()["code"] == "not-signed-in"


async def test_wrong_password_is_401_with_both_languages(client, staff):
    response = await client.post(
        "/api/v1/auth/login", json={"username": "admin-user", "password": "nope"}
    )
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "bad-credentials"
    assert body["message_zh"] == "用户名或密码错误"
    assert body["message_en"] == "wrong username or password"
    assert body["message"] == body["message_zh"]  # Chinese first


async def test_english_when_asked(client, staff):
    response = await client.post(
        "/api/v1/auth/login",
        headers={"Accept-Language": "en-GB"},
        json={"username": "admin-user", "password": "nope"},
    )
    assert response.json()["message"] == "wrong username or password"


@pytest.mark.parametrize("role", ["facilitator", "secretary", "grid_worker"])
async def test_only_admin_creates_users(client, staff, role):
    payload = {
        "username": "new",
        "display_name": "新用户",
        "role": "facilitator",
        "password": "long enough",
    }
    response = await client.post("/api/v1/users", json=payload, headers=staff[role])
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    anonymous = await client.post("/api/v1/users", json=payload)
    assert anonymous.status_code == 401


async def test_admin_creates_a_user_and_it_is_audited(client, staff, db):
    payload = {
        "username": "li.facilitator",
        "display_name": "李主持",
        "role": "facilitator",
        "password": "long enough",
    }
    response = await client.post("/api/v1/users", json=payload, headers=staff["admin"])
    assert response.status_code == 201, response.text
    events = (await db.scalars(select(AuditEvent).where(AuditEvent.action == "user.created"))).all()
    assert len(events) == 1
    assert events[0].detail == {"role": "facilitator"}


async def test_validation_error_names_the_field(client, staff):
    response = await client.post(
        "/api/v1/users",
        headers=staff["admin"],
        json={"username": "x", "display_name": "X", "role": "mayor", "password": "long enough"},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid-request"
    assert body["field"] == "role"


async def test_openapi_schema_is_public(client):
    response = await client.get("/api/v1/schema/openapi.json")
    assert response.status_code == 200
    assert "/api/v1/communities" in response.json()["paths"]


async def test_every_route_declares_roles(client):
    from service.app import create_app
    from service.settings import Settings

    app = create_app(Settings(database_url="sqlite+aiosqlite:///:memory:", secret_key="x" * 32))
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if route.path.startswith("/api/v1/schema") or handler.http_methods == {"OPTIONS"}:
                continue  # the public OpenAPI documents; litestar's automatic OPTIONS answers
            assert handler.opt.get("roles"), f"{route.path} declares no roles"


@pytest.mark.parametrize(
    ("role", "name"),
    [("facilitator", "主持人"), ("secretary", "支部书记"), ("grid_worker", "网格员")],
)
async def test_a_refusal_names_the_role_in_chinese(client, staff, role, name):
    response = await client.get("/api/v1/users", headers=staff[role])
    assert response.json()["message_zh"] == f"您的角色（{name}）无权进行此操作"
