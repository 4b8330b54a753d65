"""Writes for complaints: submit, route, acknowledge, return, answer, merge, dismiss, add information, rate,
and the hand-overs (a lead on an unfiled operator, a case inspection).

Each service runs in one transaction, locks the complaint, checks the transition table (choices.py) and the
actor against the access policy, writes an audit row in the same transaction (never personal data), writes
its notifications with their shared outbox messages (agencies.outbox) in the same transaction, and leaves delivery
and signals to on_commit.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import secrets
from hashlib import sha256

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.access import (
    can,
    department_context,
    department_may,
    departments_covering,
    granting_duty_ids,
    per_catalog,
)
from agencies.audit import audit_record
from agencies.calendar import add_working_days, working_calendar
from agencies.choices import Action, RegionLevel
from agencies.models import Department, Domain, Duty, Region
from agencies.selectors import department_of
from institutions.choices import LeadSource
from institutions.models import Institution
from institutions.services.records import district_of, lead_create

from . import antiabuse, attachments, crypto
from .choices import (
    ACCESS_DOMAIN,
    CATEGORY_DOMAINS,
    COMPLAINT_TRANSITIONS,
    OPEN_STATES,
    SUBSTANTIATED_OUTCOMES,
    URGENT_CATEGORIES,
    Category,
    Channel,
    ComplaintState,
    NoteKind,
    NotificationKind,
    Outcome,
    Priority,
    RoutingRole,
    deadlines_for,
)
from .models import (
    Complaint,
    ComplaintAttachment,
    ComplaintGroupObjectPermission,
    ComplaintNote,
    ComplaintNotification,
    ComplaintRouting,
)
from .signals import case_inspection_requested, complaint_received, complaint_routed, complaint_substantiated

logger = logging.getLogger(__name__)

CIVIL_AFFAIRS = "civil_affairs"
# The same text about the same operator within this window is the same complaint (a double click, a resend).
DUPLICATE_WINDOW = dt.timedelta(hours=24)
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud over the phone
# What a routed department may do to the complaint it received (the guardian grant's permissions).
ROUTED_ACTIONS = (Action.VIEW, Action.HANDLE_COMPLAINT)


# ----------------------------------------------------------------------------------------------- helpers


def _random(n: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(n))


def secret_digest(code: str, secret: str) -> str:
    """The stored form of the secret. HMAC rather than a slow hash: the secret is 50 random bits, not a password."""
    key = f"complaints-secret:{settings.SECRET_KEY}".encode()
    return hmac.new(key, f"{code}:{secret.strip().upper()}".encode(), sha256).hexdigest()


def _transition(complaint: Complaint, target: str) -> None:
    if target not in COMPLAINT_TRANSITIONS[ComplaintState(complaint.state)]:
        raise ValidationError({"state": _("投诉当前状态为“%(state)s”，不能变更为“%(target)s”。") % {
            "state": complaint.get_state_display(), "target": ComplaintState(target).label}})
    complaint.state = target


def _lock(complaint) -> Complaint:
    return Complaint.objects.select_for_update().get(pk=getattr(complaint, "pk", complaint))


def intake_department_for(region: Region) -> Department:
    """The civil-affairs bureau of the district (the city bureau when only the city is known)."""
    return _submission_catalog(region.pk)[0]


def _submission_catalog(region_id: int) -> tuple[Department, dict]:
    """What a submission takes from the catalog: the region's intake bureau and the complaint domains by code,
    under one read of the catalog version (the region itself is read only when this process has not yet)."""
    def read():
        domains = Domain.objects.in_bulk([ACCESS_DOMAIN, *set(CATEGORY_DOMAINS.values())], field_name="code")
        return _find_intake_department(Region.objects.get(pk=region_id)), domains

    return per_catalog(("complaint-submission", region_id), read)


def _find_intake_department(region: Region) -> Department:
    district = district_of(region)
    department = Department.objects.filter(kind__code=CIVIL_AFFAIRS, region=district).first()
    if department is None:
        department = Department.objects.filter(kind__code=CIVIL_AFFAIRS, level="city").order_by("id").first()
    if department is None:
        raise ValidationError({"region": _("找不到受理投诉的民政部门。")})
    return department


def active_routings(complaint):
    return complaint.routings.filter(active=True).select_related("department")


def is_intake_staff(user, complaint: Complaint) -> bool:
    """Civil-affairs staff whose duty covers the complaint (the intake bureau, or the city bureau above it)."""
    department = department_of(user)
    return (department is not None and department.kind.code == CIVIL_AFFAIRS
            and complaint.region_code.startswith(department.region.scope_code)
            and can(user, Action.HANDLE_COMPLAINT, complaint))


def handling_department_of(user, complaint: Complaint, lead_only: bool = False) -> Department | None:
    department = department_of(user)
    if department is None:
        return None
    routings = complaint.routings.filter(active=True, department=department)
    if lead_only:
        routings = routings.filter(role=RoutingRole.LEAD)
    return department if routings.exists() else None


def may_see_complainant(user, complaint: Complaint) -> bool:
    """PIPL art. 6: the complainant is shown to the intake bureau and the departments handling the complaint."""
    department = department_of(user)
    if department is None:
        return False
    if department.pk == complaint.intake_department_id:
        return True
    return complaint.routings.filter(active=True, department=department).exists()


def reveal_complainant(user, complaint: Complaint) -> dict | None:
    """The complainant's name and phone for someone entitled to them — each read leaves an audit row."""
    if complaint.is_anonymous or not may_see_complainant(user, complaint):
        return None
    with transaction.atomic():
        audit_record(user, "complaint.read_personal_data", complaint)
    return {"name": complaint.complainant_name, "phone": crypto.decrypt(complaint.complainant_phone_encrypted)}


