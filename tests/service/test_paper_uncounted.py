"""Spoiled and blank paper ballots leave no trace of whose they were (the code is used like a
counted paper ballot's, a count per round says how many), the reconciliation line is checked
against figures kept apart from the codes (so an altered code, box or count shows 不符), no
paper entry outlives the close, and the entry form says nothing a crafted link asks for."""

from __future__ import annotations

import asyncio

import msgspec
import pytest
from sqlalchemy import delete, select, update

from engine.process import RoundPhase
from engine.validity import Validity
from service.db.models import (
    Envelope,
    Household,
    PaperKeying,
    PaperUncountedCount,
    Round,
    RoundResult,
    VoterCode,
)
from service.db.session import sessionmaker
from service.results import purge
from service.results.purge import purged
from service.rounds.repository import find_round
from service.voting.channels import channel_counts
from tests.support.pages import labels_of, post_form, use_session
from tests.support.paper import key_entry, print_paper
from tests.support.rounds import cast, close, issue, make_round, ranked

# slate order: 儿童游乐设施 健康监测站 文化墙 小型活动区 健身器材 遮阳座椅
MARKS = [2, None, 1, None, None, 3]


async def both_clerks(client, staff, round_id, serial, code, marks, verdict="ballot"):
    """Two clerks key the same entry; the second answer (the serial settled)."""
    first = await key_entry(client, staff["grid_worker"], round_id, serial, code, marks, verdict)
    assert first.status_code == 200, first.text
    second = await key_entry(client, staff["secretary"], round_id, serial, code, marks, verdict)
    assert second.status_code == 200, second.text
    return second.json()


async def turnout_of(client, staff, round_id):
    answer = await client.get(f"/api/v1/rounds/{round_id}/turnout", headers=staff["admin"])
    assert answer.status_code == 200, answer.text
    return answer.json()


async def household_round(client, db, staff):
    """A household round voting with a households quorum of a half: codes for 1-101 and
    1-102 issued on the round page (one batch), three paper ballots printed."""
    round_id = await make_round(db, household_roll=True)
    row = await db.get(Round, round_id, populate_existing=True)
    row.validity = msgspec.convert({"quorum": "households", "quorum_share": HALF}, Validity)
    await db.commit()
    use_session(client, staff["facilitator"])
    shown = await post_form(
        client, f"/console/rounds/{round_id}/codes", {"households": "1-101\n1-102"}
    )
    assert shown.status_code == 200, shown.text
    codes = labels_of(shown.text, "slip-code")
    assert (await print_paper(client, staff["facilitator"], round_id, 3)).status_code == 200
    return round_id, codes


HALF = {"numerator": 1, "denominator": 2}


@pytest.mark.parametrize("verdict", ["spoiled", "blank"])
async def test_a_spoiled_or_blank_paper_ballot_is_counted_apart_from_its_household(
    client, db, staff, verdict
):
    round_id, [code, _other] = await household_round(client, db, staff)
    db.expire_all()
    [(number, label)] = (
        await db.execute(
            select(VoterCode.number, Household.label)
            .join(Household, Household.id == VoterCode.household_id)
            .where(VoterCode.round_id == round_id, VoterCode.number == 1)
        )
    ).all()
    settled = await both_clerks(client, staff, round_id, 1, code, [], verdict)
    assert settled["state"] == verdict
    db.expire_all()
    # the code row is a counted paper ballot's: no verdict, no slip number, no batch
    rows = (
        await db.execute(
            select(VoterCode.status, VoterCode.channel, VoterCode.number, VoterCode.batch_id).where(
                VoterCode.round_id == round_id, VoterCode.status != "issued"
            )
        )
    ).all()
    assert [tuple(r) for r in rows] == [("used", "paper", None, None)]
    counted = (
        await db.execute(
            select(PaperUncountedCount.verdict, PaperUncountedCount.count).where(
                PaperUncountedCount.round_id == round_id
            )
        )
    ).all()
    assert [tuple(r) for r in counted] == [(verdict, 1)]
    # the household took part: marked as voted, in the households quorum
    voted = await db.scalar(
        select(Household.voted).where(Household.round_id == round_id, Household.label == label)
    )
    assert voted is True
    seen = await turnout_of(client, staff, round_id)
    assert seen[f"paper_{verdict}"] == 1
    assert (seen["paper_ballots"], seen["codes_used"], seen["ballots_cast"]) == (0, 0, 0)
    assert (seen["households_voted"], seen["reconciled"]) == (1, True)
    assert (seen["quorum"]["kind"], seen["quorum"]["present"]) == ("households", 1)
    assert seen["quorum"]["reached"] is True
    # the slips page lists the slip as used, with no household and no raw message key
    use_session(client, staff["admin"])
    page = await client.get(f"/console/rounds/{round_id}/slips/1")
    assert page.status_code == 200, page.text
    assert "console.reprint" not in page.text
    assert f'data-number="{number}" data-status="used"' in page.text
    assert label not in page.text
    assert 'data-status="spoiled"' not in page.text
    assert 'data-status="blank"' not in page.text
    # counting accepts the box (one used code, no ballot, one counted apart), the record
    # reconciles
    await close(db, round_id)
    bundle = await client.get(f"/api/v1/rounds/{round_id}/bundle", headers=staff["secretary"])
    (record,) = bundle.json()["rounds"]
    assert record["turnout"][f"paper_{verdict}"] == 1
    assert record["turnout"]["reconciled"] is True


