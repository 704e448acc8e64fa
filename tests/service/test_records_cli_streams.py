"""``redbench export`` of a round's ballot-bearing files (bundle, ballots CSV, BLT, PrefLib):
written as the box is read, through the API's stream, byte for byte what the API sends and
audited as it is; an export that fails half-way leaves nothing under the target name."""

from __future__ import annotations

import asyncio
import errno

import pytest
from sqlalchemy import select

from service.auth.guard import Actor
from service.cli import main
from service.commands.errors import CommandError
from service.commands.records import write_streamed
from service.db.models import AuditEvent
from service.db.session import sessionmaker
from service.errors import NotFound
from service.records import streams
from service.records.streams import STREAMED
from service.results.ballot_box import PART
from tests.support.counted import counted_round

SYSTEM = Actor(id=None, name="system", role="admin")


async def run(argv: list[str]) -> int:
    """The command line in a thread of its own (it runs its own event loop)."""
    return await asyncio.to_thread(main, argv)


async def exported_rows(db) -> list[tuple[str, dict]]:
    rows = await db.execute(
        select(AuditEvent.actor, AuditEvent.detail)
        .where(AuditEvent.action == "record.exported")
        .order_by(AuditEvent.id)
    )
    return [(actor, detail) for actor, detail in rows.all()]


@pytest.mark.parametrize("ballots", [7, 2 * PART + 905])
async def test_the_command_writes_the_bytes_the_api_streams(
    client, staff, db, settings, tmp_path, capsys, ballots
):
    round_id = await counted_round(db, ballots, open_receipts=False)
    database = ["--database", settings.database_url, "--no-progress"]
    folder = tmp_path / "exports"
    folder.mkdir()
    for fmt in sorted(STREAMED):
        response = await client.get(
            f"/api/v1/rounds/{round_id}/exports/{fmt}", headers=staff["secretary"]
        )
        assert response.status_code == 200, response.text
        target = folder / f"round.{fmt}"
        argv = ["export", str(round_id), "--format", fmt, "-o", str(target), *database]
        assert await run(argv) == 0
        assert target.read_bytes() == response.content, fmt
        out = capsys.readouterr().out
        assert f"（{len(response.content)} 字节）" in out, out
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"round.{f}" for f in STREAMED)
    rows = await exported_rows(db)
    by_api = [detail for actor, detail in rows if actor != "system"]
    by_command = [detail for actor, detail in rows if actor == "system"]
    assert len(by_command) == len(STREAMED)
    assert by_command == by_api  # the same format, digest, rounds and completeness, in turn
    assert all(detail["package_digest"] for detail in by_command)


@pytest.mark.parametrize(
    "failure",
    [OSError(errno.ENOSPC, "No space left on device"), NotFound("no-round", round_id=99)],
    ids=["disk", "refusal"],
)
async def test_an_export_stopped_half_way_leaves_no_file(
    client, db, settings, tmp_path, capsys, monkeypatch, failure
):
    round_id = await counted_round(db, 2 * PART + 3, open_receipts=False)
    real = streams.stream_round

    async def failing(*args, **kwargs):
        export = await real(*args, **kwargs)
        chunks = export.chunks

        async def first_then_fail():
            # as the stream failing inside: its audit row is written as it ends
            try:
                yield await anext(chunks)
                raise failure
            finally:
                await chunks.aclose()

        return streams.StreamedExport(
            export.format,
            export.media_type,
            export.filename,
            export.ascii_filename,
            first_then_fail(),
        )

    monkeypatch.setattr(streams, "stream_round", failing)
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "round.json"
    target.write_bytes(b"the export of yesterday")
    argv = ["export", str(round_id), "--format", "json", "-o", str(target), "--lang", "en"]
    code = await run([*argv, "--database", settings.database_url, "--no-progress"])
    assert code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("redbench: ")
    assert target.read_bytes() == b"the export of yesterday"
    assert [p.name for p in folder.iterdir()] == ["round.json"]  # no part file left


async def test_a_write_that_fails_half_way_ends_the_stream_audited_as_incomplete(
    client, db, tmp_path
):
    round_id = await counted_round(db, PART + 5, open_receipts=False)
    maker = sessionmaker(db.bind)  # the test's own loop (asyncpg connections belong to one)
    export = await streams.stream_round(db, maker, round_id, "json", SYSTEM)
    await db.commit()
    sizes: list[int] = []

    def disk_full(written: int) -> None:  # called after each chunk is written
        sizes.append(written)
        raise OSError(errno.ENOSPC, "No space left on device")

    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "round.json"
    with pytest.raises(CommandError, match=r"round\.json: cannot be written"):
        await write_streamed(export, target, disk_full)
    assert len(sizes) == 1
    assert sizes[0] > 0
    assert list(folder.iterdir()) == []
    assert await exported_rows(db) == [
        ("system", {"format": "json", "package_digest": None, "rounds": [1], "complete": False})
    ]


async def test_the_file_grows_as_the_box_is_read(client, db, settings, tmp_path, monkeypatch):
    """Each stored part is written to the part file beside the target before the next part
    is read from the box; the target appears only at the end."""
    round_id = await counted_round(db, 3 * PART + 100, open_receipts=False)
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "round.json"
    seen: list[tuple[int, bool]] = []  # (bytes in the part file, target there) at each read
    box_parts = streams.box_parts

    async def watched(maker, wanted):
        async for part in box_parts(maker, wanted):
            written = [p.stat().st_size for p in folder.glob(".round.json.*.part")]
            seen.append((sum(written), target.exists()))
            yield part

    monkeypatch.setattr(streams, "box_parts", watched)
    argv = ["export", str(round_id), "--format", "json", "-o", str(target), "--no-progress"]
    assert await run([*argv, "--database", settings.database_url]) == 0
    sizes = [size for size, _ in seen]
    assert len(sizes) == 4
    assert sizes[0] > 0  # the head, before the box
    assert sizes == sorted(sizes)
    assert len(set(sizes)) == 4  # every part written before the next is read
    assert not any(there for _, there in seen)
    assert target.stat().st_size > sizes[-1]