def masked_complainant(complaint: Complaint) -> dict:
    if complaint.is_anonymous:
        return {"name": _("匿名"), "phone": ""}
    phone = crypto.decrypt(complaint.complainant_phone_encrypted)
    return {"name": crypto.mask_name(complaint.complainant_name), "phone": crypto.mask_phone(phone) if phone else ""}


class _RoutingProbe:
    """The complaint as if it were a record of its supervision domain, for asking the duty catalog who covers it."""

    access_region_field = "region_code"
    access_domain_field = "domain_id"
    access_facts_field = "institution_facts"

    def __init__(self, complaint: Complaint):
        self.region_code = complaint.region_code
        self.domain_id = complaint.supervision_domain_id
        self.institution_facts = complaint.institution_facts


def routing_suggestions(complaint: Complaint) -> list[Department]:
    """Category → supervision domain → the departments whose duties let them verify (inspect) that domain at the
    complaint's place, from the duty catalog: the district's bureaus before the city's, line departments before
    civil affairs, and first the kinds that lead the most of those duties.

    The district government (territorial leadership) is not a handling department.
    """
    probe = _RoutingProbe(complaint)
    found = [d for d in departments_covering(probe, Action.INSPECT) if d.kind.code != "district_government"]
    lead_kind = dict(Duty.objects.values_list("id", "lead_kind_id"))

    def led(department) -> int:
        ctx = department_context(department)
        return sum(1 for duty_id in granting_duty_ids(ctx, probe, Action.INSPECT)
                   if lead_kind.get(duty_id) == department.kind_id)

    # Civil affairs took the complaint in and leads nearly every joint duty: it handles what no line department
    # covers ("归口负责"), so it comes after them.
    return sorted(found, key=lambda d: (d.level != "district", d.kind.code == CIVIL_AFFAIRS, -led(d), d.kind_id))


def _notify(complaint: Complaint, kind: str, department: Department, leaders_only: bool = False) -> None:
    """A notification row and the shared outbox message that owes its delivery (agencies.outbox), in the caller's
    transaction: sent after commit, or by the sweep. No complainant data: the department opens the complaint."""
    from agencies.outbox import outbox_add

    from .tasks import send_complaint_notification

    subject = _("【%(kind)s】投诉 %(code)s：%(category)s") % {
        "kind": NotificationKind(kind).label, "code": complaint.code, "category": complaint.get_category_display()}
    body = _("投诉查询码：%(code)s\n类别：%(category)s\n紧急程度：%(priority)s\n答复期限：%(due)s\n"
             "请登录监管平台查看并办理。") % {
        "code": complaint.code, "category": complaint.get_category_display(),
        "priority": complaint.get_priority_display(), "due": complaint.answer_due}
    notification = ComplaintNotification.objects.create(complaint=complaint, kind=kind, department=department,
                                                        leaders_only=leaders_only, subject=subject[:200], body=body)
    notification.outbox = outbox_add(send_complaint_notification, notification.pk,
                                      key=f"complaints.notification:{notification.pk}")
    notification.save(update_fields=["outbox"])


