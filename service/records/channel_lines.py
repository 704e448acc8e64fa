"""The record's lines of issue 16, in words, for the PDF and the tables alike: ballots by
channel, spoiled and blank paper, the reconciliation line marked balanced or not, assisted
votes, and the decision's validity with its rule. Rounds recorded before (their figures
unset) have none of these lines."""

from __future__ import annotations

from msgspec import UNSET

from ballots.bundle import RoundRecord
from service.i18n import text
from service.results.validity import rule_words, verdict_words


def _n(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def turnout_lines(record: RoundRecord, lang: str) -> list[tuple[str, str]]:
    """(label, value) pairs added to the record's turnout section."""
    t = record.turnout
    if t.tablet_ballots is UNSET:
        return []
    ways = {
        "tablet": _n(t.tablet_ballots),
        "paper": _n(t.paper_ballots),
        "phone": _n(t.phone_ballots),
        "spoiled": _n(t.paper_spoiled),
        "blank": _n(t.paper_blank),
        "unused": _n(t.codes_unused),
        "void": _n(t.codes_void),
    }
    issued = _n(t.codes_issued) + ways["void"]
    mark = text(lang, "reconciliation.balanced" if t.reconciled else "reconciliation.unbalanced")
    line = text(lang, "reconciliation.line", issued=issued, **ways)
    chosen, staff = _n(t.assisted_chosen), _n(t.assisted_staff)
    return [
        (text(lang, "channels.title"), text(lang, "channels.line", **ways)),
        (
            text(lang, "channels.paper_uncounted.title"),
            text(lang, "channels.paper_uncounted", spoiled=ways["spoiled"], blank=ways["blank"]),
        ),
        (
            text(lang, "reconciliation.title"),
            text(lang, "reconciliation.marked", line=line, mark=mark),
        ),
        (
            text(lang, "assistance.title"),
            text(lang, "assistance.line", total=chosen + staff, chosen=chosen, staff=staff),
        ),
    ]


def validity_lines(record: RoundRecord, lang: str) -> list[tuple[str, str]]:
    """(label, value) pairs of the decision's validity: the rule and the verdict."""
    if record.validity_rule is UNSET or record.validity is UNSET:
        return []
    lines = [
        (text(lang, "validity.rule.title"), rule_words(record.validity_rule, lang)),
        (text(lang, "validity.title"), verdict_words(record.validity_rule, record.validity, lang)),
    ]
    if record.validity_rule.winner_share is not None and not record.validity.winner_share_applies:
        lines.append(("", text(lang, "validity.share_not_applied")))
    return lines
