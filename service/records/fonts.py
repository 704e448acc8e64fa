"""The CJK font the PDFs are set in, found once and embedded in every document.

The font is a real TrueType font, embedded (as a subset) in each PDF, so the printed record
shows its 汉字 in any viewer. reportlab's built-in ``STSong-Light`` is *not* embedded (the
page shows boxes without a CJK font on the reader's machine) and is never used.

Where the font comes from: the file named by ``REDBENCH_PDF_FONT`` (a ``.ttf``, or a
``.ttc`` with ``REDBENCH_PDF_FONT_INDEX`` choosing the face, default 0), else the first of
:data:`CANDIDATES` that exists and holds TrueType outlines (WenQuanYi Micro Hei from the
Debian package ``fonts-wqy-microhei`` first). Fonts with PostScript (CFF) outlines, such as
Noto Sans CJK, cannot be embedded by reportlab and are skipped.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Final

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from service.errors import Misconfigured

FONT: Final[str] = "RedBenchCJK"
"""The name documents use for the CJK font once it is registered."""

CANDIDATES: Final[tuple[tuple[str, int], ...]] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    ("/usr/share/fonts/wqy-microhei/wqy-microhei.ttc", 0),
    ("/System/Library/Fonts/STHeiti Light.ttc", 0),
    ("/Library/Fonts/Arial Unicode.ttf", 0),
    ("C:/Windows/Fonts/msyh.ttc", 0),
    ("C:/Windows/Fonts/simsun.ttc", 0),
)
"""Well-known places of CJK TrueType fonts on Debian/Ubuntu, Fedora, macOS and Windows."""

INSTALL_HINT: Final[str] = (
    "no CJK TrueType font found for the PDF records: install one (Debian/Ubuntu: "
    "apt-get install fonts-wqy-microhei) or set REDBENCH_PDF_FONT to a .ttf/.ttc file"
)


def _load(path: str, index: int) -> TTFont | None:
    try:
        return TTFont(FONT, path, subfontIndex=index)
    except (TTFError, OSError):
        return None


@cache
def cjk_font() -> str:
    """Register the CJK font with reportlab (once) and return its name, :data:`FONT`.

    Raises :class:`~service.errors.Misconfigured` saying what to install when none is found.
    """
    chosen = os.environ.get("REDBENCH_PDF_FONT", "").strip()
    if chosen:
        index = int(os.environ.get("REDBENCH_PDF_FONT_INDEX", "0") or 0)
        font = _load(chosen, index)
        if font is None:
            raise Misconfigured("font-not-truetype", chosen=chosen)
    else:
        font = next(
            (
                loaded
                for path, index in CANDIDATES
                if Path(path).is_file() and (loaded := _load(path, index)) is not None
            ),
            None,
        )
        if font is None:
            raise Misconfigured("font-missing", INSTALL_HINT=INSTALL_HINT)
    pdfmetrics.registerFont(font)
    return FONT
