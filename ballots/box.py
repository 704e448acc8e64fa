"""A ballot box: an encoded profile with what its source said about the contest, including
how the source counted it (:class:`PublishedCount`), which every file Red Bench exports
carries so that a recount of the file gives the published result."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

import msgspec

from ballots.errors import FormatError
from engine.profile import Profile
from engine.result import Option, TieBreak

PREFIX: Final[str] = "redbench_"
"""Every key of a published count in a file starts with this (PrefLib writes it
``REDBENCH ...`` in capitals, as its headers are; readers fold it back)."""

LOT_RULE: Final[str] = "sha256-name"
"""The lot Red Bench draws: each tied name's key is ``sha256(seed + "\\n" + name)`` in hex
and the smallest key is drawn first (:mod:`engine.tiebreak`). A file naming another rule
is refused rather than counted with this one."""

KEYS: Final[tuple[str, ...]] = (
    "method",
    "seats",
    "method_options",
    "tie_policy",
    "lot_rule",
    "lot_seed",
    "tie_break",
)
"""The fields of a published count, in the order files list them (``redbench_`` first)."""

_SEED: Final = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class PublishedCount:
    """How the source counted these ballots when it published its result: the method,
    seats and method options, the tie policy and the lot seed. Counting the ballots again
    with exactly these gives the published result.

    ``lot_seed`` is the seed of the lot (the round's ballot-box digest, which a file
    without the trackers cannot recompute); it is ``None`` exactly when ``tie_policy`` is
    ``refuse``, i.e. no lot is drawn and a tie that decides the outcome stops the count.
    """

    method: str
    seats: int = 1
    method_options: Mapping[str, Option] = field(default_factory=dict)
    tie_policy: Literal["lot", "refuse"] = "lot"
    lot_seed: str | None = None
    tie_break: TieBreak | None = None
    """The count's tie-break mode, its order and the operator's answers (``None``: each
    method's own rule, then the lot); a file states it as compact JSON."""

    def __post_init__(self) -> None:
        if self.tie_policy == "lot" and (
            self.lot_seed is None or not _SEED.fullmatch(self.lot_seed)
        ):
            raise FormatError(
                f"a published count with tie_policy lot needs a lot_seed of 64 lowercase "
                f"hexadecimal digits, got {self.lot_seed!r}"
            )
        if self.tie_policy == "refuse" and self.lot_seed is not None:
            raise FormatError("a published count with tie_policy refuse draws no lot: no lot_seed")

    def fields(self) -> list[tuple[str, str]]:
        """``(key, value)`` text pairs in :data:`KEYS` order, keys without the prefix; the
        options as compact JSON with sorted keys, the lot fields only with a lot."""
        options = json.dumps(
            dict(self.method_options), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        pairs = [
            ("method", self.method),
            ("seats", str(self.seats)),
            ("method_options", options),
            ("tie_policy", self.tie_policy),
        ]
        if self.lot_seed is not None:
            pairs += [("lot_rule", LOT_RULE), ("lot_seed", self.lot_seed)]
        if self.tie_break is not None:
            stated = msgspec.json.encode(self.tie_break, order="deterministic").decode()
            pairs.append(("tie_break", stated))
        return pairs

    @classmethod
    def from_fields(cls, found: Mapping[str, str]) -> PublishedCount | None:
        """The published count that ``found`` (key without the prefix -> text) states, or
        ``None`` when it states none; a malformed one raises :class:`FormatError` naming
        the key (the reader adds the file's name)."""
        if not any(key in found for key in KEYS):
            return None
        method = found.get("method", "").strip()
        if not method:
            raise FormatError(
                f"{PREFIX}method is missing: the file does not say how it was counted"
            )
        seats_text = found.get("seats", "1").strip()
        if not seats_text.isdigit() or int(seats_text) < 1:
            raise FormatError(f"{PREFIX}seats {seats_text!r} is not a whole number of at least 1")
        policy = found.get("tie_policy", "lot").strip()
        if policy not in ("lot", "refuse"):
            raise FormatError(f"{PREFIX}tie_policy {policy!r} is neither lot nor refuse")
        seed: str | None = None
        if policy == "lot":
            rule = found.get("lot_rule", "").strip()
            if rule != LOT_RULE:
                raise FormatError(
                    f"{PREFIX}lot_rule {rule!r} is not the lot this version of redbench draws"
                    f" ({LOT_RULE}): the count could not be repeated"
                )
            seed = found.get("lot_seed", "").strip()
            if not _SEED.fullmatch(seed):
                raise FormatError(
                    f"{PREFIX}lot_seed {seed!r} is not 64 lowercase hexadecimal digits"
                )
        elif "lot_seed" in found:
            raise FormatError(
                f"{PREFIX}lot_seed is given but {PREFIX}tie_policy refuse draws no lot"
            )
        return cls(
            method=method,
            seats=int(seats_text),
            method_options=_options(found.get("method_options", "{}")),
            tie_policy="refuse" if policy == "refuse" else "lot",
            lot_seed=seed,
            tie_break=_tie_break(found.get("tie_break", "")),
        )


def _tie_break(stated: str) -> TieBreak | None:
    """A tie-break field: the JSON of :class:`~engine.result.TieBreak`, or nothing."""
    if not stated.strip():
        return None
    try:
        return msgspec.json.decode(stated, type=TieBreak)
    except msgspec.ValidationError as exc:
        raise FormatError(f"{PREFIX}tie_break is not a tie-break mode: {exc}") from None
    except msgspec.DecodeError:
        raise FormatError(f"{PREFIX}tie_break {stated!r} is not JSON") from None


def _options(text: str) -> dict[str, Option]:
    """A method-options field: a JSON object of text, numbers, true/false or null."""
    try:
        value = json.loads(text or "{}")
    except ValueError:
        raise FormatError(f"{PREFIX}method_options {text!r} is not a JSON object") from None
    if not isinstance(value, dict):
        raise FormatError(f"{PREFIX}method_options {text!r} is not a JSON object")
    for key, option in value.items():
        if option is not None and not isinstance(option, str | int | float | bool):
            raise FormatError(f"{PREFIX}method_options: {key} must be text, a number or true/false")
    return value


def published_fields(found: Mapping[str, str]) -> dict[str, str]:
    """The published-count entries of a file's key/value metadata, prefix removed."""
    return {
        key.removeprefix(PREFIX): value
        for key, value in found.items()
        if key.startswith(PREFIX) and key.removeprefix(PREFIX) in KEYS
    }


@dataclass(frozen=True, eq=False)
class BallotBox:
    """Ballots read from a file or a round, ready to count.

    ``seats`` and ``official`` (the winners or funded projects the source lists, e.g. the
    pabulib ``selected`` column) are ``None`` when the source does not say. ``notes`` are
    human-readable remarks on how the reader treated special marks (overvotes, write-ins).
    ``published`` is how the source counted the ballots, when it says (Red Bench exports do).
    ``write_in`` names the candidate that stands for undeclared write-ins when the source's
    rules say the count eliminates it before anyone else and never elects it (methods that
    take the ``write_in`` option are given it); ``None``: no such candidate.
    """

    profile: Profile
    format: str
    title: str = ""
    seats: int | None = None
    official: tuple[str, ...] | None = None
    notes: tuple[str, ...] = ()
    meta: Mapping[str, str] = field(default_factory=dict)
    published: PublishedCount | None = None
    write_in: str | None = None
