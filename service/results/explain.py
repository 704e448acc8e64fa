"""Why a counted round came out as it did, in words a resident can check with a pencil.

Built once from the engine's :class:`~engine.result.Result` by :func:`explain` and shown by
every surface: the TV reveal and the public board (:mod:`service.web.reveal`), the printed
record and the tables (:mod:`service.records`), and the command line (:mod:`service.report`).

- Counts in steps (instant runoff, STV, Bucklin, STAR …): each counting step told in plain
  sentences (who was elected or knocked out, where their ballots went, how many ballots had
  no further choice), and per option and step its votes, what it received at that step and
  its status then. Counting steps are "计票第 n 步" / "count step n", never 轮 / round,
  which are the meeting's own words for its rounds.
- Pairwise methods: the head-to-head table; whether one option beats every other, or there
  is a tie, or a cycle (with the Smith set); and the method's own reason (strongest paths,
  locked pairs, Copeland points, worst defeats).
- Ties: who was knocked out, elected or put first and by which rule; for a lot, the seed and
  every tied option's lot number, so anyone can draw it again.
- Outcomes in a line: the winners or why nothing was decided (:func:`outcome_words`), and
  what each method of a comparison decided, ties included (:func:`verdict_words`).

Transfers: instant runoff records a transfer in the step that receives it, STV in the step
that makes it. Both are read the same way here: a transfer whose source is standing in its
step was made from that step, otherwise it arrived from the step before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from msgspec import UNSET

from engine.compare import Comparison, MethodVerdict
from engine.methods.pairwise import (
    beat_paths,
    condorcet_winner,
    lock_order,
    smith_set,
    strict_cycle,
    strongest_path,
)
from engine.methods.sequential import split_pass
from engine.result import Result, Round, Tie, Transfer
from engine.tiebreak import lot_key
from service.i18n import text
from service.records.labels import clauses, grouped_number, listed, method_name, paragraph

EPS: Final = 1e-9
LOT_DIGITS: Final = 16
"""How many hexadecimal digits of each lot number are shown (the whole is 64)."""

RULE_SENTENCES: Final = frozenset(
    {
        ("earlier-round", "eliminate"),
        ("later-round", "eliminate"),
        ("later-round", "transfer"),
        ("later-round", "elect"),
    }
)
"""The ties settled by a method's own rule that are told with the step that decided them."""

STATUSES: Final = (
    "elected",
    "elected-before",
    "eliminated",
    "continuing",
    "not-elected",
    "funded",
    "not-funded",
    "pending",
)
"""Status codes of an option at a step (labels: ``explain.status.<code>``)."""


@dataclass(frozen=True, slots=True)
class Standing:
    """One option (or the pile of ballots with no further choice) at one counting step:
    its votes at the step, the part of them it received at this step, and its status."""

    name: str
    votes: float
    received: float
    status: str


@dataclass(frozen=True, slots=True)
class Step:
    """One counting step: its names (``计票第 3 步``; ``计票第 3 步：`` before its story;
    ``第3步`` for a column), the standing of every option in ballot order, the ballots with
    no further choice (``None`` when no ballot ever ran out), the quota if the method has
    one, and what happened."""

    number: int
    title: str
    lead: str
    column: str
    standings: tuple[Standing, ...]
    exhausted: Standing | None
    quota: float | None
    sentences: tuple[str, ...]
    story: str
    """The sentences as one paragraph."""


@dataclass(frozen=True, slots=True)
class HeadToHead:
    """The head-to-head table: ``votes[i][j]`` ballots rank ``names[i]`` above ``names[j]``.

    ``names`` come winners first, then in the method's order; ``cells`` are the same
    numbers in words (``40（胜）``); ``score`` is an extra column where the method's score
    means something on paper (Copeland points, minimax's worst defeat): its heading and one
    cell per option.
    """

    names: tuple[str, ...]
    votes: tuple[tuple[int, ...], ...]
    cells: tuple[tuple[str, ...], ...]
    winners: frozenset[str]
    score: tuple[str, tuple[str, ...]] | None = None

    def outcome(self, i: int, j: int) -> str:
        """``win``, ``loss`` or ``tie`` for the row's option against the column's (``self``
        on the diagonal)."""
        return _outcome(self.votes, i, j)


@dataclass(frozen=True, slots=True)
class Explanation:
    """Everything that explains one counted round, in one language."""

    steps: tuple[Step, ...]
    head_to_head: HeadToHead | None
    reasons: tuple[str, ...]
    ties: tuple[str, ...]
    lot: tuple[str, ...]


# --- words ------------------------------------------------------------------------------


def status_label(lang: str, status: str) -> str:
    """The words of a status code (``eliminated`` → 淘汰)."""
    return text(lang, f"explain.status.{status}")


def step_title(lang: str, n: int) -> str:
    return text(lang, "explain.step.title", n=n)


def step_column(lang: str, n: int) -> str:
    return text(lang, "explain.step.column", n=n)


