"""Validating single ballots: every refusal's exact message, and the normalised forms."""

from __future__ import annotations

import re

import msgspec
import pytest

from ballots.errors import InvalidBallot, InvalidRules
from ballots.kinds import (
    ApprovalBallot,
    Ballot,
    BallotRules,
    BudgetBallot,
    RankedBallot,
    ScoreBallot,
)
from ballots.validate import MESSAGES, validate
from tests.support.park import PARK

KIDS, HEALTH, WALL, EVENTS, FITNESS, SHADE = PARK
COSTS = (120000.0, 60000.0, 30000.0, 50000.0, 40000.0, 25000.0)

RANKED = BallotRules(kind="ranked", candidates=PARK)
STRICT = BallotRules(kind="ranked", candidates=PARK, allow_truncation=False)
APPROVAL = BallotRules(kind="approval", candidates=PARK, max_approvals=2)
SCORE = BallotRules(kind="score", candidates=PARK, max_score=5)
BUDGET = BallotRules(kind="budget", candidates=PARK, costs=COSTS, budget=200000)


def ranked(*groups: str | tuple[str, ...]) -> RankedBallot:
    return RankedBallot(ranking=tuple((g,) if isinstance(g, str) else tuple(g) for g in groups))


CASES: list[tuple[str, Ballot, BallotRules, str, str, str]] = [
    (
        "unknown-candidate",
        ranked(KIDS, "篮球场"),
        RANKED,
        "ranking[1][0]",
        "unknown candidate '篮球场'",
        "篮球场",
    ),
    (
        "ranked-twice",
        ranked(KIDS, SHADE, KIDS),
        RANKED,
        "ranking[2][0]",
        "candidate '儿童游乐设施' is ranked twice",
        KIDS,
    ),
    (
        "empty",
        RankedBallot(ranking=((),)),
        RANKED,
        "ranking",
        "the ballot is empty, and this round does not accept blank ballots",
        "",
    ),
    (
        "ties-forbidden",
        ranked(KIDS, (SHADE, WALL)),
        RANKED,
        "ranking[1]",
        "'遮阳座椅' and '文化墙' are ranked equal, but this round does not allow ties",
        SHADE,
    ),
    (
        "truncation-forbidden",
        ranked(KIDS, SHADE, WALL),
        STRICT,
        "ranking",
        "candidate '健康监测站' is not ranked, "
        "but this round asks for every candidate to be ranked",
        HEALTH,
    ),
    (
        "too-many-approvals",
        ApprovalBallot(approved=(KIDS, SHADE, WALL)),
        APPROVAL,
        "approved",
        "the ballot approves 3 candidates, but at most 2 are allowed",
        "",
    ),
    (
        "approved-twice",
        ApprovalBallot(approved=(KIDS, KIDS)),
        APPROVAL,
        "approved[1]",
        "candidate '儿童游乐设施' is approved twice",
        KIDS,
    ),
    (
        "score-out-of-range",
        ScoreBallot(scores={KIDS: 3, SHADE: 7}),
        SCORE,
        'scores["遮阳座椅"]',
        "score 7 for '遮阳座椅' is out of range: scores go from 0 to 5",
        SHADE,
    ),
    (
        "score-out-of-range",
        ScoreBallot(scores={KIDS: -1}),
        SCORE,
        'scores["儿童游乐设施"]',
        "score -1 for '儿童游乐设施' is out of range: scores go from 0 to 5",
        KIDS,
    ),
    (
        "over-budget",
        # 120000 + 60000 + 30000 = 210000 > 200000
        BudgetBallot(approved=(KIDS, HEALTH, WALL)),
        BUDGET,
        "approved",
        "the approved projects cost 210000 in total, over the budget of 200000",
        "",
    ),
    (
        "wrong-kind",
        ApprovalBallot(approved=(KIDS,)),
        RANKED,
        "kind",
        "the ballot is of kind 'approval', but this round takes 'ranked' ballots",
        "",
    ),
]


