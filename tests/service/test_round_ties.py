"""A round's tie-break mode: set up (422 for a bad mode or order), the close that meets a
tie under ``ask`` and keeps the question on the round page, the facilitator's answer (only
those who close rounds), the count again, the record and the exports recounted with the
same mode and answers."""

from __future__ import annotations

import re
from typing import Any

import msgspec
import pytest
from sqlalchemy import select

from service.cli import main
from service.db.models import AuditEvent, Round, RoundResult
from service.records.document import answer_lines, tie_break_pairs
from tests.support.cli import json_of
from tests.support.documents import pdf_text
from tests.support.pages import post_form, set_up, use_session
from tests.support.park import PARK
from tests.support.rounds import make_round, ranked, saved_export, vote

P0, P1, P2, P3, P4, P5 = PARK
# 5 × P0, 4 × P1, 3 × P2, 3 × P3, 2 × P4, 1 × P5 (each naming one option only): 18 ballots.
# Round 1: P5 (1) out, its ballot exhausts; round 2: P4 (2) out; round 3: P0 5, P1 4, P2 3,
# P3 3, 3 exhausted — P2 and P3 tie for last, equal in every round before: the count asks.
# Answer P3: round 4 P0 5, P1 4, P2 3, 6 exhausted → P2 out; round 5 P0 5, P1 4, 9
# exhausted: 5 is over 9 / 2 — P0 elected.
BALLOTS = (
    [ranked(P0)] * 5 + [ranked(P1)] * 4 + [ranked(P2)] * 3 + [ranked(P3)] * 3 + [ranked(P4)] * 2
) + [ranked(P5)]
TIED = tuple(sorted((P2, P3)))
RANKED_EXPORTS = ("blt", "preflib", "ballots-csv", "json")
"""The exports that hold a ranked round's ballots."""


async def close_into_the_question(client: Any, db: Any, staff: Any, mode: str = "ask") -> int:
    round_id = await make_round(db, method="irv", options={"tie_break": mode})
    await vote(client, staff, round_id, BALLOTS)
    closing = await client.post(
        f"/api/v1/rounds/{round_id}/phase", json={"to": "closed"}, headers=staff["facilitator"]
    )
    assert closing.status_code == 409, closing.text
    said = closing.json()
    assert said["code"] == "tie-question"
    assert said["message_zh"].startswith(
        f"计票遇到平局，需要主持人决定：第3轮淘汰平局：{TIED[0]}、{TIED[1]} 并列"
    )
    assert said["detail"]["tie"] == {
        "round": 3,
        "purpose": "eliminate",
        "tied": list(TIED),
        "count": 1,
    }
    return round_id


async def test_the_close_keeps_the_question_and_the_answer_counts_the_round(client, db, staff):
    round_id = await close_into_the_question(client, db, staff)
    row = await db.get(Round, round_id, populate_existing=True)
    assert row.phase == "closed"  # no cast lands while the facilitator decides
    assert await db.get(RoundResult, round_id) is None
    asked = await db.scalar(select(AuditEvent).where(AuditEvent.action == "round.tie-asked"))
    assert asked.detail == {
        "count_round": 3,
        "purpose": "eliminate",
        "tied": list(TIED),
        "choose": 1,
    }
    use_session(client, staff["facilitator"])
    page = (await client.get(f"/console/rounds/{round_id}")).text
    section = page.split('id="tie"', 1)[1].split("</section>", 1)[0]
    assert "计票遇到平局，请主持人决定" in section
    assert f"第3轮淘汰平局：{TIED[0]}、{TIED[1]} 并列，需要决定1个" in section
    assert re.findall(r'name="chosen" value="([^"]+)"', section) == list(TIED)
    wrong = await post_form(client, f"/console/rounds/{round_id}/tie", {"chosen": P0})
    assert wrong.status_code == 422
    assert "请从并列的" in wrong.text
    answered = await post_form(
        client, f"/console/rounds/{round_id}/tie", {"chosen": P3}, follow_redirects=False
    )
    assert answered.status_code in (302, 303), answered.text
    assert answered.headers["location"] == f"/console/rounds/{round_id}/reveal"
    stored = await db.get(RoundResult, round_id, populate_existing=True)
    result = msgspec.json.decode(stored.result)
    assert [r["eliminated"] for r in result["rounds"]] == [[P5], [P4], [P3], [P2], []]
    assert [r["exhausted"] for r in result["rounds"]] == [0.0, 1.0, 3.0, 6.0, 9.0]
    assert result["rounds"][-1]["tallies"] == {P0: 5.0, P1: 4.0}
    assert result["winners"] == [P0]
    answer = {"round": 3, "purpose": "eliminate", "tied": list(TIED), "chosen": [P3]}
    assert result["tie_break"] == {"mode": "ask", "order": [], "answers": [answer]}
    said = await db.scalar(select(AuditEvent).where(AuditEvent.action == "round.tie-answered"))
    assert said.detail == {
        "count_round": 3,
        "purpose": "eliminate",
        "tied": list(TIED),
        "chosen": [P3],
    }
    assert said.actor == "facilitator 测试"
    row = await db.get(Round, round_id, populate_existing=True)
    assert row.options.tie_question is None
    page = (await client.get(f"/console/rounds/{round_id}")).text
    assert f"第3轮淘汰平局：{TIED[0]}、{TIED[1]} 并列，由主持人决定淘汰{P3}" in page


