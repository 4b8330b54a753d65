"""Writes for the filing workflow (备案): drafts, materials, the credit pledge, submission, review, receipts and
the on-site check that follows a filing (seed 003 一(一); seed 004 2.5; seed 001 row 7).

Every service runs in one transaction, locks the row it changes, moves the state only along
`FILING_TRANSITIONS`, writes an audit row in the same transaction and owes its side effects (the reviewers'
notice, e-mail) as outbox rows in that transaction too (agencies.outbox), passing ids only: delivered after the
commit, or by the sweep when the broker was away.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.mail import send_mass_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.access import can
from agencies.audit import audit_record
from agencies.calendar import add_working_days
from agencies.choices import Action
from agencies.models import Department, Domain
from agencies.outbox import outbox_add

from ..choices import (
    FILING_TRANSITIONS,
    REQUIRED_MATERIALS,
    FilingKind,
    FilingState,
    FilingStatus,
    MaterialKind,
    OnSiteCheckResult,
    OnSiteCheckStatus,
)
from ..models import Filing, FilingMaterial, Institution, OnSiteCheck, PledgeSignature, PledgeTemplate
from ..tasks.filing import announce_filing_submitted, notify_filing_below_standard
from . import institution_update
from .records import district_department, district_of, own_institutions

FILING_DOMAIN = "registration_filing"
CIVIL_AFFAIRS = "civil_affairs"
# Seed 004 2.5: 备案民政部门应当自备案之日起20个工作日内进行现场检查.
ONSITE_CHECK_WORKING_DAYS = 20
MAX_MATERIAL_BYTES = 10 * 1024 * 1024
# The items of the MCA filing form an institution fills in.
FORM_FIELDS = ("name", "address", "legal_representative", "person_in_charge", "property_type", "beds",
               "building_area", "contact_person", "contact_phone", "service_scope")
# States in which the institution may still edit, upload and sign.
EDITABLE_STATES = (FilingState.DRAFT, FilingState.RETURNED)
OPEN_STATES = (FilingState.DRAFT, FilingState.SUBMITTED, FilingState.RETURNED)
# Seed 001 row 7: a filed institution below these standards is notified to the competent department kind.
BELOW_STANDARD_KINDS = {
    "below_accessibility_standard": "housing_construction",
    "below_fire_standard": "fire_rescue",
}
# Types accepted for materials, recognised by their first bytes (the name and the browser's claim are not
# trusted: an .exe renamed .pdf still starts with "MZ").
MAGIC = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)


# ----------------------------------------------------------------------------------------------- helpers


def filing_transition(filing: Filing, target: str) -> None:
    """Move `filing` to `target` if the transition table allows it, else a ValidationError naming both."""
    if target not in FILING_TRANSITIONS[FilingState(filing.state)]:
        raise ValidationError(_("备案当前状态为“%(state)s”，不能变更为“%(target)s”。") % {
            "state": FilingState(filing.state).label, "target": FilingState(target).label})
    filing.state = target


def _require_account_of(actor, institution_id: int) -> None:
    if not own_institutions(actor).filter(pk=institution_id).exists():
        # The same answer whatever the reason: an account must not learn about other institutions.
        raise PermissionDenied(_("只能办理本机构的备案。"))


def _lock(filing) -> Filing:
    return Filing.objects.select_for_update().get(pk=getattr(filing, "pk", filing))


def _require_editable(filing: Filing) -> None:
    if filing.state not in EDITABLE_STATES:
        raise ValidationError(_("备案当前状态为“%(state)s”，不能修改。") % {"state": filing.get_state_display()})


def _clean_form(filing: Filing, form: dict) -> dict:
    unknown = sorted(set(form) - set(FORM_FIELDS))
    if unknown:
        raise ValidationError({name: _("不可填写的字段：%(name)s") % {"name": name} for name in unknown})
    before = {}
    for name, value in form.items():
        before[name] = str(getattr(filing, name))
        setattr(filing, name, value)
    filing.full_clean(exclude=["region_code", "institution_facts", "institution", "domain"])
    return before


def missing_materials(filing: Filing) -> list[str]:
    """Labels of the required materials (seed 003 一(一): 材料齐全) the filing does not have yet."""
    present = set(filing.materials.values_list("kind", flat=True))
    return [str(MaterialKind(kind).label) for kind in REQUIRED_MATERIALS if kind not in present]


def active_pledge_template() -> PledgeTemplate:
    template = PledgeTemplate.objects.filter(active=True).order_by("-version").first()
    if template is None:
        raise ValidationError(_("尚未配置信用承诺书模板，请联系民政部门。"))
    return template


def sniff_content_type(head: bytes) -> tuple[str, str] | None:
    for magic, content_type, ext in MAGIC:
        if head.startswith(magic):
            return content_type, ext
    return None


# ----------------------------------------------------------------------------------------------- institution side


def filing_create_draft(actor, institution: Institution, kind: str = FilingKind.INITIAL, **form) -> Filing:
    """A new draft filing of `kind` for the actor's own institution, pre-filled from the directory."""
    _require_account_of(actor, institution.pk)
    if kind not in FilingKind.values:
        raise ValidationError({"kind": _("未知的备案类型：%(kind)s") % {"kind": kind}})
    with transaction.atomic():
        institution = Institution.objects.select_for_update().get(pk=institution.pk)
        # One open filing at a time: a second draft would let two versions of the same facts race to approval.
        if Filing.objects.filter(institution=institution, state__in=OPEN_STATES).exists():
            raise ValidationError(_("本机构已有一份未办结的备案，请先完成或撤回。"))
        filed = institution.filing_status == FilingStatus.FILED
        if kind == FilingKind.INITIAL and filed:
            raise ValidationError({"kind": _("本机构已备案，如信息有变化请办理变更备案。")})
        if kind != FilingKind.INITIAL and not filed:
            raise ValidationError({"kind": _("本机构尚未备案，不能办理变更或注销备案。")})
        filing = Filing(
            institution=institution, domain=Domain.objects.get(code=FILING_DOMAIN), kind=kind,
            state=FilingState.DRAFT, created_by=actor, name=institution.name, address=institution.address,
            legal_representative=institution.legal_representative, person_in_charge=institution.person_in_charge,
            beds=institution.beds, building_area=institution.building_area,
            contact_person=institution.contact_person, contact_phone=institution.contact_phone)
        # A change or cancellation starts from what was last filed, not from the thinner directory row.
        last = Filing.objects.filter(institution=institution, state=FilingState.APPROVED).order_by("-id").first()
        if last is not None:
            for name in FORM_FIELDS:
                setattr(filing, name, getattr(last, name))
        filing.copy_institution_columns()
        _clean_form(filing, form)
        filing.save()
        audit_record(actor, "filing.create", filing, after={"kind": kind, "state": filing.state})
    return filing


