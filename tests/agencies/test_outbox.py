"""The outbox (agencies.outbox) on its own: a message owed in a transaction is delivered once, a failing one is
retried with exponential backoff a bounded number of times and keeps its last error."""

import datetime as dt
import smtplib
import time

import pytest
from celery import shared_task
from celery.exceptions import Retry
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from agencies.choices import OutboxState
from agencies.models import OutboxMessage
from agencies.outbox import backoff, outbox_add, outbox_deliver, outbox_due, outbox_sweep
from agencies.tasks import deliver_outbox_message

pytestmark = pytest.mark.django_db

CALLS = []


class FailingBackend:
    """An SMTP server that refuses every message."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        CALLS.append(len(messages))
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


@shared_task(name="tests.agencies.test_outbox.mail_user")
def mail_user(user_id: int) -> int:
    """A task that calls out, as the portal's notices do: one e-mail to the user."""
    user = get_user_model().objects.get(pk=user_id)
    return send_mail("【测试】通知", "正文", settings.DEFAULT_FROM_EMAIL, [user.email])


@pytest.fixture
def recipient(users):
    user = users["market_heping"]
    user.email = "market@heping.example"
    user.save()
    return user.pk


def owe(task, *args, **kwargs):
    with transaction.atomic():
        return outbox_add(task, *args, **kwargs)


def test_a_message_owed_in_a_rolled_back_transaction_does_not_exist(recipient):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox_add(mail_user, recipient)
        raise RuntimeError("the service failed after queuing")
    assert not OutboxMessage.objects.filter(task=mail_user.name).exists()


