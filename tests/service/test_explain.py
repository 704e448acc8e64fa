"""The words that explain a count (service/results/explain.py), against small elections
worked by hand: the arithmetic is in the comments, and the sentences are what a resident
reads on the TV, the board, the printed record and the workbook. A wrong explanation
fails here, word for word."""

from __future__ import annotations

import hashlib

import pytest

from engine import METHODS, RankedProfile, get_method, tally
from engine.compare import compare
from service.i18n import text
from service.results.explain import STATUSES, Explanation, condorcet_note, explain
from tests.support.profiles import CYCLE, IRV_EXHAUSTED, TIE, as_kind

# --- a 3-3 head-to-head tie, and a real cycle --------------------------------------------

# 12 ballots: 6 × 甲; 3 × 乙; 2 × 丙 > 乙; 1 × 丁 > 丙.
# Step 1: 甲 6, 乙 3, 丙 2, 丁 1 → 丁 is out, its ballot goes to 丙.
# Step 2: 甲 6, 乙 3, 丙 3: 乙 and 丙 tie for last. The earlier step decides: at step 1
#         丙 had 2 and 乙 3, so 丙 is out; 2 of its ballots go to 乙, 1 (丁 > 丙) runs out.
# Step 3: 甲 6 of the 11 still counting: elected.
IRV_EARLIER = RankedProfile.from_orders(
    ["甲", "乙", "丙", "丁"],
    [["甲"]] * 6 + [["乙"]] * 3 + [["丙", "乙"]] * 2 + [["丁", "丙"]],
)

# Four ballots: 甲, 乙, 丙, 甲. Step 1: 乙 and 丙 tie for last with 1 each and there is
# no earlier step: the lot decides. Lot numbers: sha256("fixed seed\n乙") = 2a78…,
# sha256("fixed seed\n丙") = e042…; the smaller is drawn first, so 乙 is out.
LOT = RankedProfile.from_orders(["甲", "乙", "丙"], [[["甲"]], [["乙"]], [["丙"]], [["甲"]]])


def lot_number(seed: str, name: str) -> str:
    """Worked independently of the engine: the rule as the page states it."""
    return hashlib.sha256(f"{seed}\n{name}".encode()).hexdigest()


def test_a_head_to_head_tie_is_told_as_a_tie_not_a_cycle():
    result = tally("schulze", TIE, seed="红板凳")
    told = explain(result, "zh")
    assert told.reasons[:2] == (
        "没有方案赢了其他所有方案，但这不是循环，而是打平：甲 与 乙 打平（3 比 3）。",
        "史密斯集合（赢了集合外每一个方案的最小一组）：甲、乙。",
    )
    assert not any("存在循环" in line for line in told.reasons)
    # Schulze: 甲 and 乙 beat nobody between them, so no path either way; both reach 丙 at 6
    assert "甲 与 乙 之间两个方向都没有路径，不分先后。" in told.reasons
    assert "甲 到 丙：甲 → 丙，强度 6；反过来没有路径。" in told.reasons
    assert told.reasons[-1] == "所以 甲、乙 并列第一，谁当选由抽签决定（见下文“平局”）。"
    # the lot: the smaller lot number is drawn first and wins
    first = min(["甲", "乙"], key=lambda c: lot_number("红板凳", c))
    assert result.winners == (first,)
    assert told.ties == (f"按舒尔茨法，甲、乙 不分高下，只能抽签：抽中的 {first} 胜出。",)
    # the comparison says so too, with the counts at hand or without them
    comparison = compare(TIE, seed="红板凳")
    assert comparison.condorcet_winner is None
    with_counts = condorcet_note(comparison, result, "zh")
    assert "打平（3 比 3）" in with_counts
    assert "存在循环" not in with_counts
    without = condorcet_note(comparison, tally("irv", TIE, seed="红板凳"), "zh")
    assert without == (
        "没有孔多塞胜者：没有一个方案在两两对决中赢了其他所有方案。"
        "史密斯集合（赢了集合外每一个方案的最小一组）：甲、乙。"
    )
    assert "循环" not in without


