"""The street demo's year: meetings (60 held: 24 议事, 22 宣讲 reaching 900 residents,
14 走访; some planned for December, two cancelled, one held the December before) and the
requests of the 78 grids with their histories, up to the end of November.

The history stops at :func:`cutoff` (1 December, 00:00 in the zone): a step that would
come later is not taken, so what the street had not finished by then is still open. A few
requests of the December before are closed in January, and two requests sit on the edge of
the year in UTC (logged, and closed, before 08:00 on 1 January in Beijing), so the figures
must count in the zone.
"""

from __future__ import annotations

import random
from calendar import monthrange
from datetime import date, datetime, timedelta

from service.db.street import ATTENDANCE, REQUEST_CATEGORIES, VERDICTS
from service.demo import street_words as w
from service.demo.street_plan import PlanEvent, PlanGrid, PlanItem, PlanMeeting, PlanRequest, local

BRIEFING_REACH = 900
"""People reached by the year's 22 briefings in all."""
REQUESTS = 380
"""Requests logged in the field over the year besides those put to meetings."""
MONTHS = (0.7, 0.6, 0.8, 0.9, 1.0, 1.2, 1.4, 1.3, 1.0, 0.9, 0.8)
"""How many requests come in each month, January to November, relatively."""
DECISIONS = (
    "同意由物业牵头整改，网格员监督落实",
    "同意使用楼栋公共维修资金维修",
    "议定由居民志愿者轮值，社区提供物资",
    "议定张贴公约，由楼栋长提醒劝导",
    "同意社区协调相关单位限期处理",
)


def cutoff(year: int) -> datetime:
    """Where the history stops: 1 December of ``year``, 00:00 in the zone."""
    return local(date(year, 12, 1), 0)


