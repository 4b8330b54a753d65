"""The transactional outbox: side effects owed after a commit survive a broker that is down and a worker that dies.

A service calls `outbox_add(task, *ids)` inside its own transaction: the message is a row, committed with the
record that owes it, or not at all. After the commit the row's delivery task is queued (`deliver_outbox_message`;
what a process owes within `OUTBOX_PUBLISH_BATCH_SECONDS` goes out as one `deliver_outbox_messages`);
if the broker cannot take it, the row waits for the sweep (`sweep_outbox`, Celery beat every minute), which also
takes every row whose delivery failed and whose backoff has run out.

Delivery (`outbox_deliver`) locks the row, runs the task in the worker's process and marks the row sent in the
same transaction: a second delivery of the same row (a redelivered message, the sweep) finds it sent and does
nothing; a worker killed mid-way leaves the row pending (its transaction dies with its connection), and the
broker's redelivery or the sweep runs it again. What the task writes to the database therefore happens exactly
once. An e-mail leaves the process before the commit: a crash between the two (milliseconds) would send it again,
the one duplicate no outbox can rule out without the mail server's help.

A failed delivery is retried with exponential backoff (`OUTBOX_BACKOFF_SECONDS` × 2ⁿ, at most
`OUTBOX_BACKOFF_MAX_SECONDS`), `OUTBOX_MAX_ATTEMPTS` times in all; then the row is marked failed with its last
error, for an administrator to see in the admin.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import threading
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .choices import OutboxState
from .models import OutboxMessage

logger = logging.getLogger(__name__)
SWEEP_BATCH = 500


class OutboxDeliveryError(Exception):
    """A delivery failed and will be tried again (Celery's autoretry, or the sweep once the backoff has run out)."""


def max_attempts() -> int:
    return settings.OUTBOX_MAX_ATTEMPTS


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failure: base × 2^(attempts − 1), capped."""
    seconds = settings.OUTBOX_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(seconds, settings.OUTBOX_BACKOFF_MAX_SECONDS))


def outbox_add(task, *args, key: str = "") -> OutboxMessage | None:
    """Owe `task(*args)` once the caller's transaction commits. `task` is a Celery task (or its registered name);
    args are ids and plain values. A non-empty `key` makes the message unique: a second one returns None."""
    name = task if isinstance(task, str) else task.name
    if not key:
        message = OutboxMessage.objects.create(task=name, args=list(args))
    else:
        try:
            with transaction.atomic():  # a savepoint: a duplicate key must not break the caller's transaction
                message = OutboxMessage.objects.create(task=name, args=list(args), key=key[:200])
        except IntegrityError:
            return None
    transaction.on_commit(partial(dispatch, message.pk))
    return message


def dispatch(message_id: int) -> bool:
    """Queue the delivery; False when the broker cannot take it (the row stays pending for the sweep).

    With a real broker and `OUTBOX_PUBLISH_BATCH_SECONDS` set, this process gathers the deliveries owed within that
    many seconds and publishes them as one task (`_Batch`): a Celery publish costs ~1 ms of CPU, as
    much as a complaint's INSERT, and the public form makes one per submission. A process that ends before it
    publishes leaves its rows pending, for the sweep."""
    from celery import current_app

    from .broker import publish
    from .tasks import deliver_outbox_message

    if settings.OUTBOX_PUBLISH_BATCH_SECONDS and not current_app.conf.task_always_eager:
        _batch.add(message_id)
        return True
    return publish(deliver_outbox_message, message_id)


class _Batch:
    """Message ids owed a delivery, published together by a timer thread a moment after the first of them."""

    def __init__(self):
        self.lock = threading.Lock()
        self._forget()

    def _forget(self):
        self.ids, self.timer = [], None

    def add(self, message_id: int) -> None:
        with self.lock:
            self.ids.append(message_id)
            if self.timer is None:
                self.timer = threading.Timer(settings.OUTBOX_PUBLISH_BATCH_SECONDS, self.publish)
                self.timer.daemon = True
                self.timer.start()

    def publish(self) -> bool:
        from .broker import publish
        from .tasks import deliver_outbox_message, deliver_outbox_messages

        with self.lock:
            ids, timer = self.ids, self.timer
            self._forget()
        if timer is not None and timer is not threading.current_thread():
            timer.cancel()  # published before its time (at exit, or by a test): the timer has nothing left to do
        if not ids:
            return True
        if len(ids) == 1:
            return publish(deliver_outbox_message, ids[0])
        return publish(deliver_outbox_messages, ids)


_batch = _Batch()
# A forked child (a gunicorn or Celery worker) starts with none owed: the parent's timer thread is not its own.
os.register_at_fork(after_in_child=_batch._forget)
atexit.register(_batch.publish)  # a process ending normally publishes what it still holds


def outbox_deliver_many(message_ids, *, wait: bool = True) -> dict:
    """Deliver messages one by one (`outbox_deliver`; `wait` as there). A failed one is left to the sweep, which
    tries it again once its backoff has run out (the row holds the attempt and the due time). Counts by outcome."""
    counts = {"sent": 0, "failed": 0, "retry": 0, "busy": 0, "done": 0}
    for message_id in message_ids:
        try:
            counts[outbox_deliver(message_id, wait=wait)] += 1
        except OutboxDeliveryError:
            counts["retry"] += 1
    return counts


def _task(name: str):
    from celery import current_app

    return current_app.tasks[name]


def outbox_deliver(message_id: int, *, wait: bool = True) -> str:
    """Run one pending message, once. Returns "sent", "failed" (the bound is reached), "done" (nothing to do) or
    "busy" (another delivery holds it and `wait` is False). Raises OutboxDeliveryError when it will be retried.

    `wait`: a message's own delivery waits for a concurrent one to finish (and then finds it sent); the sweep
    passes over it.
    """
    error = None
    with transaction.atomic():
        rows = OutboxMessage.objects.select_for_update(skip_locked=not wait).filter(pk=message_id)
        message = rows.first()
        if message is None:
            exists = not wait and OutboxMessage.objects.filter(pk=message_id, state=OutboxState.PENDING).exists()
            return "busy" if exists else "done"
        if message.state != OutboxState.PENDING:
            return "done"
        message.attempts += 1
        try:
            with transaction.atomic():  # what the task wrote is undone if it fails; the attempt is kept
                _task(message.task)(*message.args)
        except Exception as exc:  # the mail server's (or any callee's) many ways to fail
            error = exc
            message.last_error = f"{type(exc).__name__}: {exc}"[:500]
            if message.attempts >= max_attempts():
                message.state = OutboxState.FAILED
                logger.error("outbox: message %s (%s) failed %s times, giving up: %s", message.pk, message.task,
                             message.attempts, exc)
            else:
                message.next_attempt_at = timezone.now() + backoff(message.attempts)
                logger.warning("outbox: message %s (%s) failed (attempt %s): %s", message.pk, message.task,
                               message.attempts, exc)
        else:
            message.state = OutboxState.SENT
            message.sent_at = timezone.now()
            message.last_error = ""
        message.save(update_fields=["state", "attempts", "last_error", "next_attempt_at", "sent_at"])
    if error is not None and message.state == OutboxState.PENDING:
        raise OutboxDeliveryError(message.last_error) from error
    return "sent" if error is None else "failed"


def outbox_due(now=None, limit: int = SWEEP_BATCH) -> list[int]:
    now = now or timezone.now()
    return list(OutboxMessage.objects.filter(state=OutboxState.PENDING, next_attempt_at__lte=now)
                .order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit])


def outbox_sweep(now=None) -> dict:
    """Deliver every pending message that is due, here, one by one, passing over one another delivery holds.
    Counts by outcome."""
    return outbox_deliver_many(outbox_due(now), wait=False)