def cell_words(lang: str, outcome: str, votes: int) -> str:
    """A head-to-head cell: ``40（胜）``; ``—`` on the diagonal."""
    if outcome == "self":
        return "—"
    return text(lang, f"explain.cell.{outcome}", votes=grouped_number(votes))


def step_grid(
    told: Explanation,
    lang: str,
    steps: Sequence[Step] | None = None,
    *,
    crossed: str = "✗",
) -> tuple[list[str], list[list[str]]]:
    """The counting steps as a grid of text: a header (``选项``, ``第1步`` …) and one row per
    option (its votes, ✓ at the step it is elected, ``crossed`` at the step it is knocked
    out), then the ballots with no further choice and the quota where there are any."""
    shown = list(told.steps if steps is None else steps)
    marks = {"elected": " ✓", "eliminated": f" {crossed}"}
    names: list[str] = []
    for step in shown:
        names += [x.name for x in step.standings if x.name not in names]
    header = [text(lang, "candidate"), *(step.column for step in shown)]
    rows = []
    for name in names:
        row = [name]
        for step in shown:
            found = [x for x in step.standings if x.name == name]
            row.append(
                grouped_number(found[0].votes) + marks.get(found[0].status, "") if found else ""
            )
        rows.append(row)
    if any(step.exhausted is not None for step in shown):
        held = [grouped_number(s.exhausted.votes) if s.exhausted else "" for s in shown]
        rows.append([text(lang, "exhausted"), *held])
    if any(step.quota is not None for step in shown):
        rows.append(
            [
                text(lang, "quota"),
                *("" if s.quota is None else grouped_number(s.quota) for s in shown),
            ]
        )
    return header, rows


def undecided_words(found: Result | MethodVerdict, lang: str, *, short: bool = False) -> str | None:
    """Why a count decided nothing, in words (``无结果：没有有效选票……``; ``short``: just
    ``无结果``), or ``None`` when it decided."""
    if found.no_decision is UNSET:
        return None
    return text(lang, "undecided.title" if short else f"undecided.{found.no_decision}")


def outcome_words(
    found: Result | MethodVerdict, lang: str, nobody: str = "—", *, short: bool = False
) -> str:
    """The winners (or funded projects) joined; why nothing was decided; or ``nobody``."""
    return undecided_words(found, lang, short=short) or listed(lang, found.winners) or nobody


def verdict_words(verdict: MethodVerdict, lang: str) -> str:
    """What one method of a comparison decided, for its row: the winners, the options it
    left tied (``并列：甲、乙``), or, shortly, that it decided nothing."""
    tied = text(lang, "compare.tied", names=listed(lang, verdict.tied))
    return outcome_words(verdict, lang, nobody=tied, short=True)


# --- the explanation --------------------------------------------------------------------


def explain(result: Result, lang: str) -> Explanation:
    """Explain ``result`` in ``lang`` (see the module docstring)."""
    steps = _steps(result, lang) if result.rounds else ()
    head_to_head = _head_to_head(result, lang) if result.pairwise is not None else None
    reasons = _pairwise_reasons(result, lang) if result.pairwise is not None else ()
    return Explanation(
        steps=steps,
        head_to_head=head_to_head,
        reasons=reasons,
        ties=tuple(_tie_sentence(result, tie, lang) for tie in result.ties),
        lot=_lot_lines(result, lang),
    )


def condorcet_note(comparison: Comparison, result: Result | None, lang: str) -> str:
    """The comparison's word on the Condorcet winner: who it is, or that there is none —
    and, when the head-to-head counts are at hand (pairwise methods), whether that is a
    tie or a cycle, with the Smith set."""
    if comparison.condorcet_winner is not None:
        note = text(lang, "compare.condorcet", name=comparison.condorcet_winner)
        if comparison.condorcet_misses:
            misses = listed(lang, [method_name(m, lang) for m in comparison.condorcet_misses])
            note += " " + text(lang, "compare.misses", names=misses)
        return note
    if not comparison.smith_set:
        return ""
    if result is not None and result.pairwise is not None:
        return paragraph(lang, _no_condorcet(result, lang))
    return paragraph(
        lang,
        [
            text(lang, "compare.no_condorcet"),
            text(lang, "explain.pw.smith", names=listed(lang, comparison.smith_set)),
        ],
    )


# --- counting steps ---------------------------------------------------------------------


def _outgoing(result: Result) -> list[list[Transfer]]:
    """Per step, the transfers made *from* it (see the module docstring)."""
    out: list[list[Transfer]] = [[] for _ in result.rounds]
    for i, rnd in enumerate(result.rounds):
        for transfer in rnd.transfers:
            if transfer.source in rnd.tallies or i == 0:
                out[i].append(transfer)
            else:
                out[i - 1].append(transfer)
    return out


