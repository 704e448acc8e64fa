"""The tablet's words in one language, as one mapping, so that the tablet can change
language in place: the ballot page is rendered from these words, and the tablet script
fetches them for every language once the page is loaded (``POST /kiosk/words``) and swaps
them in when a resident taps the language switch — without a reload, so the code typed, the
marks made and the step stay as they were, also with the network away.

A *slot* is one text of the page (``data-text="<slot>"`` on its element); *messages* are
what the script says (refusals by their error code, tablet states); the templates with
``{n}``, ``{money}``, ``{amount}``, ``{score}`` are filled in by the script.
"""

from __future__ import annotations

from typing import Any, Final

from service.i18n import LANGUAGES
from service.records.labels import yuan_from_cents
from service.web.render import Labels

DEFAULT_LANGUAGE: Final = "zh"
"""The language every resident starts in, and the one each hand-over returns to (no round or
community chooses another yet)."""

KIOSK_MESSAGES: Final = (
    "code-unknown",
    "code-used",
    "code-void",
    "round-not-open",
    "household-voted",
    "tablet-not-enrolled",
    "too-many-attempts",
    "invalid-ballot",
    "network",
    "offline",
    "retrying",
    "failed",
    "chosen",
    "empty",
    "too-many-choices",
    "over-budget",
    "no-room",
    "total",
    "move-up",
    "move-down",
    "countdown",
    "code-unchecked",
    "keep-failed",
    "language-away",
)
"""Refusals (by error code) and tablet states the kiosk script tells in the resident's words."""

FIXED_SLOTS: Final = {
    "skip": "page.skip",
    "brand": "page.brand",
    "language": "page.language",
    "larger": "kiosk.larger",
    "contrast": "kiosk.contrast",
    "assisted": "kiosk.assisted.toggle",
    "assisted.read": "kiosk.assisted.read",
    "assisted.novoice": "kiosk.assisted.novoice",
    "code.title": "kiosk.code.title",
    "code.label": "kiosk.code.label",
    "code.help": "kiosk.code.help",
    "code.next": "kiosk.code.next",
    "ballot.clear": "kiosk.ballot.clear",
    "ballot.no_more": "kiosk.ballot.no_more",
    "ballot.review": "kiosk.ballot.review",
    "order.title": "kiosk.order.title",
    "order.help": "kiosk.order.help",
    "review.title": "kiosk.review.title",
    "review.help": "kiosk.review.help",
    "review.back": "kiosk.review.back",
    "review.submit": "kiosk.review.submit",
    "sending.title": "kiosk.sending.title",
    "kept.keep": "kiosk.kept.keep",
    "kept.title": "kiosk.kept.title",
    "kept.help": "kiosk.kept.help",
    "kept.next": "kiosk.receipt.next",
    "receipt.title": "kiosk.receipt.title",
    "receipt.tracker": "kiosk.receipt.tracker",
    "receipt.full": "kiosk.receipt.full",
    "receipt.qr": "kiosk.receipt.qr",
    "receipt.qr_label": "kiosk.receipt.qr_label",
    "receipt.done": "kiosk.receipt.done",
    "receipt.later": "kiosk.receipt.later",
    "receipt.show_qr": "kiosk.receipt.show_qr",
    "closed.title": "kiosk.blocked.closed",
    "closed.help": "kiosk.blocked.closed.help",
}
"""Slots whose words need nothing from the round."""


def kiosk_words(lang: str, ballot: Any) -> dict[str, Any]:
    """Every word of the tablet for ``ballot`` (a :class:`service.web.kiosk.BallotView`) in
    ``lang``: ``slots`` (the page), ``messages`` and the script's templates."""
    t = Labels(lang)
    slots = {slot: t(key) for slot, key in FIXED_SLOTS.items()}
    round_title = t.round(ballot.number, ballot.title)
    most = ballot.max_approvals or len(ballot.options)
    slots |= {
        "title": f"{round_title} · {t('page.brand')}",
        "round": f"{ballot.process_title} · {round_title}",
        "ballot.title": t(f"kiosk.ballot.title.{ballot.kind}"),
        "ballot.help": t(f"kiosk.ballot.help.{ballot.kind}", most=most, score=ballot.max_score),
        "receipt.check": t(
            "kiosk.receipt.check_open" if ballot.open_receipts else "kiosk.receipt.check"
        ),
        "receipt.later": t(
            "kiosk.receipt.later_open" if ballot.open_receipts else "kiosk.receipt.later"
        ),
        "queue.waiting": t("kiosk.kept.waiting", n="{n}"),
        "queue.stuck": t("kiosk.kept.stuck", n="{n}"),
    }
    for i, option in enumerate(ballot.options):
        if option.cost_cents is not None:
            slots[f"cost.{i}"] = t("page.yuan", amount=yuan_from_cents(option.cost_cents))
    return {
        "lang": lang,
        "slots": slots,
        "messages": {code: t(f"kiosk.message.{code}") for code in KIOSK_MESSAGES},
        "rank": t("kiosk.rank.badge", n="{n}"),
        "left": t("kiosk.budget.left", money="{money}"),
        "yuan": t("page.yuan", amount="{amount}"),
        "score": t("kiosk.review.score", score="{score}"),
    }


def every_language(ballot: Any) -> dict[str, dict[str, Any]]:
    """:func:`kiosk_words` in each language the service speaks, by language."""
    return {lang: kiosk_words(lang, ballot) for lang in LANGUAGES}
