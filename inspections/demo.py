"""The demo city's draw (embedded default only): 和平区's inspector roster, a published 2026 plan and an executed,
published draw. Built through the services, like a user would; idempotent; a fixed seed, so the demo draw —
and the tests and screenshots that read it — come out the same every time.
"""

import hashlib
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from agencies.models import Department, Domain

from .choices import DrawState, PlanState
from .models import ChecklistVersion, InspectionPlan, Inspector
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
