"""The community's household roll and proxies, as the tests drive them through the API."""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import Process, Round

HEADER = "楼栋,单元,户号,户主,网格"


def roll_csv(
    *lines: str, header: str = HEADER, encoding: str = "utf-8", bom: bool = False
) -> bytes:
    """A roll file as a grid worker's Excel saves it: the header, then ``lines``, CRLF."""
    text = "\r\n".join((header, *lines)) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


async def community_of(db: AsyncSession, round_id: int) -> int:
    """The community of a round's process."""
    found = await db.scalar(
        select(Process.community_id)
        .join(Round, Round.process_id == Process.id)
        .where(Round.id == round_id)
    )
    assert found is not None
    return found


async def import_roll(
    client: Any, headers: dict[str, str], community_id: int, data: bytes, *, dry_run: bool
) -> Any:
    """POST a roll file to ``/api/v1/communities/{id}/households/import``."""
    return await client.post(
        f"/api/v1/communities/{community_id}/households/import",
        json={"file": base64.b64encode(data).decode(), "dry_run": dry_run},
        headers=headers,
    )


async def record_proxy(
    client: Any,
    headers: dict[str, str],
    round_id: int,
    grantor: str,
    *,
    holder_name: str = "",
    holder_label: str = "",
    serial: str = "WT-001",
    signed_on: str = "2026-12-01",
    photo: bytes | None = None,
) -> Any:
    """POST a written authorisation to ``/api/v1/rounds/{id}/proxies``."""
    body: dict[str, Any] = {
        "grantor": grantor,
        "holder_name": holder_name,
        "holder_label": holder_label,
        "serial": serial,
        "signed_on": signed_on,
    }
    if photo is not None:
        body["photo"] = base64.b64encode(photo).decode()
        body["photo_name"] = "委托书.jpg"
    return await client.post(f"/api/v1/rounds/{round_id}/proxies", json=body, headers=headers)
