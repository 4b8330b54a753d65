"""Writes for the institutions app."""

from decimal import Decimal
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from agencies.audit import audit_record
from agencies.choices import InstitutionFact, RegionLevel
from agencies.models import Region

from ..models import Institution
from ..tasks import FOLLOW_JOB_KIND, sync_institution_records, sync_institution_records_job

FACT_FIELDS = frozenset(InstitutionFact.values)
EDITABLE_FIELDS = frozenset({"name", "uscc", "legal_form", "region", "address", "status", "beds",
                             "building_area"}) | FACT_FIELDS
# Computed in Institution.save(); setting them directly would desynchronise them from region and facts.
COMPUTED_FIELDS = frozenset({"region_code", "facts"})


def _json(value):
    return str(value) if isinstance(value, Decimal) else value


def _region(value) -> Region:
    region = value if isinstance(value, Region) else Region.objects.filter(pk=value).first()
    if region is None:
        raise ValidationError({"region": f"行政区划不存在：{value}"})
    # A city-level region would put the institution outside every district department's scope.
    if region.level == RegionLevel.CITY:
        raise ValidationError({"region": f"机构须位于区或街道，不能是“{region.name}”"})
    return region


def institution_update(*, actor, institution_id: int, follow_as_job: bool = True, **changes) -> Institution:
    """The one write path for an institution's own fields.

    Writes an audit row of what changed in the same transaction, and, when the region or a fact changed,
    queues sync_institution_records after commit so that the institution's records (and with them every
    department's lists) follow — as a background job of the actor, who can watch it, unless `follow_as_job`
    is False (a bulk import moving many institutions queues the plain task rather than a job per row).
    Nothing is written when nothing changes.
    """
    unknown = sorted(set(changes) - EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({
            name: f"由系统计算，不能直接修改：{name}" if name in COMPUTED_FIELDS else f"未知或不可修改的字段：{name}"
            for name in unknown})
    if "region" in changes:
        changes["region"] = _region(changes["region"])

    with transaction.atomic():
        institution = Institution.objects.select_for_update().get(pk=institution_id)
        before, after = {}, {}
        for name, value in changes.items():
            field = Institution._meta.get_field(name)
            old = field.to_python(field.value_from_object(institution))
            setattr(institution, name, value)
            try:
                new = field.to_python(field.value_from_object(institution))
            except ValidationError as exc:
                raise ValidationError({name: exc.messages}) from exc
            if old != new:
                before[name], after[name] = _json(old), _json(new)
        if not after:
            return institution

        # Validate values of the fields being changed; the computed columns are set by save().
        exclude = [f.name for f in Institution._meta.fields if f.name not in after]
        institution.full_clean(exclude=exclude)

        old_region_code, old_facts = institution.region_code, institution.facts
        institution.save()
        follow = institution.region_code != old_region_code or institution.facts != old_facts
        if institution.region_code != old_region_code:
            before["region_code"], after["region_code"] = old_region_code, institution.region_code
        if institution.facts != old_facts:
            before["facts"], after["facts"] = old_facts, institution.facts
        audit_record(actor, "institution.update", institution, before, after)
        if follow:
            _queue_follow_up(actor, institution, as_job=follow_as_job)
    return institution


def _queue_follow_up(actor, institution: Institution, *, as_job: bool) -> None:
    # Ids only, and after commit: the worker must see the committed row, and a rollback queues nothing.
    if as_job and getattr(actor, "is_authenticated", False):
        from agencies.jobs import job_create

        job_create(actor, FOLLOW_JOB_KIND, _("机构变更后同步其监管记录：%(name)s") % {"name": institution.name},
                   sync_institution_records_job, institution.pk)
    else:
        transaction.on_commit(partial(sync_institution_records.delay, institution.pk))
