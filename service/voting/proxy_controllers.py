"""Proxies over HTTP: facilitators and secretaries (and admins) record and revoke written
authorisations in a household round, set how many one holder may hold, and see the photo of
an authorisation; nobody else does (the photo is personal data)."""

from __future__ import annotations

from litestar import Controller, Response, get, post, put
from litestar.params import FromPath, JSONBody

from service.auth.guard import roles
from service.deps import DB, Caller
from service.openapi.responses import download, refusals
from service.voting import proxies
from service.voting.proxy_schemas import (
    MOST_PHOTO_BYTES,
    ProxyCreate,
    ProxyLimit,
    ProxyList,
    ProxyOut,
    ProxyRevoke,
)

KEEPS_PROXIES = roles("facilitator", "secretary", "admin")
PROXY_BODY = MOST_PHOTO_BYTES * 4 // 3 + 64 * 1024
"""An authorisation with its photo in base64, and the rest of the form."""


class ProxyController(Controller):
    path = "/api/v1/rounds/{round_id:int}"
    tags = ["voting"]

    @get("/proxies", opt=KEEPS_PROXIES)
    async def list_proxies(self, db: DB, round_id: FromPath[int]) -> ProxyList:
        return await proxies.proxies_of(db, round_id)

    @post(
        "/proxies",
        opt=KEEPS_PROXIES,
        status_code=201,
        request_max_body_size=PROXY_BODY,
        responses=refusals(
            {
                409: "`proxy-limit`: the holder already holds the round's limit of "
                "authorisations; `proxy-grantor-voted`, `proxy-already-granted`, "
                "`proxy-round-closed`, `proxy-not-household-round`",
                422: "`proxy-to-itself`, `proxy-holder-required`, `proxy-authorisation-required`",
            }
        ),
    )
    async def record_proxy(
        self, db: DB, round_id: FromPath[int], data: JSONBody[ProxyCreate], actor: Caller
    ) -> ProxyOut:
        """Record a written authorisation: the holder will vote with the grantor
        household's own code, so nothing links the proxy to a ballot."""
        return await proxies.record_proxy(db, round_id, data, actor)

    @post("/proxies/{proxy_id:int}/revoke", opt=KEEPS_PROXIES, status_code=200)
    async def revoke_proxy(
        self,
        db: DB,
        round_id: FromPath[int],
        proxy_id: FromPath[int],
        data: JSONBody[ProxyRevoke],
        actor: Caller,
    ) -> ProxyOut:
        """Revoke an authorisation whose grantor has not voted, with the reason."""
        return await proxies.revoke_proxy(db, round_id, proxy_id, data.reason, actor)

    @get(
        "/proxies/{proxy_id:int}/photo",
        opt=KEEPS_PROXIES,
        responses=download(200, ["image/jpeg"], description="the authorisation's photo"),
    )
    async def proxy_photo(
        self, db: DB, round_id: FromPath[int], proxy_id: FromPath[int]
    ) -> Response[bytes]:
        """The photo of a written authorisation (re-encoded, without metadata)."""
        data = await proxies.proxy_photo(db, round_id, proxy_id)
        return Response(
            data,
            media_type="image/jpeg",
            headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
        )

    @put("/proxy-limit", opt=KEEPS_PROXIES)
    async def set_proxy_limit(
        self, db: DB, round_id: FromPath[int], data: JSONBody[ProxyLimit], actor: Caller
    ) -> ProxyLimit:
        """Set how many authorisations one holder may hold (1 unless set; before voting
        opens only)."""
        return ProxyLimit(limit=await proxies.set_proxy_limit(db, round_id, data.limit, actor))
