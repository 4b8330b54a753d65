"""Referrals (移送/抄告, seed 002 一(四)): a finding outside the finding department's duty goes to the competent
department within 7 working days; the receiver accepts (an explicit grant on that finding), handles it and
answers. Both ends see the clock; what is late counts against the department that owes it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.access import department_context, department_may, statutory_q
from agencies.audit import audit_record
from agencies.calendar import add_working_days, working_calendar
from agencies.choices import Action
from agencies.models import Department
from agencies.selectors import department_of

from .. import signals
from ..choices import (
    REFERRAL_ANSWER_WORKING_DAYS,
    REFERRAL_TRANSITIONS,
    REFERRAL_WORKING_DAYS,
    UNRESOLVED_FINDING_STATES,
    ReferralKind,
    ReferralState,
)
from ..models import Finding, FindingGroupObjectPermission, Referral, ReferralGroupObjectPermission
from .findings import _pk, lock_finding, verifying_department

OPEN_REFERRAL_STATES = (ReferralState.SENT, ReferralState.ACCEPTED)


def answer_working_days() -> int:
    return int(getattr(settings, "REFERRAL_ANSWER_WORKING_DAYS", REFERRAL_ANSWER_WORKING_DAYS))


def finding_day(finding: Finding) -> dt.date:
    """The day a finding's 7-working-day referral clock starts: the day it was found (or recorded)."""
    return finding.found_on or timezone.localdate(finding.created_at)


def refer_due_for(finding: Finding) -> dt.date:
    return add_working_days(finding_day(finding), REFERRAL_WORKING_DAYS)


def _permission(codename: str) -> Permission:
    return Permission.objects.get(content_type__app_label="inspections", codename=codename)


def _grant_referral(referral: Referral, department: Department) -> None:
    ReferralGroupObjectPermission.objects.get_or_create(group_id=department.group_id,
                                                        permission=_permission("view_referral"),
                                                        content_object=referral)


def _grant_finding(finding: Finding, department: Department, codenames) -> None:
    for codename in codenames:
        FindingGroupObjectPermission.objects.get_or_create(group_id=department.group_id,
                                                           permission=_permission(codename), content_object=finding)


def _transition(referral: Referral, target: str) -> None:
    if target not in REFERRAL_TRANSITIONS[ReferralState(referral.state)]:
        raise ValidationError({"state": _("移送当前状态为“%(state)s”，不能变更为“%(target)s”。") % {
            "state": referral.get_state_display(), "target": ReferralState(target).label}})
    referral.state = target


def _lock(referral) -> Referral:
    finding_id = Referral.objects.filter(pk=_pk(referral)).values_list("finding_id", flat=True).first()
    if finding_id is None:
        raise ValidationError({"referral": _("移送记录不存在。")})
    lock_finding(finding_id)  # the finding first, as every service of a finding's life does
    return Referral.objects.select_for_update().select_related("finding", "to_department", "from_department") \
        .get(pk=_pk(referral))


def _require_receiver(actor, referral: Referral) -> None:
    own = department_of(actor)
    if not (actor.is_superuser or (own is not None and own.pk == referral.to_department_id)):
        raise PermissionDenied(_("只有接收部门可以办理该移送。"))


# ----------------------------------------------------------------------------------------------- writes


def referral_send(actor, finding, to_department, kind: str, reason: str) -> Referral:
    """Send (移送) or copy (抄告) a finding to the department the duty catalog makes competent for it."""
    reason = (reason or "").strip()
    errors = {}
    if kind not in ReferralKind.values:
        errors["kind"] = _("未知的移送类型。")
    if not reason:
        errors["reason"] = _("请写明移送事由。")
    if errors:
        raise ValidationError(errors)
    to_department = to_department if isinstance(to_department, Department) else \
        Department.objects.filter(pk=to_department).first()
    if to_department is None:
        raise ValidationError({"to_department": _("请选择接收部门。")})
    with transaction.atomic():
        finding = lock_finding(finding)
        own = department_of(actor)
        senders = {d.pk for d in (finding.found_by, verifying_department(finding)) if d is not None}
        if own is None or own.pk not in senders or not actor.has_perm("inspections.view_finding", finding):
            raise PermissionDenied(_("由发现问题的部门移送。"))
        if to_department.pk == own.pk:
            raise ValidationError({"to_department": _("不能移送给本部门。")})
        if not department_may(to_department, Action.ACCEPT_REFERRAL, finding):
            raise ValidationError({"to_department": _(
                "依照责任清单，%(dept)s对该问题没有管辖职责，请选择有管辖权的部门。") % {"dept": to_department.name}})
        if finding.referrals.filter(to_department=to_department, state__in=OPEN_REFERRAL_STATES).exists():
            raise ValidationError({"to_department": _("该问题已移送%(dept)s，尚在办理中。") % {
                "dept": to_department.name}})
        today = timezone.localdate()
        referral = Referral(institution=finding.institution, domain=finding.domain, finding=finding, kind=kind,
                            from_department=own, to_department=to_department, reason=reason,
                            refer_due=refer_due_for(finding),
                            answer_due=add_working_days(today, answer_working_days()), sent_by=actor)
        referral.save()
        for department in (own, to_department):
            _grant_referral(referral, department)
        audit_record(actor, "referral.send", referral, after={
            "finding": finding.pk, "to_department": to_department.pk, "kind": kind,
            "refer_due": str(referral.refer_due), "late": today > referral.refer_due}, note=reason)
        _queue("notify_referral", referral.pk)
        transaction.on_commit(partial(signals.referral_sent.send, sender=Referral, referral_id=referral.pk))
    return referral


