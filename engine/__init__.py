"""Red Bench engine: pure tally mathematics and the deliberation state machines.

Imports numpy and msgspec only. Everything here is a pure function of its inputs.
"""

from __future__ import annotations

from engine import methods  # noqa: F401  (registers every method in METHODS)
from engine.errors import (
    EngineError,
    KindMismatch,
    OptionError,
    ProfileError,
    TieUnresolved,
    TransitionRefused,
    UnknownMethod,
)
from engine.profile import UNRANKED, ApprovalProfile, Profile, RankedProfile, ScoreProfile
from engine.registry import METHODS, MethodInfo, get_method, tally
from engine.result import Decision, Result, Round, Tie, Transfer
from engine.tiebreak import TieBreaker

__all__ = [
    "METHODS",
    "UNRANKED",
    "ApprovalProfile",
    "Decision",
    "EngineError",
    "KindMismatch",
    "MethodInfo",
    "OptionError",
    "Profile",
    "ProfileError",
    "RankedProfile",
    "Result",
    "Round",
    "ScoreProfile",
    "Tie",
    "TieBreaker",
    "TieUnresolved",
    "Transfer",
    "TransitionRefused",
    "UnknownMethod",
    "get_method",
    "tally",
]
