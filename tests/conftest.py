"""Shared fixtures: the demo city is built once per test session, and each test runs in a rolled-back
transaction on top of it. A handful of named users, as in DESIGN §6."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from portal.demo import build_demo_city

    with django_db_blocker.unblock():
        build_demo_city()


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Scopes are cached per catalog version; a test that edits a duty must not leak into the next.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rebuild_demo_after(django_db_blocker):
    """For transactional tests: their flush empties every table, so put the reference data and demo back."""
    yield
    from agencies.reference import load_reference
    from portal.demo import build_demo_city

    with django_db_blocker.unblock():
        load_reference()
        build_demo_city()


@pytest.fixture
def users(db):
    """users["fire_heping"] → the demo user of that name."""
    User = get_user_model()

    class _Users(dict):
        def __missing__(self, username):
            user = User.objects.get(username=username)
            self[username] = user
            return user

    return _Users()


@pytest.fixture
def api(db):
    """api("fire_heping").get(url) → a DRF client logged in as that demo user (None: anonymous)."""
    from rest_framework.test import APIClient

    User = get_user_model()

    def _client(username=None):
        client = APIClient()
        if username:
            client.force_login(User.objects.get(username=username))
        return client

    return _client


def is_postgres() -> bool:
    return connection.vendor == "postgresql"
