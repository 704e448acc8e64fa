"""A receipt a resident can keep, and the tablet's words in every language, on every
database: the receipt's QR code is exactly the board's receipt check for that round and
tracker (and nothing else: no voter code), only for full trackers, only for enrolled
tablets; the board shows a found tracker grouped with dashes as the tablet does; the tablet
gets its words in both languages, Chinese with no English, the same slots in each, and the
page is rendered from them."""

from __future__ import annotations

import re
import uuid

import msgspec
import pytest
import segno

from ballots.digest import grouped_tracker, short_tracker
from service.results import ballot_box
from service.settings import Settings
from service.web.kiosk_words import FIXED_SLOTS
from tests.support.chinese import foreign_words
from tests.support.counted import counted_round
from tests.support.pages import enrol, kiosk_token
from tests.support.park import PARK
from tests.support.receipts import inner, qr_modules
from tests.support.rounds import issue, make_round, ranked


async def test_the_receipt_qr_code_opens_the_boards_check_for_that_tracker(client, db, staff):
    round_id = await make_round(db)
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    await enrol(client, staff["facilitator"], round_id)
    headers = await kiosk_token(client)
    body = {"code": code, "key": uuid.uuid4().hex, "ballot": ranked(PARK[1])}
    receipt = (await client.post("/kiosk/ballots", json=body, headers=headers)).json()
    assert re.fullmatch(r"([0-9A-Z]{4}-){3}[0-9A-Z]{4}", receipt["grouped"])
    assert receipt["short"] == receipt["grouped"][:9]

    answer = await client.post(
        "/kiosk/receipt",
        json={"round_id": round_id, "tracker": receipt["tracker"]},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    made = answer.json()
    link = f"http://testserver.local/board/rounds/{round_id}?tracker={receipt['grouped']}"
    assert made["link"] == link
    assert made["grouped"] == receipt["grouped"]
    expected = segno.make(link, error="m", micro=False)
    border = (made["size"] - len(expected.matrix)) // 2
    assert border == 4
    drawn = qr_modules(made["size"], made["path"])
    assert inner(drawn, border) == [list(row) for row in expected.matrix]
    assert all(not any(row) for row in drawn[:border] + drawn[-border:])
    plain = code.replace("-", "")
    assert code not in answer.text  # never the voter code
    assert plain not in answer.text


async def test_the_receipt_qr_code_needs_a_full_tracker_and_a_tablet(client, db, staff):
    round_id = await make_round(db)
    await enrol(client, staff["facilitator"], round_id)
    headers = await kiosk_token(client)
    for wrong in ("ABCD-EFGH", "ABCD-EFGH-JKMN-PQRU", "不是编号"):
        refused = await client.post(
            "/kiosk/receipt", json={"round_id": round_id, "tracker": wrong}, headers=headers
        )
        assert refused.status_code == 422, wrong
        assert (refused.json()["code"], refused.json()["field"]) == ("bad-receipt", "tracker")
        assert refused.json()["message"] == "回执编号不完整或格式不对：需要平板显示的16位完整编号"
    client.cookies.clear()
    headers = await kiosk_token(client)
    stranger = await client.post(
        "/kiosk/receipt",
        json={"round_id": round_id, "tracker": "ABCD-EFGH-JKMN-PQRS"},
        headers=headers,
    )
    assert (stranger.status_code, stranger.json()["code"]) == (403, "tablet-not-enrolled")


async def test_the_board_shows_a_tracker_grouped_as_the_tablet_does(client, db):
    round_id = await counted_round(db, 5, open_receipts=False)
    tracker = (await ballot_box.read_all(db, round_id))[2][0]
    for typed in (tracker, tracker.lower(), short_tracker(tracker), grouped_tracker(tracker)):
        page = await client.get(f"/board/rounds/{round_id}", params={"tracker": typed})
        answer = page.text[page.text.index('id="lookup-answer"') :]
        assert f"回执 {grouped_tracker(tracker)}——您的选票在票箱中，已计入" in answer, typed


async def test_the_tablet_gets_its_words_in_every_language(client, db, staff):
    round_id = await make_round(
        db, kind="budget", method="equal-shares", options={"budget": 100_000}
    )
    await enrol(client, staff["facilitator"], round_id)
    page = await client.get("/kiosk")
    answer = await client.post("/kiosk/words", json={}, headers=await kiosk_token(client))
    assert answer.status_code == 200, answer.text
    words = answer.json()
    assert sorted(words) == ["en", "zh"]
    zh, en = words["zh"], words["en"]
    assert zh["slots"].keys() == en["slots"].keys()
    assert zh["messages"].keys() == en["messages"].keys()
    assert set(FIXED_SLOTS) <= zh["slots"].keys()
    for slot, key in FIXED_SLOTS.items():  # every label found in the catalogue
        assert key not in (zh["slots"][slot], en["slots"][slot]), slot
    assert zh["slots"]["ballot.title"] == "请在预算内选出您支持的项目"
    assert en["slots"]["ballot.title"] == "Choose projects within the budget"
    assert en["slots"]["cost.0"] == "¥80,000"
    assert zh["slots"]["receipt.done"] == "我记好了，交给下一位"
    chinese = [*zh["slots"].values(), *zh["messages"].values(), zh["rank"], zh["left"]]
    assert [w for text in chinese for w in foreign_words(text)] == []
    shown = dict(re.findall(r'data-text="([^"]+)">([^<]*)<', page.text.replace("&#34;", '"')))
    assert len(shown) > 25
    assert shown == {slot: zh["slots"][slot] for slot in shown}  # rendered from these words
    refused = await client.post("/kiosk/words", json={}, headers={"x-csrftoken": "0" * 64})
    assert refused.status_code == 403


async def test_the_receipt_link_starts_at_the_public_address_when_one_is_set(client, db, staff):
    """Residents' phones may reach the board at another address than the meeting's tablets."""
    round_id = await make_round(db)
    await enrol(client, staff["facilitator"], round_id)
    headers = await kiosk_token(client)
    settings = client.app.state.settings
    client.app.state.settings = msgspec.structs.replace(
        settings, public_url="https://yishi.example.cn"
    )
    try:
        tracker = "ABCDEFGHJKMNPQRS"
        answer = await client.post(
            "/kiosk/receipt", json={"round_id": round_id, "tracker": tracker}, headers=headers
        )
    finally:
        client.app.state.settings = settings
    assert answer.status_code == 200, answer.text
    grouped = "ABCD-EFGH-JKMN-PQRS"
    assert (
        answer.json()["link"]
        == f"https://yishi.example.cn/board/rounds/{round_id}?tracker={grouped}"
    )


def test_a_public_address_must_be_a_web_address() -> None:
    assert Settings.from_env({"REDBENCH_PUBLIC_URL": "https://a.cn/"}).public_base("x") == (
        "https://a.cn/"
    )
    assert Settings.from_env({}).public_base("http://10.0.0.2:8000/") == "http://10.0.0.2:8000/"
    with pytest.raises(ValueError, match="REDBENCH_PUBLIC_URL"):
        Settings.from_env({"REDBENCH_PUBLIC_URL": "yishi.example.cn"})
