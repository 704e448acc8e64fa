"""A stored photo as an HTTP answer: its bytes under their media type, the SHA-256 as the
ETag, kept privately (staff only: photos show residents' faces and homes)."""

from __future__ import annotations

from litestar import Response


def photo_response(found: tuple[bytes, str, str], *, max_age: int = 86400) -> Response[bytes]:
    """``found`` (bytes, media type, SHA-256, as :func:`.store.photo_bytes` gives them) as
    an answer cached privately for ``max_age`` seconds (a day unless told)."""
    data, media, digest = found
    return Response(
        data,
        media_type=media,
        headers={
            "ETag": f'"{digest}"',
            "Cache-Control": f"private, max-age={max_age}",
            "X-Content-Type-Options": "nosniff",
        },
    )
