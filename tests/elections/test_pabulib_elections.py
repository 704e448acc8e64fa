"""Real participatory budgets from pabulib: the methods fund exactly the official projects."""

from __future__ import annotations

from pathlib import Path

import pytest

from ballots.formats import pabulib
from engine import ApprovalProfile, tally
from tests.support.paths import ELECTIONS as DATA_ROOT

DATA = DATA_ROOT / "pabulib"

ELECTIONS: list[tuple[str, str, str | None, int, int, float]] = [
    # file, method, completion, projects, voters, official funded total
    ("Poland_Warszawa_2017_Goclaw.pb", "greedy", None, 18, 2_093, 957_435.0),
    ("Poland_Swiecie_2023.pb", "equal-shares", "add1", 22, 2_553, 1_040_337.0),
    ("Poland_Wieliczka_2023_Green_Budget.pb", "equal-shares", None, 64, 6_586, 995_079.0),
]


@pytest.mark.parametrize(
    ("name", "method", "completion", "projects", "voters", "spent"),
    ELECTIONS,
    ids=[e[0].removesuffix(".pb") for e in ELECTIONS],
)
def test_funds_the_official_projects(
    name: str, method: str, completion: str | None, projects: int, voters: int, spent: float
) -> None:
    box = pabulib.read(DATA / name)
    profile = box.profile
    assert isinstance(profile, ApprovalProfile)
    assert (profile.n_candidates, profile.total) == (projects, voters)
    assert box.official is not None
    result = (
        tally(method, profile)
        if completion is None
        else tally(method, profile, completion=completion)
    )
    assert sorted(result.winners) == sorted(box.official)
    funded = [d for d in result.decisions if d.funded]
    assert sum(d.cost for d in funded) == spent
    assert len(result.decisions) == projects


def test_goclaw_budget_is_exact() -> None:
    # budget 969,245.38; the greedy scan funds 957,435.00 and leaves 11,810.38
    box = pabulib.read(DATA / "Poland_Warszawa_2017_Goclaw.pb")
    result = tally("greedy", box.profile)
    last = [d for d in result.decisions if d.funded][-1]
    assert last.remaining_after == 11_810.38


def test_wieliczka_needs_the_add1_completion() -> None:
    # plain MES spends only 450,548 of 1,000,000; add1 goes on past the first outcome
    # that leaves no room for another project (984,579, where pabutools' own
    # voter_budget_increment=1 stops) until the next unit would overspend: 995,079
    box = pabulib.read(DATA / "Poland_Wieliczka_2023_Green_Budget.pb")
    none = tally("equal-shares", box.profile, completion="none")
    assert sum(d.cost for d in none.decisions if d.funded) == 450_548.0
    add1 = tally("equal-shares", box.profile)
    assert sum(d.cost for d in add1.decisions if d.funded) == 995_079.0


def test_round_trip_of_a_real_file_counts_the_same(tmp_path: Path) -> None:
    box = pabulib.read(DATA / "Poland_Swiecie_2023.pb")
    pabulib.write(box, tmp_path / "again.pb")
    again = pabulib.read(tmp_path / "again.pb")
    assert again.official == box.official
    assert (
        tally("equal-shares", again.profile).winners == tally("equal-shares", box.profile).winners
    )
