"""Load the pocket-park example (杜集社区口袋公园) into an empty database, through the API
itself, so the demo shows exactly what a facilitator would have done at the bench meeting.

Round 1 (ranked, instant runoff) is deliberated, voted with the 72 ballots of
``pocket_park.json``, counted and published; round 2 (a budget round over the top four,
Method of Equal Shares) is open for voting, with fresh codes printed for you to try.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from service.accounts.repository import create_user
from service.accounts.schemas import Role, UserCreate
from service.auth.hashing import PasswordHasher
from service.db import models
from service.db.session import create_engine, sessionmaker
from service.i18n import text
from service.settings import Settings

BALLOTS = Path(__file__).resolve().parent / "pocket_park.json"
PASSWORD = "redbench-demo"
ACCOUNTS: tuple[tuple[str, str, Role], ...] = (
    ("admin", "管理员", "admin"),
    ("zhuchi", "王主持", "facilitator"),
    ("shuji", "李书记", "secretary"),
    ("wangge", "张网格员", "grid_worker"),
)
OPTIONS = (  # title, yuan, description
    ("儿童游乐设施", 120000, "滑梯、秋千和沙池，适合3到10岁的孩子"),
    ("健康监测站", 80000, "自助测血压、血糖，每周有社区医生值守"),
    ("文化墙", 30000, "展示杜集社区的老照片和发展历史"),
    ("小型活动区", 60000, "可举办广场舞、小型演出和议事会的平整场地"),
    ("健身器材", 45000, "适合老年人的低强度健身器材"),
    ("遮阳座椅", 25000, "带遮阳棚的长椅，方便老人和带娃家长休息"),
)
COMMENTS = (
    (0, "support", "孩子们放学没地方玩，这个最需要。", "赵阿姨"),
    (0, "question", "游乐设施的地面会做防摔处理吗？", "钱先生"),
    (1, "support", "老人多，量血压不用再跑医院。", "孙大爷"),
    (5, "support", "夏天太晒了，座椅一定要有遮阳。", "李奶奶"),
    (3, "oppose", "活动区晚上跳舞可能太吵，影响休息。", "周女士"),
)


class DemoError(Exception):
    """A step of the demo failed; the message names the step and the server's answer."""


def load_demo(settings: Settings) -> list[str]:
    """Load the example unless the database already has a community; lines to print."""
    return asyncio.run(_load(settings))


async def _load(settings: Settings) -> list[str]:
    engine = create_engine(settings.database_url)
    try:
        async with sessionmaker(engine)() as session:
            if await session.scalar(select(func.count()).select_from(models.Community)):
                return ["示例数据已存在，直接启动。 / Demo data already loaded."]
            hasher = PasswordHasher()
            for username, name, role in ACCOUNTS:
                data = UserCreate(
                    username=username, display_name=name, role=role, password=PASSWORD
                )
                await create_user(session, data, hasher)
            await session.commit()
    finally:
        await engine.dispose()
    from service.app import create_app

    async with AsyncTestClient(app=create_app(settings)) as client:
        codes = await _story(_Api(client))
    lines = [
        "已载入示例：杜集社区口袋公园建设方案 / Demo loaded: the Dují pocket park.",
        f"工作人员账号（密码均为 {PASSWORD}）/ Staff accounts (password {PASSWORD}):",
    ]
    lines += [
        f"  {username:<8} {name}（{text('zh', f'role.{role}')} / {role}）"
        for username, name, role in ACCOUNTS
    ]
    lines.append("第二轮（预算投票）正在进行，可用以下投票码试投 / Round 2 is open; try a code:")
    lines += [f"  {code}" for code in codes]
    return lines


class _Api:
    """A thin JSON client over the in-process app that stops at the first refusal."""

    def __init__(self, client: AsyncTestClient[Any]) -> None:
        self.client = client
        self.headers: dict[str, str] = {}

    async def sign_in(self, username: str) -> None:
        body = await self.call(
            "POST", "/api/v1/auth/login", {"username": username, "password": PASSWORD}
        )
        self.headers = {"Authorization": f"Bearer {body['token']}"}

    async def call(self, method: str, path: str, payload: Any = None) -> Any:
        response = await self.client.request(method, path, json=payload, headers=self.headers)
        if response.status_code >= 400:
            raise DemoError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json() if response.content else None


async def _story(api: _Api) -> list[str]:
    await api.sign_in("admin")
    community = await api.call("POST", "/api/v1/communities", {"name": "杜集社区"})
    cid = community["id"]
    grid = await api.call("POST", f"/api/v1/communities/{cid}/grids", {"name": "第三网格"})

    await api.sign_in("wangge")
    request = await api.call(
        "POST",
        f"/api/v1/communities/{cid}/requests",
        {"body": "小区东南角的空地长期闲置堆放杂物，居民希望改成口袋公园。", "grid_id": grid["id"]},
    )

    await api.sign_in("zhuchi")
    promoted = await api.call(
        "POST",
        f"/api/v1/requests/{request['id']}/promote",
        {"title": "口袋公园建设方案", "question": "社区东南角的闲置空地建口袋公园，先建哪些设施？"},
    )
    pid = promoted["process_id"]
    proposals = []
    for title, yuan, description in OPTIONS:
        proposals.append(
            await api.call(
                "POST",
                f"/api/v1/processes/{pid}/proposals",
                {"title": title, "description": description, "cost": yuan, "author": "议事会"},
            )
        )
    ids = [p["id"] for p in proposals]

    first = await api.call(
        "POST",
        f"/api/v1/processes/{pid}/rounds",
        {
            "title": "第一轮：设施排序",
            "ballot_kind": "ranked",
            "method": "irv",
            "proposal_ids": ids,
        },
    )
    rid = first["id"]
    await api.call("POST", f"/api/v1/rounds/{rid}/phase", {"to": "commenting"})
    for index, stance, body, speaker in COMMENTS:
        await api.call(
            "POST",
            f"/api/v1/rounds/{rid}/comments",
            {
                "proposal_id": ids[index],
                "stance": stance,
                "body": body,
                "speaker": speaker,
                "prompt": 0 if stance == "support" else 1,
            },
        )
    await api.call("POST", f"/api/v1/rounds/{rid}/phase", {"to": "voting"})
    entries = json.loads(BALLOTS.read_text(encoding="utf-8"))["ballots"]
    total = sum(int(e.get("count", 1)) for e in entries)
    issued = await api.call("POST", f"/api/v1/rounds/{rid}/codes", {"count": total})
    codes = [c["code"] for c in issued["codes"]]
    for entry in entries:
        for _ in range(int(entry.get("count", 1))):
            await api.call(
                "POST",
                f"/api/v1/rounds/{rid}/ballots",
                {
                    "code": codes.pop(),
                    "key": secrets.token_urlsafe(16),
                    "ballot": entry.get("ballot", entry),
                },
            )
    await api.call("POST", f"/api/v1/rounds/{rid}/phase", {"to": "closed"})
    await api.call("POST", f"/api/v1/rounds/{rid}/phase", {"to": "published"})

    second = await api.call(
        "POST",
        f"/api/v1/processes/{pid}/rounds",
        {
            "title": "第二轮：预算分配",
            "ballot_kind": "budget",
            "method": "equal-shares",
            "options": {"budget": 200000},
            "seed_from": {"round_id": rid, "top": 4},
        },
    )
    await api.call("POST", f"/api/v1/rounds/{second['id']}/phase", {"to": "voting"})
    fresh = await api.call("POST", f"/api/v1/rounds/{second['id']}/codes", {"count": 5})
    return [c["code"] for c in fresh["codes"]]
