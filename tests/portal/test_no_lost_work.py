"""No lost work (issue 8, point 5), on the real services: real Celery workers on a Redis of the test's own, which
the test kills (the worker, SIGKILL, mid-task) and stops (Redis, between submissions), on PostgreSQL.

What each test measures is counted from the database and from the e-mail the workers wrote (file backend):
every owed effect happened, and happened once. CI runs them (REDIS_URL and DATABASE_URL set, redis-server on
PATH); elsewhere they skip, saying why.
"""

import os
import time
import uuid
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Max
from django.urls import reverse

from agencies.choices import OutboxState
from agencies.models import AuditEvent, BackgroundJob, OutboxMessage
from agencies.tasks import sweep_outbox
from complaints.models import Complaint, ComplaintNotification
from complaints.services import complaint_submit
from complaints.tasks import announce_complaint_received
from complaints.tasks import recipients as complaint_recipients
from credit.tasks import RECOMPUTE_JOB_KIND
from inspections.choices import ReferralKind
from inspections.services import referral_send
from institutions.models import Institution
from institutions.services.filing import filing_approve
from portal.models import Notification
from tests.faults import PrivateRedis, Worker, mails, needs_real_services, point_app_at, raw_connection, send, wait_for
from tests.inspections.conftest import department, make_finding  # noqa: F401
from tests.institutions.test_filing_services import HEPING, HEXI, account, media, submitted_filing  # noqa: F401

pytestmark = pytest.mark.redis
WAIT = 45
User = get_user_model()


@pytest.fixture
def broker():
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs the real services: REDIS_URL is not set")
    needs_real_services()
    redis = PrivateRedis()
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture
def publishing(broker):
    restore = point_app_at(broker.url)
    yield broker
    restore()


@pytest.fixture
def mail_dir(tmp_path):
    path = tmp_path / "mail"
    path.mkdir()
    return path


@pytest.fixture
def workers(broker, mail_dir, transactional_db):
    started = []
    # The workers' Redis cache (scopes keyed by user id) is this test's own: another test's worker, on another
    # xdist process's database or on a demo rebuilt since, may have cached a scope under the same user id.
    cache_prefix = f"faults-{uuid.uuid4().hex[:12]}"

    def start(**env) -> Worker:
        worker = Worker(broker.url, mail_dir, **{"CACHE_KEY_PREFIX": cache_prefix, **env})
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.cleanup()


def staff_emails(*kinds) -> list[str]:
    return sorted(User.objects.filter(is_active=True, staff_profile__department__region__code=HEPING,
                                      staff_profile__department__kind__code__in=kinds)
                  .exclude(email="").values_list("email", flat=True))


def give_emails(*usernames) -> None:
    for name in usernames:
        User.objects.filter(username=name).update(email=f"{name}@example.org")


def staff_emails_in(region_code: str, *kinds) -> list[str]:
    """Every active staff member of those departments gets an address; their addresses."""
    staff = User.objects.filter(is_active=True, staff_profile__department__region__code=region_code,
                                staff_profile__department__kind__code__in=kinds)
    for user in staff:
        User.objects.filter(pk=user.pk).update(email=f"{user.username}@example.org")
    return sorted(staff.values_list("email", flat=True))


def subjects_to(mail_dir, needle: str) -> Counter:
    """(recipient, subject) → how many times it was sent, for messages whose subject contains `needle`."""
    return Counter((to, subject) for to, subject in sent_mail(mail_dir) if needle in subject)


def sent_mail(mail_dir) -> list[tuple[str, str]]:
    # A folded header parses with the folding's leading space.
    return [(str(m["To"]).strip(), str(m["Subject"]).strip()) for m in mails(mail_dir)]


def result_of(async_result, broker_url, timeout=WAIT):
    from celery.backends.redis import RedisBackend

    from portal.celery import app

    backend = RedisBackend(app=app, url=broker_url)
    try:
        return app.AsyncResult(async_result.id, backend=backend).get(timeout=timeout)
    finally:
        backend.client.close()


# ------------------------------------------------------------------------------------ a worker killed mid-task