@pytest.mark.parametrize(
    ("problem", "ballot", "rules", "where", "text", "candidate"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
def test_refusal_message(
    problem: str, ballot: Ballot, rules: BallotRules, where: str, text: str, candidate: str
) -> None:
    with pytest.raises(InvalidBallot, match=f"^{re.escape(text)}$") as info:
        validate(ballot, rules)
    assert info.value.problem == problem
    assert info.value.where == where
    assert (info.value.candidate or "") == candidate
    assert MESSAGES[problem].format_map(info.value.params) == text


def test_every_problem_code_has_a_message_and_is_documented() -> None:
    documented = set(re.findall(r"``([a-z-]+)``", InvalidBallot.__doc__ or ""))
    assert set(MESSAGES) <= documented
    assert {case[0] for case in CASES} | {"malformed"} == set(MESSAGES)


def test_first_fault_in_reading_order_is_reported() -> None:
    with pytest.raises(InvalidBallot, match=r"^unknown candidate 'x'$"):
        validate(ranked(KIDS, "x", KIDS), RANKED)


def test_unknown_candidate_in_score_ballot() -> None:
    with pytest.raises(InvalidBallot, match=r"^unknown candidate '篮球场'$") as info:
        validate(ScoreBallot(scores={"篮球场": 2}), SCORE)
    assert info.value.where == 'scores["篮球场"]'


def test_normalised_ranked_ballot_drops_empty_groups_and_orders_ties() -> None:
    rules = BallotRules(kind="ranked", candidates=PARK, allow_ties=True)
    ballot = RankedBallot(ranking=((SHADE, KIDS), (), (WALL,)))
    assert validate(ballot, rules) == ranked((KIDS, SHADE), WALL)


def test_ranking_all_but_one_is_complete() -> None:
    # Convention: the one candidate left out of an otherwise full ranking is ranked last.
    ballot = ranked(KIDS, SHADE, WALL, EVENTS, FITNESS)
    assert validate(ballot, STRICT) == ranked(KIDS, SHADE, WALL, EVENTS, FITNESS, HEALTH)


def test_normalised_approval_is_in_candidate_order() -> None:
    ballot = ApprovalBallot(approved=(SHADE, KIDS))
    assert validate(ballot, APPROVAL) == ApprovalBallot(approved=(KIDS, SHADE))


def test_normalised_score_drops_zeros_and_orders_keys() -> None:
    ballot = ScoreBallot(scores={SHADE: 4, WALL: 0, KIDS: 5})
    normal = validate(ballot, SCORE)
    assert isinstance(normal, ScoreBallot)
    assert list(normal.scores.items()) == [(KIDS, 5), (SHADE, 4)]


def test_all_zero_scores_are_an_empty_ballot() -> None:
    with pytest.raises(InvalidBallot) as info:
        validate(ScoreBallot(scores={KIDS: 0}), SCORE)
    assert info.value.problem == "empty"


def test_blank_ballot_allowed_when_rules_say_so() -> None:
    rules = BallotRules(kind="ranked", candidates=PARK, allow_empty=True)
    assert validate(RankedBallot(ranking=()), rules) == RankedBallot(ranking=())


def test_budget_exactly_spent_is_valid() -> None:
    # 120000 + 50000 + 30000 = 200000 = budget
    ballot = BudgetBallot(approved=(WALL, KIDS, EVENTS))
    assert validate(ballot, BUDGET) == BudgetBallot(approved=(KIDS, WALL, EVENTS))


def test_over_budget_allowed_when_rules_say_so() -> None:
    rules = msgspec.structs.replace(BUDGET, allow_over_budget=True)
    ballot = BudgetBallot(approved=(KIDS, HEALTH, WALL))
    assert validate(ballot, rules) == ballot


def test_validation_is_idempotent() -> None:
    rules = BallotRules(kind="ranked", candidates=PARK, allow_ties=True)
    once = validate(RankedBallot(ranking=((SHADE, KIDS), (), (WALL,))), rules)
    assert validate(once, rules) == once


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"kind": "budget", "candidates": PARK}, "budget ballots need both costs"),
        (
            {"kind": "budget", "candidates": PARK, "costs": (1.0,), "budget": 5.0},
            "1 costs given for 6 candidates",
        ),
        (
            {"kind": "ranked", "candidates": PARK, "budget": 5.0},
            "costs and budget apply only to budget ballots, not ranked ballots",
        ),
        ({"kind": "ranked", "candidates": ("a", "a")}, "candidate 'a' is listed twice"),
        ({"kind": "ranked", "candidates": ()}, "the rules list no candidates"),
        ({"kind": "score", "candidates": PARK, "max_score": 0}, "max_score must be at least 1"),
    ],
)
def test_inconsistent_rules_are_refused(fields: dict[str, object], text: str) -> None:
    with pytest.raises(InvalidRules, match=re.escape(text)):
        BallotRules(**fields)  # type: ignore[arg-type]


def test_rules_errors_carry_json_path_when_decoded() -> None:
    class Wrapper(msgspec.Struct):
        rules: BallotRules

    data = b'{"rules": {"kind": "budget", "candidates": ["a"]}}'
    with pytest.raises(msgspec.ValidationError, match=r"- at `\$\.rules`$"):
        msgspec.json.decode(data, type=Wrapper)
