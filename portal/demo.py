"""The demo city (embedded default only): Tianjin's departments, named demo accounts, institutions, findings.

Deterministic, so tests and screenshots see the same city every time. Later issues add their records here.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction

from agencies.choices import RegionLevel, StaffRole
from agencies.models import Department, Domain, Region
from agencies.reference import CITY_CODE
from agencies.services import department_ensure_all, staff_create
from complaints.demo import build_demo_complaints
from inspections.demo import build_draw_demo, build_inspection_demo
from inspections.demo_findings import build_findings_demo
from inspections.models import Finding, FindingGroupObjectPermission
from institutions.choices import (
    DisclosureKind,
    FilingState,
    FilingStatus,
    OnSiteCheckResult,
    OnSiteCheckStatus,
    PropertyType,
)
from institutions.models import (
    DisclosureItem,
    Filing,
    Institution,
    InstitutionUserObjectPermission,
    OnSiteCheck,
    PledgeSignature,
    PledgeTemplate,
    StarRating,
)
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
    # The city has no government department in the catalog (区人民政府 is district-level only): the city-level
    # leader who reads the whole city's dashboard is a leader of 天津市民政局, the lead department.
    ("leader_city", "civil_affairs", None, StaffRole.LEADER, "高远"),
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

# Where each of a district's four institutions stands with its filing (by its index in INSTITUTION_TEMPLATES),
# so that every district shows filed, pending, returned and unfiled institutions. The first (颐养院, whose 和平区
# one is the account inst_1) stays unfiled: the filing journey starts from an institution that has not filed.
DEMO_FILING_STATUS = [FilingStatus.UNFILED, FilingStatus.FILED, FilingStatus.PENDING, FilingStatus.RETURNED]
DEMO_FILED_ON = dt.datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
DEMO_MISSING = ["消防验收/备案或安全检查材料", "服务场所权属证明未加盖公章"]
DEMO_PLEDGE_TEXT = (
    "本机构郑重承诺：所填报的备案信息及提交的材料真实、准确、完整；服务场所符合建筑、消防、食品、医疗卫生、"
    "特种设备等法律法规和强制性标准的要求；依法依规开展养老服务，主动接受民政等部门的监督检查和社会监督。"
    "如有违反，自愿承担相应法律责任，并同意将相关信息纳入信用记录。"
)
# Not FEES: tests/agencies/test_record_types_matrix.py adds a FEES item to every 和平区/河西区 institution, and
# an institution has one item per kind.
DEMO_DISCLOSURES = [
    (DisclosureKind.SERVICE_ITEMS, "生活照料、膳食服务、康复护理、精神慰藉、文化娱乐。"),
    (DisclosureKind.ADMISSION, "入住前进行老年人能力评估并签订服务合同；退住提前7日告知，结清费用后办理手续。"),
    (DisclosureKind.COMPLAINTS, "投诉可向本机构服务台提出，或通过本平台“投诉举报”向区民政局反映。"),
]


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
    _filings(districts, institutions)
    build_draw_demo()  # inspections: 和平区's roster, its 2026 plan and a published draw

    build_inspection_demo()

    build_findings_demo()

    build_demo_complaints()

    from credit.demo import build_credit_demo  # the portal sits above credit (DESIGN §2)

    build_credit_demo()
    return {"departments": Department.objects.count(), "institutions": len(institutions),
            "findings": Finding.objects.count(), "users": User.objects.count()}


def _filings(districts, institutions):
    """Filed, pending, returned and unfiled institutions in every district (issue 3, "Must show").

    Rows are created directly, not through the filing services: the demo is data describing a city as it
    stands, built before any actor exists, and replaying the workflow would stamp today's dates and audit
    rows by nobody. Institutions that already have a filing are left alone, which keeps this idempotent.
    """
    template = PledgeTemplate.objects.filter(active=True).first()
    if template is None:
        # Normally created by the filings data migration; the demo needs a version to sign against.
        template = PledgeTemplate.objects.create(version=1, text=DEMO_PLEDGE_TEXT,
                                                 effective_from=dt.date(2026, 1, 1), active=True)
    domains = {d.code: d for d in Domain.objects.filter(
        code__in=["registration_filing", "information_disclosure", "standards_rating"])}
    civil = {d.region_id: d for d in Department.objects.filter(kind__code="civil_affairs")}
    already = set(Filing.objects.values_list("institution_id", flat=True))
    per_district = len(INSTITUTION_TEMPLATES)
    for d_index, district in enumerate(districts):
        for i, status in enumerate(DEMO_FILING_STATUS):
            inst = institutions[d_index * per_district + i]
            if inst.pk in already or status == FilingStatus.UNFILED:
                continue
            _demo_filing(inst, status, template, domains, civil[district.id], d_index)


def _demo_filing(inst, status, template, domains, department, d_index):
    from agencies.calendar import add_working_days

    state = {FilingStatus.FILED: FilingState.APPROVED, FilingStatus.PENDING: FilingState.SUBMITTED,
             FilingStatus.RETURNED: FilingState.RETURNED}[status]
    submitted = DEMO_FILED_ON + dt.timedelta(days=d_index)
    reviewed = submitted + dt.timedelta(days=3) if state != FilingState.SUBMITTED else None
    filing = Filing(
        institution=inst, domain=domains["registration_filing"], state=state,
        number=f"津民养备{inst.region.code}2026{d_index + 1:03d}" if state == FilingState.APPROVED else None,
        name=inst.name, address=inst.address, legal_representative=inst.legal_representative or "张建国",
        person_in_charge=inst.person_in_charge, property_type=PropertyType.OWNED, beds=inst.beds,
        building_area=inst.building_area, contact_person=inst.contact_person or "王丽",
        contact_phone=inst.contact_phone or "022-2345678", service_scope="为老年人提供生活照料、膳食、康复护理等服务。",
        submitted_at=submitted, reviewed_at=reviewed, review_department=department,
        missing_items=DEMO_MISSING if state == FilingState.RETURNED else [],
        review_note="请补正后重新提交。" if state == FilingState.RETURNED else "")
    filing.save()
    PledgeSignature.objects.create(filing=filing, template=template, text=template.text,
                                   signer_name=filing.legal_representative, signer_title="法定代表人",
                                   signed_at=submitted)
    if state == FilingState.APPROVED:
        OnSiteCheck(institution=inst, domain=domains["registration_filing"], filing=filing, department=department,
                    due_date=add_working_days(reviewed.date(), 20), status=OnSiteCheckStatus.COMPLETED,
                    result=OnSiteCheckResult.CONSISTENT, notes="现场核查情况与备案信息一致。",
                    checked_on=reviewed.date() + dt.timedelta(days=7)).save()
        for kind, content in DEMO_DISCLOSURES:
            DisclosureItem(institution=inst, domain=domains["information_disclosure"], kind=kind,
                           content=content).save()
        # updated_at is auto_now; a fixed date keeps the demo deterministic (and not "due for update" today).
        DisclosureItem.objects.filter(institution=inst).update(updated_at=reviewed)
        level = 3 + d_index % 3
        StarRating(institution=inst, domain=domains["standards_rating"], level=level,
                   rated_on=dt.date(2025, 12, 1), valid_until=dt.date(2028, 11, 30),
                   rating_body="天津市养老机构等级评定委员会",
                   certificate_no=f"津养评{inst.region.code}-{level}").save()
        Institution.objects.filter(pk=inst.pk).update(star_level=level)
    Institution.objects.filter(pk=inst.pk).update(filing_status=status)
