"""A phone photo made fit to keep and to publish: turned upright, shrunk, and stripped of
everything but its pixels.

Phones send 8–15 MB photos, often HEIC from iPhones, carrying EXIF with the GPS position
where they were taken — on a task note that is a resident's door. So every photo is decoded
and encoded afresh as a JPEG: the orientation tag applied first (the image itself is turned),
the long side brought down to :data:`LONG_SIDE`, colours moved to sRGB, and nothing written
but the pixels — no EXIF, no GPS, no XMP, no comment, no colour profile. Re-encoding is the
only sure way: a metadata block left untouched by a stripper that does not know it would
survive. One photo is kept as sent: a baseline JPEG already within :data:`LONG_SIDE` whose
only header is the plain JFIF one (:func:`clean_jpeg`) — it has nothing to remove, and a
second encoding would only lose detail.

This runs in the worker process (:mod:`service.offload`): decoding a 12-megapixel photo
takes a good part of a second of CPU, which the event loop must not lose.
"""

from __future__ import annotations

import io
import re
import warnings
from typing import Final

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

register_heif_opener()  # HEIC and HEIF, as iPhones take them

LONG_SIDE: Final[int] = 2048
"""The longest side of a stored photo, in pixels: sharp on a screen and on an A4 page."""
QUALITY: Final[int] = 85
"""JPEG quality of a stored photo (about 0.5–1.5 MB at :data:`LONG_SIDE`)."""
MAX_PIXELS: Final[int] = 50_000_000
"""Largest PNG, WebP or HEIC opened (50 megapixels: an iPhone's 48-megapixel HEIF still fits).
A larger one is refused before it is decoded: these are decoded whole, about 4 bytes a pixel
and as much again while turning and flattening, so a small file claiming huge dimensions (a
388 KB PNG of 10000×9990) would otherwise take over a gigabyte in the worker."""
MAX_JPEG_PIXELS: Final[int] = 200_000_000
"""Largest JPEG opened (200 megapixels: the largest phone cameras). A JPEG is decoded at an
eighth, a quarter or half of its size when that is still at least :data:`LONG_SIDE`
(:meth:`PIL.Image.Image.draft`), so even one this large takes little more memory than a
12-megapixel photo."""
Image.MAX_IMAGE_PIXELS = MAX_JPEG_PIXELS  # Pillow's own guard (at twice this) stays behind ours
FORMATS: Final[tuple[str, ...]] = ("JPEG", "PNG", "WEBP", "HEIF")
"""The only decoders tried (Pillow's names): what phones and screenshots produce."""
WHITE: Final = (255, 255, 255)
PLAIN_SEGMENTS: Final = frozenset({0xDB, 0xC0, 0xC4, 0xDD})
"""JPEG segments that hold only how the pixels are coded: quantisation and Huffman tables,
a baseline frame, the restart interval. Any other (EXIF and XMP in APP1, a colour profile
in APP2, a comment, a progressive frame) means the photo is encoded afresh."""
_SCAN_MARKER: Final = re.compile(rb"\xff[^\x00\xd0-\xd7]")
"""A marker inside the coded pixels other than a stuffed byte or a restart marker."""


class Unreadable(ValueError):
    """The bytes are no image these decoders read (or a broken one)."""


class TooManyPixels(ValueError):
    """The image is larger than its format allows; ``args``: its megapixels and the most."""

    @property
    def megapixels(self) -> int:
        return int(self.args[0])

    @property
    def most(self) -> int:
        """The most megapixels taken in this image's format."""
        return int(self.args[1])


def shrunk(data: bytes) -> bytes:
    """``data`` (a JPEG, PNG, WebP or HEIC image) as the JPEG that is stored: upright, its
    long side at most :data:`LONG_SIDE`, in sRGB, with no metadata. :class:`Unreadable`
    when it is no image these decoders read, :class:`TooManyPixels` when it is too large
    to open (the caller says either in words)."""
    try:
        with _opened(data) as image:
            _check_pixels(image)
            if max(image.size) <= LONG_SIDE and clean_jpeg(data):
                image.load()  # it must decode, like any other
                return data
            image.draft("RGB", (LONG_SIDE, LONG_SIDE))  # a JPEG decodes at a smaller scale
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS)
            flat = _srgb(_flattened(upright), image.info.get("icc_profile"))
    except TooManyPixels:
        raise
    except Image.DecompressionBombError as exc:  # Pillow's own guard, at twice ours
        claimed = re.search(r"\((\d+) pixels\)", str(exc))
        pixels = int(claimed.group(1)) if claimed else 2 * MAX_JPEG_PIXELS
        raise TooManyPixels(round(pixels / 1_000_000), MAX_JPEG_PIXELS // 1_000_000) from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise Unreadable(str(exc)) from None
    flat.info.clear()  # Pillow would write a comment or XMP kept here back out
    out = io.BytesIO()
    flat.save(out, "JPEG", quality=QUALITY, optimize=True, progressive=True)
    return out.getvalue()


def _opened(data: bytes) -> Image.Image:
    """``data`` opened (its header read, nothing decoded yet), without Pillow's warning about
    a large image: :func:`_check_pixels` decides that, in words."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        return Image.open(io.BytesIO(data), formats=FORMATS)


def _check_pixels(image: Image.Image) -> None:
    """Refuse, from the header alone, an image with more pixels than its format allows:
    :data:`MAX_JPEG_PIXELS` for a JPEG (decoded reduced), :data:`MAX_PIXELS` for others."""
    most = MAX_JPEG_PIXELS if image.format == "JPEG" else MAX_PIXELS
    pixels = image.width * image.height
    if pixels > most:
        raise TooManyPixels(round(pixels / 1_000_000), most // 1_000_000)


def clean_jpeg(data: bytes) -> bool:
    """Whether ``data`` is a baseline JPEG holding nothing but its pixels: the JFIF header
    without a thumbnail, coding tables (:data:`PLAIN_SEGMENTS`), one scan, the end marker
    last."""
    if not data.startswith(b"\xff\xd8") or not data.endswith(b"\xff\xd9"):
        return False
    at = 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        if marker == 0xDA:  # the scan: to the end marker, with no other segment inside
            return _SCAN_MARKER.search(data, at + 2 + length, len(data) - 2) is None
        jfif = marker == 0xE0 and length == 16 and data[at + 4 : at + 9] == b"JFIF\0"
        if not jfif and marker not in PLAIN_SEGMENTS:
            return False
        at += 2 + length
    return False


def _flattened(image: Image.Image) -> Image.Image:
    """The image in RGB; a transparent one (a PNG screenshot) laid on white, not black."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, WHITE)
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode.startswith("I;16"):  # 16-bit grey: scale to 8 bits first
        return image.point(lambda value: value / 256).convert("L").convert("RGB")
    return image.convert("RGB")


def _srgb(image: Image.Image, profile: bytes | None) -> Image.Image:
    """Colours moved from the photo's own profile (an iPhone's Display P3) to sRGB, so that
    they look the same once the profile is dropped; unchanged without a readable profile."""
    if not profile:
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        moved = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"))
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image
    return moved if moved is not None else image
