"""The community's household roll in the browser, on every database: a grid worker's CSV
saved by Excel in GBK, with full-width digits and stray spaces, is chosen in the console's
import form; the preview lists every line by number — new, or refused with the reason —
and nothing is written until the facilitator confirms; then the roll lists the households
as rounds will use them."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.db import models
from tests.e2e.helpers import Server, axe_violations, set_up_meeting, shot, sign_in

DESK = {"width": 1280, "height": 800}
ROLL = (
    "楼栋,单元,户号,户主,网格\r\n"
    "３号楼,２,１０１,王建国,\r\n"
    " 3 , 2单元 , 102 ,李 梅,\r\n"
    "3,2,,缺户号,\r\n"
    "3栋,2,0102,,\r\n"
)


def roll_labels(server: Server, community_id: int) -> list[str]:
    async def work(db: AsyncSession) -> list[str]:
        found = await db.scalars(
            select(models.CommunityHousehold.label)
            .where(models.CommunityHousehold.community_id == community_id)
            .order_by(models.CommunityHousehold.label)
        )
        return list(found.all())

    return server.db(work)


def test_a_roll_csv_is_previewed_then_imported(
    browser: Browser, server: Server, backend: str, artefacts: Path
) -> None:
    meeting = set_up_meeting(server, f"{backend}-roll")
    context = browser.new_context(viewport=DESK, locale="zh-CN")
    page = context.new_page()
    roll_page = f"/console/communities/{meeting.community_id}/households"
    sign_in(page, server, meeting.facilitator, roll_page)
    expect(page.locator("#roll-empty")).to_be_visible()

    page.set_input_files(
        "#roll-file",
        files=[{"name": "户册.csv", "mimeType": "text/csv", "buffer": ROLL.encode("gb18030")}],
    )
    page.click("#roll-preview")
    expect(page.locator("#roll-previewed")).to_be_visible()
    lines = page.locator("tr.roll-line")
    expect(lines).to_have_count(4)
    expect(page.locator('tr[data-line="2"]')).to_contain_text("3号楼2单元101")
    expect(page.locator('tr[data-line="2"]')).to_contain_text("新增")
    expect(page.locator('tr[data-line="3"]')).to_contain_text("李 梅")
    expect(page.locator('tr[data-line="4"]')).to_contain_text("没有户号")
    expect(page.locator('tr[data-line="5"]')).to_contain_text("可能是同一户")
    assert roll_labels(server, meeting.community_id) == []  # a preview writes nothing
    shot(page, artefacts, "roll-import-preview", backend)
    assert axe_violations(page) == []

    page.click("#roll-apply")
    expect(page.locator("#roll-applied")).to_be_visible()
    assert roll_labels(server, meeting.community_id) == ["3号楼2单元101"]

    page.click("#roll-back")
    page.wait_for_url(server.url(roll_page))
    expect(page.locator("#roll-counts")).to_contain_text("共1户")
    expect(page.locator(".roll-label")).to_have_text(["3号楼2单元101"])
    assert axe_violations(page) == []
    context.close()
