"""``redbench tally`` and ``redbench compare``: count ballot files from the command line.

A file that says how it was counted (every file of ballots Red Bench exports does,
:class:`~ballots.box.PublishedCount`) is counted that way: its lot seed, and its method,
seats and method options where the command line does not give others, so the recount
gives the published result. Either way the output says where the seed came from (a line
before the report; ``seed_source`` and ``published`` in ``--json``). Options a file counts
under numbers are printed by the names it gives them (:mod:`service.commands.names`; in
``--json`` the counted ids stay, with ``names`` mapping each to its name).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import msgspec

from ballots.box import BallotBox, PublishedCount
from ballots.errors import FormatError
from engine.profile import ApprovalProfile, Profile
from engine.registry import METHODS
from engine.result import Option
from service.commands import ballot_rules
from service.commands.errors import CommandError, existing
from service.commands.method_flags import (
    METHOD_FLAGS,
    flagged,
    runoff_arguments,
    stv_arguments,
)
from service.commands.names import named_comparison, named_result, names_of
from service.commands.tie_flags import (
    tie_arguments,
    tie_break_of,
    tie_lines,
    whole_order,
    with_answers,
)
from service.i18n import LANGUAGES, text

if TYPE_CHECKING:
    from ballots.formats.office_contest import OfficeContest


def arguments(name: str, cmd: argparse.ArgumentParser) -> None:
    """The options of ``tally`` or ``compare``."""
    cmd.add_argument(
        "file", type=Path, nargs="+", help="ballot file (several, or a folder: one contest's)"
    )
    cmd.add_argument("--format", help="file format (default: from the name or content)")
    cmd.add_argument("--seats", type=int, help="number of winners (default: from the file, or 1)")
    cmd.add_argument(
        "--seed",
        help="lot seed for ties (default: the file's, else the ballots' digest)",
    )
    cmd.add_argument("--json", action="store_true", help="print the result as JSON")
    cmd.add_argument("--lang", choices=LANGUAGES, help="language of labels (default: locale)")
    cmd.add_argument("--no-progress", action="store_true", help="no progress bar on reads")
    ballot_rules.arguments(cmd)
    cmd.add_argument(
        "--contest", help="the contest to count, by id or name, of a record holding several"
    )
    cmd.set_defaults(handler=run)
    if name != "tally":
        return
    cmd.add_argument(
        "--method", choices=sorted(METHODS), help="counting method (default: the file's)"
    )
    cmd.add_argument("--budget", type=float, help="budget (overrides the file's)")
    cmd.add_argument(
        "--batch",
        action="store_true",
        help="IRV, sequential-irv: eliminate every candidate who cannot win at once",
    )
    for flag, helptext in METHOD_FLAGS.items():
        if flag != "rules":  # --rules is the ballot rules' flag too (service.commands.ballot_rules)
            cmd.add_argument(f"--{flag}", help=helptext)
    stv_arguments(cmd)
    runoff_arguments(cmd)
    tie_arguments(cmd)


def run(args: argparse.Namespace, lang: str, out: TextIO) -> int:
    """Count a ballot file (``tally``) or compare the methods on it (``compare``)."""
    from ballots.formats import default_rules, read_ballots
    from engine.registry import tally

    asked = ballot_rules.chosen(args)
    files = [path if path.is_dir() else existing(path) for path in args.file]
    source = files[0] if len(files) == 1 else files
    box = read_ballots(
        source,
        args.format,
        _progress_bar(args, lang),
        rules=asked.rules,
        contest=args.contest,
    )
    rules = asked.rules or default_rules(box.format)
    published = box.published
    profile = box.profile
    if getattr(args, "budget", None) is not None:
        profile = _with_budget(box, args.budget)
    office = _office(asked.config)
    seats = args.seats
    if seats is None:
        seats = (
            published.seats
            if published is not None
            else office.seats
            if office is not None
            else (box.seats or 1)
        )
    lot = choose_seed(args.seed, published, profile)
    said = [line for line in (lot.line(lang),) if line]
    if rules is not None:
        said.insert(0, ballot_rules.described(rules, asked.preset, lang))
    names = names_of(box, lang)
    extra: dict[str, object] = {"seed_source": lot.source, "published": _shown(published)}
    shown_rules = ballot_rules.shown(rules, asked.preset)
    if shown_rules is not None:  # a record read by ballot rules says which
        extra["ballot_rules"] = shown_rules
    if names:  # the file counts its options under numbers: their names beside them
        extra["names"] = names
    if args.command == "compare":
        from engine.compare import compare

        if asked.method_rules:
            raise CommandError(
                f"--rules {asked.method_rules[0]}: not ballot rules (a preset or a .json file)",
                f"--rules {asked.method_rules[0]} 不是选票规则（预设名称或 .json 文件）",
                status=2,
            )
        comparison = compare(profile, seats=seats, seed=lot.seed)
        if args.json:
            shown = {**msgspec.to_builtins(comparison), "seed": lot.seed, **extra}
            out.write(msgspec.json.encode(shown).decode() + "\n")
        else:
            from service.report import render_comparison  # the tables: not for --json

            shown_comparison = named_comparison(comparison, names)
            out.write(_with_notes(said, render_comparison(shown_comparison, lang)))
        return 0
    method, options, note = _method_and_options(args, published, lang, office)
    if len(asked.method_rules) > 1:
        raise CommandError(
            f"--rules is given twice ({asked.method_rules[0]}, {asked.method_rules[1]})",
            f"--rules 指定了两次（{asked.method_rules[0]}、{asked.method_rules[1]}）",
            status=2,
        )
    if asked.method_rules:
        options["rules"] = asked.method_rules[0]
    if box.write_in is not None:
        if "write_in" in METHODS[method].options:
            options["write_in"] = box.write_in
        else:
            said.append(text(lang, "ballot_rules.write_in_kept", method=method))
    mode = tie_break_of(args, lang)
    if mode is None and published is not None:  # the file's mode, answers and all
        mode = published.tie_break
    if mode is None and office is not None and office.tie_break is not None:
        mode = whole_order(office.tie_break, profile.candidates)
    result = with_answers(
        lambda asked: tally(
            method, profile, seats=seats, seed=lot.seed, tie_break=asked, **options
        ),
        mode,
        lang,
    )
    note.extend(tie_lines(result, lang))
    if office is not None and office.drawn and any(t.rule == "lot" for t in result.ties):
        note.append(text(lang, "office.lot"))  # the office's tabulator drew its own lot
    if args.json:
        out.write(msgspec.json.encode({**msgspec.to_builtins(result), **extra}).decode() + "\n")
    else:
        from service.report import render_result  # the tables: not for --json

        out.write(_with_notes([*note, *said], render_result(named_result(result, names), lang)))
    return 0


def _with_notes(notes: list[str], report: str) -> str:
    """The report, after the notes on how it was counted and a blank line."""
    head = "".join(f"{line}\n" for line in notes)
    return f"{head}\n{report}\n" if notes else f"{report}\n"


@dataclass(frozen=True)
class Lot:
    """The lot seed a count uses and where it came from: ``file`` (the file's published
    count), ``option`` (``--seed``), ``ballots`` (the digest of the file's ballots, for a
    file that does not say) or ``none`` (the file says no lot is drawn)."""

    seed: str | None
    source: str
    overridden: PublishedCount | None = None

    def line(self, lang: str) -> str:
        """What to tell the reader about the seed (nothing when it is the ballots' digest)."""
        if self.source == "file":
            return text(lang, "recount.seed.file", seed=self.seed)
        if self.source == "none":
            return text(lang, "recount.seed.none")
        if self.source == "option":
            if self.overridden is None:
                return text(lang, "recount.seed.option", seed=self.seed)
            if self.overridden.lot_seed is None:
                return text(lang, "recount.seed.option_no_lot", seed=self.seed)
            return text(
                lang, "recount.seed.option_file", seed=self.seed, file=self.overridden.lot_seed
            )
        return ""


def choose_seed(given: str | None, published: PublishedCount | None, profile: Profile) -> Lot:
    """``--seed`` if given; else the file's published seed (or no lot, when its tie policy
    refuses one); else, for a file that does not say, the digest of its ballots."""
    from ballots.digest import lot_seed, profile_digest

    if given is not None:
        return Lot(given, "option", published)
    if published is not None:
        if published.tie_policy == "refuse":
            return Lot(None, "none")
        return Lot(published.lot_seed, "file")
    return Lot(lot_seed(profile_digest(profile)), "ballots")


def _office(config: str | None) -> OfficeContest | None:
    """The contest the tabulator configuration ``--rules`` named states (its method, seats,
    options and tie-break mode), or ``None``; a configuration that cannot be matched is the
    command's refusal."""
    if config is None:
        return None
    from ballots.formats.office_contest import contest_from_rctab

    try:
        return contest_from_rctab(config)
    except FormatError as exc:
        raise CommandError(str(exc), f"计票配置文件“{config}”无法照办：{exc}", status=2) from exc


def _method_and_options(
    args: argparse.Namespace,
    published: PublishedCount | None,
    lang: str,
    office: OfficeContest | None = None,
) -> tuple[str, dict[str, Option], list[str]]:
    """The method to count with, its options and what to say about them: the file's method
    and options (else those of the tabulator configuration ``--rules`` named) unless
    ``--method`` names another; each option flag overrides."""
    method = args.method
    if published is None and office is not None and method in (None, office.method):
        method = office.method
        shown_options = msgspec.json.encode(office.options, order="sorted").decode()
        said = text(
            lang,
            "office.rules",
            method=method,
            seats=args.seats or office.seats,
            options=shown_options,
        )
        return method, {**office.options, **flagged(args)}, [said]
    if method is None and published is None:
        key = "recount.method_needed"
        raise CommandError(text("en", key), text("zh", key), status=2)
    options: dict[str, Option] = {}
    note: list[str] = []
    if published is not None:
        if method is None or method == published.method:
            method = published.method
            options.update(published.method_options)
            shown = msgspec.json.encode(dict(published.method_options), order="sorted")
            note.append(
                text(
                    lang,
                    "recount.rules.file",
                    method=method,
                    seats=published.seats,
                    options=shown.decode(),
                )
            )
        else:
            note.append(
                text(lang, "recount.rules.other_method", file=published.method, method=method)
            )
    return method, {**options, **flagged(args)}, note


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


def _shown(published: PublishedCount | None) -> object:
    """The file's published count as ``--json`` shows it (its tie-break mode only when the
    file states one)."""
    if published is None or published.tie_break is not None:
        return published
    shown = msgspec.to_builtins(published)
    del shown["tie_break"]
    return shown
