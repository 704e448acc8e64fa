"""Golden files: the JSON bundle and the CSV exports of the pocket-park demo (fixed seed,
fixed times; the process's whole record with its cancelled round, tasks, photo, feedback
and close-outs) are compared byte for byte with the saved files in ``tests/service/golden``,
on every database.

After an intended change of a format, write the files again and review the diff:

    REDBENCH_UPDATE_GOLDEN=1 .venv/bin/pytest tests/service/test_records_golden.py
"""

from __future__ import annotations

import os
from pathlib import Path

from ballots.verify import verify
from tests.support.records_demo import build_demo

GOLDEN = Path(__file__).with_name("golden")
UPDATE = os.environ.get("REDBENCH_UPDATE_GOLDEN") == "1"


def same_as_golden(name: str, content: bytes) -> None:
    path = GOLDEN / name
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_bytes(content)
    assert path.is_file(), f"{path} is missing: run with REDBENCH_UPDATE_GOLDEN=1 to write it"
    expected = path.read_bytes()
    if content != expected:
        at = next(
            (i for i, (a, b) in enumerate(zip(content, expected, strict=False)) if a != b),
            min(len(content), len(expected)),
        )
        raise AssertionError(
            f"{name} differs from the golden file at byte {at}: "
            f"got {content[max(0, at - 40) : at + 40]!r}, "
            f"expected {expected[max(0, at - 40) : at + 40]!r}"
        )


async def test_bundle_and_tables_match_the_golden_files(client, staff, db):
    demo = await build_demo(client, staff, db, whole_loop=True)
    secretary = staff["secretary"]

    response = await client.get(
        f"/api/v1/processes/{demo.process_id}/exports/json", headers=secretary
    )
    assert response.status_code == 200, response.text
    same_as_golden("pocket-park-process.json", response.content)
    assert verify(response.content).verified

    exports = [
        (demo.round1, "json", "pocket-park-round1.json"),
        (demo.round1, "ballots-csv", "pocket-park-round1-ballots.csv"),
        (demo.round1, "rounds-csv", "pocket-park-round1-rounds.csv"),
        (demo.round1, "comments-csv", "pocket-park-round1-comments.csv"),
        (demo.round2, "ballots-csv", "pocket-park-round2-ballots.csv"),
        (demo.round2, "rounds-csv", "pocket-park-round2-rounds.csv"),
        (demo.round2, "decisions-csv", "pocket-park-round2-decisions.csv"),
    ]
    for round_id, fmt, name in exports:
        response = await client.get(f"/api/v1/rounds/{round_id}/exports/{fmt}", headers=secretary)
        assert response.status_code == 200, response.text
        same_as_golden(name, response.content)
        if name.endswith(".csv"):
            # Excel and WPS: a byte-order mark, CRLF line ends, UTF-8 Chinese
            assert response.content.startswith(b"\xef\xbb\xbf")
            assert response.content.count(b"\r\n") == response.content.count(b"\n")
            assert response.headers["content-type"] == "text/csv; charset=utf-8"
