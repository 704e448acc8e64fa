"""The round page's lines of issue 16: turnout against the quorum (large, for the TV), the
ballots by channel with the reconciliation line, and the assisted-vote counts with the form
that records one. The sentences are the locale's; the live update (static/console.js) fills
the same sentences, given here with ``{placeholders}``, from the polled turnout."""

from __future__ import annotations

from typing import Any

from msgspec import Struct

from engine.process import RoundPhase
from service.i18n import text
from service.results.validity import quorum_words
from service.voting.assistance import HELPER_KINDS, HelperKind
from service.voting.schemas import Turnout

SLOTS = ("present", "base", "required", "missing")


def _slot(name: str) -> str:
    return "{" + name + "}"


def quorum_templates(kind: str, with_base: bool, lang: str) -> dict[str, str]:
    """The live line with ``{present}``… left open, reached and not reached."""
    unit = text(lang, f"validity.unit.{kind}")
    base = text(lang, "validity.live.base", base=_slot("base"), unit=unit) if with_base else ""
    out = {}
    for name, tail in (
        ("reached", text(lang, "validity.live.reached")),
        ("missing", text(lang, "validity.live.missing", missing=_slot("missing"), unit=unit)),
    ):
        out[name] = text(
            lang,
            "validity.live.line",
            present=_slot("present"),
            unit=unit,
            base=base,
            required=_slot("required"),
            tail=tail,
        )
    return out


def reconciliation_words(t: Turnout, lang: str) -> str:
    line = text(
        lang,
        "reconciliation.line",
        issued=t.codes_issued,
        tablet=t.tablet_ballots,
        paper=t.paper_ballots,
        phone=t.phone_ballots,
        spoiled=t.paper_spoiled,
        blank=t.paper_blank,
        unused=t.codes_unused,
        void=t.codes_void,
    )
    mark = text(lang, "reconciliation.balanced" if t.reconciled else "reconciliation.unbalanced")
    return text(lang, "reconciliation.marked", line=line, mark=mark)


LINE_SLOTS = ("issued", "tablet", "paper", "phone", "spoiled", "blank", "unused", "void")


def line_templates(lang: str) -> dict[str, str]:
    """The channel line and the reconciliation line (balanced or not) with ``{tablet}``…
    left open, for the live update."""
    open_slots = {name: _slot(name) for name in LINE_SLOTS}
    line = text(lang, "reconciliation.line", **open_slots)
    return {
        "channels": text(
            lang,
            "channels.line",
            tablet=_slot("tablet"),
            paper=_slot("paper"),
            phone=_slot("phone"),
        ),
        **{
            mark: text(
                lang,
                "reconciliation.marked",
                line=line,
                mark=text(lang, f"reconciliation.{mark}"),
            )
            for mark in ("balanced", "unbalanced")
        },
    }


def base_note(t: Turnout, lang: str) -> str:
    """What a households quorum is a share of: the community's roll when voting opened, or,
    when the community keeps no roll or the round issued codes to more households than the
    roll held, the households of the round (empty for other kinds of quorum)."""
    q = t.quorum
    if q.kind != "households" or q.base is None:
        return ""
    if t.roll_size is None and t.phase in (RoundPhase.SCHEDULED, RoundPhase.COMMENTING):
        return text(lang, "validity.base.pending")
    if t.roll_size is None:
        return text(lang, "validity.base.round", count=q.base)
    if q.base == t.roll_size:
        return text(lang, "validity.base.roll", count=q.base)
    return text(lang, "validity.base.more", count=q.base, roll=t.roll_size)


class AssistKind(Struct, frozen=True):
    value: HelperKind
    label: str


def quorum_section(t: Turnout, lang: str) -> dict[str, Any]:
    """What the round page's turnout card adds (issue 16)."""
    q = t.quorum
    return {
        "quorum_line": quorum_words(q, lang),
        "quorum_base_note": base_note(t, lang),
        "quorum_templates": quorum_templates(q.kind, q.base is not None, lang)
        if q.kind != "none"
        else {},
        "channels_line": text(
            lang,
            "channels.line",
            tablet=t.tablet_ballots,
            paper=t.paper_ballots,
            phone=t.phone_ballots,
        ),
        "reconciliation_line": reconciliation_words(t, lang),
        "line_templates": line_templates(lang),
        "assistance_line": text(
            lang,
            "assistance.line",
            total=t.assisted_chosen + t.assisted_staff,
            chosen=t.assisted_chosen,
            staff=t.assisted_staff,
        ),
        "assist_kinds": [AssistKind(k, text(lang, f"assistance.kind.{k}")) for k in HELPER_KINDS],
    }
