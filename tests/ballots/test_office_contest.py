"""A tabulator configuration's contest in Red Bench's words (ballots/formats/office_contest.py):
each winner election mode, option and tie-break mode read from a configuration written here,
and what cannot be matched refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ballots.errors import FormatError
from ballots.formats.office_contest import contest_from_rctab
from engine.result import TieBreak


def config(tmp_path: Path, candidates: list[dict[str, Any]] | None = None, **rules: Any) -> Path:
    path = tmp_path / "contest.json"
    body = {
        "rules": {
            "winnerElectionMode": "singleWinnerMajority",
            "tiebreakMode": "random",
            "numberOfWinners": "1",
            **rules,
        },
        "candidates": candidates or [],
    }
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def test_single_winner_with_the_offices_options(tmp_path: Path) -> None:
    contest = contest_from_rctab(
        config(
            tmp_path,
            batchElimination=True,
            continueUntilTwoCandidatesRemain="true",
            doesFirstRoundDetermineThreshold=True,
            stopTabulationEarlyAfterRound="4",
            tiebreakMode="previousRoundCountsThenRandom",
        )
    )
    assert (contest.method, contest.seats) == ("irv", 1)
    assert contest.options == {
        "batch": True,
        "until_two": True,
        "threshold": "first-round",
        "stop_after": 4,
    }
    assert contest.tie_break == TieBreak(mode="later-round")
    assert contest.drawn


@pytest.mark.parametrize(
    ("mode", "method", "options"),
    [
        ("multiWinnerAllowMultipleWinnersPerRound", "stv", {"rules": "fractional"}),
        (
            "Multi-winner allow only one winner per round",  # the older words
            "stv",
            {"rules": "fractional", "one_per_round": True},
        ),
        ("bottomsUp", "bottoms-up", {}),
        ("bottomsUpUsingPercentageThreshold", "bottoms-up", {"percentage": 12.5}),
        ("multiPassIrv", "sequential-irv", {}),
    ],
)
def test_every_winner_election_mode(tmp_path: Path, mode: str, method: str, options: dict) -> None:
    contest = contest_from_rctab(
        config(
            tmp_path,
            winnerElectionMode=mode,
            numberOfWinners="3",
            multiSeatBottomsUpPercentageThreshold="12.5",
        )
    )
    assert (contest.method, contest.seats, contest.options) == (method, 3, options)


def test_the_multi_seat_arithmetic(tmp_path: Path) -> None:
    contest = contest_from_rctab(
        config(
            tmp_path,
            winnerElectionMode="multiWinnerAllowMultipleWinnersPerRound",
            numberOfWinners="2",
            hareQuota=True,
            nonIntegerWinningThreshold=True,
            decimalPlacesForVoteArithmetic="6",
        )
    )
    assert contest.options == {
        "rules": "fractional",
        "quota": "hare",
        "integer_threshold": False,
        "decimals": 6,
    }


@pytest.mark.parametrize(
    ("said", "mode", "drawn"),
    [
        ("random", "lot", True),
        ("stopCountingAndAsk", "ask", False),
        ("previousRoundCountsThenAsk", "later-round-then-ask", False),
        ("generatePermutation", "permutation", True),
    ],
)
def test_every_tie_break_mode(tmp_path: Path, said: str, mode: str, drawn: bool) -> None:
    contest = contest_from_rctab(config(tmp_path, tiebreakMode=said))
    assert contest.tie_break == TieBreak(mode=mode)
    assert contest.drawn is drawn


def test_candidate_order_is_the_configurations_list_without_the_excluded(tmp_path: Path) -> None:
    candidates = [{"name": "甲"}, {"name": "乙", "excluded": True}, {"name": "丙", "code": "C"}]
    contest = contest_from_rctab(config(tmp_path, candidates, tiebreakMode="useCandidateOrder"))
    assert contest.tie_break == TieBreak(mode="candidate-order", order=("甲", "丙"))
    assert not contest.drawn


@pytest.mark.parametrize(
    ("rules", "words"),
    [
        ({"winnerElectionMode": "approvalVoting"}, "winner election mode 'approvalVoting'"),
        ({"tiebreakMode": "coinToss"}, "tie-break mode 'coinToss'"),
        ({"minimumVoteThreshold": "150"}, "minimum vote threshold is not supported"),
        ({"numberOfWinners": "2"}, "a single-winner mode with 2 winners"),
        ({"numberOfWinners": "two"}, "numberOfWinners 'two' is not a whole number"),
        (
            {"winnerElectionMode": "bottomsUpUsingPercentageThreshold"},
            "percentage threshold mode without a percentage",
        ),
    ],
)
def test_what_cannot_be_matched_is_refused(tmp_path: Path, rules: dict, words: str) -> None:
    with pytest.raises(FormatError, match=words):
        contest_from_rctab(config(tmp_path, **rules))


def test_a_file_that_is_no_configuration_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"ballots": []}', encoding="utf-8")
    with pytest.raises(FormatError, match="not an RCTab configuration"):
        contest_from_rctab(path)


@pytest.mark.parametrize(
    ("rules", "words"),
    [
        (
            {"winnerElectionMode": "bottomsUp", "numberOfWinners": "2", "batchElimination": True},
            "batchElimination is not supported with bottomsUp",
        ),
        (
            {
                "winnerElectionMode": "multiWinnerAllowMultipleWinnersPerRound",
                "numberOfWinners": "2",
                "continueUntilTwoCandidatesRemain": True,
            },
            "continueUntilTwoCandidatesRemain is not supported",
        ),
        (
            {
                "winnerElectionMode": "bottomsUpUsingPercentageThreshold",
                "numberOfWinners": "2",
                "multiSeatBottomsUpPercentageThreshold": "abc",
            },
            "'abc' is not a number",
        ),
    ],
)
def test_a_setting_the_method_cannot_follow_is_refused(
    tmp_path: Path, rules: dict, words: str
) -> None:
    with pytest.raises(FormatError, match=words):
        contest_from_rctab(config(tmp_path, **rules))


def test_single_seat_arithmetic_changes_nothing_and_is_passed_over(tmp_path: Path) -> None:
    contest = contest_from_rctab(
        config(tmp_path, hareQuota=True, decimalPlacesForVoteArithmetic="6")
    )
    assert (contest.method, contest.options) == ("irv", {})
