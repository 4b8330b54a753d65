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


DRAW_SCHEDULE_JOB_KIND = "inspections.draw_schedule"


@shared_task(acks_late=True)
def schedule_drawn_inspections_job(job_id: int, draw_id: int) -> list[int] | None:
    """The same follow-up as a background job of whoever executed the draw: they see it progress."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from agencies.jobs import running_job

    with running_job(job_id) as job:
        if job is None:
            return None
        created = inspections_schedule_from_draw(draw_id, progress=job.progress)
        job.finish(message=_("已为抽中的机构安排 %(n)d 次检查。") % {"n": len(created)},
                   result_url=reverse("draw-detail", args=[draw_id]))
        return created
    return None
