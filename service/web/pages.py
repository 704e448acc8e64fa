"""The page routes for :func:`service.app.create_app`: the controllers of every screen,
the static files, the template engine and cross-site request forgery protection for the
forms (the API under ``/api`` has its own rule, :mod:`service.auth.cross_site`, which takes
the same form token)."""

from __future__ import annotations

from typing import Any, Final

from litestar import Request, Response, Router
from litestar.config.csrf import CSRFConfig
from litestar.exceptions import PermissionDeniedException
from litestar.static_files import create_static_files_router

from service.auth.cross_site import FORM_COOKIE, FORM_HEADER, form_secret
from service.auth.guard import roles
from service.errors import handle_error
from service.web.board import BoardController
from service.web.console import ConsoleController
from service.web.figures_pages import FiguresPagesController
from service.web.kiosk import KioskController
from service.web.meeting import MeetingController
from service.web.meeting_pages import MeetingPagesController
from service.web.options import OptionsController
from service.web.paper import PaperPagesController
from service.web.phone import PhoneController
from service.web.phone_console import PhoneConsoleController
from service.web.poster import PosterController
from service.web.render import PAGE_ERRORS, STATIC, error_page, template_config
from service.web.request_pages import RequestPagesController
from service.web.reveal import RevealController
from service.web.roll_pages import RollPagesController
from service.web.secretary import SecretaryController
from service.web.slips import SlipsController
from service.web.street_pages import StreetPagesController
from service.web.team_pages import TeamPagesController
from service.web.tie_pages import TiePagesController

API_PREFIX: Final = "/api/"

__all__ = ["PAGES", "csrf_config", "csrf_refused", "template_config"]


PAGES: Final = [
    Router(
        path="/",
        route_handlers=[
            BoardController,
            ConsoleController,
            MeetingController,
            MeetingPagesController,
            OptionsController,
            PaperPagesController,
            PosterController,
            RevealController,
            KioskController,
            PhoneController,
            PhoneConsoleController,
            SecretaryController,
            SlipsController,
            RollPagesController,
            TeamPagesController,
            FiguresPagesController,
            RequestPagesController,
            StreetPagesController,
            TiePagesController,
        ],
        exception_handlers=PAGE_ERRORS,
        include_in_schema=False,
    ),
    create_static_files_router(
        path="/static",
        directories=[STATIC],
        opt=roles("public"),
        name="static",  # headers: service.headers
    ),
]
"""Every page router, for the app's route handlers."""


def csrf_config(secret_key: str) -> CSRFConfig:
    """Forms and the tablet's calls carry a token matching an HttpOnly cookie; the API is
    excluded here (bearer tokens need no form token; the role guard asks it of changes made
    with the session cookie, :mod:`service.auth.cross_site`)."""
    return CSRFConfig(
        secret=form_secret(secret_key),
        cookie_name=FORM_COOKIE,
        header_name=FORM_HEADER,
        cookie_httponly=True,
        cookie_samesite="strict",
        exclude=["^/api/", "^/static/"],
    )


def csrf_refused(request: Request[Any, Any, Any], exc: PermissionDeniedException) -> Response[Any]:
    """A refused token (or any 403 raised before routing): a page for pages, the API's
    error shape for the API."""
    if request.url.path.startswith(API_PREFIX):
        return handle_error(request, exc)
    return error_page(request, exc)
