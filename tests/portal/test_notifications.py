"""Notifications: new work reaches only the users who can act on it (the same scope as their queue), e-mail once
(immediately or in the daily digest), deadline reminders, the inbox, and the beat schedule in the database."""

import datetime as dt

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from agencies.access import can
from agencies.choices import Action
from agencies.models import Department
from complaints.services import complaint_route, complaint_submit
from inspections.choices import FindingState
from inspections.models import Finding
from inspections.services.findings import rectification_submit
from institutions.models import Institution
from portal.models import Delivery, Notification, NotificationKind, NotificationPreference
from portal.notifications import notification_mark_read, notify_deadlines, users_to_remind
from portal.tasks import send_daily_digests, send_deadline_reminders, send_notification_email
from portal.workqueue import SOURCES_BY_KEY

pytestmark = pytest.mark.django_db
HEPING = "120101"


def dept(kind, district=HEPING):
    return Department.objects.get(kind__code=kind, region__code=district)


def notified(record_key_prefix):
    return set(Notification.objects.filter(key__startswith=record_key_prefix).values_list("recipient__username",
                                                                                          flat=True))


def in_queue(user, source_key, record) -> bool:
    from portal.notifications import actor_profile

    _kind, department = actor_profile(user)
    return SOURCES_BY_KEY[source_key].rows(user, department).filter(pk=record.pk).exists()


@pytest.fixture
def with_emails(users):
    for name in ("civil_heping", "fire_heping", "market_heping", "inspector_1", "civil_hexi", "inst_1"):
        users[name].email = f"{name}@example.org"
        users[name].save(update_fields=["email"])
    return users


@pytest.fixture
def heping_home(db):
    return Institution.objects.filter(region__code=HEPING).order_by("id").first()


def submit_complaint(heping_home, category="fire"):
    complaint, _secret, _created = complaint_submit(
        category=category, institution=heping_home, description="楼道堆放杂物，消防通道堵塞，多次反映无果。",
        complainant_name="王某某", complainant_phone="13812345678", consent=True)
    return complaint


def assert_told_only_who_can_act(complaint, event):
    """Nobody is told of a record they could not open, and each of them has it in their queue at that moment."""
    rows = Notification.objects.filter(key=f"new:complaint:{complaint.pk}:{event}").select_related("recipient")
    assert rows
    for row in rows:
        assert can(row.recipient, Action.VIEW, complaint)
        assert in_queue(row.recipient, "complaint", complaint)
        assert row.link == reverse("complaint-detail", args=[complaint.pk])


