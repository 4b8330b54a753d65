"""Delivery of complaint notifications (through the shared outbox, agencies.outbox) and the deadline sweep.

A notification row and the outbox message that owes it are written in the complaint's own transaction. The outbox
delivers the message after commit, or its sweep (`agencies.tasks.sweep_outbox`, every minute) once the broker is
back; it runs `send_complaint_notification` under the message's row lock and marks it sent in the same
transaction, so each notification goes out once. A mail server that fails is retried with the outbox's backoff
(`agencies.outbox.backoff`) at most `OUTBOX_MAX_ATTEMPTS` times; then the message is failed, with its last error,
in the admin (the complaint notification's and the outbox message's pages).
"""

import logging

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.utils import timezone

from agencies.choices import OutboxState, StaffRole
from agencies.models import OutboxMessage
from agencies.outbox import SWEEP_BATCH, OutboxDeliveryError, outbox_deliver

from .models import ComplaintNotification
from .services import complaint_check_deadlines

logger = logging.getLogger(__name__)


def recipients(notification: ComplaintNotification) -> list[str]:
    """The e-mail addresses of the department's staff (its leaders for an escalation, all staff if it has none)."""
    staff = get_user_model().objects.filter(staff_profile__department=notification.department_id, is_active=True) \
        .exclude(email="")
    if notification.leaders_only:
        leaders = staff.filter(staff_profile__role__in=[StaffRole.LEADER, StaffRole.ADMIN])
        if leaders.exists():
            staff = leaders
    return sorted(staff.values_list("email", flat=True))


@shared_task
def send_complaint_notification(notification_id: int) -> int:
    """One notification's e-mail, run by the outbox's delivery (never queued on its own). Raises when the mail
    server fails: the outbox keeps the attempt and the error, and tries again with backoff. Returns how many
    addresses it went to."""
    row = ComplaintNotification.objects.filter(pk=notification_id).first()
    if row is None or row.sent_at is not None:  # gone with its complaint, or already sent
        return 0
    to = recipients(row)
    if to:
        send_mail(row.subject, row.body, settings.DEFAULT_FROM_EMAIL, to)
    ComplaintNotification.objects.filter(pk=row.pk).update(sent_at=timezone.now())
    return len(to)


def deliver_pending(now=None, limit: int = SWEEP_BATCH) -> int:
    """Deliver every complaint notification whose outbox message is due, here (what the outbox sweep does for every
    message); returns how many were sent."""
    now = now or timezone.now()
    due = OutboxMessage.objects.filter(task=send_complaint_notification.name, state=OutboxState.PENDING,
                                       next_attempt_at__lte=now).order_by("next_attempt_at", "id")
    sent = 0
    for message_id in due.values_list("pk", flat=True)[:limit]:
        try:
            sent += outbox_deliver(message_id, wait=False) == "sent"
        except OutboxDeliveryError as exc:
            logger.warning("complaint notification (outbox message %s) not sent: %s", message_id, exc)
    return sent


# Published after every submission, and nobody reads its result: with a result, publishing also SUBSCRIBEs to the
# result's channel and UNSUBSCRIBEs (three Redis round trips instead of one), and the worker stores a result key.
@shared_task(acks_late=True, ignore_result=True)
def deliver_complaint_notifications() -> int:
    """Kept for messages queued before notifications moved to the shared outbox: the same as the sweep."""
    return deliver_pending()


@shared_task(acks_late=True)
def sweep_complaint_notifications() -> int:
    """The complaint notifications that are due, at once (the outbox sweep takes them every minute anyway; this
    name stays for schedules already in the database and for running by hand)."""
    return deliver_pending()


@shared_task(acks_late=True)
def check_complaint_deadlines() -> dict:
    """Daily (beat): reminders before the answer is due, escalation after."""
    return complaint_check_deadlines()
