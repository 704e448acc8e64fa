"""Every file of ballots the service exports, downloaded over HTTP and recounted with
``redbench tally`` (and ``redbench compare``), gives the published result — for every
registered method and every export that holds ballots, on every database.

The rounds are made so that only a lot decides them (3 A>B>C against 3 B>A>C; six voters
each for a different option), so a recount drawing with any seed but the published one
names another winner about half the time or more. The recount is compared with the
published result field by field (its ``ties`` list every lot's draw and ``seed`` the seed),
and each test checks that a recount seeded, as before, with the file's own digest would
have named another winner in at least one of its rounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ballots.digest import lot_seed, profile_digest
from ballots.formats import read_ballots
from engine.registry import METHODS, tally
from tests.support.cli import json_of
from tests.support.park import PARK
from tests.support.rounds import make_round, ranked, saved_export, vote

A, B, C = PARK[:3]
EQUAL_COSTS = [1_000_000] * len(PARK)
"""10,000 yuan each (in fen): budget ties are left to the lot, not to the cheaper project."""

EXPORTS = {
    "ranked": ("blt", "preflib", "ballots-csv", "json"),
    "approval": ("ballots-csv", "json"),
    "score": ("ballots-csv", "json"),
    "budget": ("pabulib", "ballots-csv", "json"),
}
"""The exports that hold a round's ballots, by ballot kind."""


def pair(kind: str) -> list[dict[str, Any]]:
    """Three voters for A before B and three for B before A: A and B tie everywhere."""
    if kind == "ranked":
        return [ranked(A, B, C)] * 3 + [ranked(B, A, C)] * 3
    if kind == "score":
        return [{"kind": "score", "scores": {A: 5, B: 4}}] * 3 + [
            {"kind": "score", "scores": {B: 5, A: 4}}
        ] * 3
    return [{"kind": kind, "approved": [A, B]}] * 3 + [{"kind": kind, "approved": [C, PARK[3]]}] * 3


def singles(kind: str) -> list[dict[str, Any]]:
    """Six voters, each for a different option only: all six tie."""
    if kind == "ranked":
        return [ranked(name) for name in PARK]
    if kind == "score":
        return [{"kind": "score", "scores": {name: 5}} for name in PARK]
    return [{"kind": kind, "approved": [name]} for name in PARK]


@dataclass(frozen=True)
class Plan:
    """A method's rounds: ballot kind, round options per round, the ballots per round."""

    method: str
    kind: str
    options: tuple[dict[str, Any], ...]
    designs: tuple[str, ...]


def ranked_plans() -> list[Plan]:
    """Each ranked method on three rounds, its own options at their default in one round
    and at another value in the others. STV fills two seats where everyone is tied (a
    pair would elect A and B, lot or no lot) and one seat in the pair round."""
    other = {
        "irv": {"batch": True},
        "borda": {"truncated": "zero"},
        "schulze": {"strength": "margin"},
        "minimax": {"strength": "winning"},
    }
    plans = [
        Plan(
            "stv",
            "ranked",
            ({"seats": 2}, {"rules": "meek"}, {"seats": 2, "rules": "meek"}),
            ("singles", "pair", "singles"),
        )
    ]
    for name in sorted(m for m, info in METHODS.items() if info.accepts == "ranked"):
        if name != "stv":
            changed = other.get(name, {})
            plans.append(Plan(name, "ranked", ({}, changed, changed), ("pair", "singles", "pair")))
    return plans


async def published_round(
    client: Any, db: Any, staff: dict[str, dict[str, str]], plan: Plan, i: int
) -> int:
    """Round ``i`` of ``plan``: created, voted, closed and published (over HTTP, as the
    facilitator does)."""
    costs = EQUAL_COSTS if plan.kind == "budget" else None
    options = dict(plan.options[i])
    if plan.kind == "budget":
        options["budget"] = 20_000  # two of the six projects
    round_id = await make_round(
        db, kind=plan.kind, method=plan.method, options=options, costs=costs
    )
    ballots = pair(plan.kind) if plan.designs[i] == "pair" else singles(plan.kind)
    await vote(client, staff, round_id, ballots)
    await publish(client, staff, round_id)
    return round_id


async def publish(client: Any, staff: dict[str, dict[str, str]], round_id: int) -> None:
    for to in ("closed", "published"):
        response = await client.post(
            f"/api/v1/rounds/{round_id}/phase", json={"to": to}, headers=staff["facilitator"]
        )
        assert response.status_code == 200, response.text


