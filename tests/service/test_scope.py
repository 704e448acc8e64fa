"""Accounts tied to a community or a street reach only what is theirs (service.auth.scope):
a path naming a row of another community is refused with 403 ``outside-reach`` before the
handler runs (on a route open to the public too, the caller is answered as the public);
lists show only the communities reached; untied accounts (and admins) reach every
community."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from service.app import create_app
from service.auth.scope import CHECKED_BY_PARENT, TRACES, UNSCOPED
from service.db.models import (
    ROLES,
    Comment,
    Community,
    Process,
    ResidentFeedback,
    Round,
    Task,
    TaskNote,
)
from service.db.street import Street
from service.i18n import text
from service.settings import Settings
from tests.support.app import SECRET, make_staff
from tests.support.pages import post_form, use_session
from tests.support.rounds import close, make_round

NOT_ROWS = {"fmt", "file_path", "path"}
"""Path parameters that name no row: an export format, a static file, an OpenAPI page."""


async def two_communities(db: AsyncSession) -> tuple[int, int, int, int, int]:
    """Street 1 with community A; community B on no street; one process in each."""
    street = Street(name="矿山集街道")
    db.add(street)
    await db.flush()
    a = Community(name="杜集社区", street_id=street.id)
    b = Community(name="高岳社区")
    db.add_all([a, b])
    await db.flush()
    pa = Process(community_id=a.id, title="口袋公园")
    pb = Process(community_id=b.id, title="积水路段")
    db.add_all([pa, pb])
    await db.commit()
    return street.id, a.id, b.id, pa.id, pb.id


async def test_a_tied_facilitator_reaches_only_their_community(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    _, a, b, pa, pb = await two_communities(db)
    tied = await make_staff(db, "facilitator", "tied", community_id=a)
    free = await make_staff(db, "facilitator", "free")
    own = await client.get(f"/api/v1/processes/{pa}", headers=tied)
    assert own.status_code == 200, own.text
    other = await client.get(f"/api/v1/processes/{pb}", headers=tied)
    assert other.status_code == 403
    assert other.json()["code"] == "forbidden"
    assert "不在您负责的社区或街道范围内" in other.json()["message_zh"]
    listed = await client.get(f"/api/v1/communities/{b}/processes", headers=tied)
    assert listed.status_code == 403
    for process in (pa, pb):
        assert (await client.get(f"/api/v1/processes/{process}", headers=free)).status_code == 200
    missing = await client.get("/api/v1/processes/999", headers=tied)
    assert missing.status_code == 404  # no row: the handler's own answer


async def test_accounts_are_tied_as_their_role_allows(
    client: AsyncTestClient[Any], db: AsyncSession, staff: dict[str, dict[str, str]]
) -> None:
    street, a, _, _, _ = await two_communities(db)
    base = {"display_name": "街道 王", "password": "long-enough-password"}
    cases: list[tuple[dict[str, Any], int, str | None]] = [
        ({"username": "s1", "role": "street"}, 422, "street_id"),
        ({"username": "s2", "role": "street", "street_id": street, "community_id": a}, 422, None),
        ({"username": "s3", "role": "facilitator", "street_id": street}, 422, "street_id"),
        ({"username": "s4", "role": "admin", "community_id": a}, 422, "community_id"),
        ({"username": "s5", "role": "street", "street_id": 999}, 404, None),
        ({"username": "s6", "role": "street", "street_id": street}, 201, None),
        ({"username": "s7", "role": "grid_worker", "community_id": a}, 201, None),
    ]
    for body, status, field in cases:
        answer = await client.post("/api/v1/users", json={**base, **body}, headers=staff["admin"])
        assert answer.status_code == status, (body, answer.text)
        if field is not None:
            assert answer.json()["field"] == field
        if status == 201:
            made = answer.json()
            assert (made["community_id"], made["street_id"]) == (
                body.get("community_id"),
                body.get("street_id"),
            )


async def community_of_round(db: AsyncSession, round_id: int) -> int:
    round_row = await db.get(Round, round_id)
    assert round_row is not None
    process = await db.get(Process, round_row.process_id)
    assert process is not None
    return process.community_id


async def test_a_public_route_answers_an_outside_caller_as_the_public(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    """A closed round's result is staff's until published: a facilitator tied to another
    community is answered as the public is (409), not refused and not shown it."""
    _, _, b, _, _ = await two_communities(db)
    round_id = await make_round(db)
    await close(db, round_id)
    own = await community_of_round(db, round_id)
    outside = await make_staff(db, "facilitator", "outside", community_id=b)
    inside = await make_staff(db, "facilitator", "inside", community_id=own)
    free = await make_staff(db, "facilitator", "free")
    path = f"/api/v1/rounds/{round_id}/result"
    public = await client.get(path)
    assert public.status_code == 409, public.text
    refused = await client.get(path, headers=outside)
    assert (refused.status_code, refused.json()) == (409, public.json())
    for reaching in (inside, free):
        shown = await client.get(path, headers=reaching)
        assert shown.status_code == 200, shown.text
    board = await client.get(f"/api/v1/communities/{own}/board", headers=outside)
    assert board.status_code == 200, board.text  # the public board works for everyone


ROLES_USED = ("facilitator", "secretary")


async def test_comments_feedback_and_notes_are_traced_to_their_community(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    _, a, _, _, _ = await two_communities(db)
    round_id = await make_round(db, phase="commenting")
    own = await community_of_round(db, round_id)
    round_row = await db.get(Round, round_id)
    assert round_row is not None
    comment = Comment(round_id=round_id, stance="oppose", body="太吵了")
    feedback = ResidentFeedback(
        process_id=round_row.process_id, verdict="satisfied", given_on=date.today()
    )
    task = Task(
        process_id=round_row.process_id, title="安装滑梯", owner="物业", due_on=date.today()
    )
    db.add_all([comment, feedback, task])
    await db.flush()
    note = TaskNote(task_id=task.id, body="已进场", author="书记")
    db.add(note)
    await db.commit()
    calls = [
        ("facilitator", f"/api/v1/comments/{comment.id}/hide", {"json": {"reason": "人身攻击"}}),
        (
            "secretary",
            f"/api/v1/resident-feedback/{feedback.id}/reject",
            {"json": {"reason": "与议题无关"}},
        ),
        (
            "secretary",
            f"/api/v1/task-notes/{note.id}/photos",
            {"files": {"data": ("a.jpg", b"not a photo", "image/jpeg")}},
        ),
    ]
    outside = {r: await make_staff(db, r, f"{r}-out", community_id=a) for r in ROLES_USED}
    inside = {r: await make_staff(db, r, f"{r}-in", community_id=own) for r in ROLES_USED}
    for role, path, body in calls:
        refused = await client.post(path, headers=outside[role], **body)
        assert refused.status_code == 403, (path, refused.text)
        assert refused.json()["code"] == "forbidden"
    for role, path, body in calls:
        answered = await client.post(path, headers=inside[role], **body)
        assert answered.status_code != 403, (path, answered.text)
        assert answered.status_code == (415 if "photos" in path else 200), answered.text


def test_every_path_id_is_traced_or_checked_by_its_parent() -> None:
    """Each path parameter naming a row is traced to its community (TRACES), or comes after
    a traced parent whose handler finds the row within it (CHECKED_BY_PARENT), or is on a
    route said to be no community's (UNSCOPED); ``street_id`` is checked apart."""
    app = create_app(Settings(database_url="sqlite+aiosqlite://", secret_key=SECRET))
    unchecked = []
    for route in app.routes:
        names = set(route.path_parameters) - NOT_ROWS - {"street_id"}
        for name in sorted(names):
            parents = CHECKED_BY_PARENT.get(name, ())
            if name in TRACES or route.path in UNSCOPED or names & set(parents):
                continue
            unchecked.append((route.path, name))
    assert unchecked == []
    for what, _ in TRACES.values():
        assert text("zh", f"scope.{what}") != f"scope.{what}", what