def test_a_worker_killed_mid_task_runs_it_again_and_mails_once(rebuild_demo_after, publishing, workers, mail_dir,
                                                               users, media):  # noqa: F811
    """The task is in flight (received, started, blocked on a row lock the test holds) when its worker gets SIGKILL;
    a new worker takes it from Redis (the unacked message, restored after the visibility timeout) and runs it."""
    give_emails("fire_heping", "housing_heping")
    expected = staff_emails("fire_rescue", "housing_construction")
    assert len(expected) >= 2
    filing = submitted_filing(account(users, HEPING))
    filing_approve(users["civil_heping"], filing, below_fire_standard=True, below_accessibility_standard=True)
    message = OutboxMessage.objects.get(task="institutions.tasks.filing.notify_filing_below_standard",
                                        args=[filing.pk])
    assert message.state == OutboxState.PENDING  # queued on Redis; no worker yet

    fast_restore = {"CELERY_VISIBILITY_TIMEOUT": 3, "CELERY_UNACKED_RESTORE_INTERVAL": 1,
                    "CELERY_UNACKED_RESTORE_THROTTLE": 1}
    holder, watcher = raw_connection(), raw_connection()
    watcher.autocommit = True
    try:
        with holder.cursor() as cursor:  # the test's own transaction holds the row: the delivery will wait on it
            cursor.execute("SELECT id FROM agencies_outboxmessage WHERE id = %s FOR UPDATE", [message.pk])
        first = workers(**fast_restore)

        def waiting_backend():  # from another connection: pg_stat_activity is a snapshot within a transaction
            with watcher.cursor() as cursor:
                cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                               "AND wait_event_type = 'Lock' AND query ILIKE %s AND pid <> pg_backend_pid()",
                               ["%agencies_outboxmessage%"])
                return cursor.fetchone()

        wait_for(waiting_backend, WAIT, "the worker to be inside the delivery, waiting on the row", first)
        assert "deliver_outbox_message" in first.current_output()
        killed_at = time.monotonic()
        first.kill()
    finally:
        holder.rollback()
        holder.close()
        watcher.close()
    assert subjects_to(mail_dir, "备案通报") == Counter()  # the killed run sent nothing

    second = workers(**fast_restore)
    wait_for(lambda: OutboxMessage.objects.get(pk=message.pk).state == OutboxState.SENT, WAIT,
             "the redelivered task to finish", second)
    redelivered_after = time.monotonic() - killed_at
    message.refresh_from_db()
    assert message.attempts == 1 and message.last_error == ""  # the killed attempt died with its transaction
    sent = subjects_to(mail_dir, "备案通报")
    # The fire notice to fire rescue's staff, the accessibility one to housing's: each recipient once.
    assert sorted(to for to, _subject in sent) == expected and set(sent.values()) == {1}, sent
    assert "deliver_outbox_message" in second.current_output()
    print(f"redelivered and done {redelivered_after:.1f}s after the SIGKILL")


# ------------------------------------------------------------------------------------ Redis stopped mid-stream


def test_two_hundred_complaints_while_redis_stops_all_stored_all_notified_once(rebuild_demo_after, publishing,
                                                                              workers, mail_dir):
    broker = publishing
    give_emails("civil_heping")
    home = Institution.objects.filter(region__code=HEPING).order_by("id").first()
    worker = workers()

    def submit(n):
        complaint, secret, created = complaint_submit(
            category="abuse", institution=home, description=f"第{n}号：护理员夜间对老人大声呵斥并推搡，家属多次看到。",
            complainant_name="赵某", complainant_phone="13700000000", consent=True)
        assert created and secret
        return complaint

    started = time.monotonic()
    codes = [submit(n).code for n in range(100)]
    up_seconds = time.monotonic() - started
    broker.stop()
    started = time.monotonic()
    codes += [submit(n).code for n in range(100, 200)]
    down_seconds = time.monotonic() - started
    assert Complaint.objects.filter(code__in=codes).count() == 200  # every one stored while Redis was down
    # What the complaints owe waits in the outbox: their announcements, which write the intake bureau's notification.
    unsent_while_down = OutboxMessage.objects.filter(task=announce_complaint_received.name,
                                                     state=OutboxState.PENDING).count()
    assert unsent_while_down >= 100

    broker.start()
    send(sweep_outbox, broker.url)  # what beat sends every minute
    rows = ComplaintNotification.objects.filter(complaint__code__in=codes)
    # The sweep delivers the announcements; each writes its notification. The worker itself met Redis stopped (it
    # was delivering the first hundred) and, for BROKER_PAUSE_SECONDS, leaves what it owes to the next sweep.
    wait_for(lambda: rows.count() == 200, WAIT, "every notification to be written", worker)
    send(sweep_outbox, broker.url)  # beat's next minute
    wait_for(lambda: not rows.filter(sent_at__isnull=True).exists(), WAIT, "every notification to be sent", worker)

    assert rows.count() == 200 and set(rows.values_list("outbox__attempts", flat=True)) == {1}
    assert set(rows.values_list("outbox__state", "outbox__last_error")) == {(OutboxState.SENT, "")}
    to = complaint_recipients(rows.first())
    assert "civil_heping@example.org" in to
    code_of = {subject: code for subject, code in rows.values_list("subject", "complaint__code")}
    sent = Counter(code_of[subject] for _to, subject in sent_mail(mail_dir) if subject in code_of)
    assert sorted(sent) == sorted(codes) and set(sent.values()) == {len(to)}, sent  # all 200, once per recipient
    print(f"100 submissions with Redis up {up_seconds:.1f}s, 100 with it down {down_seconds:.1f}s; "
          f"{unsent_while_down} left for the sweep")


# ------------------------------------------------------------------------------------ the outbox, broker down


