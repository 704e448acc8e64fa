"""A bench meeting over HTTP, on every database: planned with a process's round on its
agenda, attendance counted, the round commented on, voted and counted with the rounds'
helpers, the meeting held, its minutes drafted from what it produced (the speakers and the
result) and saved, and the printed record and sign-in sheet holding all of it; the
refusals; a facilitator of another community kept out."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from litestar.datastructures import UploadFile
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from service.db import models
from service.db.street import Meeting, Photo, SiteSurvey
from service.photos.uploads import chosen_files
from tests.support.app import make_staff, ok
from tests.support.documents import pdf_text, png
from tests.support.pages import post_form, use_session
from tests.support.rounds import cast, ensure_phone_window, issue, new_round, ranked, to_phase


async def plan(client: Any, headers: dict[str, str], community_id: int, **fields: Any) -> Any:
    body = {
        "kind": "deliberation",
        "title": "口袋公园议事会",
        "place": "3号楼前小广场",
        "starts_at": datetime.now(UTC).isoformat(),
        **fields,
    }
    return await client.post(
        f"/api/v1/communities/{community_id}/meetings", json=body, headers=headers
    )


async def community_of(db: Any, process_id: int) -> int:
    found = await db.scalar(
        select(models.Process.community_id).where(models.Process.id == process_id)
    )
    assert found is not None
    return int(found)


async def test_a_meeting_from_agenda_to_signed_record(client, staff, db, park, tmp_path):
    facilitator = staff["facilitator"]
    community = await community_of(db, park.process)
    meeting = await ok(await plan(client, facilitator, community), 201)
    mid = meeting["id"]
    assert (meeting["status"], meeting["facilitator"]) == ("planned", "facilitator 测试")

    made = await new_round(client, facilitator, park.process, park.proposals[:3])
    rid = made["id"]
    agenda = await ok(
        await client.post(
            f"/api/v1/meetings/{mid}/items", json={"round_id": rid}, headers=facilitator
        ),
        201,
    )
    assert agenda[0]["process_id"] == park.process  # taken from the round
    agenda = await ok(
        await client.post(
            f"/api/v1/meetings/{mid}/items",
            json={"note": "通报上月诉求办理情况"},
            headers=facilitator,
        ),
        201,
    )
    order = [agenda[1]["id"], agenda[0]["id"]]
    agenda = await ok(
        await client.put(
            f"/api/v1/meetings/{mid}/agenda", json={"order": order}, headers=facilitator
        )
    )
    assert [(i["position"], i["note"]) for i in agenda] == [(1, "通报上月诉求办理情况"), (2, "")]
    round_item = agenda[1]["id"]

    counts = {"party_member": 5, "representative": 8, "resident": 12}
    attendance = await ok(
        await client.put(
            f"/api/v1/meetings/{mid}/attendance",
            json={"counts": counts, "names": [{"name": "王大妈", "category": "elder"}]},
            headers=facilitator,
        )
    )
    assert attendance["total"] == 25
    assert attendance["counts"]["elder"] == 0  # every category, zeros too

    await ok(await to_phase(client, facilitator, rid, "commenting"))
    for speaker, body in (("王大妈", "滑梯要装在树荫下"), ("李师傅", "先修路"), ("王大妈", "同意")):
        await ok(
            await client.post(
                f"/api/v1/rounds/{rid}/comments",
                json={"stance": "support", "body": body, "speaker": speaker},
                headers=facilitator,
            ),
            201,
        )
    await ok(await to_phase(client, facilitator, rid, "voting"))
    await ensure_phone_window(client, facilitator, rid)
    names = ["儿童游乐设施", "健康监测站", "文化墙"]
    # 3 first preferences for 儿童游乐设施, 2 for 健康监测站: a majority at once
    ballots = [names, names, names, names[1:] + names[:1], names[1:] + names[:1]]
    for code, order in zip(await issue(client, facilitator, rid, 5), ballots, strict=True):
        await ok(await cast(client, rid, code, ranked(*order)), 201)
    await ok(await to_phase(client, facilitator, rid, "closed"))

    await ok(await client.post(f"/api/v1/meetings/{mid}/held", json={}, headers=facilitator))
    await ok(
        await client.patch(
            f"/api/v1/meetings/{mid}/items/{round_item}",
            json={"decision": "先建儿童游乐设施", "follow_up": "物业下周报价"},
            headers=facilitator,
        )
    )
    refused = await client.patch(
        f"/api/v1/meetings/{mid}", json={"place": "活动室"}, headers=facilitator
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "meeting-not-planned")

    draft = await ok(await client.get(f"/api/v1/meetings/{mid}/minutes/draft", headers=facilitator))
    assert draft["speakers"] == [
        {"name": "王大妈", "comments": 2},
        {"name": "李师傅", "comments": 1},
    ]
    assert draft["rounds"][0]["winners"] == "儿童游乐设施"
    for said in (
        "王大妈（2 次）、李师傅（1 次）",
        "投票结果：儿童游乐设施",
        "决定：先建儿童游乐设施",
        "党员 5 人、居民代表 8 人、其他居民 12 人，共 25 人",
    ):
        assert said in draft["text"], said
    minutes = draft["text"] + "\n补充：下次会议请物业到场。"
    saved = await ok(
        await client.put(
            f"/api/v1/meetings/{mid}/minutes", json={"minutes": minutes}, headers=facilitator
        )
    )
    assert saved["minutes"] == minutes
    photo = await ok(
        await client.post(
            f"/api/v1/meetings/{mid}/photos",
            files={"photos": ("bench.png", png(), "image/png")},
            data={"caption": "居民在小广场投票"},
            headers=facilitator,
        ),
        201,
    )
    image = await client.get(photo[0]["url"], headers=staff["grid_worker"])
    assert (image.status_code, image.headers["content-type"]) == (200, "image/jpeg")

    record = await client.get(f"/api/v1/meetings/{mid}/record", headers=staff["secretary"])
    assert record.status_code == 200, record.text
    assert f"meeting-{mid}-record.pdf" in record.headers["content-disposition"]
    said = pdf_text(record.content, tmp_path).replace("\n", " ")
    for shown in (
        "会议记录",
        "口袋公园议事会",
        "（北京时间）",
        "党员",
        "25",
        "投票结果",
        "儿童游乐设施",
        "先建儿童游乐设施",
        "下次会议请物业到场",
        "居民在小广场投票",
        "主持人",
        "记录人",
        "居民代表",
        "日期",
    ):
        assert shown in said, shown
    sheet = await client.get(f"/api/v1/meetings/{mid}/sign-in-sheet", headers=facilitator)
    assert sheet.status_code == 200, sheet.text
    printed = pdf_text(sheet.content, tmp_path)
    for shown in ("签到表", "口袋公园议事会", "3号楼前小广场", "姓名", "类别", "签名", "44"):
        assert shown in printed, shown
    english = await client.get(f"/api/v1/meetings/{mid}/record?lang=en", headers=facilitator)
    assert "Facilitator" in pdf_text(english.content, tmp_path)


async def test_refusals(client, staff, db, park):
    facilitator = staff["facilitator"]
    community = await community_of(db, park.process)
    mid = (await ok(await plan(client, facilitator, community), 201))["id"]
    elsewhere = models.Community(name="青年路社区")
    db.add(elsewhere)
    await db.flush()
    other = models.Process(community_id=elsewhere.id, title="河边护栏")
    db.add(other)
    await db.commit()
    other_round = await new_round(client, facilitator, other.id, [])
    cases = [
        (
            "post",
            f"/api/v1/meetings/{mid}/items",
            {"round_id": other_round["id"]},
            422,
            "agenda-item-elsewhere",
        ),
        (
            "post",
            f"/api/v1/meetings/{mid}/items",
            {"process_id": other.id},
            422,
            "agenda-item-elsewhere",
        ),
        ("post", f"/api/v1/meetings/{mid}/items", {}, 422, "agenda-item-empty"),
        (
            "put",
            f"/api/v1/meetings/{mid}/attendance",
            {"counts": {"resident": -1}},
            400,
            "invalid-request",
        ),
        (
            "put",
            f"/api/v1/meetings/{mid}/attendance",
            {"counts": {"tourist": 3}},
            400,
            "invalid-request",
        ),
        (
            "post",
            f"/api/v1/meetings/{mid}/held",
            {"reached": 40},
            422,
            "reached-not-for-deliberation",
        ),
    ]
    for method, path, body, status, code in cases:
        answer = await client.request(method, path, json=body, headers=facilitator)
        assert (answer.status_code, answer.json()["code"]) == (status, code), (path, answer.text)
    naive = await plan(client, facilitator, community, starts_at="2026-12-05T19:00:00")
    assert (naive.status_code, naive.json()["code"]) == (422, "meeting-time-needs-offset")
    not_image = await client.post(
        f"/api/v1/meetings/{mid}/photos",
        files={"photos": ("notes.png", "这不是照片".encode(), "image/png")},
        headers=facilitator,
    )
    assert (not_image.status_code, not_image.json()["code"]) == (415, "unsupported-media-type")
    cancelled = await ok(
        await client.post(
            f"/api/v1/meetings/{mid}/cancel", json={"reason": "下大雨"}, headers=facilitator
        )
    )
    assert (cancelled["status"], cancelled["cancel_reason"]) == ("cancelled", "下大雨")
    late = await client.put(
        f"/api/v1/meetings/{mid}/attendance", json={"counts": {}}, headers=facilitator
    )
    assert (late.status_code, late.json()["code"]) == (409, "meeting-cancelled")


async def test_a_facilitator_of_another_community_is_kept_out(client, staff, db, park):
    community = await community_of(db, park.process)
    mid = (await ok(await plan(client, staff["facilitator"], community), 201))["id"]
    elsewhere = models.Community(name="青年路社区")
    db.add(elsewhere)
    await db.commit()
    outsider = await make_staff(db, "facilitator", "outsider", community_id=elsewhere.id)
    insider = await make_staff(db, "facilitator", "insider", community_id=community)
    for method, path in (
        ("GET", f"/api/v1/meetings/{mid}"),
        ("GET", f"/api/v1/meetings/{mid}/record"),
        ("PUT", f"/api/v1/meetings/{mid}/attendance"),
        ("GET", f"/api/v1/communities/{community}/meetings"),
        ("POST", f"/api/v1/communities/{community}/meetings"),
    ):
        answer = await client.request(method, path, json={"counts": {}}, headers=outsider)
        assert (answer.status_code, answer.json()["code"]) == (403, "forbidden"), (
            path,
            answer.text,
        )
    assert (await client.get(f"/api/v1/meetings/{mid}", headers=insider)).status_code == 200
    listed = await ok(
        await client.get(
            f"/api/v1/communities/{community}/meetings",
            params={"from": "2000-01-01", "to": "2000-01-31"},
            headers=insider,
        )
    )
    assert listed == []  # the meeting is today, not in January 2000


async def test_site_surveys(client, staff, park):
    secretary = staff["secretary"]
    survey = await ok(
        await client.post(
            f"/api/v1/processes/{park.process}/surveys",
            json={
                "surveyed_on": "2026-11-20",
                "surveyor": "市政设计院",
                "notes": "拐角空地雨后积水",
                "measurements": [{"label": "积水深度", "value": "0.3", "unit": "米"}],
            },
            headers=secretary,
        ),
        201,
    )
    photo = await ok(
        await client.post(
            f"/api/v1/surveys/{survey['id']}/photos",
            files={"photos": ("site.png", png(), "image/png")},
            headers=secretary,
        ),
        201,
    )
    listed = await ok(
        await client.get(f"/api/v1/processes/{park.process}/surveys", headers=staff["grid_worker"])
    )
    assert listed[0]["measurements"] == [{"label": "积水深度", "value": "0.3", "unit": "米"}]
    assert [p["id"] for p in listed[0]["photos"]] == [photo[0]["id"]]
    served = await client.get(photo[0]["url"], headers=secretary)
    assert served.status_code == 200
    stray = await client.get(
        f"/api/v1/surveys/{survey['id'] + 1}/photos/{photo[0]['id']}", headers=secretary
    )
    assert stray.status_code == 404
    future = await client.post(
        f"/api/v1/processes/{park.process}/surveys",
        json={"surveyed_on": "2999-01-01", "surveyor": "物业"},
        headers=secretary,
    )
    assert (future.status_code, future.json()["code"]) == (422, "survey-in-future")


async def test_the_console_plans_and_runs_a_meeting(client, staff, db, park):
    """The pages: a meeting planned today through the form (its time typed in 北京时间) is
    the first thing on the facilitator's home; its page takes the agenda, attendance, the
    minutes prefilled from the draft, and marking it held."""
    community = await community_of(db, park.process)
    use_session(client, staff["facilitator"])
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    made = await post_form(
        client,
        f"/console/meetings/communities/{community}",
        {
            "kind": "briefing",
            "title": "防溺水宣讲",
            "place": "百姓说事点",
            "on": today,
            "starts": "23:59",
            "topic": "暑期防溺水",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    path = made.headers["location"]
    mid = int(path.rsplit("/", 1)[1])
    shown = await ok(await client.get(f"/api/v1/meetings/{mid}", headers=staff["facilitator"]))
    starts = datetime.fromisoformat(shown["starts_at"]).astimezone(UTC)
    assert f"{starts:%H:%M}" == "15:59"  # 23:59 in Beijing
    home = (await client.get("/console")).text
    assert home.index("防溺水宣讲") < home.index("口袋公园建设方案")  # today's meeting first
    assert f'href="/console/meetings/{mid}"' in home

    steps = [
        (f"{path}/items", {"subject": f"process-{park.process}", "note": ""}),
        (f"{path}/items", {"subject": "", "note": "发放宣传册"}),
        (f"{path}/attendance", {"party_member": "4", "resident": "20"}),
    ]
    for target, form in steps:
        answer = await post_form(client, target, form, follow_redirects=False)
        assert answer.status_code == 303, answer.text
    agenda = await ok(await client.get(f"/api/v1/meetings/{mid}/items", headers=staff["admin"]))
    await post_form(client, f"{path}/items/{agenda[1]['id']}/up", {}, follow_redirects=False)
    page = (await client.get(path)).text
    assert "议程1：发放宣传册" in page  # moved up; the minutes' draft is prefilled
    assert "议程2：口袋公园建设方案" in page
    assert "党员 4 人、其他居民 20 人，共 24 人" in page
    assert f"/api/v1/meetings/{mid}/record" in page
    held = await post_form(client, f"{path}/held", {"reached": "60"}, follow_redirects=False)
    assert held.status_code == 303, held.text
    after = await ok(await client.get(f"/api/v1/meetings/{mid}", headers=staff["admin"]))
    assert (after["status"], after["reached"], after["attendance"]["total"]) == ("held", 60, 24)
    listed = (await client.get("/console/meetings")).text
    assert "防溺水宣讲" in listed
    assert "已召开" in listed


async def user_id(db: Any, username: str) -> int:
    found = await db.scalar(select(models.User.id).where(models.User.username == username))
    assert found is not None
    return int(found)


async def test_a_meeting_is_facilitated_by_an_active_facilitator_of_its_community(
    client, staff, db, park
):
    """Named as facilitator: an active facilitator or admin tied to the meeting's community
    or to none; one of another community, an inactive one or a secretary is refused."""
    community = await community_of(db, park.process)
    elsewhere = models.Community(name="青年路社区")
    db.add(elsewhere)
    await db.commit()
    await make_staff(db, "facilitator", "outsider", community_id=elsewhere.id)
    await make_staff(db, "facilitator", "insider", community_id=community)
    await make_staff(db, "facilitator", "untied")
    await make_staff(db, "facilitator", "gone", community_id=community)
    await make_staff(db, "secretary", "clerk", community_id=community)
    gone = await db.get(models.User, await user_id(db, "gone"))
    gone.active = False
    await db.commit()
    for name, code in (
        ("outsider", "meeting-facilitator-elsewhere"),
        ("gone", "meeting-facilitator-not"),
        ("clerk", "meeting-facilitator-not"),
    ):
        refused = await plan(
            client, staff["admin"], community, facilitator_id=await user_id(db, name)
        )
        assert (refused.status_code, refused.json()["code"]) == (422, code), name
        assert refused.json()["field"] == "facilitator_id"
    for name in ("insider", "untied"):
        named = await ok(
            await plan(client, staff["admin"], community, facilitator_id=await user_id(db, name)),
            201,
        )
        assert named["facilitator"] == "facilitator 测试"


async def test_the_console_counts_keep_the_names_recorded_through_the_api(client, staff, db, park):
    """Counts from the console's form leave the names sent through the API; an explicit
    empty list of names clears them."""
    facilitator = staff["facilitator"]
    community = await community_of(db, park.process)
    mid = (await ok(await plan(client, facilitator, community), 201))["id"]
    names = [{"name": "王阿姨", "category": "elder"}, {"name": "小李", "category": "resident"}]
    await ok(
        await client.put(
            f"/api/v1/meetings/{mid}/attendance",
            json={"counts": {"elder": 1, "resident": 1}, "names": names},
            headers=facilitator,
        )
    )
    use_session(client, facilitator)
    sent = await post_form(
        client,
        f"/console/meetings/{mid}/attendance",
        {"elder": "3", "resident": "12"},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    kept = await ok(await client.get(f"/api/v1/meetings/{mid}/attendance", headers=facilitator))
    assert (kept["total"], kept["names"]) == (15, names)
    cleared = await ok(
        await client.put(
            f"/api/v1/meetings/{mid}/attendance",
            json={"counts": {"elder": 3}, "names": []},
            headers=facilitator,
        )
    )
    assert (cleared["total"], cleared["names"]) == (3, [])


async def test_held_and_cancelled_by_the_app_clock_never_before_the_day(
    client, staff, db, park, clock
):
    """A meeting set for tomorrow (Beijing) is not held today (409), and is on the stroke of
    its day; held and cancelled times are the app clock's."""
    facilitator = staff["facilitator"]
    community = await community_of(db, park.process)
    beijing = ZoneInfo("Asia/Shanghai")
    midnight = datetime.combine(clock.now.astimezone(beijing).date(), time(), beijing)
    clock.now = (midnight - timedelta(minutes=30)).astimezone(UTC)  # 23:30 the day before
    starts = (midnight + timedelta(hours=9)).isoformat()
    tomorrow = await ok(await plan(client, facilitator, community, starts_at=starts), 201)
    early = await client.post(
        f"/api/v1/meetings/{tomorrow['id']}/held", json={}, headers=facilitator
    )
    assert (early.status_code, early.json()["code"]) == (409, "meeting-held-before-its-day")
    assert midnight.date().isoformat() in early.json()["message"]
    clock.advance(hours=1)  # 00:30 on the meeting's day in Beijing
    held = await ok(
        await client.post(f"/api/v1/meetings/{tomorrow['id']}/held", json={}, headers=facilitator)
    )
    assert held["status"] == "held"
    assert datetime.fromisoformat(held["held_at"]) == clock.now
    other = await ok(await plan(client, facilitator, community, starts_at=starts), 201)
    cancelled = await ok(
        await client.post(
            f"/api/v1/meetings/{other['id']}/cancel", json={"reason": "下大雨"}, headers=facilitator
        )
    )
    assert datetime.fromisoformat(cancelled["cancelled_at"]) == clock.now


