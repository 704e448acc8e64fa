"""Reading what the service prints, and an image to upload: the text of a PDF (by poppler's
``pdftotext``) and a real PNG."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import segno


def pdf_text(pdf: bytes, folder: Path, *, layout: bool = False) -> str:
    """The text of ``pdf``, written into ``folder`` as ``record.pdf`` (where a test may read
    it again); with ``layout`` the lines keep their columns, as a table prints."""
    path = folder / "record.pdf"
    path.write_bytes(pdf)
    flags = ["-layout"] if layout else []
    done = subprocess.run(
        ["pdftotext", *flags, "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    )
    return done.stdout.decode("utf-8")


def png() -> bytes:
    """A real PNG image (a QR code of a progress note)."""
    out = io.BytesIO()
    segno.make("滑梯已安装").save(out, kind="png", scale=4)
    return out.getvalue()
