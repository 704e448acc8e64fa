"""Residents' feedback on the board, as the pages take it: the pocket park carried out far
enough to take feedback, a resident's form posted without an account, and the secretary's
moderation buttons."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from tests.support.pages import post_form, token_from, use_session
from tests.support.records_demo import Demo, build_demo

SOON = (date.today() + timedelta(days=30)).isoformat()


async def implementing_park(client: Any, staff: dict[str, dict[str, str]], db: Any) -> Demo:
    """The decided pocket park with one task for the item as a whole: being carried out."""
    demo = await build_demo(client, staff, db)
    await client.post(
        f"/api/v1/processes/{demo.process_id}/tasks",
        json={"title": "清理场地并施工", "owner": "社区居委会", "due_on": SOON},
        headers=staff["secretary"],
    )
    return demo


async def give(client: Any, demo: Demo, **form: str) -> Any:
    """A resident (no session) sends the board's feedback form for the demo's process."""
    client.cookies.clear()
    board = f"/board/communities/{demo.community_id}"
    token = await token_from(client, board)
    return await post_form(
        client,
        f"/board/processes/{demo.process_id}/feedback",
        form,
        token=token,
        follow_redirects=False,
    )


async def moderate(
    client: Any, secretary: dict[str, str], feedback_id: int, reason: str | None = None
) -> Any:
    """The secretary approves (no ``reason``) or rejects a resident's feedback on the page."""
    use_session(client, secretary)
    action = "approve" if reason is None else "reject"
    data = {} if reason is None else {"reason": reason}
    return await post_form(
        client,
        f"/secretary/resident-feedback/{feedback_id}/{action}",
        data,
        token=await token_from(client, "/secretary"),
        follow_redirects=False,
    )


def pending_ids(page: str) -> list[int]:
    """The residents' feedback waiting on the secretary's process page, in order."""
    return [
        int(i)
        for i in re.findall(r'class="resident-feedback pending"[^>]*data-feedback="(\d+)"', page)
    ]
