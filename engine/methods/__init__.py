"""Counting methods. Importing this package registers every method."""

from __future__ import annotations

from engine.methods import (  # noqa: F401
    bottoms_up,
    budget,
    irv,
    pairwise,
    runoff,
    scoring,
    sequential,
    stv,
)
