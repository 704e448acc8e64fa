"""Numbered slips hardened, on every database: a batch's codes are shown freely only to its
issuer in the printing window; after it a reprint is an explicit POST with the numbers and a
reason, audited without codes and counted for the meeting to see (batch list, turnout); a
void never overwrites a code a cast used meanwhile; a used code keeps no slip number (and a
claim no cast won gets it back); two batches at once are numbered apart; typed numbers and
query strings never make a 500."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import Connection, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth.guard import Actor
from service.db.base import utcnow
from service.db.models import AuditEvent, SlipBatch, VoterCode
from service.db.session import sessionmaker
from service.errors import Conflict, Forbidden, Invalid
from service.voting import batches, codes
from service.voting.codes import code_hash, normalize_code
from service.voting.schemas import CodesCreate
from service.voting.statements import CoreStatements
from tests.support.app import SECRET
from tests.support.documents import pdf_text
from tests.support.pages import labels_of, post_form, use_session
from tests.support.rounds import cast, issue, make_round, ranked

NOBODY = Actor(id=None, name="主持人", role="facilitator")


async def issue_on_page(client, round_id: int, count: int) -> list[str]:
    """Issue a batch from the round page as the signed-in facilitator; its codes."""
    shown = await post_form(client, f"/console/rounds/{round_id}/codes", {"count": str(count)})
    assert shown.status_code == 200, shown.text
    return labels_of(shown.text, "slip-code")


async def close_window(db: AsyncSession, round_id: int) -> None:
    """Make the round's batches older than the printing window."""
    long_ago = utcnow() - batches.PRINTING_WINDOW - timedelta(minutes=1)
    await db.execute(
        update(SlipBatch).where(SlipBatch.round_id == round_id).values(issued_at=long_ago)
    )
    await db.commit()


async def audited(db: AsyncSession, action: str) -> list[dict[str, object]]:
    db.expire_all()
    return list(await db.scalars(select(AuditEvent.detail).where(AuditEvent.action == action)))


# --- the printing window -----------------------------------------------------------------


async def test_codes_are_shown_only_to_the_issuer_in_the_printing_window(client, db, staff):
    round_id = await make_round(db)
    use_session(client, staff["facilitator"])
    made = await issue_on_page(client, round_id, 3)
    assert len(made) == 3
    page = f"/console/rounds/{round_id}/slips/1"
    again = await client.get(page)  # a reload in the window: the same codes, none made
    assert labels_of(again.text, "slip-code") == made
    assert len(await audited(db, "codes.slips_printed")) == 2  # audited once per showing
    # a prefetch (a link hovered) shows no code and is no printing
    ahead = await client.get(page, headers={"Sec-Purpose": "prefetch"})
    assert labels_of(ahead.text, "slip-code") == []
    assert len(await audited(db, "codes.slips_printed")) == 2
    # anyone else sees numbers and statuses only
    use_session(client, staff["admin"])
    other = await client.get(page)
    assert other.status_code == 200
    assert labels_of(other.text, "slip-code") == []
    assert not any(code in other.text for code in made)
    assert 'id="reprint-form"' in other.text
    assert "只在发放后 30 分钟内" in other.text
    pdf = await client.get(f"{page}/pdf", follow_redirects=False)
    assert (pdf.status_code, pdf.headers["location"]) == (303, page)
    # the issuer too, once the window is over
    use_session(client, staff["facilitator"])
    await close_window(db, round_id)
    late = await client.get(page)
    assert labels_of(late.text, "slip-code") == []
    assert late.text.count('data-status="issued"') == 3
    with pytest.raises(Forbidden) as refused:
        await batches.unused_slips(db, round_id, 1, SECRET, NOBODY)
    assert refused.value.code == "slips-window-closed"
    await db.rollback()


# --- reprints ----------------------------------------------------------------------------


