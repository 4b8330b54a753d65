"""Credit events: recorded by the department whose duty covers the domain, or proposed by the system."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from agencies.access import can
from agencies.audit import audit_record
from agencies.choices import Action

from ..choices import EVENT_TRANSITIONS, EventKind, EventState, PersonRole
from ..models import CreditDocument, CreditEvent, CreditEventGroupObjectPermission, ResponsiblePerson
from . import hash_id_number, queue_evaluation, require_department, today, transition


def _add_persons(persons, **parent) -> None:
    for person in persons or ():
        role, name = person.get("role"), (person.get("name") or "").strip()
        if role not in PersonRole.values or not name:
            raise ValidationError({"persons": _("责任人须有身份和姓名。")})
        id_number = (person.get("id_number") or "").strip()
        ResponsiblePerson.objects.create(
            role=role, name=name, id_number_hash=hash_id_number(id_number) if id_number else "",
            id_number_tail=id_number[-4:], **parent)


def credit_event_record(actor, *, institution, domain, kind, occurred_on, summary, legal_basis="",
                        document_number="", is_public=True, public_until=None, persons=(), files=()) -> CreditEvent:
    """A department records a penalty, judgment, compulsory measure, honour … in a domain its duty covers.

    `record_penalty` on the event (its institution's region and facts, its domain) is what the duty catalog
    must give the actor's department; anything else is refused, whatever the form sent.
    """
    department = require_department(actor)
    if kind not in EventKind.values:
        raise ValidationError({"kind": _("未知的信用事项类型。")})
    if not summary or not summary.strip():
        raise ValidationError({"summary": _("请填写事由。")})
    if isinstance(occurred_on, dt.date) and occurred_on > today():
        raise ValidationError({"occurred_on": _("日期不能晚于今天。")})
    if public_until is not None and public_until < occurred_on:
        raise ValidationError({"public_until": _("公开截止日期不能早于决定日期。")})
    event = CreditEvent(institution=institution, domain=domain, kind=kind, state=EventState.IN_FORCE,
                        department=department, occurred_on=occurred_on, summary=summary.strip(),
                        legal_basis=legal_basis, document_number=document_number, is_public=is_public,
                        public_until=public_until, recorded_by=actor)
    event.copy_institution_columns()
    if not can(actor, Action.RECORD_PENALTY, event):
        raise PermissionDenied(_("本部门的职责不包括在该领域记录此机构的信用事项。"))
    with transaction.atomic():
        event.save()
        _add_persons(persons, event=event)
        for upload in files or ():
            CreditDocument.objects.create(event=event, file=upload, original_name=upload.name[:255],
                                          uploaded_by=actor)
        audit_record(actor, "creditevent.record", event, after={
            "kind": kind, "domain": domain.code, "occurred_on": str(occurred_on), "is_public": is_public})
        queue_evaluation(institution.pk)
    return event


def system_event(*, institution, domain, kind, department, occurred_on, summary, state=EventState.IN_FORCE,
                 legal_basis="", source_finding=None, source_complaint_id=None,
                 source_inspection=None) -> CreditEvent | None:
    """An event the portal derives from what happened below (a finding, a complaint, an inspection).

    Idempotent: a source gives at most one event of a kind (unique constraints), so a re-sent signal is a no-op.
    """
    try:
        with transaction.atomic():
            event = CreditEvent(institution=institution, domain=domain, kind=kind, state=state,
                                department=department, occurred_on=occurred_on, summary=summary,
                                legal_basis=legal_basis, source_finding=source_finding,
                                source_complaint_id=source_complaint_id, source_inspection=source_inspection)
            event.save()
            if state == EventState.PROPOSED:
                # Handed to the department that must confirm it (it may see the domain only by a referral).
                from . import grant_group

                grant_group(CreditEventGroupObjectPermission, event, department.group,
                            [Action.VIEW, Action.RECORD_PENALTY])
            audit_record(None, "creditevent.derive", event, after={"kind": kind, "state": state})
            if state == EventState.IN_FORCE:
                queue_evaluation(institution.pk)
    except IntegrityError:
        return None
    return event


def _decide(actor, event, target, note, verb) -> CreditEvent:
    require_department(actor)
    with transaction.atomic():
        event = CreditEvent.objects.select_for_update().get(pk=event.pk)
        if not can(actor, Action.RECORD_PENALTY, event):
            raise PermissionDenied(_("只有提请确认的部门可以办理。"))
        before = event.state
        transition(event, EVENT_TRANSITIONS, target)
        event.decided_note = note
        event.recorded_by = actor
        event.save(update_fields=["state", "decided_note", "recorded_by"])
        audit_record(actor, verb, event, {"state": before}, {"state": target}, note=note)
        queue_evaluation(event.institution_id)
    return event


def credit_event_confirm(actor, event, note: str = "") -> CreditEvent:
    """The finding department confirms a proposed broken-pledge event: it enters the credit record."""
    return _decide(actor, event, EventState.IN_FORCE, note, "creditevent.confirm")


def credit_event_dismiss(actor, event, note: str) -> CreditEvent:
    if not note or not note.strip():
        raise ValidationError({"note": _("不予记录须说明理由。")})
    return _decide(actor, event, EventState.DISMISSED, note, "creditevent.dismiss")