def without_source(shown: dict[str, Any]) -> dict[str, Any]:
    """The recount's output less what it says about the file (``seed_source``, ``published``)."""
    return {k: v for k, v in shown.items() if k not in ("seed_source", "published")}


async def check_recounts(client: Any, db: Any, staff: Any, plans: list[Plan], tmp: Path) -> None:
    """Every round of every plan recounted from every export gives the published result;
    and the old seed (the file's own digest) would have got at least one round wrong."""
    secretary = staff["secretary"]
    old_seed_wrong = 0
    rounds = 0
    for plan in plans:
        for i in range(len(plan.designs)):
            round_id = await published_round(client, db, staff, plan, i)
            shown = (await client.get(f"/api/v1/rounds/{round_id}/result")).json()
            published, comparison = shown["result"], shown["comparison"]
            assert published["seed"] == lot_seed(shown["ballot_box_digest"])
            assert published["ties"], (plan.method, i)  # a tie was met ...
            assert any(t["rule"] == "lot" for t in published["ties"])  # ... and drawn
            rounds += 1
            wrong = False
            for fmt in EXPORTS[plan.kind]:
                path = await saved_export(client, secretary, round_id, fmt, tmp)
                again = json_of("tally", str(path), "--method", plan.method)
                assert again["seed_source"] == "file", (plan.method, fmt)
                assert again["published"]["lot_seed"] == published["seed"], (plan.method, fmt)
                assert without_source(again) == published, (plan.method, i, fmt)
                assert without_source(json_of("tally", str(path))) == published
                if comparison is not None:
                    compared = without_source(json_of("compare", str(path)))
                    assert compared.pop("seed") == published["seed"]
                    assert compared == comparison, (plan.method, i, fmt)
                box = read_ballots(path)
                old = tally(
                    plan.method,
                    box.profile,
                    seats=published["options"]["seats"],
                    seed=lot_seed(profile_digest(box.profile)),
                    **{k: v for k, v in published["options"].items() if k != "seats"},
                )
                wrong = wrong or list(old.winners) != published["winners"]
            old_seed_wrong += wrong
    assert old_seed_wrong > 0, f"the file's own digest drew the published lot in all {rounds}"


async def test_every_ranked_method_recounts_from_every_export(client, db, staff, tmp_path):
    await check_recounts(client, db, staff, ranked_plans(), tmp_path)


async def test_approval_and_score_rounds_recount_from_every_export(client, db, staff, tmp_path):
    plans = [
        Plan("approval", "approval", ({"seats": 2},) * 6, ("singles",) * 5 + ("pair",)),
        Plan("score", "score", ({},) * 5, ("singles",) * 4 + ("pair",)),
        Plan("star", "score", ({},) * 5, ("singles",) * 4 + ("pair",)),
    ]
    await check_recounts(client, db, staff, plans, tmp_path)


async def test_budget_rounds_recount_from_every_export(client, db, staff, tmp_path):
    plans = [
        Plan("greedy", "budget", ({},) * 4, ("singles", "singles", "pair", "singles")),
        Plan(
            "equal-shares",
            "budget",
            ({}, {"completion": "none"}, {}, {"completion": "none"}),
            ("pair",) * 4,  # with one supporter each, no project's share is ever enough
        ),
    ]
    await check_recounts(client, db, staff, plans, tmp_path)


def test_the_tests_count_every_registered_method() -> None:
    covered = {p.method for p in ranked_plans()} | {"approval", "score", "star"}
    covered |= {"greedy", "equal-shares"}
    assert covered == set(METHODS)


async def test_a_round_that_refuses_lots_recounts_without_one(client, db, staff, tmp_path):
    round_id = await make_round(db, method="schulze", options={"tie_policy": "refuse"})
    await vote(client, staff, round_id, [ranked(A, B, C)] * 4 + [ranked(B, A, C)] * 2)
    await publish(client, staff, round_id)
    published = (await client.get(f"/api/v1/rounds/{round_id}/result")).json()["result"]
    assert published["seed"] is None
    for fmt in EXPORTS["ranked"]:
        path = await saved_export(client, staff["secretary"], round_id, fmt, tmp_path)
        again = json_of("tally", str(path))
        assert again["seed_source"] == "none"
        assert again["published"]["tie_policy"] == "refuse"
        assert without_source(again) == published
        given = json_of("tally", str(path), "--seed", "42")
        assert given["seed_source"] == "option"
        assert given["seed"] == "42"
