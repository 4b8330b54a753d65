"""The demo city (embedded default only): Tianjin's departments, named demo accounts, institutions, findings.

Deterministic, so tests and screenshots see the same city every time. Later issues add their records here.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction

from agencies.choices import RegionLevel, StaffRole
from agencies.models import Department, Domain, Region
from agencies.reference import CITY_CODE
from agencies.services import department_ensure_all, staff_create
from inspections.models import Finding, FindingGroupObjectPermission
from institutions.models import Institution, InstitutionUserObjectPermission
from institutions.uscc import build_uscc, legal_form_of

# (username, department kind, district code or None for the city, role, display name)
DEMO_STAFF = [
    ("civil_city", "civil_affairs", None, StaffRole.STAFF, "王敏"),
    ("civil_heping", "civil_affairs", "120101", StaffRole.STAFF, "李娜"),
    ("civil_hexi", "civil_affairs", "120103", StaffRole.STAFF, "赵磊"),
    ("fire_heping", "fire_rescue", "120101", StaffRole.STAFF, "陈刚"),
    ("market_heping", "market_regulation", "120101", StaffRole.STAFF, "周丽"),
    ("health_heping", "health", "120101", StaffRole.STAFF, "吴洁"),
    ("housing_heping", "housing_construction", "120101", StaffRole.STAFF, "郑涛"),
    ("medins_city", "medical_security", None, StaffRole.STAFF, "孙悦"),
    ("leader_heping", "district_government", "120101", StaffRole.LEADER, "刘强"),
    ("inspector_1", "civil_affairs", "120101", StaffRole.INSPECTOR, "何平"),
    ("inspector_2", "fire_rescue", "120101", StaffRole.INSPECTOR, "马骏"),
    ("inspector_3", "market_regulation", "120101", StaffRole.INSPECTOR, "冯雪"),
    ("inspector_4", "civil_affairs", "120103", StaffRole.INSPECTOR, "朱宁"),
]

# Four institutions per district, each with a different legal form and set of facts, so that every
# conditional duty has institutions it covers and institutions it does not.
INSTITUTION_TEMPLATES = [
    ("颐养院", "12", dict(receives_government_funds=True, eldercare_facility_land=True, has_special_equipment=True)),
    ("康乐养老院", "52", dict(has_internal_medical_facility=True, medical_insurance_designated=True,
                         provides_meals=True, has_special_equipment=True, receives_government_funds=True,
                         nonprofit_on_allocated_land=True)),
    ("福寿老年公寓", "91", dict(provides_meals=True)),
    ("夕阳红养护中心", "52", dict(home_community_service=True)),
]

FINDING_TEXT = "{domain}方面：检查发现制度或台账不完善，需限期整改。"


def _institutions(districts):
    institutions = []
    for d_index, district in enumerate(districts):
        for i, (suffix, prefix, facts) in enumerate(INSTITUTION_TEMPLATES):
            body = f"{d_index + 10:02d}{i + 1:02d}{7341:04d}"
            code = build_uscc(prefix, district.code, body)
            extra = {}
            if district.code == "120101" and i == 2:
                extra["major_fire_hazard"] = True
            if district.code == "120103" and i == 3:
                extra["registered_not_filed"] = True
            inst, _ = Institution.objects.update_or_create(uscc=code, defaults=dict(
                name=f"天津市{district.name}{suffix}", legal_form=legal_form_of(code), region=district,
                address=f"天津市{district.name}示范路{i + 1}号", beds=60 + 20 * i,
                building_area=800 + 400 * i, **facts, **extra))
            institutions.append(inst)
    return institutions


@transaction.atomic
def build_demo_city(password: str | None = None) -> dict:
    password = password or settings.DEMO_PASSWORD
    User = get_user_model()
    city = Region.objects.get(code=CITY_CODE)
    department_ensure_all(city)
    districts = list(city.children.filter(level=RegionLevel.DISTRICT).order_by("code"))

    admin, _ = User.objects.get_or_create(username="admin", defaults={"email": "admin@localhost"})
    admin.is_superuser = admin.is_staff = True
    admin.first_name = "系统管理员"
    admin.set_password(password)
    admin.save()

    for username, kind, district, role, name in DEMO_STAFF:
        region = city if district is None else Region.objects.get(code=district)
        staff_create(username, password, Department.objects.get(kind__code=kind, region=region), role, name)

    institutions = _institutions(districts)
    view_institution = Permission.objects.get(codename="view_institution", content_type__app_label="institutions")
    account_institutions = [i for i in institutions if i.region.code in ("120101", "120103")]
    for n, inst in enumerate(account_institutions, start=1):
        user, _ = User.objects.get_or_create(username=f"inst_{n}")
        user.first_name = inst.name
        user.set_password(password)
        user.save()
        InstitutionUserObjectPermission.objects.get_or_create(user=user, permission=view_institution,
                                                              content_object=inst)

    if not Finding.objects.exists():
        domains = list(Domain.objects.order_by("id"))
        civil = {d.region_id: d for d in Department.objects.filter(kind__code="civil_affairs")}
        findings = []
        for inst in institutions:
            # Heping and Hexi get a finding in every domain (the permission matrix walks them); others a few.
            chosen = domains if inst.region.code in ("120101", "120103") else domains[inst.id % 7::7]
            for domain in chosen:
                f = Finding(institution=inst, domain=domain, found_by=civil.get(inst.region_id),
                            text=FINDING_TEXT.format(domain=domain.name))
                f.copy_institution_columns()
                findings.append(f)
        Finding.objects.bulk_create(findings)

        # One hand-off: a joint team put 和平区消防救援支队 on a special-equipment finding (not its domain).
        fire = Department.objects.get(kind__code="fire_rescue", region__code="120101")
        handed = Finding.objects.filter(region_code="120101", domain__code="special_equipment").order_by("id").first()
        view_finding = Permission.objects.get(codename="view_finding", content_type__app_label="inspections")
        FindingGroupObjectPermission.objects.get_or_create(group=fire.group, permission=view_finding,
                                                           content_object=handed)
    return {"departments": Department.objects.count(), "institutions": len(institutions),
            "findings": Finding.objects.count(), "users": User.objects.count()}