def filing_update_draft(actor, filing, **form) -> Filing:
    with transaction.atomic():
        filing = _lock(filing)
        _require_account_of(actor, filing.institution_id)
        _require_editable(filing)
        before = _clean_form(filing, form)
        filing.save()
        after = {name: str(getattr(filing, name)) for name in before}
        changed = {k for k in after if after[k] != before[k]}
        audit_record(actor, "filing.update", filing, before={k: before[k] for k in changed},
                     after={k: after[k] for k in changed})
    return filing


def filing_add_material(actor, filing, kind: str, uploaded_file) -> FilingMaterial:
    """Store one material: ≤ 10 MB, PDF/JPEG/PNG recognised by content, kept under a server-generated name."""
    if kind not in MaterialKind.values:
        raise ValidationError({"kind": _("未知的材料类型。")})
    size = uploaded_file.size
    if size == 0:
        raise ValidationError({"file": _("文件是空的。")})
    if size > MAX_MATERIAL_BYTES:
        raise ValidationError({"file": _("文件不能超过 10 MB（当前 %(mb).1f MB）。") % {"mb": size / 1024 / 1024}})
    uploaded_file.seek(0)
    sniffed = sniff_content_type(uploaded_file.read(16))
    if sniffed is None:
        raise ValidationError({"file": _("“%(name)s”不是 PDF、JPEG 或 PNG 文件（按文件内容识别，与扩展名无关）。") % {
            "name": uploaded_file.name}})
    content_type, ext = sniffed
    uploaded_file.seek(0)
    digest = hashlib.sha256()
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    original_name = os.path.basename(uploaded_file.name or "")[:255]
    with transaction.atomic():
        filing = _lock(filing)
        _require_account_of(actor, filing.institution_id)
        _require_editable(filing)
        material = FilingMaterial(filing=filing, kind=kind, original_name=original_name, content_type=content_type,
                                  size=size, sha256=digest.hexdigest(), uploaded_by=actor)
        # The extension comes from the sniffed type; the upload_to function makes the rest of the name.
        material.file.save(f"material{ext}", ContentFile(uploaded_file.read()), save=False)
        try:
            with transaction.atomic():
                material.save()
                audit_record(actor, "filing.add_material", filing, after={
                    "material": material.pk, "kind": kind, "sha256": material.sha256, "size": size})
        except Exception:
            _delete_file(material.file.name)  # no orphan file for a row that was never written
            raise
    return material


