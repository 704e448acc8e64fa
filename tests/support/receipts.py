"""Reading back the receipt QR code the tablet draws (an SVG path of one rectangle per run
of dark modules, :mod:`service.web.receipt`), to compare it with the symbol segno makes."""

from __future__ import annotations

import re

_RUN = re.compile(r"M(\d+) (\d+)h(\d+)v1h-\3z")


def qr_modules(size: int, path: str) -> list[list[int]]:
    """The modules (1 dark, 0 light) a ``size`` × ``size`` drawing of ``path`` shows."""
    grid = [[0] * size for _ in range(size)]
    for x, y, run in _RUN.findall(path):
        for dx in range(int(run)):
            grid[int(y)][int(x) + dx] = 1
    return grid


def inner(grid: list[list[int]], border: int) -> list[list[int]]:
    """``grid`` without ``border`` modules on each side (the quiet zone)."""
    return [row[border:-border] for row in grid[border:-border]]