def _owe_received_announcement(complaint: Complaint) -> None:
    """A complaint waiting at the intake bureau (new, or returned by the handling department) is announced after
    commit by `complaint_announce_received`, owed in the caller's transaction as one outbox message: the public
    form's transaction writes one row and queues one task, and the bureau's notification and the portal's
    new-work notices follow from the worker."""
    from agencies.outbox import outbox_add

    from .tasks import announce_complaint_received

    outbox_add(announce_complaint_received, complaint.pk)


def complaint_announce_received(complaint_id: int) -> bool:
    """Run by the outbox's delivery of the announcement, inside its transaction (so once per announcement): the
    intake bureau's notification (`_notify`: its own row and outbox message) and, after commit, the
    `complaint_received` signal. False when the complaint is gone."""
    complaint = Complaint.objects.select_related("intake_department").filter(pk=complaint_id).first()
    if complaint is None:
        return False
    _notify(complaint, NotificationKind.RECEIVED, complaint.intake_department)
    transaction.on_commit(lambda: complaint_received.send(sender=Complaint, complaint_id=complaint_id))
    return True


# ----------------------------------------------------------------------------------------------- public


def complaint_submit(*, category, description, region=None, institution=None, operator_name="",
                     operator_address="", occurred_on=None, complainant_name="", complainant_phone="",
                     consent=False, files=(), channel=Channel.WEB, actor=None):
    """A complaint from the public (or entered by staff). Returns (complaint, secret, created).

    The duplicate guard answers the same complaint (created False, no secret) for the same text about the same
    operator within DUPLICATE_WINDOW. Attachments are all checked before anything is written.
    """
    errors = {}
    if category not in Category.values:
        errors["category"] = _("请选择投诉类别。")
    description = (description or "").strip()
    if len(description) < 10:
        errors["description"] = _("请具体描述发生了什么（至少10个字）。")
    # An institution given by id is read once, inside the transaction below, with its row lock.
    institution_id = None
    if institution is not None and not isinstance(institution, Institution):
        institution_id, institution = institution, None
    if institution is None and institution_id is None:
        if not (operator_name or "").strip():
            errors["operator_name"] = _("请选择被投诉机构，或填写经营者名称。")
        if not (operator_address or "").strip():
            errors["operator_address"] = _("请填写经营场所地址。")
        if region is not None and not isinstance(region, Region):
            region = Region.objects.filter(pk=region).first()
            if region is None:
                errors["region"] = _("找不到该区。")
        elif region is None:
            # The district is unknown: the complaint sits with the city bureau, which finds out where it is.
            region = Region.objects.filter(level=RegionLevel.CITY).order_by("code").first()
    phone = (complainant_phone or "").strip()
    if phone and not (7 <= len([c for c in phone if c.isdigit()]) <= 15):
        errors["complainant_phone"] = _("电话号码格式不正确。")
    if (complainant_name or phone) and not consent:
        errors["consent"] = _("留下姓名或电话时，请勾选同意处理个人信息。")
    if occurred_on and occurred_on > timezone.localdate():
        errors["occurred_on"] = _("发生时间不能晚于今天。")
    if errors:
        raise ValidationError(errors)
    prepared = attachments.prepare(files)

    priority = Priority.URGENT if category in URGENT_CATEGORIES else Priority.NORMAL
    acknowledge_in, answer_in = deadlines_for(priority)
    today = timezone.localdate()
    with transaction.atomic():
        if institution is not None or institution_id is not None:
            # Serialises submissions about one institution, so two identical ones cannot both pass the guard. Only
            # what a complaint copies from it (its region, region code and facts) and its name are read, in no
            # order (get() drops the default ordering, which costs more to compile than the lookup takes).
            try:
                institution = (Institution.objects.select_for_update()
                               .only("name", "region_code", "facts", "region_id")
                               .get(pk=getattr(institution, "pk", institution_id)))
            except Institution.DoesNotExist:
                raise ValidationError({"institution": _("找不到该机构。")}) from None
            region_id = institution.region_id
        else:
            region_id = region.pk
        key = antiabuse.duplicate_key(description, getattr(institution, "pk", None), operator_name)
        # Its id only: nearly every submission finds none, and selecting a complaint's forty columns costs more
        # to compile than the lookup takes to run.
        existing = (Complaint.objects.filter(duplicate_key=key, submitted_at__gte=timezone.now() - DUPLICATE_WINDOW)
                    .exclude(state__in=[ComplaintState.MERGED, ComplaintState.DISMISSED]).order_by("id")
                    .values_list("pk", flat=True).first())
        if existing is not None:
            return Complaint.objects.select_related("intake_department").get(pk=existing), None, False
        secret = _random(10)
        code = "T" + _random(9)
        intake, domains = _submission_catalog(region_id)
        calendar = working_calendar()  # one snapshot for both deadlines
        complaint = Complaint(
            institution=institution, region_id=region_id, domain=domains[ACCESS_DOMAIN],
            supervision_domain=domains[CATEGORY_DOMAINS[Category(category)]],
            operator_name="" if institution else operator_name.strip(),
            operator_address="" if institution else operator_address.strip(),
            code=code, secret_hash=secret_digest(code, secret), category=category, priority=priority,
            channel=channel, description=description, occurred_on=occurred_on,
            complainant_name=(complainant_name or "").strip(), complainant_phone_encrypted=crypto.encrypt(phone),
            consent=bool(consent), duplicate_key=key, intake_department=intake,
            acknowledge_due=calendar.add_working_days(today, acknowledge_in),
            answer_due=calendar.add_working_days(today, answer_in))
        complaint.save()
        for item in prepared:
            attachment = ComplaintAttachment(complaint=complaint, original_name=item.original_name,
                                             content_type=item.content_type, size=len(item.content),
                                             sha256=item.sha256)
            attachment.file.save(f"attachment{item.ext}", ContentFile(item.content), save=False)
            attachment.save()
        _owe_received_announcement(complaint)
        # Last: the audit chain's head stays locked from here to the commit, and every submission waits for it.
        audit_record(actor, "complaint.submit", complaint, after={
            "code": code, "category": category, "priority": priority, "channel": channel,
            "institution": getattr(institution, "pk", None), "attachments": len(prepared)})
    return complaint, secret, True


