"""Render the result poster shown in docs/service.md (docs/images/poster-a4.png): the
pocket park's published round 1 (the golden bundle the record tests use, so the picture is
the same on every run), the A4 poster at 100 dpi, its QR code pointing at the board page of
``redbench demo`` (http://127.0.0.1:8000/board/rounds/1). Needs poppler's pdftoppm.

    .venv/bin/python tools/render_poster.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ballots.bundle import decode  # noqa: E402
from service.records.poster import PosterFacts, board_url, poster_pdf  # noqa: E402
from service.zones import DEFAULT_ZONE  # noqa: E402
from tools.pdf_pages import render_page  # noqa: E402

GOLDEN = ROOT / "tests" / "service" / "golden" / "pocket-park-round1.json"
OUT = ROOT / "docs" / "images" / "poster-a4.png"


def main() -> int:
    bundle = decode(GOLDEN.read_bytes())
    record = bundle.rounds[0]
    counted = record.dates.counted_at or record.dates.closed_at
    assert counted is not None
    facts = PosterFacts(
        community=bundle.process.community,
        process=bundle.process.title,
        question=bundle.process.question,
        number=record.number,
        title=record.title,
        result=record.result,
        ballots=record.turnout.ballots_cast,
        counted_at=counted,
        zone=DEFAULT_ZONE,
        board_url=board_url("http://127.0.0.1:8000", 1),
    )
    render_page(poster_pdf(facts, "A4", "zh"), OUT, dpi=100)
    print(OUT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