async def test_only_those_who_close_rounds_answer(client, db, staff):
    round_id = await close_into_the_question(client, db, staff)
    for role in ("secretary", "grid_worker"):
        use_session(client, staff[role])
        refused = await post_form(client, f"/console/rounds/{round_id}/tie", {"chosen": P3})
        assert refused.status_code == 403, role
    assert (await db.get(Round, round_id, populate_existing=True)).options.tie_answers == []


async def test_an_answer_without_a_question_is_refused(client, db, staff):
    round_id = await make_round(db, method="irv", options={"tie_break": "ask"})
    use_session(client, staff["facilitator"])
    refused = await post_form(client, f"/console/rounds/{round_id}/tie", {"chosen": P3})
    assert refused.status_code == 409
    assert "本轮现在没有等待决定的平局" in refused.text


async def test_the_record_and_every_export_state_the_mode_and_the_answer(
    client, db, staff, tmp_path
):
    round_id = await close_into_the_question(client, db, staff)
    use_session(client, staff["facilitator"])
    await post_form(client, f"/console/rounds/{round_id}/tie", {"chosen": P3})
    client.cookies.clear()
    published = await client.post(
        f"/api/v1/rounds/{round_id}/phase", json={"to": "published"}, headers=staff["facilitator"]
    )
    assert published.status_code == 200, published.text
    shown = (await client.get(f"/api/v1/rounds/{round_id}/result")).json()["result"]
    from engine.result import Result

    result = msgspec.convert(shown, Result)
    assert tie_break_pairs(result, "zh") == [("平局处理方式", "停下来由主持人决定")]
    assert answer_lines(result, "zh") == [
        f"第3轮淘汰平局：{TIED[0]}、{TIED[1]} 并列，由主持人决定淘汰{P3}"
    ]
    for fmt in RANKED_EXPORTS:
        path = await saved_export(client, staff["secretary"], round_id, fmt, tmp_path)
        again = json_of("tally", str(path))  # the file's mode and answers: no question asked
        assert again.pop("published")["tie_break"]["answers"][0]["chosen"] == [P3], fmt
        assert again.pop("seed_source") == "file"
        assert again == shown, fmt
    bundle = await saved_export(client, staff["secretary"], round_id, "json", tmp_path / "v")
    assert main(["verify", str(bundle)]) == 0  # the recount of the bundle uses the answers
    pdf = await client.get(f"/api/v1/rounds/{round_id}/exports/pdf", headers=staff["secretary"])
    assert pdf.status_code == 200
    printed = re.sub(r"\s+", "", pdf_text(pdf.content, tmp_path))
    assert "平局处理方式停下来由主持人决定" in printed
    assert f"第3轮淘汰平局：{TIED[0]}、{TIED[1]}并列，由主持人决定淘汰{P3}" in printed


@pytest.mark.parametrize(
    ("options", "field", "words"),
    [
        ({"tie_break": "coin"}, "options.tie_break", "应为以下之一"),
        ({"tie_break": "candidate-order"}, "options.tie_order", "需要填写方案顺序"),
        ({"tie_order": f"{P0}\n{P1}"}, "options.tie_order", "只有平局处理方式为"),
        (
            {"tie_break": "candidate-order", "tie_order": f"{P0}\n{P0}"},
            "options.tie_order",
            "重复出现",
        ),
        (
            {"tie_break": "candidate-order", "tie_order": "不存在的方案"},
            "options.tie_order",
            "不存在的方案 不是本轮的选项",
        ),
        ({"tie_break": "lot", "tie_policy": "refuse"}, "options.tie_break", "要抽签"),
    ],
)
async def test_a_bad_mode_or_order_is_422(client, staff, options, field, words):
    ids = await set_up(client, staff)
    changed = await client.patch(
        f"/api/v1/rounds/{ids['round']}",
        json={"options": {"seats": 1, **options}},
        headers=staff["facilitator"],
    )
    assert changed.status_code == 422, changed.text
    said = changed.json()
    assert said["field"] == field
    assert words in said["message_zh"]


