"""The explanation on the TV reveal and the public board, on every database: a pairwise
round whose two leaders tie 3 to 3 (a tie, not a cycle; the head-to-head table with the
winner's row marked; the lot and how to draw it again), and an instant-runoff round in
which a ballot runs out of choices (every counting step in a sentence)."""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any

from sqlalchemy import select

from service.db.models import RoundResult
from tests.support.pages import labels_of, post_form, set_up, to_phase, use_session
from tests.support.park import PARK
from tests.support.rounds import phone_window_in_db

PLAY, HEALTH, CULTURE = PARK[:3]


async def vote(client: Any, round_id: int, orders: list[list[int]]) -> None:
    slips = await post_form(client, f"/console/rounds/{round_id}/codes", {"count": len(orders)})
    for code, order in zip(labels_of(slips.text, "slip-code"), orders, strict=True):
        ballot = {"kind": "ranked", "ranking": [[PARK[i]] for i in order]}
        cast = await client.post(
            f"/api/v1/rounds/{round_id}/ballots",
            json={"code": code, "key": uuid.uuid4().hex, "ballot": ballot},
        )
        assert cast.status_code == 201, cast.text


def squeeze(html: str) -> str:
    """The page's text without tags and runs of white space."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def test_a_head_to_head_tie_on_the_tv_and_the_board(client, db, staff):
    ids = await set_up(client, staff, method="schulze")
    rid = ids["round"]
    await to_phase(client, rid, "voting")
    await phone_window_in_db(db, rid)  # the API casts from home
    # 儿童游乐设施 vs 健康监测站: 3 to 3; both beat 文化墙 6 to 0
    await vote(client, rid, [[0, 1, 2]] * 3 + [[1, 0, 2]] * 3)
    revealed = await to_phase(client, rid, "closed")
    assert str(revealed.url).endswith(f"/console/rounds/{rid}/reveal")
    page = revealed.text
    stored = await db.scalar(select(RoundResult).where(RoundResult.round_id == rid))
    seed = stored.ballot_box_digest  # the lot's seed is the ballot-box digest
    keys = {name: hashlib.sha256(f"{seed}\n{name}".encode()).hexdigest() for name in PARK[:2]}
    winner = min(keys, key=keys.__getitem__)
    loser = PLAY if winner == HEALTH else HEALTH
    assert re.search(rf'<ul class="winners">\s*<li>{winner}</li>', page)
    assert "两两对决表" in page
    assert 'role="img"' not in page  # no chart of bare scores
    assert re.search(rf'<tr class="winner"><th scope="row">{winner} ✓</th>', page)
    assert '<td class="tie">3（平）</td>' in page
    assert '<td class="win">6（胜）</td>' in page
    text = squeeze(page)
    assert f"而是打平：{PLAY} 与 {HEALTH} 打平（3 比 3）。" in text
    assert f"史密斯集合（赢了集合外每一个方案的最小一组）：{PLAY}、{HEALTH}。" in text
    assert "存在循环" not in text
    assert "没有孔多塞胜者（存在循环）" not in text
    assert f"按舒尔茨法，{PLAY}、{HEALTH} 不分高下，只能抽签：抽中的 {winner} 胜出。" in text
    assert "怎样重做抽签" in text
    assert f"种子：{seed}" in text
    assert f"{winner} {keys[winner][:16]}…，{loser} {keys[loser][:16]}…" in text
    for foreign in ("schulze", "Schulze", "round", "Round"):
        assert foreign not in text, foreign

    await to_phase(client, rid, "published")
    client.cookies.delete("redbench_session")
    board = await client.get(f"/board/rounds/{rid}")
    assert board.status_code == 200
    assert '<td class="tie">3（平）</td>' in board.text
    assert f"只能抽签：抽中的 {winner} 胜出" in squeeze(board.text)
    english = squeeze((await client.get(f"/board/rounds/{rid}?lang=en")).text)
    assert "Head-to-head table" in english
    assert f"this is not a cycle but a tie: {PLAY} and {HEALTH} tie 3 to 3." in english
    assert "3 (tied)" in english


async def test_every_counting_step_on_the_tv(client, db, staff):
    ids = await set_up(client, staff)
    rid = ids["round"]
    await to_phase(client, rid, "voting")
    await phone_window_in_db(db, rid)  # the API casts from home
    # 3 × 儿童游乐设施, 2 × 健康监测站, 1 × 文化墙 alone. Step 1: 文化墙 is out and its
    # ballot has no further choice; step 2: 儿童游乐设施 has 3 of the 5 still counting.
    await vote(client, rid, [[0]] * 3 + [[1]] * 2 + [[2]])
    revealed = await to_phase(client, rid, "closed")
    text = squeeze(revealed.text)
    assert "计票过程图" in text
    assert "每一步发生了什么" in text
    assert (
        f"<li><strong>计票第 1 步：</strong>数每张选票的第一志愿。{CULTURE} 得票最少（1 票），"
        f"被淘汰。{CULTURE} 的 1 票按下一志愿转出：1 票没有更多志愿，不再计入。</li>"
    ) in revealed.text
    assert f"计票第 2 步：</strong>{PLAY} 得 3 票，超过仍在计数的 5 票的一半，当选。" in (
        revealed.text
    )
    assert '<th scope="col">第1步</th>' in revealed.text
    assert "不再计入的票" in text
    assert "失效票" not in text
    assert "上一轮已有的票" not in text
    assert "轮次" not in text
    use_session(client, staff["facilitator"])
    english = squeeze((await client.get(f"/console/rounds/{rid}/reveal?lang=en")).text)
    assert f"Count step 2: {PLAY} has 3 of the 5 votes still counting" in english
    assert "No further choice" in english
