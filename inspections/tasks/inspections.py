"""Periodic work of the inspections app (run by Celery beat daily, or `manage.py publish_overdue_inspections`)."""

from celery import shared_task

from ..services.draws import draws_with_unscheduled_assignments, inspections_schedule_from_draw
from ..services.inspections import publish_overdue_inspections


@shared_task
def publish_overdue_inspections_task() -> list[int]:
    """一公开: results whose publish_due has passed are published by the portal itself."""
    return publish_overdue_inspections()


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def schedule_drawn_inspections(draw_id: int) -> list[int]:
    """The planned inspections of an executed draw (idempotent: an assignment gets one inspection)."""
    return inspections_schedule_from_draw(draw_id)


@shared_task
def schedule_drawn_inspections_sweep() -> list[int]:
    """Catches up on draws whose follow-up never ran (the broker was down when they were executed)."""
    return [pk for draw_id in draws_with_unscheduled_assignments() for pk in inspections_schedule_from_draw(draw_id)]