def complaint_track(code: str, secret: str) -> Complaint | None:
    """The complaint for code + secret, or None — the same None whether the code or the secret is wrong."""
    code = (code or "").strip().upper()
    complaint = Complaint.objects.select_related("institution").filter(code=code).first()
    if complaint is None or not hmac.compare_digest(complaint.secret_hash, secret_digest(code, secret or "")):
        return None
    return complaint


def complaint_add_info(complaint, text: str, files=()) -> Complaint:
    """The complainant adds information; an answered complaint goes back to the handling department."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("请填写补充内容。")})
    prepared = attachments.prepare(files)
    with transaction.atomic():
        complaint = _lock(complaint)
        if complaint.state in (ComplaintState.CLOSED, ComplaintState.MERGED, ComplaintState.DISMISSED):
            raise ValidationError({"text": _("该投诉已办结，不能再补充。如有新情况请重新投诉。")})
        if complaint.attachments.count() + len(prepared) > attachments.MAX_FILES:
            raise ValidationError({"files": _("每件投诉最多 %(n)d 个附件。") % {"n": attachments.MAX_FILES}})
        before = complaint.state
        if complaint.state == ComplaintState.ANSWERED:
            _transition(complaint, ComplaintState.HANDLING)
            complaint.save(update_fields=["state"])
        ComplaintNote.objects.create(complaint=complaint, kind=NoteKind.INFO, text=text)
        for item in prepared:
            attachment = ComplaintAttachment(complaint=complaint, original_name=item.original_name,
                                             content_type=item.content_type, size=len(item.content),
                                             sha256=item.sha256)
            attachment.file.save(f"attachment{item.ext}", ContentFile(item.content), save=False)
            attachment.save()
        audit_record(None, "complaint.add_info", complaint, before={"state": before},
                     after={"state": complaint.state, "attachments": len(prepared)})
        routings = list(active_routings(complaint).filter(role=RoutingRole.LEAD))
        for department in [r.department for r in routings] or [complaint.intake_department]:
            _notify(complaint, NotificationKind.INFO_ADDED, department)
    return complaint


def complaint_rate(complaint, rating: int, comment: str = "") -> Complaint:
    """The complainant rates the answer (1–5); that closes the complaint."""
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": _("请选择 1 到 5 分。")})
    with transaction.atomic():
        complaint = _lock(complaint)
        if complaint.state != ComplaintState.ANSWERED:
            raise ValidationError({"rating": _("答复之后才能评价。")})
        _transition(complaint, ComplaintState.CLOSED)
        complaint.rating, complaint.rating_comment = rating, (comment or "").strip()
        complaint.closed_at = timezone.now()
        complaint.save(update_fields=["state", "rating", "rating_comment", "closed_at"])
        audit_record(None, "complaint.rate", complaint, before={"state": ComplaintState.ANSWERED},
                     after={"state": complaint.state, "rating": rating})
    return complaint


# ----------------------------------------------------------------------------------------------- intake


def _require_intake(actor, complaint: Complaint) -> None:
    if not is_intake_staff(actor, complaint):
        raise PermissionDenied(_("只有受理该投诉的民政部门可以转办、合并或不予受理。"))


def _set_grants(complaint: Complaint, department: Department) -> None:
    permissions = Permission.objects.filter(content_type__app_label="complaints",
                                            codename__in=[f"{a}_complaint" for a in ROUTED_ACTIONS])
    for permission in permissions:
        ComplaintGroupObjectPermission.objects.get_or_create(content_object=complaint, group=department.group,
                                                             permission=permission)


def _withdraw_routings(complaint: Complaint) -> list[int]:
    routings = list(complaint.routings.filter(active=True).select_related("department"))
    for routing in routings:
        ComplaintGroupObjectPermission.objects.filter(content_object=complaint,
                                                      group=routing.department.group_id).delete()
    complaint.routings.filter(active=True).update(active=False)
    return [r.department_id for r in routings]


def complaint_route(actor, complaint, lead_department, assist_departments=(), note: str = "") -> Complaint:
    """Confirm, reassign or split: the complaint goes to `lead_department` (主办) and any `assist_departments`
    (协办), each through a guardian grant on this complaint alone."""
    lead_department = lead_department if isinstance(lead_department, Department) else \
        Department.objects.get(pk=lead_department)
    assists = [d if isinstance(d, Department) else Department.objects.get(pk=d) for d in assist_departments]
    assists = [d for d in dict.fromkeys(assists) if d.pk != lead_department.pk]
    with transaction.atomic():
        complaint = _lock(complaint)
        _require_intake(actor, complaint)
        relocated = None
        if complaint.region.level == RegionLevel.CITY and lead_department.level == "district":
            # The city bureau has found out where an operator of unknown district is: the complaint moves there.
            relocated = complaint.region_code
            complaint.region = lead_department.region
            complaint.region_code = lead_department.region.scope_code
            complaint.intake_department = intake_department_for(lead_department.region)
            complaint.save(update_fields=["region", "region_code", "intake_department"])
        for department in [lead_department, *assists]:
            if not complaint.region_code.startswith(department.region.scope_code):
                raise ValidationError({"lead_department": _("%(dept)s的辖区不包括被投诉单位所在地。") % {
                    "dept": department.name}})
            if department.kind.is_collective or department.kind.code == "district_government":
                raise ValidationError({"lead_department": _("%(dept)s不是办理部门。") % {"dept": department.name}})
        before = {"state": complaint.state, "departments": _withdraw_routings(complaint)}
        if complaint.state != ComplaintState.ROUTED:
            _transition(complaint, ComplaintState.ROUTED)
        complaint.acknowledged_at = None
        complaint.save(update_fields=["state", "acknowledged_at"])
        for role, department in [(RoutingRole.LEAD, lead_department), *[(RoutingRole.ASSIST, d) for d in assists]]:
            ComplaintRouting.objects.create(complaint=complaint, department=department, role=role, routed_by=actor)
            _set_grants(complaint, department)
            _notify(complaint, NotificationKind.ROUTED, department)
        if relocated:
            before["region_code"] = relocated
        audit_record(actor, "complaint.route", complaint, before=before, after={
            "state": complaint.state, "lead": lead_department.pk, "assist": [d.pk for d in assists],
            "region_code": complaint.region_code}, note=note)
        complaint_id = complaint.pk
        transaction.on_commit(lambda: complaint_routed.send(sender=Complaint, complaint_id=complaint_id))
    return complaint


def complaint_merge(actor, complaint, into) -> Complaint:
    """A duplicate of `into`: closed as merged; its complainant follows `into` by its own code."""
    with transaction.atomic():
        complaint = _lock(complaint)
        into = Complaint.objects.select_for_update().get(pk=getattr(into, "pk", into))
        _require_intake(actor, complaint)
        if into.pk == complaint.pk or into.state in (ComplaintState.MERGED, ComplaintState.DISMISSED):
            raise ValidationError({"into": _("请选择另一件有效的投诉。")})
        if not can(actor, Action.VIEW, into):
            raise ValidationError({"into": _("找不到该投诉。")})
        before = complaint.state
        _transition(complaint, ComplaintState.MERGED)
        _withdraw_routings(complaint)
        complaint.merged_into = into
        complaint.closed_at = timezone.now()
        complaint.save(update_fields=["state", "merged_into", "closed_at"])
        audit_record(actor, "complaint.merge", complaint, before={"state": before},
                     after={"state": complaint.state, "merged_into": into.pk})
    return complaint


def complaint_dismiss(actor, complaint, reason: str) -> Complaint:
    """不予受理 (not a complaint about elderly care, abusive, …): the reason is the reply the complainant reads."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请说明不予受理的理由。")})
    with transaction.atomic():
        complaint = _lock(complaint)
        _require_intake(actor, complaint)
        _transition(complaint, ComplaintState.DISMISSED)
        complaint.reply = reason
        complaint.closed_at = timezone.now()
        complaint.save(update_fields=["state", "reply", "closed_at"])
        ComplaintNote.objects.create(complaint=complaint, kind=NoteKind.REPLY, text=reason)
        audit_record(actor, "complaint.dismiss", complaint, before={"state": ComplaintState.SUBMITTED},
                     after={"state": complaint.state}, note=reason)
    return complaint