class Year:
    """Draws the year of one street (``rng`` its only source of chance)."""

    def __init__(self, rng: random.Random, grids: tuple[PlanGrid, ...], year: int) -> None:
        self.rng = rng
        self.year = year
        self.end = cutoff(year)
        self.grids: dict[str, list[str]] = {}
        for grid in grids:
            self.grids.setdefault(grid.community, []).append(grid.name)
        self.communities = list(self.grids)
        self.weights = [len(self.grids[c]) for c in self.communities]

    # -- meetings ------------------------------------------------------------------------

    def meetings(self) -> list[PlanMeeting]:
        """Every meeting, by the time it starts."""
        rng, year = self.rng, self.year
        made = [self._deliberation(self._day(i, 24), "held") for i in range(24)]
        reach = self._reach()
        for i in range(22):
            made.append(self._briefing(self._day(i, 22), "held", reach[i]))
        for i in range(13):
            made.append(self._visit(self._day(i, 13), "held", (rng.choice((9, 14)), 0)))
        made.append(self._visit(date(year, 6, 1), "held", (7, 30), "早市走访"))
        made.append(self._briefing(date(year, 7, 16), "cancelled", 0))
        made.append(self._visit(date(year, 9, 9), "cancelled", (9, 0)))
        for day, community in ((10, w.POCKET_PARK), (16, "龙山社区"), (22, "桃园社区")):
            made.append(self._deliberation(date(year, 12, day), "planned", community))
        made.append(self._briefing(date(year, 12, 18), "planned", 0, "南湖社区"))
        made.append(self._deliberation(date(year - 1, 12, 18), "held", w.POCKET_PARK))
        for meeting in made:  # set up before the history stops, like the rest
            if meeting.status == "planned":
                meeting.created_at = local(date(year, 11, 18), 9)
        return sorted(made, key=lambda m: m.starts_at)

    def _day(self, i: int, of: int) -> date:
        """The ``i``-th of ``of`` meetings spread over January to November."""
        return date(self.year, 1 + i * 11 // of, self.rng.randint(3, 26))

    def _community(self) -> str:
        return self.rng.choices(self.communities, self.weights)[0]

    def _deliberation(self, day: date, status: str, community: str | None = None) -> PlanMeeting:
        rng = self.rng
        where = community or self._community()
        grid = rng.choice(self.grids[where]) if rng.random() < 0.5 else None
        title = rng.choice(w.DELIBERATIONS)
        starts = local(day, rng.choice((15, 19)))
        held = status == "held"
        counts = {
            "party_member": rng.randint(3, 6),
            "representative": rng.randint(5, 10),
            "elder": rng.randint(1, 3),
            "youth_volunteer": rng.randint(0, 3),
            "grid_worker": rng.randint(1, 3),
            "resident": rng.randint(4, 15),
        }
        return PlanMeeting(
            community=where,
            grid=grid,
            kind="deliberation",
            title=title,
            place=rng.choice(w.MEETING_PLACES).format(b=rng.randint(1, 30)),
            topic="",
            starts_at=starts,
            status=status,
            reached=0,
            attendance=_counts(counts) if held else (),
            minutes=f"议题：{title}。与会居民充分发言，逐项形成决定，见议程。" if held else "",
            created_at=starts - timedelta(days=21),
        )

    def _reach(self) -> list[int]:
        """People reached by each of the 22 briefings: 900 in all, the last counted from
        its sign-in sheet only (``reached`` 0)."""
        rng = self.rng
        counted = [rng.randint(30, 52) for _ in range(21)]
        short = BRIEFING_REACH - 28 - sum(counted)
        i = 0
        while short:
            step = 1 if short > 0 else -1
            counted[i % 21] += step
            short -= step
            i += 1
        return [*counted, 0]

    def _briefing(
        self, day: date, status: str, reached: int, community: str | None = None
    ) -> PlanMeeting:
        rng = self.rng
        title, topic = rng.choice(w.BRIEFINGS)
        starts = local(day, *rng.choice(((9, 30), (15, 0))))
        seated = round(reached * rng.uniform(0.5, 0.8)) if reached else 28
        held = status == "held"
        return PlanMeeting(
            community=community or self._community(),
            grid=None,
            kind="briefing",
            title=title,
            place=rng.choice(("社区党群服务中心", "社区会议室", "健身广场")),
            topic=topic,
            starts_at=starts,
            status=status,
            reached=reached,
            attendance=_split(seated, (2, 2, 2, 1, 1, 12)) if held else (),
            created_at=starts - timedelta(days=10),
        )

    def _visit(self, day: date, status: str, at: tuple[int, int], title: str = "") -> PlanMeeting:
        rng = self.rng
        where = self._community()
        reached = rng.randint(8, 30)
        held = status == "held"
        counts = {
            "party_member": rng.randint(1, 2),
            "youth_volunteer": rng.randint(0, 2),
            "grid_worker": rng.randint(1, 2),
        }
        return PlanMeeting(
            community=where,
            grid=rng.choice(self.grids[where]),
            kind="visit",
            title=title or rng.choice(w.VISITS),
            place="网格内入户",
            topic="",
            starts_at=local(day, *at),
            status=status,
            reached=reached if held else 0,
            attendance=_counts(counts) if held else (),
            minutes=f"走访{reached}户，记录诉求并当场答复能解决的问题。" if held else "",
            created_at=local(day, *at) - timedelta(days=10),
        )

    # -- requests ------------------------------------------------------------------------

    def requests(self, meetings: list[PlanMeeting]) -> list[PlanRequest]:
        """Every request, by the time it was logged."""
        rng, year = self.rng, self.year
        made: list[PlanRequest] = []
        for index, meeting in enumerate(meetings):
            if meeting.kind != "deliberation" or meeting.status == "cancelled":
                continue
            for _ in range(3 if meeting.status == "planned" else rng.choice((1, 1, 2, 2, 2))):
                made.append(self._to_meeting(meeting, index))
        on_spot = 0
        for _ in range(REQUESTS):
            month = rng.choices(range(1, 12), MONTHS)[0]
            day = date(year, month, rng.randint(1, monthrange(year, month)[1]))
            start = local(day, rng.randint(7, 19), rng.randint(0, 59))
            if day >= date(year, 11, 24) and rng.random() < 0.35:
                made.append(self._request(self._community(), start, []))
            elif rng.random() < 0.82:
                on_spot += 1
                made.append(self._request(self._community(), start, self._on_spot(start, on_spot)))
            else:
                twice = len(made) % 20 == 0
                made.append(self._request(self._community(), start, self._escalated(start, twice)))
        for late in (10, 14, 18, 22, 27):  # at the street when the history stops
            start = local(date(year, 11, late), 10)
            made.append(self._request(self._community(), start, self._escalated(start, False)))
        for lag in (20, 23, 26, 28):  # from the December before, closed in January
            start = local(date(year - 1, 12, lag), 10)
            made.append(self._request(self._community(), start, self._escalated(start, False)))
        edge = local(date(year - 1, 12, 29), 10)  # closed at 07:50 on 1 January, Beijing
        made.append(
            self._request(
                w.POCKET_PARK, edge, self._on_spot_at(edge, local(date(year, 1, 1), 7, 50))
            )
        )
        first = local(date(year, 1, 1), 7, 40)  # logged at 07:40 on 1 January, Beijing
        made.append(
            self._request("龙山社区", first, self._on_spot_at(first, first + timedelta(minutes=50)))
        )
        return sorted(made, key=lambda r: r.created_at)

    def _request(self, community: str, start: datetime, steps: list[PlanEvent]) -> PlanRequest:
        rng = self.rng
        category = rng.choices(
            REQUEST_CATEGORIES,
            (3, 5 if start.month in (6, 7, 8) else 2, 2, 4, 3, 4, 2, 2, 3, 1),
        )[0]
        grid = rng.choice(self.grids[community]) if rng.random() < 0.95 else None
        raised = rng.choice(w.SURNAMES) + rng.choice(w.ADDRESSES) if rng.random() < 0.4 else ""
        events = (PlanEvent("logged", start), *steps)
        return PlanRequest(
            community=community,
            grid=grid,
            category=category,
            place=rng.choice(w.PLACES).format(b=rng.randint(1, 30)),
            body=rng.choice(w.BODIES[category]),
            raised_by=raised,
            events=tuple(e for e in events if e.at < self.end),
        )

    def _verdict(self) -> str | None:
        return self.rng.choices((*VERDICTS, None), (70, 20, 6, 4))[0]

    def _on_spot(self, start: datetime, nth: int) -> list[PlanEvent]:
        """Handled there and then (most the same day); every 97th is re-opened and closed
        again some days later."""
        rng = self.rng
        lag = rng.choices((0, 1, 2, 3), (75, 20, 3, 2))[0]
        if lag == 0:
            at = start + timedelta(minutes=rng.randint(10, 180))
        else:
            at = local((start + timedelta(days=lag)).date(), rng.randint(8, 17), rng.randint(0, 59))
        steps = self._on_spot_at(start, at)
        if nth % 97 == 0:
            again = at + timedelta(days=rng.randint(5, 15))
            closed = again + timedelta(days=rng.randint(1, 4))
            steps += [
                PlanEvent("reopened", again, w.REOPEN_REASON),
                PlanEvent(
                    "closed", closed, rng.choice(w.ON_SPOT_NOTES), satisfaction=self._verdict()
                ),
            ]
        return steps

    def _on_spot_at(self, start: datetime, at: datetime) -> list[PlanEvent]:
        note = self.rng.choice(w.ON_SPOT_NOTES)
        return [PlanEvent("on_spot", at, note), PlanEvent("closed", at, note)]

    def _escalated(self, start: datetime, twice: bool) -> list[PlanEvent]:
        """To the street, taken on, answered, returned and closed (twice round for some)."""
        rng = self.rng
        at = start + timedelta(hours=rng.randint(2, 48))
        steps = [PlanEvent("escalated", at, "超出社区处置能力，上报街道")]
        for round_ in range(2 if twice else 1):
            if round_:
                at += timedelta(days=rng.randint(1, 3))
                steps.append(PlanEvent("escalated", at, "居民对处理结果不满意，再次上报街道"))
            at += timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 6))
            steps.append(PlanEvent("assigned", at, assignee=rng.choice(w.STREET_DEPARTMENTS)))
            at += timedelta(days=rng.randint(3, 20), hours=rng.randint(0, 6))
            steps.append(PlanEvent("answered", at, rng.choice(w.STREET_ANSWERS)))
            at += timedelta(days=rng.randint(0, 2), hours=rng.randint(1, 6))
            steps.append(PlanEvent("returned", at, w.STREET_RETURNS))
        at += timedelta(days=rng.randint(1, 5), hours=rng.randint(0, 6))
        steps.append(
            PlanEvent("closed", at, "街道已办结，回访居民后销号", satisfaction=self._verdict())
        )
        return steps

    def _to_meeting(self, meeting: PlanMeeting, index: int) -> PlanRequest:
        """Logged some days before the meeting, put on its agenda, and after it closed on
        its decision (or, one in eight, sent on to the street)."""
        rng = self.rng
        if meeting.status == "planned":  # logged in the last days of November
            start = local(date(self.year, 11, rng.randint(19, 28)), rng.randint(8, 17))
        else:
            start = meeting.starts_at - timedelta(days=rng.randint(4, 18), hours=rng.randint(0, 8))
        put = start + timedelta(hours=rng.randint(2, 20))
        steps = [PlanEvent("meeting", put, meeting=index)]
        if meeting.status == "held":
            after = meeting.starts_at + timedelta(days=1)
            if rng.random() < 0.125:
                steps += self._escalated(after, False)
            else:
                closed = meeting.starts_at + timedelta(
                    days=rng.randint(1, 12), hours=rng.randint(0, 5)
                )
                steps.append(
                    PlanEvent(
                        "closed", closed, rng.choice(w.MEETING_CLOSES), satisfaction=self._verdict()
                    )
                )
        return self._request(meeting.community, start, steps)


