"""What follows a filing's review, owed through the outbox (agencies.outbox) by the filing services: delivered
after their commit by a worker, or by the sweep if the broker was away. Ids as arguments."""

from celery import shared_task


@shared_task
def announce_filing_submitted(filing_id: int) -> int:
    """Tell the apps above that a filing waits for review (the portal notifies the reviewers; idempotent there)."""
    from ..models import Filing
    from ..signals import filing_submitted

    filing_submitted.send(sender=Filing, filing_id=filing_id)
    return filing_id


@shared_task
def notify_filing_below_standard(filing_id: int) -> int:
    """E-mail the competent departments of an approved filing below accessibility or fire standards."""
    from ..services.filing import notify_below_standard

    return notify_below_standard(filing_id)