# ----------------------------------------------------------------------------------------------- handling


def complaint_acknowledge(actor, complaint) -> Complaint:
    """The routed department signs for the complaint (签收)."""
    with transaction.atomic():
        complaint = _lock(complaint)
        if handling_department_of(actor, complaint) is None:
            raise PermissionDenied(_("该投诉未转办给本部门。"))
        _transition(complaint, ComplaintState.HANDLING)
        complaint.acknowledged_at = timezone.now()
        complaint.save(update_fields=["state", "acknowledged_at"])
        audit_record(actor, "complaint.acknowledge", complaint, before={"state": ComplaintState.ROUTED},
                     after={"state": complaint.state})
    return complaint


def complaint_return(actor, complaint, reason: str) -> Complaint:
    """The routed department says it is not its remit: back to the intake bureau for rerouting."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请说明退回理由。")})
    with transaction.atomic():
        complaint = _lock(complaint)
        if handling_department_of(actor, complaint, lead_only=True) is None:
            raise PermissionDenied(_("只有主办部门可以退回该投诉。"))
        before = complaint.state
        _transition(complaint, ComplaintState.SUBMITTED)
        _withdraw_routings(complaint)
        complaint.acknowledged_at = None
        complaint.save(update_fields=["state", "acknowledged_at"])
        audit_record(actor, "complaint.return", complaint, before={"state": before},
                     after={"state": complaint.state}, note=reason)
        _owe_received_announcement(complaint)
    return complaint


def complaint_answer(actor, complaint, outcome: str, measures: str, reply: str, referral_note: str = "") -> Complaint:
    """The lead department's verified outcome, the measures taken and the reply to the complainant."""
    errors = {}
    if outcome not in Outcome.values:
        errors["outcome"] = _("请选择核实结论。")
    if not (reply or "").strip():
        errors["reply"] = _("请填写给投诉人的答复。")
    if outcome in SUBSTANTIATED_OUTCOMES and not (measures or "").strip():
        errors["measures"] = _("投诉属实或部分属实时，请填写已采取的处理措施。")
    if outcome == Outcome.OUTSIDE_REMIT and not (referral_note or "").strip():
        errors["referral_note"] = _("请说明已移送的部门或告知的途径。")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        complaint = _lock(complaint)
        if handling_department_of(actor, complaint, lead_only=True) is None:
            raise PermissionDenied(_("只有主办部门可以答复该投诉。"))
        if not can(actor, Action.HANDLE_COMPLAINT, complaint):
            raise PermissionDenied(_("本部门无权办理该投诉。"))
        before = complaint.state
        # Sent once per complaint: a re-answer after new information does not count twice against the institution.
        already_substantiated = complaint.outcome in SUBSTANTIATED_OUTCOMES
        if complaint.state == ComplaintState.ROUTED:  # answering signs for it too
            _transition(complaint, ComplaintState.HANDLING)
            complaint.acknowledged_at = timezone.now()
        _transition(complaint, ComplaintState.ANSWERED)
        complaint.outcome, complaint.measures = outcome, (measures or "").strip()
        complaint.reply, complaint.referral_note = reply.strip(), (referral_note or "").strip()
        complaint.decided_on = timezone.localdate()
        complaint.answered_at = timezone.now()
        complaint.save(update_fields=["state", "outcome", "measures", "reply", "referral_note", "decided_on",
                                      "answered_at", "acknowledged_at"])
        ComplaintNote.objects.create(complaint=complaint, kind=NoteKind.REPLY, text=complaint.reply)
        audit_record(actor, "complaint.answer", complaint, before={"state": before},
                     after={"state": complaint.state, "outcome": outcome, "decided_on": str(complaint.decided_on)})
        if outcome in SUBSTANTIATED_OUTCOMES and not already_substantiated and complaint.institution_id:
            payload = {"complaint_id": complaint.pk, "institution_id": complaint.institution_id,
                       "domain_code": complaint.supervision_domain.code, "decided_on": complaint.decided_on}
            transaction.on_commit(lambda: complaint_substantiated.send(sender=Complaint, **payload))
    return complaint