def test_a_new_complaint_reaches_the_intake_bureau_then_only_the_department_it_is_routed_to(
        users, heping_home, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        complaint = submit_complaint(heping_home)
    intake = notified(f"new:complaint:{complaint.pk}:received")
    assert "civil_heping" in intake
    assert not intake & {"fire_heping", "market_heping", "civil_hexi", "inst_1", "leader_heping"}
    assert_told_only_who_can_act(complaint, "received")
    with django_capture_on_commit_callbacks(execute=True):
        complaint_route(users["civil_heping"], complaint, dept("fire_rescue"))
    routed = notified(f"new:complaint:{complaint.pk}:routed")
    assert "fire_heping" in routed
    assert not routed & {"market_heping", "civil_hexi", "inst_1", "leader_heping", "inspector_4"}
    assert_told_only_who_can_act(complaint, "routed")
    # The complainant's identity is never in a notification.
    assert not Notification.objects.filter(title__contains="王某某").exists()


def test_a_submitted_rectification_reaches_only_its_verifier(users, django_capture_on_commit_callbacks):
    fire = dept("fire_rescue")
    finding = (Finding.objects.filter(state=FindingState.OPEN, institution__region__code=HEPING,
                                      verifying_department=fire).order_by("id").first()
               or Finding.objects.filter(state=FindingState.OPEN, found_by=fire).order_by("id").first())
    assert finding is not None, "the demo city has an open fire finding in 和平区"
    account = next(name for name in ("inst_1", "inst_2", "inst_3", "inst_4")
                   if in_queue(users[name], "rectify", finding))
    with django_capture_on_commit_callbacks(execute=True):
        rectification_submit(users[account], finding, "已清理楼道杂物，恢复消防通道畅通。")
    told = notified(f"new:verify:{finding.pk}:")
    assert "fire_heping" in told
    assert not told & {"civil_heping", "market_heping", "inst_1", "inst_2", "civil_hexi"}
    for row in Notification.objects.filter(key__startswith=f"new:verify:{finding.pk}:"):
        assert can(row.recipient, Action.VERIFY_RECTIFICATION, finding)


def test_a_new_filing_reaches_the_district_civil_affairs_bureau(users, heping_home,
                                                                django_capture_on_commit_callbacks):
    from agencies.models import Domain
    from institutions.choices import FilingState
    from institutions.models import Filing
    from institutions.signals import filing_submitted

    filing = Filing.objects.create(
        institution=heping_home, domain=Domain.objects.get(code="registration_filing"), state=FilingState.SUBMITTED,
        name=heping_home.name, address="测试地址", legal_representative="张某", beds=50, building_area=1200,
        contact_person="李某", contact_phone="022-12345678", submitted_at=timezone.now())
    filing_submitted.send(sender=Filing, filing_id=filing.pk)  # as filing_submit sends it after commit
    told = notified(f"new:filing:{filing.pk}:")
    assert "civil_heping" in told
    assert not told & {"fire_heping", "market_heping", "civil_hexi", "inst_1", "leader_heping"}
    for row in Notification.objects.filter(key__startswith=f"new:filing:{filing.pk}:"):
        assert can(row.recipient, Action.REVIEW_FILING, filing)


def test_immediate_mail_goes_once_digest_mail_waits_for_the_digest(with_emails, heping_home,
                                                                  django_capture_on_commit_callbacks):
    users = with_emails
    NotificationPreference.objects.create(user=users["fire_heping"], delivery=Delivery.DIGEST)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        complaint = submit_complaint(heping_home)
    with django_capture_on_commit_callbacks(execute=True):
        complaint_route(users["civil_heping"], complaint, dept("fire_rescue"))
    to_civil = [m for m in mail.outbox if m.to == ["civil_heping@example.org"] and complaint.code in m.subject
                + m.body and "【养老服务监管】" in m.subject]
    assert len(to_civil) == 1  # immediate: the intake notification, e-mailed once
    assert not [m for m in mail.outbox if m.to == ["fire_heping@example.org"] and "【养老服务监管】" in m.subject]
    # The task running again (a retry, a duplicate delivery) sends nothing more.
    row = Notification.objects.get(recipient=users["civil_heping"], key=f"new:complaint:{complaint.pk}:received")
    assert row.emailed_at is not None
    before = len(mail.outbox)
    send_notification_email(row.pk)
    assert len(mail.outbox) == before
    # The digest: one mail for the digest user, nothing for the immediate one, and nothing the second time.
    send_daily_digests()
    digests = [m for m in mail.outbox[before:] if "每日待办提醒" in m.subject]
    assert [m.to for m in digests] == [["fire_heping@example.org"]]
    assert complaint.code in digests[0].body
    send_daily_digests()
    assert len([m for m in mail.outbox if "每日待办提醒" in m.subject]) == 1


def test_the_sweep_mails_what_the_broker_lost_once(with_emails):
    from datetime import timedelta

    from portal.tasks import sweep_notification_email

    users = with_emails
    # The demo's own notifications were made when the session began: once it has run for more than the sweep's
    # two minutes they would look lost too. They are not what this test loses.
    Notification.objects.update(emailed_at=timezone.now())
    lost = Notification.objects.create(recipient=users["fire_heping"], kind=NotificationKind.NEW_WORK,
                                       title="新的待办：移送", link="/work/", key="lost:1")
    Notification.objects.filter(pk=lost.pk).update(created=timezone.now() - timedelta(minutes=10))
    NotificationPreference.objects.create(user=users["market_heping"], delivery=Delivery.DIGEST)
    waiting = Notification.objects.create(recipient=users["market_heping"], kind=NotificationKind.NEW_WORK,
                                          title="新的待办：汇总", link="/work/", key="digest:1")
    Notification.objects.filter(pk=waiting.pk).update(created=timezone.now() - timedelta(minutes=10))
    mail.outbox.clear()
    assert sweep_notification_email() == 1
    assert [m.to for m in mail.outbox] == [["fire_heping@example.org"]]
    assert sweep_notification_email() == 0


def test_deadline_reminders_once_per_deadline(users):
    fire = dept("fire_rescue")
    finding = Finding.objects.filter(found_by=fire).order_by("id").first()
    Finding.objects.filter(pk=finding.pk).update(state=FindingState.SUBMITTED, verifying_department=fire,
                                                 rectification_due=timezone.localdate() - dt.timedelta(days=10))
    created = notify_deadlines(users["fire_heping"])
    assert created >= 1
    row = Notification.objects.get(recipient=users["fire_heping"], source="verify", kind=NotificationKind.OVERDUE,
                                   key__contains=f":{finding.pk}:")
    assert "已逾期" in row.title
    assert notify_deadlines(users["fire_heping"]) == 0  # the same deadline is not reminded twice
    assert not Notification.objects.filter(recipient=users["civil_hexi"], key__contains=f"verify:{finding.pk}:")


def test_the_daily_task_reminds_every_user_with_a_queue(users):
    names = set(users_to_remind().values_list("username", flat=True))
    assert {"civil_heping", "fire_heping", "inst_1"} <= names and "admin" not in names
    send_deadline_reminders()
    assert send_deadline_reminders() == 0  # idempotent


def test_inbox_lists_own_notifications_and_marks_them_read(client, users, django_assert_max_num_queries):
    mine = Notification.objects.create(recipient=users["civil_heping"], kind=NotificationKind.NEW_WORK,
                                       title="新的待办：测试", link=reverse("work-queue"), key="test:1")
    theirs = Notification.objects.create(recipient=users["fire_heping"], kind=NotificationKind.NEW_WORK,
                                         title="别人的通知", link=reverse("work-queue"), key="test:2")
    client.force_login(users["civil_heping"])
    with django_assert_max_num_queries(8):
        html = client.get(reverse("notification-inbox")).content.decode()
    assert "新的待办：测试" in html and "别人的通知" not in html
    response = client.post(reverse("notification-open", args=[mine.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("work-queue")
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert client.post(reverse("notification-open", args=[theirs.pk])).status_code == 404
    with pytest.raises(Notification.DoesNotExist):
        notification_mark_read(users["civil_heping"], theirs)


def test_inbox_query_count_is_constant(client, users, django_assert_max_num_queries):
    client.force_login(users["civil_heping"])
    counts = []
    for n in (1, 49):
        Notification.objects.bulk_create([
            Notification(recipient=users["civil_heping"], kind=NotificationKind.NEW_WORK, title=f"第{i}条",
                         link="/work/", key=f"bulk:{n}:{i}") for i in range(n)])
        with django_assert_max_num_queries(12) as captured:
            client.get(reverse("notification-inbox"))
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


def test_preference_page_saves_the_choice_and_rejects_nonsense(client, users):
    client.force_login(users["fire_heping"])
    client.post(reverse("notification-preference"), {"delivery": "digest"})
    assert NotificationPreference.objects.get(user=users["fire_heping"]).delivery == Delivery.DIGEST
    response = client.post(reverse("notification-preference"), {"delivery": "sometimes"}, follow=True)
    assert "请选择邮件提醒方式" in response.content.decode()
    assert NotificationPreference.objects.get(user=users["fire_heping"]).delivery == Delivery.DIGEST


def test_beat_schedule_is_in_the_database_after_setup():
    from django_celery_beat.models import PeriodicTask

    call_command("sync_schedules")
    call_command("sync_schedules")  # idempotent
    names = set(PeriodicTask.objects.values_list("name", flat=True))
    assert set(settings.CELERY_BEAT_SCHEDULE) <= names
    assert PeriodicTask.objects.filter(name__in=settings.CELERY_BEAT_SCHEDULE).count() == len(
        settings.CELERY_BEAT_SCHEDULE)
    reminders = PeriodicTask.objects.get(name="portal-deadline-reminders")
    assert reminders.task == "portal.tasks.send_deadline_reminders" and reminders.crontab is not None
    assert PeriodicTask.objects.get(name="credit-nightly").interval.every == 24 * 3600
    assert settings.CELERY_BEAT_SCHEDULER == "django_celery_beat.schedulers:DatabaseScheduler"
    # A retired entry's row, left by an older release, is removed (its task no longer exists).
    from django_celery_beat.models import IntervalSchedule

    every = IntervalSchedule.objects.create(every=300, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="complaints-sweep-notifications", interval=every,
                                task="complaints.tasks.sweep_complaint_notifications")
    call_command("sync_schedules")
    assert not PeriodicTask.objects.filter(name="complaints-sweep-notifications").exists()
    # An administrator's pause survives the next sync.
    PeriodicTask.objects.filter(name="credit-nightly").update(enabled=False)
    call_command("sync_schedules")
    assert not PeriodicTask.objects.get(name="credit-nightly").enabled
