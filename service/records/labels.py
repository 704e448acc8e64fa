"""How the records show things to people: numbers, amounts, lists, ballots, method names and
their options — the same in the PDF, the tables, the pages and the command line. (Times and
dates: :mod:`service.zones`.) Words are put together by the catalogue's ``join.*`` entries,
so no code picks punctuation by language."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final, Protocol

from ballots.kinds import ApprovalBallot, Ballot, BudgetBallot, RankedBallot
from engine.errors import EngineError
from engine.registry import get_method
from service.i18n import text

WHOLE: Final = 1e-9
"""How close to a whole number a tally must be to be shown as one."""


def _decimal(value: float, grouping: str) -> str:
    """Whole numbers without decimals, others to at most five places; ``grouping`` is the
    thousands separator's format (``","``, or ``""`` for none)."""
    if abs(value - round(value)) < WHOLE:
        return f"{round(value):{grouping}}"
    return f"{value:{grouping}.5f}".rstrip("0").rstrip(".")


def plain_number(value: float | None) -> str:
    """A tally or amount for a table cell, without thousands separators: whole numbers
    plain, others to at most five decimals (``28``, ``1300.34409``); empty for none."""
    return "" if value is None else _decimal(value, "")


def grouped_number(value: float) -> str:
    """A tally or amount for reading, with thousands separators: ``1,300``,
    ``12,345.5``."""
    return _decimal(value, ",")


def yuan(value: float | None) -> str:
    """An amount of yuan for reading, with thousands separators and cents when there are
    any: ``120,000`` or ``1,234.50``; ``—`` for none."""
    if value is None:
        return "—"
    if abs(value - round(value)) < WHOLE:
        return f"{round(value):,}"
    return f"{value:,.2f}"


def yuan_from_cents(cents: float) -> str:
    """An amount kept in cents (fen, hundredths of a yuan: ``cost_cents``) as yuan for
    reading: ``12000000`` → ``120,000``."""
    return grouped_number(cents / 100)


def separator(lang: str, joint: str = "list") -> str:
    """What stands between two things joined as ``join.<joint>``: ``、`` / ``, ``
    (``list``), ``，`` / ``, `` (``clauses``), nothing / a space (``sentences``),
    ``；`` / ``; `` (``items``), ``和`` / `` and `` (``last``), ``：`` / ``: ``
    (``labelled``)."""
    return text(lang, f"join.{joint}", a="", b="")


def listed(lang: str, names: Iterable[str]) -> str:
    """``甲、乙`` or ``A, B``."""
    return separator(lang).join(names)


class AskedTie(Protocol):
    """A tie put to the operator: the engine's :class:`~engine.errors.TieUnresolved` or the
    question a round keeps (:class:`~service.rounds.settings.TieQuestion`)."""

    @property
    def round(self) -> int | None: ...
    @property
    def purpose(self) -> str | None: ...
    @property
    def tied(self) -> Iterable[str]: ...
    @property
    def count(self) -> int: ...


def tie_question(tie: AskedTie, lang: str) -> str:
    """``第3轮淘汰平局：张三、李四 并列，需要决定1个``: the question a tie asks, on the command
    line and on the round page alike."""
    return text(
        lang,
        "tie.question",
        round=tie.round if tie.round is not None else "-",
        purpose=text(lang, f"purpose.{tie.purpose}"),
        tied=listed(lang, tie.tied),
        count=tie.count,
    )


def clauses(lang: str, parts: Iterable[str]) -> str:
    """Clauses of one sentence: ``…，…`` or ``…, …``."""
    return separator(lang, "clauses").join(parts)


def paragraph(lang: str, sentences: Iterable[str]) -> str:
    """Sentences run together: no space after ``。``, one after ``.``."""
    return separator(lang, "sentences").join(sentences)


def sentence(lang: str, words: str) -> str:
    """Words said as a sentence of their own: capitalised (Chinese has no capitals) and ended
    with the language's full stop, ``……。`` / ``…….``."""
    return text(lang, "join.sentence", a=words[:1].upper() + words[1:])


