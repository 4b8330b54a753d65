"""Celery tasks of the inspections app, one module per capability (listed in settings.CELERY_IMPORTS)."""
