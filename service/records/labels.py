"""How the records show things to people: local dates and times, numbers, ballots, method
names — the same in the PDF, the tables and the command line."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Final

from ballots.kinds import ApprovalBallot, Ballot, BudgetBallot, RankedBallot
from engine.registry import get_method
from service.i18n import text

LOCAL: Final = timezone(timedelta(hours=8), "UTC+8")
"""China Standard Time (no daylight saving): dates and times in documents, and "today" for
overdue tasks, are reckoned in it."""

_METHOD_ZH: Final = {
    "plurality": "相对多数",
    "approval": "赞成投票",
    "score": "评分投票",
    "borda": "波达计数",
    "irv": "即时决选",
    "stv": "单记可转移投票",
    "schulze": "舒尔茨法",
    "ranked-pairs": "排序对法",
    "copeland": "科普兰法",
    "minimax": "最小最大法",
    "bucklin": "巴克林法",
    "star": "STAR",
    "greedy": "贪心预算",
    "equal-shares": "平等份额法",
}


def today() -> date:
    """Today's date in :data:`LOCAL` time."""
    return datetime.now(LOCAL).date()


def local_time(moment: datetime | None, lang: str) -> str:
    """``2026年5月1日 18:00`` (zh) or ``2026-05-01 18:00`` (en), in :data:`LOCAL` time;
    ``—`` for no time."""
    if moment is None:
        return "—"
    at = moment.astimezone(LOCAL)
    if lang == "zh":
        return f"{at.year}年{at.month}月{at.day}日 {at:%H:%M}"
    return f"{at:%Y-%m-%d %H:%M}"


def iso_local(moment: datetime | None) -> str:
    """ISO 8601 in :data:`LOCAL` time with its offset (``2026-05-01T18:00:00+08:00``)."""
    return "" if moment is None else moment.astimezone(LOCAL).isoformat(timespec="seconds")


def number(value: float | None) -> str:
    """A tally or amount without thousands separators: whole numbers plain, others to at
    most five decimals (``28``, ``1300.34409``); empty for none."""
    if value is None:
        return ""
    if abs(value - round(value)) < 1e-9:
        return str(round(value))
    return f"{value:.5f}".rstrip("0").rstrip(".")


def money(value: float | None) -> str:
    """An amount of yuan for reading: ``120,000`` or ``1,234.5``."""
    if value is None:
        return "—"
    if abs(value - round(value)) < 1e-9:
        return f"{round(value):,}"
    return f"{value:,.2f}"


def ballot_text(ballot: Ballot, lang: str) -> str:
    """A ballot for reading: ``甲 > 乙 = 丙`` (ranked), ``甲、乙`` (approval, budget),
    ``甲:5 乙:2`` (score); ``（空白）`` for a blank one."""
    sep = "、" if lang == "zh" else ", "
    if isinstance(ballot, RankedBallot):
        shown = " > ".join(" = ".join(group) for group in ballot.ranking)
    elif isinstance(ballot, ApprovalBallot | BudgetBallot):
        shown = sep.join(ballot.approved)
    else:
        shown = " ".join(f"{name}:{score}" for name, score in ballot.scores.items())
    return shown or ("（空白）" if lang == "zh" else "(blank)")


def method_name(method: str, lang: str) -> str:
    """``irv（即时决选）`` or ``irv``."""
    zh = _METHOD_ZH.get(method)
    return f"{method}（{zh}）" if lang == "zh" and zh else method


def method_summary(method: str, lang: str) -> str:
    """The registry's one-line description of the method, in ``lang``."""
    info = get_method(method)
    return info.summary_zh if lang == "zh" else info.summary


def label(lang: str, group: str, code: str) -> str:
    """A coded value's label (``record.stance.support`` → 支持), the code if unlabelled."""
    key = f"record.{group}.{code}"
    shown = text(lang, key)
    return code if shown == key else shown
