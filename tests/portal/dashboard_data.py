"""A small hand-built district for the dashboard tests: 测试区 (region 120199), empty but for what is made here.

Records are written directly, not through the services: they describe a year already past (2025), with the
dates that year had, which the services (stamping today) cannot produce. Each builder says what it makes; the
hand counts are written out in the tests.
"""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from agencies.calendar import add_working_days
from agencies.models import Department, Domain, Region
from agencies.reference import CITY_CODE
from agencies.services import department_ensure_all
from complaints.models import Complaint, ComplaintRouting
from credit.models import CreditEvent, ListEntry
from inspections.models import ChecklistVersion, Finding, Inspection, Rectification, Referral, SuspensionOrder
from institutions.models import DisclosureItem, Filing, Institution, Lead, OnSiteCheck, StarRating
from institutions.uscc import build_uscc

TEST_DISTRICT = "120199"
YEAR = 2025
_serial = itertools.count(1)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    """A moment of `day` in the portal's time zone."""
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour))


def domain(code: str) -> Domain:
    return Domain.objects.get(code=code)


def test_district() -> Region:
    city = Region.objects.get(code=CITY_CODE)
    region, _ = Region.objects.get_or_create(code=TEST_DISTRICT, defaults={
        "name": "测试区", "name_en": "Test", "level": "district", "parent": city})
    department_ensure_all(city)  # the new district's bureaus (民政, 消防, 市场监管, 区政府 …)
    return region


def department(kind: str, region_code: str = TEST_DISTRICT) -> Department:
    return Department.objects.get(kind__code=kind, region__code=region_code)


def institution(region: Region, name: str, **fields) -> Institution:
    n = next(_serial)
    uscc = build_uscc("52", region.code, f"{n:04d}7341")
    return Institution.objects.create(name=f"{region.name}{name}{n}", uscc=uscc, region=region,
                                      address=f"{region.name}测试路{n}号", **fields)


def filing(inst: Institution, state: str, submitted: dt.date | None, reviewed: dt.date | None) -> Filing:
    return Filing.objects.create(
        institution=inst, domain=domain("registration_filing"), state=state, name=inst.name, address=inst.address,
        legal_representative="张三", beds=50, building_area=900, contact_person="李四", contact_phone="022-1234567",
        submitted_at=at(submitted) if submitted else None, reviewed_at=at(reviewed) if reviewed else None,
        number=f"测备{next(_serial)}" if state == "approved" else None)


def onsite_check(inst, the_filing, due: dt.date, checked_on: dt.date | None) -> OnSiteCheck:
    return OnSiteCheck.objects.create(
        institution=inst, domain=domain("registration_filing"), filing=the_filing,
        department=department("civil_affairs", inst.region.code), due_date=due,
        status="completed" if checked_on else "pending", checked_on=checked_on,
        result="consistent" if checked_on else "")


def lead(region: Region, discovered: dt.date, checked_on: dt.date | None, delay: int = 0) -> Lead:
    """A lead discovered on `discovered`, due 20 working days later; `checked_on` None means not yet checked."""
    return Lead.objects.create(
        operator_name=f"无名托老所{next(_serial)}", address="测试路", region=region,
        domain=domain("registration_filing"), source="grid", description="网格员发现收住老人", discovered_on=discovered,
        due_date=add_working_days(discovered, 20), state="checked" if checked_on else "open", checked_on=checked_on,
        department=department("civil_affairs", region.code))


def inspection(inst, completed: dt.date | None, state: str = "completed") -> Inspection:
    lead_department = department("civil_affairs", inst.region.code)
    return Inspection.objects.create(
        institution=inst, domain=domain("supervision_mechanism"), kind="special", state=state,
        lead_department=lead_department, checklist_version=ChecklistVersion.objects.get(active=True),
        scheduled_for=completed or dt.date(YEAR, 12, 1), completed_at=at(completed) if completed else None)


def finding(inst, domain_code: str, found_on: dt.date, due: dt.date, *, by: Department, closed: dt.date | None = None,
            severity: str = "general", state: str | None = None) -> Finding:
    f = Finding(institution=inst, domain=domain(domain_code), text="检查发现的问题", found_by=by,
                verifying_department=by, severity=severity, found_on=found_on, rectification_due=due,
                state=state or ("closed" if closed else "open"), closed_at=at(closed) if closed else None)
    f.copy_institution_columns()
    f.save()
    return f


