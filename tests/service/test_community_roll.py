"""The community's household roll: the grid workers' CSV (UTF-8 with or without BOM, GBK,
full-width digits and stray spaces) previewed line by line and then applied, refused lines
reported with their reasons, edits by hand, and a household round issuing its codes from
the roll."""

from __future__ import annotations

import time

from sqlalchemy import select

from service.db.models import AuditEvent, CommunityHousehold, Grid, Household
from tests.support.roll import community_of, import_roll, roll_csv
from tests.support.rounds import make_round


async def _community(db) -> int:
    round_id = await make_round(db, household_roll=True, phase="scheduled")
    community_id = await community_of(db, round_id)
    db.add(Grid(community_id=community_id, name="第三网格"))
    await db.commit()
    return community_id


FILE = (
    "３号楼,２,１０１,王建国,第三网格",  # full-width digits
    " 3 , 2 单元 , 102 ,李 梅 , 第三网格 ",  # spaces everywhere
    "3号楼,2单元,201,,",
    "5,1,301,赵强,第九网格",  # no such grid
    "5,1,,钱多,",  # no flat
    "3,2,１０１,王建国二,",  # the first line again
    "7栋,,0808,孙丽,",
    "3栋,2,0201,,",  # the numbers of line 4 written another way
    ",,,,",  # blank: skipped
)


async def test_a_roll_file_is_previewed_then_applied(client, db, staff):
    community_id = await _community(db)
    data = roll_csv(*FILE, bom=True)
    preview = await import_roll(client, staff["secretary"], community_id, data, dry_run=True)
    assert preview.status_code == 200, preview.text
    report = preview.json()
    by_line = {x["line"]: x for x in report["lines"]}
    assert sorted(by_line) == [2, 3, 4, 5, 6, 7, 8, 9]  # line 10 is blank
    assert by_line[2]["label"] == "3号楼2单元101"
    assert by_line[3]["label"] == "3号楼2单元102"
    assert by_line[3]["head"] == "李 梅"
    assert by_line[5] | {"with_lines": []} == by_line[5]
    assert (by_line[5]["status"], by_line[5]["reason"]) == ("refused", "unknown-grid")
    assert (by_line[6]["status"], by_line[6]["reason"]) == ("refused", "missing-flat")
    assert (by_line[2]["status"], by_line[2]["reason"]) == ("refused", "duplicate")
    assert (by_line[7]["reason"], by_line[7]["with_lines"]) == ("duplicate", [2])
    assert (by_line[4]["reason"], by_line[9]["reason"]) == ("look-alike", "look-alike")
    assert by_line[9]["with_lines"] == [4]
    assert by_line[8]["status"] == "new"
    assert (report["new"], report["refused"], report["applied"]) == (2, 6, False)
    assert (await db.scalars(select(CommunityHousehold))).all() == []

    applied = await import_roll(client, staff["grid_worker"], community_id, data, dry_run=False)
    assert applied.status_code == 200, applied.text
    assert (applied.json()["new"], applied.json()["applied"]) == (2, True)
    roll = (
        await client.get(
            f"/api/v1/communities/{community_id}/households", headers=staff["facilitator"]
        )
    ).json()
    assert [h["label"] for h in roll["households"]] == ["3号楼2单元102", "7栋0808"]
    assert roll["total"] == roll["active"] == 2
    grid_of = {h["label"]: h["grid"] for h in roll["households"]}
    assert grid_of["3号楼2单元102"] == "第三网格"
    event = await db.scalar(select(AuditEvent).where(AuditEvent.action == "roll.imported"))
    assert event.detail == {"new": 2, "changed": 0, "unchanged": 0, "refused": 6}

    again = await import_roll(client, staff["secretary"], community_id, data, dry_run=True)
    assert again.json()["unchanged"] == 2
    assert again.json()["new"] == 0


