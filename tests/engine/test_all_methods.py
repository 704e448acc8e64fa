"""One contract, every registered method, on small named profiles.

The contract: a result names the method and only known candidates, never the same winner
twice, exactly ``seats`` winners (budget methods: the funded projects, within budget); it
survives a JSON round trip; the same seed gives the same result; listing the candidates
in another order changes nothing (the lot depends on names, not positions); without a
seed, a count either needs no lot or says which tie it could not break. With no ballots,
or blank ones only, every method gives no decision: no winner, no ranking, no lot.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest

from engine import METHODS, RankedProfile, Result, TieUnresolved, registry, tally
from tests.support.profiles import as_kind, reorder

NAMES = sorted(METHODS)
BUDGET = {"greedy", "equal-shares"}

PROFILES = {
    "condorcet-cycle": RankedProfile.from_orders(
        list("abc"), [list("abc"), list("bca"), list("cab")]
    ),
    "two-way-tie": RankedProfile.from_orders(list("ab"), [list("ab"), list("ba")]),
    "one-voter": RankedProfile.from_orders(list("abcd"), [list("bdc")]),
    "no-ballots": RankedProfile.from_ranks(list("abc"), [[0, 1, 2]], [0]),
    "blank-ballots": RankedProfile.from_ranks(list("abc"), [[-1, -1, -1]], [5]),
    "pocket-park": RankedProfile.from_orders(
        ["儿童游乐设施", "健康监测站", "文化墙", "遮阳座椅"],
        [["儿童游乐设施", "遮阳座椅"]] * 5
        + [["健康监测站", "遮阳座椅", "儿童游乐设施"]] * 4
        + [["文化墙", "健康监测站"]] * 2
        + [["遮阳座椅", "儿童游乐设施"]] * 3,
    ),
}


def test_every_listed_method_is_registered():
    expected = {
        "plurality",
        "approval",
        "score",
        "borda",
        "irv",
        "stv",
        "schulze",
        "ranked-pairs",
        "copeland",
        "minimax",
        "bucklin",
        "star",
        "greedy",
        "equal-shares",
    }
    assert expected <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_method_is_documented(name):
    info = METHODS[name]
    assert info.summary.strip()
    assert info.summary_zh.strip()
    assert info.accepts in {"ranked", "approval", "score"}


@pytest.mark.parametrize("profile_name", sorted(PROFILES))
@pytest.mark.parametrize("name", NAMES)
def test_contract(name, profile_name):
    info = METHODS[name]
    profile = as_kind(PROFILES[profile_name], info)
    seats = 2 if info.multiwinner and name not in BUDGET and profile.n_candidates > 2 else 1
    result = tally(name, profile, seats=seats, seed="contract")
    assert result.method == name
    assert set(result.winners) <= set(profile.candidates)
    assert len(set(result.winners)) == len(result.winners)
    if not result.decided:
        assert result.winners == ()
    elif name in BUDGET:
        costs = dict(zip(profile.candidates, profile.costs, strict=True))
        assert sum(costs[w] for w in result.winners) <= profile.budget
    else:
        assert len(result.winners) == seats
    assert msgspec.json.decode(msgspec.json.encode(result), type=Result) == result
    assert tally(name, profile, seats=seats, seed="contract") == result
    backwards = reorder(profile, list(reversed(range(profile.n_candidates))))
    again = tally(name, backwards, seats=seats, seed="contract")
    assert again.winners == result.winners
    assert {(t.tied, t.chosen) for t in again.ties} == {(t.tied, t.chosen) for t in result.ties}


@pytest.mark.parametrize("profile_name", sorted(PROFILES))
@pytest.mark.parametrize("name", NAMES)
def test_without_seed_a_lot_is_refused_not_guessed(name, profile_name):
    info = METHODS[name]
    profile = as_kind(PROFILES[profile_name], info)
    seeded = tally(name, profile, seed="contract")
    lots = [t for t in seeded.ties if t.rule == "lot"]
    if lots:
        with pytest.raises(TieUnresolved, match="no lot seed was given") as caught:
            tally(name, profile)
        assert caught.value.tied == lots[0].tied
    else:
        unseeded = tally(name, profile)
        assert unseeded.winners == seeded.winners
        assert unseeded.ties == seeded.ties


@pytest.mark.parametrize(
    ("profile_name", "reason"),
    [("no-ballots", "no-ballots"), ("blank-ballots", "no-valid-ballots")],
)
@pytest.mark.parametrize("name", NAMES)
def test_no_ballots_or_blank_ones_give_no_decision(name, profile_name, reason):
    # "A profile with no ballots, or with blank ones only, is not counted: every method
    # gives no decision, never a winner drawn by lot."
    info = METHODS[name]
    profile = as_kind(PROFILES[profile_name], info)
    for seed in (None, "contract"):  # no lot is drawn, so none is needed
        result = tally(name, profile, seed=seed)
        assert not result.decided
        assert result.no_decision == reason
        assert result.ballots == profile.total
        assert (result.winners, result.ranking, result.rounds, result.ties) == ((), None, (), ())
        assert b'"no_decision":"' + reason.encode() + b'"' in msgspec.json.encode(result)


def test_a_decided_result_leaves_no_decision_out_of_its_json():
    result = tally("irv", PROFILES["pocket-park"])
    assert result.decided
    assert b"no_decision" not in msgspec.json.encode(result)


def test_import_engine_registers_every_method():
    # "METHODS is complete as soon as any part of the engine has been imported."
    script = "import engine.registry as r; print(' '.join(sorted(r.METHODS)))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == NAMES
    assert {"irv", "schulze", "stv", "equal-shares"} <= set(NAMES)


def test_the_registry_does_not_import_the_methods():
    tree = ast.parse(Path(registry.__file__).read_text(encoding="utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not [name for name in imported if name.startswith("engine.methods")]