async def test_a_reprint_is_explicit_audited_and_counted_for_the_meeting(
    client, db, staff, tmp_path
):
    round_id = await make_round(db)
    use_session(client, staff["facilitator"])
    made = await issue_on_page(client, round_id, 4)
    assert (await cast(client, round_id, made[1], ranked("文化墙"))).status_code == 201
    await post_form(
        client, f"/console/rounds/{round_id}/slips/void", {"numbers": "4", "reason": "丢了"}
    )
    await close_window(db, round_id)
    url = f"/console/rounds/{round_id}/slips/1/reprint"
    listed = await client.get(f"/console/rounds/{round_id}/slips/1")
    assert 'value="1, 3"' in listed.text  # every unused slip by default
    assert listed.text.count('data-status="used"') == 1
    assert listed.text.count('data-status="void"') == 1
    # a reason is required, and numbers must be the batch's
    for form, field in (
        ({"reason": " "}, "reason"),
        ({"numbers": "9", "reason": "卡纸"}, "numbers"),
    ):
        bad = await post_form(client, url, form)
        assert bad.status_code == 422
        assert f'data-field="{field}"' in bad.text
    none = await post_form(client, url, {"numbers": "2", "reason": "卡纸"})
    assert none.status_code == 409
    # every unused slip, as a page the browser does not keep
    printed = await post_form(client, url, {"numbers": "", "reason": "打印机卡纸"})
    assert printed.status_code == 200
    assert printed.headers["cache-control"] == "no-store"
    assert labels_of(printed.text, "slip-code") == [made[0], made[2]]
    assert "已重印 2 张" in printed.text
    # one slip again, as a PDF
    pdf = await post_form(client, url, {"numbers": "3", "reason": "第二份", "pdf": "yes"})
    assert pdf.headers["content-type"] == "application/pdf"
    assert made[2] in pdf_text(pdf.content, tmp_path)
    assert made[0] not in pdf_text(pdf.content, tmp_path)
    reprints = await audited(db, "codes.reprinted")
    assert reprints == [
        {"batch": 1, "numbers": [1, 3], "reason": "打印机卡纸"},
        {"batch": 1, "numbers": [3], "reason": "第二份"},
    ]
    assert not any(code in str(reprints) for code in made)
    assert await db.scalar(select(SlipBatch.reprints)) == 3
    # everyone sees it: the turnout and the round page
    turnout = await client.get(f"/console/rounds/{round_id}/turnout")
    assert turnout.json()["slips_reprinted"] == 3
    round_page = await client.get(f"/console/rounds/{round_id}")
    assert "重印 3 张" in round_page.text
    assert "（重印 3 张）" in round_page.text
    english = await client.get(f"/console/rounds/{round_id}?lang=en")
    assert "3 reprinted" in english.text
    # the reprinted code still votes once
    assert (await cast(client, round_id, made[2], ranked("文化墙"))).status_code == 201


# --- voiding never overwrites a cast -----------------------------------------------------


async def mark_used_meanwhile(session: AsyncSession, round_id: int, number: int) -> None:
    """What a cast's claim does to a code (uncommitted: the row stays locked)."""
    await session.execute(
        text(
            "UPDATE voter_codes SET status = 'used', number = NULL, batch_id = NULL "
            "WHERE round_id = :r AND number = :n AND status = 'issued'"
        ),
        {"r": round_id, "n": number},
    )