async def test_a_gbk_file_with_english_headers_reads(client, db, staff):
    community_id = await _community(db)
    data = roll_csv(
        "１号楼,１单元,１０１,张三,第三网格",
        "1号楼,1单元,102,李四,",
        header="Building, Unit ,FLAT,head,grid",
        encoding="gb18030",
    )
    answer = await import_roll(client, staff["admin"], community_id, data, dry_run=False)
    assert answer.status_code == 200, answer.text
    assert [(x["label"], x["head"]) for x in answer.json()["lines"]] == [
        ("1号楼1单元101", "张三"),
        ("1号楼1单元102", "李四"),
    ]
    heads = set((await db.scalars(select(CommunityHousehold.head))).all())
    assert heads == {"张三", "李四"}
    base = f"/api/v1/communities/{community_id}/households"
    first = (await client.get(f"{base}?q=张三", headers=staff["admin"])).json()["households"][0]
    off = await client.patch(
        f"{base}/{first['id']}", json={"active": False}, headers=staff["secretary"]
    )
    assert off.status_code == 200
    again = roll_csv("1,1,101,,", "1,1,102,李四新,", "1,1,103,,", header="building,unit,flat,head")
    report = (await import_roll(client, staff["admin"], community_id, again, dry_run=False)).json()
    assert [x["status"] for x in report["lines"]] == ["changed", "changed", "new"]
    roll = (await client.get(base, headers=staff["admin"])).json()
    assert (roll["total"], roll["active"]) == (3, 3)
    assert {h["head"] for h in roll["households"]} == {"张三", "李四新", ""}


