"""The directory's Excel export as a background job: the owner's statutory scope, read through restrict()."""

from celery import shared_task
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.audit import audit_event
from agencies.choices import Action
from agencies.jobs import running_job

from ..excel import export_workbook
from ..models import Institution

EXPORT_JOB_KIND = "institutions.export"


@shared_task(acks_late=True)
def export_institutions(job_id: int) -> int | None:
    """Builds the sheet of every institution the job's owner may view; returns the number of rows. acks_late: a
    worker killed mid-way leaves the task to the broker's redelivery (building the sheet again is harmless)."""
    with running_job(job_id) as job:
        if job is None:
            return None
        rows = Institution.objects.restrict(job.owner, Action.VIEW).order_by("region_code", "name", "id")
        total = rows.count()
        job.progress(0, total)
        content = export_workbook(rows, progress=lambda done: job.progress(done, total))
        audit_event(job.owner, "institution.export", "institutions.institution", "",
                    after={"format": "xlsx", "background_job": job_id})
        name = f"institutions-{timezone.localdate():%Y%m%d}.xlsx"
        job.finish(message=_("已导出 %(n)d 家机构。") % {"n": total}, result_file=ContentFile(content, name=name),
                   result_name=name)
        return total
    return None