def test_a_real_cycle_is_named_step_by_step_with_the_smith_set():
    result = tally("schulze", CYCLE, seed="s")
    told = explain(result, "zh")
    assert result.winners == ("甲",)
    # Schulze, winning votes: links 甲→乙 6, 乙→丙 7, 丙→甲 5.
    # 甲→乙: 6; back 乙→丙→甲 = min(7, 5) = 5.  甲→丙: 甲→乙→丙 = min(6, 7) = 6; back 5.
    assert told.reasons == (
        "没有方案赢了其他所有方案，因为存在循环：甲 赢 乙（6 比 3），乙 赢 丙（7 比 2），"
        "丙 又赢 甲（5 比 4）。",
        "史密斯集合（赢了集合外每一个方案的最小一组）：甲、乙、丙。",
        text("zh", "explain.schulze.rule.winning"),
        "甲 到 乙：甲 → 乙，强度 6；反过来最强只有 5。",
        "甲 到 丙：甲 → 乙 → 丙，强度 6；反过来最强只有 5。",
        "所以 甲 排在第一。",
    )
    # Ranked pairs: margins 乙>丙 5, 甲>乙 3, 丙>甲 1; the last would close the cycle.
    pairs = explain(tally("ranked-pairs", CYCLE, seed="s"), "zh").reasons
    assert pairs[3:] == (
        "1. 乙 赢 丙，领先 5 票：锁定。",
        "2. 甲 赢 乙，领先 3 票：锁定。",
        "3. 丙 赢 甲，领先 1 票：跳过（已锁定 甲 在 丙 之前）。",
        "没有被锁定在任何方案之后的是：甲。",
    )
    # Minimax by margin: 甲 loses only to 丙 by 1, 乙 to 甲 by 3, 丙 to 乙 by 5.
    worst = explain(tally("minimax", CYCLE, seed="s"), "zh").reasons
    assert "输得最多的一场：甲 最多输 1 票，乙 最多输 3 票，丙 最多输 5 票。" in worst
    assert worst[-1] == "输得最少的是：甲。"
    english = explain(result, "en").reasons
    assert english[0] == (
        "No option beats all the others, because there is a cycle: 甲 beats 乙 6 to 3, "
        "乙 beats 丙 7 to 2, and 丙 beats 甲 5 to 4."
    )
    assert english[4] == "甲 to 丙: 甲 → 乙 → 丙, strength 6; the other way at most 5."


def test_a_condorcet_winner_is_said_to_beat_everyone():
    # 甲 > 乙 > 丙 twice and 乙 > 甲 > 丙 once: 甲 beats 乙 2 to 1 and 丙 3 to 0.
    profile = RankedProfile.from_orders(
        ["甲", "乙", "丙"], [["甲", "乙", "丙"]] * 2 + [["乙", "甲", "丙"]]
    )
    told = explain(tally("copeland", profile), "zh")
    assert told.reasons[0] == (
        "甲 在两两对决中赢了其他每一个方案（对乙 2 比 1，对丙 3 比 0）。"
        "赢了所有对手的方案叫孔多塞胜者，按科普兰法一定胜出。"
    )
    assert told.ties == ()


def test_the_head_to_head_table_puts_the_winner_first_and_marks_each_contest():
    result = tally("copeland", CYCLE, seed="s")  # all three have 1 point: the lot picks
    table = explain(result, "zh").head_to_head
    assert table is not None
    assert table.names[0] == result.winners[0]
    assert table.winners == frozenset(result.winners)
    at = {name: i for i, name in enumerate(table.names)}
    a, b, c = at["甲"], at["乙"], at["丙"]
    assert table.votes[a][b] == 6
    assert table.votes[b][a] == 3
    assert table.cells[a][b] == "6（胜）"
    assert table.cells[b][a] == "3（负）"
    assert table.cells[c][a] == "5（胜）"
    assert table.cells[a][a] == "—"
    assert table.score == ("得分（胜 1 分，平 ½ 分）", ("1", "1", "1"))
    tie = explain(tally("schulze", TIE, seed="红板凳"), "en").head_to_head
    assert tie is not None
    assert tie.cells[0][1] == "3 (tied)"
    assert tie.outcome(0, 1) == "tie"


