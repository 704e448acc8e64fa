"""A request's way from the field to 销号 over HTTP, on every database: logged on a phone by
a grid worker of 杜集社区 with a photo, escalated to 矿山集街道, taken on, answered and
returned by the street office, closed by the community with the resident's satisfaction;
handled on the spot; put on a bench meeting's agenda; the refusals of illegal steps; and
who may see what (the street sees escalated requests of its own communities only, and never
who raised them).

Days open are counted in the community's zone (北京时间, UTC+8) on the app's clock, which
the tests set: logged 2026-03-02 09:00 北京时间 (01:00 UTC) and closed 2026-03-10 01:30
北京时间 (2026-03-09 17:30 UTC) is 8 days open (by UTC dates it would be 7)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import Community, Grid
from service.db.street import Meeting, MeetingItem, Street
from service.zones import days_between, local_day
from tests.support.app import Clock, make_staff, ok
from tests.support.audit import audit
from tests.support.phone_photos import metadata_left, phone_photo

LOGGED = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
ASK = "3号楼东侧路口下雨积水，老人出行不便"
WHO = "3号楼 张阿姨"


@dataclass
class Place:
    """矿山集街道 with 杜集社区 (grid 第三网格) under it; 高岳社区 under 相山街道; 朔西社区 on
    no street; and the accounts tied to them."""

    street: int
    other_street: int
    duji: int
    grid: int
    gaoyue: int
    loose: int
    worker: dict[str, str]
    facilitator: dict[str, str]
    stranger: dict[str, str]
    street_staff: dict[str, str]
    other_street_staff: dict[str, str]
    loose_worker: dict[str, str]


async def place_of(db: AsyncSession) -> Place:
    street, other = Street(name="矿山集街道"), Street(name="相山街道")
    db.add_all([street, other])
    await db.flush()
    duji = Community(name="杜集社区", street_id=street.id)
    gaoyue = Community(name="高岳社区", street_id=other.id)
    loose = Community(name="朔西社区")
    db.add_all([duji, gaoyue, loose])
    await db.flush()
    grid = Grid(community_id=duji.id, name="第三网格")
    db.add(grid)
    await db.commit()
    return Place(
        street=street.id,
        other_street=other.id,
        duji=duji.id,
        grid=grid.id,
        gaoyue=gaoyue.id,
        loose=loose.id,
        worker=await make_staff(db, "grid_worker", "wang-grid", community_id=duji.id),
        facilitator=await make_staff(db, "facilitator", "li-fac", community_id=duji.id),
        stranger=await make_staff(db, "facilitator", "gao-fac", community_id=gaoyue.id),
        street_staff=await make_staff(db, "street", "ksj-street", street_id=street.id),
        other_street_staff=await make_staff(db, "street", "xs-street", street_id=other.id),
        loose_worker=await make_staff(db, "grid_worker", "shuo-grid", community_id=loose.id),
    )


async def log(client: Any, headers: dict[str, str], community: int, **extra: Any) -> Any:
    body = {"body": ASK, **extra}
    return await ok(
        await client.post(f"/api/v1/communities/{community}/requests", json=body, headers=headers),
        201,
    )


async def act(client: Any, headers: dict[str, str], request_id: int, step: str, **body: Any) -> Any:
    return await client.post(f"/api/v1/requests/{request_id}/{step}", json=body, headers=headers)


async def test_the_way_from_the_field_to_close(client: Any, db: AsyncSession, clock: Clock) -> None:
    place = await place_of(db)
    clock.now = LOGGED
    made = await log(
        client,
        place.worker,
        place.duji,
        place="3号楼东侧路口",
        category="drainage",
        grid_id=place.grid,
        raised_by=WHO,
    )
    rid = made["id"]
    assert (made["stage"], made["category"], made["raised_by"]) == ("open", "drainage", WHO)

    # a phone's photo, with its GPS position, stored re-encoded without it
    sent = phone_photo(640, 480)
    assert "gps.2" in metadata_left(sent)
    photos = await ok(
        await client.post(
            f"/api/v1/requests/{rid}/photos",
            files=[("photos", ("IMG_1.JPG", sent, "image/jpeg"))],
            headers=place.worker,
        ),
        201,
    )
    assert [p["url"] for p in photos] == [f"/api/v1/requests/{rid}/photos/{photos[0]['id']}"]
    served = await client.get(photos[0]["url"], headers=place.facilitator)
    assert served.headers["content-type"] == "image/jpeg"
    assert metadata_left(served.content) == {}
    assert Image.open(io.BytesIO(served.content)).size == (480, 640)  # turned upright

    clock.advance(days=3)
    escalated = await ok(await act(client, place.worker, rid, "escalate", note="需街道协调市政"))
    assert (escalated["stage"], escalated["street_state"]) == ("escalated", "pending")

    # the street's list: community, grid, category, place, days open; never who raised it
    listed = await ok(
        await client.get(f"/api/v1/streets/{place.street}/escalations", headers=place.street_staff)
    )
    assert len(listed) == 1
    row = listed[0]
    assert (row["community"], row["grid"], row["category"], row["place"], row["days_open"]) == (
        "杜集社区",
        "第三网格",
        "drainage",
        "3号楼东侧路口",
        3,
    )
    assert "raised_by" not in row
    seen = await ok(await client.get(f"/api/v1/requests/{rid}", headers=place.street_staff))
    assert seen["raised_by"] is None
    photo = await client.get(photos[0]["url"], headers=place.street_staff)
    assert photo.status_code == 200

    await ok(await act(client, place.street_staff, rid, "assign", assignee="城管科 赵科长"))
    pending = await client.get(
        f"/api/v1/streets/{place.street}/escalations",
        params={"state": "assigned"},
        headers=place.street_staff,
    )
    assert [r["id"] for r in pending.json()] == [rid]
    await ok(await act(client, place.street_staff, rid, "answer", answer="已协调市政疏通雨水管"))
    returned = await ok(await act(client, place.street_staff, rid, "return", note="请社区回访"))
    assert (returned["stage"], returned["street_state"], returned["raised_by"]) == (
        "returned",
        "answered",
        None,
    )

    clock.now = datetime(2026, 3, 9, 17, 30, tzinfo=UTC)  # 2026-03-10 01:30 北京时间
    closed = await ok(
        await act(client, place.facilitator, rid, "close", note="已疏通", satisfaction="satisfied")
    )
    assert (closed["stage"], closed["satisfaction"]) == ("closed", "satisfied")
    clock.advance(days=30)  # a closed request's days open stop counting
    shown = await ok(await client.get(f"/api/v1/requests/{rid}", headers=place.worker))
    assert shown["days_open"] == 8
    assert shown["raised_by"] == WHO  # the community's staff see it
    assert [e["action"] for e in shown["events"]] == [
        "logged",
        "photo",
        "escalated",
        "assigned",
        "answered",
        "returned",
        "closed",
    ]
    assert [e["actor"] for e in shown["events"]][-2:] == ["street 测试", "facilitator 测试"]
    # no personal data or body text in the audit log
    for action in ("request.logged", "request.escalated", "request.closed"):
        [event] = await audit(db, action)
        assert WHO not in str(event.detail), action
        assert ASK not in str(event.detail), action

    # closing twice, escalating a closed one: 409 with the stage in words
    again = await act(client, place.facilitator, rid, "close", note="再次")
    assert (again.status_code, again.json()["code"]) == (409, "request-wrong-stage")
    assert again.json()["message_en"] == f"request {rid} cannot be closed: it is closed"
    assert again.json()["message_zh"] == f"诉求 {rid} 目前已销号，不能销号"
    late = await act(client, place.worker, rid, "escalate", note="再报")
    assert late.status_code == 409
    reopened = await ok(await act(client, place.facilitator, rid, "reopen", reason="积水复发"))
    assert (reopened["stage"], reopened["closed_at"], reopened["satisfaction"]) == (
        "open",
        None,
        None,
    )
    # triaged anew: the close and the street's part are cleared (the history keeps them)
    cleared = ("close_note", "escalated_at", "street_state", "street_assignee", "street_answer")
    assert [reopened[k] for k in (*cleared, "returned_at")] == ["", None, None, "", "", None]
    assert (
        await client.get(f"/api/v1/requests/{rid}", headers=place.street_staff)
    ).status_code == 404
    # open again: counted to today (2026-04-09 01:30 北京时间 → 38 days after 03-02)
    shown = await ok(await client.get(f"/api/v1/requests/{rid}", headers=place.worker))
    assert shown["days_open"] == 38


async def test_on_the_spot_and_onto_a_meetings_agenda(
    client: Any, db: AsyncSession, clock: Clock
) -> None:
    place = await place_of(db)
    clock.now = LOGGED
    quick = await log(client, place.worker, place.duji, category="sanitation")
    done = await ok(await act(client, place.worker, quick["id"], "on-spot", note="已清理垃圾"))
    assert (done["stage"], done["close_note"]) == ("closed", "已清理垃圾")
    assert done["closed_at"] is not None
    shown = await ok(await client.get(f"/api/v1/requests/{quick['id']}", headers=place.worker))
    assert [e["action"] for e in shown["events"]] == ["logged", "on_spot", "closed"]
    assert shown["days_open"] == 0

    soon = datetime(2026, 3, 20, 7, 0, tzinfo=UTC)
    planned = Meeting(
        community_id=place.duji, kind="deliberation", title="积水治理议事会", starts_at=soon
    )
    held = Meeting(
        community_id=place.duji,
        kind="deliberation",
        title="上月议事会",
        starts_at=soon,
        status="held",
    )
    foreign = Meeting(community_id=place.gaoyue, kind="visit", title="走访", starts_at=soon)
    db.add_all([planned, held, foreign])
    await db.flush()
    db.add(MeetingItem(meeting_id=planned.id, position=1, note="口袋公园"))
    await db.commit()
    asked = await log(client, place.worker, place.duji)
    rid = asked["id"]
    wrong = await act(client, place.facilitator, rid, "to-meeting", meeting_id=foreign.id)
    assert (wrong.status_code, wrong.json()["field"]) == (422, "meeting_id")
    past = await act(client, place.facilitator, rid, "to-meeting", meeting_id=held.id)
    assert (past.status_code, past.json()["code"]) == (409, "meeting-not-planned")
    assert "已召开" in past.json()["message_zh"]
    missing = await act(client, place.facilitator, rid, "to-meeting", meeting_id=9999)
    assert missing.status_code == 404
    put = await ok(await act(client, place.facilitator, rid, "to-meeting", meeting_id=planned.id))
    assert (put["stage"], put["meeting_id"]) == ("meeting", planned.id)
    items = (
        await db.execute(
            select(MeetingItem.position, MeetingItem.request_id, MeetingItem.note)
            .where(MeetingItem.meeting_id == planned.id)
            .order_by(MeetingItem.position)
        )
    ).all()
    await db.commit()
    assert [tuple(i) for i in items] == [(1, None, "口袋公园"), (2, rid, "")]
    twice = await act(client, place.facilitator, rid, "on-spot", note="x")
    assert twice.json()["message_en"] == (
        f"request {rid} cannot be handled on the spot: it is on a meeting's agenda"
    )


async def test_refusals_of_steps_out_of_turn(client: Any, db: AsyncSession, clock: Clock) -> None:
    place = await place_of(db)
    clock.now = LOGGED
    loose = await log(client, place.loose_worker, place.loose)
    nowhere = await act(client, place.loose_worker, loose["id"], "escalate", note="需要街道")
    assert (nowhere.status_code, nowhere.json()["code"]) == (409, "request-no-street")
    assert "朔西社区尚未归属任何街道" in nowhere.json()["message_zh"]

    rid = (await log(client, place.worker, place.duji))["id"]
    answer = await act(client, place.street_staff, rid, "answer", answer="已答复")
    assert answer.status_code == 404  # not escalated: the street does not see it at all
    by_admin = await act(client, place.facilitator, rid, "close", note="x", satisfaction="happy")
    assert (by_admin.status_code, by_admin.json()["field"]) == (400, "satisfaction")
    no_note = await act(client, place.worker, rid, "escalate", note="")
    assert no_note.status_code == 400
    await ok(await act(client, place.worker, rid, "escalate", note="需要街道"))
    closing = await act(client, place.facilitator, rid, "close", note="先销号")
    assert closing.json()["message_zh"] == f"诉求 {rid} 目前已上报街道，不能销号"
    bad_state = await client.get(
        f"/api/v1/streets/{place.street}/escalations",
        params={"state": "lost"},
        headers=place.street_staff,
    )
    assert (bad_state.status_code, bad_state.json()["field"]) == (422, "state")
    assert (
        bad_state.json()["message_zh"]
        == "没有“lost”这种办理状态，可选：待受理、已交办、已答复、已退回社区、已销号"
    )


async def test_who_sees_what(client: Any, db: AsyncSession, clock: Clock) -> None:
    place = await place_of(db)
    clock.now = LOGGED
    hidden = (await log(client, place.worker, place.duji, raised_by=WHO))["id"]
    sent = (await log(client, place.worker, place.duji, raised_by=WHO))["id"]
    await ok(await act(client, place.worker, sent, "escalate", note="需要街道"))
    escalations = f"/api/v1/streets/{place.street}/escalations"

    # street staff of the street: escalated ones only; the other 404 like a missing one
    assert (
        await client.get(f"/api/v1/requests/{sent}", headers=place.street_staff)
    ).status_code == 200
    unseen = await client.get(f"/api/v1/requests/{hidden}", headers=place.street_staff)
    assert unseen.status_code == 404
    assert unseen.json()["message_en"] == f"there is no request {hidden}"
    listed = await client.get(
        f"/api/v1/communities/{place.duji}/requests", headers=place.street_staff
    )
    assert listed.status_code == 403
    # street staff of another street: neither the list nor the request
    for path in (escalations, f"/api/v1/requests/{sent}"):
        refused = await client.get(path, headers=place.other_street_staff)
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden"), path
    assert (
        await act(client, place.other_street_staff, sent, "answer", answer="x")
    ).status_code == 403
    # a facilitator of another community: neither the escalations nor the request
    assert (await client.get(escalations, headers=place.stranger)).status_code == 403
    foreign = await client.get(f"/api/v1/requests/{sent}", headers=place.stranger)
    assert (foreign.status_code, foreign.json()["code"]) == (403, "forbidden")
    assert "不在您负责的社区或街道范围内" in foreign.json()["message_zh"]
    # the community's own grid worker sees both and who raised them
    mine = await ok(
        await client.get(f"/api/v1/communities/{place.duji}/requests", headers=place.worker)
    )
    assert [(r["id"], r["raised_by"]) for r in mine] == [(hidden, WHO), (sent, WHO)]
    at_street = await ok(
        await client.get(
            f"/api/v1/communities/{place.duji}/requests",
            params={"stage": "escalated"},
            headers=place.worker,
        )
    )
    assert [r["id"] for r in at_street] == [sent]
    # the street staff's desk page shows it, without who raised it
    page = await client.get("/street", headers=place.street_staff)
    assert page.status_code == 200
    assert f'id="escalation-{sent}"' in page.text
    assert WHO not in page.text
    detail = await client.get(f"/street/requests/{sent}", headers=place.street_staff)
    assert detail.status_code == 200
    assert WHO not in detail.text
    assert (
        await client.get(f"/street/requests/{hidden}", headers=place.street_staff)
    ).status_code == 404


async def test_returned_then_on_a_meeting_stays_returned_at_the_desk(
    client: Any, db: AsyncSession, clock: Clock
) -> None:
    place = await place_of(db)
    clock.now = LOGGED
    meeting = Meeting(
        community_id=place.duji, kind="deliberation", title="议事会", starts_at=LOGGED
    )
    db.add(meeting)
    await db.commit()
    rid = (await log(client, place.worker, place.duji))["id"]
    await ok(await act(client, place.worker, rid, "escalate", note="需要街道"))
    await ok(await act(client, place.street_staff, rid, "answer", answer="请社区议事"))
    await ok(await act(client, place.street_staff, rid, "return", note="退回"))
    await ok(await act(client, place.facilitator, rid, "to-meeting", meeting_id=meeting.id))
    desk = f"/api/v1/streets/{place.street}/escalations"
    returned = await ok(
        await client.get(desk, params={"state": "returned"}, headers=place.street_staff)
    )
    assert [(r["id"], r["street_state"]) for r in returned] == [(rid, "returned")]
    closed = await ok(await act(client, place.facilitator, rid, "close", note="议事会已定"))
    assert closed["meeting_id"] == meeting.id
    reopened = await ok(await act(client, place.facilitator, rid, "reopen", reason="未落实"))
    assert reopened["meeting_id"] is None


async def test_off_the_agenda_when_the_meeting_is_cancelled_or_the_item_removed(
    client: Any, db: AsyncSession, clock: Clock
) -> None:
    place = await place_of(db)
    clock.now = LOGGED
    meetings = [
        Meeting(community_id=place.duji, kind="deliberation", title=t, starts_at=LOGGED)
        for t in ("三月议事会", "四月议事会")
    ]
    db.add_all(meetings)
    await db.commit()
    first, second = (m.id for m in meetings)
    rid, kept = [(await log(client, place.worker, place.duji))["id"] for _ in range(2)]
    for request_id in (rid, kept):
        await ok(await act(client, place.facilitator, request_id, "to-meeting", meeting_id=first))
    cancelled = await client.post(
        f"/api/v1/meetings/{first}/cancel", json={"reason": "下雨改期"}, headers=place.facilitator
    )
    assert cancelled.status_code == 200, cancelled.text
    back = await ok(await client.get(f"/api/v1/requests/{rid}", headers=place.worker))
    assert (back["stage"], back["meeting_id"]) == ("open", None)
    assert [(e["action"], e["note"], e["detail"]) for e in back["events"]][-1] == (
        "off_agenda",
        "下雨改期",
        {"meeting_id": first, "because": "meeting_cancelled"},
    )
    page = await client.get(f"/console/requests/{rid}", headers=place.worker)
    assert "会议已取消" in page.text
    # now it may go onto another meeting; removing its item takes it off again, alone
    for request_id in (rid, kept):
        await ok(await act(client, place.facilitator, request_id, "to-meeting", meeting_id=second))
    items = await ok(
        await client.get(f"/api/v1/meetings/{second}/items", headers=place.facilitator)
    )
    item = next(i["id"] for i in items if i["request_id"] == rid)
    removed = await client.delete(
        f"/api/v1/meetings/{second}/items/{item}", headers=place.facilitator
    )
    assert removed.status_code == 200, removed.text
    stages = [
        (r["stage"], r["meeting_id"])
        for r in [
            await ok(await client.get(f"/api/v1/requests/{i}", headers=place.worker))
            for i in (rid, kept)
        ]
    ]
    assert stages == [("open", None), ("meeting", second)]


def test_days_between_counts_local_dates() -> None:
    """09:00 on 03-02 to 01:30 on 03-10 北京时间 is 8 days; the UTC dates are 7 apart."""
    closed = datetime(2026, 3, 9, 17, 30, tzinfo=UTC)
    assert days_between(LOGGED, closed, "Asia/Shanghai") == 8
    assert days_between(LOGGED, closed, "UTC") == 7
    assert local_day(closed, "Asia/Shanghai").isoformat() == "2026-03-10"
