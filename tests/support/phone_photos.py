"""Photos as phones take them, made here: large, full of detail (noise does not compress),
lying on their side with an EXIF orientation tag, and carrying the GPS position, a camera
name and a comment — everything the server must remove."""

from __future__ import annotations

import io
from typing import Final

import numpy as np
from PIL import Image

GPS_IFD: Final = 0x8825
ORIENTATION: Final = 0x0112
MAKE: Final = 0x010F
WHERE: Final = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 51.0)}
"""A GPS position (Beijing), as a phone writes it: latitude, longitude, their hemispheres."""
EXTRAS: Final = ("comment", "xmp", "icc_profile", "exif", "photoshop")
"""What Pillow reads of an image besides its pixels and is more than its coding."""


def phone_photo(width: int = 4032, height: int = 3024, *, quality: int = 95) -> bytes:
    """A JPEG of ``width`` × ``height`` noise stored on its side (orientation 6: the viewer
    turns it 90° clockwise, so it is seen ``height`` wide and ``width`` tall), with GPS, a
    camera make and a comment. At the defaults it is about 12 兆, like a phone's photo."""
    pixels = np.random.default_rng(15).integers(0, 256, (height, width, 3), dtype=np.uint8)
    pixels[: height // 10] = (255, 0, 0)  # a red band along the stored top: seen on the right
    image = Image.fromarray(pixels, "RGB")
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[MAKE] = "Phone Maker"
    exif.get_ifd(GPS_IFD).update(WHERE)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, exif=exif, comment=b"taken at home")
    return out.getvalue()


def metadata_left(data: bytes) -> dict[str, object]:
    """What of a stored photo is more than its pixels: its EXIF tags, GPS tags, and the
    comment, XMP or colour profile Pillow read (empty when it is only pixels)."""
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        left: dict[str, object] = {f"exif.{k}": v for k, v in exif.items()}
        left.update({f"gps.{k}": v for k, v in exif.get_ifd(GPS_IFD).items()})
        left.update({k: v for k, v in image.info.items() if k in EXTRAS})
    return left


def red_side(data: bytes) -> str:
    """Which side of the shown image the red band is on (``top``, ``right``, ``bottom``,
    ``left``): ``right`` for :func:`phone_photo` turned upright."""
    with Image.open(io.BytesIO(data)) as image:
        rgb = np.asarray(image.convert("RGB"), dtype=np.int32)
    redness = rgb[..., 0] - (rgb[..., 1] + rgb[..., 2]) // 2
    edges = {
        "top": redness[:5].mean(),
        "bottom": redness[-5:].mean(),
        "left": redness[:, :5].mean(),
        "right": redness[:, -5:].mean(),
    }
    return max(edges, key=lambda side: float(edges[side]))