def _steps(result: Result, lang: str) -> tuple[Step, ...]:
    rounds = result.rounds
    outgoing = _outgoing(result)
    budget = bool(result.decisions)
    ever_exhausted = any(r.exhausted > EPS for r in rounds)
    elected_before: set[str] = set()
    steps: list[Step] = []
    for i, rnd in enumerate(rounds):
        last = i == len(rounds) - 1
        following = rounds[i + 1].tallies if not last else None
        incoming = outgoing[i - 1] if i > 0 else []
        standings = []
        for name in (c for c in result.candidates if c in rnd.tallies):
            received = sum(t.received.get(name, 0.0) for t in incoming)
            if result.method == "bucklin" and i > 0:
                received = max(0.0, rnd.tallies[name] - rounds[i - 1].tallies.get(name, 0.0))
            status = _status(result, rnd, name, following, elected_before, last, budget)
            standings.append(Standing(name, rnd.tallies[name], max(received, 0.0), status))
        exhausted = None
        if ever_exhausted:
            before = rounds[i - 1].exhausted if i > 0 else rnd.exhausted
            exhausted = Standing(
                text(lang, "exhausted"), rnd.exhausted, max(0.0, rnd.exhausted - before), ""
            )
        sentences = tuple(_step_sentences(result, i, outgoing[i], lang))
        steps.append(
            Step(
                number=rnd.number,
                title=step_title(lang, rnd.number),
                lead=text(lang, "explain.step.lead", n=rnd.number),
                column=step_column(lang, rnd.number),
                standings=tuple(standings),
                exhausted=exhausted,
                quota=rnd.quota,
                sentences=sentences,
                story=paragraph(lang, sentences),
            )
        )
        elected_before |= {s.name for s in standings if s.status in ("elected", "funded")}
    return tuple(steps)


def _status(
    result: Result,
    rnd: Round,
    name: str,
    following: dict[str, float] | None,
    elected_before: set[str],
    last: bool,
    budget: bool,
) -> str:
    """An option's status at a step: elected (or funded) at it, elected at an earlier step
    and still standing, knocked out at it (eliminated, or absent from the next step without
    being elected), still counting — or, at the last step, not elected (not funded)."""
    if budget:
        if name in rnd.elected:
            return "funded"
        return "not-funded" if name in rnd.eliminated or last else "pending"
    if name in rnd.elected or (last and name in result.winners and name not in elected_before):
        return "elected"
    if name in elected_before:
        return "elected-before"
    if name in rnd.eliminated or (following is not None and name not in following):
        return "eliminated"
    return "not-elected" if last else "continuing"


def _step_sentences(result: Result, i: int, outgoing: Sequence[Transfer], lang: str) -> list[str]:
    rnd = result.rounds[i]
    method, note = result.method, rnd.note
    out: list[str] = []
    if i == 0 and method in ("irv", "stv", "plurality", *RUNOFFS):
        out.append(text(lang, "explain.first.ranked"))
        if rnd.exhausted > EPS:
            out.append(text(lang, "explain.first.unusable", count=grouped_number(rnd.exhausted)))
        if method == "stv" and rnd.quota is not None:
            out.append(_quota_sentence(result, rnd, lang))
    if result.decisions:
        return out + _budget_sentences(result, rnd, lang)
    if method == "bucklin":
        return out + _bucklin_sentences(result, i, lang)
    if method == "star":
        return out + _star_sentences(result, i, lang)
    if method in RUNOFFS:
        return out + _runoff_sentences(result, i, outgoing, lang)
    if method == "stv":
        return out + _stv_sentences(result, rnd, outgoing, lang)
    if note in ("first-count", "points", "approvals"):
        key = {"borda": "explain.borda", "score": "explain.score", "approval": "explain.approvals"}
        if method in key:
            out.append(text(lang, key[method]))
        return [*out, _most_sentence(result, rnd, lang)]
    return out


