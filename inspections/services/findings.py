"""What happens to a finding after it is recorded: rectification (整改), verification (谁检查谁验收), the overdue
scan (reminder, then escalation: a proposed suspension order, the `rectification_overdue` signal and, for a major
hazard, a supervised case 挂牌督办), and the suspension orders and supervised cases themselves.

Every service is one transaction: it locks the finding (the one row every step of a finding's life goes through,
so two verifiers or a verifier and the scan cannot both act on it), validates the move against
FINDING_TRANSITIONS (and the other tables of choices.py), writes an audit row and queues mail and signals
after commit, by id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.access import can
from agencies.audit import audit_record
from agencies.calendar import add_working_days, working_calendar
from agencies.choices import Action
from agencies.models import Department
from agencies.selectors import department_of
from institutions.services.filing import MAX_MATERIAL_BYTES, sniff_content_type
from institutions.services.records import district_department, own_institutions

from .. import signals
from ..choices import (
    ESCALATION_WORKING_DAYS,
    FINDING_TRANSITIONS,
    SUPERVISED_CASE_TRANSITIONS,
    SUPERVISED_CASE_WORKING_DAYS,
    SUSPENSION_TRANSITIONS,
    UNRESOLVED_FINDING_STATES,
    FindingState,
    RectificationDecision,
    Severity,
    SupervisedCaseState,
    SuspensionState,
)
from ..models import Finding, Rectification, RectificationEvidence, SupervisedCase, SuspensionOrder

# 挂牌督办 is the territorial government's (seed 000 #3: 提请属地区政府挂牌督办; seed 002 二(二)4: 当地政府).
SUPERVISING_KIND = "district_government"
MAX_EVIDENCE_FILES = 10


def escalation_working_days() -> int:
    return int(getattr(settings, "FINDING_ESCALATION_WORKING_DAYS", ESCALATION_WORKING_DAYS))


# ----------------------------------------------------------------------------------------------- helpers


def _pk(obj):
    return getattr(obj, "pk", obj)


def lock_finding(finding) -> Finding:
    return Finding.objects.select_for_update().select_related("institution", "domain").get(pk=_pk(finding))


def finding_transition(finding: Finding, target: str) -> None:
    """Move a finding along FINDING_TRANSITIONS or say, naming the states, why it cannot."""
    if target not in FINDING_TRANSITIONS[FindingState(finding.state)]:
        raise ValidationError({"state": _("问题当前状态为“%(state)s”，不能变更为“%(target)s”。") % {
            "state": FindingState(finding.state).label, "target": FindingState(target).label}})
    finding.state = target


def _transition(obj, table, state_cls, target: str) -> None:
    if target not in table[state_cls(obj.state)]:
        raise ValidationError({"state": _("当前状态为“%(state)s”，不能变更为“%(target)s”。") % {
            "state": state_cls(obj.state).label, "target": state_cls(target).label}})
    obj.state = target


def verifying_department(finding: Finding) -> Department | None:
    """谁检查谁验收: the department named on the finding, else the one that found it."""
    return finding.verifying_department if finding.verifying_department_id else finding.found_by


def may_verify(actor, finding: Finding) -> bool:
    """Staff of the verifying department whose duty (or an accepted referral) gives verify_rectification."""
    if actor is None or not actor.is_authenticated:
        return False
    if actor.is_superuser:
        return True
    department = department_of(actor)
    verifier = verifying_department(finding)
    return (department is not None and verifier is not None and department.pk == verifier.pk
            and actor.has_perm("inspections.verify_rectification_finding", finding))


def _check_evidence(files) -> list[tuple]:
    """(file, content type, extension, sha256, original name) for each upload, checked by content, not name."""
    files = list(files or [])
    if len(files) > MAX_EVIDENCE_FILES:
        raise ValidationError({"evidence": _("佐证材料最多%(n)d个文件。") % {"n": MAX_EVIDENCE_FILES}})
    checked = []
    for upload in files:
        if upload.size == 0:
            raise ValidationError({"evidence": _("“%(name)s”是空文件。") % {"name": upload.name}})
        if upload.size > MAX_MATERIAL_BYTES:
            raise ValidationError({"evidence": _("“%(name)s”超过 10 MB。") % {"name": upload.name}})
        upload.seek(0)
        sniffed = sniff_content_type(upload.read(16))
        if sniffed is None:
            raise ValidationError({"evidence": _(
                "“%(name)s”不是 PDF、JPEG 或 PNG 文件（按文件内容识别，与扩展名无关）。") % {"name": upload.name}})
        upload.seek(0)
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        checked.append((upload, *sniffed, digest.hexdigest(), os.path.basename(upload.name or "")[:255]))
    return checked


def _delete_files(names) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        if name and default_storage.exists(name):
            default_storage.delete(name)


# ----------------------------------------------------------------------------------------------- rectification


def rectification_submit(actor, finding, measures: str, evidence_files=()) -> Rectification:
    """The institution's own account answers an open or returned finding with its measures and evidence."""
    measures = (measures or "").strip()
    if not measures:
        raise ValidationError({"measures": _("请填写已采取的整改措施。")})
    checked = _check_evidence(evidence_files)
    written = []
    try:
        with transaction.atomic():
            finding = lock_finding(finding)
            if not own_institutions(actor).filter(pk=finding.institution_id).exists():
                # The same answer as for a finding that does not exist.
                raise PermissionDenied(_("只能对本机构的问题提交整改报告。"))
            before = finding.state
            finding_transition(finding, FindingState.SUBMITTED)
            finding.save(update_fields=["state"])
            rectification = Rectification.objects.create(finding=finding, measures=measures, submitted_by=actor)
            for upload, content_type, ext, _sha256, original_name in checked:
                evidence = RectificationEvidence(rectification=rectification, original_name=original_name,
                                                 content_type=content_type, size=upload.size)
                evidence.file.save(f"rectification{ext}", ContentFile(upload.read()), save=False)
                written.append(evidence.file.name)
                evidence.save()
            audit_record(actor, "rectification.submit", finding, before={"state": before},
                         after={"state": finding.state, "rectification": rectification.pk,
                                "evidence": [c[3] for c in checked]}, note=measures)
            finding_id = finding.pk
            transaction.on_commit(lambda: signals.rectification_submitted.send(sender=Finding, finding_id=finding_id))
    except Exception:
        _delete_files(written)  # no orphan files for rows that were never committed
        raise
    return rectification


