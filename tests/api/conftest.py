"""Helpers for the API tests: token-authenticated clients, walking every page of a list, and the fixtures and
figures of the fuzzing (fuzz.py)."""

import pytest
from django.conf import settings
from django.core import signals
from django.db import close_old_connections
from rest_framework.test import APIClient


@pytest.fixture
def token_api(db):
    """token_api("fire_heping") → a client that got its token from /api/v1/auth/token/ like a partner system."""

    def _client(username):
        response = APIClient().post("/api/v1/auth/token/", {"username": username, "password": settings.DEMO_PASSWORD})
        assert response.status_code == 200, response.content
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
        return client

    return _client


def fetch_all(client, url, params=None) -> list[dict]:
    """Every row of a paginated list, following `next` (a bounded walk, so a broken link cannot loop)."""
    response = client.get(url, {**(params or {}), "page_size": 200})
    assert response.status_code == 200, response.content
    body = response.json()
    rows = list(body["results"])
    for _ in range(100):
        if not body["next"]:
            break
        response = client.get(body["next"])
        assert response.status_code == 200, response.content
        body = response.json()
        rows += body["results"]
    else:
        raise AssertionError(f"{url}: more than 100 pages")
    assert len(rows) == body["count"], f"{url}: {len(rows)} rows walked, count says {body['count']}"
    return rows



@pytest.fixture
def in_process(db):
    """Requests through the WSGI app share the test's connection and its transaction.

    Django's handler closes the connection at every request's end (close_old_connections); inside the test
    transaction that would abort it. Django's own test client disconnects the same receiver.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_stats(record_property):
    """How many cases this item (one operation, one role) sent; the terminal summary adds them up per role."""
    stats = {"cases": 0}
    record_property("fuzz", stats)  # serialized with the report, after the last case
    return stats
