"""The access engine on the demo city: the must-show cases of the foundation issue, and restrict() ≡ has_perm."""

import pytest
from django.contrib.auth import get_user_model

from agencies.access import explain
from agencies.models import Domain, Duty
from inspections.models import Finding
from institutions.models import Institution

pytestmark = pytest.mark.django_db

HEPING, HEXI = "120101", "120103"


def visible(user, action="view"):
    return list(Finding.objects.restrict(user, action).select_related("domain", "institution"))


def test_fire_heping_sees_fire_records_of_heping_only(users, api):
    fire = users["fire_heping"]
    seen = visible(fire)
    assert {f.domain.code for f in seen if f.domain.code == "fire_safety"} == {"fire_safety"}
    assert all(f.region_code == HEPING for f in seen)
    fire_heping_records = Finding.objects.filter(region_code=HEPING, domain__code="fire_safety")
    assert set(fire_heping_records.values_list("id", flat=True)) <= {f.id for f in seen}
    client = api("fire_heping")
    assert client.get(f"/api/v1/findings/{fire_heping_records.first().id}/").status_code == 200
    hexi_fire = Finding.objects.filter(region_code=HEXI, domain__code="fire_safety").first()
    heping_food = Finding.objects.filter(region_code=HEPING, domain__code="food_safety").first()
    heping_health = Finding.objects.filter(region_code=HEPING, domain__code="medical_health").first()
    for hidden in (hexi_fire, heping_food, heping_health):
        assert client.get(f"/api/v1/findings/{hidden.id}/").status_code == 404
    assert client.get("/api/v1/findings/99999999/").status_code == 404  # missing looks the same


def test_fire_heping_explain_names_the_duty(users):
    finding = Finding.objects.filter(region_code=HEPING, domain__code="fire_safety").first()
    refs = {r.reference for r in explain(users["fire_heping"], finding, "inspect")}
    assert {"000任务3", "001-13", "001-14"} <= refs
    assert "000任务2" not in refs  # task 2 names housing, not fire


def test_medins_city_only_designated_institutions_city_wide(users, api):
    medins = users["medins_city"]
    seen = visible(medins)
    assert seen, "医保 must see the medical-insurance records of designated institutions"
    assert all(f.institution.medical_insurance_designated for f in seen)
    assert {f.region_code for f in seen} >= {HEPING, HEXI}  # city-wide
    medical_insurance = [f for f in seen if f.domain.code == "medical_insurance"]
    assert medical_insurance
    # Seed 000 tasks 19 and 26 also name 医保 for credit and complaints ("按监管职责"): only of designated ones.
    assert {f.domain.code for f in seen} <= {"medical_insurance", "credit", "complaints"}
    not_designated = Finding.objects.filter(domain__code="medical_insurance",
                                            institution__medical_insurance_designated=False).first()
    assert api("medins_city").get(f"/api/v1/findings/{not_designated.id}/").status_code == 404
    refs = {r.reference for r in explain(medins, medical_insurance[0], "view")}
    assert refs == {"000任务9", "001-31"}


def test_housing_heping_building_and_fire_not_food(users):
    """Seed 000 task 29 names 住建 beside food safety, but food is not in housing's competence."""
    seen = visible(users["housing_heping"])
    domains = {f.domain.code for f in seen}
    assert {"building_safety", "fire_safety"} <= domains
    assert "food_safety" not in domains
    task29 = Duty.objects.get(source_seed__startswith="000", task_no="29")
    assert task29.domains.filter(code="food_safety").exists()
    assert task29.department_kinds.filter(code="housing_construction").exists()


def test_institution_account_sees_only_its_own_institution(users, api):
    inst = users["inst_1"]
    own = Institution.objects.restrict(inst).get()
    assert {f.institution_id for f in visible(inst)} == {own.id}
    other = Finding.objects.exclude(institution=own).first()
    assert api("inst_1").get(f"/api/v1/findings/{other.id}/").status_code == 404
    # An institution account has no statutory actions.
    assert not Finding.objects.restrict(inst, "inspect").exists()


def test_leader_reads_the_district_but_takes_no_action(users):
    leader = users["leader_heping"]  # 和平区人民政府: named beside every task of seed 000
    seen = visible(leader)
    assert {f.region_code for f in seen} == {HEPING}
    # Every domain of seed 000's tasks; 标准化与等级评定 appears only in seed 001, which names district bureaus.
    assert {f.domain.code for f in seen} == {d.code for d in Domain.objects.exclude(code="standards_rating")}
    assert not Finding.objects.restrict(leader, "inspect").exists()
    assert not leader.has_perm("inspections.inspect_finding", seen[0])


def test_superuser_sees_everything_and_inactive_users_nothing(users):
    assert Finding.objects.restrict(users["admin"]).count() == Finding.objects.count()
    fire = users["fire_heping"]
    fire.is_active = False
    assert not Finding.objects.restrict(fire).exists()
    assert not fire.has_perm("inspections.view_finding", Finding.objects.first())


def test_editing_a_duty_changes_scope_at_once(users):
    fire = users["fire_heping"]
    assert not Finding.objects.restrict(fire).filter(domain__code="food_safety").exists()
    duty = Duty.objects.get(task_no="001-14")  # names fire alone: it gets every domain of the duty
    duty.domains.add(*__import__("agencies.models", fromlist=["Domain"]).Domain.objects.filter(code="food_safety"))
    assert Finding.objects.restrict(fire).filter(domain__code="food_safety", region_code=HEPING).exists()
    duty.active = False
    duty.save()
    assert not Finding.objects.restrict(fire).filter(domain__code="food_safety").exists()


def test_restrict_and_has_perm_agree_on_every_demo_user_and_record():
    """restrict() and user.has_perm(perm, obj) — through every authentication backend, guardian's included —
    agree for every demo user on every demo record under `view`, and on every tenth record for the other
    actions (each has_perm costs guardian two queries; the matrix test covers every action in full)."""
    from agencies.choices import Action

    findings = list(Finding.objects.order_by("id"))
    institutions = list(Institution.objects.order_by("id"))
    for user in get_user_model().objects.all():
        for action in Action.values:
            step = 1 if action == Action.VIEW else 10
            sample = findings[::step]
            in_list = set(Finding.objects.restrict(user, action).filter(id__in=[f.id for f in sample])
                          .values_list("id", flat=True))
            by_perm = {f.id for f in sample if user.has_perm(f"inspections.{action}_finding", f)}
            assert in_list == by_perm, (user.username, action, sorted(in_list ^ by_perm)[:5])
            in_list = set(Institution.objects.restrict(user, action).values_list("id", flat=True))
            by_perm = {i.id for i in institutions[::step] if user.has_perm(f"institutions.{action}_institution", i)}
            assert in_list & {i.id for i in institutions[::step]} == by_perm, (user.username, action, "institution")


def test_filing_review_stays_with_civil_affairs(users):
    """Seed 004 2.5 and seed 003 一(一): the district civil-affairs bureau is the filing authority. Joint duties
    (000任务38, 001-1 …) name market regulation beside it; their `action_limits` keep 备案审核 with civil
    affairs."""
    from institutions.models import Filing

    filing = Filing.objects.filter(region_code=HEPING).first()
    assert filing is not None
    assert Filing.objects.restrict(users["civil_heping"], "review_filing").filter(pk=filing.pk).exists()
    assert not Filing.objects.restrict(users["market_heping"], "review_filing").exists()
    assert Filing.objects.restrict(users["market_heping"], "view").filter(pk=filing.pk).exists()  # still reads it
    assert not users["market_heping"].has_perm("institutions.review_filing_filing", filing)
