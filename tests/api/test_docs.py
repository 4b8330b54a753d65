"""The OpenAPI schema and its docs pages: valid without warnings, and loadable with no internet (DESIGN §5)."""

import io
from html.parser import HTMLParser
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from agencies.choices import Action

pytestmark = pytest.mark.django_db

DOC_PAGES = ["/api/docs/", "/api/redoc/"]


class AssetCollector(HTMLParser):
    """Every URL the page makes the browser fetch: scripts, stylesheets, icons, images, frames."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for attr in ("src", "href"):
            if attrs.get(attr) and tag in ("script", "link", "img", "iframe", "source"):
                self.urls.append((tag, attrs[attr]))


@pytest.mark.parametrize("url", DOC_PAGES)
def test_docs_page_loads_only_local_assets(url):
    response = APIClient().get(url)
    assert response.status_code == 200
    html = response.content.decode()
    collector = AssetCollector()
    collector.feed(html)
    scripts = [u for tag, u in collector.urls if tag == "script"]
    assert scripts, "the page must load its UI bundle"
    for tag, asset in collector.urls:
        parsed = urlparse(asset)
        assert not parsed.scheme and not parsed.netloc, f"{url}: <{tag}> loads {asset} from another host"
        # …and the file is really here: served from static (drf-spectacular-sidecar), not a dangling link.
        assert parsed.path.startswith(settings.STATIC_URL if settings.STATIC_URL.startswith("/")
                                      else "/" + settings.STATIC_URL), asset
        relative = parsed.path.split(settings.STATIC_URL, 1)[1]
        assert finders.find(relative), f"{asset} is not among the static files"
    # No absolute URL anywhere in the page: no preconnect, no font, no inline fetch to a CDN.
    assert "http://" not in html and "https://" not in html, url


def test_swagger_ui_does_not_call_the_online_validator():
    html = APIClient().get("/api/docs/").content.decode()
    # Swagger UI defaults validatorUrl to validator.swagger.io; null switches the badge and its request off.
    assert '"validatorUrl": null' in html
    assert "/api/schema/" in html


def test_schema_generates_without_warnings_and_validates(tmp_path):
    GENERATOR_STATS.reset()  # warnings are counted process-wide; count only this generation's
    target = tmp_path / "schema.yaml"
    err = io.StringIO()
    try:
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target), stderr=err)
    except Exception as exc:  # re-raised with the warnings drf-spectacular printed
        raise AssertionError(f"schema has warnings or errors:\n{err.getvalue()}") from exc
    assert target.stat().st_size > 1000
    assert "Warning" not in err.getvalue() and "Error" not in err.getvalue(), err.getvalue()


def test_served_schema_is_valid_and_states_the_contract():
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    paths, components = schema["paths"], schema["components"]["schemas"]

    assert {"/api/v1/auth/token/", "/api/v1/regions/", "/api/v1/regions/{id}/", "/api/v1/departments/",
            "/api/v1/domains/", "/api/v1/duties/", "/api/v1/institutions/", "/api/v1/findings/",
            "/api/v1/findings/{id}/explain/", "/api/v1/public/duties/", "/api/v1/public/domains/"} <= set(paths)
    # Every regulated record: `institution` an id, `domain` a code; an institution's `region` an id.
    assert components["Finding"]["properties"]["institution"]["type"] == "integer"
    assert components["Finding"]["properties"]["domain"]["type"] == "string"
    assert components["Institution"]["properties"]["region"]["type"] == "integer"
    assert components["Region"]["properties"]["parent"]["type"] == "integer"
    # The token answer and the `action` parameter are typed, not opaque.
    token = paths["/api/v1/auth/token/"]["post"]
    assert token["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Token")
    assert "400" in token["responses"]
    for path in ("/api/v1/findings/", "/api/v1/institutions/"):
        params = {p["name"]: p for p in paths[path]["get"]["parameters"]}
        assert set(params["action"]["schema"]["enum"]) == {*Action.values, ""}  # empty: the default, `view`
        assert "page_size" in params
    duty_params = {p["name"] for p in paths["/api/v1/duties/"]["get"]["parameters"]}
    assert {"department_kind", "domain", "source_seed", "action", "q"} <= duty_params
    # Public operations may be called anonymously; staff ones may not.
    assert {} in paths["/api/v1/public/duties/"]["get"]["security"]
    assert {} not in paths["/api/v1/duties/"]["get"]["security"]
