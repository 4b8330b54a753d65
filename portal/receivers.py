"""The portal listens to the domain apps' signals (it is the top layer, so it may) and turns new work into
notifications for the users who will have to act. Signals arrive after commit with ids; the work itself runs as
a Celery task (eager on the embedded default)."""

from complaints.signals import complaint_received, complaint_routed
from inspections.signals import finding_recorded, rectification_submitted, referral_sent
from institutions.signals import filing_submitted


def _queue(source_key: str, record_id: int, event: str) -> None:
    from .tasks import delay_or_false, notify_new_work_task

    if not delay_or_false(notify_new_work_task, source_key, record_id, event):
        notify_new_work_task(source_key, record_id, event)  # the broker is away: do it here, after the commit


def on_filing_submitted(sender, filing_id, **kwargs):
    _queue("filing", filing_id, "submitted")


def on_rectification_submitted(sender, finding_id, **kwargs):
    # Each submission is new work for the verifier; the key tells a resubmission after a return apart.
    from inspections.models import Rectification

    latest = Rectification.objects.filter(finding_id=finding_id).order_by("-id").values_list("pk", flat=True).first()
    _queue("verify", finding_id, f"rectification-{latest}")


def on_finding_recorded(sender, finding_id, **kwargs):
    _queue("rectify", finding_id, "recorded")


def on_referral_sent(sender, referral_id, **kwargs):
    _queue("referral", referral_id, "sent")


def on_complaint_received(sender, complaint_id, **kwargs):
    _queue("complaint", complaint_id, "received")


def on_complaint_routed(sender, complaint_id, **kwargs):
    # A re-routing is new work for the new departments; those already told keep one row (same key).
    _queue("complaint", complaint_id, "routed")


def connect() -> None:
    filing_submitted.connect(on_filing_submitted, dispatch_uid="portal.notify.filing_submitted")
    rectification_submitted.connect(on_rectification_submitted, dispatch_uid="portal.notify.rectification_submitted")
    finding_recorded.connect(on_finding_recorded, dispatch_uid="portal.notify.finding_recorded")
    referral_sent.connect(on_referral_sent, dispatch_uid="portal.notify.referral_sent")
    complaint_received.connect(on_complaint_received, dispatch_uid="portal.notify.complaint_received")
    complaint_routed.connect(on_complaint_routed, dispatch_uid="portal.notify.complaint_routed")
