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