def test_instant_runoff_steps_with_ballots_that_run_out():
    result = tally("irv", IRV_EXHAUSTED)
    told = explain(result, "zh")
    assert [s.title for s in told.steps] == ["计票第 1 步", "计票第 2 步", "计票第 3 步"]
    assert [s.column for s in told.steps] == ["第1步", "第2步", "第3步"]
    assert [s.story for s in told.steps] == [
        "数每张选票的第一志愿。丁 得票最少（2 票），被淘汰。"
        "丁 的 2 票按下一志愿转出：1 票转给 乙，1 票没有更多志愿，不再计入。",
        "丙 得票最少（3 票），被淘汰。丙 的 3 票按下一志愿转出：3 票转给 乙。",
        "乙 得 7 票，超过仍在计数的 12 票的一半，当选。",
    ]
    statuses = [{x.name: x.status for x in s.standings} for s in told.steps]
    assert statuses == [
        {"甲": "continuing", "乙": "continuing", "丙": "continuing", "丁": "eliminated"},
        {"甲": "continuing", "乙": "continuing", "丙": "eliminated"},
        {"甲": "not-elected", "乙": "elected"},
    ]
    received = [{x.name: x.received for x in s.standings} for s in told.steps]
    assert received[1]["乙"] == 1
    assert received[2]["乙"] == 3
    # the ballot with no further choice arrives at step 2 and stays
    piles = [(s.exhausted.votes, s.exhausted.received) for s in told.steps if s.exhausted]
    assert piles == [(0, 0), (1, 1), (1, 0)]
    assert told.steps[0].exhausted is not None
    assert told.steps[0].exhausted.name == "不再计入的票"
    words = " ".join(s.story for s in told.steps)
    assert "失效" not in words
    assert "轮" not in words
    english = explain(result, "en")
    assert english.steps[0].title == "Count step 1"
    assert english.steps[0].story == (
        "Each ballot counts for its first choice. 丁 has the fewest votes (2) and is "
        "eliminated. 丁's votes (2) move to their next choices: 1 to 乙, 1 with no further "
        "choice, no longer counted."
    )
    assert (
        english.steps[2].story
        == "乙 has 7 of the 12 votes still counting, more than half: elected."
    )


def test_a_tie_broken_by_an_earlier_step_says_who_is_out():
    result = tally("irv", IRV_EARLIER)
    told = explain(result, "zh")
    assert result.ties[0].rule == "earlier-round"
    assert told.ties == (
        "计票第 2 步：乙、丙 同为最少（各 3 票）。规则：看更早的计票步骤，票少的先淘汰。"
        "计票第 1 步时 乙 3 票、丙 2 票，丙 最少。所以 丙 被淘汰。",
    )
    assert told.steps[1].story == (
        "乙、丙 同为最少（各 3 票），按平局规则淘汰 丙（怎样决定的见下文“平局”）。"
        "丙 的 3 票按下一志愿转出：2 票转给 乙，1 票没有更多志愿，不再计入。"
    )
    assert told.lot == ()  # no lot was drawn
    assert explain(result, "en").ties == (
        "Count step 2: 乙, 丙 tie for the fewest votes (3 each). The rule: earlier steps "
        "decide, the fewer votes going first. At count step 1 乙 had 3, 丙 had 2, so 丙 had "
        "the fewest. So 丙 is eliminated.",
    )


def test_a_tie_broken_by_lot_says_who_is_out_and_how_to_draw_it_again():
    seed = "fixed seed"
    result = tally("irv", LOT, seed=seed)
    told = explain(result, "zh")
    keys = {name: lot_number(seed, name) for name in ("乙", "丙")}
    out = min(keys, key=keys.__getitem__)
    assert out == "乙"
    assert told.ties == ("计票第 1 步：乙、丙 同为最少（各 1 票），只能抽签：抽中的 乙 被淘汰。",)
    assert told.steps[0].standings[1].status == "eliminated"
    rule, numbers = told.lot
    assert f"种子：{seed}。" in rule
    assert "签号最小的先抽中" in rule
    assert numbers == (
        f"计票第 1 步的签号（从小到大）：乙 {keys['乙'][:16]}…，丙 {keys['丙'][:16]}…。"
    )
    assert explain(result, "en").ties == (
        "Count step 1: 乙, 丙 tie for the fewest votes (1 each), so a lot decides: 乙, drawn "
        "first, is eliminated.",
    )


