"""Delivery of complaint notifications (through the shared outbox, agencies.outbox) and the deadline sweep.

A notification row and the outbox message that owes it are written in one transaction: the complaint's own, or,
for a complaint that reaches the intake bureau, that of its announcement (`announce_complaint_received`, itself
owed by the complaint's transaction). The outbox delivers the message after commit, or its sweep
(`agencies.tasks.sweep_outbox`, every minute) once the broker is back; it runs `send_complaint_notification` under
the message's row lock and marks it sent in the same transaction, so each notification goes out once. A mail
server that fails is retried with the outbox's backoff (`agencies.outbox.backoff`) at most `OUTBOX_MAX_ATTEMPTS`
times; then the message is failed, with its last error, in the admin (the complaint notification's and the outbox
message's pages).
"""


from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.utils import timezone

from agencies.choices import StaffRole

from .models import ComplaintNotification
from .services import complaint_announce_received, complaint_check_deadlines


def recipients(notification: ComplaintNotification) -> list[str]:
    """The e-mail addresses of the department's staff (its leaders for an escalation, all staff if it has none)."""
    staff = get_user_model().objects.filter(staff_profile__department=notification.department_id, is_active=True) \
        .exclude(email="")
    if notification.leaders_only:
        leaders = staff.filter(staff_profile__role__in=[StaffRole.LEADER, StaffRole.ADMIN])
        if leaders.exists():
            staff = leaders
    return sorted(staff.values_list("email", flat=True))


@shared_task(ignore_result=True)
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


@shared_task(ignore_result=True)
def announce_complaint_received(complaint_id: int) -> bool:
    """A complaint now waits at the intake bureau: its notification and the portal's new-work notices. Run by the
    outbox's delivery (never queued on its own), which marks the message sent in the same transaction."""
    return complaint_announce_received(complaint_id)


@shared_task(acks_late=True)
def check_complaint_deadlines() -> dict:
    """Daily (beat): reminders before the answer is due, escalation after."""
    return complaint_check_deadlines()
