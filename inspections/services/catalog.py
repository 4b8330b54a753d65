"""The checklist catalog, the inspector directory and annual plans.

Each service is one transaction that checks who may act, writes the change and its audit row together
(`agencies.audit.audit_record`), and raises `ValidationError` (naming the field where there is one) or
`PermissionDenied`.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.audit import audit_record
from agencies.models import Department

from ..choices import PLAN_TRANSITIONS, PlanState
from ..models import ChecklistItem, ChecklistVersion, InspectionPlan, Inspector, InspectorConflict

CIVIL_AFFAIRS = "civil_affairs"
COPIED_ITEM_FIELDS = ("position", "code", "category", "domain", "text", "basis", "responsible_kind", "confidence",
                      "seed_category", "notes")
EDITABLE_ITEM_FIELDS = {"category", "domain", "text", "basis", "responsible_kind", "confidence", "notes", "position"}


# ------------------------------------------------------------------------------------------- authority


def _department(actor) -> Department | None:
    profile = getattr(actor, "staff_profile", None)
    return profile.department if profile is not None else None


def _covers(department: Department, other: Department) -> bool:
    """Whether `department`'s region contains `other`'s (a city bureau covers its districts)."""
    return other.region.scope_code.startswith(department.region.scope_code)


def _require_civil_affairs(actor, over: Department | None = None) -> None:
    """The checklist and the plans belong to civil affairs (seed 002 二(二)); a superuser may act too."""
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(_("请先登录。"))
    if actor.is_superuser:
        return
    department = _department(actor)
    if department is None or department.kind.code != CIVIL_AFFAIRS:
        raise PermissionDenied(_("仅民政部门可以进行此操作。"))
    if over is not None and not _covers(department, over):
        raise PermissionDenied(_("该部门不在本部门辖区内。"))


def _require_directory_keeper(actor, department: Department) -> None:
    """A department keeps its own roster; civil affairs over the region may keep it too."""
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(_("请先登录。"))
    if actor.is_superuser:
        return
    own = _department(actor)
    if own is None:
        raise PermissionDenied(_("仅部门工作人员可以维护执法检查人员名录。"))
    if own.pk == department.pk or (own.kind.code == CIVIL_AFFAIRS and _covers(own, department)):
        return
    raise PermissionDenied(_("无权维护该部门的执法检查人员名录。"))


# ------------------------------------------------------------------------------------- checklist catalog


def _version_state(version: ChecklistVersion) -> dict:
    return {"number": version.number, "active": version.active,
            "published_at": version.published_at.isoformat() if version.published_at else None}


@transaction.atomic
def checklist_new_version(actor, based_on: ChecklistVersion | None = None, note: str = "") -> ChecklistVersion:
    """A new draft version with a copy of every item of `based_on` (by default the active version)."""
    _require_civil_affairs(actor)
    if based_on is None:
        based_on = ChecklistVersion.objects.filter(active=True).first()
    # Serialise version numbering: two drafts made at once must not get the same number.
    list(ChecklistVersion.objects.select_for_update().values_list("pk", flat=True))
    number = (ChecklistVersion.objects.aggregate(n=Max("number"))["n"] or 0) + 1
    version = ChecklistVersion.objects.create(number=number, based_on=based_on, note=note)
    if based_on is not None:
        for item in based_on.items.prefetch_related("supporting_kinds"):
            copy = ChecklistItem.objects.create(
                version=version, **{field: getattr(item, field) for field in COPIED_ITEM_FIELDS})
            copy.supporting_kinds.set(item.supporting_kinds.all())
    audit_record(actor, "checklist.new_version", version, after={
        **_version_state(version), "based_on": based_on.number if based_on else None, "items": version.items.count()})
    return version


@transaction.atomic
def checklist_item_update(actor, item: ChecklistItem, supporting_kinds=None, **changes) -> ChecklistItem:
    """Edits an item of a draft version; published versions are fixed."""
    _require_civil_affairs(actor)
    item = ChecklistItem.objects.select_for_update().select_related("version").get(pk=item.pk)
    if not item.version.is_draft:
        raise ValidationError(_("已发布的清单版本不可修改，请先创建新版本。"))
    unknown = set(changes) - EDITABLE_ITEM_FIELDS
    if unknown:
        raise ValidationError(_("不可修改的字段：%s") % "、".join(sorted(unknown)))
    before = {field: str(getattr(item, field)) for field in changes}
    for field, value in changes.items():
        setattr(item, field, value)
    item.full_clean()
    item.save()
    if supporting_kinds is not None:
        item.supporting_kinds.set(supporting_kinds)
    audit_record(actor, "checklist.item_update", item, before=before,
                 after={field: str(getattr(item, field)) for field in changes})
    return item


@transaction.atomic
def checklist_publish(actor, version: ChecklistVersion) -> ChecklistVersion:
    """Publishes a draft version: it becomes the one active version and the previous one is retired."""
    _require_civil_affairs(actor)
    version = ChecklistVersion.objects.select_for_update().get(pk=version.pk)
    if not version.is_draft:
        raise ValidationError(_("该清单版本已发布。"))
    if not version.items.exists():
        raise ValidationError(_("清单版本没有任何检查事项，不能发布。"))
    before = _version_state(version)
    previous = list(ChecklistVersion.objects.select_for_update().filter(active=True))
    for old in previous:
        old_state = _version_state(old)
        old.active = False
        old.save(update_fields=["active"])
        audit_record(actor, "checklist.retire", old, before=old_state, after=_version_state(old))
    version.active = True
    version.published_at = timezone.now()
    version.save(update_fields=["active", "published_at"])
    audit_record(actor, "checklist.publish", version, before=before, after=_version_state(version))
    return version


# ---------------------------------------------------------------------------------- inspector directory


def _inspector_state(inspector: Inspector) -> dict:
    return {"department": inspector.department_id, "staff": inspector.staff_id, "external": inspector.external,
            "name": inspector.display_name, "certificate_number": inspector.certificate_number,
            "active": inspector.active, "domains": sorted(d.pk for d in inspector.domains.all())}


@transaction.atomic
def inspector_register(actor, *, department: Department, staff=None, name: str = "", organisation: str = "",
                       certificate_number: str = "", domains=(), external: bool | None = None) -> Inspector:
    """Adds a staff member (`staff`, a StaffProfile) or an outside expert (`name`, `organisation`) to the roster."""
    _require_directory_keeper(actor, department)
    if external is None:
        external = staff is None
    inspector = Inspector(department=department, staff=staff, external=external, name=name.strip(),
                          organisation=organisation.strip(), certificate_number=certificate_number.strip())
    if staff is not None and Inspector.objects.filter(staff=staff).exists():
        raise ValidationError({"staff": _("该工作人员已在执法检查人员名录中。")})
    inspector.full_clean()
    inspector.save()
    inspector.domains.set(domains)
    audit_record(actor, "inspector.register", inspector, after=_inspector_state(inspector))
    return inspector


@transaction.atomic
def inspector_deactivate(actor, inspector: Inspector, note: str = "") -> Inspector:
    """Takes an inspector off the active roster (no longer drawn); the entry and its history stay."""
    inspector = Inspector.objects.select_for_update().select_related("department__region").get(pk=inspector.pk)
    _require_directory_keeper(actor, inspector.department)
    if not inspector.active:
        raise ValidationError({"active": _("该执法检查人员已停用。")})
    before = _inspector_state(inspector)
    inspector.active = False
    inspector.deactivated_at = timezone.now()
    inspector.save(update_fields=["active", "deactivated_at"])
    audit_record(actor, "inspector.deactivate", inspector, before=before, after=_inspector_state(inspector),
                 note=note)
    return inspector


@transaction.atomic
def conflict_declare(actor, inspector: Inspector, institution, reason: str) -> InspectorConflict:
    """Records a conflict of interest: the inspector is recused from that institution (declared by the inspector
    or by whoever keeps the department's roster)."""
    own_entry = inspector.staff_id is not None and getattr(getattr(actor, "staff_profile", None), "pk", None) \
        == inspector.staff_id
    if not own_entry:
        _require_directory_keeper(actor, inspector.department)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写回避事由。")})
    if InspectorConflict.objects.filter(inspector=inspector, institution=institution).exists():
        raise ValidationError({"institution": _("该人员对该机构的回避申报已存在。")})
    conflict = InspectorConflict.objects.create(inspector=inspector, institution=institution, reason=reason,
                                                declared_by=actor if actor.is_authenticated else None)
    audit_record(actor, "inspector.conflict_declare", conflict,
                 after={"inspector": inspector.pk, "institution": institution.pk, "reason": reason})
    return conflict


# ------------------------------------------------------------------------------------------- annual plan


def _plan_state(plan: InspectionPlan) -> dict:
    return {"year": plan.year, "title": plan.title, "state": plan.state, "lead_department": plan.lead_department_id,
            "checklist_version": plan.checklist_version_id, "sampling_ratio": str(plan.sampling_ratio),
            "risk_multipliers": plan.risk_multipliers, "list_multipliers": plan.list_multipliers,
            "joint_preferred": plan.joint_preferred,
            "published_at": plan.published_at.isoformat() if plan.published_at else None}


@transaction.atomic
def plan_create(actor, *, year: int, title: str, lead_department: Department | None = None,
                participating_departments=(), checklist_version: ChecklistVersion | None = None,
                sampling_ratio=None, risk_multipliers: dict | None = None, list_multipliers: dict | None = None,
                joint_preferred: bool = True) -> InspectionPlan:
    """A draft annual plan led by a civil-affairs department (by default the actor's own) on a published
    checklist version (by default the active one)."""
    if lead_department is None:
        lead_department = _department(actor)
        if lead_department is None:
            raise ValidationError({"lead_department": _("请指定牵头部门。")})
    _require_civil_affairs(actor, over=lead_department)
    if checklist_version is None:
        checklist_version = ChecklistVersion.objects.filter(active=True).first()
        if checklist_version is None:
            raise ValidationError({"checklist_version": _("尚无现行的检查事项清单版本。")})
    elif checklist_version.is_draft:
        raise ValidationError({"checklist_version": _("年度计划须采用已发布的检查事项清单版本。")})
    plan = InspectionPlan(year=year, title=title, lead_department=lead_department,
                          checklist_version=checklist_version, joint_preferred=joint_preferred, created_by=actor)
    if sampling_ratio is not None:
        plan.sampling_ratio = sampling_ratio
    if risk_multipliers is not None:
        plan.risk_multipliers = risk_multipliers
    if list_multipliers is not None:
        plan.list_multipliers = list_multipliers
    plan.full_clean()
    participating = list(participating_departments)
    outside = [d.name for d in participating if not _covers(lead_department, d)]
    if outside:
        raise ValidationError({"participating_departments": _("参与部门须在牵头部门辖区内：%s") % "、".join(outside)})
    plan.save()
    plan.participating_departments.set(participating)
    audit_record(actor, "plan.create", plan, after={
        **_plan_state(plan), "participating_departments": sorted(d.pk for d in participating)})
    return plan


@transaction.atomic
def plan_transition(actor, plan: InspectionPlan, target: str) -> InspectionPlan:
    plan = InspectionPlan.objects.select_for_update().select_related("lead_department__region").get(pk=plan.pk)
    _require_civil_affairs(actor, over=plan.lead_department)
    if target not in PLAN_TRANSITIONS.get(plan.state, ()):
        raise ValidationError({"state": _("计划不能从“%(from)s”变为“%(to)s”。") % {
            "from": PlanState(plan.state).label, "to": PlanState(target).label}})
    before = _plan_state(plan)
    plan.state = target
    fields = ["state"]
    if target == PlanState.PUBLISHED:
        plan.published_at = timezone.now()
        fields.append("published_at")
    plan.save(update_fields=fields)
    audit_record(actor, f"plan.{target}", plan, before=before, after=_plan_state(plan))
    return plan


def plan_publish(actor, plan: InspectionPlan) -> InspectionPlan:
    """Publishes a draft plan; a published plan is the fixed basis of its draws and cannot change state again."""
    return plan_transition(actor, plan, PlanState.PUBLISHED)
