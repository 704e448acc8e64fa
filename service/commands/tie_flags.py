"""The tie-break flags of ``redbench tally`` (``--tie-break``, ``--tie-order``), asking the
operator on a terminal when the mode says to ask, and the lines that state the mode.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TextIO

import msgspec

from engine.errors import TieUnresolved
from engine.result import Result, TieBreak
from service.commands.errors import CommandError
from service.i18n import text
from service.records.labels import tie_question


def tie_arguments(cmd: argparse.ArgumentParser) -> None:
    """``--tie-break MODE`` and ``--tie-order A,B,C`` (``tally``)."""
    from engine.result import TIE_BREAK_MODES

    cmd.add_argument(
        "--tie-break",
        choices=TIE_BREAK_MODES,
        help="how ties are settled (default: the method's own rule, then the lot); "
        "ask and later-round-then-ask prompt on a terminal",
    )
    cmd.add_argument(
        "--tie-order",
        help="candidate-order: every candidate once, comma-separated, the preferred first "
        "(the one listed last is eliminated first)",
    )


def tie_break_of(args: argparse.Namespace, lang: str) -> TieBreak | None:
    """The mode the flags ask for; ``--tie-order`` only with ``candidate-order``."""
    from engine.result import TieBreak

    mode, order = getattr(args, "tie_break", None), getattr(args, "tie_order", None)
    if order is not None and mode != "candidate-order":
        raise CommandError(
            "--tie-order goes with --tie-break candidate-order",
            "--tie-order 只能与 --tie-break candidate-order 一起使用",
            status=2,
        )
    if mode == "candidate-order" and not order:
        raise CommandError(
            "--tie-break candidate-order needs --tie-order A,B,C",
            "--tie-break candidate-order 需要 --tie-order 给出方案顺序",
            status=2,
        )
    if mode is None:
        return None
    names = tuple(n.strip() for n in order.split(",")) if order else ()
    return TieBreak(mode=mode, order=names)


def with_answers(
    count: Callable[[TieBreak | None], Result],
    mode: TieBreak | None,
    lang: str,
    stdin: TextIO | None = None,
    prompt: TextIO | None = None,
) -> Result:
    """``count`` under ``mode``, asking each tie a mode that asks meets on the terminal
    (the tied numbered on ``prompt``, stderr; the choice read from ``stdin``) and counting
    again with the answers so far; without a terminal, one line naming the tie."""
    from engine.result import TieAnswer

    given = sys.stdin if stdin is None else stdin
    shown = sys.stderr if prompt is None else prompt
    while True:
        try:
            return count(mode)
        except TieUnresolved as tie:
            if not tie.asked or mode is None:
                raise
            question = tie_question(tie, lang)
            if not given.isatty():
                key = "tie.not_a_terminal"
                raise CommandError(
                    text("en", key, question=tie_question(tie, "en")),
                    text("zh", key, question=tie_question(tie, "zh")),
                ) from None
            chosen = _ask(tie, question, lang, given, shown)
            answer = TieAnswer(
                round=tie.round, purpose=str(tie.purpose), tied=tie.tied, chosen=chosen
            )
            mode = msgspec.structs.replace(mode, answers=(*mode.answers, answer))


def _ask(
    tie: TieUnresolved, question: str, lang: str, given: TextIO, shown: TextIO
) -> tuple[str, ...]:
    """Read the operator's choice of ``tie.count`` of the tied, one number at a time."""
    left = list(tie.tied)
    chosen: list[str] = []
    shown.write(question + "\n")
    while len(chosen) < tie.count:
        for number, name in enumerate(left, 1):
            shown.write(f"  {number}. {name}\n")
        shown.write(text(lang, "tie.prompt", purpose=text(lang, f"purpose.{tie.purpose}")))
        shown.flush()
        line = given.readline()
        if not line:
            key = "tie.stopped"
            raise CommandError(
                text("en", key, question=tie_question(tie, "en")),
                text("zh", key, question=tie_question(tie, "zh")),
            )
        picked = line.strip()
        if not picked.isdigit() or not 1 <= int(picked) <= len(left):
            shown.write(text(lang, "tie.prompt.again") + "\n")
            continue
        chosen.append(left.pop(int(picked) - 1))
    return tuple(chosen)


def tie_lines(result: Result, lang: str) -> list[str]:
    """What to tell the reader about the count's tie-break mode (nothing for the default)."""
    from service.records.labels import listed, option_value

    stated = result.tie_break
    if isinstance(stated, msgspec.UnsetType):
        return []
    mode = option_value("tie_break", stated.mode, lang)
    if stated.order:
        return [text(lang, "recount.tie_break.order", mode=mode, order=listed(lang, stated.order))]
    return [text(lang, "recount.tie_break", mode=mode)]


def whole_order(mode: TieBreak, candidates: tuple[str, ...]) -> TieBreak:
    """A configuration's candidate order, with the candidates it does not list (the
    undeclared write-ins) after the rest: the last listed is eliminated first."""
    if mode.mode != "candidate-order":
        return mode
    order = [name for name in mode.order if name in candidates]
    return msgspec.structs.replace(mode, order=(*order, *[c for c in candidates if c not in order]))
