"""The demo city's inspections (embedded default only): 和平区's inspector roster, a published 2026 plan and an
executed, published draw (`build_draw_demo`); inspections in every state at 和平区 and 河西区 institutions
(`build_inspection_demo`). Built through the services, like a user would; idempotent; a fixed seed, so the demo draw —
and the tests and screenshots that read it — come out the same every time.
"""

import hashlib
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from agencies.models import Department, Domain, StaffProfile

from .choices import DrawState, PlanState
from .models import ChecklistVersion, Finding, InspectionPlan, Inspector
from .reference import load_checklist
from .services import draw_commit, draw_execute, inspector_register, plan_create, plan_publish

DISTRICT = "120101"
# (username or None for an outside expert, department kind, certificate, domain codes, expert name, organisation)
DEMO_INSPECTORS = [
    ("inspector_1", "civil_affairs", "TJHP-MZ-0001", ["registration_filing", "service_safety"], "", ""),
    ("civil_heping", "civil_affairs", "TJHP-MZ-0002", ["registration_filing", "information_disclosure"], "", ""),
    ("inspector_2", "fire_rescue", "TJHP-XF-0001", ["fire_safety"], "", ""),
    ("fire_heping", "fire_rescue", "TJHP-XF-0002", ["fire_safety"], "", ""),
    ("inspector_3", "market_regulation", "TJHP-SJ-0001", ["food_safety", "special_equipment"], "", ""),
    ("market_heping", "market_regulation", "TJHP-SJ-0002", ["food_safety", "pricing_advertising"], "", ""),
    ("health_heping", "health", "TJHP-WJ-0001", ["medical_health"], "", ""),
    (None, "health", "", ["medical_health"], "刘敏", "天津医科大学总医院（外聘专家）"),
]
PLAN_YEAR = 2026
PLAN_TITLE = "2026年度和平区养老机构“双随机、一公开”联合抽查计划"
PARTICIPATING_KINDS = ["fire_rescue", "market_regulation", "health"]
DEMO_DRAW_COUNT = 2
# Public knowledge by design: a demo draw must be reproducible. Real draws get secrets.token_bytes(32).
DEMO_SEED = hashlib.sha256(b"portal demo draw 2026 heping").digest()


def _department(kind: str) -> Department:
    return Department.objects.get(kind__code=kind, region__code=DISTRICT)


def _roster(civil_affairs_user):
    User = get_user_model()
    for username, kind, certificate, domain_codes, name, organisation in DEMO_INSPECTORS:
        department = _department(kind)
        domains = list(Domain.objects.filter(code__in=domain_codes))
        if username is not None:
            profile = User.objects.get(username=username).staff_profile
            if Inspector.objects.filter(staff=profile).exists():
                continue
            if Inspector.objects.filter(certificate_number=certificate).exists():
                certificate = ""
            inspector_register(civil_affairs_user, department=department, staff=profile,
                               certificate_number=certificate, domains=domains)
        elif not Inspector.objects.filter(department=department, external=True, name=name).exists():
            inspector_register(civil_affairs_user, department=department, name=name, organisation=organisation,
                               domains=domains, external=True)


@transaction.atomic
def build_draw_demo() -> dict:
    """和平区's roster, its published 2026 plan and one executed draw of it (idempotent)."""
    actor = get_user_model().objects.get(username="civil_heping")
    if not ChecklistVersion.objects.filter(active=True).exists():
        # `migrate` loads the catalog; a database flushed since (a transactional test) has lost it.
        load_checklist()
    _roster(actor)
    lead = _department("civil_affairs")
    plan = InspectionPlan.objects.filter(lead_department=lead, year=PLAN_YEAR, title=PLAN_TITLE).first()
    if plan is None:
        plan = plan_create(actor, year=PLAN_YEAR, title=PLAN_TITLE, lead_department=lead,
                           participating_departments=[_department(k) for k in PARTICIPATING_KINDS],
                           sampling_ratio=Decimal("0.500"))
    if plan.state == PlanState.DRAFT:
        plan = plan_publish(actor, plan)
    draw = plan.draws.order_by("number").first()
    if draw is None:
        draw = draw_commit(actor, plan, count=DEMO_DRAW_COUNT, seed=DEMO_SEED)
    if draw.state == DrawState.COMMITTED:
        draw = draw_execute(actor, draw)
    return {"plan": plan.pk, "draw": draw.pk}


# username → domains of expertise (the demo accounts of portal.demo.DEMO_STAFF with the inspector role)
INSPECTOR_DOMAINS = {
    "inspector_1": ("service_safety", "registration_filing"),
    "inspector_2": ("fire_safety",),
    "inspector_3": ("food_safety", "special_equipment"),
    "inspector_4": ("service_safety",),
}


def ensure_demo_inspectors() -> dict:
    """The demo inspectors' directory entries (created once, keyed by their staff profile)."""
    from agencies.models import Domain

    found = {}
    for username, domain_codes in INSPECTOR_DOMAINS.items():
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
        INSPECTOR_DOMAINS.setdefault(username, domain_codes)
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
