"""Where a signed-in account may reach: its community, or its street's communities.

An account of a community role (facilitator, secretary, grid worker) may be tied to one
community (``users.community_id``); a ``street`` account is tied to one street
(``users.street_id``) and reaches every community under it. An admin, and a community
account tied to nothing (an installation with one community, or accounts made before
streets existed), reach everything.

:func:`check_path` runs in the app-wide guard for every staff request: each id in the path
(``community_id``, ``process_id``, ``round_id``, ``request_id``, ``meeting_id`` …) is traced
to its community and refused with 403 ``outside-reach`` when that community is out of
reach; an id no row has is left to the handler (its 404). Lists are filtered by the handler
with :func:`reachable_communities`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.db import models
from service.db.street import Meeting, SiteSurvey, TeamMember
from service.errors import Forbidden

Lookup = Callable[[int], Select[Any]]


class Account(Protocol):
    """What scoping needs of a caller (:class:`service.auth.guard.Actor` has it)."""

    @property
    def role(self) -> str: ...
    @property
    def community_id(self) -> int | None: ...
    @property
    def street_id(self) -> int | None: ...


def _via_process(column: Any, key: Any) -> Lookup:
    return lambda value: (
        select(models.Process.community_id)
        .join_from(column.table, models.Process, column == models.Process.id)
        .where(key == value)
    )


TRACES: dict[str, tuple[str, Lookup]] = {
    "community_id": (
        "community",
        lambda v: select(models.Community.id).where(models.Community.id == v),
    ),
    "process_id": (
        "process",
        lambda v: select(models.Process.community_id).where(models.Process.id == v),
    ),
    "round_id": ("round", _via_process(models.Round.process_id, models.Round.id)),
    "proposal_id": ("proposal", _via_process(models.Proposal.process_id, models.Proposal.id)),
    "task_id": ("task", _via_process(models.Task.process_id, models.Task.id)),
    "note_id": (
        "task",
        lambda v: (
            select(models.Process.community_id)
            .join(models.Task, models.Task.process_id == models.Process.id)
            .join(models.TaskNote, models.TaskNote.task_id == models.Task.id)
            .where(models.TaskNote.id == v)
        ),
    ),
    "comment_id": (
        "comment",
        lambda v: (
            select(models.Process.community_id)
            .join(models.Round, models.Round.process_id == models.Process.id)
            .join(models.Comment, models.Comment.round_id == models.Round.id)
            .where(models.Comment.id == v)
        ),
    ),
    "feedback_id": (
        "feedback",
        _via_process(models.ResidentFeedback.process_id, models.ResidentFeedback.id),
    ),
    "survey_id": ("survey", _via_process(SiteSurvey.process_id, SiteSurvey.id)),
    "request_id": (
        "request",
        lambda v: select(models.ResidentRequest.community_id).where(models.ResidentRequest.id == v),
    ),
    "meeting_id": (
        "meeting",
        lambda v: select(Meeting.community_id).where(Meeting.id == v),
    ),
    "grid_id": (
        "grid",
        lambda v: select(models.Grid.community_id).where(models.Grid.id == v),
    ),
    "member_id": (
        "member",
        lambda v: select(TeamMember.community_id).where(TeamMember.id == v),
    ),
}
"""For each path parameter that names a row: what it is called in a refusal, and the query
that gives the community the row belongs to. ``feedback_id`` is a resident's feedback from
the board (``resident_feedback``, the only table a path's ``feedback_id`` names)."""

CHECKED_BY_PARENT: dict[str, tuple[str, ...]] = {
    "item_id": ("meeting_id",),
    "household_id": ("community_id",),
    "proxy_id": ("round_id",),
    "batch": ("round_id",),
    "tracker": ("round_id",),
    "photo_id": ("meeting_id", "request_id", "survey_id"),
}
"""Path parameters not traced themselves because they only come after a traced parent in
the path (one of those named here), and the handler finds the row within that parent (an
agenda item of that meeting, a household of that community's roll, a proxy, slip batch or
tracker of that round, a photo of that meeting, request or survey), answering 404 for a row
of another parent. ``photo_id`` is ambiguous (meeting, request and survey photos share the
``photos`` table; task photos are ``task_photos``), so it cannot be traced alone."""

UNSCOPED: dict[str, str] = {
    "/api/v1/photos/{photo_id:int}": "a task photo, public: shown on every community's board, "
    "the same bytes for every caller",
    "/api/v1/users/{user_id:int}": "the admin's only, who reaches everything",
}
"""Routes whose path names a row that is no community's, or that every caller may read
alike (``street_id`` is checked apart, by :func:`check_path`); said here so the test that
walks the app's routes (``tests/service/test_scope.py``) finds every other path id traced or
checked by its parent."""


def unbounded(account: Account) -> bool:
    """Whether an account reaches every community (and every street)."""
    return account.role == "admin" or (account.community_id is None and account.street_id is None)


async def reachable_communities(db: AsyncSession, account: Account) -> set[int] | None:
    """The ids of the communities an account reaches; ``None``: all of them."""
    if unbounded(account):
        return None
    reach: set[int] = set()
    if account.community_id is not None:
        reach.add(account.community_id)
    if account.street_id is not None:
        rows = await db.scalars(
            select(models.Community.id).where(models.Community.street_id == account.street_id)
        )
        reach.update(rows)
    return reach


async def check_path(db: AsyncSession, path_params: dict[str, Any], account: Account) -> None:
    """Refuse (403 ``outside-reach``) a request whose path names a row of a community the
    account does not reach, or another street than its own."""
    if unbounded(account):
        return
    if "street_id" in path_params and path_params["street_id"] != account.street_id:
        raise Forbidden("outside-reach", what="street")
    traced = [(name, value) for name, value in path_params.items() if name in TRACES]
    if not traced:
        return
    reach = await reachable_communities(db, account)
    assert reach is not None
    for name, value in traced:
        what, lookup = TRACES[name]
        owner = (await db.execute(lookup(value))).scalar_one_or_none()
        if owner is not None and owner not in reach:
            raise Forbidden("outside-reach", what=what)


async def check_community(db: AsyncSession, account: Account, target: int) -> None:
    """Refuse a community the account does not reach (for ids that come in a body)."""
    reach = await reachable_communities(db, account)
    if reach is not None and target not in reach:
        raise Forbidden("outside-reach", what="community")
