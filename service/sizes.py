"""Sizes of files in words people know: 兆 (megabytes), never bytes, never MiB.

A phone says a photo is "12.3 MB"; a refusal says "照片太大（23.4 兆），最大 20 兆" in the
same unit. One 兆 here is 1024 × 1024 bytes, as file managers on phones and computers in
China count it.
"""

from __future__ import annotations

from typing import Final

MEGABYTE: Final[int] = 1024 * 1024
"""One 兆 (MB) in bytes."""


def megabytes(size: int) -> str:
    """``size`` bytes in 兆, as a number to put before the unit: one decimal below 100
    (``23.4``), none for a whole number (``20``) or from 100 on (``123``); never ``0`` for a
    file that has bytes (``0.1``)."""
    amount = size / MEGABYTE
    if amount >= 100:
        return str(round(amount))
    shown = max(round(amount, 1), 0.1) if size else 0.0
    return f"{shown:.0f}" if shown == int(shown) else f"{shown:.1f}"
