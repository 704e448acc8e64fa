"""The result poster is made once and then served from memory: two downloads of the same
poster make its PDF once and send the same bytes; another paper size or language is another
poster; concurrent requests for one poster share a single making; a failed making is not
kept; the shelf holds a bounded number, the least recently fetched going first."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from service.records import controllers
from service.records.poster import poster_pdf
from service.records.poster_shelf import PosterShelf
from tests.support.records_demo import build_demo


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """The posters actually made (size, language), the work done inline to be counted."""
    calls: list[tuple[Any, ...]] = []

    def counted(facts: Any, size: Any = "A4", lang: str = "zh") -> bytes:
        calls.append((size, lang))
        return poster_pdf(facts, size, lang)

    monkeypatch.setenv("REDBENCH_DOCUMENT_WORKERS", "0")
    monkeypatch.setattr(controllers, "poster_pdf", counted)
    return calls


async def test_two_downloads_make_the_poster_once_and_send_the_same_bytes(client, staff, db, made):
    demo = await build_demo(client, staff, db)
    url = f"/board/rounds/{demo.round1}/poster"
    first = await client.get(url, params={"size": "A3", "lang": "zh"})
    second = await client.get(url, params={"size": "A3", "lang": "zh"})
    assert first.status_code == second.status_code == 200
    assert first.content.startswith(b"%PDF-")
    assert first.content == second.content
    assert first.headers["content-disposition"] == second.headers["content-disposition"]
    assert made == [("A3", "zh")]

    a4 = await client.get(url, params={"size": "A4", "lang": "zh"})
    assert a4.status_code == 200
    assert a4.content != first.content
    english = await client.get(url, params={"size": "A3", "lang": "en"})
    assert english.status_code == 200
    assert made == [("A3", "zh"), ("A4", "zh"), ("A3", "en")]

    together = await asyncio.gather(
        *(client.get(f"/api/v1/rounds/{demo.round1}/poster?size=A4&lang=zh") for _ in range(3))
    )
    assert {r.content for r in together} == {a4.content}  # the API shares the board's shelf
    assert len(made) == 3


async def test_concurrent_requests_share_one_making_and_a_failure_is_not_kept():
    shelf = PosterShelf(room=2)
    started, release = asyncio.Event(), asyncio.Event()
    calls: list[str] = []

    async def slow() -> bytes:
        calls.append("slow")
        started.set()
        await release.wait()
        return b"%PDF-a"

    waiting = [asyncio.create_task(shelf.poster((1, "A4", "zh", "b"), slow)) for _ in range(5)]
    await started.wait()
    await asyncio.sleep(0)
    waiting[0].cancel()  # one reader leaves: the making goes on for the others
    release.set()
    answers = await asyncio.gather(*waiting[1:])
    assert answers == [b"%PDF-a"] * 4
    assert calls == ["slow"]

    async def broken() -> bytes:
        calls.append("broken")
        raise RuntimeError("the worker died")

    with pytest.raises(RuntimeError):
        await shelf.poster((2, "A4", "zh", "b"), broken)
    with pytest.raises(RuntimeError):
        await shelf.poster((2, "A4", "zh", "b"), broken)
    assert calls == ["slow", "broken", "broken"]


async def test_the_shelf_is_bounded_and_drops_the_least_recently_fetched():
    shelf = PosterShelf(room=2)
    makings: list[int] = []

    def maker(n: int) -> Any:
        async def make() -> bytes:
            makings.append(n)
            return f"%PDF-{n}".encode()

        return make

    for n in (1, 2):
        await shelf.poster((n, "A4", "zh", "b"), maker(n))
    await shelf.poster((1, "A4", "zh", "b"), maker(1))  # fetched again: now the most recent
    await shelf.poster((3, "A4", "zh", "b"), maker(3))  # 2 goes
    assert len(shelf) == 2
    await shelf.poster((1, "A4", "zh", "b"), maker(1))
    await shelf.poster((2, "A4", "zh", "b"), maker(2))
    assert makings == [1, 2, 3, 2]