def test_stv_surplus_moves_at_a_fraction_and_says_what_was_lost():
    # 11 ballots, 2 seats: 6 × 甲 > 乙, 2 × 乙, 3 × 丙. Quota: 11 ÷ 3 = 3, plus 1 = 4.
    # 甲 has 6: elected with a surplus of 2; each of its 6 ballots passes on 2/6 = 0.33333
    # (five decimals, rounded down): 乙 receives 6 × 0.33333 = 1.99998, 0.00002 is lost.
    # Step 2: 乙 3.99998, 丙 3: nobody at the quota, 丙 is out and its ballots run out.
    # Step 3: 乙 is the only one left for the last seat.
    profile = RankedProfile.from_orders(
        ["甲", "乙", "丙"], [["甲", "乙"]] * 6 + [["乙"]] * 2 + [["丙"]] * 3
    )
    told = explain(tally("stv", profile, seats=2), "zh")
    assert [s.story for s in told.steps] == [
        "数每张选票的第一志愿。当选票额：11 张有效选票 ÷（2 个席位 + 1），取整数部分再加 1，"
        "得 4 票。甲 得 6 票，达到当选票额 4 票，当选。甲 比当选票额多出 2 票，多出的票按下一"
        "志愿转出，甲 的每张选票以 0.33333 票的价值转移：1.99998 票转给 乙。"
        "另有 0.00002 票因只保留规定位数的小数而舍去。",
        "丙 得票最少（3 票），被淘汰。丙 的 3 票按下一志愿转出：3 票没有更多志愿，不再计入。",
        "仍在计数的方案（乙）不多于剩下的席位，全部当选。",
    ]
    assert [x.status for x in told.steps[1].standings] == [
        "elected-before",
        "continuing",
        "eliminated",
    ]
    assert [s.quota for s in told.steps] == [4, 4, 4]


def test_the_write_in_is_said_to_go_first_not_to_have_the_fewest_votes():
    # 4 × 补写 > 甲, 3 × 甲, 2 × 乙, one seat, STV under the certified tabulators' rules with
    # 补写 standing for the write-ins: it holds the most votes and is still eliminated first.
    profile = RankedProfile.from_orders(
        ["甲", "乙", "补写"], [["补写", "甲"]] * 4 + [["甲"]] * 3 + [["乙"]] * 2
    )
    result = tally("stv", profile, seats=1, rules="fractional", write_in="补写")
    first = explain(result, "zh").steps[0].story
    assert "补写 代表选民自行填写（未登记）的名字，不能当选，按规则最先淘汰（4 票）。" in first
    assert "得票最少" not in first
    assert result.winners == ("甲",)


def test_bucklin_and_single_count_methods_name_their_winner():
    # 3 × 甲 > 乙, 2 × 乙 > 丙, 2 × 丙 > 乙: first choices 3, 2, 2 (no majority of 7);
    # with second choices 乙 is on 2 + 3 + 2 = 7 ballots.
    profile = RankedProfile.from_orders(
        ["甲", "乙", "丙"], [["甲", "乙"]] * 3 + [["乙", "丙"]] * 2 + [["丙", "乙"]] * 2
    )
    told = explain(tally("bucklin", profile), "zh")
    assert [s.story for s in told.steps] == [
        "把每张选票排在前 1 位的方案都算上（每个方案各记 1 票）。"
        "还没有方案被超过一半的选票（7 张的一半）算上。",
        "把每张选票排在前 2 位的方案都算上（每个方案各记 1 票）。"
        "乙 被 7 张选票算上，超过 7 张的一半，胜出。",
    ]
    assert told.steps[1].standings[1].status == "elected"
    assert explain(tally("plurality", profile), "zh").steps[0].story == (
        "数每张选票的第一志愿。甲 得票最多（3 票），胜出。"
    )


def lines_of(told: Explanation) -> list[str]:
    out: list[str] = []
    for step in told.steps:
        out += [step.title, step.column, step.story, *(x.status for x in step.standings)]
    return [*out, *told.reasons, *told.ties, *told.lot]


@pytest.mark.parametrize("name", sorted(METHODS))
@pytest.mark.parametrize(
    "profile", [TIE, CYCLE, IRV_EXHAUSTED, LOT], ids=["tie", "cycle", "exhausted", "lot"]
)
def test_every_method_is_explained_in_both_languages(name, profile):
    info = get_method(name)
    result = tally(name, as_kind(profile, info), seed="s")
    for lang in ("zh", "en"):
        told = explain(result, lang)
        assert told.steps or told.head_to_head, name
        for line in lines_of(told):
            assert line, name
            assert "explain." not in line, line  # no missing words
            assert "{" not in line, line
            if lang == "zh":
                assert "轮" not in line, line  # 轮 is the meeting's word for its rounds
        if lang == "zh" and told.steps and not result.decisions:
            assert all(s.story for s in told.steps), name
        assert {x.status for s in told.steps for x in s.standings} <= set(STATUSES)
