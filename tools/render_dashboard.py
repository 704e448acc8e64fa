"""Screenshot a street's dashboard (街道看板) with the system Chromium: the app served on the
given database by uvicorn on a free local port, signed in with a token made for the shot (an
admin account of its own, removed again afterwards), the page ``/street/{id}/dashboard``
looked at 1280 wide, the whole page. Needs Chromium (tools/system.py).

    .venv/bin/python tools/render_dashboard.py DATABASE_URL STREET_ID OUT.png [YEAR]

    .venv/bin/python tools/render_dashboard.py sqlite+aiosqlite:///demo.sqlite3 1 /tmp/dash.png
"""

from __future__ import annotations

import asyncio
import secrets
import sys
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright
from sqlalchemy import delete, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.app import create_app  # noqa: E402
from service.auth.guard import SESSION_COOKIE, token_hash  # noqa: E402
from service.commands.server import quiet  # noqa: E402
from service.db.models import ApiToken, User  # noqa: E402
from service.db.session import create_engine, sessionmaker  # noqa: E402
from service.settings import Settings  # noqa: E402
from tests.support.app import free_port  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
WIDTH, HEIGHT = 1280, 900


async def _visitor(url: str, token: str | None) -> None:
    """Make the shot's admin and token (``token``), or remove them again (``None``)."""
    engine = create_engine(url)
    async with sessionmaker(engine)() as db:
        name = "render-dashboard"
        found = await db.scalar(select(User.id).where(User.username == name))
        if found is not None:
            await db.execute(delete(ApiToken).where(ApiToken.user_id == found))
            await db.execute(delete(User).where(User.id == found))
        if token is not None:
            user = User(
                username=name,
                display_name="看板截图",
                role="admin",
                password_hash="!",  # no password signs in as this account
            )
            db.add(user)
            await db.flush()
            db.add(ApiToken(user_id=user.id, token_hash=token_hash(token), label="render"))
        await db.commit()
    await engine.dispose()


def serve(settings: Settings) -> tuple[uvicorn.Server, str]:
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", ws="none"
    )
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def main(argv: list[str]) -> int:
    if len(argv) not in (3, 4):
        print(__doc__.strip().splitlines()[-3].strip(), file=sys.stderr)
        return 2
    url, street, out = argv[0], int(argv[1]), Path(argv[2])
    query = f"?year={int(argv[3])}" if len(argv) == 4 else ""
    quiet()
    token = secrets.token_urlsafe(32)
    asyncio.run(_visitor(url, token))
    server, base = serve(Settings(database_url=url, secret_key=secrets.token_hex(32)))
    try:
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
            context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": base}])
            page = context.new_page()
            answer = page.goto(f"{base}/street/{street}/dashboard{query}")
            if answer is None or answer.status != 200:
                status = answer.status if answer else "no answer"
                print(f"the dashboard answered {status}", file=sys.stderr)
                return 1
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out), full_page=True)
            browser.close()
    finally:
        server.should_exit = True
        time.sleep(0.3)
        asyncio.run(_visitor(url, None))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
