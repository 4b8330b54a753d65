"""Complaint notifications go through the shared outbox (agencies.outbox): owed with the complaint, carrying no
complainant identity, sent once, and — when the mail server keeps refusing — retried with the outbox's backoff
a bounded number of times, then failed with the last error, for an administrator to see."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from agencies.choices import OutboxState
from agencies.outbox import backoff, outbox_sweep
from complaints.models import ComplaintNotification
from complaints.tasks import send_complaint_notification
from tests.agencies.test_outbox import CALLS

pytestmark = pytest.mark.django_db
NAME, PHONE = "王某某", "13812345678"


@pytest.fixture
def civil_heping_mail(users):
    users["civil_heping"].email = "civil_heping@example.org"
    users["civil_heping"].save()


def test_a_notification_is_owed_in_the_shared_outbox_without_the_complainant(submit, civil_heping_mail,
                                                                            django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        complaint, _secret = submit(category="fire", complainant_name=NAME, complainant_phone=PHONE)
    row = ComplaintNotification.objects.select_related("outbox").get(complaint=complaint)
    message = row.outbox
    assert (message.task, message.args, message.key) == (send_complaint_notification.name, [row.pk],
                                                         f"complaints.notification:{row.pk}")
    assert (message.state, message.attempts, message.last_error) == (OutboxState.SENT, 1, "")
    assert row.sent_at is not None and (row.state, row.attempts) == (OutboxState.SENT, 1)
    sent = [m for m in mail.outbox if m.subject == row.subject]  # (the portal's own new-work e-mail aside)
    assert [m.to for m in sent] == [["civil_heping@example.org"]]
    owed = str(message.args) + message.key + row.subject + row.body + sent[0].body
    assert NAME not in owed and PHONE not in owed
    assert outbox_sweep()["sent"] == 0
    assert len([m for m in mail.outbox if m.subject == row.subject]) == 1  # once


def test_a_notification_the_mail_server_keeps_refusing_is_retried_with_backoff_then_failed(
        submit, civil_heping_mail, settings, users, client):
    settings.EMAIL_BACKEND = "tests.agencies.test_outbox.FailingBackend"
    settings.OUTBOX_MAX_ATTEMPTS = 3
    CALLS.clear()
    complaint, _secret = submit(category="fire")  # the test's transaction: its on_commit delivery does not run
    assert outbox_sweep()["sent"] == 1  # the complaint's announcement: it writes the intake bureau's notification
    row = ComplaintNotification.objects.get(complaint=complaint)
    clock = timezone.now()  # the sweep's clock: it moves on to each retry's due time
    for attempt in (1, 2, 3):
        before = timezone.now()
        assert outbox_sweep(clock)["sent"] == 0
        row.refresh_from_db()
        assert row.attempts == attempt and row.sent_at is None
        assert row.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
        if attempt < 3:
            assert row.state == OutboxState.PENDING
            assert row.outbox.next_attempt_at >= before + backoff(attempt)  # 30 s, then 60 s
            assert outbox_sweep(clock)["sent"] == 0 and len(CALLS) == attempt  # not due before its backoff has run out
            clock = row.outbox.next_attempt_at
    assert row.state == OutboxState.FAILED and len(CALLS) == 3
    # Given up: the sweep does not try again, however late.
    later = timezone.now() + dt.timedelta(days=1)
    assert outbox_sweep(later)["sent"] == 0 and len(CALLS) == 3
    row.refresh_from_db()
    assert row.attempts == 3 and row.sent_at is None

    # The administrator sees it failed, with its last error.
    client.force_login(users["admin"])
    changelist = reverse("admin:complaints_complaintnotification_changelist")
    html = client.get(changelist, {"outbox__state": "failed"}).content.decode()
    assert complaint.code in html and "SMTPServerDisconnected" in html and "发送失败" in html
    assert complaint.code not in client.get(changelist, {"outbox__state": "sent"}).content.decode()
    page = client.get(reverse("admin:complaints_complaintnotification_change", args=[row.pk])).content.decode()
    assert "SMTPServerDisconnected: Connection unexpectedly closed" in page
