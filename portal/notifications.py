"""Notifications: who is told of new work and of deadlines, the inbox services, and the e-mail they send.

Recipients are found through the work queue's own sources (portal.workqueue): a user is notified of a record only
when that record is in one of their sources — the same `restrict(user, action)` read their queue page uses — so
nobody is told of a record they could not open. Writes follow the portal's one write path: `<entity>_<action>`
services in a transaction, e-mail queued with `transaction.on_commit` (task arguments are ids).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agencies.audit import audit_record

from .models import Delivery, Notification, NotificationKind, NotificationPreference
from .workqueue import SOURCES_BY_KEY, build_queue, to_item


def in_portal_language(func):
    """Stored titles and e-mail are written in the portal's language (zh-hans), whatever language the request or
    worker thread that happens to run them has active."""
    from functools import wraps

    @wraps(func)
    def wrapper(*args, **kwargs):
        with translation.override(settings.LANGUAGE_CODE):
            return func(*args, **kwargs)

    return wrapper


# ------------------------------------------------------------------------------------------------ who acts


def actor_profile(user):
    """(identity kind, department) of a user outside a request: "staff", "admin", "institution" or None."""
    from agencies.models import StaffProfile
    from institutions.services.records import own_institutions

    profile = StaffProfile.objects.select_related("department__region", "department__kind").filter(
        user_id=user.pk).first()
    if profile is not None:
        return "staff", profile.department
    if own_institutions(user).exists():
        return "institution", None
    return None, None


def _region_prefixes(code: str) -> list[str]:
    return [code[:n] for n in range(1, len(code) + 1)]


def candidate_users(record):
    """Everyone who might act on the record: staff of departments whose region covers it and the institution's own
    accounts. A superset; `recipients` keeps those whose queue holds it."""
    from institutions.models import InstitutionUserObjectPermission

    users = get_user_model().objects.filter(is_active=True)
    staff = users.filter(staff_profile__department__region__scope_code__in=_region_prefixes(record.region_code))
    institution_id = getattr(record, "institution_id", None)
    if institution_id is None:
        return list(staff.order_by("pk"))
    accounts = InstitutionUserObjectPermission.objects.filter(
        content_object_id=institution_id, permission__codename="view_institution").values("user_id")
    return list((staff | users.filter(pk__in=accounts)).distinct().order_by("pk"))


def recipients(source_key: str, record) -> list:
    """The users in whose `source_key` queue the record stands (the same read as their queue page)."""
    source = SOURCES_BY_KEY[source_key]
    found = []
    for user in candidate_users(record):
        kind, department = actor_profile(user)
        side = {"staff": "staff", "institution": "institution"}.get(kind)
        if side != source.side:
            continue
        if source.rows(user, department).filter(pk=record.pk).exists():
            found.append(user)
    return found


# ------------------------------------------------------------------------------------------------ writes


def delivery_of(user) -> str:
    preference = NotificationPreference.objects.filter(user_id=user.pk).first()
    return preference.delivery if preference else Delivery.IMMEDIATE


def notification_create(recipient, *, kind: str, source: str, title: str, link: str, key: str):
    """One inbox row per (recipient, key): a second call for the same event returns None and sends nothing.
    An immediate-delivery recipient's e-mail is queued after commit."""
    if kind not in NotificationKind.values:
        raise ValidationError({"kind": _("未知的通知类型。")})
    try:
        with transaction.atomic():
            notification = Notification.objects.create(recipient=recipient, kind=kind, source=source,
                                                       title=title[:200], link=link[:300], key=key[:120])
    except IntegrityError:
        return None  # already told (the unique constraint answers concurrent runs too)
    if delivery_of(recipient) == Delivery.IMMEDIATE:
        transaction.on_commit(lambda: _queue_email(notification.pk))
    return notification


def _queue_email(notification_id: int) -> None:
    from .tasks import delay_or_false, send_notification_email

    delay_or_false(send_notification_email, notification_id)  # if not queued, the sweep sends it


def unsent_immediate(older_than_minutes: int = 2) -> list[int]:
    """Notifications of immediate-delivery users (no preference row means immediate) with an address, not yet
    e-mailed a little after they were made: their queued e-mail was lost (the broker was away)."""
    from datetime import timedelta

    from django.db.models import Q

    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    recent = timezone.now() - timedelta(days=1)  # not a flood of old news when someone adds an address later
    immediate = Q(recipient__notification_preference__isnull=True) | Q(
        recipient__notification_preference__delivery=Delivery.IMMEDIATE)
    return list(Notification.objects.filter(immediate, emailed_at__isnull=True, created__lt=cutoff,
                                             created__gte=recent)
                .exclude(recipient__email="").values_list("pk", flat=True)[:500])


