"""Celery tasks of the credit app (ids as arguments; idempotent: they recompute from the rows as they stand)."""

from celery import shared_task


@shared_task
def evaluate_institution(institution_id: int) -> int:
    """After each credit event, list step or finding: the institution's grade and risk level again."""
    from .services.evaluation import evaluate_institutions

    return evaluate_institutions([institution_id])


@shared_task
def nightly_credit_run() -> dict:
    """Nightly: expire entries past their term, propose late filers for the watch list, then re-evaluate every
    institution (decay moves scores daily)."""
    from .services.evaluation import evaluate_institutions
    from .services.lists import late_filers_propose, list_entries_expire

    expired = list_entries_expire()
    late = late_filers_propose()
    changed = evaluate_institutions()
    return {"expired": expired, "late_filers": late, "changed": changed}


RECOMPUTE_JOB_KIND = "credit.recompute"


@shared_task(acks_late=True)
def recompute_all_job(job_id: int) -> int | None:
    """The nightly re-grading of every operating institution, started by hand and shown as a background job.
    Each chunk of institutions commits on its own: a failure keeps what was already re-graded. acks_late: a worker
    killed mid-way leaves the task to the broker's redelivery (re-grading again is idempotent)."""
    from django.utils.translation import gettext as _

    from agencies.jobs import running_job

    from .services.evaluation import evaluate_institutions

    with running_job(job_id) as job:
        if job is None:
            return None
        changed = evaluate_institutions(progress=job.progress)
        job.finish(message=_("重新评价完成：%(n)d 家机构的信用等级或风险等级有变化。") % {"n": changed})
        return changed
    return None