def complaint_close(actor, complaint) -> Complaint:
    """The intake bureau closes an answered complaint the complainant has not rated."""
    with transaction.atomic():
        complaint = _lock(complaint)
        _require_intake(actor, complaint)
        _transition(complaint, ComplaintState.CLOSED)
        complaint.closed_at = timezone.now()
        complaint.save(update_fields=["state", "closed_at"])
        audit_record(actor, "complaint.close", complaint, before={"state": ComplaintState.ANSWERED},
                     after={"state": complaint.state})
    return complaint


def _require_handler(actor, complaint: Complaint) -> None:
    if handling_department_of(actor, complaint) is None and not is_intake_staff(actor, complaint):
        raise PermissionDenied(_("只有受理或办理该投诉的部门可以这样做。"))


def complaint_open_lead(actor, complaint) -> Complaint:
    """One click: a lead on the unknown operator complained about (seed 000 task 31: 个案线索), with the
    institutions service, due for an on-site check in 20 working days."""
    with transaction.atomic():
        complaint = _lock(complaint)
        _require_handler(actor, complaint)
        if complaint.institution_id:
            raise ValidationError({"lead": _("被投诉机构已在名录库中，无需登记未备案线索。")})
        if complaint.lead_id:
            raise ValidationError({"lead": _("已登记线索。")})
        lead = lead_create(actor, complaint.operator_name, complaint.operator_address, complaint.region,
                           registered=False, source=LeadSource.COMPLAINT,
                           description=_("来自投诉 %(code)s：%(text)s") % {"code": complaint.code,
                                                                        "text": complaint.description[:500]},
                           discovered_on=timezone.localdate())
        complaint.lead = lead
        complaint.save(update_fields=["lead"])
        audit_record(actor, "complaint.open_lead", complaint, after={"lead": lead.pk})
    return complaint


