"""The flags of ``redbench tally`` that set a counting method's own options: the methods'
rule sets (``--rules scottish|meek|fractional``, ``--truncated``, ``--completion``,
``--strength``), the certified tabulators' STV arithmetic and the contest options of
instant runoff and its relatives (docs/counting.md); each overrides a file's published
options."""

from __future__ import annotations

import argparse

from engine.methods.irv import THRESHOLDS
from engine.result import Option

METHOD_FLAGS = {
    "rules": "STV rule set: scottish (default), meek or fractional",
    "truncated": "Borda rule for truncated and tied ballots: average (default), zero, modified",
    "completion": "Equal Shares completion: add1 (default), add1-utilitarian, none",
    "strength": "Schulze/minimax defeat strength: winning or margin",
}


STV_FLAGS = ("quota", "integer_threshold", "decimals", "one_per_round")
"""The STV options set by flags of their own (``--rules fractional``; ``--write-in``, which
every STV rule set takes too, is among :data:`RUNOFF_OPTIONS`): each overrides the file's."""


def stv_arguments(cmd: argparse.ArgumentParser) -> None:
    """The flags of the certified tabulators' STV count (``--rules fractional``)."""
    cmd.add_argument(
        "--quota", choices=("droop", "hare"), help="STV fractional: threshold (default droop)"
    )
    cmd.add_argument(
        "--integer-threshold",
        action=argparse.BooleanOptionalAction,
        help="STV fractional: a whole-vote threshold (default yes)",
    )
    cmd.add_argument(
        "--decimals", type=int, help="STV fractional: decimal places of vote values (default 4)"
    )
    cmd.add_argument(
        "--one-per-round",
        action=argparse.BooleanOptionalAction,
        help="STV fractional: at most one winner per round (default no)",
    )


def flagged(args: argparse.Namespace) -> dict[str, Option]:
    """The method options the command line's flags set."""
    options: dict[str, Option] = {}
    for flag in [*METHOD_FLAGS, *STV_FLAGS]:
        if flag != "rules" and getattr(args, flag, None) is not None:
            options[flag] = getattr(args, flag)
    if getattr(args, "batch", False):
        options["batch"] = True
    for option in RUNOFF_OPTIONS:
        if getattr(args, option, None) is not None:
            options[option] = getattr(args, option)
    return options


# --- the contest options of instant runoff and its relatives (irv, sequential-irv, bottoms-up)

RUNOFF_OPTIONS = ("write_in", "until_two", "threshold", "stop_after", "percentage")
"""The options :func:`runoff_arguments` sets, by the engine's names."""


def runoff_arguments(cmd: argparse.ArgumentParser) -> None:
    """The flags of the contest options an election office sets for instant runoff
    (docs/counting.md); each overrides the file's."""
    cmd.add_argument(
        "--write-in",
        metavar="NAME",
        help="IRV, sequential-irv, bottoms-up, STV: the candidate standing for undeclared "
        "write-ins, eliminated first and never elected",
    )
    cmd.add_argument(
        "--until-two",
        action="store_true",
        default=None,
        help="IRV, sequential-irv: go on eliminating after the majority until two remain",
    )
    cmd.add_argument(
        "--threshold",
        choices=THRESHOLDS,
        help="IRV, sequential-irv: more than half of each round's votes (majority, default) "
        "or of the first round's (first-round)",
    )
    cmd.add_argument(
        "--stop-after",
        type=int,
        metavar="N",
        help="IRV, sequential-irv: stop after round N, whose leader wins (0: no limit)",
    )
    cmd.add_argument(
        "--percentage",
        type=float,
        metavar="P",
        help="bottoms-up: eliminate until everyone left has more than P %% of the votes; "
        "they all win (0 < P < 100)",
    )
