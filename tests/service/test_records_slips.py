"""Code slips as printed: each QR code, drawn as vector squares, reads back (rendered by
poppler and sampled module by module) as the QR code of the code printed beside it; and the
same slips give the same bytes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import segno
from PIL import Image
from reportlab.lib.pagesizes import A4

from service.records.qr import qr_symbols
from service.records.slips import (
    MARGIN,
    PAD,
    QR_SIZE,
    QUIET_ZONE,
    slips_file_names,
    slips_pdf,
)
from tests.support.documents import pdf_text

DPI = 200
CODES = [("7KQ2M-X9ZRA", "3栋2单元501", 12), ("0H4NB-TT8WE", None, 13), ("ZZZZZ-00000", None, 14)]


def segno_symbol(code: str, mask: int) -> list[list[int]]:
    return [list(row) for row in segno.make(code, error="m", micro=False, mask=mask).matrix]


def render(pdf: bytes, tmp_path: Path) -> Image.Image:
    (tmp_path / "slips.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(DPI), "-f", "1", "-l", "1", "-gray", "-png", "slips.pdf", "page"],
        cwd=tmp_path,
        check=True,
    )
    return Image.open(next(tmp_path.glob("page*.png"))).convert("L")


def read_qr(page: Image.Image, left: float, top: float, size: int) -> list[list[int]]:
    """The modules of the QR code whose quiet zone's top left corner is at ``(left, top)``
    points from the page's top left: 1 where the module's centre is dark."""
    cell = QR_SIZE / (size + 2 * QUIET_ZONE)
    scale = DPI / 72
    return [
        [
            int(
                page.getpixel(
                    (
                        round((left + (QUIET_ZONE + c + 0.5) * cell) * scale),
                        round((top + (QUIET_ZONE + r + 0.5) * cell) * scale),
                    )
                )
                < 128
            )
            for c in range(size)
        ]
        for r in range(size)
    ]


def test_each_printed_qr_code_is_the_qr_code_of_its_slip(tmp_path: Path) -> None:
    page = render(slips_pdf(CODES, heading="杜集社区　口袋公园建设方案　第1轮"), tmp_path)
    assert page.size == (round(A4[0] * DPI / 72), round(A4[1] * DPI / 72))
    slip_w = (A4[0] - 2 * MARGIN) / 2
    slip_h = (A4[1] - 2 * MARGIN) / 5
    for place, (code, _, _) in enumerate(CODES):
        [symbol] = qr_symbols([code])
        expected = [list(row) for row in symbol]
        left = MARGIN + (place % 2) * slip_w + PAD
        top = MARGIN + (place // 2) * slip_h + PAD + 24
        printed = read_qr(page, left, top, len(expected))
        assert printed == expected, code
        # and it is the symbol segno makes for this code with one of the eight masks
        assert any(printed == segno_symbol(code, mask) for mask in range(8)), code
        # the quiet zone around it is light
        cell = QR_SIZE / (len(expected) + 2 * QUIET_ZONE)
        corner = (round((left + cell / 2) * DPI / 72), round((top + cell / 2) * DPI / 72))
        assert page.getpixel(corner) > 200


def test_the_same_slips_give_the_same_bytes() -> None:
    first = slips_pdf(CODES, heading="杜集社区", lang="en")
    assert first == slips_pdf(CODES, heading="杜集社区", lang="en")
    assert first.startswith(b"%PDF-")


def test_a_long_round_title_is_wrapped_and_shrunk_never_cut(tmp_path: Path) -> None:
    """A round's title of 200 characters (the most a title may have) is printed whole beside
    every code, and the QR code stays where the camera finds it."""
    long = "第2轮：" + "关于社区东南角闲置空地口袋公园二期遮阳设施与夜间照明的预算投票" * 7
    long = long[:205]
    pdf = slips_pdf(CODES, heading="杜集社区　口袋公园建设方案", round_title=long)
    shown = pdf_text(pdf, tmp_path)
    squeezed = "".join(shown.split())
    assert "…" not in shown
    assert squeezed.count(long) == len(CODES)
    for code, _, _ in CODES:
        assert code in shown
    page = render(pdf, tmp_path)
    [symbol] = qr_symbols([CODES[0][0]])
    expected = [list(row) for row in symbol]
    assert read_qr(page, MARGIN + PAD, MARGIN + PAD + 24, len(expected)) == expected


def test_a_short_round_title_keeps_its_size_and_the_code_its_place(tmp_path: Path) -> None:
    from service.records.fonts import cjk_font
    from service.records.slips import TITLE_SIZES, title_block

    block = title_block("第2轮：预算分配", cjk_font(), 130)
    assert (block.lines, block.size, block.code_drop) == (["第2轮：预算分配"], TITLE_SIZES[0], None)
    shown = pdf_text(slips_pdf(CODES, heading="杜集社区", round_title="第2轮：预算分配"), tmp_path)
    assert shown.count("第2轮：预算分配") == len(CODES)


def test_every_slip_carries_its_number(tmp_path: Path) -> None:
    shown = pdf_text(slips_pdf(CODES, heading="杜集社区", round_title="第2轮"), tmp_path)
    for number in (12, 13, 14):
        assert shown.count(f"第{number}号") == 1
    english = pdf_text(slips_pdf(CODES, heading="杜集社区", lang="en"), tmp_path)
    assert "No. 13" in english


def test_the_slips_file_is_named_for_the_round_and_the_numbers() -> None:
    assert slips_file_names(3, [12, 13, 14, 15, 16, 17, 18], "zh") == (
        "第3轮投票码-第12至18号.pdf",
        "round-3-voter-codes-12-18.pdf",
    )
    assert slips_file_names(3, [21], "zh") == (
        "第3轮投票码-第21号.pdf",
        "round-3-voter-codes-21.pdf",
    )
    assert slips_file_names(3, [12, 18], "en")[0] == "round-3-voter-codes-12-18.pdf"
