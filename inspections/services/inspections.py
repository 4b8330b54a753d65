"""Inspections on site: creation with its team, notice, execution item by item, findings with photos, sign-off,
completion and publication (issue 4 items 5 and 9; 《养老机构行政检查办法》 2023).

Every service is one transaction: it locks the inspection row, moves the state only along
`INSPECTION_TRANSITIONS`, checks the actor against the access policy (`agencies.access.can`, the same
evaluation as `restrict()`), writes an audit row and sends the app's signals after commit (ids only).
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter

from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.access import can, department_may, grants_changed
from agencies.audit import audit_record
from agencies.calendar import working_calendar
from agencies.choices import Action
from agencies.models import Department, Domain
from institutions.models import Institution
from institutions.services.filing import sniff_content_type

from .. import signals
from ..choices import (
    ANNOUNCED_KINDS,
    INSPECTION_TRANSITIONS,
    NOTICE_WORKING_DAYS,
    InspectionKind,
    InspectionState,
    ItemResultValue,
    Severity,
)
from ..models import (
    ChecklistItem,
    ChecklistVersion,
    Finding,
    FindingPhoto,
    FindingUserObjectPermission,
    Inspection,
    InspectionGroupObjectPermission,
    InspectionPlan,
    InspectionTeamMember,
    InspectionUserObjectPermission,
    Inspector,
    InspectorConflict,
    ItemResult,
)

# The inspection as an event of joint supervision: civil affairs and every partner department hold view and
# inspect in this domain over their region (checked in tests/inspections/test_inspection_services.py).
INSPECTION_DOMAIN = "supervision_mechanism"
CIVIL_AFFAIRS = "civil_affairs"
MIN_INSPECTORS = 2
# What a team department and a team inspector may do on the inspection itself.
TEAM_ACTIONS = (Action.VIEW, Action.INSPECT, Action.RECORD_FINDING)
PHOTO_TYPES = {"image/jpeg", "image/png"}
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_RECTIFICATION_WORKING_DAYS = 250


def publish_working_days() -> int:
    """How many working days after completion a result must be public (settings, default 20)."""
    return int(getattr(settings, "INSPECTION_PUBLISH_WORKING_DAYS", 20))


# ----------------------------------------------------------------------------------------------- helpers


def _department(actor) -> Department | None:
    profile = getattr(actor, "staff_profile", None) if actor is not None and actor.is_authenticated else None
    return profile.department if profile is not None else None


def inspector_of(actor) -> Inspector | None:
    profile = getattr(actor, "staff_profile", None) if actor is not None and actor.is_authenticated else None
    if profile is None:
        return None
    return Inspector.objects.filter(staff=profile).first()


def _lock(inspection) -> Inspection:
    return (Inspection.objects.select_for_update()
            .select_related("institution", "lead_department")
            .get(pk=getattr(inspection, "pk", inspection)))


def _transition(inspection: Inspection, target: str) -> None:
    if target not in INSPECTION_TRANSITIONS[InspectionState(inspection.state)]:
        raise ValidationError({"state": _("检查当前状态为“%(state)s”，不能变更为“%(target)s”。") % {
            "state": InspectionState(inspection.state).label, "target": InspectionState(target).label}})
    inspection.state = target


def on_team(actor, inspection: Inspection) -> bool:
    """An inspector of the team, or staff of a team department (the lead included); a superuser too. A department
    whose duty merely covers the institution reads the inspection but does not act in it."""
    if actor is None or not actor.is_authenticated:
        return False
    if actor.is_superuser:
        return True
    own = _department(actor)
    if own is not None and inspection.departments.filter(pk=own.pk).exists():
        return True
    inspector = inspector_of(actor)
    return inspector is not None and inspection.team.filter(inspector=inspector).exists()


def _require(actor, action: str, inspection: Inspection, team: bool = True) -> None:
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(_("请先登录。"))
    if not can(actor, action, inspection):
        raise PermissionDenied(_("您无权对该检查进行此操作。"))
    if team and not on_team(actor, inspection):
        raise PermissionDenied(_("只有检查组的部门和人员可以进行此操作。"))


def _state(inspection: Inspection) -> dict:
    return {"state": inspection.state, "kind": inspection.kind, "scheduled_for": str(inspection.scheduled_for),
            "notice_due": str(inspection.notice_due) if inspection.notice_due else None,
            "publish_due": str(inspection.publish_due) if inspection.publish_due else None}


def latest_notice_day(scheduled_for: dt.date, working_days: int = NOTICE_WORKING_DAYS) -> dt.date:
    """The last working day the institution may be told so that `working_days` working days lie between the notice
    and the inspection: the latest working day X with add_working_days(X, n) <= scheduled_for (the notice day
    itself not counted, as for every deadline in agencies.calendar)."""
    calendar = working_calendar()
    day = scheduled_for - dt.timedelta(days=1)
    # A notice goes out on a working day: the latest one that still leaves `working_days` before the inspection.
    while calendar.add_working_days(day, working_days) > scheduled_for or not calendar.is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def _permissions(model, actions) -> list[Permission]:
    content_type = ContentType.objects.get_for_model(model)
    codenames = [f"{action}_{model._meta.model_name}" for action in actions]
    return list(Permission.objects.filter(content_type=content_type, codename__in=codenames))


def default_items(version: ChecklistVersion, departments) -> list[ChecklistItem]:
    """The items of `version` the team answers for: those whose responsible department kind is on the team.
    Competence (or supporting kinds) would give civil affairs, competent in nearly every domain and supporting
    most items, the whole list whoever else came."""
    kinds = {d.kind_id for d in departments}
    return list(version.items.filter(responsible_kind_id__in=kinds).order_by("position", "id"))


# ----------------------------------------------------------------------------------------------- create


@transaction.atomic
def inspection_create(actor, *, institution, kind, lead_department, departments=(), inspector_ids=(),
                      scheduled_for, plan=None, items=None, origin: str = "",
                      checklist_version=None) -> Inspection:
    """A scheduled inspection with its team.

    Plain arguments, so that a draw (and a complaint or referral opening a case inspection) can call it. The
    team: at least two inspectors, none with a declared conflict for the institution, at least one from each
    participating department; every team department's Group and every inspector's account get view / inspect /
    record_finding on this inspection (InspectionGroupObjectPermission / InspectionUserObjectPermission).
    Planned and special inspections are announced (notice due 3 working days before); case inspections are not.
    """
    errors = {}
    institution = institution if isinstance(institution, Institution) else Institution.objects.get(pk=institution)
    lead_department = (lead_department if isinstance(lead_department, Department)
                       else Department.objects.get(pk=lead_department))
    if kind not in InspectionKind.values:
        raise ValidationError({"kind": _("未知的检查类型：%(kind)s") % {"kind": kind}})
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(_("请先登录。"))
    if not actor.is_superuser:
        own = _department(actor)
        if own is None or not (own.pk == lead_department.pk or (
                own.kind.code == CIVIL_AFFAIRS
                and lead_department.region.scope_code.startswith(own.region.scope_code))):
            raise PermissionDenied(_("只能以本部门（或辖区内民政部门）名义组织检查。"))
    if plan is not None:
        plan = plan if isinstance(plan, InspectionPlan) else InspectionPlan.objects.get(pk=plan)
    if checklist_version is None:
        checklist_version = plan.checklist_version if plan is not None else \
            ChecklistVersion.objects.filter(active=True).first()
    if checklist_version is None or checklist_version.is_draft:
        raise ValidationError({"checklist_version": _("须采用已发布的检查事项清单版本。")})

    inspection = Inspection(institution=institution, domain=Domain.objects.get(code=INSPECTION_DOMAIN),
                            kind=kind, plan=plan, lead_department=lead_department,
                            checklist_version=checklist_version, origin=(origin or "").strip()[:255],
                            scheduled_for=scheduled_for, created_by=actor)
    inspection.copy_institution_columns()

    team_departments = {lead_department.pk: lead_department}
    for department in departments:
        department = department if isinstance(department, Department) else Department.objects.get(pk=department)
        team_departments[department.pk] = department
    outside = [d.name for d in team_departments.values() if not department_may(d, Action.INSPECT, inspection)]
    if outside:
        errors["departments"] = _("以下部门的职责不覆盖该机构，不能参加检查：%s") % "、".join(outside)

    inspector_ids = list(dict.fromkeys(int(i) for i in inspector_ids))
    inspectors = list(Inspector.objects.filter(pk__in=inspector_ids).select_related("department", "staff__user"))
    found = {i.pk for i in inspectors}
    if len(found) != len(inspector_ids):
        errors["inspector_ids"] = _("检查人员不存在：%s") % "、".join(str(i) for i in inspector_ids if i not in found)
    elif len(inspectors) < MIN_INSPECTORS:
        errors["inspector_ids"] = _("每次检查至少须有两名检查人员。")
    else:
        problems = []
        inactive = [i.display_name for i in inspectors if not i.active]
        if inactive:
            problems.append(_("已停用：%s") % "、".join(inactive))
        conflicted = InspectorConflict.objects.filter(institution=institution, inspector_id__in=found)
        names = [c.inspector.display_name for c in conflicted.select_related("inspector__staff__user")]
        if names:
            problems.append(_("已申报回避：%s") % "、".join(names))
        strangers = [i.display_name for i in inspectors if i.department_id not in team_departments]
        if strangers:
            problems.append(_("不属于参检部门：%s") % "、".join(strangers))
        present = {i.department_id for i in inspectors}
        uncovered = [d.name for d in team_departments.values() if d.pk not in present]
        if uncovered:
            problems.append(_("以下参检部门没有检查人员：%s") % "、".join(uncovered))
        if problems:
            errors["inspector_ids"] = "；".join(problems)

    if items is None:
        chosen = default_items(checklist_version, team_departments.values())
    else:
        chosen = [item if isinstance(item, ChecklistItem) else ChecklistItem.objects.get(pk=item) for item in items]
        wrong = [item.code for item in chosen if item.version_id != checklist_version.pk]
        if wrong:
            errors["items"] = _("检查事项不属于所用清单版本：%s") % "、".join(wrong)
    if not chosen and "items" not in errors:
        errors["items"] = _("没有可检查的事项。")
    if kind in ANNOUNCED_KINDS:
        inspection.notice_due = latest_notice_day(scheduled_for)
        if inspection.notice_due < timezone.localdate():
            errors["scheduled_for"] = _("日常检查和专项检查须提前3个工作日通知，计划检查日期过近。")
    if errors:
        raise ValidationError(errors)

    inspection.save()
    inspection.departments.set(list(team_departments.values()))
    inspection.items.set(chosen)
    InspectionTeamMember.objects.bulk_create(
        [InspectionTeamMember(inspection=inspection, inspector=i) for i in inspectors])
    permissions = _permissions(Inspection, TEAM_ACTIONS)
    InspectionGroupObjectPermission.objects.bulk_create([
        InspectionGroupObjectPermission(group_id=d.group_id, permission=p, content_object=inspection)
        for d in team_departments.values() for p in permissions])
    InspectionUserObjectPermission.objects.bulk_create([
        InspectionUserObjectPermission(user_id=i.staff.user_id, permission=p, content_object=inspection)
        for i in inspectors if i.staff_id for p in permissions])
    grants_changed()  # bulk_create sends no signal
    audit_record(actor, "inspection.create", inspection, after={
        **_state(inspection), "institution": institution.pk, "lead_department": lead_department.pk,
        "departments": sorted(team_departments), "inspectors": sorted(found), "items": len(chosen),
        "plan": plan.pk if plan else None, "origin": inspection.origin})
    return inspection


# ----------------------------------------------------------------------------------------------- notice, start


@transaction.atomic
def inspection_notify(actor, inspection) -> Inspection:
    """Tells the institution of an announced inspection; its account then sees the notice (restrict())."""
    inspection = _lock(inspection)
    _require(actor, Action.INSPECT, inspection)
    if inspection.kind not in ANNOUNCED_KINDS:
        raise ValidationError({"kind": _("案件检查不预先通知被检查机构。")})
    before = _state(inspection)
    _transition(inspection, InspectionState.NOTIFIED)
    inspection.notified_at = timezone.now()
    inspection.save(update_fields=["state", "notified_at"])
    audit_record(actor, "inspection.notify", inspection, before=before, after=_state(inspection))
    return inspection


@transaction.atomic
def inspection_start(actor, inspection) -> Inspection:
    """On site: an announced inspection starts once notified, a case inspection straight away."""
    inspection = _lock(inspection)
    _require(actor, Action.INSPECT, inspection)
    if inspection.state == InspectionState.SCHEDULED and inspection.kind in ANNOUNCED_KINDS:
        raise ValidationError({"state": _("日常检查和专项检查须先通知被检查机构。")})
    before = _state(inspection)
    _transition(inspection, InspectionState.IN_PROGRESS)
    inspection.started_at = timezone.now()
    inspection.save(update_fields=["state", "started_at"])
    audit_record(actor, "inspection.start", inspection, before=before, after=_state(inspection))
    return inspection


@transaction.atomic
def inspection_cancel(actor, inspection, reason: str) -> Inspection:
    inspection = _lock(inspection)
    _require(actor, Action.INSPECT, inspection)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写取消原因。")})
    before = _state(inspection)
    _transition(inspection, InspectionState.CANCELLED)
    inspection.save(update_fields=["state"])
    audit_record(actor, "inspection.cancel", inspection, before=before, after=_state(inspection), note=reason)
    return inspection


def _require_in_progress(inspection: Inspection) -> None:
    if inspection.state != InspectionState.IN_PROGRESS:
        raise ValidationError({"state": _("检查当前状态为“%(state)s”，不能记录检查结果。") % {
            "state": inspection.get_state_display()}})


def _require_unsigned(inspection: Inspection) -> None:
    if inspection.team.filter(signed_at__isnull=False).exists():
        raise ValidationError({"state": _("检查组成员已签字，检查记录不能再修改。")})


# ----------------------------------------------------------------------------------------------- item results


@transaction.atomic
def item_results_record(actor, inspection, results: dict) -> list[ItemResult]:
    """Results of several items at once: {item id: (result, note)}; an item not on the inspection is an error."""
    inspection = _lock(inspection)
    _require(actor, Action.INSPECT, inspection)
    _require_in_progress(inspection)
    _require_unsigned(inspection)
    items = {item.pk: item for item in inspection.items.all()}
    errors = {}
    for item_id, (value, _note) in results.items():
        if int(item_id) not in items:
            errors[f"item_{item_id}"] = _("该事项不在本次检查范围内。")
        elif value not in ItemResultValue.values:
            errors[f"item_{item_id}"] = _("请选择合格、不合格或不适用。")
    if errors:
        raise ValidationError(errors)
    existing = {r.item_id: r for r in ItemResult.objects.filter(inspection=inspection)}
    saved, changes = [], {}
    for item_id, (value, note) in results.items():
        item_id = int(item_id)
        row = existing.get(item_id) or ItemResult(inspection=inspection, item=items[item_id])
        if row.pk and row.result == value and row.note == (note or ""):
            saved.append(row)
            continue
        changes[items[item_id].code] = [row.result or None, value]
        row.result, row.note, row.recorded_by = value, (note or "").strip(), actor
        row.save()
        saved.append(row)
    if changes:
        audit_record(actor, "inspection.item_results", inspection, after={"results": changes})
    return saved


def item_result_record(actor, inspection, *, item, result: str, note: str = "") -> ItemResult:
    """The result of one checklist item (合格 / 不合格 / 不适用)."""
    item_id = getattr(item, "pk", item)
    return item_results_record(actor, inspection, {item_id: (result, note)})[0]


# ----------------------------------------------------------------------------------------------- findings


def _check_photo(photo) -> tuple[str, str]:
    size = photo.size
    if size == 0:
        raise ValidationError({"photos": _("照片“%(name)s”是空文件。") % {"name": photo.name}})
    if size > MAX_PHOTO_BYTES:
        raise ValidationError({"photos": _("照片不能超过 10 MB（“%(name)s”为 %(mb).1f MB）。") % {
            "name": photo.name, "mb": size / 1024 / 1024}})
    photo.seek(0)
    sniffed = sniff_content_type(photo.read(16))
    photo.seek(0)
    if sniffed is None or sniffed[0] not in PHOTO_TYPES:
        raise ValidationError({"photos": _("“%(name)s”不是 JPEG 或 PNG 图片（按文件内容识别，与扩展名无关）。") % {
            "name": photo.name}})
    return sniffed


def verifying_department_for(finding: Finding, team, finder: Department | None,
                             checklist_item: ChecklistItem | None) -> Department | None:
    """谁检查、谁验收: the team department competent for the finding's domain verifies it — the department of the
    item's responsible kind when it is on the team, else a team department whose duty gives it verification
    in that domain (the finder's own first), else the finder's."""
    team = list(team)
    if checklist_item is not None:
        for department in team:
            if department.kind_id == checklist_item.responsible_kind_id and \
                    department_may(department, Action.VERIFY_RECTIFICATION, finding):
                return department
    ordered = ([finder] if finder is not None and finder in team else []) + [d for d in team if d != finder]
    for department in ordered:
        if department_may(department, Action.VERIFY_RECTIFICATION, finding):
            return department
    return finder


@transaction.atomic
def finding_record(actor, inspection, *, domain=None, checklist_item=None, severity=Severity.GENERAL, text: str,
                   basis: str = "", rectification_working_days: int, photos=()) -> Finding:
    """A problem or hazard found on site, in one domain, with its rectification deadline in working days.

    The item it was found against is marked 不合格 unless a result was already recorded. Photos are checked by
    content (JPEG/PNG, ≤ 10 MB) and stored under server-generated names.
    """
    inspection = _lock(inspection)
    _require(actor, Action.RECORD_FINDING, inspection)
    _require_in_progress(inspection)
    _require_unsigned(inspection)
    errors = {}
    if checklist_item is not None and not isinstance(checklist_item, ChecklistItem):
        checklist_item = ChecklistItem.objects.filter(pk=checklist_item).first()
        if checklist_item is None:
            errors["checklist_item"] = _("检查事项不存在。")
    if checklist_item is not None and not inspection.items.filter(pk=checklist_item.pk).exists():
        errors["checklist_item"] = _("该事项不在本次检查范围内。")
    if domain is not None and not isinstance(domain, Domain):
        domain = Domain.objects.filter(code=domain).first() or Domain.objects.filter(
            pk=domain if str(domain).isdigit() else 0).first()
        if domain is None:
            errors["domain"] = _("未知的监管领域。")
    if domain is None and checklist_item is not None:
        domain = checklist_item.domain
    if domain is None and "domain" not in errors:
        errors["domain"] = _("请选择监管领域。")
    if domain is not None and checklist_item is not None and checklist_item.domain_id != domain.pk:
        errors["domain"] = _("监管领域须与检查事项的领域一致（%(domain)s）。") % {"domain": checklist_item.domain.name}
    if severity not in Severity.values:
        errors["severity"] = _("请选择一般隐患或重大隐患。")
    text = (text or "").strip()
    if not text:
        errors["text"] = _("请填写问题描述。")
    try:
        days = int(rectification_working_days)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= MAX_RECTIFICATION_WORKING_DAYS:
        errors["rectification_working_days"] = _("整改期限须为 1–%(max)s 个工作日。") % {
            "max": MAX_RECTIFICATION_WORKING_DAYS}
    if errors:
        raise ValidationError(errors)
    checked = [(photo, _check_photo(photo)) for photo in photos]

    finder = _department(actor)
    found_on = timezone.localdate()
    finding = Finding(institution=inspection.institution, domain=domain, inspection=inspection,
                      checklist_item=checklist_item, severity=severity, text=text, basis=(basis or "").strip(),
                      found_by=finder, created_by=actor, found_on=found_on,
                      rectification_working_days=days,
                      rectification_due=working_calendar().add_working_days(found_on, days))
    finding.copy_institution_columns()
    team = inspection.departments.select_related("kind", "region")
    finding.verifying_department = verifying_department_for(finding, team, finder, checklist_item)
    finding.save()
    for photo, (content_type, ext) in checked:
        stored = FindingPhoto(finding=finding, original_name=os.path.basename(photo.name or "")[:255],
                              content_type=content_type, size=photo.size, uploaded_by=actor)
        stored.file.save(f"photo{ext}", photo, save=False)
        stored.save()
    # The one who wrote it down keeps sight of it even where their department's duty does not reach.
    if not can(actor, Action.VIEW, finding):
        FindingUserObjectPermission.objects.create(
            user=actor, permission=_permissions(Finding, [Action.VIEW])[0], content_object=finding)
    if checklist_item is not None:
        ItemResult.objects.get_or_create(inspection=inspection, item=checklist_item,
                                         defaults={"result": ItemResultValue.FAIL, "recorded_by": actor})
    audit_record(actor, "finding.record", finding, after={
        "inspection": inspection.pk, "domain": domain.code, "severity": severity,
        "checklist_item": checklist_item.code if checklist_item else None, "rectification_working_days": days,
        "rectification_due": str(finding.rectification_due),
        "verifying_department": finding.verifying_department_id, "photos": len(checked)})
    finding_id = finding.pk
    transaction.on_commit(lambda: signals.finding_recorded.send(sender=Finding, finding_id=finding_id))
    return finding


# ----------------------------------------------------------------------------------------------- sign-off


def missing_items(inspection: Inspection) -> list[ChecklistItem]:
    done = ItemResult.objects.filter(inspection=inspection).values("item_id")
    return list(inspection.items.exclude(pk__in=done).order_by("position", "id"))


@transaction.atomic
def inspection_sign(actor, inspection) -> Inspection:
    """A team inspector signs the record; once two have signed (and every item has a result) it is complete."""
    inspection = _lock(inspection)
    _require(actor, Action.INSPECT, inspection)
    _require_in_progress(inspection)
    inspector = inspector_of(actor)
    member = None if inspector is None else \
        InspectionTeamMember.objects.select_for_update().filter(inspection=inspection, inspector=inspector).first()
    if member is None:
        raise PermissionDenied(_("只有检查组成员可以签字。"))
    if member.signed_at is not None:
        raise ValidationError({"signature": _("您已签字。")})
    missing = missing_items(inspection)
    if missing:
        raise ValidationError({"items": _("以下事项尚未记录检查结果：%s") % "、".join(i.code for i in missing)})
    before = _state(inspection)
    member.signed_at = timezone.now()
    member.save(update_fields=["signed_at"])
    signed = inspection.team.filter(signed_at__isnull=False).count()
    if signed >= MIN_INSPECTORS:
        _transition(inspection, InspectionState.COMPLETED)
        inspection.completed_at = timezone.now()
        inspection.publish_due = working_calendar().add_working_days(
            timezone.localdate(inspection.completed_at), publish_working_days())
        inspection.save(update_fields=["state", "completed_at", "publish_due"])
        inspection_id = inspection.pk
        transaction.on_commit(lambda: signals.inspection_completed.send(sender=Inspection,
                                                                        inspection_id=inspection_id))
    audit_record(actor, "inspection.sign", inspection, before=before,
                 after={**_state(inspection), "signed_by_inspector": inspector.pk, "signatures": signed})
    return inspection


# ----------------------------------------------------------------------------------------------- publication


def public_summary(inspection: Inspection) -> str:
    """What the public reads: counts only — no inspector, no person, no finding text."""
    results = Counter(ItemResult.objects.filter(inspection=inspection).values_list("result", flat=True))
    severities = Counter(inspection.findings.values_list("severity", flat=True))
    findings = sum(severities.values())
    text = _("检查事项%(items)d项：合格%(passed)d项、不合格%(failed)d项、不适用%(na)d项。") % {
        "items": inspection.items.count(), "passed": results[ItemResultValue.PASS],
        "failed": results[ItemResultValue.FAIL], "na": results[ItemResultValue.NOT_APPLICABLE]}
    if findings:
        text += _("发现问题隐患%(n)d处（一般隐患%(general)d处、重大隐患%(major)d处），已责令限期整改。") % {
            "n": findings, "general": severities[Severity.GENERAL], "major": severities[Severity.MAJOR]}
    else:
        text += _("未发现问题隐患。")
    return text


@transaction.atomic
def inspection_publish(actor, inspection) -> Inspection:
    """Publishes a completed inspection's result (一公开). Civil affairs over the institution publishes; with
    `actor=None` it is the portal itself, publishing a result whose publish_due has passed."""
    inspection = _lock(inspection)
    if actor is not None:
        _require(actor, Action.INSPECT, inspection, team=False)
        own = _department(actor)
        if not actor.is_superuser and (own is None or own.kind.code != CIVIL_AFFAIRS):
            raise PermissionDenied(_("检查结果由民政部门公开。"))
    before = _state(inspection)
    _transition(inspection, InspectionState.PUBLISHED)
    inspection.published_at = timezone.now()
    inspection.public_summary = public_summary(inspection)
    inspection.save(update_fields=["state", "published_at", "public_summary"])
    audit_record(actor, "inspection.publish", inspection, before=before, after=_state(inspection),
                 note="" if actor is not None else "auto: publish_due passed")
    return inspection


def publish_overdue_inspections(today: dt.date | None = None) -> list[int]:
    """Publishes every completed inspection whose publish_due has passed; returns their ids."""
    today = today or timezone.localdate()
    published = []
    for pk in Inspection.objects.filter(state=InspectionState.COMPLETED, publish_due__lt=today) \
            .order_by("id").values_list("pk", flat=True):
        try:
            inspection_publish(None, pk)
        except ValidationError:  # published by someone else meanwhile
            continue
        published.append(pk)
    return published
