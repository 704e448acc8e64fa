"""The console's round page in the meeting's order, on every database: the sections in
the order each phase needs them (set-up first before the meeting, the comment form while
commenting, turnout and codes while voting, the result after), comments labelled with
their option and the general row in the stance summary, and the round's set-up changed
from the page until voting opens — the form filled in, the changes stored and audited,
bad input told by field, and a refusal once voting has opened."""

from __future__ import annotations

import re

from sqlalchemy import select

from service.db.models import AuditEvent, Proposal, Round, RoundOption
from tests.support.pages import post_form, set_up, to_phase
from tests.support.park import PARK


def order_of(html: str, *ids: str) -> list[str]:
    """The ``ids`` as they come down the page (each must be there once)."""
    places = {}
    for name in ids:
        found = [m.start() for m in re.finditer(rf'\bid="{re.escape(name)}"', html)]
        assert len(found) == 1, f"id {name!r} is on the page {len(found)} times"
        places[name] = found[0]
    return sorted(ids, key=places.__getitem__)


def inside_details(html: str, section_id: str) -> bool:
    """Whether the section ``section_id`` is folded (its body in a closed details)."""
    start = html.index(f'id="{section_id}"')
    return re.match(r'[^>]*>\s*<details class="folded">', html[start:]) is not None


async def test_each_phase_puts_what_it_needs_first(client, staff):
    ids = await set_up(client, staff)
    rid = ids["round"]
    page = (await client.get(f"/console/rounds/{rid}")).text
    assert order_of(page, "next-step", "setup", "codes", "comments", "turnout") == [
        "next-step",
        "setup",
        "codes",
        "comments",
        "turnout",
    ]
    assert not inside_details(page, "setup")
    commenting = (await to_phase(client, rid, "commenting")).text
    assert order_of(commenting, "next-step", "comment-form", "setup", "codes", "turnout") == [
        "next-step",
        "comment-form",
        "setup",
        "codes",
        "turnout",
    ]
    assert not inside_details(commenting, "comments")
    voting = (await to_phase(client, rid, "voting")).text
    assert order_of(voting, "to-closed", "turnout", "guessing", "late-ballots", "codes") == [
        "to-closed",
        "turnout",
        "guessing",
        "late-ballots",
        "codes",
    ]
    assert order_of(voting, "codes", "comments", "setup") == ["codes", "comments", "setup"]
    assert inside_details(voting, "comments")  # the talk is over: folded below
    assert inside_details(voting, "setup")  # fixed now: folded at the bottom
    assert 'id="comment-form"' not in voting
    assert 'id="round-settings"' not in voting
    await to_phase(client, rid, "closed")
    closed = (await client.get(f"/console/rounds/{rid}")).text
    assert order_of(closed, "reveal", "to-published", "turnout", "comments", "setup") == [
        "reveal",
        "to-published",
        "turnout",
        "comments",
        "setup",
    ]
    assert 'id="codes"' not in closed
    await to_phase(client, rid, "published")
    published = (await client.get(f"/console/rounds/{rid}")).text
    assert order_of(published, "reveal", "on-board", "comments", "setup", "turnout") == [
        "reveal",
        "on-board",
        "comments",
        "setup",
        "turnout",
    ]


async def test_comments_say_their_option_and_the_summary_has_a_general_row(client, staff):
    ids = await set_up(client, staff)
    rid = ids["round"]
    page = (await to_phase(client, rid, "commenting")).text
    health = re.search(r'<option value="(\d+)">健康监测站</option>', page).group(1)
    for option, stance, body in (
        (health, "support", "老人多，量血压方便。"),
        ("", "question", "什么时候开工？"),
        ("", "neutral", "希望施工前贴通知。"),
    ):
        said = await post_form(
            client,
            f"/console/rounds/{rid}/comments",
            {"proposal_id": option, "stance": stance, "body": body},
        )
        assert said.status_code == 200, said.text
    page = (await client.get(f"/console/rounds/{rid}")).text
    items = re.findall(r'<li class="comment">(.*?)</li>', page, re.S)
    about = {
        re.search(r"<p>(.*?)</p>", i).group(1): re.search(r'class="about[^"]*">([^<]*)<', i).group(
            1
        )
        for i in items
    }
    assert about == {
        "老人多，量血压方便。": "关于：健康监测站",
        "什么时候开工？": "关于：整体意见",
        "希望施工前贴通知。": "关于：整体意见",
    }
    rows = re.findall(
        r'<tr[^>]*><th scope="row">([^<]*)</th>((?:<td>\d+</td>)+)</tr>',
        page.split('id="stance-summary"', 1)[1].split("</table>", 1)[0],
    )
    counts = {name: [int(n) for n in re.findall(r"\d+", cells)] for name, cells in rows}
    assert counts == {  # support, oppose, neutral, question
        PARK[0]: [0, 0, 0, 0],
        PARK[1]: [1, 0, 0, 0],
        PARK[2]: [0, 0, 0, 0],
        "整体意见": [0, 0, 1, 1],
    }
    english = (await client.get(f"/console/rounds/{rid}?lang=en")).text
    assert "About: 健康监测站" in english
    assert "About: The round as a whole" in english


