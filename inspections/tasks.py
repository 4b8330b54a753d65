"""Periodic work of the inspections app (run by Celery beat daily, or `manage.py publish_overdue_inspections`)."""

from celery import shared_task

from .services.inspections import publish_overdue_inspections


@shared_task
def publish_overdue_inspections_task() -> list[int]:
    """一公开: results whose publish_due has passed are published by the portal itself."""
    return publish_overdue_inspections()
