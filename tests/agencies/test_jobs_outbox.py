"""Background jobs owe their start through the shared outbox (agencies.jobs + agencies.outbox): a job started
while the broker is unreachable is committed, the request that started it answers, and the sweep runs it once the
broker is back — once, however often its start is delivered."""

import datetime as dt
import time

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from agencies import jobs
from agencies.broker import resume
from agencies.choices import OutboxState
from agencies.models import AuditEvent, BackgroundJob, OutboxMessage
from agencies.outbox import OutboxDeliveryError, outbox_deliver, outbox_sweep
from credit.tasks import RECOMPUTE_JOB_KIND, recompute_all_job
from institutions.models import Institution
from portal.celery import app
from tests.portal.test_jobs import _counting_task

pytestmark = pytest.mark.django_db
UNREACHABLE = "redis://127.0.0.1:1/0"


def _reset_pools():
    # Not force_close_all(): kombu's global registry keeps that pool for the next test using the same URL.
    app._pool = None
    app.amqp._producer_pool = None


class broker_down:
    """This process publishes for real, to an address where nothing answers (Redis stopped)."""

    keys = ("task_always_eager", "broker_url", "broker_connection_timeout", "broker_connection_retry",
            "broker_connection_max_retries")

    def __enter__(self):
        self.saved = {key: app.conf[key] for key in self.keys}
        app.conf.update(task_always_eager=False, broker_url=UNREACHABLE, broker_connection_timeout=1,
                        broker_connection_retry=False, broker_connection_max_retries=0)
        _reset_pools()

    def __exit__(self, *exc):
        app.conf.update(**self.saved)
        _reset_pools()
        resume()  # the broker is back: forget this process's publish pause


def job_done_events(job) -> int:
    return AuditEvent.objects.filter(verb="job.done", object_type="agencies.backgroundjob",
                                     object_id=str(job.pk)).count()


def test_a_job_started_while_the_broker_is_down_is_committed_and_run_once_by_the_sweep(
        client, users, django_capture_on_commit_callbacks):
    client.force_login(users["civil_city"])
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("credit-recompute-all"))
    job = BackgroundJob.objects.get(kind=RECOMPUTE_JOB_KIND)
    assert response.status_code == 302 and response["Location"] == reverse("job-detail", args=[job.pk])
    message = OutboxMessage.objects.get(key=f"job:{job.pk}")
    assert job.state == "queued"
    assert (message.state, message.attempts, message.task) == (OutboxState.PENDING, 0,
                                                               "agencies.tasks.start_background_job")
    assert client.get(response["Location"]).status_code == 200  # the owner watches it wait

    # The broker is back: beat's sweep delivers the start, and the job runs.
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_sweep()["sent"] >= 1
    job.refresh_from_db()
    message.refresh_from_db()
    operating = Institution.objects.exclude(status="closed").count()
    assert (job.state, job.done, job.total) == ("done", operating, operating)
    assert (message.state, message.attempts, message.last_error) == (OutboxState.SENT, 1, "")
    assert job_done_events(job) == 1

    # Delivered again (the sweep, a redelivered message, the job's own task redelivered): nothing runs twice.
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_deliver(message.pk) == "done"
        assert outbox_sweep()["sent"] == 0
        assert recompute_all_job.apply(args=[job.pk]).get() is None
    assert job_done_events(job) == 1


def test_a_broker_that_refuses_the_jobs_task_leaves_the_start_owed_with_backoff(
        users, settings, django_capture_on_commit_callbacks):
    settings.OUTBOX_BACKOFF_SECONDS = 30
    with transaction.atomic():  # the test's transaction: its on_commit dispatch does not run
        job = jobs.job_create(users["civil_heping"], "test", "十步", _counting_task)
    message = OutboxMessage.objects.get(key=f"job:{job.pk}")
    before = timezone.now()
    with broker_down(), pytest.raises(OutboxDeliveryError):
        outbox_deliver(message.pk)  # the worker delivering the start cannot publish the job's own task
    message.refresh_from_db()
    job.refresh_from_db()
    assert message.state == OutboxState.PENDING and message.attempts == 1 and message.last_error
    assert message.next_attempt_at >= before + dt.timedelta(seconds=30)
    assert job.state == "queued"

    later = timezone.now() + dt.timedelta(seconds=31)
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_sweep(later)["sent"] >= 1
    job.refresh_from_db()
    message.refresh_from_db()
    assert (job.state, job.done, job.message) == ("done", 10, "完成")
    assert (message.state, message.attempts, message.last_error) == (OutboxState.SENT, 2, "")


