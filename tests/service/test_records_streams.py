"""Streamed exports of a round (the JSON bundle, the ballots CSV, BLT and PrefLib): byte for
byte the files built whole, for an empty box, a small one and one of several stored parts,
with sealed and with open receipts; read one stored part at a time and sent as read; and
audited, also when the client leaves before the end."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from ballots.verify import verify
from service.auth.guard import Actor
from service.db.models import AuditEvent
from service.db.session import sessionmaker
from service.errors import Invalid
from service.records import streams
from service.records.assemble import round_draft
from service.records.exports import make
from service.records.streams import STREAMED, stream_round
from service.results.ballot_box import PART
from service.results.purge import purged
from tests.support.counted import OPTIONS, counted_round
from tests.support.rounds import close, make_round

SECRETARY = Actor(id=None, name="书记", role="secretary")


def parts_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ballots of each stored part the streams read from now on, in order (a list that
    fills as they read)."""
    read: list[int] = []
    box_parts = streams.box_parts

    async def counted(maker, wanted):
        async for part in box_parts(maker, wanted):
            read.append(part.count)
            yield part

    monkeypatch.setattr(streams, "box_parts", counted)
    return read


@pytest.mark.parametrize("open_receipts", [False, True], ids=["sealed", "open"])
@pytest.mark.parametrize("ballots", [0, 7, 2 * PART + 905])
async def test_streamed_exports_are_the_files_built_whole(
    client, staff, db, ballots, open_receipts
):
    round_id = await counted_round(db, ballots, open_receipts=open_receipts)
    draft = await round_draft(db, round_id, SECRETARY)
    await db.commit()
    for fmt in sorted(STREAMED):
        for lang in ("zh", "en") if fmt == "ballots-csv" else ("zh",):
            whole = make(draft, fmt, lang)
            response = await client.get(
                f"/api/v1/rounds/{round_id}/exports/{fmt}?lang={lang}", headers=staff["secretary"]
            )
            assert response.status_code == 200, response.text
            assert response.content == whole.exported.content, (fmt, lang)
            assert response.headers["content-disposition"] == whole.exported.disposition()
            assert response.headers["content-type"].startswith(whole.exported.media_type)
    public = await client.get(f"/api/v1/rounds/{round_id}/bundle")
    assert public.content == make(draft, "json").exported.content
    checked = verify(public.content)
    assert checked.verified, checked


async def test_streamed_downloads_are_audited_with_the_digest_they_carried(client, staff, db):
    round_id = await counted_round(db, PART + 1, open_receipts=False)
    digest = make(await round_draft(db, round_id, SECRETARY), "json").digest
    for fmt in sorted(STREAMED):
        response = await client.get(
            f"/api/v1/rounds/{round_id}/exports/{fmt}", headers=staff["secretary"]
        )
        assert response.status_code == 200
    rows = (
        await db.scalars(select(AuditEvent.detail).where(AuditEvent.action == "record.exported"))
    ).all()
    assert sorted(row["format"] for row in rows) == sorted(STREAMED)
    assert all(row["package_digest"] == digest for row in rows), rows
    assert all(row.get("complete", True) for row in rows)


async def test_the_bundle_is_sent_as_the_box_is_read(client, db, monkeypatch):
    """The head leaves before any ballot is read; then each stored part's trackers leave
    before the next part is taken from the box; no chunk holds more than a part."""
    ballots = 3 * PART + 100
    round_id = await counted_round(db, ballots, open_receipts=False)
    read = parts_read(monkeypatch)
    maker = sessionmaker(db.bind)  # the test's own loop (asyncpg connections belong to one)
    streamed = await stream_round(db, maker, round_id, "json", SECRETARY)
    sent: list[tuple[int, int]] = []
    async for chunk in streamed.chunks:
        sent.append((len(read), len(chunk)))
    assert read == [PART, PART, PART, 100]
    assert sent[0][0] == 0  # the head, before the box
    assert [parts for parts, _ in sent[1:5]] == [1, 2, 3, 4]
    total = sum(size for _, size in sent)
    tracker_bytes = 19  # "0123456789ABCDEF", with its quotes and comma
    assert max(size for _, size in sent) <= PART * tracker_bytes + 64 < total / 3


