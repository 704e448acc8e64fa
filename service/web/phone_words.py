"""The phone ballot's words: the tablet's (:mod:`service.web.kiosk_words`) with the texts
that speak of a tablet, a scanner, a hand-over or keeping a ballot for later said for a
resident's own phone instead, and the window's end in the community's zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from service.i18n import LANGUAGES
from service.web.kiosk_words import kiosk_words
from service.web.render import Labels
from service.zones import moment

PHONE_SLOTS: Final = {
    "code.help": "phone.code.help",
    "receipt.later": "phone.receipt.later",
    "receipt.qr": "phone.receipt.qr",
    "closed.title": "phone.closed.title",
    "closed.help": "phone.closed.help",
}
"""Slots the phone says in its own words."""

PHONE_MESSAGES: Final = ("offline", "too-many-attempts", "retrying")
"""Script messages the phone says in its own words (``phone.message.<code>``)."""


def phone_words(lang: str, ballot: Any, until: datetime | None, zone: str) -> dict[str, Any]:
    """Every word of the phone ballot for ``ballot`` in ``lang``, the window's end
    (``until``, shown in ``zone``) in the ``window`` slot."""
    t = Labels(lang)
    words = kiosk_words(lang, ballot)
    words["slots"] |= {slot: t(key) for slot, key in PHONE_SLOTS.items()}
    words["slots"]["window"] = t("phone.window.until", until=moment(until, zone, lang))
    words["messages"] |= {code: t(f"phone.message.{code}") for code in PHONE_MESSAGES}
    return words


def every_language(ballot: Any, until: datetime | None, zone: str) -> dict[str, dict[str, Any]]:
    """:func:`phone_words` in each language the service speaks, by language."""
    return {lang: phone_words(lang, ballot, until, zone) for lang in LANGUAGES}