def rectification(f: Finding, submitted: dt.date, reviewed: dt.date | None) -> Rectification:
    r = Rectification.objects.create(finding=f, measures="已整改",
                                     decision="accepted" if reviewed else "pending",
                                     reviewed_at=at(reviewed) if reviewed else None)
    Rectification.objects.filter(pk=r.pk).update(submitted_at=at(submitted))  # auto_now_add
    return r


def referral(f: Finding, to: Department, sent: dt.date, answer_due: dt.date, answered: dt.date | None) -> Referral:
    r = Referral.objects.create(
        institution=f.institution, domain=f.domain, finding=f, from_department=f.found_by, to_department=to,
        reason="不属本部门职责", refer_due=sent, answer_due=answer_due,
        state="answered" if answered else "accepted", answered_at=at(answered) if answered else None)
    Referral.objects.filter(pk=r.pk).update(sent_at=at(sent))  # auto_now_add
    return r


def complaint(region: Region, submitted: dt.date, answer_due: dt.date, *, answered: dt.date | None = None,
              closed: dt.date | None = None, state: str = "handling", routed_to: Department | None = None,
              inst: Institution | None = None) -> Complaint:
    n = next(_serial)
    c = Complaint(institution=inst, region=region, domain=domain("complaints"),
                  supervision_domain=domain("service_safety"), operator_name="" if inst else f"某托老所{n}",
                  code=f"TD{n:08d}", secret_hash="x", category="service_quality",
                  description="护理不到位，老人无人照看。", duplicate_key=f"dash-{n}",
                  intake_department=department("civil_affairs", region.code), submitted_at=at(submitted),
                  acknowledge_due=submitted, answer_due=answer_due, state=state,
                  answered_at=at(answered) if answered else None, closed_at=at(closed) if closed else None)
    c.save()
    if routed_to is not None:
        ComplaintRouting.objects.create(complaint=c, department=routed_to, role="lead")
    return c


def credit_event(inst, kind: str, occurred: dt.date, *, state: str = "in_force", public: bool = True) -> CreditEvent:
    return CreditEvent.objects.create(institution=inst, domain=domain("service_safety"), kind=kind, state=state,
                                      department=department("civil_affairs", inst.region.code), occurred_on=occurred,
                                      summary="违法事实", is_public=public)


def suspension(inst, issued: dt.date, state: str = "in_force") -> SuspensionOrder:
    return SuspensionOrder.objects.create(institution=inst, domain=domain("service_safety"), state=state,
                                          issued_by=department("civil_affairs", inst.region.code), reason="逾期未整改",
                                          issued_on=issued)


def list_entry(inst, kind: str, state: str, published: dt.date | None, ended: dt.date | None = None) -> ListEntry:
    return ListEntry.objects.create(institution=inst, domain=domain("credit"), list_kind=kind, state=state,
                                    ground="elder_abuse", legal_basis="民发〔2019〕103号", facts="事实",
                                    department=department("civil_affairs", inst.region.code),
                                    proposed_on=published or dt.date(YEAR, 1, 2), published_on=published,
                                    ended_on=ended)


