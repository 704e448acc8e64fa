"""Paper ballots keyed twice, on every database: agreeing entries cast a ballot (channel
paper, a tracker, counted with the rest), differing ones cast nothing until a third person
decides, one clerk never keys both entries, spoiled and blank ballots use up their code, a
code used on a tablet refuses the paper ballot, entries are sealed at rest and deleted once
settled, and the adjudication log holds no marks or code."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from service.db.models import AuditEvent, PaperKeying, PaperSerial, VoterCode
from service.paper.settling import Settler
from tests.support.audit import audit
from tests.support.box import sealed_box
from tests.support.paper import adjudicate, key_entry, print_paper
from tests.support.park import PARK
from tests.support.rounds import cast, issue, make_round, ranked

# slate order: 儿童游乐设施 健康监测站 文化墙 小型活动区 健身器材 遮阳座椅
MARKS = [2, None, 1, None, None, 3]  # 文化墙 > 儿童游乐设施 > 遮阳座椅


async def voting_round(client, db, staff, codes=1, printed=3):
    round_id = await make_round(db)
    issued = await issue(client, staff["facilitator"], round_id, codes)
    printing = await print_paper(client, staff["facilitator"], round_id, printed)
    assert printing.status_code == 200, printing.text
    return round_id, issued


async def entries_of(db, round_id):
    await db.rollback()
    return (await db.scalars(select(PaperKeying).where(PaperKeying.round_id == round_id))).all()


async def state_of(db, round_id, serial):
    await db.rollback()
    return await db.scalar(
        select(PaperSerial.state).where(
            PaperSerial.round_id == round_id, PaperSerial.serial == serial
        )
    )


async def test_agreeing_entries_cast_one_paper_ballot_with_a_tracker(client, db, staff):
    round_id, [code] = await voting_round(client, db, staff)
    first = await key_entry(client, staff["grid_worker"], round_id, 1, code, MARKS)
    assert first.status_code == 200, first.text
    assert first.json()["state"] == "keying"
    assert await sealed_box(db, round_id) == {}
    typed = code.lower().replace("-", " ")  # the same code keyed another way
    second = await key_entry(client, staff["secretary"], round_id, 1, typed, MARKS)
    assert second.status_code == 200, second.text
    outcome = second.json()
    assert outcome["state"] == "cast"
    assert len(outcome["tracker"]) == 16
    assert list(await sealed_box(db, round_id)) == [outcome["tracker"]]
    await db.rollback()
    code_row = (await db.scalars(select(VoterCode).where(VoterCode.round_id == round_id))).one()
    assert (code_row.status, code_row.channel) == ("used", "paper")
    turnout = (
        await client.get(f"/api/v1/rounds/{round_id}/turnout", headers=staff["facilitator"])
    ).json()
    assert (turnout["paper_ballots"], turnout["tablet_ballots"], turnout["reconciled"]) == (
        1,
        0,
        True,
    )
    assert await entries_of(db, round_id) == []  # deleted once settled
    again = await key_entry(client, staff["admin"], round_id, 1, code, MARKS)
    assert again.status_code == 409
    assert again.json()["code"] == "paper-serial-settled"
    closed = await client.post(
        f"/api/v1/rounds/{round_id}/phase", json={"to": "closed"}, headers=staff["facilitator"]
    )
    assert closed.status_code == 200, closed.text
    ballots = await client.get(f"/api/v1/rounds/{round_id}/ballots", headers=staff["facilitator"])
    assert ballots.status_code == 200, ballots.text
    assert "文化墙" in ballots.text


async def test_the_same_clerk_cannot_key_both_entries(client, db, staff):
    round_id, [code] = await voting_round(client, db, staff)
    await key_entry(client, staff["grid_worker"], round_id, 1, code, MARKS)
    again = await key_entry(client, staff["grid_worker"], round_id, 1, code, MARKS)
    assert again.status_code == 409
    assert again.json()["code"] == "paper-same-clerk"
    assert await sealed_box(db, round_id) == {}
    assert len(await entries_of(db, round_id)) == 1


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("code", lambda e: {**e, "code": ("0" if e["code"][0] != "0" else "1") + e["code"][1:]}),
        ("verdict", lambda e: {**e, "verdict": "spoiled"}),
        ("mark:0", lambda e: {**e, "marks": [3, *e["marks"][1:5], 2]}),
        ("mark:1", lambda e: {**e, "marks": [2, 4, *e["marks"][2:]]}),
    ],
)
async def test_a_mismatch_casts_nothing_until_a_third_person_decides(
    client, db, staff, field, change
):
    round_id, [code] = await voting_round(client, db, staff)
    entry = {"serial": 1, "code": code, "verdict": "ballot", "marks": MARKS}
    await key_entry(client, staff["grid_worker"], round_id, 1, code, MARKS)
    other = change(entry)
    second = await key_entry(
        client, staff["secretary"], round_id, 1, other["code"], other["marks"], other["verdict"]
    )
    assert second.status_code == 200, second.text
    assert second.json()["state"] == "mismatch"
    assert field in second.json()["differences"]
    assert await sealed_box(db, round_id) == {}
    await db.rollback()
    assert await db.scalar(select(VoterCode.status).where(VoterCode.round_id == round_id)) == (
        "issued"
    )
    # the clerks see no content and cannot decide
    listed = await client.get(
        f"/api/v1/rounds/{round_id}/paper/mismatches", headers=staff["secretary"]
    )
    [shown] = listed.json()["mismatches"]
    assert (shown["first"], shown["second"], shown["keyed_by_you"]) == (None, None, True)
    refused = await adjudicate(client, staff["secretary"], round_id, 1, 1, "第一次录入正确")
    assert refused.status_code == 409
    assert refused.json()["code"] == "paper-clerk-adjudicates"
    no_reason = await adjudicate(client, staff["facilitator"], round_id, 1, 1, "  ")
    assert no_reason.status_code == 422
    # the third person sees both side by side and decides
    listed = await client.get(
        f"/api/v1/rounds/{round_id}/paper/mismatches", headers=staff["facilitator"]
    )
    [shown] = listed.json()["mismatches"]
    assert field in shown["fields"]
    assert shown["first"]["marks"] == MARKS
    assert shown["options"] == list(PARK)
    decided = await adjudicate(client, staff["facilitator"], round_id, 1, 1, "核对原票，第一次正确")
    assert decided.status_code == 200, decided.text
    assert decided.json()["state"] == "cast"
    assert len(await sealed_box(db, round_id)) == 1
    assert await entries_of(db, round_id) == []
    [event] = await audit(db, "paper.adjudicated")
    assert event.detail["serial"] == 1
    assert event.detail["reason"] == "核对原票，第一次正确"
    assert field in event.detail["fields"]
    said = str(event.detail)
    assert code not in said
    assert code.replace("-", "") not in said
    assert all(name not in said for name in PARK)
    assert "marks" not in event.detail


async def test_a_corrected_entry_is_cast(client, db, staff):
    round_id, [code] = await voting_round(client, db, staff)
    await key_entry(client, staff["grid_worker"], round_id, 2, code, MARKS)
    await key_entry(client, staff["secretary"], round_id, 2, code, [1, None, 2, None, None, 3])
    corrected = {"serial": 2, "code": code, "verdict": "ballot", "marks": [None] * 5 + [1]}
    decided = await adjudicate(
        client, staff["admin"], round_id, 2, "corrected", "两人都看错了", corrected
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["state"] == "cast"
    assert await state_of(db, round_id, 2) == "cast"


@pytest.mark.parametrize("verdict", ["spoiled", "blank"])
async def test_spoiled_and_blank_paper_ballots_use_up_their_code(client, db, staff, verdict):
    round_id, [code, _other] = await voting_round(client, db, staff, codes=2)
    await key_entry(client, staff["grid_worker"], round_id, 1, code, [], verdict)
    settled = await key_entry(client, staff["secretary"], round_id, 1, code, [1] * 6, verdict)
    assert settled.status_code == 200, settled.text
    assert settled.json()["state"] == verdict
    await db.rollback()
    rows = (
        await db.execute(
            select(VoterCode.status, VoterCode.channel, VoterCode.number, VoterCode.batch_id)
            .where(VoterCode.round_id == round_id)
            .order_by(VoterCode.status)
        )
    ).all()
    # used like a counted paper ballot's code, its slip number and batch gone
    assert [tuple(r) for r in rows][1] == ("used", "paper", None, None)
    assert rows[0].status == "issued"
    assert await sealed_box(db, round_id) == {}
    # the code is used up: a tablet cannot vote with it any more
    tablet = await cast(client, round_id, code, ranked("文化墙"))
    assert tablet.status_code == 409
    turnout = (
        await client.get(f"/api/v1/rounds/{round_id}/turnout", headers=staff["facilitator"])
    ).json()
    assert turnout[f"paper_{verdict}"] == 1
    assert turnout["reconciled"] is True


async def test_a_code_used_on_a_tablet_refuses_the_paper_ballot(client, db, staff):
    round_id, [code] = await voting_round(client, db, staff)
    tablet = await cast(client, round_id, code, ranked("健身器材"))
    assert tablet.status_code == 201, tablet.text
    await key_entry(client, staff["grid_worker"], round_id, 1, code, MARKS)
    refused = await key_entry(client, staff["secretary"], round_id, 1, code, MARKS)
    assert refused.status_code == 200, refused.text
    assert refused.json()["state"] == "refused"
    assert refused.json()["reason"] == "code-used"
    assert len(await sealed_box(db, round_id)) == 1  # the tablet's ballot stands, alone
    assert await entries_of(db, round_id) == []
    summary = await client.get(f"/api/v1/rounds/{round_id}/paper", headers=staff["grid_worker"])
    assert summary.json()["refused"] == 1
    assert summary.json()["pending"] == 0


async def test_entries_are_sealed_at_rest(client, db, staff, database_url):
    round_id, [code] = await voting_round(client, db, staff)
    await key_entry(client, staff["grid_worker"], round_id, 1, code, MARKS)
    [row] = await entries_of(db, round_id)
    stored = bytes(row.nonce) + bytes(row.sealed)
    for plain in (code, code.replace("-", ""), *PARK):
        assert plain.encode() not in stored
    raw = await db.execute(text("SELECT * FROM paper_keyings"))
    dumped = repr(raw.all())
    assert code.replace("-", "") not in dumped
    if database_url.startswith("sqlite"):  # nor anywhere in the files, write-ahead log too
        path = Path(database_url.split(":///", 1)[1])
        files = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
        assert len(files) > 10_000
        assert code.replace("-", "").encode() not in files
        assert code.encode() not in files


async def test_serials_and_entries_are_checked(client, db, staff):
    round_id, [code] = await voting_round(client, db, staff, printed=2)
    unknown = await key_entry(client, staff["grid_worker"], round_id, 3, code, MARKS)
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "invalid"
    short = await key_entry(client, staff["grid_worker"], round_id, 1, code, [1, 2])
    assert short.status_code == 422
    twice = await key_entry(client, staff["grid_worker"], round_id, 1, code, [1, 1] + [None] * 4)
    assert twice.status_code == 422
    assert twice.json()["code"] == "invalid-ballot"
    assert twice.json()["field"] == "marks"
    unreadable = await key_entry(client, staff["grid_worker"], round_id, 1, "ABC", MARKS)
    assert unreadable.status_code == 422
    assert await entries_of(db, round_id) == []
    again = await print_paper(client, staff["facilitator"], round_id, 2)
    assert again.status_code == 200
    summary = await client.get(f"/api/v1/rounds/{round_id}/paper", headers=staff["grid_worker"])
    assert summary.json()["printed"] == 4  # serials never repeat across printings
    printed = await audit(db, "paper.printed")
    assert [e.detail["first"] for e in printed if e.entity_id == round_id] == [1, 3]


async def test_paper_ballots_are_refused_for_score_rounds(client, db, staff):
    round_id = await make_round(db, kind="score", method="score")
    printing = await print_paper(client, staff["facilitator"], round_id)
    assert printing.status_code == 409
    assert printing.json()["code"] == "paper-kind"
    assert "评分票" in printing.json()["detail"] or printing.json()["code"] == "paper-kind"


async def test_paper_entries_wait_for_voting(client, db, staff):
    round_id = await make_round(db, phase="commenting")
    printing = await print_paper(client, staff["facilitator"], round_id)
    assert printing.status_code == 200, printing.text
    keyed = await key_entry(client, staff["grid_worker"], round_id, 1, "ABCDE-12345", MARKS)
    assert keyed.status_code == 409
    assert keyed.json()["code"] == "round-not-open"
    assert await db.scalar(select(func.count()).select_from(AuditEvent)) is not None


async def test_a_serial_left_agreed_is_settled_again_without_a_second_ballot(
    client, db, staff, monkeypatch
):
    round_id, [code] = await voting_round(client, db, staff)
    finish = Settler._finish
    failed: list[int] = []

    async def fails_once(self, db, round_id, serial, state, reason, actor):
        if not failed:
            failed.append(serial)
            raise RuntimeError("the server stopped after the cast")
        await finish(self, db, round_id, serial, state, reason, actor)

    monkeypatch.setattr(Settler, "_finish", fails_once)
    await key_entry(client, staff["grid_worker"], round_id, 1, code, MARKS)
    broken = await key_entry(client, staff["secretary"], round_id, 1, code, MARKS)
    assert broken.status_code == 500
    assert await state_of(db, round_id, 1) == "agreed"
    assert len(await sealed_box(db, round_id)) == 1  # cast before the failure
    again = await key_entry(client, staff["secretary"], round_id, 1, code, MARKS)
    assert again.status_code == 200, again.text
    assert again.json()["state"] == "cast"
    assert len(await sealed_box(db, round_id)) == 1  # the retry replayed the same cast
    assert await entries_of(db, round_id) == []
