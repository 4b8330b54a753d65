"""Every staff list page costs the same number of queries for a page of 1 row and a page of 50, at most 12
(issue 9, charter rule 7): any per-row query, or a count that grows with the rows, shows as a difference."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

pytestmark = pytest.mark.django_db

MAX_QUERIES = 12

# (url name, args, module whose PAGE_SIZE pages it, user)
LIST_PAGES = [
    ("finding-list", [], "inspections.views.findings", "civil_city"),
    ("finding-list", [], "inspections.views.findings", "fire_heping"),
    ("complaint-list", [], "complaints.views", "civil_city"),
    ("complaint-list", [], "complaints.views", "admin"),
    ("inspection-list", [], "inspections.views.inspections", "civil_city"),
    ("finding-lists", ["problems"], "inspections.views.rectification", "civil_city"),
    ("finding-verify-queue", [], "inspections.views.rectification", "fire_heping"),
    ("supervised-case-list", [], "inspections.views.supervision", "civil_city"),
    ("suspension-order-list", [], "inspections.views.supervision", "civil_city"),
    ("credit-entry-list", [], "credit.views", "civil_city"),
    ("filing-queue", [], "institutions.views.filings", "civil_heping"),
    ("records-incident-list", [], "institutions.views.records", "civil_heping"),
    ("public-institution-list", [], "institutions.views.directory", None),
]


@pytest.mark.parametrize("url_name, args, module_name, username", LIST_PAGES)
def test_list_page_queries_do_not_grow_with_rows(client, users, monkeypatch, url_name, args, module_name, username):
    import importlib

    module = importlib.import_module(module_name)
    if username is not None:
        client.force_login(users[username])
    url = reverse(url_name, args=args)
    assert client.get(url).status_code == 200  # warms the access context and the template cache
    counts = {}
    for size in (1, 50):
        monkeypatch.setattr(module, "PAGE_SIZE", size)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        counts[size] = len(captured.captured_queries)
    assert counts[1] == counts[50], (url_name, username, counts)
    assert counts[50] <= MAX_QUERIES, (url_name, username, counts,
                                       [q["sql"][:120] for q in captured.captured_queries])


def test_api_lists_too(client, users):
    """The institutions API (the staff-side institutions list) at page_size 1 and 50."""
    client.force_login(users["civil_city"])
    counts = {}
    for size in (1, 50):
        client.get("/api/v1/institutions/", {"page_size": size})
        with CaptureQueriesContext(connection) as captured:
            answer = client.get("/api/v1/institutions/", {"page_size": size})
        assert answer.status_code == 200 and len(answer.json()["results"]) == min(size, answer.json()["count"])
        counts[size] = len(captured.captured_queries)
    assert counts[1] == counts[50] <= MAX_QUERIES, counts