async def test_a_spoiled_ballot_with_no_readable_code_uses_none_and_still_reconciles(
    client, db, staff
):
    round_id = await make_round(db)
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    assert (await print_paper(client, staff["facilitator"], round_id, 3)).status_code == 200
    assert (await both_clerks(client, staff, round_id, 1, "", [], "spoiled"))["state"] == "spoiled"
    settled = await both_clerks(client, staff, round_id, 2, code, MARKS)
    assert settled["state"] == "cast"
    seen = await turnout_of(client, staff, round_id)
    assert (seen["paper_ballots"], seen["paper_spoiled"], seen["reconciled"]) == (1, 0, True)
    page = await client.get(f"/console/rounds/{round_id}/paper", headers=staff["grid_worker"])
    assert "选票上的投票码无法辨认" in page.text


async def test_an_altered_code_box_or_count_does_not_reconcile(client, db, staff):
    """The line is checked against the box and the paper serials: each alteration behind
    the service's back shows as 不符 (reconciled false), before and after the close."""
    round_id = await make_round(db)
    codes = await issue(client, staff["facilitator"], round_id, 5)
    assert (await print_paper(client, staff["facilitator"], round_id, 3)).status_code == 200
    assert (await cast(client, round_id, codes[0], ranked("文化墙"))).status_code == 201
    assert (await both_clerks(client, staff, round_id, 1, codes[1], MARKS))["state"] == "cast"
    assert (await both_clerks(client, staff, round_id, 2, codes[2], [], "blank"))["state"] == (
        "blank"
    )
    assert (await turnout_of(client, staff, round_id))["reconciled"] is True
    use_session(client, staff["facilitator"])
    assert "（相符）" in (await client.get(f"/console/rounds/{round_id}")).text

    async def reconciled() -> bool:
        db.expire_all()
        return (await turnout_of(client, staff, round_id))["reconciled"]

    # a code marked used with no ballot behind it (a "tablet" ballot the box lacks)
    [spare] = (
        await db.scalars(
            select(VoterCode.id).where(VoterCode.round_id == round_id, VoterCode.status == "issued")
        )
    ).all()[:1]
    await db.execute(update(VoterCode).where(VoterCode.id == spare).values(status="used"))
    await db.commit()
    assert await reconciled() is False
    assert "（不符）" in (await client.get(f"/console/rounds/{round_id}")).text
    await db.execute(update(VoterCode).where(VoterCode.id == spare).values(status="issued"))
    await db.commit()
    assert await reconciled() is True
    # the blank count raised by one: the paper ballots no longer match the serials cast
    bump = update(PaperUncountedCount).where(PaperUncountedCount.round_id == round_id)
    await db.execute(bump.values(count=PaperUncountedCount.count + 1))
    await db.commit()
    assert await reconciled() is False
    await db.execute(bump.values(count=PaperUncountedCount.count - 1))
    await db.commit()
    assert await reconciled() is True
    # a paper ballot's code relabelled as a tablet's: paper no longer matches its serials
    paper = select(VoterCode.id).where(VoterCode.round_id == round_id, VoterCode.channel == "paper")
    first_paper = (await db.scalars(paper)).first()
    await db.execute(update(VoterCode).where(VoterCode.id == first_paper).values(channel=None))
    await db.commit()
    assert await reconciled() is False
    await db.execute(update(VoterCode).where(VoterCode.id == first_paper).values(channel="paper"))
    await db.commit()
    # after the close: the stored result's ballots are the box
    await close(db, round_id)
    assert (await channel_counts(db, round_id)).balanced
    await db.execute(update(RoundResult).where(RoundResult.round_id == round_id).values(ballots=3))
    await db.commit()
    db.expire_all()
    assert not (await channel_counts(db, round_id)).balanced
    await db.commit()  # the test's read ends, and the close's purge is over, before the export
    await purged()
    bundle = await client.get(f"/api/v1/rounds/{round_id}/bundle", headers=staff["secretary"])
    (record,) = bundle.json()["rounds"]
    assert record["turnout"]["reconciled"] is False


