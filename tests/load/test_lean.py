"""The lean load client reads what the service answers (status, body by Content-Length, two
requests on one connection) and refuses what it cannot read, against a tiny local server
that records what it received."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from tests.load.lean import LeanConnection, LeanError, content_length, request_bytes


@asynccontextmanager
async def answering(*answers: bytes) -> AsyncIterator[tuple[str, list[bytes]]]:
    """A server on a free port that answers each request with the next of ``answers`` and
    keeps what it received; its base URL and that list."""
    received: list[bytes] = []
    queue = list(answers)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while queue:
                head = await reader.readuntil(b"\r\n\r\n")
                body = await reader.readexactly(content_length(head))
                received.append(head + body)
                writer.write(queue.pop(0))
                await writer.drain()
        except asyncio.IncompleteReadError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", received
    finally:
        server.close()
        await server.wait_closed()


def answer(status: str, body: bytes, *extra: str) -> bytes:
    head = [f"HTTP/1.1 {status}", f"content-length: {len(body)}", *extra]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def test_request_bytes_are_a_complete_post() -> None:
    sent = request_bytes(
        "127.0.0.1:8000", "/api/v1/noop", b'{"a":1}', {"X-Forwarded-For": "10.0.0.9"}
    )
    assert sent == (
        b"POST /api/v1/noop HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n"
        b"Content-Type: application/json\r\nContent-Length: 7\r\n"
        b"X-Forwarded-For: 10.0.0.9\r\n\r\n"
        b'{"a":1}'
    )


async def test_two_answers_on_one_connection() -> None:
    async with answering(
        answer("201 Created", b'{"tracker":"t1"}'), answer("409 Conflict", b'{"code":"x"}')
    ) as (base, received):
        connection = LeanConnection(base)
        first = await connection.post_json("/api/v1/rounds/1/ballots", {"code": "A"})
        second = await connection.post_json("/api/v1/rounds/1/ballots", {"code": "B"})
        await connection.close()
    assert first == (201, b'{"tracker":"t1"}')
    assert second == (409, b'{"code":"x"}')
    assert [r.split(b"\r\n\r\n")[1] for r in received] == [b'{"code":"A"}', b'{"code":"B"}']


async def test_chunked_answer_is_refused() -> None:
    chunked = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
    async with answering(chunked) as (base, _):
        connection = LeanConnection(base)
        with pytest.raises(LeanError, match="chunked"):
            await connection.post_json("/", {})
        await connection.close()


async def test_cut_connection_is_an_error_and_the_next_request_reconnects() -> None:
    async with answering(answer("200 OK", b"{}")) as (base, _):
        connection = LeanConnection(base)
        assert await connection.post_json("/", {}) == (200, b"{}")
        with pytest.raises(LeanError):
            await connection.post_json("/", {})  # the server closed after its one answer
    async with answering(answer("200 OK", b"[]")) as (base, _):
        connection._address = LeanConnection(base)._address
        assert await connection.post_json("/", {}) == (200, b"[]")
        await connection.close()


def test_only_plain_http() -> None:
    with pytest.raises(ValueError, match="plain http"):
        LeanConnection("https://127.0.0.1:8443")
