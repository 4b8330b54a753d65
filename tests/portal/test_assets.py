"""No asset comes from a CDN (DESIGN §5): the vendored files exist and every template points at them."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# A <script>, <link> or <img> whose src/href leaves the site: http(s)://… or protocol-relative //…
EXTERNAL = re.compile(r"<(?:script|link|img)\b[^>]*\b(?:src|href|srcset)\s*=\s*[\"']?\s*(?:https?:)?//", re.I)

VENDORED = [
    "vendor/bootstrap/css/bootstrap.min.css",
    "vendor/bootstrap/js/bootstrap.bundle.min.js",
    "vendor/bootstrap/LICENSE",
    "vendor/htmx/htmx.min.js",
    "vendor/htmx/LICENSE",
    "vendor/README.md",
]


def test_pattern_catches_external_assets():
    assert EXTERNAL.search('<script src="https://cdn.jsdelivr.net/npm/htmx.org"></script>')
    assert EXTERNAL.search("<link rel='stylesheet' href='//cdn.example/b.css'>")
    assert EXTERNAL.search('<img class="logo" src=http://example.org/a.png>')
    assert not EXTERNAL.search('<link rel="stylesheet" href="/static/vendor/bootstrap/css/bootstrap.min.css">')
    assert not EXTERNAL.search('<a href="https://example.org">a link is not an asset</a>')


def test_no_template_loads_an_external_asset():
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert len(templates) >= 5
    offenders = [str(p.relative_to(TEMPLATES)) for p in templates if EXTERNAL.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


@pytest.mark.parametrize("path", VENDORED)
def test_vendored_file_is_served_by_staticfiles(path):
    found = finders.find(path)
    assert found, path
    assert Path(found).stat().st_size > 0


def test_vendor_readme_names_versions_and_origin():
    readme = finders.find("vendor/README.md")
    text = Path(readme).read_text(encoding="utf-8")
    assert "5.3.9" in text and "2.0.11" in text and "npm" in text


@pytest.mark.django_db
def test_shell_references_the_vendored_assets(client):
    html = client.get("/").content.decode()
    for asset in ("vendor/bootstrap/css/bootstrap.min.css", "vendor/htmx/htmx.min.js",
                  "vendor/bootstrap/js/bootstrap.bundle.min.js"):
        assert f'{settings.STATIC_URL}{asset}' in html or f"/{settings.STATIC_URL}{asset}" in html
    assert not EXTERNAL.search(html)
