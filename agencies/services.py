"""Writes for the agencies app: departments and staff."""

from django.contrib.auth import get_user_model
from django.db import transaction

from .choices import DepartmentLevel, RegionLevel
from .models import Department, DepartmentKind, Region, StaffProfile


@transaction.atomic
def department_ensure_all(city: Region) -> list[Department]:
    """One department per kind at city level and, where the kind has district bureaus, in every district."""
    created = []
    districts = list(city.children.filter(level=RegionLevel.DISTRICT))
    for kind in DepartmentKind.objects.filter(is_collective=False):
        if kind.city_name_pattern:
            dept, _ = Department.objects.get_or_create(
                kind=kind, region=city, defaults={"level": DepartmentLevel.CITY, "name": kind.city_name_pattern})
            created.append(dept)
        if kind.district_name_pattern:
            for district in districts:
                dept, _ = Department.objects.get_or_create(kind=kind, region=district, defaults={
                    "level": DepartmentLevel.DISTRICT,
                    "name": kind.district_name_pattern.format(district=district.name)})
                created.append(dept)
    return created


@transaction.atomic
def staff_create(username: str, password: str, department: Department, role: str, full_name: str = "", **extra):
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=username)
    user.set_password(password)
    user.first_name = full_name
    user.is_staff = False
    for key, value in extra.items():
        setattr(user, key, value)
    user.save()
    StaffProfile.objects.update_or_create(user=user, defaults={"department": department, "role": role})
    user.groups.add(department.group)
    return user
