"""The console's roll page (import a CSV with a preview, then confirm; add; edit; take
off), issuing a household round's codes from the roll on the round page, and the round
page's proxies section (record, revoke, the limit)."""

from __future__ import annotations

import re

from sqlalchemy import select

from service.db.models import CommunityHousehold, Grid, Household, Proxy
from tests.support.pages import post_form, token_from, use_session
from tests.support.roll import community_of, roll_csv
from tests.support.rounds import make_round

CONTENT = re.compile(r'name="content" value="([^"]*)"')


async def test_import_preview_then_apply_on_the_page(client, db, staff):
    round_id = await make_round(db, household_roll=True)
    community_id = await community_of(db, round_id)
    db.add(Grid(community_id=community_id, name="第三网格"))
    await db.commit()
    use_session(client, staff["grid_worker"])
    page = f"/console/communities/{community_id}/households"
    token = await token_from(client, page)
    data = roll_csv("３,２,１０１,王建国,第三网格", "3,2,102,,", "3,2,,缺户号,", encoding="gb18030")
    preview = await client.post(
        f"{page}/import",
        data={"_csrf_token": token},
        files=[("file", ("户册.csv", data, "text/csv"))],
    )
    assert preview.status_code == 200, preview.text[:500]
    assert 'data-status="refused"' in preview.text
    assert "没有户号" in preview.text
    assert (await db.scalars(select(CommunityHousehold))).all() == []
    content = CONTENT.search(preview.text)
    assert content
    applied = await client.post(
        f"{page}/import",
        data={"_csrf_token": token, "content": content.group(1), "apply": "1"},
        files=[("file", ("", b"", "application/octet-stream"))],
    )
    assert applied.status_code == 200, applied.text[:500]
    assert 'id="roll-applied"' in applied.text
    labels = set((await db.scalars(select(CommunityHousehold.label))).all())
    assert labels == {"3号楼2单元101", "3号楼2单元102"}
    listed = await client.get(page)
    assert "3号楼2单元101" in listed.text
    assert "王建国" in listed.text
    found = await client.get(f"{page}?q=王建国")
    assert "3号楼2单元102" not in found.text


async def test_add_edit_and_issue_from_the_roll_on_the_pages(client, db, staff):
    round_id = await make_round(db, household_roll=True)
    community_id = await community_of(db, round_id)
    use_session(client, staff["facilitator"])
    page = f"/console/communities/{community_id}/households"
    token = await token_from(client, page)
    for flat in ("101", "102"):
        added = await post_form(
            client,
            page,
            {"building": "8", "unit": "1", "flat": flat, "head": "", "grid": ""},
            token=token,
            follow_redirects=False,
        )
        assert added.status_code in (302, 303), added.text[:300]
    row = await db.scalar(select(CommunityHousehold).where(CommunityHousehold.flat == "102"))
    off = await post_form(
        client,
        f"{page}/{row.id}",
        {"building": "8号楼", "unit": "1单元", "flat": "102", "head": "周红", "grid": ""},
        token=token,
        follow_redirects=False,
    )
    assert off.status_code in (302, 303)
    await db.refresh(row)
    assert (row.head, row.active) == ("周红", False)
    round_page = await client.get(f"/console/rounds/{round_id}")
    assert 'id="roll-issue-form"' in round_page.text
    issued = await post_form(
        client,
        f"/console/rounds/{round_id}/codes",
        {"from_roll": "1", "buildings": "8", "grids": ""},
        token=token,
        follow_redirects=False,
    )
    assert issued.status_code == 303, issued.text[:500]
    labels = (await db.scalars(select(Household.label).where(Household.round_id == round_id))).all()
    assert labels == ["8号楼1单元101"]  # 102 is off the roll


async def test_proxies_on_the_round_page(client, db, staff):
    round_id = await make_round(db, household_roll=True, phase="scheduled")
    use_session(client, staff["secretary"])
    issued = await client.post(
        f"/api/v1/rounds/{round_id}/codes",
        json={"households": ["1号楼101", "1号楼102"]},
        headers=staff["facilitator"],
    )
    assert issued.status_code == 201
    use_session(client, staff["facilitator"])
    token = await token_from(client, f"/console/rounds/{round_id}/proxies")
    limit = await post_form(
        client,
        f"/console/rounds/{round_id}/proxy-limit",
        {"limit": "2"},
        token=token,
        follow_redirects=False,
    )
    assert limit.status_code in (302, 303), limit.text[:300]
    recorded = await client.post(
        f"/console/rounds/{round_id}/proxies",
        data={
            "_csrf_token": token,
            "grantor": "1号楼101",
            "holder_name": "王芳",
            "holder_label": "",
            "serial": "第017号",
            "signed_on": "2026-12-01",
        },
        files=[("photo", ("", b"", "application/octet-stream"))],
        follow_redirects=False,
    )
    assert recorded.status_code in (302, 303), recorded.text[:500]
    assert recorded.headers["location"] == f"/console/rounds/{round_id}/proxies"
    screen = await client.get(f"/console/rounds/{round_id}")
    assert 'id="proxies"' in screen.text
    assert f'href="/console/rounds/{round_id}/proxies"' in screen.text
    for private in ("王芳", "第017号", "1号楼101", "proxy-form"):
        assert private not in screen.text  # the meeting's screen shows the counts only
    shown = await client.get(f"/console/rounds/{round_id}/proxies")
    assert shown.status_code == 200
    assert "王芳" in shown.text
    assert "每位受托人本轮最多接受2份委托" in shown.text
    assert "委托书照片在本轮公布结果时删除" in shown.text
    use_session(client, staff["secretary"])
    assert (await client.get(f"/console/rounds/{round_id}/proxies")).status_code == 200
    use_session(client, staff["facilitator"])
    proxy = await db.scalar(select(Proxy))
    revoked = await post_form(
        client,
        f"/console/rounds/{round_id}/proxies/{proxy.id}/revoke",
        {"reason": "户主本人到场"},
        token=token,
        follow_redirects=False,
    )
    assert revoked.status_code in (302, 303)
    await db.refresh(proxy)
    assert proxy.revoke_reason == "户主本人到场"
    refused = await client.post(
        f"/console/rounds/{round_id}/proxies",
        data={"_csrf_token": token, "grantor": "1号楼102", "holder_name": "甲", "signed_on": ""},
        files=[("photo", ("", b"", "application/octet-stream"))],
    )
    assert refused.status_code == 422
    assert "签署日期" in refused.text


async def test_a_long_duplicate_group_is_named_in_part_on_the_preview(client, db, staff):
    round_id = await make_round(db, household_roll=True)
    community_id = await community_of(db, round_id)
    use_session(client, staff["grid_worker"])
    page = f"/console/communities/{community_id}/households"
    token = await token_from(client, page)
    data = roll_csv(*(["3,2,101,,"] * 14))
    preview = await client.post(
        f"{page}/import",
        data={"_csrf_token": token},
        files=[("file", ("户册.csv", data, "text/csv"))],
    )
    assert preview.status_code == 200, preview.text[:500]
    assert "与第3、4、5、6、7、8、9、10、11、12行是同一户（另有 3 行，未一一列出）" in preview.text


async def test_no_proxies_page_outside_a_household_round(client, db, staff):
    round_id = await make_round(db)
    use_session(client, staff["facilitator"])
    missing = await client.get(f"/console/rounds/{round_id}/proxies")
    assert missing.status_code == 404
    assert "没有委托代投页面" in missing.text
