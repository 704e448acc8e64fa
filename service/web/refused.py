"""A refusal on a page, with the way forward: what went wrong in the reader's words, which
field of the form to change (named as the form labels it), a button back to the form, and
links onward — the round, the process, the reader's home — so that no error page is a dead
end.

The form's own text is not carried here: the page's script (``static/forms.js``) keeps what
was typed in the browser's session storage when the form is sent and puts it back, with
this page's message next to the named field, when the reader goes back to the form. Without
the script the page still says what to change and where to go.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from service.domain import Refusal
from service.i18n import text
from service.refusals import field_at

ROUND: Final = re.compile(r"/rounds/(\d+)(?:/|$)")
PROCESS: Final = re.compile(r"/processes/(\d+)(?:/|$)")
_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
FACILITATORS: Final = ("facilitator", "admin")
HOMES: Final[dict[str, tuple[str, str]]] = {
    "facilitator": ("/console", "page.error.on.console"),
    "admin": ("/console", "page.error.on.console"),
    "secretary": ("/secretary", "page.error.on.secretary"),
}
"""Each staff role's home page and its link's words; everyone else's is the board."""
BOARD: Final = ("/board", "page.error.on.board")

KINDS: Final[dict[int, str]] = {
    400: "form",
    422: "form",
    403: "forbidden",
    404: "missing",
    409: "conflict",
    413: "file",
    415: "file",
    429: "wait",
    500: "fault",
    503: "away",
}
"""The heading and hint of an error page by its status (``page.error.heading.<kind>``,
``page.error.hint.<kind>``); a form token refused has its own (``expired``)."""


@dataclass(frozen=True, slots=True)
class Link:
    href: str
    label: str


@dataclass(frozen=True, slots=True)
class ShownRefusal:
    """What an error page says: its heading, the message, a hint of what to do, the field
    to change (its form name for the script, its label for people), the way back to the
    form and the links onward."""

    status: int
    code: str
    heading: str
    message: str
    hint: str
    field: str | None
    field_label: str | None
    from_form: bool
    back: Link | None
    onward: list[Link]


def field_path(refusal: Refusal) -> str | None:
    """The field a refusal is about: the one it names, or the one its validation message
    points at (``… - at `$.title```, from a form checked against an API shape)."""
    if refusal.field:
        return refusal.field
    message = refusal.params.get("message")
    return field_at(message) if isinstance(message, str) else None


def field_label(path: str, lang: str) -> str | None:
    """The label of a field in ``lang`` (``options.budget`` → 总预算（元）): its innermost
    name that the catalogue labels (``field.<name>``), or ``None``."""
    for name in reversed(_NAME.findall(path)):
        label = text(lang, f"field.{name}")
        if label != f"field.{name}":
            return label
    return None


def form_field(path: str) -> str:
    """The form input's name for a field path: its innermost name (``options.budget`` →
    ``budget``, ``ballot.ranking[0]`` → ``ranking``)."""
    names = _NAME.findall(path)
    return names[-1] if names else path


def shown_refusal(
    refusal: Refusal,
    *,
    lang: str,
    role: str,
    method: str,
    path: str,
    referer: str | None,
) -> ShownRefusal:
    """The page for ``refusal`` of a ``method`` request to ``path`` made from the page at
    ``referer`` (a path of this site, or ``None``) by a reader with ``role``."""
    kind = "expired" if refusal.key == "csrf" else KINDS.get(refusal.status, "other")
    found = field_path(refusal)
    from_form = method == "POST"
    back = None
    if referer is not None and (from_form or referer != path):
        words = "page.error.back_to_form" if from_form else "page.error.back"
        back = Link(referer, text(lang, words))
    return ShownRefusal(
        status=refusal.status,
        code=refusal.code,
        heading=text(lang, f"page.error.heading.{kind}"),
        message=refusal.message(lang),
        hint=text(lang, f"page.error.hint.{kind}"),
        field=form_field(found) if found else None,
        field_label=field_label(found, lang) if found else None,
        from_form=from_form,
        back=back,
        onward=onward(refusal.status, lang=lang, role=role, path=path, referer=referer, back=back),
    )


def onward(
    status: int, *, lang: str, role: str, path: str, referer: str | None, back: Link | None
) -> list[Link]:
    """Links onward from an error: the round and the process the request or the page it
    came from was about (not the request's own when it was not found: that is what is
    missing), and the reader's home page; none twice, none the same as the way back."""
    places = [referer or ""] + ([] if status == 404 else [path])
    links: list[Link] = []
    round_id = _first(ROUND, places)
    if round_id is not None:
        where = "/console" if role in FACILITATORS else "/board"
        links.append(Link(f"{where}/rounds/{round_id}", text(lang, "page.error.on.round")))
    process_id = _first(PROCESS, places)
    if process_id is not None and role in (*FACILITATORS, "secretary"):
        where = "/console" if role in FACILITATORS else "/secretary"
        links.append(Link(f"{where}/processes/{process_id}", text(lang, "page.error.on.process")))
    home, words = HOMES.get(role, BOARD)
    links.append(Link(home, text(lang, words)))
    if home != BOARD[0]:
        links.append(Link(BOARD[0], text(lang, BOARD[1])))
    seen = {back.href} if back is not None else set()
    kept = []
    for link in links:
        if link.href not in seen:
            seen.add(link.href)
            kept.append(link)
    return kept


def _first(pattern: re.Pattern[str], places: list[str]) -> str | None:
    for place in places:
        found = pattern.search(place.split("?", 1)[0])
        if found:
            return found.group(1)
    return None
