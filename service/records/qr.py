"""QR codes for the code slips, made many at a time: segno encodes each code, and the data
mask is chosen for all of them at once with numpy by the standard's penalty rules
(ISO/IEC 18004, 7.8.3) — segno's own choice, in pure Python, took about 80 % of a slip.

A voter code as printed (``XXXXX-XXXXX``) fits a version 1 symbol (21 × 21 modules); a slip's
link to the phone ballot (``…/vote/12#XXXXX-XXXXX``) a larger one. Each code is encoded once
with mask 0, the mask is taken off its data modules, and the eight masked candidates — with
the function patterns and format (and version) information that segno draws for each mask,
read once per version and error level — are scored together. The symbol returned is the one
segno makes for that code and mask (the tests check this).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt
import segno
from segno import consts

Modules = list[bytes]
"""A QR symbol as rows of modules, one byte per module: 1 dark, 0 light (no quiet zone)."""

BATCH: Final[int] = 512
"""Codes scored together (bounds the arrays to a few MB)."""
FINDER_BITS: Final[int] = 0b1011101
"""A finder pattern's 1:1:3:1:1 (dark, light, dark ×3, light, dark) as bits."""
DATA_TYPES: Final = (consts.TYPE_DATA_DARK, consts.TYPE_DATA_LIGHT)
"""segno's names for data modules (every other module belongs to a function pattern)."""
FORMAT_TYPES: Final = (consts.TYPE_FORMAT_DARK, consts.TYPE_FORMAT_LIGHT)

Grid = npt.NDArray[np.uint8]


class Layout(NamedTuple):
    """What every symbol of one version and error level shares."""

    function: npt.NDArray[np.bool_]
    """Where the symbol has no data: finder, separator, timing, alignment patterns, format
    and version information, the dark module."""
    masks: Grid
    """The eight data masks (ISO/IEC 18004, table 10), on data modules only: ``(8, n, n)``."""
    values: Grid
    """For each mask, the function modules segno draws (they do not depend on the content),
    zero elsewhere: ``(8, n, n)``."""


def _matrix(qr: segno.QRCode) -> Grid:
    rows = b"".join(bytes(row) for row in qr.matrix)
    size = len(qr.matrix)
    return np.frombuffer(rows, dtype=np.uint8).reshape(size, size)


@cache
def layout(version: int, error: str) -> Layout:
    """The :class:`Layout` of a symbol of ``version`` at error level ``error``, read from
    the symbols segno makes for a one-character content with each mask."""
    made = [
        segno.make("0", version=version, error=error, mask=mask, micro=False, boost_error=False)
        for mask in range(8)
    ]
    kinds = np.array(list(made[0].matrix_iter(scale=1, border=0, verbose=True)))
    function = ~np.isin(kinds, (*DATA_TYPES, *FORMAT_TYPES))
    # the format information is placed by the standard's rule, not by segno's labels (which
    # also mark the data module left of the top right copy as format)
    size = function.shape[0]
    function[8, :9] = function[:9, 8] = True
    function[8, size - 8 :] = function[size - 8 :, 8] = True
    rows, columns = np.indices(function.shape)
    masks = np.stack(
        [
            (rows + columns) % 2 == 0,
            rows % 2 == 0,
            columns % 3 == 0,
            (rows + columns) % 3 == 0,
            (rows // 2 + columns // 3) % 2 == 0,
            (rows * columns) % 2 + (rows * columns) % 3 == 0,
            ((rows * columns) % 2 + (rows * columns) % 3) % 2 == 0,
            ((rows + columns) % 2 + (rows * columns) % 3) % 2 == 0,
        ]
    ).astype(np.uint8) * (~function)
    values = np.stack([_matrix(qr) for qr in made]) * function
    return Layout(function, masks, values)


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


def best_masks(unmasked: Grid, version: int, error: str) -> tuple[npt.NDArray[np.int64], Grid]:
    """For data ``unmasked`` of symbols of ``version`` and ``error`` (``(k, n, n)``, function
    modules zero), the mask each symbol takes and the masked symbols."""
    shared = layout(version, error)
    candidates = (unmasked[:, None] ^ shared.masks[None]) | shared.values[None]
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
    alike: dict[tuple[int, str], list[tuple[int, Grid]]] = {}
    for i, code in enumerate(codes):
        qr = segno.make(code, error="m", micro=False, mask=0)
        version, error = int(qr.version), qr.error.lower()
        shared = layout(version, error)
        data = _matrix(qr) * ~shared.function ^ shared.masks[0]
        alike.setdefault((version, error), []).append((i, data))
    for (version, error), group in alike.items():
        _, masked = best_masks(np.stack([data for _, data in group]), version, error)
        for (i, _), symbol in zip(group, masked, strict=True):
            symbols[i] = [row.tobytes() for row in symbol]
    return [s for s in symbols if s is not None]
