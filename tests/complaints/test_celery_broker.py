"""On the real broker (CI: REDIS_URL and PostgreSQL): with Redis unreachable a complaint is still accepted, and
its announcement, then its notification, go out through a real worker once Redis is back. Skips elsewhere, saying
why."""

from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model

from agencies.choices import OutboxState
from agencies.models import OutboxMessage
from agencies.tasks import sweep_outbox
from complaints.models import Complaint, ComplaintNotification
from complaints.services import complaint_submit
from complaints.tasks import announce_complaint_received
from institutions.models import Institution
from tests.faults import wait_for
from tests.institutions.test_celery_worker import celery_worker, publishing_app, real_services  # noqa: F401

pytestmark = pytest.mark.redis
WAIT = 60


def _reset_pools(app):
    # Not force_close_all(): kombu's global registry keeps that pool for the next test using the same URL.
    app._pool = None
    app.amqp._producer_pool = None


def test_complaint_accepted_while_redis_is_down_notified_once_it_is_back(
        real_services, rebuild_demo_after, celery_worker, publishing_app):  # noqa: F811
    redis_url = real_services
    User = get_user_model()
    User.objects.filter(username="civil_heping").update(email="civil_heping@example.org")
    home = Institution.objects.filter(region__code="120101").order_by("id").first()

    # "Redis stopped": the broker address answers nothing.
    publishing_app.conf.broker_url = "redis://127.0.0.1:1/0"
    publishing_app.conf.broker_connection_timeout = 1
    publishing_app.conf.broker_connection_retry = False
    _reset_pools(publishing_app)
    try:
        complaint, secret, created = complaint_submit(
            category="abuse", institution=home, description="护理员夜间对老人大声呵斥并推搡，家属多次看到。",
            complainant_name="赵某", complainant_phone="13700000000", consent=True)
    finally:
        publishing_app.conf.broker_url = redis_url
        _reset_pools(publishing_app)
    assert created and secret and Complaint.objects.filter(pk=complaint.pk).exists()
    announcement = OutboxMessage.objects.get(task=announce_complaint_received.name, args=[complaint.pk])
    assert (announcement.state, announcement.attempts) == (OutboxState.PENDING, 0)
    assert not ComplaintNotification.objects.filter(complaint=complaint).exists()

    # Redis is back: the beat-scheduled sweep, taken from Redis by the real worker, delivers the announcement, which
    # writes the intake bureau's notification. This worker takes only its own queue, not the one the announcement's
    # delivery queues the notification on: the next sweep (a minute later under beat) sends it.
    def sweep():
        with publishing_app.connection_for_write(redis_url) as conn:
            sweep_outbox.apply_async(queue=celery_worker["queue"], connection=conn)

    worker = SimpleNamespace(output=celery_worker["output"])  # what wait_for prints when it times out
    sweep()
    row = wait_for(lambda: ComplaintNotification.objects.filter(complaint=complaint).first(), WAIT,
                   "the announcement's notification", worker)
    announcement.refresh_from_db()
    assert (announcement.state, announcement.attempts) == (OutboxState.SENT, 1)
    sweep()
    wait_for(lambda: ComplaintNotification.objects.filter(pk=row.pk, sent_at__isnull=False).exists(), WAIT,
             "the notification to be sent", worker)
    row.refresh_from_db()
    assert row.attempts == 1 and row.last_error == ""