def test_delivered_after_commit_once_however_often_it_is_delivered_again(recipient,
                                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = owe(mail_user, recipient)
    message.refresh_from_db()
    assert message.state == OutboxState.SENT and message.attempts == 1 and message.sent_at
    assert [m.to for m in mail.outbox] == [["market@heping.example"]]
    # A redelivered message (a worker died after the commit, before the ack), the sweep: nothing more.
    assert outbox_deliver(message.pk) == "done"
    assert deliver_outbox_message.delay(message.pk).get() == "done"
    assert outbox_sweep()["sent"] == 0
    assert len(mail.outbox) == 1


def test_a_key_owes_a_message_once(recipient):
    first = owe(mail_user, recipient, key=f"user:{recipient}")
    assert first is not None
    assert owe(mail_user, recipient, key=f"user:{recipient}") is None
    assert OutboxMessage.objects.filter(key=f"user:{recipient}").count() == 1


def test_backoff_doubles_up_to_its_cap(settings):
    settings.OUTBOX_BACKOFF_SECONDS, settings.OUTBOX_BACKOFF_MAX_SECONDS = 30, 1800
    assert [backoff(n).total_seconds() for n in range(1, 9)] == [30, 60, 120, 240, 480, 960, 1800, 1800]
    # Celery's own retries of the delivery task follow the same curve and stop at the same bound.
    assert deliver_outbox_message.autoretry_for and deliver_outbox_message.retry_backoff == 30
    assert deliver_outbox_message.retry_backoff_max == 1800 and deliver_outbox_message.max_retries == 8


def test_a_failing_mail_is_retried_a_bounded_number_of_times_and_keeps_its_last_error(recipient, settings):
    settings.EMAIL_BACKEND = "tests.agencies.test_outbox.FailingBackend"
    settings.OUTBOX_MAX_ATTEMPTS = 4
    CALLS.clear()
    message = owe(mail_user, recipient)  # its on_commit dispatch does not run inside the test's transaction
    # Run the delivery task as Celery's autoretry does, the n-th retry carrying request.retries = n.
    countdowns, outcomes = [], []
    for retries in range(6):
        try:
            outcomes.append(deliver_outbox_message.apply((message.pk,), retries=retries).get())
        except Retry as retry:  # what the worker would schedule: the same task again in `when` seconds
            countdowns.append(retry.when)
    message.refresh_from_db()
    assert len(CALLS) == 4  # four attempts, then no more
    assert countdowns == [30, 60, 120] == [backoff(n).total_seconds() for n in (1, 2, 3)]  # exponential
    assert outcomes == ["failed", "done", "done"]  # the fourth gives up; later deliveries find nothing to do
    assert message.state == OutboxState.FAILED and message.attempts == 4 and message.sent_at is None
    assert message.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    # Given up: the sweep does not try again either.
    assert outbox_due(timezone.now() + dt.timedelta(days=1)) == []
    assert outbox_sweep(timezone.now() + dt.timedelta(days=1))["sent"] == 0 and len(CALLS) == 4


def test_the_sweep_waits_for_the_backoff_then_delivers(recipient, settings):
    settings.EMAIL_BACKEND = "tests.agencies.test_outbox.FailingBackend"
    settings.OUTBOX_BACKOFF_SECONDS = 30
    message = owe(mail_user, recipient)  # not delivered: no on_commit in this test transaction
    before = timezone.now()
    with pytest.raises(Exception, match="SMTPServerDisconnected"):
        outbox_deliver(message.pk)
    after = timezone.now()
    message.refresh_from_db()
    assert message.state == OutboxState.PENDING and message.attempts == 1
    wait = dt.timedelta(seconds=30)
    assert before + wait <= message.next_attempt_at <= after + wait
    assert outbox_sweep()["sent"] == 0 and message.pk not in outbox_due()  # not due yet
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    later = timezone.now() + dt.timedelta(seconds=31)
    assert message.pk in outbox_due(later)
    assert outbox_sweep(later)["sent"] == 1
    message.refresh_from_db()
    assert message.state == OutboxState.SENT and message.attempts == 2 and message.last_error == ""
    assert len(mail.outbox) == 1


# ------------------------------------------------------------------------------------ published together


def test_deliveries_owed_within_the_batch_window_are_published_as_one_task(recipient, settings, monkeypatch):
    """With a real broker, what a process owes within OUTBOX_PUBLISH_BATCH_SECONDS is one publish (a Celery publish
    costs as much CPU as a complaint's INSERT); a lone delivery keeps its own task, and eager Celery (the embedded
    default, tests) publishes each at once."""
    from celery import current_app

    from agencies import broker, outbox
    from agencies.tasks import deliver_outbox_messages

    published = []
    monkeypatch.setattr(broker, "publish", lambda task, *args: published.append((task.name, args)) or True)
    monkeypatch.setitem(current_app.conf, "task_always_eager", False)
    settings.OUTBOX_PUBLISH_BATCH_SECONDS = 60  # the test publishes the batch itself, as the timer would
    first, second, third = (owe(mail_user, recipient) for _ in range(3))
    assert all(outbox.dispatch(m.pk) for m in (first, second, third))
    assert published == []  # held for the window
    assert outbox._batch.publish()
    assert published == [(deliver_outbox_messages.name, ([first.pk, second.pk, third.pk],))]

    outbox.dispatch(first.pk)
    outbox._batch.publish()
    assert published[-1] == (deliver_outbox_message.name, (first.pk,))  # alone: the single delivery's task

    settings.OUTBOX_PUBLISH_BATCH_SECONDS = 0.05  # the timer's own publish
    outbox.dispatch(second.pk)
    outbox.dispatch(third.pk)
    deadline = time.monotonic() + 10
    while len(published) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert published[-1] == (deliver_outbox_messages.name, ([second.pk, third.pk],))

    monkeypatch.setitem(current_app.conf, "task_always_eager", True)
    outbox.dispatch(first.pk)
    assert published[-1] == (deliver_outbox_message.name, (first.pk,)) and len(published) == 4  # at once


def test_messages_published_together_are_each_delivered_once_and_a_failed_one_waits_for_the_sweep(recipient):
    from agencies.tasks import deliver_outbox_messages

    good, bad = owe(mail_user, recipient), owe(mail_user, 0)  # user 0 does not exist: that delivery fails
    before = timezone.now()
    counts = deliver_outbox_messages.apply(args=[[good.pk, bad.pk, good.pk]]).get()
    assert counts == {"sent": 1, "failed": 0, "retry": 1, "busy": 0, "done": 1}  # the second `good`: done already
    good.refresh_from_db()
    bad.refresh_from_db()
    assert (good.state, good.attempts) == (OutboxState.SENT, 1) and len(mail.outbox) == 1
    assert (bad.state, bad.attempts) == (OutboxState.PENDING, 1) and "DoesNotExist" in bad.last_error
    assert bad.next_attempt_at >= before + backoff(1)  # the sweep takes it once its backoff has run out
    assert bad.pk not in outbox_due() and bad.pk in outbox_due(bad.next_attempt_at)
