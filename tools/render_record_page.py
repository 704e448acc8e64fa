"""Render the page of a round's PDF record shown in the README and docs/records.md
(docs/round-head-to-head.png): the golden pocket-park round 1, counted with Schulze, page 2
at 80 dpi. Needs poppler's pdftoppm.

    .venv/bin/python tools/render_record_page.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import msgspec

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ballots.bundle import decode  # noqa: E402
from ballots.recount import recount  # noqa: E402
from service.records.document import decision_pdf  # noqa: E402
from tools.pdf_pages import render_page  # noqa: E402

GOLDEN = ROOT / "tests" / "service" / "golden" / "pocket-park-round1.json"
OUT = ROOT / "docs" / "round-head-to-head.png"


def main() -> int:
    bundle = decode(GOLDEN.read_bytes())
    record = bundle.rounds[0]
    counting = msgspec.structs.replace(record.counting, method="schulze", method_options={})
    record = msgspec.structs.replace(record, counting=counting)
    result, comparison = recount(record, record.ballot_box_digest)
    record = msgspec.structs.replace(record, result=result, comparison=comparison)
    pdf = decision_pdf(msgspec.structs.replace(bundle, rounds=(record,)), "zh")
    render_page(pdf, OUT, page=2, dpi=80)
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
