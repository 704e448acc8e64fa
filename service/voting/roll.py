"""A household roll as typed: which lines name the same household once dashes, digits,
case and spaces are set aside (:func:`service.text.household_key`), and the refusal that
lists them — a roll is never quietly shortened."""

from __future__ import annotations

from collections.abc import Iterable

from service.errors import Invalid
from service.i18n import text as label
from service.records.labels import listed
from service.text import household_key


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


def refuse_clashes(lines: Iterable[tuple[int, str]], field: str = "households") -> None:
    """Raise :class:`Invalid` (422 ``roll-clash``) naming every set of lines that are one
    household; nothing when every line is a household of its own."""
    found = clashes(lines)
    if not found:
        return
    raise Invalid(
        label("en", "roll.clash", lines="; ".join(_listed("en", g) for g in found)),
        code="roll-clash",
        zh=label("zh", "roll.clash", lines="；".join(_listed("zh", g) for g in found)),
        field=field,
        lines=[[number for number, _ in g] for g in found],
    )
