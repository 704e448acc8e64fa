"""The schema page at ``/api/v1/schema``: a plain page served from the package that links
the JSON document and loads nothing — no script, style, font or image, from anywhere (it
loaded a documentation UI's scripts and fonts from a CDN with no integrity check). No page
the service serves loads anything from another origin: their policies allow this site only,
and the templates and static files name no other."""

from __future__ import annotations

import re
from typing import Any

import pytest

from service.headers import API_HEADERS, PAGE_HEADERS
from service.web.render import STATIC, TEMPLATES

ELSEWHERE = re.compile(r"(?:https?:)?//[\w.-]+", re.IGNORECASE)
"""An address on another host (``http://``, ``https://`` or scheme-relative ``//``)."""
LOADING = re.compile(r"<\s*(script|link|style|img|iframe|object|embed|font)\b", re.IGNORECASE)


async def test_the_schema_page_links_the_document_and_loads_nothing(client: Any) -> None:
    page = await client.get("/api/v1/schema")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert 'href="/api/v1/schema/openapi.json"' in html
    assert html.index("接口文档") < html.index("API document")  # Chinese first
    assert not LOADING.search(html), LOADING.search(html)
    assert not ELSEWHERE.search(html), ELSEWHERE.search(html)
    assert page.headers["content-security-policy"] == API_HEADERS["Content-Security-Policy"]
    assert "default-src 'none'" in page.headers["content-security-policy"]


async def test_the_document_stays_available(client: Any) -> None:
    served = await client.get("/api/v1/schema/openapi.json")
    assert served.status_code == 200
    assert served.json()["openapi"].startswith("3.1")


@pytest.mark.parametrize("ui", ["swagger", "redoc", "elements", "rapidoc", "scalar"])
async def test_no_documentation_ui_is_served(client: Any, ui: str) -> None:
    page = await client.get(f"/api/v1/schema/{ui}")
    assert page.status_code == 404
    assert not ELSEWHERE.search(page.text)
    assert not LOADING.search(page.text)


@pytest.mark.parametrize("policy", [API_HEADERS, PAGE_HEADERS], ids=["api", "pages"])
def test_no_policy_lets_anything_in_from_elsewhere(policy: Any) -> None:
    for directive in policy["Content-Security-Policy"].split(";"):
        sources = directive.split()[1:]
        assert set(sources) <= {"'self'", "'none'", "data:"}, directive


def test_no_template_or_static_file_names_another_host() -> None:
    files = [*TEMPLATES.rglob("*.html"), *STATIC.rglob("*")]
    assert files
    for path in files:
        if path.is_file():
            found = ELSEWHERE.search(path.read_text(encoding="utf-8"))
            assert found is None, f"{path}: {found}"