async def test_the_set_up_form_opens_with_what_is_stored(client, staff):
    ids = await set_up(client, staff, method="schulze", tie_policy="refuse", seats="1")
    page = (await client.get(f"/console/rounds/{ids['round']}")).text
    form = page.split('id="round-settings"', 1)[1].split("</form>", 1)[0]
    assert 'id="e-title" name="title" required maxlength="200" value="设施排序"' in form
    assert re.search(r'value="schulze" checked', form)
    assert not re.search(r'value="irv" checked', form)
    assert re.search(r'name="tie_policy" value="refuse" checked', form)
    assert 'id="e-seats" name="seats" inputmode="numeric" value="1"' in form
    assert form.count('name="proposal_ids"') == 3
    assert len(re.findall(r'name="proposal_ids" value="\d+" checked', form)) == 3
    places = re.findall(r'<option value="(\d+):(\d+)" selected>', form)
    assert [int(n) for _, n in places] == [1, 2, 3]  # the slate's ballot order
    assert "这个方案好在哪里？\n您担心什么？\n您想怎么改？" in form
    assert 'name="household_roll" value="1">' in form  # not ticked
    assert 'name="allow_truncation" value="1" checked' in form
    assert 'action="/console/rounds/{}/settings"'.format(ids["round"]) in page
    english = (await client.get(f"/console/rounds/{ids['round']}?lang=en")).text
    for words in ("Change this round&#39;s set-up", "Place", "Save the changes", "Next step"):
        assert words in english
    assert not re.search(r">\s*console\.[a-z_.]+\s*<", english)  # no key without its words


async def test_changes_from_the_page_are_stored_and_audited(client, db, staff):
    ids = await set_up(client, staff)
    rid = ids["round"]
    page = (await client.get(f"/console/rounds/{rid}")).text
    play, health, culture = (int(i) for i in re.findall(r'id="e-place-(\d+)"', page))
    saved = await post_form(
        client,
        f"/console/rounds/{rid}/settings",
        {
            "title": "设施排序（修订）",
            "method": "schulze",
            "seats": "1",
            "tie_policy": "refuse",
            "proposal_ids": [str(play), str(culture)],
            "places": [f"{play}:2", f"{health}:3", f"{culture}:1"],
            "prompts": "好在哪里？\n\n担心什么？",
            "household_roll": "1",
        },
    )
    assert saved.status_code == 200, saved.text
    assert str(saved.url).endswith(f"/console/rounds/{rid}?changed=1#setup")
    assert "已保存修改" in saved.text
    row = await db.get(Round, rid, populate_existing=True)
    assert (row.title, row.method, row.options.tie_policy) == (
        "设施排序（修订）",
        "schulze",
        "refuse",
    )
    assert row.prompts == ["好在哪里？", "担心什么？"]
    assert row.household_roll is True
    assert row.rules.allow_truncation is False  # left unticked on the form
    slate = await db.scalars(
        select(Proposal.title)
        .join(RoundOption, RoundOption.proposal_id == Proposal.id)
        .where(RoundOption.round_id == rid)
        .order_by(RoundOption.position)
    )
    assert slate.all() == ["文化墙", "儿童游乐设施"]  # by the places chosen
    event = await db.scalar(select(AuditEvent).where(AuditEvent.action == "round.updated"))
    changes = event.detail["changes"]
    assert changes["title"] == {"before": "设施排序", "after": "设施排序（修订）"}
    assert changes["proposal_ids"] == {"before": [play, health, culture], "after": [culture, play]}
    assert changes["household_roll"] == {"before": False, "after": True}
    assert event.actor == "facilitator 测试"


async def test_bad_input_is_told_by_field_and_voting_ends_the_changes(client, db, staff):
    ids = await set_up(client, staff)
    rid = ids["round"]
    url = f"/console/rounds/{rid}/settings"
    base = {"title": "设施排序", "method": "irv", "tie_policy": "lot", "seats": "1"}
    for fields, words in (
        ({"title": " "}, "请填写轮次名称"),
        ({"seats": "两个"}, "名额：请填写 1 到 100 之间的整数"),
        ({"method": "dice"}, "没有这种计票方法"),
        ({"places": ["1:第一"]}, "方案在选票上的顺序：请填写 1 到 100 之间的整数"),
    ):
        refused = await post_form(client, url, {**base, **fields})
        assert refused.status_code == 422, (fields, refused.text)
        assert words in refused.text, fields
    assert (await db.get(Round, rid, populate_existing=True)).title == "设施排序"
    opened = await to_phase(client, rid, "voting")
    assert opened.status_code == 200, opened.text
    assert 'id="round-settings"' not in opened.text
    late = await post_form(client, url, {**base, "title": "太晚了"})
    assert late.status_code == 409
    assert "已锁定" in late.text
    assert (await db.get(Round, rid, populate_existing=True)).title == "设施排序"


async def test_the_form_keeps_what_it_does_not_show(client, db, staff):
    """A budget round's budget is shown as typed; the method's own options (set through the
    API) stay while the method stays, and go back to their defaults when it changes."""
    ids = await set_up(client, staff, method="equal-shares", budget="150000")
    rid = ids["round"]
    page = (await client.get(f"/console/rounds/{rid}")).text
    assert 'id="e-budget" name="budget" inputmode="decimal" value="150000"' in page
    row = await db.get(Round, rid)
    assert row.options.own["completion"] == "add1"
    fields = {"title": "预算分配", "tie_policy": "lot", "seats": "1", "budget": "120,000"}
    await client.patch(
        f"/api/v1/rounds/{rid}",
        json={"options": {"budget": 150000, "completion": "none"}},
        headers=staff["facilitator"],
    )
    kept = await post_form(
        client, f"/console/rounds/{rid}/settings", {**fields, "method": "equal-shares"}
    )
    assert kept.status_code == 200, kept.text
    row = await db.get(Round, rid, populate_existing=True)
    assert (row.options.budget, row.options.own["completion"]) == (120000, "none")
    changed = await post_form(
        client, f"/console/rounds/{rid}/settings", {**fields, "method": "greedy"}
    )
    assert changed.status_code == 200, changed.text
    row = await db.get(Round, rid, populate_existing=True)
    assert (row.method, row.ballot_kind, row.options.budget) == ("greedy", "budget", 120000)
    assert "completion" not in row.options.own
