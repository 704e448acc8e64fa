"""Paper ballots through the API: printing (so that serials exist) and keying entries."""

from __future__ import annotations

from typing import Any


async def print_paper(
    client: Any, headers: dict[str, str], round_id: int, count: int = 3, size: str = "A5"
) -> Any:
    """Print ``count`` paper ballots of the round (the PDF answer)."""
    return await client.get(
        f"/api/v1/rounds/{round_id}/paper-ballots.pdf",
        params={"size": size, "count": count},
        headers=headers,
    )


async def key_entry(
    client: Any,
    headers: dict[str, str],
    round_id: int,
    serial: int,
    code: str,
    marks: list[int | None],
    verdict: str = "ballot",
) -> Any:
    """One clerk's entry of a paper ballot (the answer)."""
    return await client.post(
        f"/api/v1/rounds/{round_id}/paper/entries",
        json={"serial": serial, "code": code, "verdict": verdict, "marks": marks},
        headers=headers,
    )


async def adjudicate(
    client: Any,
    headers: dict[str, str],
    round_id: int,
    serial: int,
    choose: int | str,
    reason: str,
    entry: dict[str, Any] | None = None,
) -> Any:
    """A third person's decision on a serial's differing entries (the answer)."""
    body: dict[str, Any] = {"serial": serial, "choose": choose, "reason": reason}
    if entry is not None:
        body["entry"] = entry
    return await client.post(
        f"/api/v1/rounds/{round_id}/paper/adjudications", json=body, headers=headers
    )
