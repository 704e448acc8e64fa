"""Sealed ballots: what the ballot box holds while a round is voting.

A cast ballot is stored as an *envelope*: its tracker and marks encrypted with AES-256-GCM
under the round's box key, with a fresh random nonce. The box key is derived from the
server's secret and the round (HKDF-SHA256), so nothing readable about a ballot is ever
written next to the code that cast it: the envelope, the code's change to ``used`` and the
idempotency key are written by one transaction (PostgreSQL stamps them with one ``xmin``, a
SQLite write-ahead log frame holds them together), but without the secret the envelope is
noise of a fixed length. When the round closes the envelopes are opened and the ballots
written out in tracker order in one go (:mod:`service.results.opening`).

The idempotency record of a cast is keyed too (:func:`keyed_digest`): its key is an HMAC of
the tablet's key and its request digest an HMAC of the code and the marks, so the printed
code slips do not let anyone recompute either; for a retry's answer it names its envelope
(by the envelope's random nonce), whose tracker only the secret's holder can read.

Whoever holds the secret can open the envelopes of a round still voting, and with a copy of
the database taken while voting, link them to the codes that cast them (docs/security.md).
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Sequence
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ballots.digest import TRACKER_LENGTH
from service.errors import Misconfigured

NONCE: Final[int] = 12
"""Bytes of an envelope's random nonce (AES-GCM's standard size)."""
TAG: Final[int] = 16
"""Bytes of the authentication tag each sealed value carries."""


def box_key(secret_key: str, round_id: int) -> bytes:
    """The round's 256-bit box key: HKDF-SHA256 of the server secret, with the round id in
    the derivation's info so every round has its own."""
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=b"redbench ballot box v1\n%d" % round_id,
    ).derive(secret_key.encode())


def keyed_digest(secret_key: str, purpose: str, *parts: str | bytes) -> str:
    """HMAC-SHA256 (hex) of ``parts`` under the server secret, for ``purpose``: the parts are
    joined by line feeds after the purpose, so digests for different purposes never agree."""
    message = b"\n".join(
        [purpose.encode()] + [p if isinstance(p, bytes) else p.encode() for p in parts]
    )
    return hmac.digest(secret_key.encode(), message, "sha256").hex()


def broken(round_id: int) -> Misconfigured:
    """An envelope that does not open under the round's key: a different secret, or a
    database edited by hand. The count stops rather than count without it."""
    return Misconfigured("box-unopenable", round_id=round_id)


class RoundSeal:
    """Seals and opens the ballots of one round (its key is derived once)."""

    def __init__(self, secret_key: str, round_id: int) -> None:
        self.round_id = round_id
        self._aead = AESGCM(box_key(secret_key, round_id))
        self._ballot = b"ballot\n%d" % round_id

    def seal(self, tracker: str, marks: bytes) -> tuple[bytes, bytes]:
        """An envelope ``(nonce, sealed)`` holding the tracker and the marks."""
        nonce = os.urandom(NONCE)
        return nonce, self._aead.encrypt(nonce, tracker.encode("ascii") + marks, self._ballot)

    def open_plain(self, nonce: bytes, sealed: bytes) -> bytes:
        """What an envelope holds: the tracker's 16 bytes, then the marks; :func:`broken` if
        it does not open."""
        try:
            return self._aead.decrypt(nonce, sealed, self._ballot)
        except InvalidTag:
            raise broken(self.round_id) from None

    def open_all(self, envelopes: Sequence[tuple[bytes, bytes]]) -> list[bytes]:
        """What each of ``envelopes`` (nonce, sealed) holds, as :meth:`open_plain` gives it;
        :func:`broken` if one does not open."""
        decrypt, aad = self._aead.decrypt, self._ballot
        try:
            return [decrypt(nonce, sealed, aad) for nonce, sealed in envelopes]
        except InvalidTag:
            raise broken(self.round_id) from None

    def open(self, nonce: bytes, sealed: bytes) -> tuple[str, bytes]:
        """The tracker and marks in an envelope; :func:`broken` if it does not open."""
        plain = self.open_plain(nonce, sealed)
        return plain[:TRACKER_LENGTH].decode("ascii"), plain[TRACKER_LENGTH:]
