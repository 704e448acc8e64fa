"""The facilitator's console and the public board through the test client, on every
database: a process, options and a round set up with the forms, the comment phase,
printed code slips, live turnout, no result anywhere before the close, the reveal, the
published decision and the tracker lookup."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import func, select

from service.db.models import Comment, Proposal, Round, RoundOption, VoterCode
from tests.support.pages import labels_of, post_form, set_up, to_phase, use_session
from tests.support.park import PARK
from tests.support.rounds import phone_window_in_db


async def test_a_round_set_up_with_the_forms(client, db, staff):
    ids = await set_up(client, staff, method="schulze", tie_policy="refuse", seats="1")
    row = await db.get(Round, ids["round"])
    assert (row.method, row.ballot_kind) == ("schulze", "ranked")
    assert row.options.tie_policy == "refuse"
    assert row.prompts == ["这个方案好在哪里？", "您担心什么？", "您想怎么改？"]
    costs = (await db.scalars(select(Proposal.cost_cents).order_by(Proposal.id))).all()
    assert costs == [12_000_000, 8_000_000, 3_000_050]
    page = await client.get(f"/console/rounds/{ids['round']}")
    assert "舒尔茨法" in page.text
    assert "不抽签，报告平局" in page.text
    process = await client.get(f"/console/processes/{ids['process']}")
    for summary in ("逐轮淘汰得票最少的方案", "预算平分给每位投票人"):  # one line per method
        assert summary in process.text


async def test_a_budget_round_takes_its_kind_from_the_method(client, db, staff):
    ids = await set_up(client, staff, method="equal-shares", budget="150000")
    row = await db.get(Round, ids["round"])
    assert row.ballot_kind == "budget"
    assert row.options.budget == 150000


async def test_form_mistakes_are_told_in_words(client, staff):
    ids = await set_up(client, staff)
    untitled = await post_form(
        client, f"/console/processes/{ids['process']}/rounds", {"title": " ", "method": "irv"}
    )
    assert untitled.status_code == 422
    assert "请填写轮次名称" in untitled.text
    unknown = await post_form(
        client, f"/console/processes/{ids['process']}/rounds", {"title": "x", "method": "dice"}
    )
    assert unknown.status_code == 422
    assert "没有这种计票方法" in unknown.text
    seats = await post_form(
        client,
        f"/console/processes/{ids['process']}/rounds",
        {"title": "x", "method": "irv", "seats": "两个"},
    )
    assert seats.status_code == 422
    assert "名额：请填写 1 到 100 之间的整数" in seats.text  # the field's name, not seats
    cost = await post_form(
        client, f"/console/processes/{ids['process']}/proposals", {"title": "x", "cost": "很贵"}
    )
    assert cost.status_code == 422
    assert "造价（元）：请填写金额" in cost.text


async def test_the_comment_phase(client, db, staff):
    ids = await set_up(client, staff)
    rid = ids["round"]
    page = await to_phase(client, rid, "commenting")
    assert "讨论中" in page.text
    assert "这个方案好在哪里？" in page.text
    option = re.search(r'<option value="(\d+)">健康监测站</option>', page.text).group(1)
    await post_form(
        client,
        f"/console/rounds/{rid}/comments",
        {
            "speaker": "孙大爷",
            "proposal_id": option,
            "prompt": "0",
            "stance": "support",
            "body": "老人多，量血压方便。",
        },
    )
    comment = await db.scalar(select(Comment))
    assert (comment.speaker, comment.stance, comment.prompt) == ("孙大爷", "support", 0)
    hidden = await post_form(client, f"/console/comments/{comment.id}/hide", {"reason": "重复发言"})
    assert "已隐藏：重复发言" in hidden.text
    bad = await post_form(
        client, f"/console/rounds/{rid}/comments", {"stance": "angry", "body": "x"}
    )
    assert bad.status_code == 422


async def test_code_slips_turnout_and_no_result_before_close(client, db, staff):
    ids = await set_up(client, staff)
    rid = ids["round"]
    opened = await to_phase(client, rid, "voting")
    await phone_window_in_db(db, rid)  # the API casts from home
    assert "投票中" in opened.text
    slips = await post_form(client, f"/console/rounds/{rid}/codes", {"count": "4"})
    assert slips.status_code == 200
    codes = labels_of(slips.text, "slip-code")
    assert len(codes) == 4
    assert all(re.fullmatch(r"[0-9A-Z]{5}-[0-9A-Z]{5}", c) for c in codes)
    assert slips.text.count('<svg role="img"') == 4
    assert await db.scalar(select(func.count()).select_from(VoterCode)) == 4
    stored = set((await db.scalars(select(VoterCode.code_hash))).all())
    assert not any(code.replace("-", "") in stored for code in codes)  # only keyed hashes
    ballot = {"kind": "ranked", "ranking": [[PARK[1]], [PARK[0]]]}
    cast = await client.post(
        f"/api/v1/rounds/{rid}/ballots",
        json={"code": codes[0], "key": uuid.uuid4().hex, "ballot": ballot},
    )
    assert cast.status_code == 201
    turnout = await client.get(f"/console/rounds/{rid}/turnout")
    assert turnout.json()["ballots_cast"] == 1
    assert turnout.json()["codes_issued"] == 4
    assert "winners" not in turnout.text
    round_page = await client.get(f"/console/rounds/{rid}")
    assert 'id="ballots-cast">1<' in round_page.text
    assert 'id="winners-title"' not in round_page.text  # no result before the close
    assert "当选：" not in round_page.text
    hidden = await client.get(f"/console/rounds/{rid}/reveal")
    assert hidden.status_code == 409
    assert "结果暂不公开" in hidden.text
    client.cookies.delete("redbench_session")
    board = await client.get(f"/board/rounds/{rid}")
    assert board.status_code == 409
    listing = await client.get(f"/board/communities/{ids['community']}")
    assert "尚未作出决定" in listing.text
    assert PARK[1] not in listing.text


async def test_close_reveal_publish_and_look_up(client, db, staff):
    ids = await set_up(client, staff)
    rid = ids["round"]
    await to_phase(client, rid, "voting")
    await phone_window_in_db(db, rid)  # the API casts from home
    slips = await post_form(client, f"/console/rounds/{rid}/codes", {"count": "3"})
    codes = labels_of(slips.text, "slip-code")
    trackers = []
    for code, order in zip(codes, ([0, 1], [1, 0], [0]), strict=True):
        ballot = {"kind": "ranked", "ranking": [[PARK[i]] for i in order]}
        cast = await client.post(
            f"/api/v1/rounds/{rid}/ballots",
            json={"code": code, "key": uuid.uuid4().hex, "ballot": ballot},
        )
        trackers.append(cast.json()["tracker"])
    revealed = await to_phase(client, rid, "closed")  # goes straight to the reveal
    assert str(revealed.url).endswith(f"/console/rounds/{rid}/reveal")
    assert re.search(r'<ul class="winners">\s*<li>儿童游乐设施</li>', revealed.text)
    assert "结果尚未公布" in revealed.text
    assert 'role="img"' in revealed.text
    assert "没有遇到平局。" in revealed.text  # 2 of 3 first preferences: no tie
    assert "结果一致：儿童游乐设施" in revealed.text  # every method agrees
    client.cookies.delete("redbench_session")
    assert (await client.get(f"/board/rounds/{rid}")).status_code == 409  # not yet published
    use_session(client, staff["facilitator"])
    await to_phase(client, rid, "published")
    latest = await client.get(f"/board/communities/{ids['community']}")
    assert "已公布的结果：</strong> 儿童游乐设施" in latest.text  # still deliberating
    decided = await post_form(client, f"/console/processes/{ids['process']}/decided", {})
    assert "已决定" in decided.text
    client.cookies.delete("redbench_session")
    listing = await client.get(f"/board/communities/{ids['community']}")
    assert "决定：</strong> 儿童游乐设施" in listing.text
    assert 'class="implementation"' in listing.text
    found = await client.get(f"/board/rounds/{rid}?tracker={trackers[1][:4]}-{trackers[1][4:8]}")
    assert "找到了" in found.text
    assert "您的选票在票箱中，已计入" in found.text  # the round's receipts are sealed
    answer = found.text.split('id="lookup-answer"', 1)[1].split("</div>", 1)[0]
    assert not [name for name in PARK if name in answer]
    missing = await client.get(f"/board/rounds/{rid}?tracker=0000-0000")
    assert "没有找到回执 0000-0000" in missing.text
    malformed = await client.get(f"/board/rounds/{rid}?tracker=hello")
    assert "回执编号的格式不对" in malformed.text
    english = await client.get(f"/board/rounds/{rid}?lang=en")
    assert "Instant runoff (IRV)" in english.text
    assert "agree: 儿童游乐设施" in english.text


async def test_a_tie_the_round_may_not_draw_is_told_in_words(client, db, staff):
    ids = await set_up(client, staff, tie_policy="refuse")
    rid = ids["round"]
    await to_phase(client, rid, "voting")
    await phone_window_in_db(db, rid)  # the API casts from home
    slips = await post_form(client, f"/console/rounds/{rid}/codes", {"count": "2"})
    for code, first in zip(labels_of(slips.text, "slip-code"), PARK, strict=False):
        ballot = {"kind": "ranked", "ranking": [[first]]}
        await client.post(
            f"/api/v1/rounds/{rid}/ballots",
            json={"code": code, "key": uuid.uuid4().hex, "ballot": ballot},
        )
    refused = await to_phase(client, rid, "closed")
    assert refused.status_code == 409
    assert "遇到需要抽签才能决定的平局" in refused.text
    assert (await db.get(Round, rid)).phase == "voting"  # nothing changed


async def test_the_language_switch_keeps_the_rest_of_the_address(client):
    page = await client.get("/console/login?next=/kiosk/enrol")
    assert 'href="/console/login?next=%2Fkiosk%2Fenrol&amp;lang=en"' in page.text


async def test_a_next_round_seeded_from_the_top_of_a_published_one(client, db, staff):
    ids = await set_up(client, staff)
    rid = ids["round"]
    page = await client.get(f"/console/processes/{ids['process']}")
    assert 'id="seed"' not in page.text  # nothing published yet to seed from
    await to_phase(client, rid, "voting")
    await phone_window_in_db(db, rid)  # the API casts from home
    slips = await post_form(client, f"/console/rounds/{rid}/codes", {"count": "3"})
    for code, order in zip(labels_of(slips.text, "slip-code"), ([2, 0], [2, 1], [0]), strict=True):
        ballot = {"kind": "ranked", "ranking": [[PARK[i]] for i in order]}
        cast = await client.post(
            f"/api/v1/rounds/{rid}/ballots",
            json={"code": code, "key": uuid.uuid4().hex, "ballot": ballot},
        )
        assert cast.status_code == 201, cast.text
    await to_phase(client, rid, "closed")
    await to_phase(client, rid, "published")
    page = await client.get(f"/console/processes/{ids['process']}")
    assert f'<option value="{rid}">第1轮：设施排序</option>' in page.text
    form = {"title": "决选", "method": "irv", "tie_policy": "lot", "seed_top": "2"}
    missing = await post_form(
        client,
        f"/console/processes/{ids['process']}/rounds",
        {**form, "seed_round": str(rid), "seed_top": ""},
    )
    assert missing.status_code == 422
    assert "请填写取前几名" in missing.text
    made = await post_form(
        client,
        f"/console/processes/{ids['process']}/rounds",
        {**form, "seed_round": str(rid), "proposal_ids": []},
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    second = await db.get(Round, int(made.headers["location"].rsplit("/", 1)[1]))
    assert second.seeded_from_round_id == rid
    slate = await db.scalars(
        select(Proposal.title)
        .join(RoundOption, RoundOption.proposal_id == Proposal.id)
        .where(RoundOption.round_id == second.id)
        .order_by(RoundOption.position)
    )
    assert slate.all() == ["儿童游乐设施", "文化墙"]  # the top two, in round 1's ballot order


async def test_a_code_handed_back_is_voided_with_its_reason(client, db, staff):
    ids = await set_up(client, staff)
    rid = ids["round"]
    slips = await post_form(client, f"/console/rounds/{rid}/codes", {"count": "2"})
    handed_back, used = labels_of(slips.text, "slip-code")
    url = f"/console/rounds/{rid}/codes/void"
    no_reason = await post_form(client, url, {"code": handed_back, "reason": " "})
    assert no_reason.status_code == 422
    assert "请填写作废原因" in no_reason.text
    voided = await post_form(client, url, {"code": handed_back.lower(), "reason": "同一户领了两张"})
    assert voided.status_code == 200
    assert str(voided.url).endswith(f"/console/rounds/{rid}?voided=1#codes")
    assert "投票码已作废" in voided.text
    rows = (await db.execute(select(VoterCode.status, VoterCode.void_reason))).all()
    assert sorted(rows) == [("issued", None), ("void", "同一户领了两张")]
    again = await post_form(client, url, {"code": handed_back, "reason": "再试"})
    assert again.status_code == 409
    assert 'data-code="code-void"' in again.text
    await to_phase(client, rid, "voting")
    await phone_window_in_db(db, rid)  # the API casts from home
    cast = await client.post(
        f"/api/v1/rounds/{rid}/ballots",
        json={
            "code": used,
            "key": uuid.uuid4().hex,
            "ballot": {"kind": "ranked", "ranking": [[PARK[0]]]},
        },
    )
    assert cast.status_code == 201, cast.text
    too_late = await post_form(client, url, {"code": used, "reason": "交回"})
    assert too_late.status_code == 409
    assert 'data-code="code-used"' in too_late.text
    unknown = await post_form(client, url, {"code": "ZZZZZ-ZZZZZ", "reason": "交回"})
    assert unknown.status_code == 404


async def test_options_amended_merged_and_withdrawn_with_their_reasons(client, db, staff):
    ids = await set_up(client, staff)
    page = await client.get(f"/console/processes/{ids['process']}")
    play, health, culture = (int(i) for i in re.findall(r'id="edit-(\d+)"', page.text))
    amended = await post_form(
        client,
        f"/console/proposals/{play}/amend",
        {
            "title": "儿童游乐区",
            "description": "滑梯和沙池",
            "cost": "100,000",
            "author": "代赵阿姨提出",
            "reason": "议事会上改小规模",
        },
    )
    assert amended.status_code == 200, amended.text
    assert str(amended.url).endswith(f"/console/processes/{ids['process']}#options")
    merged = await post_form(
        client,
        f"/console/proposals/{culture}/merge",
        {"into": str(health), "reason": "两个方案放在一起建"},
    )
    assert merged.status_code == 200, merged.text
    no_reason = await post_form(client, f"/console/proposals/{health}/withdraw", {"reason": ""})
    assert no_reason.status_code == 422
    assert "理由不能为空" in no_reason.text
    rows = {
        p.id: (p.title, p.cost_cents, p.status, p.merged_into_id)
        for p in (await db.scalars(select(Proposal))).all()
    }
    assert rows[play] == ("儿童游乐区", 10_000_000, "active", None)
    assert rows[culture][2:] == ("merged", health)
    detail = await client.get(f"/api/v1/proposals/{play}", headers=staff["admin"])
    assert [e["reason"] for e in detail.json()["history"]][-1] == "议事会上改小规模"
    refused = await to_phase(client, ids["round"], "voting")  # a merged option is on the slate
    assert refused.status_code == 409
    assert "方案「文化墙」已合并" in refused.text
    round_page = await client.get(f"/console/rounds/{ids['round']}")
    assert 'id="tidy-slate"' in round_page.text
    tidied = await post_form(client, f"/console/rounds/{ids['round']}/slate/tidy", {})
    assert tidied.status_code == 200, tidied.text
    assert 'id="tidy-slate"' not in tidied.text
    slate = await db.scalars(
        select(RoundOption.proposal_id)
        .where(RoundOption.round_id == ids["round"])
        .order_by(RoundOption.position)
    )
    assert slate.all() == [play, health]
    opened = await to_phase(client, ids["round"], "voting")  # the ballot is frozen now
    assert opened.status_code == 200, opened.text
    frozen = await post_form(client, f"/console/proposals/{health}/withdraw", {"reason": "不做了"})
    assert frozen.status_code == 409, frozen.text
    page = await client.get(f"/console/processes/{ids['process']}")
    assert f'id="edit-{culture}"' not in page.text  # a merged option has nothing to change


async def test_a_round_without_ballots_reveals_no_decision(client, db, staff):
    # the tie policy refuses lots, and none is needed: an empty box decides nothing
    ids = await set_up(client, staff, tie_policy="refuse")
    rid = ids["round"]
    await to_phase(client, rid, "voting")
    await phone_window_in_db(db, rid)  # the API casts from home
    revealed = await to_phase(client, rid, "closed")
    assert str(revealed.url).endswith(f"/console/rounds/{rid}/reveal")
    assert re.search(r'class="winners-title">无结果<', revealed.text)
    assert "无结果：没有有效选票（票箱里没有选票）" in revealed.text
    assert '<ul class="winners">' not in revealed.text
    assert "无人当选" not in revealed.text
    assert "平局处理" not in revealed.text
    await to_phase(client, rid, "published")
    client.cookies.delete("redbench_session")
    english = await client.get(f"/board/rounds/{rid}?lang=en")
    assert english.status_code == 200
    assert "No decision: no valid ballots (none was cast)" in english.text
    listing = await client.get(f"/board/communities/{ids['community']}?lang=zh")
    assert "已公布的结果：</strong> 无结果" in listing.text