def _open_case_inspection(actor, complaint):
    """An unannounced case inspection of the complained-about institution, led by the handler's department with
    the two of its active inspectors (no declared conflict) who have the fewest open inspections."""
    from django.db.models import Count, Q

    from inspections.choices import InspectionKind, InspectionState
    from inspections.models import Inspector
    from inspections.services import inspection_create

    department = actor.staff_profile.department
    open_states = [InspectionState.SCHEDULED, InspectionState.NOTIFIED, InspectionState.IN_PROGRESS]
    inspectors = list(
        Inspector.objects.filter(department=department, active=True)
        .exclude(conflicts__institution_id=complaint.institution_id)
        .annotate(load=Count("inspections", filter=Q(inspections__state__in=open_states)))
        .order_by("load", "pk")[:2])
    if len(inspectors) < 2:
        raise ValidationError({"inspection": _("本部门在册且无回避情形的执法检查人员不足两人，无法组织个案检查。")})
    return inspection_create(
        actor, institution=complaint.institution, kind=InspectionKind.CASE, lead_department=department,
        inspector_ids=[i.pk for i in inspectors], scheduled_for=add_working_days(timezone.localdate(), 1),
        origin=_("投诉举报 %(code)s") % {"code": complaint.code})


def complaint_request_case_inspection(actor, complaint) -> Complaint:
    """One click: an unannounced case inspection (个案检查) of the institution, opened through the inspections
    service in the same transaction; `case_inspection_requested` tells other listeners after commit."""
    with transaction.atomic():
        complaint = _lock(complaint)
        _require_handler(actor, complaint)
        if not complaint.institution_id:
            raise ValidationError({"inspection": _("被投诉单位不在名录库中，请登记未备案线索。")})
        if complaint.case_inspection_requested_at:
            raise ValidationError({"inspection": _("已申请个案检查。")})
        if complaint.state not in OPEN_STATES:
            raise ValidationError({"inspection": _("投诉已答复或办结。")})
        inspection = _open_case_inspection(actor, complaint)
        complaint.case_inspection_requested_at = timezone.now()
        complaint.case_inspection = inspection
        complaint.save(update_fields=["case_inspection_requested_at", "case_inspection"])
        audit_record(actor, "complaint.request_case_inspection", complaint,
                     after={"institution": complaint.institution_id, "inspection": inspection.pk})
        complaint_id = complaint.pk
        transaction.on_commit(lambda: case_inspection_requested.send(sender=Complaint, complaint_id=complaint_id))
    return complaint


