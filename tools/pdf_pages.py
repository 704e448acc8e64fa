"""Render one page of a PDF to a PNG with poppler's ``pdftoppm``: what the tools that draw
the documentation's pictures of printed papers share.

    render_page(pdf_bytes, Path("docs/images/x.png"), page=1, dpi=100)
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path


def render_page(pdf: bytes, out: Path, *, page: int = 1, dpi: int = 100) -> Path:
    """Write page ``page`` (from 1) of ``pdf`` to ``out`` as a PNG at ``dpi``; ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "document.pdf"
        path.write_bytes(pdf)
        stem = Path(folder) / "page"
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                str(dpi),
                "-f",
                str(page),
                "-l",
                str(page),
                "-singlefile",
                str(path),
                str(stem),
            ],
            check=True,
        )
        out.write_bytes(stem.with_suffix(".png").read_bytes())
    return out
