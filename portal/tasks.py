"""The portal's Celery tasks: notification e-mail (immediate and digest), the daily deadline scan, and new-work
notifications for the domain signals. Arguments are ids; every task is idempotent (see portal.notifications)."""

import logging

from celery import shared_task
from django.apps import apps

logger = logging.getLogger(__name__)


def delay_or_false(task, *args) -> bool:
    """Queue a task; False (and a warning) when the broker cannot be reached. Nothing is lost: new-work
    notifications then run in-process, and unsent e-mail waits for `sweep_notification_email`."""
    from agencies.broker import publish

    return publish(task, *args)


@shared_task(ignore_result=True)
def send_notification_email(notification_id: int) -> int:
    from .notifications import email_one

    return email_one(notification_id)


@shared_task
def sweep_notification_email() -> int:
    """Every few minutes (beat): immediate-delivery notifications whose e-mail could not be queued."""
    from .notifications import email_one, unsent_immediate

    return sum(email_one(pk) for pk in unsent_immediate())


@shared_task
def send_daily_digests() -> int:
    """Daily (beat): one e-mail per digest user with what is not yet e-mailed."""
    from .models import Delivery, NotificationPreference
    from .notifications import email_digest

    sent = 0
    for preference in NotificationPreference.objects.filter(delivery=Delivery.DIGEST).select_related("user"):
        sent += bool(email_digest(preference.user))
    return sent


@shared_task
def send_deadline_reminders() -> int:
    """Daily (beat): each user's queue items due within NOTIFY_REMINDER_WORKING_DAYS or overdue, once per deadline."""
    from .notifications import notify_deadlines, users_to_remind

    return sum(notify_deadlines(user) for user in users_to_remind())


# The models behind each work source, to load a record from a signal's id.
SOURCE_MODELS = {
    "filing": "institutions.Filing",
    "verify": "inspections.Finding",
    "rectify": "inspections.Finding",
    "referral": "inspections.Referral",
    "complaint": "complaints.Complaint",
}


# Published after each new piece of work (a filing, a complaint …); its result is never read (and would cost a
# SUBSCRIBE/UNSUBSCRIBE pair per publish and a stored result key).
@shared_task(ignore_result=True)
def notify_new_work_task(source_key: str, record_id: int, event: str) -> int:
    from .notifications import notify_new_work

    record = apps.get_model(SOURCE_MODELS[source_key]).objects.filter(pk=record_id).first()
    return notify_new_work(source_key, record, event) if record is not None else 0
