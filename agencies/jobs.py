"""Background jobs with progress: the one mechanism every long piece of work uses (imports, exports, the draw's
follow-up, bulk recomputes).

A view calls `job_create(...)`: the job row is written and, in the same transaction, an outbox message
(agencies.outbox) that owes the job's start. Delivered after commit — or by the outbox sweep when the broker was
down, so a started job is never lost and the request that started it never fails on the broker — the message
hands the job's own Celery task to the broker (`job_dispatch`), with the job id as its first argument. The job
itself does not run inside the delivery's transaction and row lock: a long import or export would hold both for
minutes and report no progress to the row. The task wraps its work in `running_job(job_id)`, which moves the job
to running, hands the work a `JobReporter` to call as it goes (`progress(done, total)`), and ends the job as done —
or as failed with the error, whatever the work raised. The owner watches `/jobs/<id>/`, may leave and come back.

Progress is written twice: to the cache at once, and to the row when the worker is not inside a transaction.
Work that runs in one long transaction (the all-or-nothing import) would otherwise report progress that no
other connection can read until it commits; the cache (Redis in production, shared by web and workers) shows
it live, the row keeps it when the cache is gone.

Run once: the job's task may be published twice (a delivery that published it and died before its commit is
delivered again) and the broker gives a task whose worker died to another worker (acks_late). `running_job`
therefore claims the job with a PostgreSQL session lock before it starts it: a second run of a job that is still
running elsewhere does nothing, a job whose worker died (its connection, and so the lock, gone) runs again, and
a finished job is not started again (`job_start`).

Not lost after the hand-over either: a Redis restarted without persistence loses the job's task it had accepted.
`jobs_sweep` (beat, every JOB_REQUEUE_MINUTES) publishes again the task of a job still queued that long after its
start was delivered (a copy of a job that was only waiting for a free worker runs once anyway), and ends as failed
a job whose start the outbox gave up on, so its owner is not left watching a bar that never moves.
"""

import datetime as dt
import logging
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import audit_record
from .choices import JOB_TRANSITIONS, JobState, OutboxState
from .models import BackgroundJob, OutboxMessage

logger = logging.getLogger(__name__)
PROGRESS_TTL = 24 * 3600
START_TASK = "agencies.tasks.start_background_job"
LOCK_NAMESPACE = 20_260_707  # the first key of this module's advisory locks (the job id is the second)


def progress_key(job_id: int) -> str:
    return f"jobs:progress:{job_id}"


def _transition(job: BackgroundJob, target: str) -> None:
    if target not in JOB_TRANSITIONS[JobState(job.state)]:
        raise ValidationError({"state": _("任务不能从“%(from)s”变为“%(to)s”。") % {
            "from": job.get_state_display(), "to": JobState(target).label}})
    job.state = target


def job_create(owner, kind: str, title: str, task, *args, total: int = 0) -> BackgroundJob:
    """A queued job; `task(job.pk, *args)` is owed through the outbox in the caller's transaction (ids only) and
    runs in a worker after the commit — once the broker takes it, however long it is away."""
    from .outbox import outbox_add

    name = task if isinstance(task, str) else task.name
    with transaction.atomic():
        job = BackgroundJob.objects.create(owner=owner, kind=kind, title=str(title), total=total)
        audit_record(owner, "job.create", job, after={"kind": kind, "title": str(title)})
        outbox_add(START_TASK, job.pk, name, *args, key=f"job:{job.pk}")
    return job


def job_dispatch(job_id: int, task_name: str, *args) -> bool:
    """The outbox's delivery of a job's start: publish `task_name(job_id, *args)`. False when there is nothing to
    start: the job has ended, or a worker has taken it already (a worker that dies mid-job leaves its task to the
    broker's redelivery, not to this). A broker that refuses raises, and the outbox tries again with backoff.

    Eager (no broker: the embedded default, the tests) the job runs after this delivery commits, outside its
    transaction, as it would in a worker."""
    from celery import current_app

    state = BackgroundJob.objects.filter(pk=job_id).values_list("state", flat=True).first()
    if state != JobState.QUEUED:
        return False
    task = current_app.tasks[task_name]
    if task.app.conf.task_always_eager:
        transaction.on_commit(partial(task.apply_async, (job_id, *args)))
    else:
        task.apply_async((job_id, *args))
    return True


def jobs_sweep(now=None, limit: int = 500) -> dict:
    """Jobs still queued JOB_REQUEUE_MINUTES after their start was handed to the broker: publish their task again
    (the broker lost it). Jobs whose start the outbox gave up on: failed, with the reason. Counts by outcome."""
    from celery import current_app

    from .broker import publish

    cutoff = (now or timezone.now()) - dt.timedelta(minutes=settings.JOB_REQUEUE_MINUTES)
    queued = BackgroundJob.objects.filter(state=JobState.QUEUED, created_at__lte=cutoff).order_by("id")
    keys = {f"job:{pk}": pk for pk in queued.values_list("pk", flat=True)[:limit]}
    owed = OutboxMessage.objects.filter(key__in=keys).filter(
        models.Q(state=OutboxState.SENT, sent_at__lte=cutoff) | models.Q(state=OutboxState.FAILED))
    counts = {"requeued": 0, "failed": 0, "unpublished": 0}
    for key, state, args, error in owed.values_list("key", "state", "args", "last_error"):
        job_id = keys[key]
        task = current_app.tasks.get(args[1])
        if task is None:  # renamed or removed since the job was started: it can never run
            state, error = OutboxState.FAILED, f"unknown task {args[1]}"
        if state == OutboxState.FAILED:
            with transaction.atomic():
                if BackgroundJob.objects.select_for_update().filter(pk=job_id, state=JobState.QUEUED).exists():
                    job_fail(job_id, _("任务未能启动：%(error)s") % {"error": error})
                    counts["failed"] += 1
        elif publish(task, job_id, *args[2:]):
            logger.warning("background job %s: still queued after its start was delivered; published again", job_id)
            counts["requeued"] += 1
        else:
            counts["unpublished"] += 1
    return counts


