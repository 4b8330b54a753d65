"""Keep every regulated record's copy of its institution's region code and facts in step (DESIGN §3).

`restrict()` reads `region_code` and `institution_facts` on the record itself, so when an institution moves
or its facts change, its records must follow — that is all it takes for every list to change.
"""

import logging

from celery import shared_task
from django.apps import apps
from django.db import OperationalError, transaction
from django.db.models import Q

from ..models import Institution, RegulatedRecord

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000


def regulated_record_models() -> list:
    """Every concrete table of a RegulatedRecord subclass, found at run time so later apps' records follow.

    Proxies and multi-table children share a parent's table; updating them too would count rows twice.
    """
    found = []
    for model in apps.get_models():
        if not issubclass(model, RegulatedRecord) or model._meta.proxy:
            continue
        if any(issubclass(parent, RegulatedRecord) for parent in model._meta.parents):
            continue
        found.append(model)
    return sorted(found, key=lambda m: m._meta.label_lower)


def _stale(model, institution_id: int, region_code: str, facts: int):
    # The base manager: a later model's default manager may hide rows (archived …) that must follow too.
    return model._base_manager.filter(institution_id=institution_id).filter(
        ~Q(region_code=region_code) | ~Q(institution_facts=facts))


def _current(institution_id: int) -> tuple[str, int] | None:
    """The institution's region code and facts, read under its row lock.

    institution_update() holds the same lock, so a batch never writes values that a concurrent update has
    already replaced: either the batch runs first (and the update's own task follows), or it sees the update.
    """
    return (Institution.objects.select_for_update().filter(pk=institution_id)
            .values_list("region_code", "facts").first())


def sync_records(institution_id: int, *, batch_size: int = BATCH_SIZE, on_progress=None) -> dict:
    """Copy the institution's current region code and facts onto every record that differs.

    Idempotent: only differing rows are written, so a second run updates nothing. Works in batches of at most
    `batch_size` rows, each UPDATE bounded by a primary-key range and committed on its own, so a city's move
    never holds one long transaction over a million findings. `on_progress(done, total)` after each batch.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    current = Institution.objects.filter(pk=institution_id).values_list("region_code", "facts").first()
    if current is None:
        # Records PROTECT their institution, so a vanished one has no records left to follow it.
        logger.warning("sync_institution_records: institution %s no longer exists", institution_id)
        return {"institution": institution_id, "missing": True, "updated": 0, "total": 0, "models": {}}
    models = regulated_record_models()
    total = sum(_stale(m, institution_id, *current).count() for m in models)
    done = 0
    by_model = {}
    for model in models:
        updated = 0
        last_pk = None
        while True:
            with transaction.atomic():
                current = _current(institution_id)
                if current is None:
                    break
                region_code, facts = current
                stale = _stale(model, institution_id, region_code, facts).order_by("pk")
                if last_pk is not None:
                    stale = stale.filter(pk__gt=last_pk)
                ids = list(stale.values_list("pk", flat=True)[:batch_size])
                if not ids:
                    break
                # A range plus the same "differs" test, rather than a list of ids in the statement.
                updated_now = _stale(model, institution_id, region_code, facts).filter(
                    pk__gte=ids[0], pk__lte=ids[-1]).update(region_code=region_code, institution_facts=facts)
                last_pk = ids[-1]
            updated += updated_now
            done += updated_now
            if on_progress is not None:
                on_progress(done, max(total, done))
        by_model[model._meta.label_lower] = updated
    region_code, facts = current if current is not None else (None, None)
    return {"institution": institution_id, "region_code": region_code, "facts": facts,
            "updated": done, "total": max(total, done), "models": by_model}


@shared_task(bind=True, acks_late=True, autoretry_for=(OperationalError,), max_retries=5,
             retry_backoff=True, retry_backoff_max=300, retry_jitter=True)
def sync_institution_records(self, institution_id: int, batch_size: int = BATCH_SIZE) -> dict:
    """Celery entry point of sync_records(); queued by institution_update() after its commit.

    Retries only on OperationalError (lost connection, lock timeout, serialization failure): each committed
    batch is already correct and the rerun skips it, so a retry resumes rather than repeats.
    """

    def report(done, total):
        # Only a queued run has someone polling its state; an eager or direct call gets the summary back.
        if self.request.id and not self.request.is_eager:
            self.update_state(state="PROGRESS", meta={"done": done, "total": total})

    return sync_records(institution_id, batch_size=batch_size, on_progress=report)


FOLLOW_JOB_KIND = "institutions.follow"
FOLLOW_ATTEMPTS = 3


@shared_task(acks_late=True)
def sync_institution_records_job(job_id: int, institution_id: int) -> dict | None:
    """sync_records() as a background job of whoever moved the institution (or changed its facts): they watch the
    records follow. A lost connection is retried in place — committed batches are skipped by the rerun — and
    anything else ends the job as failed, with every batch already committed kept."""
    from django.utils.translation import gettext as _

    from agencies.jobs import running_job

    with running_job(job_id) as job:
        if job is None:
            return None
        for attempt in range(1, FOLLOW_ATTEMPTS + 1):
            try:
                summary = sync_records(institution_id, on_progress=job.progress)
                break
            except OperationalError:
                if attempt == FOLLOW_ATTEMPTS:
                    raise
                logger.warning("sync_institution_records_job %s: retrying after a database error", job_id)
        job.finish(message=_("已同步 %(n)d 条监管记录的所在区划和机构情形。") % {"n": summary["updated"]},
                   result={"models": summary.get("models", {})})
        return summary
    return None
