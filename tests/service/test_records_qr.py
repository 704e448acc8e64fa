"""QR codes for slips made many at a time (:mod:`service.records.qr`): each symbol is the one
segno makes for its code with the mask chosen, that mask has the least penalty of the eight,
and the penalties agree with segno's own scoring (N3 counts overlapping finder-like patterns,
which segno's scan skips, so it may be higher)."""

from __future__ import annotations

import random

import numpy as np
import segno
from segno.encoder import mask_scores

from ballots.digest import ALPHABET
from service.records.qr import penalties, penalty_parts, qr_symbols

RNG = random.Random(20260509)
CODES = [
    "".join(RNG.choice(ALPHABET) for _ in range(5))
    + "-"
    + "".join(RNG.choice(ALPHABET) for _ in range(5))
    for _ in range(300)
]


def segno_grids(code: str) -> np.ndarray:
    """The eight symbols segno makes for ``code``, one per mask, as a ``(8, n, n)`` array."""
    return np.stack(
        [
            np.array(
                [list(row) for row in segno.make(code, error="m", micro=False, mask=m).matrix],
                dtype=np.uint8,
            )
            for m in range(8)
        ]
    )


def test_each_symbol_is_segnos_for_the_mask_with_the_least_penalty() -> None:
    for code, symbol in zip(CODES, qr_symbols(CODES), strict=True):
        grids = segno_grids(code)
        mine = np.array([list(row) for row in symbol], dtype=np.uint8)
        chosen = int(penalties(grids).argmin())
        assert (grids[chosen] == mine).all(), code


def test_the_penalties_agree_with_segnos_scoring() -> None:
    for code in CODES[:60]:
        grids = segno_grids(code)
        n1, n2, n3, n4 = penalty_parts(grids)
        for mask, grid in enumerate(grids):
            theirs = mask_scores([bytearray(row.tobytes()) for row in grid], 21, 21)
            assert (n1[mask], n2[mask], n4[mask]) == (theirs[0], theirs[1], theirs[3]), code
            assert n3[mask] >= theirs[2], code
            assert n3[mask] % 40 == 0, code


def test_batches_and_order_do_not_change_a_symbol() -> None:
    alone = [qr_symbols([code])[0] for code in CODES[:20]]
    assert qr_symbols(CODES[:20]) == alone
    assert qr_symbols(CODES[:20][::-1]) == alone[::-1]


def test_links_in_larger_versions_get_segnos_symbol_for_the_least_penalty() -> None:
    """A slip's link to the phone ballot needs version 3 or 4 (alignment patterns); a very
    long public address version 7 or more (version information too)."""
    links = [f"https://redbench.example.cn/vote/12#{code}" for code in CODES[:40]]
    links += [f"https://{'jiedao.' * 12}example.cn/vote/3#{code}" for code in CODES[:5]]
    assert {segno.make(link, error="m", micro=False).version for link in links} >= {4, 7}
    for link, symbol in zip(links, qr_symbols(links), strict=True):
        grids = segno_grids(link)
        mine = np.array([list(row) for row in symbol], dtype=np.uint8)
        assert (grids[int(penalties(grids).argmin())] == mine).all(), link