def referral_accept(actor, referral) -> Referral:
    """The receiver takes the referral: its group gets the finding (view, and for a transfer verify), and when the
    finding department does not hold the domain the receiver becomes the verifying department."""
    with transaction.atomic():
        referral = _lock(referral)
        _require_receiver(actor, referral)
        before = referral.state
        _transition(referral, ReferralState.ACCEPTED)
        referral.accepted_at, referral.accepted_by = timezone.now(), actor
        referral.save(update_fields=["state", "accepted_at", "accepted_by"])
        finding = referral.finding
        after = {"state": referral.state}
        if referral.kind == ReferralKind.TRANSFER:
            _grant_finding(finding, referral.to_department, ["view_finding", "verify_rectification_finding"])
            current = verifying_department(finding)
            if current is None or not department_may(current, Action.VERIFY_RECTIFICATION, finding):
                Finding.objects.filter(pk=finding.pk).update(verifying_department=referral.to_department)
                after["verifying_department"] = referral.to_department_id
        else:
            _grant_finding(finding, referral.to_department, ["view_finding"])
        audit_record(actor, "referral.accept", referral, before={"state": before}, after=after)
    return referral


def referral_decline(actor, referral, reason: str) -> Referral:
    """退回: the receiver says it is not competent (and why); the sender must find the right department."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请写明退回理由。")})
    with transaction.atomic():
        referral = _lock(referral)
        _require_receiver(actor, referral)
        before = referral.state
        _transition(referral, ReferralState.DECLINED)
        referral.answered_at, referral.feedback = timezone.now(), reason
        referral.save(update_fields=["state", "answered_at", "feedback"])
        audit_record(actor, "referral.decline", referral, before={"state": before}, after={"state": referral.state},
                     note=reason)
    return referral


def referral_answer(actor, referral, feedback: str) -> Referral:
    """办理反馈: how the receiver handled it (seed 002 二(二)4: 将整改进度及结果及时通报民政部门，形成工作闭环)."""
    feedback = (feedback or "").strip()
    if not feedback:
        raise ValidationError({"feedback": _("请填写办理情况。")})
    with transaction.atomic():
        referral = _lock(referral)
        _require_receiver(actor, referral)
        before = referral.state
        _transition(referral, ReferralState.ANSWERED)
        referral.answered_at, referral.feedback = timezone.now(), feedback
        referral.save(update_fields=["state", "answered_at", "feedback"])
        audit_record(actor, "referral.answer", referral, before={"state": before}, after={"state": referral.state},
                     note=feedback)
    return referral


def _queue(task_name: str, *args) -> None:
    """Owe the notice in the caller's transaction (agencies.outbox): delivered after commit, or by the sweep."""
    from agencies.outbox import outbox_add

    from ..tasks import findings as tasks

    outbox_add(getattr(tasks, task_name), *args)


# ----------------------------------------------------------------------------------------------- reads


def visible_referrals(user):
    return Referral.objects.restrict(user, Action.VIEW).select_related(
        "institution", "domain", "from_department", "to_department", "finding")


@dataclass(frozen=True)
class Lateness:
    """One late step of a referral and the department that owes it."""

    referral: Referral
    owed_by: Department
    late_for: str  # "send": sent after its 7 working days; "answer": not answered by its answer date
    due: dt.date

    @property
    def pk(self):
        return self.referral.pk


def referrals_overdue(user, today: dt.date | None = None) -> list[Lateness]:
    """What is late among the referrals the user may see: sent after the 7-working-day due date (the sender owes
    it), or not answered by the answer date (the receiver owes it). A referral can be late at both ends."""
    today = today or timezone.localdate()
    late_sent = Q(refer_due__lt=TruncDate("sent_at", tzinfo=timezone.get_current_timezone()))
    unanswered = Q(state__in=OPEN_REFERRAL_STATES, answer_due__lt=today)
    rows = []
    for referral in visible_referrals(user).filter(late_sent | unanswered).order_by("refer_due", "id"):
        if timezone.localdate(referral.sent_at) > referral.refer_due:
            rows.append(Lateness(referral, referral.from_department, "send", referral.refer_due))
        if referral.state in OPEN_REFERRAL_STATES and referral.answer_due and referral.answer_due < today:
            rows.append(Lateness(referral, referral.to_department, "answer", referral.answer_due))
    return rows


def findings_needing_referral(user, today: dt.date | None = None) -> list[Finding]:
    """Unresolved findings of the user's department in domains its duty does not let it verify, not yet referred
    (or only declined), each with `refer_due` and `working_days_left` (negative when late)."""
    department = department_of(user)
    if department is None:
        return []
    today = today or timezone.localdate()
    holds = statutory_q(Finding, department_context(department), Action.VERIFY_RECTIFICATION)
    referred = Referral.objects.filter(finding=OuterRef("pk")).exclude(state=ReferralState.DECLINED)
    queryset = (Finding.objects.restrict(user, Action.VIEW)
                .filter(found_by=department, state__in=UNRESOLVED_FINDING_STATES)
                .filter(~Exists(referred))
                .select_related("institution", "domain").order_by("found_on", "id"))
    if holds is not None:
        queryset = queryset.exclude(holds)
    calendar = working_calendar()
    rows = []
    for finding in queryset:
        finding.refer_due = calendar.add_working_days(finding_day(finding), REFERRAL_WORKING_DAYS)
        finding.working_days_left = calendar.working_days_between(today, finding.refer_due)
        rows.append(finding)
    return rows