async def test_an_open_receipt_ballots_csv_follows_the_box(client, db, monkeypatch):
    round_id = await counted_round(db, 2 * PART + 3, open_receipts=True)
    read = parts_read(monkeypatch)
    maker = sessionmaker(db.bind)  # the test's own loop (asyncpg connections belong to one)
    streamed = await stream_round(db, maker, round_id, "ballots-csv", SECRETARY)
    sent = [(len(read), chunk) async for chunk in streamed.chunks]
    assert [parts for parts, _ in sent[:4]] == [0, 1, 2, 3]
    assert [chunk.count(b"\r\n") for _, chunk in sent[1:4]] == [PART, PART, 3]


async def test_a_download_left_before_its_end_is_audited_as_incomplete(client, db):
    round_id = await counted_round(db, PART + 5, open_receipts=False)
    maker = sessionmaker(db.bind)  # the test's own loop (asyncpg connections belong to one)
    streamed = await stream_round(db, maker, round_id, "json", SECRETARY)
    await db.commit()
    head = await anext(streamed.chunks)
    assert head.startswith(b'{"format":"redbench-decision"')
    await streamed.chunks.aclose()  # type: ignore[attr-defined]
    rows = (
        await db.scalars(select(AuditEvent.detail).where(AuditEvent.action == "record.exported"))
    ).all()
    assert rows == [{"format": "json", "package_digest": None, "rounds": [1], "complete": False}]


@pytest.mark.parametrize("open_receipts", [False, True], ids=["sealed", "open"])
async def test_a_blt_files_first_line_leaves_before_the_box_is_read(
    client, db, monkeypatch, open_receipts
):
    """A BLT file's first line (candidates and seats) does not depend on the ballots: it is
    sent before the box is read, and the file is still the one built whole. A PrefLib file's
    name depends on every ballot, so its first bytes wait for the whole box."""
    round_id = await counted_round(db, 2 * PART + 9, open_receipts=open_receipts)
    draft = await round_draft(db, round_id, SECRETARY)
    read = parts_read(monkeypatch)
    maker = sessionmaker(db.bind)  # the test's own loop (asyncpg connections belong to one)
    for fmt, first_after in (("blt", 0), ("preflib", 3)):
        read.clear()
        streamed = await stream_round(db, maker, round_id, fmt, SECRETARY)
        sent = [(len(read), chunk) async for chunk in streamed.chunks]
        whole = make(draft, fmt).exported.content
        assert b"".join(chunk for _, chunk in sent) == whole, fmt
        assert sent[0][0] == first_after, fmt
    blt = await stream_round(db, maker, round_id, "blt", SECRETARY)
    read.clear()
    assert await anext(blt.chunks) == f"{OPTIONS} 1\n".encode()  # six options, one seat
    assert read == []
    await blt.chunks.aclose()  # type: ignore[attr-defined]


async def test_a_download_left_while_the_next_parts_are_read_is_audited(client, db):
    """The next stored parts are read while the last are sent; a client leaving then ends
    that read too, and the download is audited as incomplete."""
    round_id = await counted_round(db, 6 * PART, open_receipts=True)
    maker = sessionmaker(db.bind)  # the test's own loop (asyncpg connections belong to one)
    streamed = await stream_round(db, maker, round_id, "json", SECRETARY)
    await db.commit()
    await anext(streamed.chunks)
    first_part = await anext(streamed.chunks)
    assert first_part.startswith(b'[{"tracker":')
    await streamed.chunks.aclose()  # type: ignore[attr-defined]
    rows = (
        await db.scalars(select(AuditEvent.detail).where(AuditEvent.action == "record.exported"))
    ).all()
    assert [row["complete"] for row in rows] == [False]


async def test_a_preflib_file_refused_for_its_kind_leaves_no_read_behind(client, db, monkeypatch):
    """A PrefLib file's box is read beside the round's record; when the file does not fit
    the round (score ballots), the export is refused and that read ended with it."""
    round_id = await make_round(db, kind="score", method="star")
    await close(db, round_id, "published")
    await purged()
    ended: list[str] = []

    async def never_read(maker, wanted):  # a box whose read is still under way
        try:
            await asyncio.Event().wait()
            yield
        finally:
            ended.append("read")

    monkeypatch.setattr(streams, "box_parts", never_read)
    maker = sessionmaker(db.bind)  # the test's own loop (asyncpg connections belong to one)
    with pytest.raises(Invalid) as refused:
        await stream_round(db, maker, round_id, "preflib", SECRETARY)
    assert refused.value.key == "export-not-applicable"
    pending = [t for t in asyncio.all_tasks() if "_tallied" in repr(t.get_coro())]
    assert pending == []
    assert ended == ["read"]
