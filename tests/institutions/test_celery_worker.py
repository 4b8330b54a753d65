"""Celery for real: a worker process, started here, takes sync_institution_records from Redis and runs it.

Eager mode proves the task's logic; this proves the production path — serialisation, the broker, the worker's
own Django and database connection, the result backend and the PROGRESS reports on it. CI runs it with
REDIS_URL and DATABASE_URL (PostgreSQL) set; elsewhere it skips with the reason.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from agencies.models import Region
from inspections.models import Finding
from institutions.models import Institution
from institutions.tasks import sync_institution_records
from portal.celery import app
from tests.institutions.test_institution_move import copied_columns, expected_progress, stale_counts

pytestmark = pytest.mark.redis

REDIS_URL = os.environ.get("REDIS_URL", "")
STARTUP_TIMEOUT = 60
RESULT_TIMEOUT = 60


def _redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def _database_url_for_worker() -> str:
    """The test database pytest-django created, as a DATABASE_URL the worker's settings can read."""
    s = connection.settings_dict
    user = quote(s.get("USER") or "", safe="")
    password = f":{quote(s['PASSWORD'], safe='')}" if s.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = s.get("HOST") or "127.0.0.1"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{quote(s['NAME'], safe='')}"


@pytest.fixture
def real_services():
    """REDIS_URL, once Redis answers and the database is one another process can open; else skip, saying why.

    Needs no database itself, so a skip costs neither the transactional flush nor the demo rebuild.
    """
    if not REDIS_URL:
        pytest.skip("needs a real Redis broker: REDIS_URL is not set")
    if not _redis_answers():
        pytest.skip(f"needs a real Redis broker: Redis at {REDIS_URL} does not answer PING")
    if connection.vendor != "postgresql":
        pytest.skip(f"needs a database the worker process can open (the {connection.vendor} test database "
                    "lives in this process's memory); run with DATABASE_URL=postgres://…")
    return REDIS_URL


@pytest.fixture
def celery_worker(real_services, transactional_db):
    """A real `celery worker` on a queue of its own, so that concurrent runs on one Redis never take its tasks.

    transactional_db: the worker sees only committed rows, and the test database exists (and is named) by now.
    """
    redis_url, worker_database = real_services, _database_url_for_worker()
    queue = f"test-sync-{uuid.uuid4().hex[:12]}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "CELERY_TASK_ALWAYS_EAGER": "0",
           "REDIS_URL": redis_url, "CELERY_BROKER_URL": redis_url, "CELERY_RESULT_BACKEND": redis_url,
           "DATABASE_URL": worker_database, "PYTHONUNBUFFERED": "1",
           # A cache of its own: scopes are cached by user id, and other tests' processes (another xdist database,
           # a demo rebuilt since) may have cached one under the same id.
           "CACHE_KEY_PREFIX": queue}
    celery = Path(sys.executable).with_name("celery")
    command = [str(celery), "-A", "portal", "worker", "--pool=solo", "--concurrency=1", "-l", "info",
               "-Q", queue, "-n", f"{queue}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    log = tempfile.NamedTemporaryFile(prefix="celery-worker-", suffix=".log", delete=False)
    proc = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)

    def output() -> str:
        return Path(log.name).read_text(errors="replace")

    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while " ready." not in output():
            if proc.poll() is not None:
                pytest.fail(f"celery worker exited with {proc.returncode} before it was ready:\n{output()}")
            if time.monotonic() > deadline:
                pytest.fail(f"celery worker not ready after {STARTUP_TIMEOUT}s:\n{output()}")
            time.sleep(0.2)
        yield {"queue": queue, "proc": proc, "output": output}
    finally:
        # Stop it before the transactional flush, which must not wait on the worker's connection.
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        # pytest shows this only when the test failed.
        print(f"--- celery worker output ({' '.join(command)}) ---\n{output()}")
        log.close()
        os.unlink(log.name)
        # The queue is this run's alone: leave no list or kombu binding behind in a shared Redis.
        import redis

        with redis.Redis.from_url(redis_url, socket_timeout=5) as client:
            client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")


@pytest.fixture
def publishing_app(real_services):
    """The portal app, publishing to Redis for real for this test only (the test settings make it eager)."""
    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url", "result_backend")}
    app.conf.task_always_eager = False
    app.conf.broker_url = real_services
    app.conf.result_backend = real_services
    try:
        yield app
    finally:
        for key, value in saved.items():
            app.conf[key] = value


def _send_and_wait(task_app, worker, redis_url, institution_id, batch_size):
    """Send the task to the worker's queue; return its result and the states the backend published."""
    import redis
    from celery.backends.redis import RedisBackend

    task_id = str(uuid.uuid4())
    # The Redis result backend publishes every state change on this channel: listen before sending.
    pubsub = redis.Redis.from_url(redis_url, socket_timeout=RESULT_TIMEOUT).pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(f"celery-task-meta-{task_id}")
    # An explicit connection and backend from REDIS_URL: the app's cached pool and backend may predate the test.
    backend = RedisBackend(app=task_app, url=redis_url)
    try:
        with task_app.connection_for_write(redis_url) as conn:
            sync_institution_records.apply_async(args=(institution_id,), kwargs={"batch_size": batch_size},
                                                 queue=worker["queue"], task_id=task_id, connection=conn)
        result = task_app.AsyncResult(task_id, backend=backend)
        try:
            summary = result.get(timeout=RESULT_TIMEOUT)
        except Exception as exc:
            exited = worker["proc"].poll()
            raise AssertionError(f"task {task_id} failed or timed out ({exc!r}); worker exit code {exited}:\n"
                                 f"{worker['output']()}") from exc
        states = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            message = pubsub.get_message(timeout=1)
            if message is None:
                continue
            meta = json.loads(message["data"])
            states.append((meta["status"], meta["result"]))
            if meta["status"] == "SUCCESS":
                break
        result.forget()
        return summary, states
    finally:
        pubsub.close()
        backend.client.close()


def test_a_real_worker_syncs_a_moved_institutions_records(real_services, rebuild_demo_after, celery_worker,
                                                          publishing_app):
    # rebuild_demo_after comes before celery_worker (and its transactional_db) so that it tears down after the flush.
    redis_url = real_services
    institution = Institution.objects.get(name="天津市和平区福寿老年公寓")
    assert Finding.objects.filter(institution=institution).count() > 5
    # Move it and designate it through the model alone, committed, so that nothing but the worker syncs.
    institution.region = Region.objects.get(code="120103")
    institution.medical_insurance_designated = True
    institution.save()
    stale = stale_counts(institution)
    assert stale["inspections.finding"] == Finding.objects.filter(institution=institution).count()

    summary, states = _send_and_wait(publishing_app, celery_worker, redis_url, institution.pk, batch_size=5)

    assert summary["models"] == stale and summary["updated"] == sum(stale.values())
    assert summary["region_code"] == "120103" and summary["facts"] == institution.facts
    assert copied_columns(institution) == {("120103", institution.facts)}
    progress = [(meta["done"], meta["total"]) for status, meta in states if status == "PROGRESS"]
    assert progress == expected_progress({k: v for k, v in stale.items() if v}, 5)
    assert states[-1][0] == "SUCCESS"

    again, _states = _send_and_wait(publishing_app, celery_worker, redis_url, institution.pk, batch_size=5)
    assert again["updated"] == 0
