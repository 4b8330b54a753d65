"""Property: for random departments, institutions (random facts, districts, streets), domains and actions, the
engine lets a department see and act on a record exactly when the independent oracle says so — never a
record outside the duty, never a duty-covered record hidden — through restrict() and has_perm alike."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agencies.access import get_access_context, granting_duty_ids
from agencies.models import Department, DepartmentKind, Domain, Duty, Region, StaffProfile
from inspections.models import Finding
from institutions.models import Institution
from institutions.uscc import build_uscc

from . import oracle

pytestmark = pytest.mark.django_db

DISTRICTS = ["120101", "120102", "120103", "120104", "120116", "120119"]
DOMAINS = sorted({d for duty in oracle.duties() for d in duty.domains})
KINDS = sorted(oracle.competence())


class Rollback(Exception):
    pass


def _region(code: str, street: int | None) -> Region:
    district = Region.objects.get(code=code)
    if street is None:
        return district
    region, _ = Region.objects.get_or_create(code=f"{code}{street:03d}", defaults={
        "name": f"{district.name}第{street}街道", "level": "street", "parent": district})
    return region


def _department(kind_code: str, region: Region) -> Department:
    kind = DepartmentKind.objects.get(code=kind_code)
    dept = Department.objects.filter(kind=kind, region=region).first()
    if dept is None:
        level = "city" if region.level == "city" else "district"
        dept = Department.objects.create(kind=kind, region=region, level=level, name=f"{region.name}{kind.name}（测）")
    return dept


@settings(max_examples=200, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    kind=st.sampled_from(KINDS),
    dept_district=st.one_of(st.none(), st.sampled_from(DISTRICTS)),  # None: a city-level department
    inst_district=st.sampled_from(DISTRICTS),
    street=st.one_of(st.none(), st.integers(1, 20)),
    facts=st.sets(st.sampled_from(oracle.FACT_NAMES)),
    domain=st.sampled_from(DOMAINS),
    action=st.sampled_from(oracle.ACTIONS),
)
def test_engine_matches_the_oracle(kind, dept_district, inst_district, street, facts, domain, action):
    cache.clear()  # ids can repeat across rolled-back examples; never reuse a cached scope
    references = {d.id: d.reference for d in Duty.objects.all()}
    try:
        with transaction.atomic():
            dept_region = Region.objects.get(code=dept_district or "120000")
            dept = _department(kind, dept_region)
            user = get_user_model().objects.create(username="prop_user")
            StaffProfile.objects.create(user=user, department=dept)
            user.groups.add(dept.group)
            inst = Institution.objects.create(
                name="性质测试机构", uscc=build_uscc("52", inst_district, "77700001"),
                region=_region(inst_district, street), **{f: True for f in facts})
            finding = Finding.objects.create(institution=inst, domain=Domain.objects.get(code=domain), text="p")

            expected = oracle.may(kind, dept_region.code, dept_region.level, action, finding.region_code, domain,
                                  set(facts))
            listed = Finding.objects.restrict(user, action).filter(pk=finding.pk).exists()
            assert listed == expected, (kind, dept_region.code, inst.region.code, sorted(facts), domain, action)
            assert user.has_perm(f"inspections.{action}_finding", finding) == expected
            # …and it names exactly the duties the oracle names.
            named = {references[i] for i in granting_duty_ids(get_access_context(user), finding, action)}
            assert named == set(oracle.granting_duties(kind, action, domain, set(facts))) if expected else not named
            # The institution is in the department's view when any duty covers any of its records.
            inst_expected = any(
                oracle.may(kind, dept_region.code, dept_region.level, action, finding.region_code, d, set(facts))
                for d in DOMAINS)
            assert Institution.objects.restrict(user, action).filter(pk=inst.pk).exists() == inst_expected
            raise Rollback
    except Rollback:
        pass
