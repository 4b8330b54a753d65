"""Celery tasks of the outbox (agencies.outbox): one message's delivery, and the sweep that beat runs."""

from celery import shared_task
from django.conf import settings

from .outbox import OutboxDeliveryError, outbox_deliver, outbox_deliver_many, outbox_sweep


# ignore_result: the row is the record of the delivery. Storing a result would also make every publish subscribe to
# (and later unsubscribe from) the result's channel in Redis: two more round trips per queued message.
@shared_task(acks_late=True, ignore_result=True, autoretry_for=(OutboxDeliveryError,),
             max_retries=settings.OUTBOX_MAX_ATTEMPTS, retry_backoff=settings.OUTBOX_BACKOFF_SECONDS,
             retry_backoff_max=settings.OUTBOX_BACKOFF_MAX_SECONDS, retry_jitter=False)
def deliver_outbox_message(message_id: int) -> str:
    """Deliver one outbox message. A failure is retried with exponential backoff; the row counts the attempts
    and stops at OUTBOX_MAX_ATTEMPTS, however the retries arrive (this task's own, or the sweep)."""
    return outbox_deliver(message_id)


@shared_task(acks_late=True, ignore_result=True)
def deliver_outbox_messages(message_ids: list[int]) -> dict:
    """Deliver messages a process published together (agencies.outbox.dispatch); a failed one waits for the sweep."""
    return outbox_deliver_many(message_ids)


@shared_task(acks_late=True)
def sweep_outbox() -> dict:
    """Every minute (beat): what the broker lost, or what failed and is due again, is still in the table."""
    return outbox_sweep()


@shared_task(acks_late=True)
def start_background_job(job_id: int, task_name: str, *args) -> bool:
    """Owed through the outbox by `job_create`: hands the job's own task to the broker (agencies.jobs.job_dispatch).
    Delivered under the outbox row's lock, which a long job must not hold: the job runs in its own task."""
    from .jobs import job_dispatch

    return job_dispatch(job_id, task_name, *args)


@shared_task(acks_late=True)
def sweep_background_jobs() -> dict:
    """Beat, every JOB_REQUEUE_MINUTES: a job whose task the broker lost is published again (agencies.jobs)."""
    from .jobs import jobs_sweep

    return jobs_sweep()