# ----------------------------------------------------------------------------------------------- deadlines


def complaint_check_deadlines(today: dt.date | None = None) -> dict:
    """Reminders before the answer is due, escalation to the department's leaders after (once each)."""
    from .choices import REMINDER_WORKING_DAYS

    today = today or timezone.localdate()
    remind_until = add_working_days(today, REMINDER_WORKING_DAYS)
    reminded = escalated = 0
    open_ = Complaint.objects.filter(state__in=OPEN_STATES)
    for pk in open_.filter(reminded_on__isnull=True, answer_due__gte=today, answer_due__lte=remind_until) \
            .values_list("pk", flat=True):
        with transaction.atomic():
            complaint = _lock(pk)
            if complaint.reminded_on or complaint.state not in OPEN_STATES:
                continue
            complaint.reminded_on = today
            complaint.save(update_fields=["reminded_on"])
            for department in _owing_departments(complaint):
                _notify(complaint, NotificationKind.REMINDER, department)
            audit_record(None, "complaint.remind", complaint, after={"answer_due": str(complaint.answer_due)})
            reminded += 1
    for pk in open_.filter(escalated_on__isnull=True, answer_due__lt=today).values_list("pk", flat=True):
        with transaction.atomic():
            complaint = _lock(pk)
            if complaint.escalated_on or complaint.state not in OPEN_STATES:
                continue
            complaint.escalated_on = today
            complaint.save(update_fields=["escalated_on"])
            for department in _owing_departments(complaint):
                _notify(complaint, NotificationKind.ESCALATION, department, leaders_only=True)
            audit_record(None, "complaint.escalate", complaint, after={"answer_due": str(complaint.answer_due)})
            escalated += 1
    return {"reminded": reminded, "escalated": escalated}


def _owing_departments(complaint: Complaint) -> list[Department]:
    lead = [r.department for r in active_routings(complaint) if r.role == RoutingRole.LEAD]
    return lead or [complaint.intake_department]


def department_may_handle(department: Department, complaint: Complaint) -> bool:
    return department_may(department, Action.INSPECT, _RoutingProbe(complaint))