def agendas(meetings: list[PlanMeeting], requests: list[PlanRequest], rng: random.Random) -> None:
    """Each meeting's agenda: the requests put to it in the order they were, with the
    decision for those of a held meeting; every third held 议事 also hears how its last
    decisions were carried out."""
    put: dict[int, list[tuple[datetime, int]]] = {}
    for i, request in enumerate(requests):
        for e in request.events:
            if e.action == "meeting" and e.meeting is not None:
                put.setdefault(e.meeting, []).append((e.at, i))
    held_deliberations = 0
    for index, meeting in enumerate(meetings):
        held = meeting.status == "held"
        for position, (_, i) in enumerate(sorted(put.get(index, [])), start=1):
            sent_on = requests[i].did("escalated")
            decision = "社区无法独立解决，议定上报街道协调" if sent_on else rng.choice(DECISIONS)
            meeting.items.append(
                PlanItem(
                    position=position,
                    request=i,
                    decision=decision if held else "",
                    follow_up=f"{rng.randint(3, 15)}日内完成，网格员回访" if held else "",
                )
            )
        if held and meeting.kind == "deliberation":
            held_deliberations += 1
            if held_deliberations % 3 == 0:
                meeting.items.append(
                    PlanItem(
                        position=len(meeting.items) + 1,
                        request=None,
                        note="通报上次议事决定的落实情况",
                        decision="已落实，与会居民无异议",
                    )
                )


def _counts(counts: dict[str, int]) -> tuple[tuple[str, int], ...]:
    """Attendance counts in the order of :data:`ATTENDANCE`, leaving out zeros."""
    return tuple((c, counts[c]) for c in ATTENDANCE if counts.get(c))


def _split(total: int, shares: tuple[int, ...]) -> tuple[tuple[str, int], ...]:
    """``total`` people over the categories of :data:`ATTENDANCE` by ``shares`` (the rest
    of the rounding to the last, other residents)."""
    whole = sum(shares)
    counts = {c: total * s // whole for c, s in zip(ATTENDANCE, shares, strict=True)}
    counts["resident"] += total - sum(counts.values())
    return _counts(counts)
