"""``redbench export`` against the database and ``redbench verify`` on what it wrote, on
every database; failures are one line with a non-zero exit."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from sqlalchemy import select

from service.cli import main
from service.db.models import AuditEvent
from tests.support.records_demo import build_demo


async def run(argv: list[str]) -> int:
    """The command line in a thread of its own (it runs its own event loop)."""
    return await asyncio.to_thread(main, argv)


async def test_export_then_verify(client, staff, db, settings, tmp_path, capsys):
    demo = await build_demo(client, staff, db)
    database = ["--database", settings.database_url]
    bundle = tmp_path / "round1.json"
    code = await run(["export", str(demo.round1), "--format", "json", "-o", str(bundle), *database])
    assert code == 0
    assert "round1.json" in capsys.readouterr().out
    assert await run(["verify", str(bundle), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("verified: package digest ")
    assert "1 of them with sealed receipts: the tracker list and the ballot list" in out

    pdf = tmp_path / "process.pdf"
    argv = ["export", str(demo.process_id), "--process", "--format", "pdf", "-o", str(pdf)]
    assert await run([*argv, *database]) == 0
    assert pdf.read_bytes().startswith(b"%PDF-")
    capsys.readouterr()

    # an edited result: named, exit 1
    data = json.loads(bundle.read_bytes())
    data["rounds"][0]["result"]["winners"] = ["文化墙"]
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert await run(["verify", str(tampered), "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert 'result differs: stored winners ["文化墙"] vs recount ["儿童游乐设施"]' in out
    assert "package digest mismatch" in out

    # the export is audited as the system
    rows = (
        await db.execute(
            select(AuditEvent.actor, AuditEvent.entity).where(
                AuditEvent.action == "record.exported"
            )
        )
    ).all()
    assert ("system", "round") in rows
    assert ("system", "process") in rows


async def test_a_bundle_published_before_sealed_receipts_still_verifies(capsys):
    """A version 1 bundle (every ballot beside its tracker), as the service wrote them before
    receipts were sealed: read and verified as it was."""
    old = Path(__file__).with_name("golden") / "pocket-park-process-v1.json"
    assert await run(["verify", str(old), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("verified: package digest ")
    assert "sealed receipts" not in out


async def test_failures_are_one_line(client, staff, db, settings, tmp_path, capsys):
    await build_demo(client, staff, db)
    database = ["--database", settings.database_url]
    out = tmp_path / "x.pdf"
    english = ["--lang", "en"]
    assert await run(["export", "99", "--format", "pdf", "-o", str(out), *database, *english]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "there is no round 99" in err
    chinese = ["--lang", "zh"]
    assert await run(["export", "99", "--format", "pdf", "-o", str(out), *database, *chinese]) == 1
    assert "没有编号为 99 的轮次" in capsys.readouterr().err
    assert await run(["export", "2", "--format", "blt", "-o", str(out), *database, *english]) == 1
    assert "blt files hold ranked ballots" in capsys.readouterr().err

    assert await run(["verify", str(tmp_path / "missing.json")]) == 1
    assert capsys.readouterr().err.count("\n") == 1
    junk = tmp_path / "junk.json"
    junk.write_text('{"format": "redbench-decision"}', encoding="utf-8")
    assert await run(["verify", str(junk), "--lang", "en"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("redbench: error: junk.json: (top level): Object missing required field")