@in_portal_language
def notify_new_work(source_key: str, record, event: str) -> int:
    """Tell everyone who now has `record` in their `source_key` queue. Returns how many were notified."""
    source = SOURCES_BY_KEY[source_key]
    today = timezone.localdate()
    created = 0
    for user in recipients(source_key, record):
        item = to_item(source, record, today)
        title = _("新的待办：%(title)s（%(subject)s）") % {"title": item.title, "subject": item.subject}
        if notification_create(user, kind=NotificationKind.NEW_WORK, source=source_key, title=title,
                               link=item.url, key=f"new:{source_key}:{record.pk}:{event}"):
            created += 1
    return created


@in_portal_language
def notify_deadlines(user, today=None) -> int:
    """The user's queue items whose deadline is near (≤ NOTIFY_REMINDER_WORKING_DAYS) or passed: one reminder
    each per deadline (the key holds the due date, so a moved deadline is reminded again)."""
    kind, department = actor_profile(user)
    if kind is None:
        return 0
    created = 0
    for item in build_queue(user, kind, department, today).items:
        if item.overdue:
            notice, text = NotificationKind.OVERDUE, _("已逾期%(n)s个工作日：%(title)s（%(subject)s）")
            count = item.days_late
        elif item.due_soon:
            notice, text = NotificationKind.DUE_SOON, _("%(n)s个工作日后到期：%(title)s（%(subject)s）")
            count = item.days_left
        else:
            continue
        title = text % {"n": count, "title": item.title, "subject": item.subject}
        key = f"{notice}:{item.source}:{item.pk}:{item.due.isoformat()}"
        if notification_create(user, kind=notice, source=item.source, title=title, link=item.url, key=key):
            created += 1
    return created


def notification_mark_read(user, notification) -> Notification:
    """Mark one of the user's own notifications read (someone else's answers as missing)."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().get(pk=getattr(notification, "pk", notification),
                                                                    recipient=user)
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
    return notification


def notification_mark_all_read(user) -> int:
    with transaction.atomic():
        return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


def notification_preference_set(user, delivery: str) -> NotificationPreference:
    if delivery not in Delivery.values:
        raise ValidationError({"delivery": _("请选择邮件提醒方式。")})
    with transaction.atomic():
        preference, _created = NotificationPreference.objects.select_for_update().get_or_create(user=user)
        before = preference.delivery
        preference.delivery = delivery
        preference.save()
        audit_record(user, "notification.preference", preference, before={"delivery": before},
                     after={"delivery": delivery})
    return preference


# ------------------------------------------------------------------------------------------------ e-mail


def absolute(link: str) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + link


@in_portal_language
def email_one(notification_id: int) -> int:
    """E-mail one notification, once: the row is locked, and `emailed_at` set in the same transaction."""
    from django.core.mail import send_mail

    with transaction.atomic():
        notification = (Notification.objects.select_for_update().select_related("recipient")
                        .filter(pk=notification_id, emailed_at__isnull=True).first())
        if notification is None or not notification.recipient.email:
            return 0
        body = _("%(title)s\n\n请登录监管平台办理：%(link)s") % {
            "title": notification.title, "link": absolute(notification.link)}
        send_mail(_("【养老服务监管】%(title)s") % {"title": notification.title}, body,
                  settings.DEFAULT_FROM_EMAIL, [notification.recipient.email])
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return 1


@in_portal_language
def email_digest(user) -> int:
    """One e-mail with every notification of the user not yet e-mailed; they are marked in the same transaction,
    so a second run the same day sends nothing."""
    from django.core.mail import send_mail

    with transaction.atomic():
        pending = list(Notification.objects.select_for_update().filter(recipient=user, emailed_at__isnull=True)
                       .order_by("created", "id"))
        if not pending or not user.email:
            return 0
        lines = [f"· {n.title}\n  {absolute(n.link)}" for n in pending]
        subject = _("【养老服务监管】每日待办提醒（%(n)s条）") % {"n": len(pending)}
        send_mail(subject, "\n".join(lines), settings.DEFAULT_FROM_EMAIL, [user.email])
        Notification.objects.filter(pk__in=[n.pk for n in pending]).update(emailed_at=timezone.now())
    return len(pending)


def users_to_remind():
    """Staff with a department and institution accounts: everyone who has a queue."""
    from institutions.models import InstitutionUserObjectPermission

    accounts = InstitutionUserObjectPermission.objects.filter(permission__codename="view_institution")
    User = get_user_model()
    return (User.objects.filter(is_active=True, staff_profile__isnull=False)
            | User.objects.filter(is_active=True, pk__in=accounts.values("user_id"))).distinct().order_by("pk")
