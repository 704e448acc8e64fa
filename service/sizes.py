"""Sizes of files in words people know: 兆 (megabytes), never bytes, never MiB.

A phone says a photo is "12.3 MB"; a refusal says "照片太大（23.4 兆），最大 20 兆" in the
same unit. One 兆 here is 1024 × 1024 bytes, as file managers on phones and computers in
China count it.
"""

from __future__ import annotations

import math
from typing import Final

MEGABYTE: Final[int] = 1024 * 1024
"""One 兆 (MB) in bytes."""


def megabytes(size: int, *, up: bool = False) -> str:
    """``size`` bytes in 兆, as a number to put before the unit, to one decimal and without
    it for a whole number (``23.4``, ``20``); never ``0`` for a file that has bytes. With
    ``up`` the tenth is rounded up, so that a size over a limit never reads as the limit
    ("100.1 兆" over "最多 100 兆", not "100 兆")."""
    tenths = size * 10 / MEGABYTE
    whole_tenths = math.ceil(tenths) if up else round(tenths)
    if size and not whole_tenths:
        whole_tenths = 1
    if whole_tenths % 10 == 0:
        return str(whole_tenths // 10)
    return f"{whole_tenths / 10:.1f}"
