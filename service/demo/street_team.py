"""The street demo's places and people: six communities, their 78 grids under 17 grid
party branches, the red-bench team (130 grid workers among them) and the staff accounts."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date

from service.demo import street_words as w
from service.demo.street_plan import PlanAccount, PlanBranch, PlanCommunity, PlanGrid, PlanMember

GRID_WORKERS = 130
"""One grid worker in every grid, two in 52 of them."""


def communities() -> tuple[PlanCommunity, ...]:
    """The six, 杜集社区 (the pocket park's) first."""
    return tuple(
        PlanCommunity(
            name=name,
            facilitator=username,
            logger="wangge" if name == w.POCKET_PARK else username,
            existing=name == w.POCKET_PARK,
        )
        for name, _, _, username, _ in w.COMMUNITIES
    )


def branches_and_grids() -> tuple[tuple[PlanBranch, ...], tuple[PlanGrid, ...]]:
    """Each community's grids 第一网格 … in runs under its branches 第一网格党支部 …; the
    pocket park's 第三网格 comes first (it was made first)."""
    branches: list[PlanBranch] = []
    grids: list[PlanGrid] = []
    for name, n_grids, n_branches, _, _ in w.COMMUNITIES:
        made = [PlanBranch(name, f"第{w.numeral(b + 1)}网格党支部") for b in range(n_branches)]
        branches += made
        ours = [
            PlanGrid(
                community=name,
                name=f"第{w.numeral(g + 1)}网格",
                branch=made[g * n_branches // n_grids].name,
                existing=name == w.POCKET_PARK and g == 2,
            )
            for g in range(n_grids)
        ]
        grids += sorted(ours, key=lambda grid: not grid.existing)  # stable: the rest in order
    return tuple(branches), tuple(grids)


def accounts() -> tuple[PlanAccount, ...]:
    """The street account and one facilitator for each new community, tied to it."""
    username, name = w.STREET_ACCOUNT
    made = [PlanAccount(username, name, "street", None)]
    made += [
        PlanAccount(user, shown, "facilitator", community)
        for community, _, _, user, shown in w.COMMUNITIES
        if community != w.POCKET_PARK
    ]
    return tuple(made)


class _Names:
    """Invented names, none given twice."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.given: set[str] = set()

    def person(self) -> str:
        while True:
            name = self.rng.choice(w.SURNAMES) + "".join(
                self.rng.choice(w.GIVEN) for _ in range(self.rng.choice((1, 2, 2)))
            )
            if name not in self.given:
                self.given.add(name)
                return name


def team(rng: random.Random, grids: tuple[PlanGrid, ...], year: int) -> tuple[PlanMember, ...]:
    """Grid workers (one or two a grid, most numbers public by consent), building heads
    in most grids, and each community's party members, representatives, 五老 and youth
    volunteers; phone numbers 138-0000-0001 onwards."""
    names = _Names(rng)
    numbers = iter(range(1, 10000))
    doubled = set(rng.sample(range(len(grids)), GRID_WORKERS - len(grids)))
    members: list[PlanMember] = []

    def member(community: str, grid: str | None, role: str, phoned: float, public: float) -> None:
        phone = f"138-0000-{next(numbers):04d}" if rng.random() < phoned else ""
        shown = bool(phone) and rng.random() < public
        consent = date(year, 1, rng.randint(4, 28)) if shown else None
        members.append(PlanMember(community, grid, names.person(), role, phone, shown, consent))

    for i, grid in enumerate(grids):
        for _ in range(2 if i in doubled else 1):
            member(grid.community, grid.name, "grid_worker", 1.0, 0.8)
        if rng.random() < 0.6:
            member(grid.community, grid.name, "building_head", 0.5, 0.6)
    for community, *_ in w.COMMUNITIES:
        ours = [g.name for g in grids if g.community == community]
        for role, count in w.ROLE_COUNTS.items():
            for _ in range(count):
                where = rng.choice(ours) if rng.random() < 0.5 else None
                member(community, where, role, 0.4, 0.5)
    for gone in (7, 61):  # two who have left the team: kept, shown as inactive
        members[gone] = replace(members[gone], active=False)
    return tuple(members)
