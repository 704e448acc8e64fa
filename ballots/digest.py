"""Receipts (trackers) for cast ballots, and SHA-256 digests of ballot boxes and profiles.

Everything hashed here is a documented byte string, so anyone can recompute a digest
from the published ballots with nothing but a JSON encoder and SHA-256.

A ballot box is digested one of two ways, as its round's receipts are:

- **sealed receipts** (the default): the trackers and the ballots are published as two
  separate lists and nothing pairs them; :func:`sealed_box_digest` commits to both lists
  (:func:`tracker_list_digest`, :func:`content_list_digest`);
- **open receipts**: each ballot is published beside its tracker; :func:`ballot_box_digest`
  hashes those pairs (the only digest before sealed receipts existed).

Either way the round's lot seed is its ballot-box digest (:func:`lot_seed`).
"""

from __future__ import annotations

import base64
import hashlib
import math
import secrets
from collections.abc import Iterable
from typing import Final

import msgspec
import numpy as np

from ballots.errors import InvalidReceipt
from ballots.kinds import Ballot
from engine.profile import (
    UNRANKED,
    ApprovalProfile,
    Profile,
    RankedProfile,
    close_gaps,
    collapse_rows,
)

ALPHABET: Final[str] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base 32: digits and capitals without I, L, O and U (nothing to misread)."""

TRACKER_LENGTH: Final[int] = 16
"""Characters in a tracker: 16 × 5 = 80 random bits."""

SHORT_LENGTH: Final[int] = 8
"""Characters in the short form read aloud or written down (the tracker's first 40 bits)."""

_READ_AS: Final[dict[str, str]] = {"O": "0", "I": "1", "L": "1"}
_AS_TYPED: Final = str.maketrans({**_READ_AS, " ": None, "-": None})
"""Upper-case text as a person typed it to canonical characters (see :data:`_READ_AS`)."""
_CANONICAL: Final[frozenset[str]] = frozenset(ALPHABET)
ENCODER: Final = msgspec.json.Encoder(order="deterministic")
"""The encoder for canonical bytes (compact JSON, deterministic key order)."""


def canonical_ballot(ballot: Ballot) -> bytes:
    """The canonical bytes of a ballot: compact JSON, ``kind`` first, then the fields in
    declaration order, dictionary keys (score ballots) sorted, UTF-8 without escapes for
    non-ASCII text. E.g. ``{"kind":"ranked","ranking":[["文化墙"],["健身器材"]]}``.
    """
    return ENCODER.encode(ballot)


_FROM_RFC4648: Final = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", ALPHABET.encode())
"""Standard base 32 (RFC 4648) digits to Crockford's, value for value."""


def random_characters(length: int) -> str:
    """``length`` random characters of :data:`ALPHABET` from :mod:`secrets`, five random
    bits each (the bits drawn beyond them, fewer than eight, are dropped)."""
    random = secrets.token_bytes(-(-5 * length // 8))
    return base64.b32encode(random)[:length].translate(_FROM_RFC4648).decode("ascii")


def as_typed(text: str) -> str:
    """Characters a person typed (a tracker, its short form or a voter code) read the one
    way they can mean: case, spaces and hyphens are ignored; ``O`` reads as ``0`` and
    ``I``/``L`` as ``1``. The result may still hold characters outside :data:`ALPHABET`
    (:func:`foreign`)."""
    return text.upper().translate(_AS_TYPED)


def foreign(chars: str) -> str | None:
    """The first of ``chars`` that is not in :data:`ALPHABET`, or ``None``."""
    return None if _CANONICAL.issuperset(chars) else next(c for c in chars if c not in _CANONICAL)


def new_tracker() -> str:
    """A fresh random tracker for one cast ballot: 16 Crockford base-32 characters (80 bits)."""
    return random_characters(TRACKER_LENGTH)


def normalize_tracker(text: str) -> str:
    """A tracker (or its short form) as typed by a person, in canonical form.

    Case, spaces and hyphens are ignored; ``O`` reads as ``0`` and ``I``/``L`` as ``1``.
    The result has :data:`TRACKER_LENGTH` or :data:`SHORT_LENGTH` characters.
    """
    if len(text) == TRACKER_LENGTH and _CANONICAL.issuperset(text):
        return text  # already canonical (a tracker the server made)
    chars = as_typed(text)
    if (wrong := foreign(chars)) is not None:
        raise InvalidReceipt(f"a tracker cannot contain {wrong!r}")
    if len(chars) not in (TRACKER_LENGTH, SHORT_LENGTH):
        raise InvalidReceipt(
            f"a tracker has {TRACKER_LENGTH} characters (or {SHORT_LENGTH} in its short form), "
            f"got {len(chars)}"
        )
    return chars


def short_tracker(tracker: str) -> str:
    """The short human form of a tracker: its first 8 characters as two groups of 4."""
    canonical = normalize_tracker(tracker)
    return f"{canonical[:4]}-{canonical[4:8]}"


def grouped_tracker(tracker: str) -> str:
    """The full tracker in groups of four for printing: ``ABCD-EFGH-JKMN-PQRS``."""
    canonical = normalize_tracker(tracker)
    return "-".join(canonical[i : i + 4] for i in range(0, len(canonical), 4))


def ballot_line(tracker: str, ballot: Ballot) -> bytes:
    """One ballot's line in the ballot-box digest: the tracker, a tab, the canonical ballot
    and a line feed (``ABCD…\\t{"kind":"ranked",…}\\n``)."""
    return tracker.encode("ascii") + b"\t" + canonical_ballot(ballot) + b"\n"


def line_hash(tracker: str, ballot: Ballot) -> str:
    """SHA-256 (lowercase hex) of one ballot's :func:`ballot_line`: the hash an open-receipt
    round publishes beside each ballot, so a voter can check their line alone."""
    return hashlib.sha256(ballot_line(tracker, ballot)).hexdigest()


def ballot_box_digest(entries: Iterable[tuple[str, Ballot]]) -> str:
    """SHA-256 (lowercase hex) of a ballot box given as ``(tracker, ballot)`` pairs.

    The hashed bytes are one line per ballot, the lines sorted by tracker (trackers are
    ASCII, so byte order and character order agree); each line is the 16-character
    canonical tracker, a tab (0x09), :func:`canonical_ballot` of the ballot and a line
    feed (0x0A). An empty box hashes the empty string. A tracker not in canonical form, or
    one appearing twice, raises :class:`~ballots.errors.InvalidReceipt`.
    """
    lines: dict[str, bytes] = {}
    for tracker, ballot in entries:
        if len(tracker) != TRACKER_LENGTH or normalize_tracker(tracker) != tracker:
            raise InvalidReceipt(f"{tracker!r} is not a tracker in canonical form")
        if tracker in lines:
            raise InvalidReceipt(f"tracker {tracker} appears twice in the ballot box")
        lines[tracker] = ballot_line(tracker, ballot)
    digest = hashlib.sha256()
    for tracker in sorted(lines):
        digest.update(lines[tracker])
    return digest.hexdigest()


def _checked_trackers(trackers: Iterable[str]) -> list[str]:
    """The trackers sorted, each checked to be canonical and to appear once."""
    seen: set[str] = set()
    for tracker in trackers:
        if len(tracker) != TRACKER_LENGTH or normalize_tracker(tracker) != tracker:
            raise InvalidReceipt(f"{tracker!r} is not a tracker in canonical form")
        if tracker in seen:
            raise InvalidReceipt(f"tracker {tracker} appears twice in the ballot box")
        seen.add(tracker)
    return sorted(seen)


def tracker_list_digest(trackers: Iterable[str]) -> str:
    """SHA-256 (lowercase hex) of a round's tracker list: every tracker in canonical form
    followed by a line feed, the lines sorted (``LC_ALL=C sort trackers.txt | sha256sum``).
    A tracker not in canonical form, or one appearing twice, raises
    :class:`~ballots.errors.InvalidReceipt`."""
    digest = hashlib.sha256()
    for tracker in _checked_trackers(trackers):
        digest.update(tracker.encode("ascii") + b"\n")
    return digest.hexdigest()


def content_line(ballot: Ballot, count: int) -> bytes:
    """One line of the content list: the canonical ballot, a tab, how many ballots say
    exactly that (decimal) and a line feed (``{"kind":"ranked",…}\\t3\\n``)."""
    return canonical_ballot(ballot) + b"\t" + str(count).encode("ascii") + b"\n"


def content_list_digest(counted: Iterable[tuple[Ballot, int]]) -> str:
    """SHA-256 (lowercase hex) of a round's content list: one :func:`content_line` per
    distinct ballot, the lines sorted by the canonical ballot's bytes. Equal ballots given
    in several entries are added up; a count below 1 raises
    :class:`~ballots.errors.InvalidReceipt`. An empty box hashes the empty string."""
    tally: dict[bytes, int] = {}
    for ballot, count in counted:
        if count < 1:
            raise InvalidReceipt(f"a ballot is listed {count} times: a count is at least 1")
        key = canonical_ballot(ballot)
        tally[key] = tally.get(key, 0) + count
    digest = hashlib.sha256()
    for key in sorted(tally):
        digest.update(key + b"\t" + str(tally[key]).encode("ascii") + b"\n")
    return digest.hexdigest()


def sealed_box_digest(trackers_digest: str, contents_digest: str) -> str:
    """The ballot-box digest of a round with sealed receipts: SHA-256 (lowercase hex) of
    ``"trackers <trackers digest>\\ncontents <contents digest>\\n"``, so anyone holding
    the two published lists can recompute it, and it changes with either list
    (``printf 'trackers %s\\ncontents %s\\n' T C | sha256sum``)."""
    for name, value in (("trackers", trackers_digest), ("contents", contents_digest)):
        if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
            raise InvalidReceipt(f"the {name} digest {value!r} is not 64 lowercase hex digits")
    line = f"trackers {trackers_digest}\ncontents {contents_digest}\n"
    return hashlib.sha256(line.encode("ascii")).hexdigest()


def canonical_profile(profile: Profile) -> bytes:
    """The canonical bytes of an engine profile, as hashed by :func:`profile_digest`.

    Compact JSON with sorted keys and UTF-8 text: ``candidates`` (in the profile's
    order), ``counts``, ``kind`` and ``rows``; ranked rows hold each candidate's dense
    rank (0 first) or -1 when unranked, approval rows 0/1, score rows the scores.
    Identical rows are merged, zero counts dropped, and rows sorted in ascending
    lexicographic order with ``counts`` aligned, so the bytes do not depend on the order
    ballots arrived in. Approval profiles add ``budget`` and ``costs`` (``null`` when
    absent), score profiles ``max_score``; an amount that is a whole number is written
    as an integer (``120000``), any other as its shortest round-trip decimal.
    """
    if isinstance(profile, RankedProfile):
        table = profile.ranks.astype(np.int64)
        table[(table < 0) | (table >= UNRANKED)] = -1
        table = close_gaps(table)
    elif isinstance(profile, ApprovalProfile):
        table = profile.approvals.astype(np.int64)
    else:
        table = profile.scores.astype(np.int64)
    m = len(profile.candidates)
    table = table.reshape(-1, m)
    counts = np.asarray(profile.counts, dtype=np.int64)
    keep = counts != 0
    table, counts = table[keep], counts[keep]
    rows, summed = collapse_rows(table, counts) if len(table) else (table, counts)
    body: dict[str, object] = {
        "kind": profile.kind,
        "candidates": list(profile.candidates),
        "rows": [],
        "counts": summed.tolist(),
    }
    if isinstance(profile, ApprovalProfile):
        body["costs"] = None if profile.costs is None else [_number(c) for c in profile.costs]
        body["budget"] = None if profile.budget is None else _number(profile.budget)
    elif not isinstance(profile, RankedProfile):
        body["max_score"] = int(profile.max_score)
    head = ENCODER.encode(body)
    if not head.endswith(_NO_ROWS):  # "rows" sorts last among the keys
        body["rows"] = rows.tolist()
        return ENCODER.encode(body)
    return head[: -len(_NO_ROWS)] + b'"rows":' + _rows_json(rows) + b"}"


_NO_ROWS: Final = b'"rows":[]}'

_TEXT_SPAN: Final = 1 << 12
"""Rows whose values span at most this many numbers are written from a table of texts."""


def _rows_json(rows: np.ndarray) -> bytes:
    """The JSON of ``rows.tolist()``, as the encoder writes it, without a Python object per
    value: each value's text is looked up in a small table, padded with NUL bytes to one
    width, and the padding left out of the joined bytes at once."""
    k, m = rows.shape
    if k == 0 or m == 0:
        return ENCODER.encode(rows.tolist())
    low, high = int(rows.min()), int(rows.max())
    if high - low >= _TEXT_SPAN:
        return ENCODER.encode(rows.tolist())
    texts = [str(value).encode("ascii") for value in range(low, high + 1)]
    width = max(len(t) for t in texts) + 3
    kind = "S8" if width <= 8 else f"S{width}"  # 8 bytes: each text read as one number
    within = np.array([t + b"," for t in texts], dtype=kind)
    closing = np.array([t + b"],[" for t in texts], dtype=kind)  # a row ends, the next begins
    if width <= 8:
        within, closing = within.view(np.uint64), closing.view(np.uint64)
    shifted = rows - low
    cells = within[shifted]
    cells[:, -1] = closing[shifted[:, -1]]
    joined = cells.view(np.uint8)
    text: bytes = joined[joined != 0].tobytes()
    return b"[[" + text[:-3] + b"]]"


def _number(value: float) -> int | float:
    """Whole amounts as integers, so ``120000.0`` and ``120000`` hash alike."""
    return int(value) if math.isfinite(value) and float(value).is_integer() else float(value)


def profile_digest(profile: Profile) -> str:
    """SHA-256 (lowercase hex) of :func:`canonical_profile`."""
    return hashlib.sha256(canonical_profile(profile)).hexdigest()


def lot_seed(digest: str) -> str:
    """The lot seed for counting a set of ballots: their digest itself, in lowercase hex.

    A round is counted with ``seed=lot_seed(ballot-box digest)`` — :func:`sealed_box_digest`
    for a round with sealed receipts, :func:`ballot_box_digest` for one with open receipts —
    and a file with ``seed=lot_seed(profile_digest(profile))``, so each tied candidate's lot
    key is ``sha256(digest + "\\n" + name)`` (see :mod:`engine.tiebreak`) and anyone
    recounting the published ballots draws the same lot.
    """
    seed = digest.strip().lower()
    if len(seed) != 64 or any(c not in "0123456789abcdef" for c in seed):
        raise InvalidReceipt(f"{digest!r} is not a SHA-256 digest (64 hexadecimal digits)")
    return seed