async def overdue_in_each(db: AsyncSession, pa: int, pb: int) -> None:
    late = date.today() - timedelta(days=10)
    db.add_all(
        [
            Task(process_id=pa, title="修补围栏", owner="物业", due_on=late),
            Task(process_id=pb, title="疏通排水沟", owner="市政", due_on=late),
        ]
    )
    await db.commit()


async def test_overdue_tasks_cover_the_communities_reached(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    _, a, b, pa, pb = await two_communities(db)
    await overdue_in_each(db, pa, pb)
    tied = await make_staff(db, "secretary", "tied", community_id=a)
    free = await make_staff(db, "secretary", "free")
    listed = await client.get("/api/v1/tasks/overdue", headers=tied)
    assert [t["community_id"] for t in listed.json()] == [a]
    other = await client.get(f"/api/v1/tasks/overdue?community_id={b}", headers=tied)
    assert other.status_code == 403, other.text
    everywhere = await client.get("/api/v1/tasks/overdue", headers=free)
    assert sorted(t["community_id"] for t in everywhere.json()) == [a, b]
    one = await client.get(f"/api/v1/tasks/overdue?community_id={b}", headers=free)
    assert [t["community_id"] for t in one.json()] == [b]
    tied_desk = (await client.get("/secretary", headers=tied)).text
    assert [t for t in ("修补围栏", "疏通排水沟", "口袋公园", "积水路段") if t in tied_desk] == [
        "修补围栏",
        "口袋公园",
    ]
    free_desk = (await client.get("/secretary", headers=free)).text
    assert all(t in free_desk for t in ("修补围栏", "疏通排水沟", "口袋公园", "积水路段"))


async def test_the_console_and_the_communities_list_show_what_is_reached(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    """The console's home and the communities' list show a tied account its community only;
    a new process in another community is refused."""
    _, a, b, _, _ = await two_communities(db)
    tied = await make_staff(db, "facilitator", "tied", community_id=a)
    free = await make_staff(db, "facilitator", "free")
    listed = await client.get("/api/v1/communities", headers=tied)
    assert [c["id"] for c in listed.json()] == [a]
    everyone = await client.get("/api/v1/communities", headers=free)
    assert [c["id"] for c in everyone.json()] == [a, b]
    tied_home = (await client.get("/console", headers=tied)).text
    assert [t for t in ("杜集社区", "口袋公园", "高岳社区", "积水路段") if t in tied_home] == [
        "杜集社区",
        "口袋公园",
    ]
    free_home = (await client.get("/console", headers=free)).text
    assert all(t in free_home for t in ("杜集社区", "口袋公园", "高岳社区", "积水路段"))
    form = {"community_id": b, "title": "加装电梯", "question": "装在哪个单元？"}
    use_session(client, tied)
    refused = await post_form(client, "/console/processes", form, follow_redirects=False)
    assert refused.status_code == 403, refused.text
    assert "此社区不在您负责的社区或街道范围内" in refused.text
    use_session(client, free)
    made = await post_form(client, "/console/processes", form, follow_redirects=False)
    assert made.status_code == 303, made.text


NAV = re.compile(r'<nav class="links".*?</nav>', re.S)
HREF = re.compile(r'href="(/[^"?#]*)"')


async def test_the_nav_links_only_to_pages_the_role_may_open(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    """A street account sees no link to the community staff's pages (nor any role a link
    it would be refused)."""
    street, a, _, _, _ = await two_communities(db)
    for role in sorted(ROLES):
        ties = {"street": {"street_id": street}, "admin": {}}.get(role, {"community_id": a})
        headers = await make_staff(db, role, f"nav-{role}", **ties)
        board = await client.get("/board", headers=headers)
        nav = NAV.search(board.text)
        assert nav is not None
        links = HREF.findall(nav.group(0))
        if role == "street":
            assert not [link for link in links if link.startswith(("/console", "/secretary"))]
        for link in links:
            opened = await client.get(link, headers=headers)
            assert opened.status_code != 403, (role, link)
