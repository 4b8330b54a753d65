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
        _read_permission_keys()


def _read_permission_keys():
    # Read here, once, as a running server reads them at its first hand-off: no test's query count depends on
    # whether it is the first of its process to meet a hand-off.
    from agencies.access import _permission_keys

    _permission_keys.cache_clear()
    _permission_keys()


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Scopes are cached per catalog version; a test that edits a duty must not leak into the next. Rendered
    # fragments (base.html, the complaint form) are kept per process: a test that renames a district must not either.
    from django.core.cache import caches

    from agencies.access import forget_memos
    from agencies.calendar import forget_snapshot

    cache.clear()
    caches["fragments"].clear()
    forget_memos()
    forget_snapshot()
    yield
    cache.clear()
    caches["fragments"].clear()
    forget_memos()
    forget_snapshot()


@pytest.fixture(autouse=True)
def _broker_not_paused():
    # A test that stops the broker trips this process's publish pause (agencies.broker): not the next test's.
    from agencies.broker import resume

    yield
    resume()


_REBUILD_AFTER = pytest.StashKey[object]()


def build_reference_and_demo():
    from agencies.reference import load_reference
    from portal.demo import build_demo_city

    load_reference()
    build_demo_city()


@pytest.fixture
def rebuild_demo_after(request, django_db_blocker):
    """For transactional tests (live_server, a real Celery worker): their flush empties every table, reference
    data and demo city included. The flush is pytest-django's own teardown and may run after this fixture's,
    so the rebuild happens in the teardown hook below, once every fixture of the test is torn down."""
    request.node.stash[_REBUILD_AFTER] = django_db_blocker
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    yield  # every fixture of the item has been torn down now, the transactional flush included
    blocker = item.stash.get(_REBUILD_AFTER, None)
    if blocker is not None and nextitem is not None:  # after the last test the database is going away anyway
        with blocker.unblock():
            build_reference_and_demo()
            _read_permission_keys()  # the rebuilt permission table may have new ids


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


# Here, not in tests/api/conftest.py: under pytest-xdist the controlling process, which prints the summary, never
# collects and so never loads a sub-directory's conftest.
def pytest_terminal_summary(terminalreporter):
    """The fuzzing figures (tests/api/fuzz.py): per role, the operations and cases tried and the failures."""
    roles = {}
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "when", None) != "call":
                continue
            for name, stats in getattr(report, "user_properties", []):
                if name == "fuzz" and "role" in stats:
                    row = roles.setdefault(stats["role"], {"operations": 0, "cases": 0, "failures": 0})
                    row["operations"] += 1
                    row["cases"] += stats["cases"]
                    row["failures"] += outcome == "failed"
    if roles:
        terminalreporter.section("API fuzzing (schemathesis)")
        for role, row in sorted(roles.items()):
            terminalreporter.line(f"{role:>14}: {row['operations']} operations, {row['cases']} cases, "
                                  f"{row['failures']} failed")
