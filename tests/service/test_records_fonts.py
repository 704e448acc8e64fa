"""Finding the CJK font for the PDFs: a setting, else well-known system fonts; without one,
one clear line saying what to install."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from service.errors import Misconfigured
from service.records import fonts


@pytest.fixture(autouse=True)
def fresh_lookup() -> Iterator[None]:
    fonts.cjk_font.cache_clear()
    yield
    fonts.cjk_font.cache_clear()


def test_a_system_cjk_truetype_font_is_found() -> None:
    assert fonts.cjk_font() == fonts.FONT


def test_without_any_cjk_font_the_error_says_what_to_install(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("REDBENCH_PDF_FONT", raising=False)
    monkeypatch.setattr(fonts, "CANDIDATES", ((str(tmp_path / "none.ttc"), 0),))
    with pytest.raises(Misconfigured) as caught:
        fonts.cjk_font()
    message = str(caught.value)
    assert "\n" not in message
    assert "apt-get install fonts-wqy-microhei" in message
    assert "REDBENCH_PDF_FONT" in message
    assert caught.value.status == 500


def test_a_setting_that_is_not_a_font_is_refused(monkeypatch, tmp_path: Path) -> None:
    fake = tmp_path / "fake.ttf"
    fake.write_bytes(b"not a font")
    monkeypatch.setenv("REDBENCH_PDF_FONT", str(fake))
    with pytest.raises(Misconfigured, match="is not a TrueType font reportlab can embed"):
        fonts.cjk_font()