def test_the_start_is_not_published_again_for_a_job_a_worker_has_taken(users, django_capture_on_commit_callbacks):
    """A delivery that published the job's task and died before its commit is delivered again: the job must not
    be started a second time beside the first."""
    with transaction.atomic():
        job = jobs.job_create(users["civil_heping"], "test", "十步", _counting_task)
    message = OutboxMessage.objects.get(key=f"job:{job.pk}")
    jobs.job_start(job.pk)  # a worker has it
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert outbox_deliver(message.pk) == "sent"
    assert callbacks == []  # nothing published
    job.refresh_from_db()
    assert job.state == "running" and job.done == 0


def test_a_second_run_while_the_job_runs_in_another_worker_does_nothing(users):
    if connection.vendor != "postgresql":
        pytest.skip("the run-once lock is PostgreSQL's (elsewhere one process runs every job)")
    from tests.faults import raw_connection

    job = BackgroundJob.objects.create(owner=users["civil_heping"], kind="test", title="十步")
    other = raw_connection()  # another worker's connection, running the job
    other.autocommit = True
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [jobs.LOCK_NAMESPACE, job.pk])
        _counting_task.apply(args=[job.pk])  # the broker's second copy of the task
        job.refresh_from_db()
        assert job.state == "queued" and job.done == 0  # it did nothing
    finally:
        other.close()  # that worker dies: its lock goes with its connection (once its backend has exited)
    held = ("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND objid = %s "
            "AND pid <> pg_backend_pid()")
    deadline = time.monotonic() + 10
    with connection.cursor() as cursor:
        while True:
            cursor.execute(held, [jobs.LOCK_NAMESPACE, job.pk])
            if not cursor.fetchone()[0]:
                break
            assert time.monotonic() < deadline, "the closed connection's backend still holds the lock"
            time.sleep(0.05)
    _counting_task.apply(args=[job.pk])
    job.refresh_from_db()
    assert (job.state, job.done) == ("done", 10)
    with connection.cursor() as cursor:  # and this run let go of its own lock
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND objid = %s "
                       "AND pid = pg_backend_pid()", [jobs.LOCK_NAMESPACE, job.pk])
        assert cursor.fetchone()[0] == 0


def _handed_over(job, minutes_ago: int, state=OutboxState.SENT, error=""):
    """The job's start was delivered (or given up on) that long ago, and nothing has run it since."""
    when = timezone.now() - dt.timedelta(minutes=minutes_ago)
    BackgroundJob.objects.filter(pk=job.pk).update(created_at=when)
    OutboxMessage.objects.filter(key=f"job:{job.pk}").update(state=state, attempts=1, last_error=error,
                                                           sent_at=when if state == OutboxState.SENT else None)


def test_a_job_whose_task_the_broker_lost_is_published_again_by_the_jobs_sweep(
        users, settings, django_capture_on_commit_callbacks):
    """Redis restarted without persistence after it took the job's task: the job would stay queued forever."""
    settings.JOB_REQUEUE_MINUTES = 10
    with transaction.atomic():
        job = jobs.job_create(users["civil_heping"], "test", "十步", _counting_task)
        recent = jobs.job_create(users["civil_heping"], "test", "刚交给队列", _counting_task)
    _handed_over(job, 11)
    _handed_over(recent, 2)  # maybe only waiting for a free worker: left alone
    assert jobs.jobs_sweep()["requeued"] == 1
    job.refresh_from_db()
    recent.refresh_from_db()
    assert (job.state, job.done, job.message) == ("done", 10, "完成") and recent.state == "queued"
    assert jobs.jobs_sweep()["requeued"] == 0  # done: nothing more
    assert job_done_events(job) == 1


def test_a_job_whose_start_the_outbox_gave_up_on_ends_failed_for_its_owner(users, settings, client):
    settings.JOB_REQUEUE_MINUTES = 10
    with transaction.atomic():
        job = jobs.job_create(users["civil_heping"], "test", "十步", _counting_task)
    _handed_over(job, 11, state=OutboxState.FAILED, error="OperationalError: Error 111 connecting to redis")
    assert jobs.jobs_sweep() == {"requeued": 0, "failed": 1, "unpublished": 0}
    job.refresh_from_db()
    assert job.state == "failed" and "Error 111 connecting to redis" in job.message
    client.force_login(users["civil_heping"])
    assert "任务未能启动" in client.get(reverse("job-detail", args=[job.pk])).content.decode()
    assert jobs.jobs_sweep()["failed"] == 0
