"""A household roll as typed: which lines name the same household once dashes, digits,
case and spaces are set aside (:func:`service.text.household_key`), and the refusal that
lists them — a roll is never quietly shortened; and which lines are perhaps one household
written two ways (:func:`look_alikes`), which the facilitator is asked about before any
code is made."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import partial

from service.errors import Invalid
from service.i18n import text as label
from service.records.labels import listed, separator
from service.text import household, household_key


def clashes(lines: Iterable[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    """Groups of two or more ``(line number, label as typed)`` that are one household, in
    the order their first line appears."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for number, typed in lines:
        groups.setdefault(household_key(typed), []).append((number, typed))
    return [group for group in groups.values() if len(group) > 1]


def _listed(lang: str, group: list[tuple[int, str]]) -> str:
    numbers = listed(lang, (str(number) for number, _ in group))
    labels = listed(lang, (typed for _, typed in group))
    return label(lang, "roll.clash.group", numbers=numbers, labels=labels)


def _all_listed(found: list[list[tuple[int, str]]], lang: str) -> str:
    return separator(lang, "items").join(_listed(lang, g) for g in found)


def refuse_clashes(lines: Iterable[tuple[int, str]], field: str = "households") -> None:
    """Raise :class:`Invalid` (422 ``roll-clash``) naming every set of lines that are one
    household; nothing when every line is a household of its own."""
    found = clashes(lines)
    if not found:
        return
    raise Invalid(
        "roll-clash",
        field=field,
        lines=partial(_all_listed, found),
        detail={"lines": [[number for number, _ in g] for g in found]},
    )


_MARKS = re.compile(r"\d+|[A-Za-z]+")


def skeleton(typed: str) -> tuple[str, ...]:
    """The numbers and Latin letters of a household label in order, the words around them
    set aside: ``3号楼2单元101``, ``3-2-101`` and ``3栋2单元0101室`` are all
    ``("3", "2", "101")``; ``A座101`` and ``B座101`` differ (``("A", "101")``, ``("B", "101")``)."""
    label = household(_unprintable_dropped(typed))
    return tuple(
        _number(mark) if mark.isdigit() else mark.upper() for mark in _MARKS.findall(label)
    )


def _number(digits: str) -> str:
    """A run of decimal digits as ASCII without leading zeros (``０１０１`` → ``101``), as
    ``str(int(digits))`` would say it but for any length (``int`` refuses over 4,300)."""
    return "".join(str(unicodedata.decimal(d)) for d in digits).lstrip("0") or "0"


def _unprintable_dropped(typed: str) -> str:
    return "".join(ch for ch in typed if ch.isprintable() or ch in "\t")


def look_alikes(lines: Iterable[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    """Groups of lines that are different households to the roll but have the same numbers
    in the same order (``3号楼2单元101`` and ``3-2-101``): perhaps one household written two
    ways. A line per household (its first), in the order the groups' first lines appear."""
    groups: dict[tuple[str, ...], dict[str, tuple[int, str]]] = {}
    for number, typed in lines:
        numbers = skeleton(typed)
        if numbers:
            groups.setdefault(numbers, {}).setdefault(household_key(typed), (number, typed))
    return [list(group.values()) for group in groups.values() if len(group) > 1]
