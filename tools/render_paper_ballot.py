"""Render the paper ballot shown in README.md and docs/facilitator.md
(docs/images/paper-ballot-a5.png): the pocket park's six options as a ranked ballot of
round 1, serial 12, on A5 at 100 dpi. Needs poppler's pdftoppm.

    .venv/bin/python tools/render_paper_ballot.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.records.paper_ballot import BallotFacts, paper_ballots_pdf  # noqa: E402
from tools.pdf_pages import render_page  # noqa: E402

OUT = ROOT / "docs" / "images" / "paper-ballot-a5.png"
PARK = ("儿童游乐设施", "健康监测站", "文化墙", "小型活动区", "健身器材", "遮阳座椅")


def main() -> int:
    facts = BallotFacts(
        process="口袋公园建设方案",
        question="杜集社区拐角那块闲置空地建口袋公园，先建哪几项？",
        round_number=1,
        round_title="第一轮投票",
        kind="ranked",
        options=list(PARK),
        truncation=True,
        ties=False,
        first=12,
        count=1,
    )
    render_page(paper_ballots_pdf(facts, "A5", "zh"), OUT, dpi=100)
    print(OUT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