def filing_remove_material(actor, material) -> None:
    with transaction.atomic():
        filing = _lock(material.filing_id)
        _require_account_of(actor, filing.institution_id)
        _require_editable(filing)
        material = FilingMaterial.objects.get(pk=material.pk, filing=filing)
        name, pk = material.file.name, material.pk
        material.delete()
        audit_record(actor, "filing.remove_material", filing, before={"material": pk, "kind": material.kind})
        transaction.on_commit(partial(_delete_file, name))


def _delete_file(name: str) -> None:
    from django.core.files.storage import default_storage

    default_storage.delete(name)


def filing_sign_pledge(actor, filing, signer_name: str, signer_title: str = "法定代表人") -> PledgeSignature:
    """Sign the active pledge version: the exact text is kept with who signed and when (seed 000 task 38)."""
    if not (signer_name or "").strip():
        raise ValidationError({"signer_name": _("请填写承诺人姓名。")})
    with transaction.atomic():
        filing = _lock(filing)
        _require_account_of(actor, filing.institution_id)
        _require_editable(filing)
        if PledgeSignature.objects.filter(filing=filing).exists():
            raise ValidationError(_("本次备案的信用承诺书已签署。"))
        template = active_pledge_template()
        signature = PledgeSignature.objects.create(
            filing=filing, template=template, text=template.text, signer_name=signer_name.strip(),
            signer_title=(signer_title or "").strip() or "法定代表人", signed_by=actor, signed_at=timezone.now())
        audit_record(actor, "filing.sign_pledge", filing, after={
            "template_version": template.version, "signer_name": signature.signer_name})
    return signature


def filing_submit(actor, filing) -> Filing:
    """Submit to the district civil-affairs bureau: needs the signed pledge and every required material."""
    with transaction.atomic():
        filing = _lock(filing)
        _require_account_of(actor, filing.institution_id)
        before = filing.state
        filing_transition(filing, FilingState.SUBMITTED)
        missing = missing_materials(filing)
        if not PledgeSignature.objects.filter(filing=filing).exists():
            missing.append(_("信用承诺书（未签署）"))
        if missing:
            raise ValidationError(_("还不能提交，缺少：%(items)s。") % {"items": "、".join(missing)},
                                  code="incomplete")
        filing.submitted_at = timezone.now()
        filing.review_department = district_department(CIVIL_AFFAIRS, filing.institution.region)
        filing.save(update_fields=["state", "submitted_at", "review_department", "updated_at"])
        if filing.kind == FilingKind.INITIAL:
            Institution.objects.filter(pk=filing.institution_id).update(filing_status=FilingStatus.PENDING)
        audit_record(actor, "filing.submit", filing, before={"state": before}, after={"state": filing.state})
        outbox_add(announce_filing_submitted, filing.pk)
    return filing


def filing_withdraw(actor, filing) -> Filing:
    with transaction.atomic():
        filing = _lock(filing)
        _require_account_of(actor, filing.institution_id)
        before = filing.state
        filing_transition(filing, FilingState.WITHDRAWN)
        filing.save(update_fields=["state", "updated_at"])
        if filing.kind == FilingKind.INITIAL:
            Institution.objects.filter(pk=filing.institution_id).update(filing_status=FilingStatus.UNFILED)
        audit_record(actor, "filing.withdraw", filing, before={"state": before}, after={"state": filing.state})
    return filing


# ----------------------------------------------------------------------------------------------- review


def _require_reviewer(actor, filing: Filing) -> None:
    if not can(actor, Action.REVIEW_FILING, filing):
        raise PermissionDenied(_("本部门无权审核该备案。"))


