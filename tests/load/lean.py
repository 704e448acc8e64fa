"""A lean HTTP/1.1 load client: one keep-alive connection per simulated tablet, requests
written as prepared bytes, answers read by ``Content-Length``. It does a tenth of the work
per request of a general client (no cookie jar, no header objects, no per-request
bookkeeping), so on a machine with few cores more of the CPU is left to the server being
measured. It speaks only what the service answers to a JSON POST: a status line, headers
with ``Content-Length`` (no chunked bodies), keep-alive.
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit

import msgspec


class LeanError(Exception):
    """The connection was cut or the answer was not one this client reads."""


def request_bytes(
    host: str, path: str, body: bytes, headers: dict[str, str] | None = None
) -> bytes:
    """A complete ``POST`` request with a JSON ``body``, ready to write."""
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def content_length(head: bytes) -> int:
    """The ``Content-Length`` of a response head; :class:`LeanError` if there is none."""
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
        if name.strip().lower() == b"transfer-encoding":
            raise LeanError("chunked answers are not read by the lean client")
    raise LeanError("an answer without Content-Length")


class LeanConnection:
    """One keep-alive connection to ``base`` (``http://host:port``)."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"the lean client speaks plain http only, not {base}")
        self.host = parts.netloc
        self._address = (parts.hostname, parts.port or 80)
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(*self._address)
        return self._reader, self._writer

    async def send(self, request: bytes) -> tuple[int, bytes]:
        """Write a prepared request (:func:`request_bytes`); the status and the body."""
        reader, writer = await self._open()
        try:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            body = await reader.readexactly(content_length(head))
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            await self.close()
            raise LeanError(str(exc) or type(exc).__name__) from exc
        if b"connection: close" in head.lower():
            await self.close()
        return status, body

    async def post_json(self, path: str, payload: object) -> tuple[int, bytes]:
        """``POST`` ``payload`` as JSON to ``path``; the status and the raw body."""
        return await self.send(request_bytes(self.host, path, msgspec.json.encode(payload)))

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
