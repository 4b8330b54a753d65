from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from agencies.models import AuditEvent, Department
from inspections.choices import PlanState
from inspections.models import ChecklistVersion
from inspections.selectors import plan_candidates
from inspections.services import checklist_new_version, plan_create, plan_publish, plan_transition
from institutions.models import Institution

pytestmark = pytest.mark.django_db


@pytest.fixture
def heping_plan(users):
    fire = Department.objects.get(kind__code="fire_rescue", region__code="120101")
    market = Department.objects.get(kind__code="market_regulation", region__code="120101")
    return plan_create(users["civil_heping"], year=2025, title="和平区养老机构双随机抽查计划",
                       participating_departments=[fire, market], sampling_ratio=Decimal("0.3"))


def test_plan_lifecycle(users, heping_plan):
    plan = heping_plan
    assert plan.state == PlanState.DRAFT and plan.published_at is None
    assert plan.lead_department.name == users["civil_heping"].staff_profile.department.name
    assert plan.checklist_version == ChecklistVersion.objects.get(active=True)
    assert plan.risk_multipliers == {"low": 1.0, "medium": 1.0, "high": 1.0}
    assert plan.list_multipliers == {"watch": 1.0, "black": 1.0, "red": 1.0}
    assert plan.joint_preferred and plan.participating_departments.count() == 2
    plan = plan_publish(users["civil_heping"], plan)
    assert plan.state == PlanState.PUBLISHED and plan.published_at is not None
    verbs = list(AuditEvent.objects.filter(object_type="inspections.inspectionplan", object_id=str(plan.pk))
                 .values_list("verb", flat=True))
    assert set(verbs) == {"plan.create", "plan.published"}


def test_illegal_transition_refused(users, heping_plan):
    plan = plan_publish(users["civil_heping"], heping_plan)
    with pytest.raises(ValidationError) as exc:
        plan_publish(users["civil_heping"], plan)
    assert "state" in exc.value.message_dict
    with pytest.raises(ValidationError):
        plan_transition(users["civil_heping"], plan, PlanState.DRAFT)


def test_plan_rules_are_validated(users):
    actor = users["civil_heping"]
    with pytest.raises(ValidationError) as exc:
        plan_create(actor, year=2025, title="比例错误", sampling_ratio=Decimal("1.5"))
    assert "sampling_ratio" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        plan_create(actor, year=2025, title="倍数错误", risk_multipliers={"low": 1, "high": 2})
    assert "risk_multipliers" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        plan_create(actor, year=2025, title="草稿清单", checklist_version=checklist_new_version(actor))
    assert "checklist_version" in exc.value.message_dict
    fire = Department.objects.get(kind__code="fire_rescue", region__code="120101")
    with pytest.raises(ValidationError) as exc:
        plan_create(users["civil_city"], year=2025, title="消防牵头", lead_department=fire)
    assert "lead_department" in exc.value.message_dict


def test_only_civil_affairs_over_the_region_plans(users):
    heping = Department.objects.get(kind__code="civil_affairs", region__code="120101")
    with pytest.raises(PermissionDenied):
        plan_create(users["fire_heping"], year=2025, title="x", lead_department=heping)
    with pytest.raises(PermissionDenied):
        plan_create(users["civil_hexi"], year=2025, title="x", lead_department=heping)
    assert plan_create(users["civil_city"], year=2025, title="市局代拟", lead_department=heping).pk


def test_candidates_of_a_heping_plan_are_the_heping_operating_institutions(heping_plan):
    heping = Institution.objects.filter(region_code__startswith="120101")
    closed = heping.first()
    closed.status = "closed"
    closed.save()
    expected = set(heping.filter(status="operating").values_list("pk", flat=True))
    assert expected, "the demo city has operating institutions in 和平区"
    assert Institution.objects.exclude(region_code__startswith="120101").exists()
    candidates = plan_candidates(heping_plan)
    assert {c.institution.pk for c in candidates} == expected
    # Neutral multipliers: every weight is 1.0 whatever risk level credit has given the institution.
    assert all(c.weight == 1.0 and c.risk_level == c.institution.risk_level for c in candidates)
    from inspections.models import Inspection

    inspected = set(Inspection.objects.filter(state__in=["completed", "published"], completed_at__year=heping_plan.year)
                    .values_list("institution_id", flat=True))
    assert {c.institution.pk for c in candidates if c.inspected_this_year} == inspected & expected