async def test_voiding_never_overwrites_a_code_used_meanwhile(client, db, staff, settings):
    round_id = await make_round(db)
    use_session(client, staff["facilitator"])
    made = await issue_on_page(client, round_id, 3)
    maker = sessionmaker(db.bind)  # the test's own loop (asyncpg connections belong to one)
    if settings.database_url.startswith("postgresql"):
        async with maker() as caster, maker() as voider:
            await mark_used_meanwhile(caster, round_id, 2)  # holds slip 2's row
            voiding = asyncio.create_task(
                batches.void_slips(voider, round_id, {1, 2}, "丢了", NOBODY)
            )
            await asyncio.sleep(0.5)
            assert not voiding.done()  # it waits for the cast's row, then re-checks it
            await caster.commit()
            done = await voiding
            await voider.commit()
        assert (done.voided, done.used) == ([1], [2])
        async with maker() as caster, maker() as voider:
            await mark_used_meanwhile(caster, round_id, 3)
            one = asyncio.create_task(
                codes.void_code(voider, round_id, made[2], "丢了", SECRET, NOBODY)
            )
            await asyncio.sleep(0.5)
            await caster.commit()
            with pytest.raises(Conflict) as refused:
                await one
            assert refused.value.code == "code-used"
    else:  # one writer at a time: the cast commits before the void reads
        async with maker() as caster:
            await mark_used_meanwhile(caster, round_id, 2)
            await caster.commit()
        async with maker() as voider:
            done = await batches.void_slips(voider, round_id, {1, 2}, "丢了", NOBODY)
            await voider.commit()
        assert (done.voided, done.used) == ([1], [2])
    db.expire_all()
    rows = (await db.execute(select(VoterCode.status, VoterCode.void_reason))).all()
    assert sorted(s for s, _ in rows).count("used") >= 1
    assert all(r is None for s, r in rows if s == "used")  # a used code never got a reason


# --- a used code holds no slip number ----------------------------------------------------


async def test_a_used_code_keeps_no_slip_number(client, db, staff):
    round_id = await make_round(db, household_roll=True)
    use_session(client, staff["facilitator"])
    url = f"/console/rounds/{round_id}/codes"
    first = await post_form(client, url, {"households": "1-101\n1-102"})
    a, b = labels_of(first.text, "slip-code")
    second = await post_form(client, url, {"households": "1-101", "confirm": "1"})
    [again] = labels_of(second.text, "slip-code")
    assert (await cast(client, round_id, a, ranked("文化墙"))).status_code == 201
    # the household's second code is refused at the cast: its claim is given back whole
    refused = await cast(client, round_id, again, ranked("文化墙"))
    assert refused.json()["code"] == "household-voted"
    db.expire_all()
    rows = (
        await db.execute(
            select(VoterCode.status, VoterCode.number, VoterCode.batch_id).where(
                VoterCode.round_id == round_id
            )
        )
    ).all()
    used = [r for r in rows if r[0] == "used"]
    assert used == [("used", None, None)]
    kept = sorted((n, s) for s, n, batch in rows if s == "issued" and batch is not None)
    assert kept == [(2, "issued"), (3, "issued")]
    listed = await client.get(f"/console/rounds/{round_id}")
    assert "未用 1，已用 1，作废 0" in listed.text
    voided = await post_form(
        client, f"/console/rounds/{round_id}/slips/void", {"numbers": "1-2", "reason": "收回"}
    )
    assert "这些纸条已经投过票，没有作废：第1号" in voided.text
    assert (await cast(client, round_id, b, ranked("文化墙"))).json()["code"] == "code-void"


# --- two batches at once -----------------------------------------------------------------


async def test_a_batch_whose_numbers_were_taken_meanwhile_is_numbered_again(client, db, staff):
    round_id = await make_round(db)
    plan = await codes.check_codes(db, round_id, CodesCreate(count=2))
    # another facilitator's batch is stored between the plan and the write
    rival = await codes.check_codes(db, round_id, CodesCreate(count=3))
    await codes.issue_plan(db, rival, SECRET, NOBODY)
    issued = await codes.issue_plan(db, plan, SECRET, NOBODY)
    await db.commit()
    assert issued.batch == 2
    assert [c.number for c in issued.codes] == [4, 5]
    rows = (await db.execute(select(SlipBatch.number, SlipBatch.first, SlipBatch.count))).all()
    assert sorted(tuple(r) for r in rows) == [(1, 1, 3), (2, 4, 2)]
    # the renumbered codes are those of their new numbers, and they vote
    assert (await cast(client, round_id, issued.codes[1].code, ranked("文化墙"))).status_code == 201