def rectification_verify(actor, rectification, accepted: bool, note: str = "") -> Rectification:
    """The verifying department decides a pending rectification: closed (销号) or returned (退回重改)."""
    note = (note or "").strip()
    if not accepted and not note:
        raise ValidationError({"note": _("退回时请写明未通过验收的原因。")})
    with transaction.atomic():
        finding_id = Rectification.objects.filter(pk=_pk(rectification)).values_list("finding_id", flat=True).first()
        if finding_id is None:
            raise ValidationError({"rectification": _("整改报告不存在。")})
        # The finding first, always: every writer of a finding's life takes this lock in the same order.
        finding = lock_finding(finding_id)
        rectification = Rectification.objects.select_for_update().get(pk=_pk(rectification))
        if not may_verify(actor, finding):
            raise PermissionDenied(_("整改由检查部门验收（谁检查、谁验收），本部门无权验收。"))
        if rectification.decision != RectificationDecision.PENDING:
            raise ValidationError({"rectification": _("该整改报告已于%(at)s验收，结论为“%(decision)s”。") % {
                "at": timezone.localtime(rectification.reviewed_at).strftime("%Y-%m-%d %H:%M"),
                "decision": rectification.get_decision_display()}})
        before = finding.state
        finding_transition(finding, FindingState.CLOSED if accepted else FindingState.RETURNED)
        now = timezone.now()
        rectification.decision = RectificationDecision.ACCEPTED if accepted else RectificationDecision.RETURNED
        rectification.reviewed_by, rectification.reviewed_at, rectification.review_note = actor, now, note
        rectification.save(update_fields=["decision", "reviewed_by", "reviewed_at", "review_note"])
        fields = ["state"]
        if accepted:
            finding.closed_at = now
            fields.append("closed_at")
        finding.save(update_fields=fields)
        audit_record(actor, "rectification.verify", finding, before={"state": before},
                     after={"state": finding.state, "rectification": rectification.pk,
                            "decision": rectification.decision}, note=note)
        if accepted:
            transaction.on_commit(partial(signals.finding_closed.send, sender=Finding, finding_id=finding.pk))
        _queue("notify_rectification_decided", rectification.pk)
    return rectification