async def test_a_photo_has_exactly_one_owner(db, park):
    """The ``photos`` table refuses a photo with no owner or with two (a CHECK)."""
    meeting = Meeting(
        community_id=await community_of(db, park.process),
        kind="visit",
        title="走访",
        starts_at=datetime(2026, 12, 5, tzinfo=UTC),
    )
    survey = SiteSurvey(process_id=park.process, surveyed_on=date(2026, 12, 5), surveyor="设计院")
    db.add_all([meeting, survey])
    await db.commit()
    meeting_id, survey_id = meeting.id, survey.id
    for owners in ({}, {"meeting_id": meeting_id, "survey_id": survey_id}):
        db.add(Photo(**owners, content_type="image/jpeg", size=1, sha256="0" * 64, data=b"x"))
        with pytest.raises(IntegrityError):
            await db.flush()
        await db.rollback()


async def test_a_photo_is_read_only_through_its_owner(client, staff, db, park):
    """A meeting's photo is served at its meeting's path, and not found under a survey's or
    another meeting's; what the upload held is taken out as one package does it."""
    facilitator = staff["facilitator"]
    community = await community_of(db, park.process)
    mid = (await ok(await plan(client, facilitator, community), 201))["id"]
    survey = await ok(
        await client.post(
            f"/api/v1/processes/{park.process}/surveys",
            json={"surveyed_on": "2026-12-01", "surveyor": "设计院"},
            headers=facilitator,
        ),
        201,
    )
    photo = (
        await ok(
            await client.post(
                f"/api/v1/meetings/{mid}/photos",
                files={"photos": ("bench.png", png(), "image/png")},
                headers=facilitator,
            ),
            201,
        )
    )[0]
    assert photo["url"] == f"/api/v1/meetings/{mid}/photos/{photo['id']}"
    served = await client.get(photo["url"], headers=facilitator)
    assert (served.status_code, served.headers["etag"]) == (200, f'"{photo["sha256"]}"')
    for elsewhere in (
        f"/api/v1/surveys/{survey['id']}/photos/{photo['id']}",
        f"/api/v1/meetings/{mid + 1}/photos/{photo['id']}",
    ):
        answer = await client.get(elsewhere, headers=facilitator)
        assert (answer.status_code, answer.json()["code"]) == (404, "not-found"), elsewhere


def test_an_upload_holds_the_files_chosen():
    """An empty file input sends a nameless part or an empty string: not a photo."""
    picked = UploadFile("image/png", "bench.png", b"1")
    empty = UploadFile("application/octet-stream", "", b"")
    assert chosen_files(["", picked, empty]) == [picked]
    assert (chosen_files(picked), chosen_files("")) == ([picked], [])
    for upload in (picked, empty):
        upload.file.close()
