"""The console's pages for the community's household roll (户册: list, search, add, edit,
take off, import a CSV with a preview and a confirmation) and for a household round's
proxies (委托代投: a page of their own with the form, the list, revoking and the limit; the round
page, shown on the meeting's screen, has only the counts and a link)."""

from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from service.auth.guard import STAFF, roles
from service.communities.controllers import community_out, find_community
from service.db.models import Round
from service.deps import DB, Caller
from service.errors import Invalid, NotFound
from service.households import repository
from service.households.controllers import IMPORT_BODY
from service.households.schemas import RollHouseholdCreate, RollHouseholdUpdate
from service.rounds.repository import find_round
from service.voting import codes, proxies
from service.voting.proxy_controllers import PROXY_BODY
from service.voting.proxy_schemas import ProxyCreate
from service.web.forms import Form, checked, whole
from service.web.render import page, redirect
from service.web.secretary_forms import Upload

KEEPS_ROLL = roles(*STAFF)
KEEPS_PROXIES = roles("facilitator", "secretary", "admin")


class HouseholdForm(msgspec.Struct):
    """A household added or changed on the roll page; ``active`` a checkbox (edit only)."""

    building: str = ""
    unit: str = ""
    flat: str = ""
    head: str = ""
    grid: str = ""
    active: str = ""
    editing: str = ""


class ImportForm(msgspec.Struct):
    """A roll file to preview (``file``), or one previewed to apply (``content``: its bytes
    in base64, carried by the preview page)."""

    file: Any = ""
    content: str = ""
    apply: str = ""


class ProxyForm(msgspec.Struct):
    grantor: str = ""
    holder_label: str = ""
    holder_name: str = ""
    serial: str = ""
    signed_on: str = ""
    photo: Any = ""


class RevokeForm(msgspec.Struct):
    reason: str = ""


class LimitForm(msgspec.Struct):
    limit: str = ""


def _signed_on(typed: str) -> date:
    try:
        return date.fromisoformat(typed.strip())
    except ValueError:
        raise Invalid("proxy-date-required", field="signed_on") from None


async def proxy_section(db: DB, round_row: Round) -> dict[str, Any]:
    """What the round page's proxies section (``console/round_proxies.html``) shows: in a
    household round, the counts (from the turnout) and a link to the proxies' own page —
    never the list, since the round page is what the meeting's screen shows."""
    return {"proxy_round": round_row.household_roll}


