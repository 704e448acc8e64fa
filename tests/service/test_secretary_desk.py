"""The secretary's desk starts from the decision, on every database: what the pocket park
decided (the budget round's funded projects, with its method) and which decided options
still need a task; the task form offers only the decided options (and the item as a whole),
the server refuses any other option from the page and the API alike; every task card names
the option it carries out, on the desk and on the board."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from typing import Any

from service.db.models import Proposal
from service.loop.decision import decision_of
from tests.support.pages import post_form, use_session
from tests.support.records_demo import build_demo

SOON = (date.today() + timedelta(days=30)).isoformat()
WHOLE = "整体工作（不针对单个方案）"


def task_choices(page: str) -> dict[str, str]:
    """The new task form's option list: value → the words shown."""
    select = page.split('<select id="t-proposal"', 1)[1].split("</select>", 1)[0]
    return {
        value: html.unescape(label).strip()
        for value, label in re.findall(r'<option value="(\d*)"[^>]*>([^<]*)<', select)
    }


def card(page: str, task_id: int) -> str:
    """The task's card on the secretary's process page."""
    return page.split(f'id="task-{task_id}"', 1)[1].split("</article>", 1)[0]


async def add_task(client: Any, pid: int, title: str, option: int | str) -> Any:
    return await post_form(
        client,
        f"/secretary/processes/{pid}/tasks",
        {"title": title, "owner": "社区居委会 王主任", "due_on": SOON, "proposal_id": option},
        follow_redirects=False,
    )


async def test_the_desk_says_what_was_decided_and_what_is_still_to_do(client, staff, db):
    demo = await build_demo(client, staff, db)
    pid = demo.process_id
    decision = await decision_of(db, pid)
    funded = [o.name for o in decision.options]
    assert funded, "the pocket park's budget round funds projects"
    assert decision.final is not None
    assert decision.final.round_id == demo.round2
    names = {p.id: p.title for p in [await db.get(Proposal, i) for i in demo.proposal_ids] if p}
    left_out = [i for i in demo.proposal_ids if names[i] not in funded]
    assert left_out, "some options were not funded"

    use_session(client, staff["secretary"])
    shown = await client.get(f"/secretary/processes/{pid}")
    assert shown.status_code == 200
    section = shown.text.split('id="decision"', 1)[1].split("</section>", 1)[0]
    # the round that decided, its method in words, and the funded projects by name
    assert "第2轮" in section
    assert "预算分配" in section
    assert "平等份额法" in section
    assert f"立项：{'、'.join(funded)}" in html.unescape(section)
    # the ranking round that came before is named as the way there
    assert "第1轮" in section
    assert "即时决选（IRV）" in section
    # no task yet: every funded project is still to do
    assert f"还没有落实任务的方案：{'、'.join(funded)}" in html.unescape(section)

    # the task form offers the funded projects and the item as a whole, nothing else
    choices = task_choices(shown.text)
    offered = {int(v) for v in choices if v}
    assert offered == {o.proposal_id for o in decision.options}
    assert choices[""] == WHOLE
    assert not offered & set(left_out)

    # a task for the first funded project: its card names it, and it is no longer to do
    first = decision.options[0]
    made = await add_task(client, pid, "采购并安装设施", first.proposal_id)
    assert made.status_code == 303, made.text
    task_id = int(made.headers["location"].rsplit("#task-", 1)[1])
    whole = await add_task(client, pid, "清理场地杂物", "")
    assert whole.status_code == 303, whole.text
    whole_id = int(whole.headers["location"].rsplit("#task-", 1)[1])
    page = (await client.get(f"/secretary/processes/{pid}")).text
    assert "落实方案" in card(page, task_id)
    assert first.name in card(page, task_id)
    assert WHOLE in card(page, whole_id)
    section = html.unescape(page.split('id="decision"', 1)[1].split("</section>", 1)[0])
    rest = [o.name for o in decision.options[1:]]
    if rest:
        assert f"还没有落实任务的方案：{'、'.join(rest)}" in section
    else:
        assert "每个已决定的方案都有落实任务" in section
    assert f'data-option="{first.proposal_id}"' in section

    # the desk's overview starts from the decision too, and its task table names options
    desk = await client.get("/secretary")
    overview = html.unescape(desk.text.split(f'data-process="{pid}"', 1)[1])
    assert f"立项：{'、'.join(funded)}" in overview
    assert f'<td class="task-option">{first.name}</td>' in overview
    assert f'<td class="task-option">{WHOLE}</td>' in overview

    # the board's task cards name the option as well
    board = html.unescape((await client.get(f"/board/communities/{demo.community_id}")).text)
    assert f"<dt>落实方案</dt><dd><strong>{first.name}</strong></dd>" in board

    # in English, the same desk
    english = await client.get(f"/secretary/processes/{pid}?lang=en")
    assert "Funded: " in english.text
    assert "Method of Equal Shares" in english.text
    assert "The item as a whole (no single option)" in english.text


