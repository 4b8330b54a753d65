"""The duty catalog holds every task of seed 000 and every measure of seed 001, with their departments."""

import pytest

from agencies.models import DepartmentKind, Domain, Duty, Region

pytestmark = pytest.mark.django_db

SEED_000 = "000_213d2698732501f7.txt"
SEED_001 = "001_22f67871987645f0.txt"


def test_all_40_tasks_of_seed_000():
    numbers = set(Duty.objects.filter(source_seed=SEED_000).values_list("task_no", flat=True))
    assert numbers == {str(n) for n in range(1, 41)}


def test_all_52_measures_of_seed_001():
    numbers = set(Duty.objects.filter(source_seed=SEED_001).values_list("task_no", flat=True))
    assert numbers == {f"001-{n}" for n in range(1, 53)}


def test_every_duty_names_departments_domains_and_actions():
    for duty in Duty.objects.prefetch_related("department_kinds", "domains"):
        assert duty.department_kinds.exists(), duty.reference
        assert duty.domains.exists(), duty.reference
        assert "view" in duty.actions, duty.reference
        assert duty.text.strip(), duty.reference


def test_task_4_verbatim_with_its_departments_and_condition():
    duty = Duty.objects.get(source_seed=SEED_000, task_no="4")
    assert duty.text.startswith("加强养老服务机构、老人家食堂的食品安全日常监管检查")
    assert {k.code for k in duty.department_kinds.all()} == {"civil_affairs", "market_regulation",
                                                             "district_government"}
    assert [d.code for d in duty.domains.all()] == ["food_safety"]
    assert duty.applies_if == ["provides_meals"]
    assert duty.reference == "000任务4"


def test_reference_tables_loaded():
    assert Region.objects.filter(level="district", parent__code="120000").count() == 16
    assert Region.objects.get(code="120101").scope_code == "120101"
    assert Region.objects.get(code="120000").scope_code == "12"
    assert Domain.objects.count() == 21
    assert DepartmentKind.objects.get(code="fire_rescue").competence.filter(code="fire_safety").exists()
    assert DepartmentKind.objects.get(code="medical_security").jurisdiction_applies_if == [
        "medical_insurance_designated"]
