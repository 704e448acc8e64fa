"""Take the screenshots of the console's round page in docs/images/ (console-round-*.png):
the demo data (``redbench demo``) in a fresh SQLite file, served by uvicorn on a free local
port and looked at with headless Chromium through Playwright, signed in as the demo's
facilitator 王主持, on a laptop (1280×800) and a tablet (768×1024), each the first screen —
what the facilitator sees without scrolling:

- the comment phase: a new round of the demo's second item (the waterlogged path) with a
  few comments, one of them about the whole round;
- the voting phase: the demo's open round of that item, after two ballots were cast with
  the codes the demo printed.

It also says whether the section the phase needs (the comment form, the turnout) starts on
that first screen, and exits with 1 when it does not. Needs Chromium (tools/system.py).

    .venv/bin/python tools/shoot_console_round.py            # docs/images/
    .venv/bin/python tools/shoot_console_round.py --whole /tmp/shots   # whole pages there
"""

from __future__ import annotations

import secrets
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.app import create_app  # noqa: E402
from service.commands.server import quiet  # noqa: E402
from service.db.migrate import upgrade  # noqa: E402
from service.demo.loader import PASSWORD, load_demo  # noqa: E402
from service.settings import Settings  # noqa: E402
from tests.support.app import free_port  # noqa: E402

OUT = ROOT / "docs" / "images"
CHROMIUM = "/usr/bin/chromium"
SCREENS = {"laptop": (1280, 800), "tablet": (768, 1024)}
COMMENTS = (  # option (index in the item's options, None: the round as a whole), stance, text
    (0, "support", "雨水篦子便宜见效快，先做这个。", "3号楼 钱先生"),
    (1, "oppose", "整段翻修要封路两个月，老人出门不方便。", "孙大爷"),
    (2, "question", "透水砖冬天结冰会不会更滑？", "李奶奶"),
    (None, "neutral", "希望施工前在楼道里贴通知。", "周女士"),
)
NEEDED = {"commenting": "#comment-form", "voting": "#turnout"}
"""The section each phase needs on the first screen."""


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


def api(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base)
    login = {"username": "zhuchi", "password": PASSWORD}
    token = client.post("/api/v1/auth/login", json=login).raise_for_status().json()["token"]
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def call(client: httpx.Client, method: str, path: str, payload: Any = None) -> Any:
    response = client.request(method, path, json=payload)
    if response.status_code >= 400:
        raise SystemExit(f"{method} {path}: {response.status_code} {response.text}")
    return response.json()


def rounds_to_show(client: httpx.Client, codes: list[str]) -> dict[str, int]:
    """The voting round of the demo's second item with two ballots cast, and a new round
    of that item in its comment phase with the comments above."""
    communities = call(client, "GET", "/api/v1/communities")
    processes = call(client, "GET", f"/api/v1/communities/{communities[0]['id']}/processes")
    water = next(p for p in processes if p["phase"] != "closed")
    voting = next(
        r
        for r in call(client, "GET", f"/api/v1/processes/{water['id']}/rounds")
        if r["phase"] == "voting"
    )
    names = [o["name"] for o in voting["slate"]]
    for code, chosen in zip(codes, ([names[0]], [names[0], names[2]]), strict=False):
        ballot = {"kind": "approval", "approved": chosen}
        call(
            client,
            "POST",
            f"/api/v1/rounds/{voting['id']}/ballots",
            {"code": code, "key": secrets.token_urlsafe(16), "ballot": ballot},
        )
    ids = [o["proposal_id"] for o in voting["slate"]]
    talk = call(
        client,
        "POST",
        f"/api/v1/processes/{water['id']}/rounds",
        {"title": "施工时间", "method": "irv", "proposal_ids": ids},
    )
    call(client, "POST", f"/api/v1/rounds/{talk['id']}/phase", {"to": "commenting"})
    for option, stance, body, speaker in COMMENTS:
        comment = {"stance": stance, "body": body, "speaker": speaker}
        if option is not None:
            comment["proposal_id"] = ids[option]
        call(client, "POST", f"/api/v1/rounds/{talk['id']}/comments", comment)
    return {"commenting": talk["id"], "voting": voting["id"]}


def first_screen(page: Page, selector: str) -> bool:
    """Whether ``selector`` begins within the first screen of the page."""
    top = page.evaluate(
        "(s) => document.querySelector(s).getBoundingClientRect().top + window.scrollY", selector
    )
    return float(top) < page.viewport_size["height"] - 80 if page.viewport_size else False


def main(argv: list[str]) -> int:
    whole = argv[:1] == ["--whole"]
    out = Path(argv[1]) if whole and len(argv) > 1 else OUT
    out.mkdir(parents=True, exist_ok=True)
    quiet()
    failed = []
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'demo.sqlite3'}"
        upgrade(url)
        settings = Settings(database_url=url, secret_key=secrets.token_hex(32))
        lines = load_demo(settings)
        codes = [line.strip() for line in lines if line.startswith("  ") and "-" in line]
        codes = [c for c in codes if len(c) == 11]
        server, base = serve(settings)
        try:
            client = api(base)
            shown = rounds_to_show(client, codes)
            client.close()
            with sync_playwright() as driver:
                browser = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                for screen, (width, height) in SCREENS.items():
                    page = browser.new_page(viewport={"width": width, "height": height})
                    page.goto(f"{base}/console/login?next=/console")
                    page.fill("#username", "zhuchi")
                    page.fill("#password", PASSWORD)
                    page.click("form button[type=submit]")
                    page.wait_for_url(f"{base}/console")
                    for phase, round_id in shown.items():
                        page.goto(f"{base}/console/rounds/{round_id}")
                        path = out / f"console-round-{phase}-{screen}.png"
                        page.screenshot(path=str(path), full_page=whole)
                        seen = first_screen(page, NEEDED[phase])
                        print(f"{path}: {NEEDED[phase]} on the first screen: {seen}")
                        if not seen:
                            failed.append(path.name)
                    page.close()
                browser.close()
        finally:
            server.should_exit = True
            time.sleep(0.5)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
