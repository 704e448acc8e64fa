"""The words of instant runoff's contest options, sequential IRV and bottoms-up: every step
told in both languages, and the sentence each option's step says."""

from __future__ import annotations

import pytest

from engine import RankedProfile, tally
from service.results.explain import STATUSES, explain

# 14 ballots: 5 × A > B; 4 × B > C; 3 × C > A; 2 × D > C.
FOUR = RankedProfile.from_orders(
    list("ABCD"), [["A", "B"]] * 5 + [["B", "C"]] * 4 + [["C", "A"]] * 3 + [["D", "C"]] * 2
)
# 13 ballots: 7 × A; 3 × B; 2 × C > B; 1 × D > C.
UNTIL_TWO = RankedProfile.from_orders(
    list("ABCD"), [["A"]] * 7 + [["B"]] * 3 + [["C", "B"]] * 2 + [["D", "C"]]
)
# 12 ballots, none with a second choice: 6 × A; 3 × B; 2 × C; 1 × D.
FIXED = RankedProfile.from_orders(list("ABCD"), [["A"]] * 6 + [["B"]] * 3 + [["C"]] * 2 + [["D"]])

COUNTS = [
    ("irv", FOUR, {"write_in": "D"}),
    ("irv", FOUR, {"stop_after": 1}),
    ("irv", FOUR, {"batch": True, "threshold": "first-round"}),
    ("irv", UNTIL_TWO, {"until_two": True}),
    ("irv", UNTIL_TWO, {"until_two": True, "stop_after": 2}),
    ("irv", FIXED, {"threshold": "first-round"}),
    ("sequential-irv", FOUR, {"seats": 3, "write_in": "D"}),
    ("bottoms-up", FOUR, {"seats": 2}),
    ("bottoms-up", FOUR, {"percentage": 25}),
]


@pytest.mark.parametrize(("method", "profile", "options"), COUNTS)
def test_every_step_of_every_option_is_told_in_both_languages(method, profile, options):
    result = tally(method, profile, seed="s", **options)
    for lang in ("zh", "en"):
        told = explain(result, lang)
        assert len(told.steps) == len(result.rounds)
        for step in told.steps:
            assert step.story, (method, options, step.number)
            assert "explain." not in step.story, step.story
            assert "{" not in step.story, step.story
            if lang == "zh":
                assert "轮" not in step.story, step.story
            assert {x.status for x in step.standings} <= set(STATUSES)


def stories(method, profile, lang="zh", **options):
    return [s.story for s in explain(tally(method, profile, seed="s", **options), lang).steps]


def test_the_write_in_step_says_why_it_goes_first():
    told = stories("irv", FOUR, write_in="D")
    assert told[0] == (
        "数每张选票的第一志愿。D 代表未申报的手写候选（共 2 票），按规定最先淘汰，不能当选；"
        "这一步不选出任何方案。D 的 2 票按下一志愿转出：2 票转给 C。"
    )


def test_the_fixed_threshold_and_the_last_two_are_told():
    assert stories("irv", FIXED, threshold="first-round")[-1] == (
        "只剩两个方案，都没有达到按第一步计票确定的 7 票；A 得票较多（6 票），当选。"
    )
    assert stories("irv", FIXED, "en", threshold="first-round")[-1] == (
        "Two options are left and neither has the 7 fixed by the first step; "
        "A has more votes (6): elected."
    )


def test_until_two_and_stop_after_are_told():
    told = stories("irv", UNTIL_TWO, until_two=True)
    assert told[-1] == "只剩 A、B 两个方案，计票结束（当选的方案在前面的步骤已经确定）。"
    assert stories("irv", FOUR, stop_after=1)[0].endswith(
        "按规定最多计 1 步，计票到此为止；A 得票最多（5 票），当选。"
    )
    assert stories("irv", UNTIL_TWO, until_two=True, stop_after=2)[-1] == (
        "按规定最多计 2 步，计票到此为止。"
    )


def test_passes_and_filled_seats_are_told():
    told = stories("sequential-irv", FOUR, seats=3)
    assert told[3] == (
        "第 2 遍计票，选出第 2 个名额：已当选的 C 不再参加，每张选票计入排得最靠前、还没有当选的"
        "方案，从头重新计票。A 得 8 票，超过仍在计数的 14 票的一半，当选。"
    )
    assert stories("bottoms-up", FOUR, seats=2)[-1] == (
        "仍在计数的方案（A、C）不多于名额，全部当选。"
    )
    assert stories("bottoms-up", FOUR, "en", percentage=25)[-1] == (
        "Every option still counting has more than 25% of this step's votes (3.5): "
        "A, C, B are all elected."
    )