async def test_an_envelope_taken_out_of_the_box_does_not_reconcile(client, db, staff):
    round_id = await make_round(db)
    codes = await issue(client, staff["facilitator"], round_id, 2)
    for code in codes:
        assert (await cast(client, round_id, code, ranked("文化墙"))).status_code == 201
    assert (await turnout_of(client, staff, round_id))["reconciled"] is True
    nonce = await db.scalar(select(Envelope.nonce).where(Envelope.round_id == round_id))
    await db.execute(delete(Envelope).where(Envelope.round_id == round_id, Envelope.nonce == nonce))
    await db.commit()
    assert (await turnout_of(client, staff, round_id))["reconciled"] is False


async def test_no_sealed_paper_entry_outlives_the_count_or_the_purge(client, db, staff):
    round_id = await make_round(db)
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    assert (await print_paper(client, staff["facilitator"], round_id, 3)).status_code == 200
    assert (await key_entry(client, staff["grid_worker"], round_id, 1, code, MARKS)).status_code
    # a sealed entry stored as if it raced the close (its serial left aside)
    await db.execute(
        delete(PaperKeying).where(PaperKeying.round_id == round_id)  # nothing pending
    )
    stray = PaperKeying(round_id=round_id, serial=3, slot=1, nonce=b"\0" * 12, sealed=b"x")
    db.add(stray)
    await db.commit()
    await close(db, round_id)
    await purge.purged()  # the purge that follows the close
    kept = select(PaperKeying.id).where(PaperKeying.round_id == round_id)
    assert (await db.scalars(kept)).all() == []
    # one written after the count is gone at the purge
    db.expunge_all()
    db.add(PaperKeying(round_id=round_id, serial=3, slot=1, nonce=b"\1" * 12, sealed=b"y"))
    await db.execute(
        update(RoundResult).where(RoundResult.round_id == round_id).values(purged_at=None)
    )
    await db.commit()
    await purge.purge(db.bind)  # type: ignore[arg-type]  # its first step deletes
    db.expire_all()
    assert (await db.scalars(kept)).all() == []


@pytest.mark.backends("postgres")  # row locks are PostgreSQL's; SQLite writes one at a time
async def test_an_entry_waits_for_a_close_under_way_and_is_refused(client, db, staff):
    """Paper entry reads the round under a shared lock: an entry racing a close waits for
    it and then finds the round closed (PostgreSQL; SQLite writes one at a time)."""
    round_id = await make_round(db)
    [code] = await issue(client, staff["facilitator"], round_id, 1)
    assert (await print_paper(client, staff["facilitator"], round_id, 3)).status_code == 200
    async with sessionmaker(db.bind)() as closing, closing.begin():  # type: ignore[arg-type]
        row = await find_round(closing, round_id, for_update=True)
        # the test client waits for the app's answer without giving way: from a thread
        entry = asyncio.ensure_future(
            asyncio.to_thread(
                asyncio.run, key_entry(client, staff["grid_worker"], round_id, 1, code, MARKS)
            )
        )
        await asyncio.sleep(0.5)
        assert not entry.done()  # waiting for the close
        row.phase = RoundPhase.CLOSED
    refused = await entry
    assert refused.status_code == 409, refused.text
    kept = select(PaperKeying.id).where(PaperKeying.round_id == round_id)
    assert (await db.scalars(kept)).all() == []


async def test_the_entry_form_names_only_known_outcomes(client, db, staff):
    round_id = await make_round(db)
    use_session(client, staff["grid_worker"])
    base = f"/console/rounds/{round_id}/paper"
    crafted = await client.get(base, params={"serial": "7", "state": "x</p>", "reason": "zz"})
    assert crafted.status_code == 200
    assert "console.paper" not in crafted.text
    assert 'id="entry-outcome"' not in crafted.text
    odd_reason = await client.get(base, params={"serial": "7", "state": "refused", "reason": "zz"})
    assert "console.paper" not in odd_reason.text
    assert "第 7 号未计入票箱。" in odd_reason.text
    known = await client.get(
        base, params={"serial": "7", "state": "refused", "reason": "code-used"}
    )
    assert "这个投票码已经投过票" in known.text
