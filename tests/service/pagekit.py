"""Driving the pages through the test client as a browser would: reading the form token
from a page, posting forms with it, signing in with the session cookie, enrolling a
tablet."""

from __future__ import annotations

import re
from typing import Any

from service.auth.guard import SESSION_COOKIE
from service.web.tablets import TABLET_COOKIE

_TOKEN = re.compile(r'<meta name="csrf-token" content="([0-9a-f]+)">')


async def token_from(client: Any, path: str = "/board", **kwargs: Any) -> str:
    """The form token a page carries (the page sets the matching cookie)."""
    response = await client.get(path, **kwargs)
    found = _TOKEN.search(response.text)
    assert found, f"no form token on {path}: {response.status_code} {response.text[:300]}"
    return found.group(1)


async def post_form(
    client: Any, path: str, data: dict[str, Any], *, token: str | None = None, **kwargs: Any
) -> Any:
    """Post ``data`` as an HTML form with a valid form token."""
    token = token or await token_from(client)
    return await client.post(path, data={**data, "_csrf_token": token}, **kwargs)


def use_session(client: Any, headers: dict[str, str]) -> None:
    """Sign the client in with the session cookie of a staff member's token."""
    token = headers["Authorization"].removeprefix("Bearer ")
    client.cookies.set(SESSION_COOKIE, token, domain="testserver.local", path="/")


async def enrol(client: Any, headers: dict[str, str], round_id: int) -> str:
    """Enrol the client as the ballot tablet of ``round_id``; the tablet cookie's value."""
    use_session(client, headers)
    response = await post_form(
        client, "/kiosk/enrol", {"round_id": round_id}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/kiosk"
    return str(client.cookies.get(TABLET_COOKIE, path="/kiosk"))


def labels_of(html: str, css_class: str) -> list[str]:
    """The texts of the elements of class ``css_class`` in a page (flat, no nesting)."""
    pattern = re.compile(rf'class="[^"]*\b{re.escape(css_class)}\b[^"]*"[^>]*>([^<]*)<')
    return [text.strip() for text in pattern.findall(html)]