def _queue(task_name: str, *args) -> None:
    """Owe the notice in the caller's transaction (agencies.outbox): delivered after commit, or by the sweep."""
    from agencies.outbox import outbox_add

    from ..tasks import findings as tasks

    outbox_add(getattr(tasks, task_name), *args)


# ----------------------------------------------------------------------------------------------- overdue


def findings_overdue(today: dt.date | None = None):
    """Unresolved findings past their rectification deadline (every one: the scan is a system job)."""
    today = today or timezone.localdate()
    return Finding.objects.filter(state__in=UNRESOLVED_FINDING_STATES, rectification_due__lt=today)


def scan_overdue_findings(today: dt.date | None = None) -> dict:
    """Remind, then escalate, each overdue finding once. Idempotent: `reminded_at` and `escalated_at` record what
    was done, under the finding's row lock, so a second run (or two at once) does nothing more."""
    today = today or timezone.localdate()
    calendar = working_calendar()
    waiting = escalation_working_days()
    counts = {"reminded": 0, "escalated": 0}
    for finding_id in findings_overdue(today).order_by("id").values_list("pk", flat=True).iterator():
        with transaction.atomic():
            finding = lock_finding(finding_id)
            if finding.state not in UNRESOLVED_FINDING_STATES or not finding.rectification_due \
                    or finding.rectification_due >= today:
                continue
            if finding.reminded_at is None:
                finding.reminded_at = timezone.now()
                finding.save(update_fields=["reminded_at"])
                audit_record(None, "finding.remind_overdue", finding,
                             after={"rectification_due": str(finding.rectification_due)})
                _queue("notify_finding_overdue", finding.pk, "reminder")
                counts["reminded"] += 1
            elif finding.escalated_at is None and \
                    calendar.working_days_between(finding.rectification_due, today) >= waiting:
                _escalate(finding, today)
                counts["escalated"] += 1
    return counts


def _escalate(finding: Finding, today: dt.date) -> None:
    """逾期不整改: propose a suspension order to the verifying department, tell credit (rectification_overdue),
    and put a major hazard under the district government's supervision (挂牌督办)."""
    finding.escalated_at = timezone.now()
    finding.save(update_fields=["escalated_at"])
    after = {"rectification_due": str(finding.rectification_due)}
    department = verifying_department(finding)
    if department is not None and not finding.suspension_orders.filter(
            state__in=[SuspensionState.PROPOSED, SuspensionState.IN_FORCE]).exists():
        order = _suspension_order_create(None, finding, department, SuspensionState.PROPOSED, today,
                                         _("问题逾期未整改（整改期限%(due)s），依法拟责令停业整顿。") % {
                                             "due": finding.rectification_due}, finding.basis)
        after["suspension_order"] = order.pk
    if finding.severity == Severity.MAJOR and not finding.supervised_cases.filter(
            state=SupervisedCaseState.OPEN).exists():
        supervisor = supervising_department_for(finding)
        if supervisor is not None:
            case = _supervised_case_create(
                None, finding, supervisor,
                _("重大隐患逾期未整改，请属地政府挂牌督办，督促机构限期消除隐患。"),
                add_working_days(today, SUPERVISED_CASE_WORKING_DAYS), today)
            after["supervised_case"] = case.pk
    audit_record(None, "finding.escalate_overdue", finding, after=after)
    transaction.on_commit(partial(signals.rectification_overdue.send, sender=Finding, finding_id=finding.pk))
    _queue("notify_finding_overdue", finding.pk, "escalation")


