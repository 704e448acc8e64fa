"""Whether a counted round's decision is valid under the rule set before voting
(:mod:`engine.validity` decides; this module counts who took part and says why in words).
The figures are those of the closed round: after the close no code is issued, voided or used
and no household's ``voted`` changes, and the purge rewrites rows without changing them."""

from __future__ import annotations

from msgspec import Struct
from sqlalchemy.ext.asyncio import AsyncSession

from engine.result import Result
from engine.validity import Quorum, Reason, Validity, Verdict, decide
from service.db.models import Round
from service.i18n import text
from service.records.labels import grouped_number
from service.voting.participation import round_quorum


class ValidityOut(Struct):
    """The decision's validity: the rule, the verdict (``valid``, the ``reasons`` it is not,
    the quorum figures) and the verdict in words (``words_zh``, ``words_en``)."""

    rule: Validity
    verdict: Verdict
    words_zh: str
    words_en: str


async def round_validity(db: AsyncSession, round_row: Round, result: Result) -> ValidityOut:
    """The verdict on ``result``, the count of ``round_row`` (closed)."""
    rule = round_row.validity or Validity()
    verdict = decide(
        rule,
        await round_quorum(db, round_row),
        result,
        seats=round_row.options.seats,
        kind=round_row.ballot_kind,
    )
    return ValidityOut(
        rule=rule,
        verdict=verdict,
        words_zh=verdict_words(rule, verdict, "zh"),
        words_en=verdict_words(rule, verdict, "en"),
    )


def reason_words(reason: Reason, quorum_kind: str, lang: str, *, strict: bool = False) -> str:
    """One reason in a sentence (``未达到法定人数：参与 12 户，需 15 户``)."""
    if reason.code == "quorum":
        unit = text(lang, f"validity.unit.{quorum_kind}")
        return text(
            lang,
            "validity.reason.quorum",
            present=reason.present,
            required=reason.required,
            unit=unit,
        )
    if reason.code == "winner-share":
        share = 100 * (reason.votes or 0) / reason.valid if reason.valid else 0.0
        return text(
            lang,
            "validity.reason.winner_share" + ("_over" if strict else ""),
            winner=reason.winner or "",
            share=f"{share:.1f}".rstrip("0").rstrip("."),
            votes=grouped_number(reason.votes or 0),
            valid=reason.valid,
            rule=f"{reason.numerator}/{reason.denominator}",
        )
    return text(lang, "validity.reason.no_decision")


def verdict_words(rule: Validity, verdict: Verdict, lang: str) -> str:
    """The verdict in a sentence: valid (with the rule met), no rule, or why not."""
    if not rule.any:
        return text(lang, "validity.no_rule")
    if verdict.valid:
        return text(lang, "validity.valid")
    strict = rule.winner_share is not None and rule.winner_share.strict
    reasons = [reason_words(r, verdict.quorum.kind, lang, strict=strict) for r in verdict.reasons]
    return text(lang, "validity.invalid", reasons=text(lang, "validity.separator").join(reasons))


def rule_words(rule: Validity, lang: str) -> str:
    """The rule in plain words (``至少一半住户参与；胜出方案须获有效票的 2/3``)."""
    parts: list[str] = []
    if rule.quorum == "count":
        parts.append(text(lang, "validity.rule.count", count=rule.quorum_count))
    elif rule.quorum != "none":
        share = rule.quorum_share
        parts.append(
            text(
                lang,
                f"validity.rule.{rule.quorum}" + ("_over" if share.strict else ""),
                share=f"{share.numerator}/{share.denominator}",
            )
        )
    if rule.winner_share is not None:
        w = rule.winner_share
        key = "validity.rule.winner" + ("_over" if w.strict else "")
        parts.append(text(lang, key, share=f"{w.numerator}/{w.denominator}"))
    if not parts:
        return text(lang, "validity.no_rule")
    return text(lang, "validity.separator").join(parts)


def quorum_words(q: Quorum, lang: str) -> str:
    """The live line: ``已参与 12 户 / 共 30 户，法定人数 15 户，还差 3 户`` (or ``已达到``)."""
    if q.kind == "none":
        return ""
    unit = text(lang, f"validity.unit.{q.kind}")
    base = "" if q.base is None else text(lang, "validity.live.base", base=q.base, unit=unit)
    tail = (
        text(lang, "validity.live.reached")
        if q.reached
        else text(lang, "validity.live.missing", missing=q.missing, unit=unit)
    )
    return text(
        lang,
        "validity.live.line",
        present=q.present,
        unit=unit,
        base=base,
        required=q.required,
        tail=tail,
    )
