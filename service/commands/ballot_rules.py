"""The ballot-rule flags of ``redbench tally`` and ``compare``: the rules an election
office's record is read by (:class:`~ballots.formats.cvr_rules.CvrRules`), named by a preset
or an RCTab configuration (``--rules``) and changed flag by flag; and the line that says
which rules the count used.

``--rules`` also takes an STV rule set (``scottish``, ``meek``), the method option of the
same name: a preset's name or a ``.json`` file is ballot rules, any other value goes to the
method. It may be given twice, once for each.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ballots.errors import FormatError
from service.commands.errors import CommandError
from service.i18n import text

if TYPE_CHECKING:
    from ballots.formats.cvr_rules import CvrRules

RULE_FLAGS = (
    "overvote",
    "max_skipped",
    "duplicate",
    "write_ins",
    "blank_is_write_in",
    "alias",
    "exclude",
    "delimiter",
    "first_rank_column",
    "max_rankings",
    "count_column",
)
"""The flags that change one ballot rule (``--max-skipped`` for ``max_skipped``)."""


def arguments(cmd: argparse.ArgumentParser) -> None:
    """The ballot-rule flags."""
    cmd.add_argument(
        "--rules",
        action="append",
        metavar="RULES",
        help="ballot rules of an election office's record: minneapolis (default), maine, or an"
        " RCTab configuration .json; for stv also its rule set: scottish (default) or meek",
    )
    cmd.add_argument("--overvote", help="overvote: skip, exhaust or exhaust-if-multiple")
    cmd.add_argument("--max-skipped", help="most consecutive skipped ranks: N or unlimited")
    cmd.add_argument("--duplicate", help="repeated candidate: skip or exhaust")
    cmd.add_argument("--write-ins", help="undeclared write-ins: candidate or eliminate (first)")
    cmd.add_argument(
        "--blank-is-write-in",
        action="store_const",
        const=True,
        help="blank cells are undeclared write-ins",
    )
    cmd.add_argument(
        "--alias", action="append", metavar="CODE=NAME", help="a code naming a candidate"
    )
    cmd.add_argument("--exclude", action="append", metavar="NAME", help="leave a candidate out")
    cmd.add_argument("--delimiter", help="splits a cell into the candidates of an overvote")
    cmd.add_argument("--first-rank-column", help="1-based column of the first rank")
    cmd.add_argument("--max-rankings", help="ranks read (the first N)")
    cmd.add_argument("--count-column", help="1-based column of each row's ballot count")


@dataclass(frozen=True)
class Chosen:
    """The ballot rules the command line asks for (``None``: the format's own), the preset
    they start from, and the values of ``--rules`` meant for the method."""

    rules: CvrRules | None
    preset: str | None
    method_rules: list[str]
    config: str | None = None
    """The tabulator configuration ``--rules`` named, whose contest is counted too."""


def chosen(args: argparse.Namespace) -> Chosen:
    """The ballot rules ``args`` ask for; a bad value is the command's refusal (status 2),
    naming the flag and the value in both languages."""
    from ballots.formats.cvr_rules import MINNEAPOLIS, PRESETS, is_rules_name, rules_named

    named = [v for v in args.rules or [] if is_rules_name(v)]
    method_rules = [v for v in args.rules or [] if not is_rules_name(v)]
    if len(named) > 1:
        raise _refusal(
            f"--rules is given twice ({named[0]}, {named[1]})",
            f"--rules 指定了两次（{named[0]}、{named[1]}）",
        )
    rules = None
    if named:
        try:
            rules = rules_named(named[0])
        except FormatError as exc:
            raise _refusal(str(exc), f"--rules 的“{named[0]}”不是能读的计票配置文件") from exc
    base = rules or MINNEAPOLIS
    changes = _changes(args, base)
    if changes:
        try:
            rules = base.changed(**changes)
        except FormatError as exc:
            raise _refusal(str(exc), text("zh", "ballot_rules.refused", said=exc)) from exc
    preset = named[0] if named and named[0] in PRESETS else None
    config = named[0] if named and preset is None else None
    return Chosen(rules, preset, method_rules, config)


def _changes(args: argparse.Namespace, base: CvrRules) -> dict[str, Any]:
    """The rule fields the flags set, each value checked here to be named in the refusal."""
    from ballots.formats.cvr_rules import DUPLICATE_RULES, OVERVOTE_RULES, WRITE_IN_RULES

    out: dict[str, Any] = {}
    choices = {"overvote": OVERVOTE_RULES, "duplicate": DUPLICATE_RULES}
    for flag, allowed in {**choices, "write_ins": WRITE_IN_RULES}.items():
        value = getattr(args, flag, None)
        if value is None:
            continue
        if value not in allowed:
            raise _refusal(
                f"--{flag.replace('_', '-')} must be one of {', '.join(allowed)}, got {value!r}",
                f"--{flag.replace('_', '-')} 的取值“{value}”不对，可选的取值见 --help",
            )
        out[flag] = value
    if args.max_skipped is not None:
        limit = args.max_skipped.strip()
        out["max_skipped"] = None if limit == "unlimited" else _whole("--max-skipped", limit, 0)
    for flag in ("first_rank_column", "max_rankings", "count_column"):
        if getattr(args, flag) is not None:
            out[flag] = _whole(f"--{flag.replace('_', '-')}", getattr(args, flag), 1)
    if args.delimiter is not None:
        if not args.delimiter.strip():
            raise _refusal("--delimiter must not be blank", "--delimiter 不能是空白")
        out["delimiter"] = args.delimiter
    if args.blank_is_write_in:
        out["blank_is_write_in"] = True
    if args.alias:
        pairs = []
        for alias in args.alias:
            code, sep, name = alias.partition("=")
            if not sep or not code.strip() or not name.strip():
                raise _refusal(
                    f"--alias {alias!r} is not CODE=NAME",
                    f"--alias 要写成“代码=候选人”，而不是“{alias}”",
                )
            pairs.append((code.strip(), name.strip()))
        out["aliases"] = (*base.aliases, *pairs)
    if args.exclude:
        names = [name.strip() for name in args.exclude]
        if not all(names):
            raise _refusal("--exclude needs a candidate's name", "--exclude 要写候选人的名字")
        out["excluded"] = (*base.excluded, *names)
    return out


def _whole(flag: str, value: str, least: int) -> int:
    if not value.strip().isdigit() or int(value) < least:
        raise _refusal(
            f"{flag} {value!r} is not a whole number of at least {least}",
            f"{flag} 的取值“{value}”不对：要是不小于 {least} 的整数",
        )
    return int(value)


def _refusal(message: str, zh: str) -> CommandError:
    return CommandError(f"ballot rules: {message}", zh, status=2)


def described(rules: CvrRules, preset: str | None, lang: str) -> str:
    """The line that says which ballot rules the count used, in ``lang``."""
    parts = [
        text(lang, f"ballot_rules.overvote.{rules.overvote}"),
        text(lang, "ballot_rules.max_skipped.unlimited")
        if rules.max_skipped is None
        else text(lang, "ballot_rules.max_skipped.limit", n=rules.max_skipped),
        text(lang, f"ballot_rules.duplicate.{rules.duplicate}"),
        text(lang, f"ballot_rules.write_ins.{rules.write_ins}"),
    ]
    if rules.blank_is_write_in:
        parts.append(text(lang, "ballot_rules.blank_is_write_in"))
    if rules.aliases:
        parts.append(text(lang, "ballot_rules.aliases", n=len(rules.aliases)))
    if rules.excluded:
        names = text(lang, "ballot_rules.name_separator").join(rules.excluded)
        parts.append(text(lang, "ballot_rules.excluded", names=names))
    if rules.delimiter is not None:
        parts.append(text(lang, "ballot_rules.delimiter", delimiter=rules.delimiter))
    if rules.first_rank_column is not None:
        parts.append(text(lang, "ballot_rules.first_rank_column", n=rules.first_rank_column))
    if rules.max_rankings is not None:
        parts.append(text(lang, "ballot_rules.max_rankings", n=rules.max_rankings))
    if rules.count_column is not None:
        parts.append(text(lang, "ballot_rules.count_column", n=rules.count_column))
    listed = text(lang, "ballot_rules.separator").join(parts)
    if preset is not None:
        named = text(lang, f"ballot_rules.preset.{preset}")
        return text(lang, "ballot_rules.line_named", preset=named, rules=listed)
    return text(lang, "ballot_rules.line", rules=listed)


def shown(rules: CvrRules | None, preset: str | None) -> dict[str, Any] | None:
    """The rules for ``--json`` (``ballot_rules``): the preset named, then every field."""
    return None if rules is None else {"preset": preset, **rules.shown()}