# ----------------------------------------------------------------------------------------------- suspension


def _suspension_order_create(actor, finding, department, state, issued_on, reason, basis) -> SuspensionOrder:
    order = SuspensionOrder(institution=finding.institution, domain=finding.domain, finding=finding,
                            issued_by=department, state=state, reason=reason, basis=basis or "",
                            issued_on=issued_on, created_by=actor)
    order.save()
    audit_record(actor, "suspension.create", order, after={"state": state, "finding": finding.pk,
                                                           "issued_by": department.pk})
    return order


def _require_staff_of(actor, department, message) -> None:
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(message)
    if actor.is_superuser:
        return
    own = department_of(actor)
    if own is None or department is None or own.pk != department.pk:
        raise PermissionDenied(message)


def suspension_order_issue(actor, finding, reason: str, basis: str = "", order=None) -> SuspensionOrder:
    """责令停业整顿 by the verifying department: decides a proposal (`order`), or orders one directly."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请写明责令停业整顿的事由。")})
    with transaction.atomic():
        finding = lock_finding(finding)
        department = verifying_department(finding)
        _require_staff_of(actor, department, _("责令停业整顿由验收部门决定。"))
        if not can(actor, Action.VIEW, finding):
            raise PermissionDenied(_("责令停业整顿由验收部门决定。"))
        today = timezone.localdate()
        if order is None:
            if finding.suspension_orders.filter(state=SuspensionState.IN_FORCE).exists():
                raise ValidationError({"finding": _("该问题已有生效的停业整顿决定。")})
            order = _suspension_order_create(actor, finding, department, SuspensionState.IN_FORCE, today, reason,
                                             basis)
        else:
            order = SuspensionOrder.objects.select_for_update().get(pk=_pk(order), finding=finding)
            before = order.state
            _transition(order, SUSPENSION_TRANSITIONS, SuspensionState, SuspensionState.IN_FORCE)
            order.reason, order.basis, order.issued_on = reason, basis or order.basis, today
            order.save(update_fields=["state", "reason", "basis", "issued_on"])
            audit_record(actor, "suspension.issue", order, before={"state": before}, after={"state": order.state})
    return order


def suspension_order_withdraw(actor, order, note: str) -> SuspensionOrder:
    """The verifying department decides not to order the suspension the scan proposed."""
    return _suspension_order_end(actor, order, SuspensionState.WITHDRAWN, note, "suspension.withdraw")


def suspension_order_lift(actor, order, note: str) -> SuspensionOrder:
    """解除停业整顿 once the institution has put things right."""
    return _suspension_order_end(actor, order, SuspensionState.LIFTED, note, "suspension.lift")


def _suspension_order_end(actor, order, target, note, verb) -> SuspensionOrder:
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("请填写说明。")})
    with transaction.atomic():
        finding_id = SuspensionOrder.objects.filter(pk=_pk(order)).values_list("finding_id", flat=True).first()
        if finding_id is not None:
            lock_finding(finding_id)
        order = SuspensionOrder.objects.select_for_update().select_related("issued_by").get(pk=_pk(order))
        _require_staff_of(actor, order.issued_by, _("只有作出决定的部门可以变更停业整顿决定。"))
        before = order.state
        _transition(order, SUSPENSION_TRANSITIONS, SuspensionState, target)
        order.lifted_on = timezone.localdate()
        order.save(update_fields=["state", "lifted_on"])
        audit_record(actor, verb, order, before={"state": before}, after={"state": order.state}, note=note)
    return order


# ----------------------------------------------------------------------------------------------- supervised cases


def supervising_department_for(finding: Finding) -> Department | None:
    """The district government (区人民政府) of the institution's district."""
    try:
        return district_department(SUPERVISING_KIND, finding.institution.region)
    except ValidationError:
        return None


