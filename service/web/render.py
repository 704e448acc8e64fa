"""Rendering a page: the language (Chinese unless ``?lang=en`` or the language cookie says
otherwise), the ``t(key, **values)`` label helper bound to it, the security headers every
page carries, redirects, and refusals shown as pages in the reader's language."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from litestar import Request, Response
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.template import TemplateConfig

from engine.process import ProcessPhase, RoundPhase
from service.auth.guard import ANONYMOUS, PUBLIC, SESSION_COOKIE, Actor
from service.errors import ERROR_KINDS, NotSignedIn, refusal_of, sized_refusal
from service.headers import PAGE_HEADERS
from service.i18n import LANGUAGES, text
from service.records.labels import (
    listed,
    method_summary,
    option_help,
    option_name,
    option_value,
    separator,
    yuan_from_cents,
)
from service.rounds.titles import round_title
from service.web.refused import shown_refusal
from service.zones import DEFAULT_ZONE, day, moment, zone, zone_label

HERE: Final = Path(__file__).resolve().parent
TEMPLATES: Final = HERE / "templates"
STATIC: Final = HERE / "static"
LANG_COOKIE: Final = "redbench_lang"
LOGIN: Final = "/console/login"


SECURITY_HEADERS: Final = PAGE_HEADERS
"""The pages' headers (:mod:`service.headers`, which also adds them to any page answer
that lacks them)."""


def language_of(request: Request[Any, Any, Any]) -> str:
    """``?lang=`` if given, else the language cookie, else Chinese."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return str(asked)
    kept = request.cookies.get(LANG_COOKIE)
    return kept if kept in LANGUAGES else "zh"


class Labels:
    """``t(key, **values)`` in templates: the catalogue label in the page's language;
    ``t.round(number, title)``: a round's title (:func:`~service.rounds.titles.round_title`);
    ``t.listed(names)``, ``t.joint(joint)``, ``t.method_summary(method)``: names joined, a
    separator and a method's description; ``t.option_name(name)``,
    ``t.option_value(name, value)``, ``t.option_help(name)``: a counting option's words —
    all as :mod:`service.records.labels` gives them."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, key: str, **values: object) -> str:
        return text(self.lang, key, **values)

    def round(self, number: int, title: str | None) -> str:
        return round_title(number, title, self.lang)

    def listed(self, names: Iterable[str]) -> str:
        return listed(self.lang, names)

    def joint(self, joint: str) -> str:
        return separator(self.lang, joint)

    def method_summary(self, method: str) -> str:
        return method_summary(method, self.lang)

    def option_name(self, name: str) -> str:
        return option_name(name, self.lang)

    def option_value(self, name: str, value: object) -> str:
        return option_value(name, value, self.lang)

    def option_help(self, name: str) -> str:
        return option_help(name, self.lang)


class Zoned:
    """``zoned(time_zone)`` in templates: ``when(at)`` shows a time in the zone, labelled
    (:func:`service.zones.moment`), ``when.day(at)`` its date there."""

    def __init__(self, lang: str, zone_name: str | None) -> None:
        self.lang = lang
        self.zone = zone_name or DEFAULT_ZONE

    def __call__(self, at: datetime | None) -> str:
        return moment(at, self.zone, self.lang)

    def day(self, at: datetime | None) -> str:
        return day(at, self.zone)

    def field(self, at: datetime | None) -> str:
        """The time in the zone as a ``datetime-local`` input takes it (``""`` for none)."""
        return "" if at is None else f"{at.astimezone(zone(self.zone)):%Y-%m-%dT%H:%M}"

    @property
    def label(self) -> str:
        """The zone's name for people (北京时间, or its IANA name)."""
        return zone_label(self.zone, self.lang)


def actor_of(request: Request[Any, Any, Any]) -> Actor:
    actor: Actor = getattr(request.state, "actor", ANONYMOUS)
    return actor


def here_of(request: Request[Any, Any, Any]) -> str:
    """This page's path and query without ``lang``: where the language switch leads."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return request.url.path + ("?" + urlencode(kept) if kept else "")


def page(
    request: Request[Any, Any, Any], template: str, *, status: int = 200, **context: Any
) -> Template:
    """The page ``template`` rendered with ``context``, the labels and the security headers;
    a ``?lang=`` switch is remembered in a cookie."""
    lang = language_of(request)
    here = here_of(request) if request.method == "GET" else context.pop("here", None)
    response = Template(
        template_name=template,
        context={
            "t": Labels(lang),
            "zoned": lambda zone_name: Zoned(lang, zone_name),
            "lang": lang,
            "actor": actor_of(request),
            "here": here,
            **context,
        },
        status_code=status,
        headers=dict(SECURITY_HEADERS),
    )
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=365 * 86400, path="/", httponly=True, samesite="lax"
        )
    return response


def redirect(to: str) -> Redirect:
    """See-other to a path of this site (after a form was handled)."""
    return Redirect(path=to, status_code=303, headers=dict(SECURITY_HEADERS))


def local_path(target: str | None, default: str) -> str:
    """``target`` if it is a path on this site (never another host), else ``default``."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A refusal on a page, as a page with the way forward (:mod:`service.web.refused`): a
    stale sign-in goes to the sign-in form, and from there back to the page the form was
    on (the form's script keeps what was typed)."""
    referer = _referer_path(request)
    if isinstance(exc, NotSignedIn):
        roles = (
            request.route_handler.opt.get("roles", ()) if "route_handler" in request.scope else ()
        )
        after = referer if request.method == "POST" and referer else request.url.path
        target = request.url.path if PUBLIC in roles else f"{LOGIN}?next={quote(after)}"
        response = redirect(target)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response
    refusal = refusal_of(exc, page=True, where=f"page {request.method} {request.url.path}")
    shown = shown_refusal(
        sized_refusal(request, refusal),
        lang=language_of(request),
        role=actor_of(request).role,
        method=request.method,
        path=request.url.path,
        referer=local_path(referer, "") or None,
    )
    return page(request, "error.html", status=shown.status, refused=shown)


def _referer_path(request: Request[Any, Any, Any]) -> str | None:
    """The page the request came from, when it is a page of this site (its path and query);
    a referer from another site is never a way back."""
    referer = request.headers.get("referer", "")
    host = request.headers.get("host", "")
    for scheme in ("http://", "https://"):
        prefix = f"{scheme}{host}"
        if host and referer.startswith(prefix):
            rest = referer[len(prefix) :]
            if rest[:1] in ("", "/", "?", "#"):
                return (rest if rest.startswith("/") else "/" + rest).split("#", 1)[0]
    return None


PAGE_ERRORS: Final[dict[int | type[Exception], Any]] = dict.fromkeys(ERROR_KINDS, error_page)
"""Exception handlers of the page routes: every refusal is shown as a page (the same
exception types as the API's table, so that these win over the app's JSON handlers)."""


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    """Jinja over ``templates/``: autoescaped, and a missing variable is an error."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["yuan_from_cents"] = yuan_from_cents
    environment.globals.update(ProcessPhase=ProcessPhase, RoundPhase=RoundPhase)  # phase tests
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment))
