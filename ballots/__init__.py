"""Red Bench ballots: ballot kinds, validation, encoding into engine profiles, file formats,
receipts and the ballot-box digest. Imports :mod:`engine`, never :mod:`service`."""

from __future__ import annotations
