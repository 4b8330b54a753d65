"""What credit does when the apps below it tell it something happened (connected in CreditConfig.ready()).

Senders send after their commit, with ids; each receiver works in its own transaction and queues the
re-evaluation after commit.
"""

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from agencies.models import Department, Domain
from institutions.models import Institution

from .choices import MANY_COMPLAINTS_THRESHOLD, EventKind, EventState, WatchGround
from .models import CreditEvent, PledgeItemChecklistCode
from .services import queue_evaluation, today
from .services.events import system_event
from .services.lists import list_entry_auto_propose


def _civil_affairs_of(institution) -> Department | None:
    """The district civil-affairs bureau of the institution: it decides the watch list."""
    from institutions.services.records import district_of

    return (Department.objects.filter(kind__code="civil_affairs", region=district_of(institution.region))
            .select_related("group").first())


def _finding(finding_id):
    from inspections.models import Finding

    return (Finding.objects.select_related("institution__region", "domain", "found_by", "checklist_item")
            .filter(pk=finding_id).first())


def has_signed_pledge(institution) -> bool:
    from institutions.models import PledgeSignature

    return PledgeSignature.objects.filter(filing__institution=institution).exists()


def on_finding_recorded(sender=None, finding_id=None, **kwargs):
    """A major hazard enters the credit record; a finding on a pledged item proposes a broken-pledge event to
    the department that found it (it confirms or dismisses it)."""
    from inspections.choices import Severity

    finding = _finding(finding_id)
    if finding is None or finding.found_by is None:
        return
    on = finding.found_on or today()
    if finding.severity == Severity.MAJOR:
        system_event(institution=finding.institution, domain=finding.domain, kind=EventKind.SERIOUS_FINDING,
                     department=finding.found_by, occurred_on=on, source_finding=finding,
                     summary=_("检查发现重大隐患：%(t)s") % {"t": finding.text[:200]}, legal_basis=finding.basis)
    item = finding.checklist_item
    if item is None or not has_signed_pledge(finding.institution):
        return
    mapping = PledgeItemChecklistCode.objects.select_related("pledge_item").filter(checklist_code=item.code).first()
    if mapping is None:
        return
    system_event(institution=finding.institution, domain=finding.domain, kind=EventKind.BROKEN_PLEDGE,
                 department=finding.found_by, occurred_on=on, state=EventState.PROPOSED, source_finding=finding,
                 summary=_("违反信用承诺第%(c)s条（%(p)s）：检查事项%(code)s发现问题：%(t)s") % {
                     "c": mapping.pledge_item.code, "p": mapping.pledge_item.text[:60], "code": item.code,
                     "t": finding.text[:200]},
                 legal_basis=_("养老机构备案信用承诺书；000号文任务38"))


def on_finding_closed(sender=None, finding_id=None, **kwargs):
    finding = _finding(finding_id)
    if finding is not None:
        with transaction.atomic():
            queue_evaluation(finding.institution_id)


def on_rectification_overdue(sender=None, finding_id=None, **kwargs):
    """Late rectification: the watch list is proposed to the district civil-affairs bureau."""
    finding = _finding(finding_id)
    if finding is None:
        return
    department = _civil_affairs_of(finding.institution)
    if department is not None:
        list_entry_auto_propose(
            institution=finding.institution, ground=WatchGround.RECTIFICATION_LATE, department=department,
            source_finding=finding, facts=_("问题隐患逾期未整改（整改期限%(d)s）：%(t)s") % {
                "d": finding.rectification_due, "t": finding.text[:200]})
    with transaction.atomic():
        queue_evaluation(finding.institution_id)


def on_inspection_refused(sender=None, inspection_id=None, **kwargs):
    from inspections.models import Inspection

    inspection = (Inspection.objects.select_related("institution__region", "lead_department", "domain")
                  .filter(pk=inspection_id).first())
    if inspection is None:
        return
    on = today()
    system_event(institution=inspection.institution, domain=inspection.domain,
                 kind=EventKind.INSPECTION_REFUSED, department=inspection.lead_department, occurred_on=on,
                 source_inspection=inspection, summary=_("拒绝、阻碍%(d)s的检查") % {"d": inspection.scheduled_for})
    department = _civil_affairs_of(inspection.institution)
    if department is not None:
        list_entry_auto_propose(institution=inspection.institution, ground=WatchGround.NOT_COOPERATING,
                                department=department,
                                facts=_("拒绝、阻碍监督检查（计划检查日期%(d)s）") % {"d": inspection.scheduled_for})


def on_complaint_substantiated(sender=None, complaint_id=None, institution_id=None, domain_code=None,
                               decided_on=None, **kwargs):
    """A substantiated complaint enters the record; many in a year propose the watch list."""
    institution = Institution.objects.select_related("region").filter(pk=institution_id).first()
    domain = Domain.objects.filter(code=domain_code).first()
    department = _civil_affairs_of(institution) if institution is not None else None
    if institution is None or domain is None or department is None:
        return
    on = decided_on or today()
    system_event(institution=institution, domain=domain, kind=EventKind.SUBSTANTIATED_COMPLAINT,
                 department=department, occurred_on=on, source_complaint_id=complaint_id,
                 summary=_("投诉举报经查属实（投诉编号%(n)s）") % {"n": complaint_id})
    recent = CreditEvent.objects.filter(institution=institution, kind=EventKind.SUBSTANTIATED_COMPLAINT,
                                        state=EventState.IN_FORCE, occurred_on__gt=on - dt.timedelta(days=365)).count()
    if recent >= MANY_COMPLAINTS_THRESHOLD:
        list_entry_auto_propose(institution=institution, ground=WatchGround.MANY_COMPLAINTS, department=department,
                                facts=_("近一年投诉举报查实%(n)s件") % {"n": recent})


def connect():
    from complaints.signals import complaint_substantiated
    from inspections.signals import finding_closed, finding_recorded, inspection_refused, rectification_overdue

    finding_recorded.connect(on_finding_recorded, dispatch_uid="credit.finding_recorded")
    finding_closed.connect(on_finding_closed, dispatch_uid="credit.finding_closed")
    rectification_overdue.connect(on_rectification_overdue, dispatch_uid="credit.rectification_overdue")
    inspection_refused.connect(on_inspection_refused, dispatch_uid="credit.inspection_refused")
    complaint_substantiated.connect(on_complaint_substantiated, dispatch_uid="credit.complaint_substantiated")
