"""Serving the document under ``/api/v1/schema``: ``openapi.json`` (the finished document,
:func:`service.openapi.document.finish`) and, at the root, a plain page that links it.

No documentation UI is served: litestar's load their scripts and fonts from a CDN, with
no integrity check, and bundling one would put a large third-party script into the
package for a page few people open. The page loads nothing at all (the API's
``Content-Security-Policy: default-src 'none'`` says so, :mod:`service.headers`); any
OpenAPI tool opens the JSON document.
"""

from __future__ import annotations

from html import escape
from typing import Any

import msgspec
from litestar import Litestar, Request
from litestar.enums import MediaType, OpenAPIMediaType
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import OpenAPIRenderPlugin

from service.auth.guard import SCHEMA_PATH
from service.i18n import LANGUAGES, text
from service.openapi.document import finish


def document(app: Litestar) -> dict[str, Any]:
    """The document ``app`` serves at ``openapi.json`` (made afresh)."""
    return finish(app.openapi_schema.to_schema(), app)


class ServedDocument(OpenAPIRenderPlugin):
    """``openapi.json``: the finished document, made once per app."""

    def __init__(self) -> None:
        super().__init__(path="/openapi.json", media_type=OpenAPIMediaType.OPENAPI_JSON)
        self._served: bytes | None = None

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        if self._served is None:
            self._served = msgspec.json.encode(finish(openapi_schema, request.app))
        return self._served


class SchemaPage(OpenAPIRenderPlugin):
    """The page at the schema's root: what the document is, and a link to it (Chinese
    first, then English); no script, no style, nothing from anywhere."""

    def __init__(self) -> None:
        super().__init__(path="/", media_type=MediaType.HTML)

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        link = escape(self.get_openapi_json_route(request))
        sections = "".join(
            f'<section lang="{lang}"><h1>{escape(text(lang, "api.page.heading"))}</h1>'
            f"<p>{escape(text(lang, 'api.page.intro'))}</p>"
            f'<p><a href="{link}">{escape(text(lang, "api.page.link"))}</a></p></section>'
            for lang in LANGUAGES
        )
        title = escape(text("zh", "api.title"))
        return (
            '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title}</title></head><body>{sections}</body></html>"
        ).encode()


def openapi_config() -> OpenAPIConfig:
    """The app's OpenAPI configuration: the document and the page, nothing else."""
    return OpenAPIConfig(
        title=f"{text('zh', 'api.title')} / {text('en', 'api.title')}",
        version="1",
        path=SCHEMA_PATH,
        render_plugins=[SchemaPage(), ServedDocument()],
    )
