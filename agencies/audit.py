"""Audit rows, written by services inside their own transaction (so a rolled-back change leaves none)."""

from django.db import transaction

from .models import AuditEvent


def audit_record(actor, verb: str, obj, before: dict | None = None, after: dict | None = None, note: str = ""):
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record() must run inside the service's transaction")
    department = None
    profile = getattr(actor, "staff_profile", None) if actor is not None and actor.is_authenticated else None
    if profile is not None:
        department = profile.department
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None, department=department, verb=verb,
        object_type=obj._meta.label_lower, object_id=str(obj.pk), before=before or {}, after=after or {},
        note=note)
