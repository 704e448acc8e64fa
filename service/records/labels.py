"""How the records show things to people: numbers, ballots, method names and their options —
the same in the PDF, the tables, the pages and the command line. (Times: :mod:`service.zones`.)"""

from __future__ import annotations

from ballots.kinds import ApprovalBallot, Ballot, BudgetBallot, RankedBallot
from engine.registry import get_method
from service.i18n import text


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
    """A method's name for people: ``即时决选（IRV）`` / ``Instant runoff (IRV)``; the
    registry name for a method the catalogue does not name."""
    shown = text(lang, f"page.method.{method}")
    return method if shown == f"page.method.{method}" else shown


def option_name(name: str, lang: str) -> str:
    """A counting option's name for people (``batch`` → 批量淘汰); the name itself for an
    option the catalogue does not know (one a caller made up)."""
    shown = text(lang, f"option.{name}")
    return name if shown == f"option.{name}" else shown


def option_value(name: str, value: object, lang: str) -> str:
    """A counting option's value for people (``batch`` ``False`` → 否：每轮只淘汰得票最少的
    方案); numbers as they are, money as yuan."""
    if isinstance(value, bool):
        code = "true" if value else "false"
    elif isinstance(value, int | float):
        return money(value) if name == "budget" else number(value)
    else:
        code = str(value)
    shown = text(lang, f"option.{name}.{code}")
    return code if shown == f"option.{name}.{code}" else shown


def method_summary(method: str, lang: str) -> str:
    """The registry's one-line description of the method, in ``lang``."""
    info = get_method(method)
    return info.summary_zh if lang == "zh" else info.summary


def label(lang: str, group: str, code: str) -> str:
    """A coded value's label (``record.stance.support`` → 支持), the code if unlabelled."""
    key = f"record.{group}.{code}"
    shown = text(lang, key)
    return code if shown == key else shown