class RollPagesController(Controller):
    path = "/console"
    tags = ["pages"]
    include_in_schema = False

    @get("/communities/{community_id:int}/households", opt=KEEPS_ROLL)
    async def roll_page(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        community_id: FromPath[int],
        building: FromQuery[str] = "",
        grid: FromQuery[str] = "",
        q: FromQuery[str] = "",
    ) -> Template:
        """The roll, searched by building, grid or name, with the forms to keep it."""
        community = await community_out(db, await find_community(db, community_id))
        grid_id = whole(grid, "grid", least=1) if grid.strip() else None
        roll = await repository.roll_of(db, community_id, building.strip(), grid_id, q.strip())
        return page(
            request,
            "console/households.html",
            community=community,
            roll=roll,
            building=building,
            grid=grid_id,
            q=q,
        )

    @post("/communities/{community_id:int}/households", opt=KEEPS_ROLL)
    async def add_household(
        self, db: DB, actor: Caller, community_id: FromPath[int], data: Form[HouseholdForm]
    ) -> Redirect:
        made = checked(
            {
                "building": data.building,
                "unit": data.unit,
                "flat": data.flat,
                "head": data.head,
                "grid": data.grid or None,
            },
            RollHouseholdCreate,
        )
        row = await repository.add_household(db, community_id, made, actor)
        return redirect(f"/console/communities/{community_id}/households#household-{row.id}")

    @post("/communities/{community_id:int}/households/{household_id:int}", opt=KEEPS_ROLL)
    async def change_household(
        self,
        db: DB,
        actor: Caller,
        community_id: FromPath[int],
        household_id: FromPath[int],
        data: Form[HouseholdForm],
    ) -> Redirect:
        change = checked(
            {
                "building": data.building,
                "unit": data.unit,
                "flat": data.flat,
                "head": data.head,
                "grid": data.grid or None,
                "active": bool(data.active),
            },
            RollHouseholdUpdate,
        )
        await repository.change_household(db, community_id, household_id, change, actor)
        return redirect(f"/console/communities/{community_id}/households#household-{household_id}")

    @post(
        "/communities/{community_id:int}/households/import",
        opt=KEEPS_ROLL,
        status_code=200,
        request_max_body_size=IMPORT_BODY,
    )
    async def import_roll(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        actor: Caller,
        community_id: FromPath[int],
        data: Upload[ImportForm],
    ) -> Template:
        """Preview a roll file line by line (nothing written), or apply a previewed one."""
        if isinstance(data.file, UploadFile) and data.file.filename:
            content = await data.file.read()
        else:
            try:
                content = base64.b64decode(data.content, validate=True)
            except (binascii.Error, ValueError):
                content = b""
        if not content:
            raise Invalid("roll-file-empty", field="file")
        apply = bool(data.apply) and not isinstance(data.file, UploadFile)
        report = await repository.import_roll(db, community_id, content, not apply, actor)
        community = await community_out(db, await find_community(db, community_id))
        return page(
            request,
            "console/households_import.html",
            community=community,
            report=report,
            content=base64.b64encode(content).decode(),
            here=f"/console/communities/{community_id}/households",
        )

    @get("/rounds/{round_id:int}/proxies", opt=KEEPS_PROXIES)
    async def proxies_page(
        self, request: Request[Any, Any, Any], db: DB, round_id: FromPath[int]
    ) -> Template:
        """A household round's proxies on their own page: the limit, the form and the list
        with revoking (404 ``no-proxies-page`` outside a household round)."""
        round_row = await find_round(db, round_id)
        if not round_row.household_roll:
            raise NotFound("no-proxies-page", id=round_id)
        return page(
            request,
            "console/proxies.html",
            round=round_row,
            turnout=await codes.turnout(db, round_id),
            proxy_list=await proxies.proxies_of(db, round_id),
            here=f"/console/rounds/{round_id}",
        )

    @post(
        "/rounds/{round_id:int}/proxies",
        opt=KEEPS_PROXIES,
        request_max_body_size=PROXY_BODY,
    )
    async def record_proxy(
        self, db: DB, actor: Caller, round_id: FromPath[int], data: Upload[ProxyForm]
    ) -> Redirect:
        """Record a written authorisation from the round page's form."""
        photo = None
        name = ""
        if isinstance(data.photo, UploadFile) and data.photo.filename:
            photo = await data.photo.read()
            name = data.photo.filename
        made = checked(
            {
                "grantor": data.grantor,
                "holder_label": data.holder_label,
                "holder_name": data.holder_name,
                "serial": data.serial,
                "signed_on": _signed_on(data.signed_on).isoformat(),
                "photo": photo,
                "photo_name": name[:200],
            },
            ProxyCreate,
        )
        await proxies.record_proxy(db, round_id, made, actor)
        return redirect(f"/console/rounds/{round_id}/proxies")

    @post("/rounds/{round_id:int}/proxies/{proxy_id:int}/revoke", opt=KEEPS_PROXIES)
    async def revoke_proxy(
        self,
        db: DB,
        actor: Caller,
        round_id: FromPath[int],
        proxy_id: FromPath[int],
        data: Form[RevokeForm],
    ) -> Redirect:
        if not data.reason.strip():
            raise Invalid("proxy-reason-required", field="reason")
        await proxies.revoke_proxy(db, round_id, proxy_id, data.reason.strip(), actor)
        return redirect(f"/console/rounds/{round_id}/proxies")

    @post("/rounds/{round_id:int}/proxy-limit", opt=KEEPS_PROXIES)
    async def proxy_limit(
        self, db: DB, actor: Caller, round_id: FromPath[int], data: Form[LimitForm]
    ) -> Redirect:
        limit = whole(data.limit, "limit", least=1, most=20)
        if limit is None:
            raise Invalid("proxy-limit-required", field="limit")
        await proxies.set_proxy_limit(db, round_id, limit, actor)
        return redirect(f"/console/rounds/{round_id}/proxies")
