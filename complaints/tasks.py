"""Delivery of complaint notifications (the outbox) and the deadline sweep.

A notification row is written in the complaint's own transaction; `deliver_complaint_notifications` sends
every unsent row, and `sweep_complaint_notifications` (Celery beat) runs it again, so rows left behind while
the broker was down go out once it is back. Sending is idempotent per row (sent_at is set under a row lock).
"""

import logging

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from agencies.choices import StaffRole

from .models import ComplaintNotification
from .services import complaint_check_deadlines

logger = logging.getLogger(__name__)
BATCH = 200


def recipients(notification: ComplaintNotification) -> list[str]:
    """The e-mail addresses of the department's staff (its leaders for an escalation, all staff if it has none)."""
    staff = get_user_model().objects.filter(staff_profile__department=notification.department_id, is_active=True) \
        .exclude(email="")
    if notification.leaders_only:
        leaders = staff.filter(staff_profile__role__in=[StaffRole.LEADER, StaffRole.ADMIN])
        if leaders.exists():
            staff = leaders
    return sorted(staff.values_list("email", flat=True))


def deliver_pending(limit: int = BATCH) -> int:
    sent = 0
    for pk in ComplaintNotification.objects.filter(sent_at__isnull=True).order_by("id") \
            .values_list("pk", flat=True)[:limit]:
        with transaction.atomic():
            row = ComplaintNotification.objects.select_for_update(skip_locked=True).filter(
                pk=pk, sent_at__isnull=True).first()
            if row is None:
                continue
            row.attempts += 1
            try:
                to = recipients(row)
                if to:
                    send_mail(row.subject, row.body, settings.DEFAULT_FROM_EMAIL, to)
                row.sent_at = timezone.now()
                row.last_error = ""
                sent += 1
            except Exception as exc:  # the mail server's many ways to fail: retried by the sweep
                row.last_error = str(exc)[:255]
                logger.warning("complaint notification %s not sent: %s", pk, exc)
            row.save(update_fields=["attempts", "sent_at", "last_error"])
    return sent


# Published after every submission, and nobody reads its result: with a result, publishing also SUBSCRIBEs to the
# result's channel and UNSUBSCRIBEs (three Redis round trips instead of one), and the worker stores a result key.
@shared_task(acks_late=True, ignore_result=True)
def deliver_complaint_notifications() -> int:
    return deliver_pending()


@shared_task(acks_late=True)
def sweep_complaint_notifications() -> int:
    """Periodic (beat): whatever the broker lost is still in the table."""
    return deliver_pending()


@shared_task(acks_late=True)
def check_complaint_deadlines() -> dict:
    """Daily (beat): reminders before the answer is due, escalation after."""
    return complaint_check_deadlines()
