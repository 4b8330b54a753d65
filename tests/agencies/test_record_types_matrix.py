"""Every regulated record type joins the permission matrix.

For each type (filings, on-site checks, disclosure items, star ratings, incident reports, drills, leads,
inspections, referrals, supervised cases, suspension orders) records are made at 和平区 and 河西区 institutions with
different facts, and for every department of the demo city and every action `restrict()` must return exactly what the
independent oracle allows; institution accounts see their own institution's records (never a lead, which has no
institution) and nothing else.
"""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from agencies.models import Department, Domain, Region, StaffProfile
from complaints.models import Complaint, ComplaintGroupObjectPermission
from credit.models import CreditEvaluation, CreditEvent, CreditRepair, ListEntry, RiskAssessment, ScoringModel
from inspections.models import ChecklistVersion, Finding, Inspection, Referral, SupervisedCase, SuspensionOrder
from institutions.choices import INCIDENT_DOMAINS, DisclosureKind, IncidentType
from institutions.models import (
    DisclosureItem,
    EmergencyDrill,
    Filing,
    IncidentReport,
    Institution,
    Lead,
    OnSiteCheck,
    StarRating,
)

from . import oracle

pytestmark = pytest.mark.django_db

DISTRICTS = ["120101", "120103"]
TODAY = datetime.date(2026, 11, 25)


def _records_for(inst, civil, domains):
    """One record of each institution-bound type (every incident type: each has its own domain)."""
    made = [
        Filing.objects.create(institution=inst, domain=domains["registration_filing"], name=inst.name,
                              address="地址", legal_representative="某某", beds=10, building_area=100,
                              contact_person="某某", contact_phone="022-00000000"),
        OnSiteCheck.objects.create(institution=inst, domain=domains["registration_filing"], department=civil,
                                   due_date=TODAY),
        DisclosureItem.objects.create(institution=inst, domain=domains["information_disclosure"],
                                      kind=DisclosureKind.FEES, content="收费标准"),
        StarRating.objects.create(institution=inst, domain=domains["standards_rating"], level=3, rated_on=TODAY,
                                  valid_until=TODAY, rating_body="评定委员会"),
        EmergencyDrill.objects.create(institution=inst, domain=domains["emergency_response"], held_on=TODAY,
                                      topic="消防疏散"),
        Inspection.objects.create(institution=inst, domain=domains["supervision_mechanism"], kind="special",
                                  lead_department=civil, scheduled_for=TODAY,
                                  checklist_version=ChecklistVersion.objects.get(active=True)),
    ]
    # Credit: events and list entries in the domain of their conduct and in 信用监管; repairs follow their entry.
    for code in ("fire_safety", "credit", "funds"):
        made.append(CreditEvent.objects.create(institution=inst, domain=domains[code], kind="penalty",
                                               department=civil, occurred_on=TODAY, summary="处罚"))
        entry = ListEntry.objects.create(institution=inst, domain=domains[code], list_kind="black",
                                         ground="fire_hazard",
                                         legal_basis="103号", facts="事实", department=civil, proposed_on=TODAY)
        made += [entry, CreditRepair.objects.create(institution=inst, domain=domains[code], list_entry=entry,
                                                    statement="整改", applied_on=TODAY)]
    made.append(CreditEvaluation.objects.create(institution=inst, domain=domains["credit"], as_of=TODAY, score=100,
                                                grade="A", scoring_model=ScoringModel.objects.get(version=1)))
    made.append(RiskAssessment.objects.create(institution=inst, domain=domains["credit"], level="low", points=-1,
                                              assessed_on=TODAY))
    for kind in IncidentType:
        made.append(IncidentReport.objects.create(
            institution=inst, domain=domains[INCIDENT_DOMAINS[kind]], type=kind, occurred_at=timezone.now(),
            description="经过", measures="措施"))
    # What follows a finding carries the finding's institution and domain: one per domain the demo has findings in.
    government = Department.objects.get(kind__code="district_government", region=inst.region)
    for finding in Finding.objects.filter(institution=inst).select_related("domain").order_by("id")[:21]:
        made += [
            Referral.objects.create(institution=inst, domain=finding.domain, finding=finding, from_department=civil,
                                    to_department=civil, reason="移送", refer_due=TODAY),
            SupervisedCase.objects.create(institution=inst, domain=finding.domain, finding=finding,
                                          supervising_department=government, requirements="督办", deadline=TODAY,
                                          listed_on=TODAY),
            SuspensionOrder.objects.create(institution=inst, domain=finding.domain, finding=finding, issued_by=civil,
                                           reason="逾期未整改", issued_on=TODAY),
        ]
    return made


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _build()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _build():
    domains = {d.code: d for d in Domain.objects.all()}
    records = []
    for code in DISTRICTS:
        civil = Department.objects.get(kind__code="civil_affairs", region__code=code)
        for inst in Institution.objects.filter(region__code=code, name__startswith="天津市"):
            records += _records_for(inst, civil, domains)
        region = Region.objects.get(code=code)
        for registered in (False, True):
            records.append(Lead.objects.create(
                operator_name=f"无名养老点{code}{registered}", address="某路", region=region, registered=registered,
                domain=domains["registration_filing"], source="grid", description="线索", discovered_on=TODAY,
                due_date=TODAY, department=civil))
    records += _complaints(domains)
    User = get_user_model()
    departments = list(Department.objects.select_related("kind", "region").order_by("id"))
    users = User.objects.bulk_create([User(username=f"types_{d.id}") for d in departments])
    pairs = list(zip(users, departments, strict=True))
    StaffProfile.objects.bulk_create([StaffProfile(user=u, department=d) for u, d in pairs])
    User.groups.through.objects.bulk_create([User.groups.through(user_id=u.id, group_id=d.group_id) for u, d in pairs])
    return {"records": records, "pairs": pairs}


