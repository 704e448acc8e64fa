"""The process and round state machines: allowed moves and the reasons for refusals."""

from __future__ import annotations

import pytest

from engine import TransitionRefused
from engine.process import (
    PROCESS_TRANSITIONS,
    ROUND_TRANSITIONS,
    ProcessPhase,
    RoundPhase,
    advance,
)


def test_round_runs_its_normal_course():
    phase = RoundPhase.SCHEDULED
    for nxt in (RoundPhase.COMMENTING, RoundPhase.VOTING, RoundPhase.CLOSED, RoundPhase.PUBLISHED):
        phase = advance(phase, nxt)
    assert phase is RoundPhase.PUBLISHED


def test_round_may_skip_the_comment_phase():
    assert advance(RoundPhase.SCHEDULED, RoundPhase.VOTING) is RoundPhase.VOTING


@pytest.mark.parametrize(
    ("current", "requested", "message"),
    [
        (
            RoundPhase.VOTING,
            RoundPhase.COMMENTING,
            "cannot go from voting to commenting: "
            "voting has opened: the slate and method are frozen",
        ),
        (
            RoundPhase.CLOSED,
            RoundPhase.VOTING,
            "cannot go from closed to voting: the round is closed; ballots can no longer be cast",
        ),
        (
            RoundPhase.VOTING,
            RoundPhase.PUBLISHED,
            "cannot go from voting to published: close the voting before publishing the result",
        ),
        (
            RoundPhase.PUBLISHED,
            RoundPhase.CLOSED,
            "cannot go from published to closed; allowed next: none (final phase)",
        ),
        (
            ProcessPhase.COLLECTING,
            ProcessPhase.DECIDED,
            "cannot go from collecting to decided: no round has been held yet",
        ),
    ],
)
def test_refused_transitions_say_why(current, requested, message):
    with pytest.raises(TransitionRefused) as caught:
        advance(current, requested)
    assert str(caught.value) == message
    assert caught.value.current == current.value
    assert caught.value.requested == requested.value


def test_every_unlisted_round_transition_is_refused():
    for current in RoundPhase:
        for requested in RoundPhase:
            if requested in ROUND_TRANSITIONS[current]:
                assert advance(current, requested, reason="建错了") is requested
            else:
                with pytest.raises(TransitionRefused):
                    advance(current, requested, reason="建错了")


def test_every_unlisted_process_transition_is_refused():
    for current in ProcessPhase:
        for requested in ProcessPhase:
            if requested not in PROCESS_TRANSITIONS[current]:
                with pytest.raises(TransitionRefused):
                    advance(current, requested, reason="because")


def test_the_loop_to_closing_and_reopening_with_a_reason():
    phase = ProcessPhase.COLLECTING
    for nxt in (
        ProcessPhase.DELIBERATING,
        ProcessPhase.DECIDED,
        ProcessPhase.IMPLEMENTING,
        ProcessPhase.FEEDBACK,
        ProcessPhase.CLOSED,
    ):
        phase = advance(phase, nxt)
    with pytest.raises(TransitionRefused, match="needs a written reason"):
        advance(phase, ProcessPhase.IMPLEMENTING)
    with pytest.raises(TransitionRefused, match="needs a written reason"):
        advance(phase, ProcessPhase.IMPLEMENTING, reason="   ")
    assert advance(phase, ProcessPhase.IMPLEMENTING, reason="居民反映器材损坏") is (
        ProcessPhase.IMPLEMENTING
    )


@pytest.mark.parametrize("current", [RoundPhase.SCHEDULED, RoundPhase.COMMENTING])
def test_a_round_is_cancelled_before_voting_with_a_reason(current):
    with pytest.raises(TransitionRefused, match="needs a written reason"):
        advance(current, RoundPhase.CANCELLED)
    with pytest.raises(TransitionRefused, match="needs a written reason"):
        advance(current, RoundPhase.CANCELLED, reason="  ")
    assert advance(current, RoundPhase.CANCELLED, reason="建错了轮次") is RoundPhase.CANCELLED


@pytest.mark.parametrize("current", [RoundPhase.VOTING, RoundPhase.CLOSED, RoundPhase.PUBLISHED])
def test_a_round_that_opened_voting_cannot_be_cancelled(current):
    with pytest.raises(TransitionRefused) as caught:
        advance(current, RoundPhase.CANCELLED, reason="建错了轮次")
    assert str(caught.value) == (
        f"cannot go from {current.value} to cancelled: voting has opened: a round that took "
        "ballots is closed and counted, not cancelled"
    )


def test_a_cancelled_round_goes_nowhere():
    assert ROUND_TRANSITIONS[RoundPhase.CANCELLED] == ()
    with pytest.raises(TransitionRefused, match="allowed next: none"):
        advance(RoundPhase.CANCELLED, RoundPhase.VOTING)


def test_process_and_round_phases_do_not_mix():
    with pytest.raises(TransitionRefused, match="cannot mix process and round phases"):
        advance(RoundPhase.SCHEDULED, ProcessPhase.DELIBERATING)  # type: ignore[type-var]


def test_staying_put_is_not_a_transition():
    with pytest.raises(TransitionRefused, match="already voting"):
        advance(RoundPhase.VOTING, RoundPhase.VOTING)
