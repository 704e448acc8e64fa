"""QR codes for the code slips, made many at a time: segno encodes each code, and the data
mask is chosen for all of them at once with numpy by the standard's penalty rules
(ISO/IEC 18004, 7.8.3) — segno's own choice, in pure Python, took about 80 % of a slip.

A voter code as printed (``XXXXX-XXXXX``) always fits a version 1 symbol (21 × 21 modules);
anything larger is left to segno whole. For version 1, each code is encoded once with mask 0,
the mask is taken off its data modules, and the eight masked candidates — with the function
patterns and format information that segno draws for each mask — are scored together. The
symbol returned is the one segno makes for that code and mask (the tests check this).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Final

import numpy as np
import numpy.typing as npt
import segno

Modules = list[bytes]
"""A QR symbol as rows of modules, one byte per module: 1 dark, 0 light (no quiet zone)."""

SIZE: Final[int] = 21
"""Modules per side of a version 1 symbol."""
BATCH: Final[int] = 512
"""Codes scored together (bounds the arrays to a few MB)."""
FINDER_BITS: Final[int] = 0b1011101
"""A finder pattern's 1:1:3:1:1 (dark, light, dark ×3, light, dark) as bits."""

Grid = npt.NDArray[np.uint8]


def _function_modules() -> npt.NDArray[np.bool_]:
    """Where a version 1 symbol has no data: finder patterns with their separators, timing
    patterns, format information and the dark module."""
    function = np.zeros((SIZE, SIZE), dtype=bool)
    function[:9, :9] = True  # top left finder, separator, format information
    function[:9, SIZE - 8 :] = True  # top right finder, separator, format information
    function[SIZE - 8 :, :9] = True  # bottom left finder, separator, format, dark module
    function[6, :] = function[:, 6] = True  # timing patterns
    return function


