"""Demo data of the inspections app: the inspector directory entries of the demo inspectors, and inspections in
every state at 和平区 and 河西区 institutions (called from portal.demo with one line; idempotent)."""

from agencies.models import StaffProfile

from .models import Finding, Inspector

# username → domains of expertise (the demo accounts of portal.demo.DEMO_STAFF with the inspector role)
DEMO_INSPECTORS = {
    "inspector_1": ("service_safety", "registration_filing"),
    "inspector_2": ("fire_safety",),
    "inspector_3": ("food_safety", "special_equipment"),
    "inspector_4": ("service_safety",),
}


def ensure_demo_inspectors() -> dict:
    """The demo inspectors' directory entries (created once, keyed by their staff profile)."""
    from agencies.models import Domain

    found = {}
    for username, domain_codes in DEMO_INSPECTORS.items():
        profile = StaffProfile.objects.select_related("department", "user").filter(user__username=username).first()
        if profile is None:
            continue
        inspector, created = Inspector.objects.get_or_create(staff=profile, defaults={"department": profile.department})
        if created:
            inspector.domains.set(Domain.objects.filter(code__in=domain_codes))
        found[username] = inspector
    return found


# A second 河西区 inspector with an account, so that 河西区 inspections can be signed off by two people.
EXTRA_STAFF = [("inspector_5", "fire_rescue", "120103", "韩冰", ("fire_safety",))]
# Marks the demo's own inspections (shown as 检查来源), so that a second run adds nothing.
DEMO_ORIGIN = "演示：2026年养老机构安全专项检查"


def _ensure_extra_staff():
    from django.conf import settings

    from agencies.choices import StaffRole
    from agencies.models import Department, Domain
    from agencies.services import staff_create

    for username, kind, district, name, domain_codes in EXTRA_STAFF:
        department = Department.objects.get(kind__code=kind, region__code=district)
        if not StaffProfile.objects.filter(user__username=username).exists():
            staff_create(username, settings.DEMO_PASSWORD, department, StaffRole.INSPECTOR, name)
        DEMO_INSPECTORS.setdefault(username, domain_codes)
        profile = StaffProfile.objects.get(user__username=username)
        inspector, created = Inspector.objects.get_or_create(staff=profile, defaults={"department": department})
        if created:
            inspector.domains.set(Domain.objects.filter(code__in=domain_codes))


def build_inspection_demo() -> dict:
    """Inspections in every state at 和平区 and 河西区 institutions, through the services, with open and closed
    findings. Idempotent: does nothing when the demo's inspections exist."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from agencies.calendar import add_working_days
    from agencies.models import Department
    from institutions.models import Institution

    from .choices import FindingState, InspectionKind, ItemResultValue, Severity
    from .models import ChecklistItem, ChecklistVersion, Inspection
    from .services import inspections as services

    if Inspection.objects.filter(origin=DEMO_ORIGIN).exists():
        return {"inspections": 0}
    if not ChecklistVersion.objects.filter(active=True).exists():
        # A fresh database has it from `migrate`; a test database flushed by a transactional test does not.
        from .reference import load_checklist

        load_checklist()
    User = get_user_model()
    with transaction.atomic():
        _ensure_extra_staff()
        inspectors = ensure_demo_inspectors()
        actor = {"120101": User.objects.get(username="civil_heping"), "120103": User.objects.get(username="civil_hexi")}
        teams = {"120101": ("inspector_1", "inspector_2"), "120103": ("inspector_4", "inspector_5")}
        scheduled = add_working_days(timezone.localdate(), 5)
        codes = ["KEY-SVC-01", "KEY-SVC-19", "KEY-SVC-26", "KEY-FIRE-02", "KEY-FIRE-03", "KEY-FIRE-04"]
        items = list(ChecklistItem.objects.filter(version__active=True, code__in=codes).order_by("position"))
        made = []
        # (district, institution name suffix, the state it is left in)
        plan = [
            ("120101", "颐养院", "scheduled"), ("120101", "福寿老年公寓", "notified"),
            ("120101", "夕阳红养护中心", "in_progress"), ("120101", "颐养院", "published"),
            ("120103", "康乐养老院", "completed"), ("120103", "颐养院", "published"),
            ("120103", "福寿老年公寓", "cancelled"), ("120103", "夕阳红养护中心", "scheduled"),
        ]
        for district, suffix, target in plan:
            civil = Department.objects.get(kind__code="civil_affairs", region__code=district)
            fire = Department.objects.get(kind__code="fire_rescue", region__code=district)
            institution = Institution.objects.get(region__code=district, name__endswith=suffix)
            first, second = (User.objects.get(username=u) for u in teams[district])
            inspection = services.inspection_create(
                actor[district], institution=institution, kind=InspectionKind.SPECIAL, lead_department=civil,
                departments=[fire], inspector_ids=[inspectors[u].pk for u in teams[district]],
                scheduled_for=scheduled, items=items, origin=DEMO_ORIGIN)
            made.append(inspection)
            if target == "scheduled":
                continue
            if target == "cancelled":
                services.inspection_cancel(actor[district], inspection, "机构临时停业装修，改期检查。")
                continue
            services.inspection_notify(actor[district], inspection)
            if target == "notified":
                continue
            services.inspection_start(first, inspection)
            results = {item.pk: (ItemResultValue.PASS, "") for item in items}
            fire_item = next(i for i in items if i.code == "KEY-FIRE-03")
            results[fire_item.pk] = (ItemResultValue.FAIL, "")
            services.item_results_record(first, inspection, results)
            finding = services.finding_record(
                first, inspection, checklist_item=fire_item, severity=Severity.GENERAL,
                text="疏散通道堆放杂物，部分灭火器压力不足。", basis="《中华人民共和国消防法》第十六条、第二十八条",
                rectification_working_days=10)
            if suffix == "颐养院":
                services.finding_record(
                    first, inspection, domain="service_safety", severity=Severity.MAJOR,
                    text="夜间值班人员不足，未落实24小时值班制度。", basis="《养老机构管理办法》第二十八条",
                    rectification_working_days=5)
            if target == "in_progress":
                continue
            services.inspection_sign(first, inspection)
            services.inspection_sign(second, inspection)
            if target == "published":
                # Rectified and verified (the rectification workflow's own services record this for real ones).
                Finding.objects.filter(pk=finding.pk).update(state=FindingState.CLOSED, closed_at=timezone.now())
                services.inspection_publish(actor[district], inspection)
    return {"inspections": len(made)}
