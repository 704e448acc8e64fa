"""Reading a result poster back: its page size (poppler's ``pdfinfo``), its first page as an
image (``pdftoppm``), and the QR code printed on it read module by module, so a test can
compare it with the symbol of the address it should hold."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy
import segno
from PIL import Image

from service.records.poster import HEIGHT, MARGIN, QR_SIDE, WIDTH
from service.records.slips import QUIET_ZONE

DPI = 150


def page_size(pdf: bytes, folder: Path) -> tuple[float, float]:
    """The first page's width and height in points."""
    path = folder / "poster.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True)
    line = next(x for x in info.stdout.splitlines() if x.startswith("Page size:"))
    width, _, height = line.split(":", 1)[1].split()[:3]
    return float(width), float(height)


def rendered(pdf: bytes, folder: Path, dpi: int = DPI) -> Image.Image:
    """The poster's page drawn by ``pdftoppm`` at ``dpi``."""
    path = folder / "poster.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-singlefile", "-png", str(path), str(folder / "poster")],
        check=True,
    )
    return Image.open(folder / "poster.png").convert("L")


def printed_qr(page: Image.Image, modules: int) -> list[list[int]]:
    """The QR code where the poster prints it, read at the centre of each of its
    ``modules`` × ``modules`` modules (1 dark, 0 light), at any paper size."""
    scale = page.size[0] / WIDTH  # pixels per A4 point
    cell = QR_SIDE / (modules + 2 * QUIET_ZONE)
    left = WIDTH - MARGIN - QR_SIDE + QUIET_ZONE * cell
    top = HEIGHT - (MARGIN + 16 + QR_SIDE) + QUIET_ZONE * cell
    pixels = numpy.asarray(page)
    return [
        [
            int(
                pixels[
                    int((top + (r + 0.5) * cell) * scale), int((left + (c + 0.5) * cell) * scale)
                ]
                < 128
            )
            for c in range(modules)
        ]
        for r in range(modules)
    ]


def symbol(url: str) -> list[list[int]]:
    """The QR symbol the poster makes of ``url``, as rows of 1 (dark) and 0."""
    return [list(row) for row in segno.make(url, error="m", micro=False).matrix]
