"""Settings for the gunicorn that `manage.py bench` drives with wrk: production-shaped (DEBUG off, so no query
log grows in memory), with the per-address complaint limit lifted — every wrk connection comes from
127.0.0.1, which the real limit (5 an hour) would refuse after five submissions."""

from .settings import *  # noqa: F403

DEBUG = False
COMPLAINT_RATE_LIMITS = {"submit": (10**9, 3600), "track": (10**9, 600)}
# Persistent database connections, as the production profile has them (CONN_MAX_AGE 60): the development
# default (0) opens a PostgreSQL connection — a forked backend and its authentication — for every request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)  # noqa: F405
