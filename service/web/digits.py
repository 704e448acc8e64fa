"""Whole numbers read from what a browser sent (a query parameter, a form field, a cookie
part), safely: only the ASCII digits 0–9, and not too many of them.

``str.isdigit()`` is no guard before ``int()``: it is true for "²" and other Unicode digits
that ``int()`` refuses, and ``int()`` also refuses more than 4,300 digits — either way a
``ValueError`` that would surface as a 500 on a public page. :func:`whole_number` answers
``None`` instead, so each caller treats such a value as absent or refuses it in words."""

from __future__ import annotations

import re
from typing import Final

LONGEST: Final[int] = 9
"""Digits read at most by default: every id and count of the service fits."""


def whole_number(value: str, longest: int = LONGEST) -> int | None:
    """``value`` as a whole number if it is 1 to ``longest`` ASCII digits, else ``None``."""
    if re.fullmatch(rf"[0-9]{{1,{longest}}}", value) is None:
        return None
    return int(value)
