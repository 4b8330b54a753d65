"""Test settings: the same as production-shaped settings, with eager Celery and fast hashing.

DATABASE_URL and REDIS_URL still choose PostgreSQL and Redis (that is what .ci/run does); the one test that
proves a real Celery worker switches eagerness off for itself.
"""

from .settings import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}, "fragments": CACHES["fragments"]}  # noqa: F405
MEDIA_ROOT = str(BASE_DIR / "var" / "test-uploads")  # noqa: F405
# Tests run without collectstatic: let WhiteNoise look files up per request instead of warning, on every
# request, that STATIC_ROOT does not exist (the development server does the same, DEBUG being on there).
WHITENOISE_AUTOREFRESH = True
# Every test and browser journey logs in with username and password; the second-factor tests switch it on
# for themselves (override_settings).
PORTAL_REQUIRE_2FA = False
# Deliveries are published at once after commit, as each test expects to see them; the outbox's batching has
# tests of its own (tests/agencies/test_outbox.py), and the real workers the fault tests start batch as deployed.
OUTBOX_PUBLISH_BATCH_SECONDS = 0