def job_start(job_id: int) -> BackgroundJob | None:
    """queued → running. None when the job has already ended (a redelivered task does nothing twice)."""
    with transaction.atomic():
        job = BackgroundJob.objects.select_for_update().select_related("owner").get(pk=job_id)
        if job.is_finished:
            return None
        if job.state == JobState.RUNNING:  # a worker died mid-way and the broker gave the task to another
            return job
        _transition(job, JobState.RUNNING)
        job.started_at = timezone.now()
        job.save(update_fields=["state", "started_at"])
    return job


def job_progress(job_id: int, done: int, total: int | None = None, message: str | None = None) -> None:
    """Reports how far the work is; cheap enough to call every few hundred rows."""
    current = cache.get(progress_key(job_id)) or {}
    status = {"done": done, "total": total if total is not None else current.get("total", 0),
              "message": message if message is not None else current.get("message", "")}
    cache.set(progress_key(job_id), status, PROGRESS_TTL)
    if not transaction.get_connection().in_atomic_block:
        fields = {"done": done, "total": status["total"]}
        if message is not None:
            fields["message"] = message
        BackgroundJob.objects.filter(pk=job_id, state=JobState.RUNNING).update(**fields)


def job_finish(job_id: int, *, message: str = "", result: dict | None = None, result_url: str = "",
               result_file=None, result_name: str = "") -> BackgroundJob:
    """running → done, with what the work produced (a page, a file — a path or a file object — a report)."""
    with transaction.atomic():
        job = BackgroundJob.objects.select_for_update().get(pk=job_id)
        _transition(job, JobState.DONE)
        live = cache.get(progress_key(job_id)) or {}
        job.total = max(job.total, live.get("total", 0), live.get("done", 0))
        job.done = job.total
        job.message, job.result, job.result_url = message, result or {}, result_url
        job.finished_at = timezone.now()
        if result_file is not None:
            job.result_name = result_name or getattr(result_file, "name", "") or "result"
            job.result_file.save(job.result_name, result_file if isinstance(result_file, File)
                                 else File(result_file), save=False)
        job.save()
        audit_record(job.owner, "job.done", job, after={"kind": job.kind, "total": job.total})
    cache.delete(progress_key(job_id))
    return job


def job_fail(job_id: int, message: str, *, result: dict | None = None) -> BackgroundJob:
    """queued or running → failed, with the error the owner reads. What the work committed before stays."""
    with transaction.atomic():
        job = BackgroundJob.objects.select_for_update().get(pk=job_id)
        _transition(job, JobState.FAILED)
        live = cache.get(progress_key(job_id)) or {}
        job.done = max(job.done, live.get("done", 0))
        job.total = max(job.total, live.get("total", 0))
        job.message, job.result = message[:4000], result or {}
        job.finished_at = timezone.now()
        job.save()
        audit_record(job.owner, "job.failed", job, after={"kind": job.kind, "message": message[:500]})
    cache.delete(progress_key(job_id))
    return job


def live_status(job: BackgroundJob) -> BackgroundJob:
    """The job with the newest progress the worker reported (the cache is ahead of the row mid-transaction)."""
    if job.state == JobState.RUNNING:
        live = cache.get(progress_key(job.pk))
        if live and live.get("done", 0) >= job.done:
            job.done, job.total = live["done"], live.get("total") or job.total
            job.message = live.get("message") or job.message
    return job


@dataclass
class JobReporter:
    """What the work inside `running_job` calls: progress as it goes, and how it ended."""

    job: BackgroundJob
    ended: bool = False

    @property
    def owner(self):
        return self.job.owner

    def progress(self, done: int, total: int | None = None, message: str | None = None) -> None:
        job_progress(self.job.pk, done, total, message)

    def finish(self, **outcome) -> None:
        self.job = job_finish(self.job.pk, **outcome)
        self.ended = True

    def fail(self, message: str, **outcome) -> None:
        self.job = job_fail(self.job.pk, message, **outcome)
        self.ended = True


def _claim(job_id: int) -> bool:
    """This process's session lock on the job, held while it runs (PostgreSQL; elsewhere there is one process)."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, job_id])
        return cursor.fetchone()[0]


def _release(job_id: int) -> None:
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, job_id])
    except Exception:  # the connection is gone, and its lock with it
        logger.warning("background job %s: lock not released (connection lost)", job_id, exc_info=True)


@contextmanager
def running_job(job_id: int):
    """For a Celery task: `with running_job(job_id) as job: ... job.progress(n, total) ...`.

    Yields None (and the task should do nothing) when the job has already ended, or is running in another
    process right now (a second delivery of its task). Any exception the work raises ends the job as failed with
    its message, and is not re-raised: the failure is the job's to show, and a retry would repeat work already
    committed.
    """
    if not _claim(job_id):
        logger.warning("background job %s is running elsewhere; this delivery does nothing", job_id)
        yield None
        return
    try:
        job = job_start(job_id)
        if job is None:
            yield None
            return
        reporter = JobReporter(job)
        try:
            yield reporter
        except Exception as exc:  # every failure must reach the owner's page
            logger.exception("background job %s failed", job_id)
            detail = ("; ".join(exc.messages) if isinstance(exc, ValidationError)
                      else str(exc) or exc.__class__.__name__)
            reporter.fail(_("任务出错：%(error)s") % {"error": detail})
            return
        if not reporter.ended:
            reporter.finish()
    finally:
        _release(job_id)