def _supervised_case_create(actor, finding, supervisor, requirements, deadline, listed_on) -> SupervisedCase:
    case = SupervisedCase(institution=finding.institution, domain=finding.domain, finding=finding,
                          supervising_department=supervisor, requirements=requirements, deadline=deadline,
                          listed_on=listed_on, created_by=actor)
    case.save()
    audit_record(actor, "supervised_case.open", case, after={"finding": finding.pk, "supervisor": supervisor.pk,
                                                            "deadline": str(deadline)})
    return case


def supervised_case_open(actor, finding, supervising_department, requirements: str, deadline) -> SupervisedCase:
    """挂牌督办 of a major hazard by the district government of the institution's district (or on its behalf by
    the verifying department that asks for it, 提请挂牌督办)."""
    requirements = (requirements or "").strip()
    errors = {}
    if not requirements:
        errors["requirements"] = _("请填写督办要求。")
    today = timezone.localdate()
    if deadline is None or deadline <= today:
        errors["deadline"] = _("督办期限须晚于今天。")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        finding = lock_finding(finding)
        if finding.severity != Severity.MAJOR:
            raise ValidationError({"finding": _("只有重大隐患才挂牌督办。")})
        if finding.state == FindingState.CLOSED:
            raise ValidationError({"finding": _("该隐患已整改销号。")})
        expected = supervising_department_for(finding)
        if expected is None or _pk(supervising_department) != expected.pk:
            raise ValidationError({"supervising_department": _("督办单位应为机构所在区的区人民政府（%(name)s）。") % {
                "name": expected.name if expected else "—"}})
        own = department_of(actor)
        allowed = actor is not None and actor.is_authenticated and (
            actor.is_superuser or (own is not None and own.pk in {expected.pk, _pk(verifying_department(finding))}))
        if not allowed or not can(actor, Action.VIEW, finding):
            raise PermissionDenied(_("挂牌督办由属地区政府或验收部门提请。"))
        if finding.supervised_cases.filter(state=SupervisedCaseState.OPEN).exists():
            raise ValidationError({"finding": _("该隐患已在挂牌督办中。")})
        return _supervised_case_create(actor, finding, expected, requirements, deadline, today)


def supervised_case_lift(actor, case, note: str) -> SupervisedCase:
    """销号: the supervising government lifts the case once the hazard is rectified and verified."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("请填写销号说明。")})
    with transaction.atomic():
        finding_id = SupervisedCase.objects.filter(pk=_pk(case)).values_list("finding_id", flat=True).first()
        if finding_id is None:
            raise ValidationError({"case": _("督办事项不存在。")})
        finding = lock_finding(finding_id)
        case = SupervisedCase.objects.select_for_update().select_related("supervising_department").get(pk=_pk(case))
        _require_staff_of(actor, case.supervising_department, _("只有督办单位可以销号。"))
        if finding.state != FindingState.CLOSED:
            raise ValidationError({"case": _("隐患尚未整改验收销号，不能解除督办。")})
        before = case.state
        _transition(case, SUPERVISED_CASE_TRANSITIONS, SupervisedCaseState, SupervisedCaseState.LIFTED)
        case.lifted_on, case.lift_note = timezone.localdate(), note
        case.save(update_fields=["state", "lifted_on", "lift_note"])
        audit_record(actor, "supervised_case.lift", case, before={"state": before}, after={"state": case.state},
                     note=note)
    return case


def supervised_cases_public():
    """Open supervised cases as published (seed 000 #3): gone from the list the day a case is lifted."""
    return (SupervisedCase.objects.filter(state=SupervisedCaseState.OPEN)
            .select_related("institution__region", "domain", "supervising_department", "finding")
            .order_by("deadline", "id"))


def set_rectification_deadline(finding: Finding, working_days: int, start: dt.date | None = None) -> dt.date:
    """rectification_due = `working_days` Chinese working days after the finding day (not saved)."""
    start = start or finding.found_on or timezone.localdate(finding.created_at)
    finding.rectification_working_days = working_days
    finding.rectification_due = add_working_days(start, working_days)
    return finding.rectification_due
