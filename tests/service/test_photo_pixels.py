"""How many pixels a photo may have, told from its header before anything is decoded: a PNG
(WebP, HEIC) of more than 50 megapixels is refused unopened — a small file can claim a
picture that would take over a gigabyte to decode — while a JPEG of up to 200 megapixels,
the largest phone cameras', is decoded reduced and taken."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageFile

from service.loop.shrink import LONG_SIDE, MAX_JPEG_PIXELS, MAX_PIXELS, TooManyPixels, shrunk


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The sizes of the images Pillow decoded (a decoder's ``load``) during the test."""
    seen: list[tuple[int, int]] = []
    load = ImageFile.ImageFile.load

    def counted(image: ImageFile.ImageFile) -> object:
        seen.append(image.size)
        return load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", counted)
    return seen


def test_a_small_png_claiming_a_huge_picture_is_refused_without_decoding(decodes):
    sent = io.BytesIO()
    Image.new("RGBA", (10_000, 9_990)).save(sent, "PNG")  # 100 MP: about 1.3 GB to decode
    data = sent.getvalue()
    assert len(data) < 1_000_000
    with pytest.raises(TooManyPixels) as refused:
        shrunk(data)
    assert (refused.value.megapixels, refused.value.most) == (100, MAX_PIXELS // 1_000_000)
    assert refused.value.most == 50  # an iPhone's 48-megapixel HEIF fits
    assert decodes == []


def test_a_png_just_over_fifty_megapixels_is_refused_and_one_under_taken(decodes):
    over, under = io.BytesIO(), io.BytesIO()
    Image.new("1", (8_000, 6_251)).save(over, "PNG")
    Image.new("1", (8_000, 6_249)).save(under, "PNG")
    with pytest.raises(TooManyPixels):
        shrunk(over.getvalue())
    assert decodes == []
    with Image.open(io.BytesIO(shrunk(under.getvalue()))) as kept:
        assert kept.format == "JPEG"
        assert max(kept.size) == LONG_SIDE


def test_a_large_phone_jpeg_is_decoded_reduced_and_taken(decodes):
    sent = io.BytesIO()
    Image.new("L", (12_000, 9_000), 128).save(sent, "JPEG", quality=80)  # 108 MP
    kept = shrunk(sent.getvalue())
    with Image.open(io.BytesIO(kept)) as image:
        assert image.format == "JPEG"
        assert image.size == (LONG_SIDE, LONG_SIDE * 3 // 4)
    assert decodes, "the photo was decoded"
    assert all(w * h <= 12_000 * 9_000 // 16 for w, h in decodes), decodes  # at a quarter


def test_a_jpeg_beyond_the_largest_camera_is_refused_unopened(decodes):
    sent = io.BytesIO()
    Image.new("1", (16_000, 12_800)).save(sent, "JPEG")  # 204.8 MP
    with pytest.raises(TooManyPixels) as refused:
        shrunk(sent.getvalue())
    assert refused.value.most == MAX_JPEG_PIXELS // 1_000_000 == 200
    assert refused.value.megapixels == 205
    assert decodes == []