def _already_reviewed_error(filing: Filing) -> ValidationError:
    if filing.state == FilingState.APPROVED:
        return ValidationError(_("该备案已于%(at)s审核通过（回执编号 %(number)s），无需重复审核。") % {
            "at": timezone.localtime(filing.reviewed_at).strftime("%Y-%m-%d %H:%M") if filing.reviewed_at else "",
            "number": filing.number}, code="already_approved")
    return ValidationError(_("该备案当前状态为“%(state)s”，不能审核。") % {"state": filing.get_state_display()},
                           code="not_submitted")


def filing_return(actor, filing, missing_items: list[str], note: str = "") -> Filing:
    """Return an incomplete filing with the list of what is missing (seed 003 一(一): 指导及时补正)."""
    items = [str(item).strip() for item in (missing_items or []) if str(item).strip()]
    if not items:
        raise ValidationError({"missing_items": _("请列出需补正的事项。")})
    with transaction.atomic():
        filing = _lock(filing)
        _require_reviewer(actor, filing)
        if filing.state != FilingState.SUBMITTED:
            raise _already_reviewed_error(filing)
        before = filing.state
        filing_transition(filing, FilingState.RETURNED)
        filing.missing_items = items
        filing.review_note = note or ""
        filing.reviewed_at = timezone.now()
        filing.reviewed_by = actor
        filing.save(update_fields=["state", "missing_items", "review_note", "reviewed_at", "reviewed_by",
                                   "updated_at"])
        if filing.kind == FilingKind.INITIAL:
            Institution.objects.filter(pk=filing.institution_id).update(filing_status=FilingStatus.RETURNED)
        audit_record(actor, "filing.return", filing, before={"state": before},
                     after={"state": filing.state, "missing_items": items}, note=note or "")
    return filing


def receipt_prefix(year: int, district_code: str) -> str:
    return f"津民养备〔{year}〕{district_code}-"


def _next_receipt_number(department: Department, district_code: str, year: int) -> str:
    """The next number of the district's yearly series. The caller holds the department row lock, which
    serialises every approval of the district; the unique column is the last guard."""
    prefix = receipt_prefix(year, district_code)
    last = (Filing.objects.filter(number__startswith=prefix).order_by("-number")
            .values_list("number", flat=True).first())
    sequence = int(last[len(prefix):]) + 1 if last else 1
    return f"{prefix}{sequence:04d}"


def filing_approve(actor, filing, below_accessibility_standard: bool = False, below_fire_standard: bool = False,
                   today: dt.date | None = None) -> Filing:
    """Approve a complete filing: receipt number, institution status, on-site check due in 20 working days,
    and, where the institution is below accessibility or fire standards, notice to the competent departments."""
    today = today or timezone.localdate()
    with transaction.atomic():
        filing = _lock(filing)
        _require_reviewer(actor, filing)
        if filing.state != FilingState.SUBMITTED:
            raise _already_reviewed_error(filing)
        before = filing.state
        filing_transition(filing, FilingState.APPROVED)
        institution = filing.institution
        district = district_of(institution.region)
        department = district_department(CIVIL_AFFAIRS, institution.region)
        Department.objects.select_for_update().get(pk=department.pk)
        filing.number = _next_receipt_number(department, district.code, today.year)
        filing.reviewed_at = timezone.now()
        filing.reviewed_by = actor
        filing.review_department = department
        filing.missing_items = []
        filing.below_accessibility_standard = bool(below_accessibility_standard)
        filing.below_fire_standard = bool(below_fire_standard)
        try:
            with transaction.atomic():
                filing.save()
        except IntegrityError as exc:
            raise ValidationError(_("回执编号 %(number)s 已被占用，请重试。") % {"number": filing.number}) from exc

        if filing.kind == FilingKind.CANCELLATION:
            Institution.objects.filter(pk=institution.pk).update(filing_status=FilingStatus.CANCELLED)
        else:
            # The filed facts become the directory's; the institution is no longer "registered but not filed".
            institution_update(actor=actor, institution_id=institution.pk, name=filing.name, address=filing.address,
                               beds=filing.beds, building_area=filing.building_area, registered_not_filed=False)
            Institution.objects.filter(pk=institution.pk).update(
                filing_status=FilingStatus.FILED, legal_representative=filing.legal_representative,
                person_in_charge=filing.person_in_charge, contact_person=filing.contact_person,
                contact_phone=filing.contact_phone)
            institution.refresh_from_db()
            check = OnSiteCheck(institution=institution, domain=filing.domain, filing=filing, department=department,
                                due_date=add_working_days(today, ONSITE_CHECK_WORKING_DAYS))
            check.copy_institution_columns()
            check.save()
        audit_record(actor, "filing.approve", filing, before={"state": before}, after={
            "state": filing.state, "number": filing.number, "approved_on": str(today),
            "below_accessibility_standard": filing.below_accessibility_standard,
            "below_fire_standard": filing.below_fire_standard})
        below = [flag for flag in BELOW_STANDARD_KINDS if getattr(filing, flag)]
        if below:
            notified = _below_standard_departments(filing, below)
            for notified_department, flag in notified:
                audit_record(actor, "filing.notify_below_standard", filing, after={
                    "department": notified_department.name, "standard": flag})
            outbox_add(notify_filing_below_standard, filing.pk)
    return filing


