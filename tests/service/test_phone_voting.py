"""Voting from home by phone: the facilitator's phone window, the phone ballot page and its
cast (channel ``phone``), refused outside the window with nothing stored, guessing locked
out per client address, and the slips' QR codes carrying the code only in the fragment."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import msgspec
from sqlalchemy import func, select

from service.db.models import Envelope, Round, VoterCode
from service.records.slips import qr_svg, slips_pdf
from service.voting.guesses import Bucket, Budget
from tests.support.app import Clock, from_address, serving
from tests.support.audit import audit
from tests.support.documents import pdf_text
from tests.support.pages import post_form, token_from, use_session
from tests.support.park import PARK
from tests.support.phone import (
    SECURE,
    end_phone_window,
    open_phone_window,
    phone_cast,
    phone_code,
    phone_headers,
)
from tests.support.rounds import cast as cast_by_api
from tests.support.rounds import close, issue, make_round, ranked


async def ballots_in(db, round_id: int) -> int:
    await db.rollback()  # see what the app committed
    found = await db.scalar(
        select(func.count()).select_from(Envelope).where(Envelope.round_id == round_id)
    )
    return int(found or 0)


async def turnout(client, staff, round_id: int) -> dict:
    answer = await client.get(f"/api/v1/rounds/{round_id}/turnout", headers=staff["secretary"])
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_without_a_window_a_phone_is_refused_and_nothing_is_stored(client, db, staff):
    round_id = await make_round(db, phone_hours=None)
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    page = await client.get(f"/vote/{round_id}")
    assert page.status_code == 200
    assert 'data-reason="none"' in page.text
    assert "本轮没有开放手机投票" in page.text
    headers = await phone_headers(client, round_id)
    refused = await phone_cast(client, round_id, headers, code, ranked(PARK[0]))
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "phone-window-closed"
    assert (await phone_code(client, round_id, headers, code)).status_code == 409
    assert await ballots_in(db, round_id) == 0
    assert (await turnout(client, staff, round_id))["ballots_cast"] == 0


async def test_the_public_api_is_a_ballot_from_home_held_to_the_phone_window(
    client, db, staff, clock
):
    """A cast from no enrolled tablet (tablets cast through /kiosk) is a ballot from home:
    without a window, and after it, the public API refuses it as the phone page does."""
    round_id = await make_round(db, phone_hours=None)
    [early, late] = await issue(client, staff["facilitator"], round_id, 2)
    refused = await cast_by_api(client, round_id, early, ranked(PARK[0]))
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "phone-window-closed"
    opened = await open_phone_window(client, staff["facilitator"], round_id, hours=2, now=clock.now)
    assert opened.status_code == 200, opened.text
    key = uuid.uuid4().hex
    taken = await cast_by_api(client, round_id, early, ranked(PARK[0]), key=key)
    assert taken.status_code == 201, taken.text
    counted = await turnout(client, staff, round_id)
    assert (counted["phone_ballots"], counted["tablet_ballots"]) == (1, 0)
    clock.advance(hours=3)
    after = await cast_by_api(client, round_id, late, ranked(PARK[1]))
    assert after.status_code == 409, after.text
    assert after.json()["code"] == "phone-window-closed"
    retry = await cast_by_api(client, round_id, early, ranked(PARK[0]), key=key)
    assert retry.status_code == 200  # the receipt of a ballot cast inside the window
    assert await ballots_in(db, round_id) == 1


async def test_inside_the_window_a_phone_casts_and_is_counted_apart(client, db, staff):
    round_id = await make_round(db, phone_hours=None)
    codes = await issue(client, staff["facilitator"], round_id, 3)
    opened = await open_phone_window(client, staff["facilitator"], round_id, hours=30)
    assert opened.status_code == 200, opened.text
    assert opened.json()["open"] is True
    headers = await phone_headers(client, round_id)
    assert (await phone_code(client, round_id, headers, codes[0])).json() == {"ok": True}
    key = uuid.uuid4().hex
    cast = await phone_cast(client, round_id, headers, codes[0], ranked(*PARK[:3]), key=key)
    assert cast.status_code == 201, cast.text
    assert cast.json()["tracker"]
    assert cast.json()["short"]
    again = await phone_cast(client, round_id, headers, codes[0], ranked(*PARK[:3]), key=key)
    assert again.status_code == 200
    assert again.json()["tracker"] == cast.json()["tracker"]
    await phone_cast(client, round_id, headers, codes[1], ranked(PARK[2]))
    from_api = await cast_by_api(client, round_id, codes[2], ranked(PARK[1]))
    assert from_api.status_code == 201  # no enrolled tablet: a ballot from home too
    counted = await turnout(client, staff, round_id)
    assert (counted["ballots_cast"], counted["phone_ballots"], counted["tablet_ballots"]) == (
        3,
        3,
        0,
    )
    channels = (
        await db.scalars(select(VoterCode.channel).where(VoterCode.round_id == round_id))
    ).all()
    assert sorted(c or "" for c in channels) == ["phone", "phone", "phone"]


async def test_after_the_window_a_phone_ballot_is_refused_and_not_stored(client, db, staff, clock):
    round_id = await make_round(db)
    [early, late] = await issue(client, staff["facilitator"], round_id, 2)
    opened = await open_phone_window(client, staff["facilitator"], round_id, hours=2, now=clock.now)
    assert opened.status_code == 200, opened.text
    headers = await phone_headers(client, round_id)
    key = uuid.uuid4().hex
    first = await phone_cast(client, round_id, headers, early, ranked(PARK[1]), key=key)
    assert first.status_code == 201
    clock.advance(hours=2)
    lost = await phone_cast(client, round_id, headers, early, ranked(PARK[1]), key=key)
    assert lost.status_code == 200  # the answer was lost inside the window: same receipt
    assert lost.json()["tracker"] == first.json()["tracker"]
    refused = await phone_cast(client, round_id, headers, late, ranked(PARK[0]))
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["code"] == "phone-window-closed"
    assert "北京时间" in body["message_zh"]
    assert "结束" in body["message_zh"]
    assert "China Standard Time" in body["message_en"]
    assert await ballots_in(db, round_id) == 1
    status = await db.scalar(select(VoterCode.status).where(VoterCode.channel.is_(None)))
    assert status == "issued"  # the late code is still unused
    page = await client.get(f"/vote/{round_id}")
    assert 'data-reason="over"' in page.text
    assert "手机投票已经结束" in page.text
    assert "北京时间" in page.text


async def test_a_window_ended_behind_the_api_refuses_too(client, db, staff):
    round_id = await make_round(db)
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    await open_phone_window(client, staff["facilitator"], round_id, hours=1)
    headers = await phone_headers(client, round_id)
    await end_phone_window(db, round_id)
    refused = await phone_cast(client, round_id, headers, code, ranked(PARK[0]))
    assert refused.status_code == 409
    assert refused.json()["code"] == "phone-window-closed"
    assert await ballots_in(db, round_id) == 0


async def test_closing_the_round_ends_phone_voting(client, db, staff):
    round_id = await make_round(db)
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    await open_phone_window(client, staff["facilitator"], round_id, hours=24)
    headers = await phone_headers(client, round_id)
    await close(db, round_id)
    refused = await phone_cast(client, round_id, headers, code, ranked(PARK[0]))
    assert refused.status_code == 409
    assert refused.json()["code"] == "round-not-open"
    page = await client.get(f"/vote/{round_id}")
    assert 'data-reason="round"' in page.text
    moved = await open_phone_window(client, staff["facilitator"], round_id, hours=48)
    assert moved.status_code == 409
    assert moved.json()["code"] == "phone-window-fixed"


async def test_the_window_is_set_in_the_future_with_an_offset_and_audited(client, db, staff):
    round_id = await make_round(db, phase="scheduled", phone_hours=None)
    path = f"{SECURE}/api/v1/rounds/{round_id}/phone-window"
    facilitator = staff["facilitator"]
    past = await open_phone_window(client, facilitator, round_id, hours=-1)
    assert past.status_code == 422
    assert past.json()["field"] == "until"
    naive = await client.put(path, json={"until": "2099-01-01T20:00:00"}, headers=facilitator)
    assert naive.status_code == 422
    assert naive.json()["field"] == "until"
    refused = await client.put(path, json={"until": None}, headers=staff["secretary"])
    assert refused.status_code == 403
    set_ = await client.put(path, json={"until": "2099-01-01T20:00:00+08:00"}, headers=facilitator)
    assert set_.status_code == 200, set_.text
    assert set_.json() == {"round_id": round_id, "until": "2099-01-01T12:00:00Z", "open": False}
    shown = await client.get(path, headers=staff["secretary"])
    assert shown.json()["until"] == "2099-01-01T12:00:00Z"
    page = await client.get(f"/vote/{round_id}")
    assert 'data-reason="soon"' in page.text
    assert "2099-01-01 20:00（北京时间）" in page.text
    cleared = await client.put(path, json={"until": None}, headers=facilitator)
    assert cleared.json()["until"] is None
    events = await audit(db, "round.phone_window")
    assert [e.detail["until"] for e in events] == ["2099-01-01T12:00:00+00:00", None]


async def test_the_phone_page_is_the_ballot_with_no_referrer(client, db, staff):
    round_id = await make_round(db)
    await open_phone_window(client, staff["facilitator"], round_id, hours=30)
    page = await client.get(f"/vote/{round_id}")
    assert page.status_code == 200
    assert page.headers["referrer-policy"] == "no-referrer"
    assert 'class="kiosk phone"' in page.text
    assert '"mode": "phone"' in page.text or '"mode":"phone"' in page.text
    assert "/static/phone.js" in page.text
    assert "手机投票开放至" in page.text
    assert "（北京时间）" in page.text
    words = await client.post(
        f"/vote/{round_id}/words", json={}, headers=await phone_headers(client, round_id)
    )
    assert words.status_code == 200
    assert "Voting by phone is open until" in words.json()["en"]["slots"]["window"]
    assert words.headers["referrer-policy"] == "no-referrer"


async def test_guessing_locks_out_one_address_and_its_ipv6_block_only(db, settings, staff):
    round_id = await make_round(db)
    async with serving(settings, Clock()) as app:
        app.state.lockouts.budget = Budget(burst=Bucket(size=3, refill=60))
        async with from_address(app, "10.0.0.9") as staff_client:
            [code] = await issue(staff_client, staff["facilitator"], round_id, 1)
            await open_phone_window(staff_client, staff["facilitator"], round_id, hours=24)
        async with (
            from_address(app, "2001:db8:5:6::10") as guesser,
            from_address(app, "2001:db8:5:6::99") as neighbour,
            from_address(app, "10.0.0.7") as resident,
        ):
            headers = await phone_headers(guesser, round_id)
            for _ in range(3):
                wrong = await phone_code(guesser, round_id, headers, "ZZZZZ-ZZZZZ")
                assert wrong.status_code == 404
            locked = await phone_code(guesser, round_id, headers, code)
            assert locked.status_code == 429
            assert locked.json()["code"] == "too-many-attempts"
            same_block = await phone_code(
                neighbour, round_id, await phone_headers(neighbour, round_id), code
            )
            assert same_block.status_code == 429
            mine = await phone_headers(resident, round_id)
            assert (await phone_code(resident, round_id, mine, code)).json() == {"ok": True}
            cast = await phone_cast(resident, round_id, mine, code, ranked(PARK[1]))
            assert cast.status_code == 201, cast.text


async def test_slips_carry_the_code_only_in_the_links_fragment(client, db, staff):
    round_id = await make_round(db)
    facilitator = staff["facilitator"]
    use_session(client, facilitator)
    token = await token_from(client, f"/console/rounds/{round_id}")
    issued = await post_form(
        client,
        f"/console/rounds/{round_id}/codes",
        {"count": "2"},
        token=token,
        follow_redirects=False,
    )
    assert issued.status_code == 303
    page = await client.get(f"{SECURE}{issued.headers['location']}")
    assert page.status_code == 200
    codes = [line.split("<")[0] for line in page.text.split('<p class="slip-code">')[1:]]
    assert len(codes) == 2
    for code in codes:
        link = f"{SECURE}/vote/{round_id}#{code}"
        assert qr_svg(link, code) in page.text  # the QR code holds the link
        assert code not in link.split("#")[0]
    assert "用手机扫码投票（开放时间见通知）" in page.text
    plain = await client.get(issued.headers["location"])  # http: no phone link printed
    assert plain.status_code == 200
    for code in codes:
        assert qr_svg(code, code) in plain.text
        assert f"/vote/{round_id}#{code}" not in plain.text
    assert "用手机扫码" not in plain.text


async def test_no_phone_window_over_plain_http_but_on_loopback(client, db, staff, settings):
    round_id = await make_round(db, phone_hours=None)
    facilitator = staff["facilitator"]
    until = (datetime.now(UTC) + timedelta(hours=5)).isoformat()
    path = f"/api/v1/rounds/{round_id}/phone-window"
    refused = await client.put(path, json={"until": until}, headers=facilitator)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "phone-window-insecure"
    assert "没有加密" in refused.json()["message_zh"]
    assert (await client.put(path, json={"until": None}, headers=facilitator)).status_code == 200
    for base in ("http://localhost", "http://127.0.0.1:8000"):
        taken = await client.put(f"{base}{path}", json={"until": until}, headers=facilitator)
        assert taken.status_code == 200, (base, taken.text)
    public = msgspec.structs.replace(settings, public_url="http://vote.example.cn")
    async with serving(public, Clock()) as app, from_address(app, "10.0.0.5") as other:
        behind = await other.put(f"{SECURE}{path}", json={"until": until}, headers=facilitator)
        assert behind.status_code == 409  # the printed address is what counts
        assert behind.json()["code"] == "phone-window-insecure"


def test_the_slips_pdf_says_how_to_vote_by_phone(tmp_path):
    slips = [("ABCDE-FGHJK", None, 1)]
    shown = pdf_text(
        slips_pdf(slips, heading="杜集社区", phone="https://x.example/vote/3"), tmp_path
    )
    assert "用手机扫码投票（开放时间见通知）" in shown
    assert "用手机扫码" not in pdf_text(slips_pdf(slips, heading="杜集社区"), tmp_path)


async def test_the_round_page_sets_the_window_in_local_time_and_shows_phone_turnout(
    client, db, staff
):
    round_id = await make_round(db, phone_hours=None)
    use_session(client, staff["facilitator"])
    token = await token_from(client, f"/console/rounds/{round_id}")
    until = (datetime.now(UTC) + timedelta(days=2)).astimezone(UTC)
    local = (until + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M")
    sent = await post_form(
        client,
        f"{SECURE}/console/rounds/{round_id}/phone-window",
        {"until": local},
        token=token,
        follow_redirects=False,
    )
    assert sent.status_code in (302, 303), sent.text
    await db.rollback()
    stored = await db.scalar(select(Round.phone_until).where(Round.id == round_id))
    assert stored is not None
    assert stored.strftime("%Y-%m-%dT%H:%M") == until.strftime("%Y-%m-%dT%H:%M")
    page = await client.get(f"/console/rounds/{round_id}")
    shown = local.replace("T", " ")
    assert f"手机投票：开放至 {shown}（北京时间） · 已投 0 张" in page.text
    assert f'value="{local}"' in page.text
    bad = await post_form(
        client, f"/console/rounds/{round_id}/phone-window", {"until": "明天"}, token=token
    )
    assert bad.status_code == 422
    cleared = await post_form(
        client,
        f"/console/rounds/{round_id}/phone-window",
        {"clear": "1"},
        token=token,
        follow_redirects=False,
    )
    assert cleared.status_code in (302, 303)
    page = await client.get(f"/console/rounds/{round_id}")
    assert "手机投票：未开放 · 已投 0 张" in page.text


async def test_a_cancelled_round_has_no_phone_page(client, db):
    round_id = await make_round(db, phase="cancelled")
    page = await client.get(f"/vote/{round_id}")
    assert page.status_code == 404
    assert "第一轮投票" not in page.text


async def test_the_phone_page_has_no_assisted_mode(client, db, staff):
    round_id = await make_round(db)
    page = (await client.get(f"/vote/{round_id}")).text
    assert 'class="step"' in page or "step-code" in page
    assert 'id="assisted"' not in page
    assert "协助模式" not in page
    tablet_page = (await client.get("/static/assisted.js")).status_code
    assert tablet_page == 200