def test_a_filing_and_a_decision_while_redis_is_down_are_delivered_once_by_the_sweep(
        rebuild_demo_after, publishing, workers, mail_dir, users, media, make_finding):  # noqa: F811
    broker = publishing
    give_emails("civil_heping")
    fire_hexi = staff_emails_in(HEXI, "fire_rescue")
    health = staff_emails_in(HEPING, "health")
    assert fire_hexi and health
    finding = make_finding(domain="medical_health", by="civil_affairs")
    already = OutboxMessage.objects.aggregate(last=Max("id"))["last"] or 0
    broker.stop()

    started = time.monotonic()
    filing = submitted_filing(account(users, HEPING))  # an institution submits its filing …
    approved = submitted_filing(account(users, HEXI))  # … another's is approved, below the fire standard
    filing_approve(users["civil_hexi"], approved, below_fire_standard=True)
    referral = referral_send(users["civil_heping"], finding, department("health"), ReferralKind.TRANSFER,
                             "内设医务室药品管理不规范，属卫生健康部门职责")  # a decision: to the competent department
    down_seconds = time.monotonic() - started
    owed = OutboxMessage.objects.filter(id__gt=already).order_by("id")
    assert sorted(owed.values_list("task", "args")) == sorted([
        ("institutions.tasks.filing.announce_filing_submitted", [filing.pk]),
        ("institutions.tasks.filing.announce_filing_submitted", [approved.pk]),
        ("institutions.tasks.filing.notify_filing_below_standard", [approved.pk]),
        ("inspections.tasks.findings.notify_referral", [referral.pk])])
    assert set(owed.values_list("state", "attempts")) == {(OutboxState.PENDING, 0)}
    assert mails(mail_dir) == []

    broker.start()
    worker = workers()
    result = send(sweep_outbox, broker.url)
    assert result_of(result, broker.url)["sent"] == 4
    assert set(owed.values_list("state", "attempts", "last_error")) == {(OutboxState.SENT, 1, "")}
    # The filing's reviewers were told (in their inbox, then by e-mail), the competent departments e-mailed.
    key = f"new:filing:{filing.pk}:submitted"
    # notify_new_work writes one recipient at a time: wait for this reviewer's row, not for the first of them.
    wait_for(lambda: Notification.objects.filter(key=key, recipient__username="civil_heping").exists(), WAIT,
             "the reviewers' notification", worker)
    assert Notification.objects.filter(key=key, recipient__username="civil_heping").count() == 1
    fire = subjects_to(mail_dir, "备案通报")
    assert sorted(to for to, _s in fire) == fire_hexi and set(fire.values()) == {1}, fire
    referral_needle = f"→ {referral.to_department.name}：{finding.institution.name}"
    referral_mails = subjects_to(mail_dir, referral_needle)
    assert sorted(to for to, _s in referral_mails) == health and set(referral_mails.values()) == {1}, referral_mails

    # The sweep again: nothing is owed, nothing is sent twice.
    again = result_of(send(sweep_outbox, broker.url), broker.url)
    assert again["sent"] == 0
    assert subjects_to(mail_dir, "备案通报") == fire and subjects_to(mail_dir, referral_needle) == referral_mails
    print(f"three services with Redis down took {down_seconds:.1f}s")


# ------------------------------------------------------------------------------------ a job started, Redis down


def test_a_job_started_while_redis_is_down_runs_once_when_the_sweep_delivers_it(rebuild_demo_after, publishing,
                                                                                workers, users, client):
    """The city bureau starts the credit re-grading of every institution with Redis stopped: the page answers, the
    job waits queued with its start owed in the outbox; once Redis is back the sweep starts it on a real worker,
    and it runs once."""
    broker = publishing
    broker.stop()
    client.force_login(users["civil_city"])
    started = time.monotonic()
    response = client.post(reverse("credit-recompute-all"))
    down_seconds = time.monotonic() - started
    job = BackgroundJob.objects.get(kind=RECOMPUTE_JOB_KIND)
    assert response.status_code == 302 and response["Location"] == reverse("job-detail", args=[job.pk])
    message = OutboxMessage.objects.get(key=f"job:{job.pk}")
    assert job.state == "queued" and (message.state, message.attempts) == (OutboxState.PENDING, 0)

    broker.start()
    worker = workers()
    assert result_of(send(sweep_outbox, broker.url), broker.url)["sent"] >= 1
    wait_for(lambda: BackgroundJob.objects.get(pk=job.pk).is_finished, WAIT, "the job to run", worker)
    job.refresh_from_db()
    message.refresh_from_db()
    operating = Institution.objects.exclude(status="closed").count()
    assert (job.state, job.done, job.total) == ("done", operating, operating), job.message
    assert (message.state, message.attempts, message.last_error) == (OutboxState.SENT, 1, "")
    done_events = AuditEvent.objects.filter(verb="job.done", object_id=str(job.pk))
    assert done_events.count() == 1

    # The sweep again, and the job's start delivered again: nothing more runs.
    assert result_of(send(sweep_outbox, broker.url), broker.url)["sent"] == 0
    from agencies.tasks import deliver_outbox_message

    assert result_of(send(deliver_outbox_message, broker.url, message.pk), broker.url) == "done"
    assert done_events.count() == 1 and BackgroundJob.objects.get(pk=job.pk).finished_at == job.finished_at
    print(f"the recompute started with Redis down answered in {down_seconds:.1f}s")
