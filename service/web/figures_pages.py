"""The street's dashboard (街道看板) ``/street/{street_id}/dashboard?year=``: the year's
figures as large numbers, the charts (:mod:`service.figures.charts`), the tables by
community and by grid, and the link to the XLSX workbook. Street staff of that street and
admins; the year is this year in the street's zone unless one is asked for. The board's
community page shows the community's own figures (:func:`board_figures`)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from service.deps import DB
from service.figures.charts import dashboard_charts
from service.figures.controllers import year_or_now
from service.figures.counting import community_area, counted, street_area
from service.figures.periods import FIRST_YEAR, LAST_YEAR, current_year
from service.figures.schemas import Figures
from service.streets import STREET_OFFICE
from service.web.forms import whole
from service.web.render import language_of, page


async def board_figures(
    db: AsyncSession, community_id: int, lang: str
) -> tuple[Figures, dict[str, Markup]]:
    """The community's figures this year and their charts, for its public board page:
    counts only, as the figures are (no resident is named in them)."""
    area = await community_area(db, community_id)
    made = await counted(db, area, current_year(area.zone))
    return made.figures, dashboard_charts(made.figures, made.kind_months, lang)


class FiguresPagesController(Controller):
    path = "/street"
    tags = ["pages"]
    include_in_schema = False

    @get("/{street_id:int}/dashboard", opt=STREET_OFFICE)
    async def dashboard(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        street_id: FromPath[int],
        year: FromQuery[str] = "",
    ) -> Template:
        """The street's figures for a year (``?year=2026``), charts and tables."""
        area = await street_area(db, street_id)
        asked = whole(year, "year", least=FIRST_YEAR, most=LAST_YEAR)
        made = await counted(db, area, year_or_now(asked, area.zone))
        shown = made.figures
        return page(
            request,
            "street/dashboard.html",
            figures=shown,
            charts=dashboard_charts(shown, made.kind_months, language_of(request)),
            years=list(range(current_year(area.zone), FIRST_YEAR - 1, -1))[:10],
            workbook=f"/api/v1/streets/{street_id}/figures.xlsx?year={shown.year}",
        )
