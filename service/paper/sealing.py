"""Sealing a clerk's paper entry while it waits for the other clerk's: an entry holds a
code and the marks together — the very link the ballot box never stores — so it is kept
only encrypted (AES-256-GCM under a key derived from the server secret for the round's
paper entries, a fresh nonce each) and deleted once its ballot is settled."""

from __future__ import annotations

import os

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ballots.paper import PaperEntry
from service.voting.sealing import NONCE, broken

_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(PaperEntry)


def entry_key(secret_key: str, round_id: int) -> bytes:
    """The round's 256-bit key for paper entries: HKDF-SHA256 of the server secret, with a
    label of its own, so it is neither the ballot box's key nor another round's."""
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=b"redbench paper entry v1\n%d" % round_id,
    ).derive(secret_key.encode())


class EntrySeal:
    """Seals and opens the paper entries of one round."""

    def __init__(self, secret_key: str, round_id: int) -> None:
        self.round_id = round_id
        self._aead = AESGCM(entry_key(secret_key, round_id))

    def _aad(self, serial: int, slot: int) -> bytes:
        return b"paper entry\n%d\n%d\n%d" % (self.round_id, serial, slot)

    def seal(self, entry: PaperEntry, slot: int) -> tuple[bytes, bytes]:
        """``(nonce, sealed)`` for the entry in its slot (it opens in no other slot)."""
        nonce = os.urandom(NONCE)
        return nonce, self._aead.encrypt(
            nonce, _ENCODER.encode(entry), self._aad(entry.serial, slot)
        )

    def open(self, serial: int, slot: int, nonce: bytes, sealed: bytes) -> PaperEntry:
        """The entry sealed for ``serial`` in ``slot``; 500 ``box-unopenable`` if it does not
        open (another secret, or an edited database)."""
        try:
            plain = self._aead.decrypt(nonce, sealed, self._aad(serial, slot))
        except InvalidTag:
            raise broken(self.round_id) from None
        return _DECODER.decode(plain)