async def test_a_file_without_its_columns_is_refused_in_words(client, db, staff):
    community_id = await _community(db)
    answer = await import_roll(
        client,
        staff["secretary"],
        community_id,
        roll_csv("1,101", header="姓名,电话"),
        dry_run=True,
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid"
    assert "楼栋" in answer.json()["message_zh"]
    bad = await import_roll(
        client, staff["secretary"], community_id, b"\xff\xfe\x00\xd8", dry_run=True
    )
    assert bad.status_code == 422


async def test_a_household_is_added_edited_and_taken_off(client, db, staff):
    community_id = await _community(db)
    base = f"/api/v1/communities/{community_id}/households"
    made = await client.post(
        base,
        json={"building": "９", "unit": "1", "flat": "1 01", "grid": "第三网格"},
        headers=staff["grid_worker"],
    )
    assert made.status_code == 201, made.text
    assert made.json()["label"] == "9号楼1单元101"
    twice = await client.post(
        base, json={"building": "9号楼", "unit": "1单元", "flat": "101"}, headers=staff["secretary"]
    )
    assert twice.status_code == 409
    assert twice.json()["code"] == "roll-household-exists"
    unknown = await client.post(
        base, json={"building": "9", "flat": "102", "grid": "无此网格"}, headers=staff["secretary"]
    )
    assert unknown.status_code == 422
    hid = made.json()["id"]
    changed = await client.patch(
        f"{base}/{hid}", json={"head": "周红", "active": False}, headers=staff["facilitator"]
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["head"], changed.json()["active"]) == ("周红", False)
    listed = (await client.get(f"{base}?building=9", headers=staff["secretary"])).json()
    assert (listed["total"], listed["active"]) == (1, 0)
    gone = await client.patch(f"{base}/999999", json={"head": "x"}, headers=staff["facilitator"])
    assert gone.status_code == 404


async def test_a_household_round_issues_codes_from_the_roll(client, db, staff):
    round_id = await make_round(db, household_roll=True, phase="voting")
    community_id = await community_of(db, round_id)
    db.add(Grid(community_id=community_id, name="第三网格"))
    await db.commit()
    data = roll_csv("3,2,101,,第三网格", "3,2,102,,第三网格", "5,1,101,,", "5,1,102,,")
    assert (
        await import_roll(client, staff["secretary"], community_id, data, dry_run=False)
    ).status_code == 200
    url = f"/api/v1/rounds/{round_id}/codes"
    first = await client.post(
        url, json={"from_roll": True, "grids": ["第三网格"]}, headers=staff["facilitator"]
    )
    assert first.status_code == 201, first.text
    assert [c["household"] for c in first.json()["codes"]] == ["3号楼2单元101", "3号楼2单元102"]
    rest = await client.post(url, json={"from_roll": True}, headers=staff["facilitator"])
    assert rest.status_code == 201, rest.text
    assert [c["household"] for c in rest.json()["codes"]] == ["5号楼1单元101", "5号楼1单元102"]
    labels = set(
        (await db.scalars(select(Household.label).where(Household.round_id == round_id))).all()
    )
    assert len(labels) == 4
    none_left = await client.post(url, json={"from_roll": True}, headers=staff["facilitator"])
    assert none_left.status_code == 409
    assert none_left.json()["code"] == "roll-none-left"
    by_building = await client.post(
        url, json={"from_roll": True, "buildings": ["5"]}, headers=staff["facilitator"]
    )
    assert by_building.status_code == 409
    plain = await make_round(db, household_roll=False)
    refused = await client.post(
        f"/api/v1/rounds/{plain}/codes", json={"from_roll": True}, headers=staff["facilitator"]
    )
    assert refused.status_code == 422


async def test_twenty_thousand_copies_of_one_line_preview_fast_and_small(client, db, staff):
    """One household written 20,000 times (120 KB) is read in linear time: each refused
    line names at most ten of the others and counts the rest."""
    community_id = await _community(db)
    data = roll_csv(*(["3,2,101,,"] * 20000))
    started = time.monotonic()
    answer = await import_roll(client, staff["secretary"], community_id, data, dry_run=True)
    took = time.monotonic() - started
    assert answer.status_code == 200, answer.text[:300]
    assert took < 10, took  # quadratic, it ran for hours
    assert len(answer.content) < 5_000_000
    lines = answer.json()["lines"]
    assert len(lines) == 20000
    assert all(x["reason"] == "duplicate" for x in lines)
    assert max(len(x["with_lines"]) for x in lines) == 10
    assert (lines[0]["with_lines"], lines[0]["with_more"]) == (list(range(3, 13)), 19989)
    assert (lines[5]["with_lines"], lines[5]["with_more"]) == (
        [2, 3, 4, 5, 6, 8, 9, 10, 11, 12],
        19989,
    )
    assert (lines[-1]["with_lines"], lines[-1]["with_more"]) == (list(range(2, 12)), 19989)


async def test_a_short_duplicate_group_names_every_line(client, db, staff):
    community_id = await _community(db)
    data = roll_csv("3,2,101,,", "3,2,101,,", "3,2,101,,")
    answer = await import_roll(client, staff["secretary"], community_id, data, dry_run=True)
    shown = [(x["with_lines"], x["with_more"]) for x in answer.json()["lines"]]
    assert shown == [([3, 4], 0), ([2, 4], 0), ([2, 3], 0)]


async def test_a_field_too_large_for_csv_is_unreadable_not_a_crash(client, db, staff):
    community_id = await _community(db)
    data = roll_csv("3,2," + "1" * 140_000 + ",,")
    answer = await import_roll(client, staff["secretary"], community_id, data, dry_run=True)
    assert answer.status_code == 422, answer.text[:300]
    assert answer.json()["code"] == "invalid"
    assert "户册文件无法读取" in answer.json()["message_zh"]


async def test_a_file_over_the_line_cap_is_refused_in_words(client, db, staff):
    community_id = await _community(db)
    data = roll_csv(*(f"3,2,{n},," for n in range(20001)))
    answer = await import_roll(client, staff["secretary"], community_id, data, dry_run=True)
    assert answer.status_code == 422, answer.text[:300]
    assert "最多20000行" in answer.json()["message_zh"]