def labelled(lang: str, name: str, value: str) -> str:
    """A label and its value: ``总费用：1,200`` / ``Total cost: 1,200``."""
    return text(lang, "join.labelled", a=name, b=value)


def aside(lang: str, main: str, said: str) -> str:
    """Words with an aside in brackets: ``进行中（50%）`` / ``In progress (50%)``."""
    return text(lang, "join.aside", a=main, b=said)


def ballot_text(ballot: Ballot, lang: str) -> str:
    """A ballot for reading: ``甲 > 乙 = 丙`` (ranked), ``甲、乙`` (approval, budget),
    ``甲:5 乙:2`` (score); ``（空白）`` for a blank one."""
    if isinstance(ballot, RankedBallot):
        shown = " > ".join(" = ".join(group) for group in ballot.ranking)
    elif isinstance(ballot, ApprovalBallot | BudgetBallot):
        shown = listed(lang, ballot.approved)
    else:
        shown = " ".join(f"{name}:{score}" for name, score in ballot.scores.items())
    return shown or text(lang, "blank_ballot")


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
    方案); numbers as they are, money as yuan. A yes/no option or an option left unset
    whose values the catalogue does not word says 是/否 or 不设 (``rule.yes``, ``rule.no``,
    ``rule.unset``)."""
    if isinstance(value, bool):
        code = "true" if value else "false"
        plain = "rule.yes" if value else "rule.no"
    elif value is None:
        code, plain = "none", "rule.unset"
    elif isinstance(value, int | float):
        return yuan(value) if name == "budget" else plain_number(value)
    else:
        code, plain = str(value), ""
    shown = text(lang, f"option.{name}.{code}")
    if shown != f"option.{name}.{code}":
        return shown
    return text(lang, plain) if plain else code


def option_help(name: str, lang: str) -> str:
    """A sentence on what a counting option does, for the set-up form (``""`` when the
    catalogue has none: ``option.<name>.help``)."""
    shown = text(lang, f"option.{name}.help")
    return "" if shown == f"option.{name}.help" else shown


def counting_options(method: str, recorded: Mapping[str, object]) -> dict[str, object]:
    """Every option of ``method`` as a round was counted with it: the recorded value, else
    the method's default (a recount needs them all), in the order the method lists them;
    then any recorded option the method no longer has. An option naming a candidate that
    names none (``write_in`` unset, as in every round) is left out: there is nothing to say."""
    try:
        specs = get_method(method).options
    except EngineError:
        specs = {}
    every = {
        name: recorded.get(name, spec.default)
        for name, spec in specs.items()
        if not (spec.names_candidate and recorded.get(name, spec.default) == "")
    }
    return every | {
        name: value for name, value in recorded.items() if name not in every and value != ""
    }


def method_summary(method: str, lang: str) -> str:
    """The registry's one-line description of the method, in ``lang`` (the registry holds
    both; ``method_summary`` in the catalogue says which is whose)."""
    info = get_method(method)
    return text(lang, "method_summary", zh=info.summary_zh, en=info.summary)


def label(lang: str, group: str, code: str) -> str:
    """A coded value's label (``record.stance.support`` → 支持), the code if unlabelled."""
    key = f"record.{group}.{code}"
    shown = text(lang, key)
    return code if shown == key else shown


def rules_words(method: str, options: Mapping[str, object], lang: str) -> str:
    """A round's counting rules in one line, each labelled: ``名额：1；批量淘汰：是：……``
    (the seats, if given, then every option of the method, defaults too)."""
    every = counting_options(method, {k: v for k, v in options.items() if k != "seats"})
    if "seats" in options:
        every = {"seats": options["seats"], **every}
    said = (
        labelled(lang, option_name(n, lang), option_value(n, v, lang)) for n, v in every.items()
    )
    return separator(lang, "items").join(said)