def build_hand_data_set() -> dict:
    """测试区 in 2025 — every record below is counted by hand in tests/portal/test_dashboard.py."""
    region = test_district()
    civil, fire, market = (department(k) for k in ("civil_affairs", "fire_rescue", "market_regulation"))
    d = dt.date
    a = institution(region, "甲养老院", filing_status="filed")
    b = institution(region, "乙养老院", filing_status="filed")
    c = institution(region, "丙养老院")
    closed = institution(region, "丁养老院", status="closed")

    # 3.5, 4.5, 4.13, 4.14 — operating: a, b, c.
    inspection(a, d(2025, 5, 10))  # inspected this year
    inspection(b, d(2024, 11, 1))  # last year: b not inspected in 2025
    inspection(c, None, state="scheduled")  # not done
    inspection(closed, d(2025, 5, 20))  # closed institution: not in coverage, but a May inspection
    StarRating.objects.create(institution=a, domain=domain("standards_rating"), level=3, rated_on=d(2024, 6, 1),
                              valid_until=d(2027, 5, 31), rating_body="评定委员会")
    StarRating.objects.create(institution=b, domain=domain("standards_rating"), level=2, rated_on=d(2022, 4, 1),
                              valid_until=d(2025, 3, 31), rating_body="评定委员会")  # expired before the year's end
    for inst, kind in ((a, "service_items"), (a, "fees"), (b, "service_items")):
        DisclosureItem.objects.create(institution=inst, domain=domain("information_disclosure"), kind=kind,
                                      content="公开内容")

    # 4.12 filings, and 2.5 the on-site checks after filing.
    fa = filing(a, "approved", d(2025, 2, 10), d(2025, 2, 20))
    fb = filing(b, "approved", d(2025, 3, 1), d(2025, 3, 5))
    filing(c, "returned", d(2025, 11, 1), d(2025, 11, 5))
    filing(c, "draft", None, None)
    due_a, due_b = add_working_days(d(2025, 2, 20), 20), add_working_days(d(2025, 3, 5), 20)
    onsite_check(a, fa, due_a, due_a - dt.timedelta(days=2))  # on time
    onsite_check(b, fb, due_b, due_b + dt.timedelta(days=3))  # late
    onsite_check(b, fb, d(2025, 6, 10), None)  # never checked
    onsite_check(a, fa, d(2024, 12, 20), d(2024, 12, 18))  # another year
    onsite_check(c, None, d(2025, 5, 6), d(2025, 5, 1))  # not a filing's check

    # 2.6 leads.
    first = add_working_days(d(2025, 2, 3), 20)
    lead(region, d(2025, 2, 3), first)  # on its last day: on time
    lead(region, d(2025, 7, 1), None)  # never checked
    late_lead_due = add_working_days(d(2025, 8, 1), 20)
    lead(region, d(2025, 8, 1), late_lead_due + dt.timedelta(days=1))  # a day late

    # 4.1 findings; rectifications (verified on time or not) and referrals for the duty table.
    f1 = finding(a, "fire_safety", d(2025, 3, 1), d(2025, 3, 31), by=fire, closed=d(2025, 3, 20))
    f2 = finding(a, "food_safety", d(2025, 5, 1), d(2025, 6, 1), by=market, closed=d(2025, 6, 30),
                 severity="major")
    f3 = finding(b, "building_safety", d(2025, 9, 1), d(2025, 10, 1), by=fire)
    finding(b, "fire_safety", d(2024, 12, 1), d(2024, 12, 31), by=fire)  # found last year
    rectification(f1, d(2025, 3, 10), d(2025, 3, 20))  # decided within 10 working days
    rectification(f2, d(2025, 6, 3), d(2025, 6, 30))  # decided late
    rectification(f3, d(2025, 9, 10), None)  # never decided
    referral(f1, fire, d(2025, 3, 3), d(2025, 4, 10), d(2025, 4, 8))  # answered on time
    referral(f2, fire, d(2025, 5, 5), d(2025, 5, 10), d(2025, 5, 20))  # answered late
    referral(f3, market, d(2025, 9, 2), d(2025, 10, 10), None)  # never answered

    # Complaints: handled by the lead routing, else by the intake bureau (civil affairs).
    complaint(region, d(2025, 4, 1), d(2025, 4, 30), answered=d(2025, 4, 20), state="answered", routed_to=market)
    complaint(region, d(2025, 5, 6), d(2025, 5, 30), answered=d(2025, 6, 5), state="answered")  # late
    complaint(region, d(2025, 6, 3), d(2025, 7, 30), closed=d(2025, 7, 2), state="dismissed")  # answered by dismissal
    complaint(region, d(2025, 8, 3), d(2025, 9, 30), state="merged")  # a duplicate: not counted
    complaint(region, d(2025, 11, 3), d(2025, 12, 20))  # still open past its answer date

    # 4.2 enforcement.
    credit_event(a, "penalty", d(2025, 4, 1))
    credit_event(b, "penalty", d(2025, 5, 1), public=False)
    credit_event(b, "compulsory", d(2025, 6, 1))
    credit_event(c, "penalty", d(2025, 7, 1), state="proposed")  # not yet in force
    credit_event(c, "penalty", d(2024, 7, 1))  # last year
    suspension(b, d(2025, 7, 1))
    suspension(c, d(2025, 8, 1), state="withdrawn")

    # 4.3 lists.
    list_entry(a, "black", "published", d(2025, 3, 1))
    list_entry(b, "black", "expired", d(2025, 2, 1), ended=d(2025, 10, 1))
    list_entry(c, "black", "proposed", None)
    list_entry(c, "watch", "published", d(2025, 5, 5))
    list_entry(a, "red", "published", d(2024, 12, 1))
    return {"region": region, "civil": civil, "fire": fire, "market": market, "institutions": (a, b, c, closed)}