def _below_standard_departments(filing: Filing, flags: list[str]) -> list[tuple[Department, str]]:
    found = []
    for flag in flags:
        try:
            found.append((district_department(BELOW_STANDARD_KINDS[flag], filing.institution.region), flag))
        except ValidationError:
            continue  # a district without that bureau: the audit shows no notice was sent to it
    return found


def notify_below_standard(filing_id: int) -> int:
    """E-mail the competent departments' staff (seed 001 row 7). The duty catalog gives 消防/住建 no `view` on
    registration_filing records, so the message itself carries what they need: who, where, which standard."""
    from django.contrib.auth import get_user_model

    filing = Filing.objects.select_related("institution__region").filter(pk=filing_id).first()
    if filing is None:
        return 0
    flags = [flag for flag in BELOW_STANDARD_KINDS if getattr(filing, flag)]
    labels = {"below_accessibility_standard": _("无障碍设施"), "below_fire_standard": _("消防安全")}
    messages = []
    for department, flag in _below_standard_departments(filing, flags):
        subject = _("【备案通报】%(name)s未达到%(standard)s标准") % {"name": filing.name, "standard": labels[flag]}
        body = _("机构：%(name)s\n地址：%(address)s\n备案回执编号：%(number)s\n"
                 "备案时经审核，该机构未达到%(standard)s标准，请依职责处理。") % {
            "name": filing.name, "address": filing.address, "number": filing.number, "standard": labels[flag]}
        emails = (get_user_model().objects.filter(staff_profile__department=department, is_active=True)
                  .exclude(email="").values_list("email", flat=True))
        messages += [(subject, body, settings.DEFAULT_FROM_EMAIL, [email]) for email in emails]
    return send_mass_mail(messages, fail_silently=False) if messages else 0


# ----------------------------------------------------------------------------------------------- on-site check


def onsite_check_record(actor, check, result: str, notes: str, checked_on: dt.date) -> OnSiteCheck:
    """Record the on-site check of a filing (seed 004 2.5: 核实备案信息)."""
    if result not in OnSiteCheckResult.values:
        raise ValidationError({"result": _("请选择核查结果。")})
    if checked_on and checked_on > timezone.localdate():
        raise ValidationError({"checked_on": _("核查日期不能晚于今天。")})
    with transaction.atomic():
        check = OnSiteCheck.objects.select_for_update().get(pk=getattr(check, "pk", check))
        if not can(actor, Action.INSPECT, check):
            raise PermissionDenied(_("本部门无权核查该机构。"))
        if check.status != OnSiteCheckStatus.PENDING:
            raise ValidationError(_("该现场核查已记录结果。"))
        check.status = OnSiteCheckStatus.COMPLETED
        check.result = result
        check.notes = notes or ""
        check.checked_on = checked_on
        check.checked_by = actor
        check.save(update_fields=["status", "result", "notes", "checked_on", "checked_by"])
        audit_record(actor, "onsite_check.record", check, before={"status": OnSiteCheckStatus.PENDING},
                     after={"status": check.status, "result": result, "checked_on": str(checked_on),
                            "overdue": bool(checked_on and checked_on > check.due_date)})
    return check
