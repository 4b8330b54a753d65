"""The background import of the bureaus' institution sheet, as a background job (agencies.jobs).

The owner watches `/jobs/<id>/`. The import is all-or-nothing (one transaction): a sheet with row errors, or a
failure mid-way, imports nothing and the job shows why; what earlier imports wrote is untouched.
"""

from celery import shared_task
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agencies.choices import JOB_FINISHED_STATES
from agencies.jobs import running_job
from agencies.models import BackgroundJob

from ..excel import read_workbook
from ..services.directory import institutions_import

JOB_KIND = "institutions.import"


@shared_task(acks_late=True)
def import_institutions(job_id: int, upload_path: str) -> dict | None:
    """Reads the uploaded sheet (a default_storage name), validates every row, imports all or nothing.
    Returns the import's report ({"created", "updated", "unchanged", "errors", "total"}).

    acks_late: a worker killed mid-import (its transaction undone) leaves the task to the broker's redelivery."""
    result, ran = None, False
    try:
        with running_job(job_id) as job:
            if job is None:  # ended, or running in another worker (which still needs the sheet)
                ran = BackgroundJob.objects.filter(pk=job_id, state__in=JOB_FINISHED_STATES).exists()
                return None
            ran = True
            with default_storage.open(upload_path, "rb") as f:
                rows, errors = read_workbook(f)
            job.progress(0, len(rows))
            if errors:
                result = {"created": 0, "updated": 0, "unchanged": 0, "errors": [e.as_dict() for e in errors]}
            else:
                result = institutions_import(actor=job.owner, rows=rows, progress=job.progress)
            result["total"] = len(rows)
            _end(job, result)
    finally:
        if ran:
            default_storage.delete(upload_path)  # the sheet holds contact data; keep it no longer than needed
    return result


def _end(job, result: dict) -> None:
    report = {"errors": [e["text"] for e in result["errors"]], "counts": {
        k: result[k] for k in ("created", "updated", "unchanged", "total")}}
    if result["errors"]:
        count = len(result["errors"])
        job.fail(ngettext("发现 %(n)d 处错误，未导入任何机构。请改正后重新上传。",
                          "发现 %(n)d 处错误，未导入任何机构。请改正后重新上传。", count) % {"n": count},
                 result=report)
    else:
        job.finish(message=_("导入完成：新增 %(c)d 家，更新 %(u)d 家，未变化 %(n)d 家。") % {
            "c": result["created"], "u": result["updated"], "n": result["unchanged"]},
            result=report, result_url=reverse("public-institution-list"))