async def test_an_option_the_decision_left_out_is_refused(client, staff, db):
    demo = await build_demo(client, staff, db)
    pid = demo.process_id
    decision = await decision_of(db, pid)
    decided = {o.proposal_id for o in decision.options}
    outside = next(i for i in demo.proposal_ids if i not in decided)
    outside_name = (await db.get(Proposal, outside)).title

    # from the page (a hand-made form): 422 naming the field; no task, still decided
    use_session(client, staff["secretary"])
    refused = await add_task(client, pid, "建文化墙", outside)
    assert refused.status_code == 422
    assert f"“{outside_name}”不在本议题的决定之中" in html.unescape(refused.text)
    assert "整体工作" in refused.text

    # from the API: the same refusal, with the field and the decided options' ids
    answer = await client.post(
        f"/api/v1/processes/{pid}/tasks",
        json={"title": "建文化墙", "owner": "物业", "due_on": SOON, "proposal_id": outside},
        headers=staff["secretary"],
    )
    assert answer.status_code == 422
    body = answer.json()
    assert (body["code"], body["field"]) == ("invalid", "proposal_id")
    assert sorted(body["detail"]["decided"]) == sorted(decided)
    loop = (await client.get(f"/api/v1/processes/{pid}/loop", headers=staff["secretary"])).json()
    assert (loop["phase"], loop["tasks"]) == ("decided", [])

    # a decided option is taken, and the API names it on the task
    chosen = decision.options[0]
    made = await client.post(
        f"/api/v1/processes/{pid}/tasks",
        json={"title": "安装", "owner": "物业", "due_on": SOON, "proposal_id": chosen.proposal_id},
        headers=staff["secretary"],
    )
    assert made.status_code == 201, made.text
    assert (made.json()["proposal_id"], made.json()["option"]) == (chosen.proposal_id, chosen.name)
    whole = await client.post(
        f"/api/v1/processes/{pid}/tasks",
        json={"title": "公示施工安排", "owner": "居委会", "due_on": SOON},
        headers=staff["secretary"],
    )
    assert whole.status_code == 201
    assert whole.json()["option"] is None


async def test_picking_an_option_to_do_from_the_decision(client, staff, db):
    """“为它新增任务” next to an option still to do opens the form with that option chosen."""
    demo = await build_demo(client, staff, db)
    decision = await decision_of(db, demo.process_id)
    last = decision.options[-1]
    use_session(client, staff["secretary"])
    page = (await client.get(f"/secretary/processes/{demo.process_id}")).text
    assert f'href="?option={last.proposal_id}#new-task"' in page
    picked = await client.get(f"/secretary/processes/{demo.process_id}?option={last.proposal_id}")
    select = picked.text.split('<select id="t-proposal"', 1)[1].split("</select>", 1)[0]
    assert re.search(rf'<option value="{last.proposal_id}" selected>', select)
    odd = await client.get(f"/secretary/processes/{demo.process_id}?option=not-a-number")
    assert odd.status_code == 200  # a stray query chooses nothing, and breaks nothing
