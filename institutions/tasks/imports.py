"""The background import of the bureaus' institution sheet, with progress the staff page polls.

Progress and the final report go to the task's result (`update_state`, the return value) and to the cache
under the task id: the cache serves the status page when no result backend is configured (the embedded
default runs tasks eagerly without one), and holds who started the import, so that nobody else reads it.
"""

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.storage import default_storage

from ..excel import read_workbook
from ..services.directory import institutions_import

STATUS_TTL = 24 * 3600


def status_key(task_id: str) -> str:
    return f"institutions:import:{task_id}"


def import_status(task_id: str) -> dict | None:
    return cache.get(status_key(task_id))


def set_import_status(task_id: str, actor_id: int, **status) -> None:
    cache.set(status_key(task_id), {"actor_id": actor_id, **status}, STATUS_TTL)


@shared_task(bind=True)
def import_institutions(self, upload_path: str, actor_id: int) -> dict:
    """Reads the uploaded sheet (a default_storage name), validates every row, imports all or nothing."""
    task_id = self.request.id
    actor = get_user_model().objects.get(pk=actor_id)

    def progress(done, total):
        meta = {"done": done, "total": total, "actor_id": actor_id}
        self.update_state(state="PROGRESS", meta=meta)
        set_import_status(task_id, actor_id, state="PROGRESS", done=done, total=total)

    try:
        with default_storage.open(upload_path, "rb") as f:
            rows, errors = read_workbook(f)
        if errors:
            result = {"created": 0, "updated": 0, "unchanged": 0, "errors": [e.as_dict() for e in errors]}
        else:
            progress(0, len(rows))
            result = institutions_import(actor=actor, rows=rows, progress=progress)
    finally:
        default_storage.delete(upload_path)  # the sheet holds contact data; keep it no longer than needed
    total = len(rows)
    result = {**result, "total": total, "actor_id": actor_id}
    set_import_status(task_id, actor_id, state="SUCCESS", done=total if not result["errors"] else 0, total=total,
                      result=result)
    return result
