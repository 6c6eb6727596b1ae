"""/docs works on a network without the internet: the page and every asset it names come from this server."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

HOST = "http://localhost"  # the test client's own host


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def _linked(page: str) -> list[str]:
    parser = _Links()
    parser.feed(page)
    return [urljoin(f"{HOST}/docs", url) for url in parser.urls]


def test_the_docs_page_is_served_without_a_token(client):
    response = client.get("/docs")

    assert response.status_code == 200
    assert response.mimetype == "text/html"


def test_the_docs_page_names_no_url_outside_its_own_host(client):
    page = client.get("/docs").get_data(as_text=True)

    linked = _linked(page)
    assert linked, page
    assert all(urlsplit(url).netloc == urlsplit(HOST).netloc for url in linked), linked
    assert re.findall(r"https?://[^\s\"'<>]+", page) == []


def test_the_docs_page_turns_off_swagger_uis_online_validator(client):
    page = client.get("/docs").get_data(as_text=True)

    assert '"validatorUrl": null' in page


@pytest.mark.parametrize(("name", "mimetype"), [
    ("swagger-ui-bundle.js", "javascript"),
    ("swagger-ui-standalone-preset.js", "javascript"),
    ("swagger-ui.css", "text/css"),
])
def test_each_asset_the_page_names_is_served_without_a_token_with_its_content_type(client, name, mimetype):
    linked = [urlsplit(url).path for url in _linked(client.get("/docs").get_data(as_text=True))]
    path = next(p for p in linked if p.endswith(f"/{name}"))

    response = client.get(path)

    assert response.status_code == 200
    assert mimetype in response.mimetype
    assert len(response.data) > 10_000


def test_every_asset_the_page_names_is_served(client):
    for url in _linked(client.get("/docs").get_data(as_text=True)):
        response = client.get(urlsplit(url).path)
        assert response.status_code == 200, url
        assert response.mimetype in ("text/css", "text/javascript", "application/javascript"), url


def test_the_served_swagger_ui_renders_openapi_3_1(client):
    bundle = client.get("/docs/assets/swagger-ui-bundle.js").get_data(as_text=True)

    assert client.get("/openapi.json").get_json()["openapi"].startswith("3.1")
    assert "OpenAPI 3.1" in bundle or "isOAS31" in bundle  # Swagger UI 4 only knew 3.0.n


def test_a_file_of_the_package_that_the_page_does_not_name_is_a_404(client):
    assert client.get("/docs/assets/index.html").status_code == 404
    assert client.get("/docs/assets/../__init__.py").status_code == 404