def _quota_sentence(result: Result, rnd: Round, lang: str) -> str:
    seats = int(result.options.get("seats") or 1)
    valid = sum(rnd.tallies.values()) + rnd.exhausted
    quota = rnd.quota or 0.0
    if result.options.get("rules") != "meek" and abs(valid // (seats + 1) + 1 - quota) < EPS:
        return text(
            lang,
            "explain.quota.scottish",
            valid=grouped_number(valid),
            seats=seats,
            quota=grouped_number(quota),
        )
    return text(lang, "explain.quota.plain", quota=grouped_number(quota))


def _majority_sentence(rnd: Round, lang: str) -> str:
    in_play = sum(rnd.tallies.values())
    name = rnd.elected[0] if rnd.elected else max(rnd.tallies, key=lambda c: rnd.tallies[c])
    votes = rnd.tallies[name]
    if votes * 2 > in_play + EPS:
        return text(
            lang,
            "explain.majority",
            name=name,
            votes=grouped_number(votes),
            in_play=grouped_number(in_play),
        )
    return text(lang, "explain.last_one", name=name)


def _ties_at(result: Result, number_: int, purpose: str) -> list[Tie]:
    return [t for t in result.ties if t.round == number_ and t.purpose == purpose]


def _elimination_sentences(
    result: Result, rnd: Round, outgoing: Sequence[Transfer], lang: str
) -> list[str]:
    """Who is knocked out at an instant-runoff step (or an STV exclusion), and where their
    ballots go."""
    out: list[str] = []
    gone = list(rnd.eliminated)
    if not gone:
        return out
    lowest = min(rnd.tallies.values())
    if len(gone) > 1:
        rest = sorted((c for c in rnd.tallies if c not in gone), key=lambda c: (rnd.tallies[c], c))
        together = sum(rnd.tallies[c] for c in gone)
        nxt = rest[0] if rest else ""
        out.append(
            text(
                lang,
                "explain.batch",
                names=listed(lang, gone),
                votes=grouped_number(together),
                next=nxt,
                next_votes=grouped_number(rnd.tallies.get(nxt, 0.0)),
            )
        )
    elif gone[0] == result.options.get("write_in"):  # the write-ins go first, however many
        out.append(
            text(lang, "explain.write_in", name=gone[0], votes=grouped_number(rnd.tallies[gone[0]]))
        )
    else:
        tied = [c for c in rnd.tallies if abs(rnd.tallies[c] - lowest) < EPS]
        if len(tied) > 1 and _ties_at(result, rnd.number, "eliminate"):
            out.append(
                text(
                    lang,
                    "explain.lowest_tied",
                    tied=listed(lang, tied),
                    votes=grouped_number(lowest),
                    name=gone[0],
                )
            )
        else:
            out.append(
                text(
                    lang, "explain.lowest", name=gone[0], votes=grouped_number(rnd.tallies[gone[0]])
                )
            )
    for transfer in outgoing:
        if transfer.kind == "exclusion":
            source = listed(lang, gone) if transfer.source not in rnd.tallies else transfer.source
            out.append(_moves(lang, source, transfer))
    return out


def _moves(lang: str, source: str, transfer: Transfer) -> str:
    """Where a knocked-out option's ballots went: ``…的 5 票按下一志愿转出：…``."""
    parts = _destinations(lang, transfer)
    moved = sum(v for v in transfer.received.values() if v > EPS) + max(transfer.exhausted, 0.0)
    if not parts:
        return text(lang, "explain.transfer.nothing", source=source)
    return text(
        lang,
        "explain.transfer.moves",
        source=source,
        votes=grouped_number(moved),
        parts=clauses(lang, parts),
    )


def _destinations(lang: str, transfer: Transfer) -> list[str]:
    """Where a transfer's votes went, one clause each: ``3 票转给 健康监测站``, and the votes
    left with no further choice."""
    parts = [
        text(lang, "explain.transfer.to", votes=grouped_number(v), name=name)
        for name, v in transfer.received.items()
        if v > EPS
    ]
    if transfer.exhausted > EPS:
        parts.append(
            text(lang, "explain.transfer.none_left", votes=grouped_number(transfer.exhausted))
        )
    return parts


def _stv_sentences(
    result: Result, rnd: Round, outgoing: Sequence[Transfer], lang: str
) -> list[str]:
    out: list[str] = []
    quota = rnd.quota or 0.0
    reached = [c for c in rnd.elected if rnd.tallies.get(c, 0.0) >= quota - EPS]
    for name in reached:
        out.append(
            text(
                lang,
                "explain.quota_reached",
                name=name,
                votes=grouped_number(rnd.tallies[name]),
                quota=grouped_number(quota),
            )
        )
    if rnd.note == "elect-remaining":
        rest = [c for c in rnd.elected if c not in reached]
        out.append(text(lang, "explain.remaining", names=listed(lang, rest)))
    elif rnd.note == "complete":
        out.append(text(lang, "explain.complete"))
    elif rnd.note == "exclusion":
        out += _elimination_sentences(result, rnd, outgoing, lang)
    for transfer in outgoing:
        if transfer.kind != "surplus":
            continue
        standing = rnd.tallies.get(transfer.source, 0.0)
        surplus = max(0.0, standing - quota)
        parts = _destinations(lang, transfer)
        moved = sum(v for v in transfer.received.values() if v > 0) + transfer.exhausted
        out.append(
            text(
                lang,
                "explain.surplus",
                name=transfer.source,
                surplus=grouped_number(surplus),
                value=grouped_number(transfer.value),
                parts=clauses(lang, parts) if parts else "—",
            )
        )
        lost = surplus - moved
        if lost > 1e-6:
            out.append(text(lang, "explain.surplus_lost", votes=grouped_number(lost)))
    return out


def _bucklin_sentences(result: Result, i: int, lang: str) -> list[str]:
    rnd = result.rounds[i]
    out = [text(lang, "explain.bucklin.step", depth=i + 1)]
    if rnd.note == "majority":
        name = result.winners[0] if result.winners else ""
        out.append(
            text(
                lang,
                "explain.bucklin.won",
                name=name,
                votes=grouped_number(rnd.tallies.get(name, 0.0)),
                ballots=grouped_number(result.ballots),
            )
        )
    elif i == len(result.rounds) - 1:
        out.append(text(lang, "explain.bucklin.last", name=listed(lang, result.winners)))
    else:
        out.append(text(lang, "explain.bucklin.none", ballots=grouped_number(result.ballots)))
    return out


def _star_sentences(result: Result, i: int, lang: str) -> list[str]:
    rnd = result.rounds[i]
    if rnd.note == "points":
        out = [text(lang, "explain.score")]
        if len(result.rounds) > 1:
            a, b = list(result.rounds[1].tallies)
            out.append(text(lang, "explain.star.finalists", a=a, b=b))
        else:
            out.append(_most_sentence(result, rnd, lang))
        return out
    (a, a_votes), (b, b_votes) = list(rnd.tallies.items())
    out = [
        text(
            lang,
            "explain.star.runoff",
            a=a,
            b=b,
            a_votes=grouped_number(a_votes),
            b_votes=grouped_number(b_votes),
            same=grouped_number(rnd.exhausted),
        )
    ]
    winner = rnd.elected[0] if rnd.elected else ""
    key = "explain.star.won" if abs(a_votes - b_votes) > EPS else "explain.star.won_tie"
    out.append(text(lang, key, name=winner))
    return out


def _most_sentence(result: Result, rnd: Round, lang: str) -> str:
    seats = int(result.options.get("seats") or 1)
    if seats > 1:
        return text(lang, "explain.most_seats", seats=seats, names=listed(lang, result.winners))
    name = result.winners[0] if result.winners else ""
    key = "explain.most" if rnd.note in ("first-count", "approvals") else "explain.points_most"
    return text(lang, key, name=name, votes=grouped_number(rnd.tallies.get(name, 0.0)))


def _budget_sentences(result: Result, rnd: Round, lang: str) -> list[str]:
    out = []
    for d in result.decisions:
        if d.step != rnd.number:
            continue
        left = "" if d.remaining_after is None else grouped_number(d.remaining_after)
        if d.funded:
            key = "explain.fund"
        elif d.reason == "over-budget":
            key = "explain.over"
        else:
            reason = text(lang, f"reason.{d.reason}")
            out.append(text(lang, "explain.decision", name=d.candidate, reason=reason))
            continue
        out.append(
            text(
                lang,
                key,
                name=d.candidate,
                support=grouped_number(d.support),
                cost=grouped_number(d.cost),
                left=left,
            )
        )
    return out


# --- head to head -----------------------------------------------------------------------


def _order(result: Result) -> list[str]:
    """Winners first, then the method's ranking, then everyone else in ballot order."""
    order = list(result.winners)
    for group in result.ranking or ():
        order += [name for name in group if name not in order]
    return order + [name for name in result.candidates if name not in order]


def _head_to_head(result: Result, lang: str) -> HeadToHead:
    pw = result.pairwise or ()
    names = _order(result)
    index = {name: i for i, name in enumerate(result.candidates)}
    votes = tuple(tuple(pw[index[a]][index[b]] for b in names) for a in names)
    score: tuple[str, tuple[str, ...]] | None = None
    scores = result.scores or {}
    if result.method == "copeland":
        cells = tuple(grouped_number(scores.get(name, 0.0)) for name in names)
        score = (text(lang, "explain.copeland.heading"), cells)
    elif result.method == "minimax":
        cells = tuple(grouped_number(scores.get(name, 0.0)) for name in names)
        score = (text(lang, "explain.minimax.heading"), cells)
    size = range(len(names))
    return HeadToHead(
        names=tuple(names),
        votes=votes,
        cells=tuple(
            tuple(cell_words(lang, _outcome(votes, i, j), votes[i][j]) for j in size) for i in size
        ),
        winners=frozenset(result.winners),
        score=score,
    )


def _outcome(votes: Sequence[Sequence[int]], i: int, j: int) -> str:
    if i == j:
        return "self"
    return "win" if votes[i][j] > votes[j][i] else "loss" if votes[i][j] < votes[j][i] else "tie"


def _contest(lang: str, key: str, a: str, b: str, x: int, y: int) -> str:
    return text(lang, key, a=a, b=b, x=grouped_number(x), y=grouped_number(y))


def _no_condorcet(result: Result, lang: str) -> list[str]:
    """No option beats every other: a cycle, or ties, and the Smith set."""
    pw = result.pairwise or ()
    names = result.candidates
    smith = smith_set(pw)
    cycle = strict_cycle(pw, smith)
    tied = [
        _contest(lang, "explain.pw.tied_pair", names[a], names[b], pw[a][b], pw[b][a])
        for n, a in enumerate(smith)
        for b in smith[n + 1 :]
        if pw[a][b] == pw[b][a]
    ]
    out = []
    if cycle:
        links = []
        for n, a in enumerate(cycle):
            b = cycle[(n + 1) % len(cycle)]
            key = "explain.pw.beats_back" if n == len(cycle) - 1 else "explain.pw.beats"
            links.append(_contest(lang, key, names[a], names[b], pw[a][b], pw[b][a]))
        out.append(text(lang, "explain.pw.cycle", steps=clauses(lang, links)))
        if tied:
            out.append(text(lang, "explain.pw.ties_also", pairs=clauses(lang, tied)))
    elif tied:
        out.append(text(lang, "explain.pw.tie", pairs=clauses(lang, tied)))
    else:
        out.append(text(lang, "compare.no_condorcet"))
    out.append(text(lang, "explain.pw.smith", names=listed(lang, [names[i] for i in smith])))
    return out


def _pairwise_reasons(result: Result, lang: str) -> tuple[str, ...]:
    pw = result.pairwise or ()
    names = result.candidates
    method = method_name(result.method, lang)
    seats = int(result.options.get("seats") or 1)
    cw = condorcet_winner(pw) if names else None
    out: list[str] = []
    if cw is not None:
        contests = [
            text(
                lang,
                "explain.pw.contest",
                name=names[j],
                mine=grouped_number(pw[cw][j]),
                theirs=grouped_number(pw[j][cw]),
            )
            for j in range(len(names))
            if j != cw
        ]
        out.append(
            text(
                lang,
                "explain.pw.beats_all",
                name=names[cw],
                contests=clauses(lang, contests),
                method=method,
            )
        )
    elif names:
        out += _no_condorcet(result, lang)
    if cw is None or result.method in ("copeland", "minimax"):
        out += _method_reasons(result, lang)
    if seats > 1 and result.ranking:
        ranking = " > ".join(" = ".join(group) for group in result.ranking)
        out.append(text(lang, "explain.pw.ranking", method=method, ranking=ranking, seats=seats))
    return tuple(out)


def _method_reasons(result: Result, lang: str) -> list[str]:
    winners = list(result.winners)
    if not winners or not result.candidates:
        return []
    strength = str(result.options.get("strength", "winning"))
    if result.method == "schulze":
        return _schulze(result, strength, lang)
    if result.method == "ranked-pairs":
        return _ranked_pairs(result, lang)
    scores = result.scores or {}
    if result.method == "copeland":
        points = [
            text(
                lang,
                "explain.copeland.points_of",
                name=c,
                points=grouped_number(scores.get(c, 0.0)),
            )
            for c in _order(result)
        ]
        best = max(scores.values(), default=0.0)
        top = [c for c in result.candidates if abs(scores.get(c, 0.0) - best) < EPS]
        return [
            text(lang, "explain.copeland.rule"),
            text(lang, "explain.copeland.points", points=listed(lang, points)),
            text(lang, "explain.copeland.so", names=listed(lang, top)),
        ]
    if result.method == "minimax":
        worst = [
            text(lang, "explain.minimax.never_lost", name=c)
            if scores.get(c, 0.0) < EPS
            else text(lang, "explain.minimax.lost_by", name=c, votes=grouped_number(scores[c]))
            for c in _order(result)
        ]
        least = min(scores.values(), default=0.0)
        top = [c for c in result.candidates if abs(scores.get(c, 0.0) - least) < EPS]
        return [
            text(lang, f"explain.minimax.rule.{strength}"),
            text(lang, "explain.minimax.worst", worst=clauses(lang, worst)),
            text(lang, "explain.minimax.so", names=listed(lang, top)),
        ]
    return []


def _schulze(result: Result, strength: str, lang: str) -> list[str]:
    pw = result.pairwise or ()
    names = result.candidates
    index = {c: i for i, c in enumerate(names)}
    paths = beat_paths(pw, strength)
    winner = index[result.winners[0]]
    out = [text(lang, f"explain.schulze.rule.{strength}")]
    for other in (index[c] for c in _order(result) if c != names[winner]):
        there, back = paths[winner][other], paths[other][winner]
        if there == back:
            out.append(
                text(
                    lang,
                    "explain.schulze.equal" if there else "explain.schulze.no_path",
                    winner=names[winner],
                    other=names[other],
                    strength=grouped_number(there),
                )
            )
            continue
        route = " → ".join(names[i] for i in strongest_path(pw, winner, other, strength))
        back_words = (
            text(lang, "explain.schulze.back", strength=grouped_number(back))
            if back > 0
            else text(lang, "explain.schulze.no_back")
        )
        out.append(
            text(
                lang,
                "explain.schulze.path",
                winner=names[winner],
                other=names[other],
                path=route,
                strength=grouped_number(there),
                back=back_words,
            )
        )
    out.append(_first(result, lang, "explain.schulze.so"))
    return out


def _first(result: Result, lang: str, key: str) -> str:
    """Who comes first under the method: one option, or several level (then drawn)."""
    top = list(result.ranking[0]) if result.ranking else list(result.winners)
    if len(top) > 1:
        return text(lang, "explain.level_first", names=listed(lang, _by_ballot(result, top)))
    return text(lang, key, name=top[0] if top else "")


def _ranked_pairs(result: Result, lang: str) -> list[str]:
    pw = result.pairwise or ()
    names = result.candidates
    index = {c: i for i, c in enumerate(names)}
    draws = [t for t in result.ties if t.purpose == "rank" and t.rule == "lot"]

    def draw(involved: list[int]) -> list[int]:
        wanted = {names[i] for i in involved}
        for tie in draws:
            if set(tie.tied) == wanted:
                draws.remove(tie)
                return [index[c] for c in tie.chosen]
        return involved

    out = [text(lang, "explain.rp.rule")]
    for n, lock in enumerate(lock_order(pw, draw), start=1):
        key = "explain.rp.locked" if lock.locked else "explain.rp.skipped"
        out.append(
            text(
                lang,
                key,
                n=n,
                a=names[lock.winner],
                b=names[lock.loser],
                margin=grouped_number(lock.margin),
            )
        )
    top = list(result.ranking[0]) if result.ranking else list(result.winners)
    out.append(text(lang, "explain.rp.so", names=listed(lang, top)))
    return out


# --- ties -------------------------------------------------------------------------------


def _prefix(lang: str, tie: Tie) -> str:
    return "" if tie.round is None else text(lang, "explain.step.lead", n=tie.round)


def _votes_at(result: Result, step: int | None, names: Sequence[str]) -> float | None:
    """The (equal) votes of ``names`` at ``step``, if the step shows them."""
    if step is None or not 1 <= step <= len(result.rounds):
        return None
    tallies = result.rounds[step - 1].tallies
    values = [tallies[c] for c in names if c in tallies]
    return values[0] if values and len(values) == len(names) else None


def _differing_step(result: Result, tie: Tie, *, latest: bool) -> int | None:
    """The earliest (or latest) step before the tie's step at which the tied options'
    votes were not all equal."""
    if tie.round is None:
        return None
    earlier = list(range(1, tie.round))
    for step in reversed(earlier) if latest else earlier:
        tallies = result.rounds[step - 1].tallies
        values = [tallies.get(c, 0.0) for c in tie.tied]
        if max(values) - min(values) > EPS:
            return step
    return None


def _standing(result: Result, step: int, names: Sequence[str], lang: str) -> str:
    tallies = result.rounds[step - 1].tallies
    return listed(
        lang,
        [
            text(lang, "explain.tie.had", name=c, votes=grouped_number(tallies.get(c, 0.0)))
            for c in names
        ],
    )


def _tie_sentence(result: Result, tie: Tie, lang: str) -> str:
    prefix = _prefix(lang, tie)
    tied, chosen = listed(lang, _by_ballot(result, tie.tied)), listed(lang, tie.chosen)
    votes = _votes_at(result, tie.round, tie.tied)
    shown = "" if votes is None else grouped_number(votes)
    if (tie.rule, tie.purpose) in RULE_SENTENCES:
        step = _differing_step(result, tie, latest=tie.rule == "later-round")
        if step is not None and votes is not None:
            if tie.purpose == "elect":
                then = ""
            elif len(tie.chosen) > 1:
                then = text(lang, "explain.tie.then_lot", chosen=chosen)
            elif tie.purpose == "eliminate":
                then = text(lang, "explain.tie.so_eliminated", chosen=chosen)
            else:
                then = ""
            sentence = text(
                lang,
                f"explain.tie.{tie.rule}.{tie.purpose}",
                tied=tied,
                votes=shown,
                step=step,
                standing=_standing(result, step, _by_ballot(result, tie.tied), lang),
                chosen=chosen,
                then=then,
            )
            return prefix + sentence.strip()
    if tie.rule == "lot":
        what = _lot_what(result, tie, lang, shown)
        outcome = _lot_outcome(result, tie, lang)
        return prefix + text(lang, "explain.tie.lot", what=what, outcome=outcome)
    if tie.rule in ("pairwise", "higher-score", "cheaper-first", "more-supporters"):
        return prefix + text(lang, f"explain.tie.{tie.rule}", tied=tied, chosen=chosen)
    rule = text(lang, f"rule.{tie.rule}")
    purpose = text(lang, f"purpose.{tie.purpose}")
    return prefix + text(
        lang, "explain.tie.generic", tied=tied, rule=rule, purpose=purpose, chosen=chosen
    )


def _by_ballot(result: Result, names: Sequence[str]) -> list[str]:
    """``names`` in the order of the ballot (the engine lists tied options by code point)."""
    place = {c: i for i, c in enumerate(result.candidates)}
    return sorted(names, key=lambda c: place.get(c, len(place)))


def _lot_what(result: Result, tie: Tie, lang: str, votes: str) -> str:
    tied = listed(lang, _by_ballot(result, tie.tied))
    if tie.purpose == "eliminate":
        narrowed = any(
            t.rule != "lot" and t.round == tie.round and t.purpose == tie.purpose
            for t in result.ties
        )
        if narrowed:
            return text(lang, "explain.tie.what.still", tied=tied)
        if votes:
            key = (
                "explain.tie.what.fewest"
                if (tie.round or 1) > 1
                else "explain.tie.what.fewest_first"
            )
            return text(lang, key, tied=tied, votes=votes)
    if tie.purpose == "win" and tie.round is None:
        method = method_name(result.method, lang)
        return text(lang, "explain.tie.what.level", tied=tied, method=method)
    if tie.purpose == "rank" and result.method == "ranked-pairs":
        return text(lang, "explain.tie.what.pairs", tied=tied)
    return text(lang, "explain.tie.what.plain", tied=tied)


def _lot_outcome(result: Result, tie: Tie, lang: str) -> str:
    chosen = listed(lang, tie.chosen)
    seats = int(result.options.get("seats") or 1)
    if tie.purpose == "eliminate":
        return text(lang, "explain.tie.out.eliminate", chosen=chosen)
    if tie.purpose == "win":
        key = "explain.tie.out.win" if seats == 1 else "explain.tie.out.elect"
        return text(lang, key, chosen=chosen)
    if tie.purpose == "elect":
        return text(lang, "explain.tie.out.elect", chosen=chosen)
    if tie.purpose == "transfer":
        return text(lang, "explain.tie.out.transfer", chosen=tie.chosen[0])
    if len(tie.chosen) == len(tie.tied):
        return text(lang, "explain.tie.out.order", order=" > ".join(tie.chosen))
    return text(lang, "explain.tie.out.first", chosen=chosen)


def _lot_lines(result: Result, lang: str) -> tuple[str, ...]:
    """How to draw every lot again: the rule and seed, then each lot's numbers."""
    lots = [t for t in result.ties if t.rule == "lot"]
    if not lots or result.seed is None:
        return ()
    seed = result.seed
    out = [text(lang, "explain.lot.rule", seed=seed, digits=LOT_DIGITS)]
    for tie in lots:
        keys = sorted((lot_key(seed, name), name) for name in tie.tied)
        shown = [
            text(lang, "explain.lot.key", name=name, digits=key[:LOT_DIGITS]) for key, name in keys
        ]
        keys_words = clauses(lang, shown)
        if tie.round is None:
            out.append(text(lang, "explain.lot.keys", keys=keys_words))
        else:
            out.append(text(lang, "explain.lot.keys_at", n=tie.round, keys=keys_words))
    return tuple(out)


# --- instant runoff and its relatives: their options' steps (docs/counting.md) -----------

RUNOFFS: Final = ("irv", "sequential-irv", "bottoms-up")
"""The methods whose steps :func:`_runoff_sentences` tells: instant runoff's notes, each
possibly in a pass of sequential IRV (``pass-2:elimination``)."""


def _runoff_sentences(result: Result, i: int, outgoing: Sequence[Transfer], lang: str) -> list[str]:
    """A step of instant runoff, sequential IRV or bottoms-up elimination: the pass it
    opens, then what its note says happened."""
    rnd = result.rounds[i]
    number_, note = split_pass(rnd.note)
    out: list[str] = []
    if number_ is not None and (i == 0 or split_pass(result.rounds[i - 1].note)[0] != number_):
        before = [w for w in result.winners[: number_ - 1]]
        if before:
            out.append(text(lang, "explain.runoff.pass", n=number_, names=listed(lang, before)))
        else:
            out.append(text(lang, "explain.runoff.pass_first", n=number_))
    names = listed(lang, rnd.elected)
    votes = grouped_number(rnd.tallies[rnd.elected[0]]) if rnd.elected else ""
    quota = grouped_number(rnd.quota) if rnd.quota is not None else ""
    if note == "majority":
        out.append(_majority_sentence(rnd, lang))
    elif note in ("threshold", "two-left", "seats-filled", "final-two"):
        shown = listed(lang, list(rnd.tallies))
        key = f"explain.runoff.{note}"
        out.append(text(lang, key, name=names, votes=votes, quota=quota, names=shown))
    elif note == "percentage":
        share = grouped_number(float(result.options.get("percentage") or 0))
        out.append(text(lang, "explain.runoff.percentage", names=names, share=share, quota=quota))
    elif note == "stopped":
        after = int(result.options.get("stop_after") or 0)
        key = "explain.runoff.stopped" if rnd.elected else "explain.runoff.stopped_after"
        out.append(text(lang, key, name=names, votes=votes, n=after))
    elif note == "write-in":
        gone = rnd.eliminated[0]
        out.append(
            text(
                lang, "explain.runoff.write_in", name=gone, votes=grouped_number(rnd.tallies[gone])
            )
        )
        out += [_moves(lang, gone, t) for t in outgoing if t.kind == "exclusion"]
    else:
        out += _elimination_sentences(result, rnd, outgoing, lang)
    return out
