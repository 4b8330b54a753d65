"""Fault-injection helpers for the "no lost work" tests: a private Redis the test may stop and start again, real
Celery workers it may kill, and the e-mail those workers send, read back from their file backend.

Nothing here touches the shared Redis or database of other runs: the broker is a redis-server of this test's own
on a free port, without persistence (stopping it loses its queues, as a crashed unpersisted Redis does).
"""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from portal.celery import app

STARTUP_TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """`redis-server` on a free port of its own: start(), stop() (SIGTERM, nothing saved), start() again."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("needs redis-server on PATH to stop and restart a broker of its own")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no", "--loglevel", "warning"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not self.answers():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"private redis-server on port {self.port} did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None

    def answers(self) -> bool:
        import redis

        try:
            with redis.Redis.from_url(self.url, socket_connect_timeout=0.5, socket_timeout=0.5) as client:
                return bool(client.ping())
        except redis.RedisError:
            return False


def database_url_for_worker() -> str:
    from tests.institutions.test_celery_worker import _database_url_for_worker

    return _database_url_for_worker()


class Worker:
    """A real `celery worker` (solo pool: the task runs in the worker process itself, so SIGKILL kills it)."""

    def __init__(self, broker_url: str, mail_dir: Path, **env):
        self.broker_url = broker_url
        self.env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "CELERY_TASK_ALWAYS_EAGER": "0",
                    "CELERY_BROKER_URL": broker_url, "CELERY_RESULT_BACKEND": broker_url,
                    "DATABASE_URL": database_url_for_worker(), "PYTHONUNBUFFERED": "1",
                    "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                    "EMAIL_FILE_PATH": str(mail_dir), **{k: str(v) for k, v in env.items()}}
        self.proc = None
        self.log = None
        self.logs = []

    def start(self) -> Worker:
        name = f"faults-{uuid.uuid4().hex[:8]}"
        celery = Path(sys.executable).with_name("celery")
        command = [str(celery), "-A", "portal", "worker", "--pool=solo", "--concurrency=1", "-l", "info",
                   "-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"]
        self.log = tempfile.NamedTemporaryFile(prefix="celery-faults-", suffix=".log", delete=False)
        self.logs.append(self.log.name)
        self.proc = subprocess.Popen(command, cwd=settings.BASE_DIR, env=self.env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while " ready." not in self.current_output():
            if self.proc.poll() is not None:
                pytest.fail(f"celery worker exited with {self.proc.returncode} before it was ready:\n{self.output()}")
            if time.monotonic() > deadline:
                pytest.fail(f"celery worker not ready after {STARTUP_TIMEOUT}s:\n{self.output()}")
            time.sleep(0.1)
        return self

    def current_output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def output(self) -> str:
        return "\n".join(f"--- {name} ---\n{Path(name).read_text(errors='replace')}" for name in self.logs
                         if Path(name).exists())

    def kill(self) -> None:
        """SIGKILL: no shutdown, no acknowledgement, no message put back."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def cleanup(self) -> None:
        self.stop()
        print(self.output())  # pytest shows it when the test failed
        for name in self.logs:
            Path(name).unlink(missing_ok=True)


def point_app_at(broker_url: str):
    """Make this process's Celery app publish to `broker_url` for real (the test settings make it eager).
    Returns a function that puts everything back."""
    keys = ("task_always_eager", "broker_url", "result_backend")
    saved = {key: app.conf[key] for key in keys}
    app.conf.task_always_eager = False
    app.conf.broker_url = broker_url
    app.conf.result_backend = broker_url
    reset_pools()

    def restore():
        for key, value in saved.items():
            app.conf[key] = value
        reset_pools()

    return restore


def reset_pools() -> None:
    # Not force_close_all(): kombu's global registry keeps that pool for the next test using the same URL.
    app._pool = None
    app.amqp._producer_pool = None


def send(task, broker_url: str, *args):
    """Publish a task to the broker (the way beat does), on a connection of its own. Its result is stored even for a
    task that ignores results (the outbox's delivery): the test reads it."""
    with app.connection_for_write(broker_url) as conn:
        return task.apply_async(args=args, connection=conn, ignore_result=False)


def wait_for(predicate, timeout: float, what: str, worker: Worker | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}" +
                         (f"\n{worker.output()}" if worker else ""))


def mails(mail_dir: Path) -> list[email.message.EmailMessage]:
    """Every message the workers' file backend wrote (one file per connection, messages separated by dashes)."""
    found = []
    for path in sorted(mail_dir.glob("*.log")):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                found.append(email.message_from_bytes(chunk, policy=email.policy.default))
    return found


def raw_connection():
    """A connection of its own to the test database (to hold a lock while a worker waits on it)."""
    import psycopg2

    s = connection.settings_dict
    return psycopg2.connect(dbname=s["NAME"], user=s.get("USER") or None, password=s.get("PASSWORD") or None,
                            host=s.get("HOST") or "127.0.0.1", port=s.get("PORT") or None)


def needs_real_services():
    if connection.vendor != "postgresql":
        pytest.skip(f"needs a database a worker process can open (the {connection.vendor} test database lives in "
                    "this process's memory); run with DATABASE_URL=postgres://…")