async def test_the_apis_slip_pdf_is_numbered_again_with_its_batch(client, db, staff):
    """The API makes the PDF before the write: a batch renumbered after a rival's gets a PDF
    of its new numbers and codes, not of the numbers it lost."""
    round_id = await make_round(db)
    plan = await codes.check_codes(db, round_id, CodesCreate(count=2))
    rival = await codes.check_codes(db, round_id, CodesCreate(count=3))
    await codes.issue_plan(db, rival, SECRET, NOBODY)
    pdfs: list[list[int]] = []

    async def made(numbered: codes.CodePlan, fresh: list[codes.FreshCode]) -> None:
        pdfs.append([numbered.first + i for i in range(len(fresh))])

    issued = await codes.issue_plan(db, plan, SECRET, NOBODY, before_store=made)
    await db.commit()
    assert pdfs == [[1, 2], [4, 5]]  # made again for the numbers stored
    assert [c.number for c in issued.codes] == [4, 5]
    slips = await client.post(
        f"/api/v1/rounds/{round_id}/code-slips", json={"count": 1}, headers=staff["facilitator"]
    )
    assert slips.status_code == 201, slips.text
    assert "-voter-codes-6.pdf" in slips.headers["content-disposition"]  # the next number


async def test_the_issue_form_is_sent_once_and_a_roll_is_not_kept_in_the_browser(client, db, staff):
    plain = await make_round(db)
    roll = await make_round(db, household_roll=True)
    use_session(client, staff["facilitator"])
    page = (await client.get(f"/console/rounds/{plain}")).text
    assert 'id="issue-form" data-once>' in page
    households = (await client.get(f"/console/rounds/{roll}")).text
    assert 'id="issue-form" data-once data-keep-nothing>' in households


# --- typed numbers never make a 500 ------------------------------------------------------


async def test_numbers_typed_or_queried_wrongly_are_told_not_500(client, db, staff):
    with pytest.raises(Invalid) as refused:
        batches.slip_numbers("1" * 5000)
    assert refused.value.field == "numbers"
    round_id = await make_round(db)
    use_session(client, staff["facilitator"])
    await issue_on_page(client, round_id, 2)
    long = await post_form(
        client,
        f"/console/rounds/{round_id}/slips/void",
        {"numbers": "7" * 4000, "reason": "丢了"},
    )
    assert long.status_code == 422
    assert 'data-field="numbers"' in long.text
    for query in ("voided=²", "used=¹²,3", "already=" + "9" * 400):
        shown = await client.get(f"/console/rounds/{round_id}/slips/voided?{query}")
        assert shown.status_code == 200


async def test_the_core_statements_clear_a_claimed_number_and_give_it_back(client, db, staff):
    round_id = await make_round(db)
    made = await issue(client, staff["facilitator"], round_id, 2)
    number_of = {code_hash(SECRET, str(normalize_code(c))): n for n, c in enumerate(made, 1)}
    hashes = sorted(number_of)
    conn = await db.connection()

    def claim_then_give_one_back(sync: Connection) -> list[tuple[str, int | None]]:
        box = CoreStatements(sync)
        box.claim_codes(round_id, hashes)
        claimed = sync.execute(select(VoterCode.code_hash, VoterCode.number)).all()
        box.return_codes(round_id, hashes[:1])
        return [(h, n) for h, n in claimed]

    claimed = await conn.run_sync(claim_then_give_one_back)
    await db.commit()
    assert sorted(claimed) == [(h, None) for h in hashes]
    db.expire_all()
    rows = (await db.execute(select(VoterCode.code_hash, VoterCode.number, VoterCode.status))).all()
    assert sorted(tuple(r) for r in rows) == sorted(
        [(hashes[0], number_of[hashes[0]], "issued"), (hashes[1], None, "used")]
    )
