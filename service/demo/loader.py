"""Load the pocket-park example (杜集社区口袋公园) into an empty database, through the API
itself, so the demo shows exactly what the facilitator and the branch secretary would have
done, from the resident's request to the close-out.

The pocket park goes the whole loop: round 1 (ranked, instant runoff) is deliberated, voted
with the 72 ballots of ``pocket_park.json``, counted and published; round 2 (a budget round
over the top four, Method of Equal Shares) is voted by forty residents, counted and
published; a third round set up by mistake is cancelled; then the secretary carries the
decision out (tasks, progress notes, a photo of the finished playground: a drawing made for
the demo, ``playground.jpg``), records the residents' feedback, closes the item, re-opens it
when the swings need mending and closes it again. A second item, the waterlogged path by
building 3, is open for voting, with fresh codes printed for you to try.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Protocol

from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from service.accounts.repository import create_user
from service.accounts.schemas import Role, UserCreate
from service.auth.clock import now_of
from service.auth.hashing import PasswordHasher
from service.db import models
from service.db.session import create_engine, sessionmaker
from service.i18n import text
from service.settings import Settings
from service.zones import today as zone_today

BALLOTS = Path(__file__).resolve().parent / "pocket_park.json"
PHOTO = Path(__file__).resolve().parent / "playground.jpg"
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
BUDGET_PATTERNS: tuple[tuple[int, tuple[str, ...]], ...] = (
    # round 2: 40 residents, each within the 200,000 yuan budget
    (10, ("儿童游乐设施", "健身器材")),  # 165,000
    (8, ("健康监测站", "小型活动区", "健身器材")),  # 185,000
    (7, ("儿童游乐设施", "小型活动区")),  # 180,000
    (6, ("健康监测站", "健身器材")),  # 125,000
    (5, ("儿童游乐设施",)),  # 120,000
    (4, ("小型活动区", "健身器材")),  # 105,000
)
MISTAKE = "误建：预算分配已在第2轮完成，这一轮不需要"
"""Why round 3 is cancelled before it opens."""
TASKS = (  # title, owner, option carried out, description, due (days after the decision)
    (
        "采购并安装滑梯和秋千",
        "社区居委会 王主任",
        "儿童游乐设施",
        "滑梯一座、秋千两座，铺塑胶防摔地面；预算 120,000 元",
        45,
    ),
    ("安装适老健身器材", "物业公司 刘经理", "健身器材", "低强度健身器材六件；预算 45,000 元", 30),
)
FIRST_CHECK = {  # a show of hands at the bench meeting after the work
    "channel": "bench",
    "satisfied": 31,
    "fairly_satisfied": 8,
    "dissatisfied": 3,
    "note": "大家认可新设施；有人反映秋千链条偏松，晚上缺少照明。",
}
SECOND_CHECK = {  # collected on the board after the swings were mended
    "channel": "board",
    "satisfied": 36,
    "fairly_satisfied": 5,
    "dissatisfied": 1,
    "note": "检修及时，孩子们玩得放心。",
}
WATER = (  # the second item: title, yuan, description
    ("疏通雨水管道并加装雨水篦子", 18000, "清淤疏通北侧雨水管，路口加装两处雨水篦子"),
    ("整段路面翻修抬高", 95000, "北侧路面整段翻修，抬高 10 厘米并找坡"),
    ("铺设透水砖", 60000, "人行部分改铺透水砖，雨水就地下渗"),
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

    # In-process: a loopback address, on which a phone window may be opened (the demo's
    # ballots go through the public API, so they are ballots from home, channel phone).
    async with AsyncTestClient(app=create_app(settings), base_url="http://127.0.0.1") as client:
        codes = await _story(_Api(client))
    lines = [
        "已载入示例：杜集社区口袋公园建设方案 / Demo loaded: the Dují pocket park.",
        f"工作人员账号（密码均为 {PASSWORD}）/ Staff accounts (password {PASSWORD}):",
    ]
    lines += [
        f"  {username:<8} {name}（{text('zh', f'role.{role}')} / {role}）"
        for username, name, role in ACCOUNTS
    ]
    lines.append(
        "口袋公园已走完全过程并销号；“3号楼北侧路面积水整治”正在投票，可用以下投票码试投 / "
        "The pocket park went the whole loop and is closed; the waterlogged path is voting, "
        "try a code:"
    )
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

    async def call(self, method: str, path: str, payload: Any = None, *, files: Any = None) -> Any:
        sent = {"files": files} if files is not None else {"json": payload}
        response = await self.client.request(method, path, headers=self.headers, **sent)
        if response.status_code >= 400:
            raise DemoError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json() if response.content else None


class Send(Protocol):
    """A signed-in call to the API: JSON ``payload`` or multipart ``files``; the answer's
    JSON (a refusal stops the story)."""

    async def __call__(
        self, method: str, path: str, payload: Any = None, *, files: Any = None
    ) -> Any: ...


async def loop_story(
    send: Send, process_id: int, options: dict[str, int], decided: date, checks: tuple[date, date]
) -> None:
    """落实 → 反馈 → 销号 of the decided pocket park, as the branch secretary records it
    (``send`` signed in as the secretary; ``options`` the proposal ids by title; the tasks
    are due some weeks after ``decided``, the two satisfaction checks are held on
    ``checks``): two tasks, their progress notes, a photo of the finished playground, a
    satisfaction check, the close-out, a re-opening to mend the swings, a second check and
    the close-out again."""
    made = []
    for title, owner, option, description, due in TASKS:
        task = await send(
            "POST",
            f"/api/v1/processes/{process_id}/tasks",
            {
                "title": title,
                "owner": owner,
                "proposal_id": options[option],
                "description": description,
                "due_on": (decided + timedelta(days=due)).isoformat(),
            },
        )
        made.append(task["id"])
    playground, fitness = made
    notes = (
        (playground, {"body": "已与供应商签订合同，设备下周到货。", "progress": 20}),
        (fitness, {"body": "健身器材六件安装完毕，已张贴使用说明。", "status": "done"}),
        (playground, {"body": "滑梯和秋千安装完毕，塑胶地面已铺好，验收合格。", "status": "done"}),
    )
    for task_id, note in notes:
        written = await send("POST", f"/api/v1/tasks/{task_id}/notes", note)
    photo = ("photos", ("口袋公园游乐区完工.jpg", PHOTO.read_bytes(), "image/jpeg"))
    await send("POST", f"/api/v1/task-notes/{written['id']}/photos", files=[photo])
    first, second = (day.isoformat() for day in checks)
    await send(
        "POST", f"/api/v1/processes/{process_id}/feedback", {**FIRST_CHECK, "held_on": first}
    )
    await send(
        "POST",
        f"/api/v1/processes/{process_id}/close-out",
        {"note": "两项任务均已完成并验收，居民满意率 92.9%，同意销号。"},
    )
    await send(
        "POST",
        f"/api/v1/processes/{process_id}/reopen",
        {"reason": "居民反映秋千链条松动，检修后再销号。"},
    )
    await send(
        "POST",
        f"/api/v1/tasks/{playground}/notes",
        {"body": "已更换秋千链条，并复查全部设施，无其他问题。"},
    )
    await send(
        "POST", f"/api/v1/processes/{process_id}/feedback", {**SECOND_CHECK, "held_on": second}
    )
    await send(
        "POST",
        f"/api/v1/processes/{process_id}/close-out",
        {"note": "秋千已检修，居民反馈良好，同意销号。"},
    )


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
            "title": "设施排序",
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
    entries = json.loads(BALLOTS.read_text(encoding="utf-8"))["ballots"]
    ranked = [e.get("ballot", e) for e in entries for _ in range(int(e.get("count", 1)))]
    await _vote(api, rid, ranked)

    second = await api.call(
        "POST",
        f"/api/v1/processes/{pid}/rounds",
        {
            "title": "预算分配",
            "ballot_kind": "budget",
            "method": "equal-shares",
            "options": {"budget": 200000},
            "seed_from": {"round_id": rid, "top": 4},
        },
    )
    await _vote(
        api,
        second["id"],
        [
            {"kind": "budget", "approved": list(names)}
            for n, names in BUDGET_PATTERNS
            for _ in range(n)
        ],
    )
    mistaken = await api.call(
        "POST",
        f"/api/v1/processes/{pid}/rounds",
        {"title": "第3轮", "ballot_kind": "ranked", "method": "irv", "proposal_ids": ids},
    )
    await api.call("POST", f"/api/v1/rounds/{mistaken['id']}/cancel", {"reason": MISTAKE})
    await api.call("POST", f"/api/v1/processes/{pid}/phase", {"to": "decided"})

    await api.sign_in("shuji")
    titles = {p["title"]: p["id"] for p in proposals}
    today = zone_today()  # the day in China, as the documents reckon it
    await loop_story(api.call, pid, titles, today, (today, today))

    await api.sign_in("zhuchi")
    water = await api.call(
        "POST",
        f"/api/v1/communities/{cid}/processes",
        {"title": "3号楼北侧路面积水整治", "question": "3号楼北侧路面一下雨就积水，先怎么修？"},
    )
    wid = water["id"]
    choices = []
    for title, yuan, description in WATER:
        choices.append(
            await api.call(
                "POST",
                f"/api/v1/processes/{wid}/proposals",
                {"title": title, "description": description, "cost": yuan, "author": "3号楼居民"},
            )
        )
    path = await api.call(
        "POST",
        f"/api/v1/processes/{wid}/rounds",
        {
            "title": "整治办法",
            "ballot_kind": "approval",
            "method": "approval",
            "proposal_ids": [c["id"] for c in choices],
        },
    )
    await api.call("POST", f"/api/v1/rounds/{path['id']}/phase", {"to": "voting"})
    fresh = await api.call("POST", f"/api/v1/rounds/{path['id']}/codes", {"count": 5})
    return [c["code"] for c in fresh["codes"]]


async def _vote(api: _Api, round_id: int, ballots: list[dict[str, Any]]) -> None:
    """Open voting and a phone window, cast ``ballots`` with fresh codes through the public
    API (ballots from home: counted as phone ballots), close (count) and publish."""
    await api.call("POST", f"/api/v1/rounds/{round_id}/phase", {"to": "voting"})
    until = now_of(api.client.app.state) + timedelta(days=1)
    await api.call("PUT", f"/api/v1/rounds/{round_id}/phone-window", {"until": until.isoformat()})
    issued = await api.call("POST", f"/api/v1/rounds/{round_id}/codes", {"count": len(ballots)})
    for code, ballot in zip([c["code"] for c in issued["codes"]], ballots, strict=True):
        await api.call(
            "POST",
            f"/api/v1/rounds/{round_id}/ballots",
            {"code": code, "key": secrets.token_urlsafe(16), "ballot": ballot},
        )
    await api.call("POST", f"/api/v1/rounds/{round_id}/phase", {"to": "closed"})
    await api.call("POST", f"/api/v1/rounds/{round_id}/phase", {"to": "published"})
