"""The figures over HTTP, as JSON and as an XLSX workbook:

    GET /api/v1/streets/{street_id}/figures?year=2026            street staff, admin
    GET /api/v1/streets/{street_id}/figures.xlsx?year=2026
    GET /api/v1/communities/{community_id}/figures?year=2026     the community's staff,
    GET /api/v1/communities/{community_id}/figures.xlsx?year=2026  its street's, admin

The year is a calendar year in the zone of the street (or community); left out, this year
there. The guard keeps a street account to its own street and its communities
(:mod:`service.auth.scope`)."""

from __future__ import annotations

from urllib.parse import quote

from litestar import Controller, Response, get
from litestar.params import FromPath, FromQuery
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth.guard import STAFF, roles
from service.deps import DB
from service.errors import Invalid
from service.figures.counting import Area, community_area, figures, street_area
from service.figures.periods import FIRST_YEAR, LAST_YEAR, current_year
from service.figures.schemas import Figures
from service.figures.workbook import MEDIA_TYPE, figures_workbook
from service.i18n import text
from service.openapi.responses import download, refusals
from service.streets import STREET_OFFICE

COMMUNITY_FIGURES = roles(*STAFF, "street")
YEAR_REFUSED = refusals(
    {422: f"`figures-year`: `year` is not between {FIRST_YEAR} and {LAST_YEAR}"}
)
WORKBOOK = {
    **download(200, (MEDIA_TYPE,), description="the figures as an XLSX workbook"),
    **YEAR_REFUSED,
}


def year_or_now(year: int | None, zone_name: str) -> int:
    """The asked year (422 ``figures-year`` outside the years kept), else this year."""
    if year is None:
        return current_year(zone_name)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Invalid("figures-year", field="year", first=FIRST_YEAR, last=LAST_YEAR, year=year)
    return year


async def figures_of(db: AsyncSession, area: Area, year: int | None) -> Figures:
    return await figures(db, area, year_or_now(year, area.zone))


def workbook_response(shown: Figures, lang: str = "zh") -> Response[bytes]:
    """The workbook as a download named after the scope and the year."""
    name = text(lang, "figures.file", name=shown.name, year=shown.year)
    ascii_name = f"figures-{shown.scope}-{shown.id}-{shown.year}.xlsx"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
    return Response(
        figures_workbook(shown, lang),
        media_type=MEDIA_TYPE,
        headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"},
    )


class FiguresController(Controller):
    path = "/api/v1"
    tags = ["figures"]

    @get("/streets/{street_id:int}/figures", opt=STREET_OFFICE, responses=YEAR_REFUSED)
    async def street_figures(
        self, db: DB, street_id: FromPath[int], year: FromQuery[int | None] = None
    ) -> Figures:
        """A street's figures for a year: every community on it (``docs/figures.md``)."""
        return await figures_of(db, await street_area(db, street_id), year)

    @get("/streets/{street_id:int}/figures.xlsx", opt=STREET_OFFICE, responses=WORKBOOK)
    async def street_workbook(
        self, db: DB, street_id: FromPath[int], year: FromQuery[int | None] = None
    ) -> Response[bytes]:
        """The street's figures as a workbook: 总览, 按月, 按网格, 按社区."""
        return workbook_response(await figures_of(db, await street_area(db, street_id), year))

    @get("/communities/{community_id:int}/figures", opt=COMMUNITY_FIGURES, responses=YEAR_REFUSED)
    async def community_figures(
        self, db: DB, community_id: FromPath[int], year: FromQuery[int | None] = None
    ) -> Figures:
        """A community's figures for a year (``docs/figures.md``)."""
        return await figures_of(db, await community_area(db, community_id), year)

    @get("/communities/{community_id:int}/figures.xlsx", opt=COMMUNITY_FIGURES, responses=WORKBOOK)
    async def community_workbook(
        self, db: DB, community_id: FromPath[int], year: FromQuery[int | None] = None
    ) -> Response[bytes]:
        """The community's figures as a workbook: 总览, 按月, 按网格, 按社区."""
        return workbook_response(await figures_of(db, await community_area(db, community_id), year))
