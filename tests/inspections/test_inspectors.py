import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from agencies.models import AuditEvent, Department, Domain
from inspections.models import Inspector, InspectorConflict
from inspections.selectors import eligible_inspectors
from inspections.services import conflict_declare, inspector_deactivate, inspector_register
from institutions.models import Institution

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(users, civil_heping, fire_heping):
    """The named demo users, plus two staff not yet in the directory (the demo city's inspectors already are)."""
    from agencies.choices import StaffRole
    from agencies.services import staff_create

    users["new_civil"] = staff_create("roster_civil", "x", civil_heping, StaffRole.INSPECTOR, "新民政")
    users["new_fire"] = staff_create("roster_fire", "x", fire_heping, StaffRole.INSPECTOR, "新消防")
    return users


@pytest.fixture
def civil_heping():
    return Department.objects.get(kind__code="civil_affairs", region__code="120101")


@pytest.fixture
def fire_heping():
    return Department.objects.get(kind__code="fire_rescue", region__code="120101")


def test_register_staff_and_external_expert(users, civil_heping, fire_heping):
    fire_domain = Domain.objects.get(code="fire_safety")
    staff = inspector_register(users["fire_heping"], department=fire_heping,
                               staff=users["new_fire"].staff_profile, certificate_number="TJ-XF-0001",
                               domains=[fire_domain])
    assert not staff.external and staff.active and staff.display_name == users["new_fire"].get_full_name()
    assert list(staff.domains.all()) == [fire_domain]
    expert = inspector_register(users["civil_heping"], department=civil_heping, name="张工",
                                organisation="天津市建筑设计院", domains=[Domain.objects.get(code="building_safety")])
    assert expert.external and expert.staff is None and expert.certificate_number == ""
    # Two outside experts without a certificate do not collide.
    inspector_register(users["civil_heping"], department=civil_heping, name="刘医生", organisation="某医院")
    assert AuditEvent.objects.filter(verb="inspector.register").count() >= 3


def test_duplicate_certificate_number_names_the_field(users, civil_heping):
    inspector_register(users["civil_heping"], department=civil_heping, staff=users["new_civil"].staff_profile,
                       certificate_number="TJ-MZ-0042")
    with pytest.raises(ValidationError) as exc:
        inspector_register(users["civil_heping"], department=civil_heping, name="王专家", organisation="某协会",
                           certificate_number=" TJ-MZ-0042 ")
    assert "certificate_number" in exc.value.message_dict


def test_staff_of_another_department_or_unnamed_expert_refused(users, civil_heping):
    with pytest.raises(ValidationError) as exc:
        inspector_register(users["civil_heping"], department=civil_heping, staff=users["new_fire"].staff_profile)
    assert "department" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        inspector_register(users["civil_heping"], department=civil_heping, name="  ")
    assert "name" in exc.value.message_dict


def test_a_department_keeps_only_its_own_roster(users, civil_heping):
    with pytest.raises(PermissionDenied):
        inspector_register(users["fire_heping"], department=civil_heping, name="某专家")
    with pytest.raises(PermissionDenied):
        inspector_register(users["civil_hexi"], department=civil_heping, name="某专家")
    # City civil affairs covers the districts.
    assert inspector_register(users["civil_city"], department=civil_heping, name="某专家").pk


def test_conflicts_are_recorded(users, civil_heping):
    inspector = inspector_register(users["civil_heping"], department=civil_heping,
                                   staff=users["new_civil"].staff_profile)
    institution = Institution.objects.filter(region_code="120101").first()
    conflict = conflict_declare(users["new_civil"], inspector, institution, "配偶在该机构任职")
    assert conflict.declared_by == users["new_civil"] and conflict.declared_at is not None
    assert InspectorConflict.objects.filter(inspector=inspector, institution=institution).count() == 1
    assert AuditEvent.objects.filter(verb="inspector.conflict_declare", object_id=str(conflict.pk)).exists()
    with pytest.raises(ValidationError) as exc:
        conflict_declare(users["civil_heping"], inspector, institution, "再次申报")
    assert "institution" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        conflict_declare(users["civil_heping"], inspector, Institution.objects.exclude(pk=institution.pk).first(), "")
    assert "reason" in exc.value.message_dict


def test_deactivated_inspectors_are_not_eligible(users, civil_heping, fire_heping):
    one = inspector_register(users["civil_heping"], department=civil_heping, staff=users["new_civil"].staff_profile)
    two = inspector_register(users["fire_heping"], department=fire_heping, staff=users["new_fire"].staff_profile)
    assert set(eligible_inspectors([civil_heping.pk, fire_heping.pk])) >= {one, two}
    inspector_deactivate(users["civil_heping"], one, note="调离")
    eligible = set(eligible_inspectors([civil_heping.pk, fire_heping.pk]))
    assert one not in eligible and two in eligible
    assert not Inspector.objects.get(pk=one.pk).active
    assert AuditEvent.objects.filter(verb="inspector.deactivate", object_id=str(one.pk)).exists()
    with pytest.raises(ValidationError):
        inspector_deactivate(users["civil_heping"], one)