def _complaints(domains):
    """A complaint about every 和平区/河西区 institution and one about an unknown operator per district; one of
    them routed (a guardian grant) to 和平区消防救援支队."""
    from django.contrib.auth.models import Permission

    made = []
    for n, code in enumerate(DISTRICTS):
        civil = Department.objects.get(kind__code="civil_affairs", region__code=code)
        region = Region.objects.get(code=code)
        subjects = [(inst, "") for inst in Institution.objects.filter(region__code=code, name__startswith="天津市")]
        for i, (inst, operator) in enumerate([*subjects, (None, "无名托老点")]):
            made.append(Complaint.objects.create(
                institution=inst, region=region, operator_name=operator, domain=domains["complaints"],
                supervision_domain=domains["fire_safety"], code=f"TM{n}{i:03d}", secret_hash="x", category="fire",
                description="消防通道堵塞", duplicate_key=f"m{n}{i}", intake_department=civil,
                acknowledge_due=TODAY, answer_due=TODAY))
    fire = Department.objects.get(kind__code="fire_rescue", region__code="120101")
    for codename in ("view_complaint", "handle_complaint_complaint"):
        ComplaintGroupObjectPermission.objects.create(
            content_object=made[0], group=fire.group,
            permission=Permission.objects.get(codename=codename, content_type__app_label="complaints"))
    return made


def _facts(record):
    if isinstance(record, Lead):
        return {"registered_not_filed" if record.registered else "unregistered"}
    return oracle.facts_of(record.institution)


MODELS = [Filing, OnSiteCheck, DisclosureItem, StarRating, IncidentReport, EmergencyDrill, Lead, Inspection, Referral,
          SupervisedCase, SuspensionOrder, CreditEvent, ListEntry, CreditRepair, CreditEvaluation, RiskAssessment]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_department_and_action(model, world, db):
    records = [r for r in world["records"] if isinstance(r, model)]
    assert records
    domain_code = {d.id: d.code for d in Domain.objects.all()}
    checked_visible = 0
    for user, dept in world["pairs"]:
        for action in oracle.ACTIONS:
            expected = {
                r.pk for r in records
                if oracle.may(dept.kind.code, dept.region.code, dept.region.level, action, r.region_code,
                              domain_code[r.domain_id], _facts(r))
            }
            got = set(model.objects.restrict(user, action).filter(pk__in=[r.pk for r in records])
                      .values_list("pk", flat=True))
            assert got == expected, (model.__name__, dept.name, action, sorted(got ^ expected)[:5])
            checked_visible += len(expected)
    assert checked_visible  # somebody may act on every type


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_institution_accounts_see_only_their_own(model, world, users):
    records = [r for r in world["records"] if isinstance(r, model)]
    for username in ("inst_1", "inst_5"):
        own = Institution.objects.restrict(users[username]).get()
        got = set(model.objects.restrict(users[username]).filter(pk__in=[r.pk for r in records])
                  .values_list("pk", flat=True))
        want = {r.pk for r in records if getattr(r, "institution_id", None) == own.id}
        assert got == want, (model.__name__, username)
        assert not model.objects.restrict(users[username], "review_filing").exists()


def test_unregistered_lead_goes_to_market_civil_and_establishment_not_fire(world, users):
    lead = next(r for r in world["records"] if isinstance(r, Lead) and r.region_code == "120101"
                and not r.registered)
    seen_by = {dept.kind.code for user, dept in world["pairs"]
               if dept.region.code == "120101" and Lead.objects.restrict(user).filter(pk=lead.pk).exists()}
    assert {"civil_affairs", "market_regulation", "establishment_office"} <= seen_by
    assert "fire_rescue" not in seen_by


# Seed 000 task 26 "民政牵头、归口负责": civil affairs (and the territorial government) hold complaints by duty;
# every other department only the complaint routed to it.
COMPLAINT_STATUTORY_KINDS = {"civil_affairs", "district_government"}


def test_complaints_every_department_and_action(world, db):
    records = [r for r in world["records"] if isinstance(r, Complaint)]
    routed = {(grant.content_object_id, grant.group_id, grant.permission.codename.removesuffix("_complaint"))
              for grant in ComplaintGroupObjectPermission.objects.select_related("permission")}
    assert records and routed
    checked_visible = 0
    for user, dept in world["pairs"]:
        for action in oracle.ACTIONS:
            expected = {
                r.pk for r in records
                if (dept.kind.code in COMPLAINT_STATUTORY_KINDS
                    and oracle.may(dept.kind.code, dept.region.code, dept.region.level, action, r.region_code,
                                   "complaints", oracle.facts_of(r.institution) if r.institution else set()))
                or (r.pk, dept.group_id, action) in routed
            }
            got = set(Complaint.objects.restrict(user, action).filter(pk__in=[r.pk for r in records])
                      .values_list("pk", flat=True))
            assert got == expected, (dept.name, action, sorted(got ^ expected)[:5])
            checked_visible += len(expected)
    assert checked_visible


def test_institutions_never_see_complaints(world, users):
    records = [r.pk for r in world["records"] if isinstance(r, Complaint)]
    for username in ("inst_1", "inst_5"):
        own = Institution.objects.restrict(users[username]).get()
        assert any(r.institution_id == own.id for r in world["records"] if isinstance(r, Complaint))
        assert not Complaint.objects.restrict(users[username]).filter(pk__in=records).exists()
