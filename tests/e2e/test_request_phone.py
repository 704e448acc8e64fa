"""A grid worker logs a request on a phone (390×844) in a real browser: signs in and lands
on the community's requests, opens the form, types what and where, picks the grid and a
category button, attaches a photo, sends it, and sees it listed under 待分办 with its
category; its page shows the photo. SQLite only: the service tests walk the same requests
on both databases. With ``REDBENCH_SCREENSHOTS=1`` the form, as the phone shows it, is saved
to ``docs/images/request-phone-390x844.png``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import Community, Grid
from tests.e2e.helpers import Server, axe_violations
from tests.support.app import PASSWORD, make_staff
from tests.support.phone_photos import phone_photo

PHONE = {"width": 390, "height": 844}
DOCS_IMAGE = Path(__file__).resolve().parents[2] / "docs" / "images" / "request-phone-390x844.png"


def community_with_worker(server: Server) -> tuple[int, int]:
    async def work(db: AsyncSession) -> tuple[int, int]:
        # the browser tests share one database: another module may have made 杜集社区
        duji = await db.scalar(select(Community).where(Community.name == "杜集社区"))
        if duji is None:
            duji = Community(name="杜集社区")
            db.add(duji)
            await db.flush()
        grid = await db.scalar(
            select(Grid).where(Grid.community_id == duji.id, Grid.name == "第三网格")
        )
        if grid is None:
            grid = Grid(community_id=duji.id, name="第三网格")
            db.add(grid)
        await db.commit()
        await make_staff(
            db, "grid_worker", "wang-phone", community_id=duji.id, display_name="王网格员"
        )
        return duji.id, grid.id

    return server.db(work)


@pytest.mark.backends("sqlite")
def test_a_grid_worker_logs_a_request_on_a_phone(
    browser: Browser, server: Server, tmp_path: Path, backend: str
) -> None:
    community_id, grid_id = community_with_worker(server)
    photo = tmp_path / "IMG_0007.JPG"
    photo.write_bytes(phone_photo(800, 600))
    phone = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    phone.goto(server.url("/console/login"))
    phone.fill("#username", "wang-phone")
    phone.fill("#password", PASSWORD)
    phone.click("form button[type=submit]")
    phone.wait_for_url(server.url("/console/requests"))  # the grid worker's home

    phone.click("#log-new")
    form = phone.locator("#new-request")
    expect(form).to_be_visible()
    assert phone.locator("#r-photo").get_attribute("capture") == "environment"
    phone.fill("#r-body", "3号楼东侧路口下雨积水，老人出行不便")
    phone.fill("#r-place", "3号楼东侧路口")
    phone.select_option("#r-grid", str(grid_id))
    form.get_by_text("排水", exact=True).click()
    expect(form.locator("input[name=category][value=drainage]")).to_be_checked()
    phone.set_input_files("#r-photo", str(photo))
    phone.fill("#r-raised-by", "张阿姨")
    # one column that fits the phone: nothing wider than the screen, large targets
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert phone.locator("#r-submit").bounding_box()["height"] >= 44  # type: ignore[index]
    assert axe_violations(phone) == []
    if os.environ.get("REDBENCH_SCREENSHOTS") == "1":
        phone.locator("#r-body").focus()
        phone.evaluate("window.scrollTo(0, 0)")
        phone.screenshot(path=str(DOCS_IMAGE))

    phone.click("#r-submit")
    phone.wait_for_url(f"**/console/requests?community={community_id}#request-*")
    waiting = phone.locator("#stage-open .request-row")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("3号楼东侧路口下雨积水")
    expect(waiting).to_contain_text("排水")
    waiting.locator("a").click()
    expect(phone.locator("#request-stage")).to_have_text("待分办")
    expect(phone.locator("#raised-by")).to_have_text("张阿姨")
    shown = phone.locator("img.request-photo")
    expect(shown).to_have_count(1)
    assert shown.evaluate("img => img.complete && img.naturalWidth") == 600  # upright, served