FUNCTION: Final = _function_modules()
_ROWS, _COLUMNS = np.indices((SIZE, SIZE))
_MASKS: Final = np.stack(
    [
        (_ROWS + _COLUMNS) % 2 == 0,
        _ROWS % 2 == 0,
        _COLUMNS % 3 == 0,
        (_ROWS + _COLUMNS) % 3 == 0,
        (_ROWS // 2 + _COLUMNS // 3) % 2 == 0,
        (_ROWS * _COLUMNS) % 2 + (_ROWS * _COLUMNS) % 3 == 0,
        ((_ROWS * _COLUMNS) % 2 + (_ROWS * _COLUMNS) % 3) % 2 == 0,
        ((_ROWS + _COLUMNS) % 2 + (_ROWS * _COLUMNS) % 3) % 2 == 0,
    ]
).astype(np.uint8) * (~FUNCTION)
"""The eight data masks (ISO/IEC 18004, table 10), applied to data modules only."""


def _matrix(qr: segno.QRCode) -> Grid:
    rows = b"".join(bytes(row) for row in qr.matrix)
    return np.frombuffer(rows, dtype=np.uint8).reshape(SIZE, SIZE)


@cache
def _function_values(error: str) -> Grid:
    """For each mask, the function modules segno draws in a version 1 symbol of error level
    ``error`` (they do not depend on the content), zero elsewhere."""
    made = [
        _matrix(segno.make("0", version=1, error=error, mask=mask, micro=False, boost_error=False))
        for mask in range(8)
    ]
    return np.stack(made) * FUNCTION


def penalty_parts(candidates: Grid) -> tuple[npt.NDArray[np.int64], ...]:
    """The penalties N1, N2, N3 and N4 of each symbol in ``candidates`` (``(..., n, n)``):
    runs of five or more alike in a row or column, 2 × 2 blocks alike, finder-like 1:1:3:1:1
    patterns with four light modules on a side (outside the symbol is light; every
    occurrence counts, overlapping ones too), and the dark share's distance from half."""
    n = candidates.shape[-1]
    lines = np.concatenate([candidates, np.swapaxes(candidates, -1, -2)], axis=-2)
    # N1: a run of L >= 5 scores L - 2 = (its uniform windows of five) + 2
    same = lines[..., 1:] == lines[..., :-1]
    uniform = same[..., :-3] & same[..., 1:-2] & same[..., 2:-1] & same[..., 3:]
    starts = uniform.copy()
    starts[..., 1:] &= ~same[..., : n - 5]
    n1 = np.count_nonzero(uniform, axis=(-2, -1)) + 2 * np.count_nonzero(starts, axis=(-2, -1))
    # N2: 3 for each 2 x 2 block of one colour
    top, bottom = candidates[..., :-1, :], candidates[..., 1:, :]
    block = (top[..., :-1] == top[..., 1:]) & (top[..., :-1] == bottom[..., :-1])
    block &= top[..., :-1] == bottom[..., 1:]
    n2 = 3 * np.count_nonzero(block, axis=(-2, -1))
    # N3: 40 for each finder-like pattern with four light modules before or after it; each
    # 15-module window (4 + 7 + 4, the line padded with light) read as a 15-bit number
    padded = np.zeros((*lines.shape[:-1], n + 8), dtype=np.int32)
    padded[..., 4 : n + 4] = lines
    window = np.zeros((*lines.shape[:-1], n - 6), dtype=np.int32)
    for i in range(15):
        window = (window << 1) | padded[..., i : i + n - 6]
    found = (window >> 4) & 0x7F == FINDER_BITS
    light = ((window >> 11) == 0) | ((window & 0xF) == 0)
    n3 = 40 * np.count_nonzero(found & light, axis=(-2, -1))
    # N4: 10 for each full 5 % the dark share is away from 50 %
    dark = candidates.sum(axis=(-2, -1), dtype=np.int64)
    n4 = 10 * (np.abs(dark * 100 / (n * n) - 50) // 5).astype(np.int64)
    return n1, n2, n3, n4


def penalties(candidates: Grid) -> npt.NDArray[np.int64]:
    """The penalty score of each symbol in ``candidates``: the sum of :func:`penalty_parts`."""
    n1, n2, n3, n4 = penalty_parts(candidates)
    return n1 + n2 + n3 + n4


def best_masks(unmasked: Grid, error: str) -> tuple[npt.NDArray[np.int64], Grid]:
    """For version 1 data ``unmasked`` (``(k, 21, 21)``, function modules zero), the mask
    each symbol takes and the masked symbols."""
    candidates = (unmasked[:, None] ^ _MASKS[None]) | _function_values(error)[None]
    chosen = penalties(candidates).argmin(axis=1)
    return chosen, candidates[np.arange(len(chosen)), chosen]


def qr_symbols(codes: Sequence[str]) -> list[Modules]:
    """The QR symbol of each code (error correction M at least: segno raises it where the
    symbol has room), its mask chosen by the standard's penalty."""
    made: list[Modules] = []
    for start in range(0, len(codes), BATCH):
        made += _batch(codes[start : start + BATCH])
    return made


def _batch(codes: Sequence[str]) -> list[Modules]:
    symbols: list[Modules | None] = [None] * len(codes)
    small: dict[str, list[tuple[int, Grid]]] = {}
    for i, code in enumerate(codes):
        qr = segno.make(code, error="m", micro=False, mask=0)
        if qr.version != 1:
            symbols[i] = [bytes(row) for row in segno.make(code, error="m", micro=False).matrix]
            continue
        data = _matrix(qr) * ~FUNCTION ^ _MASKS[0]
        small.setdefault(qr.error.lower(), []).append((i, data))
    for error, group in small.items():
        _, masked = best_masks(np.stack([data for _, data in group]), error)
        for (i, _), symbol in zip(group, masked, strict=True):
            symbols[i] = [row.tobytes() for row in symbol]
    return [s for s in symbols if s is not None]