async def test_the_set_up_form_takes_a_mode_and_an_order(client, db, staff):
    ids = await set_up(client, staff)
    rid = ids["round"]
    page = (await client.get(f"/console/rounds/{rid}")).text
    form = page.split('id="round-settings"', 1)[1].split("</form>", 1)[0]
    offered = re.findall(r'name="tie_break" value="([^"]*)"', form)
    assert offered == ["", *TieBreakModes]
    assert "按设定的方案顺序（排在前面的优先，排在最后的先淘汰）" in form
    slate = re.findall(r'name="proposal_ids" value="(\d+)" checked', form)
    names = [n for n in PARK if n in form][:3]
    saved = await post_form(
        client,
        f"/console/rounds/{rid}/settings",
        {
            "title": "设施排序",
            "method": "irv",
            "seats": "1",
            "tie_policy": "lot",
            "tie_break": "candidate-order",
            "tie_order": "\n".join(reversed(names)),
            "proposal_ids": slate,
        },
    )
    assert saved.status_code == 200, saved.text
    row = await db.get(Round, rid, populate_existing=True)
    assert row.options.tie_break == "candidate-order"
    assert row.options.tie_order == list(reversed(names))
    shown = (await client.get(f"/api/v1/rounds/{rid}", headers=staff["facilitator"])).json()
    assert shown["options"]["tie_order"] == "\n".join(reversed(names))
    again = (await client.get(f"/console/rounds/{rid}")).text
    assert re.search(r'name="tie_break" value="candidate-order" checked', again)


TieBreakModes = (
    "earlier-round",
    "later-round",
    "lot",
    "candidate-order",
    "permutation",
    "ask",
    "later-round-then-ask",
)


def test_the_form_offers_every_mode_the_engine_has():
    from engine.result import TIE_BREAK_MODES
    from service.rounds.config import TIE_BREAKS

    assert TieBreakModes == TIE_BREAK_MODES == TIE_BREAKS


def test_an_old_round_reads_as_the_default():
    from service.rounds.settings import RoundOptions

    stored = b'{"seats":1,"tie_policy":"lot","budget":null,"own":{"batch":false}}'
    options = msgspec.json.decode(stored, type=RoundOptions)
    assert options.tie_mode() is None
    assert options.shown() == {"seats": 1, "tie_policy": "lot", "batch": False}


async def test_a_restart_leaves_a_round_waiting_for_its_answer(client, db, staff, settings):
    # the server counts at start what a stopped server left closed without a result; a
    # round whose count waits for the facilitator's answer is not one of them (counting it
    # again would only ask again)
    from service.db.session import create_engine
    from service.phases import finish_closes

    round_id = await close_into_the_question(client, db, staff)
    engine = create_engine(settings.database_url)
    try:
        assert await finish_closes(engine, settings.secret_key) == []
    finally:
        await engine.dispose()
    row = await db.get(Round, round_id, populate_existing=True)
    assert row.phase == "closed"
    assert row.options.tie_question is not None
    assert await db.get(RoundResult, round_id) is None
    asked = await db.scalars(select(AuditEvent).where(AuditEvent.action == "round.tie-asked"))
    assert len(list(asked)) == 1  # asked once, at the close: not counted and asked again


async def test_a_count_that_fails_after_an_answer_forgets_it(client, db, staff, monkeypatch):
    # the answer was taken over the ballots then in the box; once the round is back in
    # voting more may come, so a later tie is asked afresh
    from service.results import counting

    round_id = await close_into_the_question(client, db, staff)

    async def broken(secret_key, sealed):
        raise RuntimeError("the count's worker stopped")

    monkeypatch.setattr(counting, "count_round", broken)
    use_session(client, staff["facilitator"])
    answered = await post_form(client, f"/console/rounds/{round_id}/tie", {"chosen": P3})
    assert answered.status_code >= 400
    row = await db.get(Round, round_id, populate_existing=True)
    assert row.phase == "voting"
    assert (row.options.tie_answers, row.options.tie_question) == ([], None)
