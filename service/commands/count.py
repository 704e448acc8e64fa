"""``redbench tally`` and ``redbench compare``: count ballot files from the command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TextIO

import msgspec

from ballots.box import BallotBox
from engine.profile import ApprovalProfile
from engine.registry import METHODS, get_method
from service.commands.admin import CommandError, existing
from service.i18n import LANGUAGES, text

METHOD_FLAGS = {
    "rules": "STV rule set: scottish (default) or meek",
    "truncated": "Borda rule for truncated and tied ballots: average (default), zero, modified",
    "completion": "Equal Shares completion: add1 (default), add1-utilitarian, none",
    "strength": "Schulze/minimax defeat strength: winning or margin",
}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``tally`` and ``compare`` to the command line."""
    get_method("plurality")  # load the registry for the method list

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("file", type=Path, help="ballot file")
        p.add_argument("--format", help="file format (default: from the name or content)")
        p.add_argument("--seats", type=int, help="number of winners (default: from the file, or 1)")
        p.add_argument("--seed", help="lot seed for ties (default: the ballots' digest)")
        p.add_argument("--json", action="store_true", help="print the result as JSON")
        p.add_argument("--lang", choices=LANGUAGES, help="language of labels (default: locale)")
        p.add_argument("--no-progress", action="store_true", help="no progress bar on reads")

    tally_cmd = sub.add_parser("tally", help="count a ballot file with one method")
    common(tally_cmd)
    tally_cmd.add_argument("--method", required=True, choices=sorted(METHODS))
    tally_cmd.add_argument("--budget", type=float, help="budget (overrides the file's)")
    tally_cmd.add_argument(
        "--batch", action="store_true", help="IRV: eliminate every candidate who cannot win at once"
    )
    for flag, helptext in METHOD_FLAGS.items():
        tally_cmd.add_argument(f"--{flag}", help=helptext)

    tally_cmd.set_defaults(handler=run)
    compare_cmd = sub.add_parser("compare", help="count with every applicable method")
    common(compare_cmd)
    compare_cmd.set_defaults(handler=run)


def run(args: argparse.Namespace, lang: str, out: TextIO) -> int:
    """Count a ballot file (``tally``) or compare the methods on it (``compare``)."""
    from ballots.digest import lot_seed, profile_digest
    from ballots.formats import read_ballots
    from engine.compare import compare
    from engine.registry import tally
    from service.report import render_comparison, render_result

    box = read_ballots(existing(args.file), args.format, progress=_progress_bar(args, lang))
    profile = box.profile
    if getattr(args, "budget", None) is not None:
        profile = _with_budget(box, args.budget)
    seats = args.seats if args.seats is not None else (box.seats or 1)
    seed = args.seed if args.seed is not None else lot_seed(profile_digest(profile))
    if args.command == "compare":
        comparison = compare(profile, seats=seats, seed=seed)
        shown = msgspec.json.encode(comparison).decode() if args.json else None
        out.write((shown or render_comparison(comparison, lang)) + "\n")
        return 0
    options: dict[str, str | bool] = {
        k: getattr(args, k) for k in METHOD_FLAGS if getattr(args, k) is not None
    }
    if args.batch:
        options["batch"] = True
    result = tally(args.method, profile, seats=seats, seed=seed, **options)
    if args.json:
        out.write(msgspec.json.encode(result).decode() + "\n")
    else:
        out.write(render_result(result, lang) + "\n")
    return 0


def _with_budget(box: BallotBox, budget: float) -> ApprovalProfile:
    profile = box.profile
    if not isinstance(profile, ApprovalProfile):
        raise CommandError(
            "--budget applies to approval (budget) ballots only",
            "只有赞成票或预算票的文件才能指定总预算",
            status=2,
        )
    if budget < 0:
        raise CommandError(
            f"--budget must not be negative, got {budget:g}",
            f"总预算不能为负数，而不是 {budget:g}",
            status=2,
        )
    return replace(profile, budget=float(budget))


def _progress_bar(args: argparse.Namespace, lang: str) -> Callable[[int, int], None] | None:
    """A progress bar on stderr for reads of large files, when stderr is a terminal."""
    if args.no_progress or not sys.stderr.isatty():
        return None
    return ProgressBar(sys.stderr, text(lang, "reading"))


class ProgressBar:
    """Draws ``label [#####.....]  45%`` on one line; finishes the line at 100 %."""

    def __init__(self, stream: TextIO, label: str, size: int = 30) -> None:
        self.stream, self.label, self.size = stream, label, size
        self.shown = -1

    def __call__(self, done: int, total: int) -> None:
        percent = 100 if total <= 0 else min(100, done * 100 // total)
        if percent == self.shown:
            return
        self.shown = percent
        filled = percent * self.size // 100
        bar = "#" * filled + "." * (self.size - filled)
        self.stream.write(f"\r{self.label} [{bar}] {percent:3d}%")
        if percent == 100:
            self.stream.write("\n")
        self.stream.flush()
