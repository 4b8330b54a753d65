"""Intake, routing and who sees a complaint (seed 000 task 26 "民政牵头、归口负责").

Civil affairs (and the district government, read-only) hold complaints by duty; every other department sees a
complaint only once it is routed to it — a guardian direct-FK grant on that one complaint.
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from agencies.access import departments_covering, explain
from agencies.choices import Action
from agencies.models import AuditEvent, Department
from complaints.choices import CATEGORY_DOMAINS, Category, ComplaintState, Priority
from complaints.models import Complaint, ComplaintGroupObjectPermission
from complaints.services import (
    _RoutingProbe,
    complaint_acknowledge,
    complaint_merge,
    complaint_return,
    complaint_route,
    routing_suggestions,
)
from institutions.models import Institution

pytestmark = pytest.mark.django_db


def dept(kind, district="120101"):
    return Department.objects.get(kind__code=kind, region__code=district)


def visible(user, complaint, action=Action.VIEW) -> bool:
    return Complaint.objects.restrict(user, action).filter(pk=complaint.pk).exists()


@pytest.mark.parametrize("category", Category.values)
def test_routing_suggestions_follow_the_duty_catalog(category, submit):
    # The institution with every fact, so that conditional duties (医保: designated only) apply too.
    home = Institution.objects.get(name="天津市和平区康乐养老院")
    complaint, _secret = submit(category=category, institution=home)
    assert complaint.supervision_domain.code == CATEGORY_DOMAINS[Category(category)]
    assert complaint.domain.code == "complaints"
    suggested = routing_suggestions(complaint)
    # Exactly the departments the catalog lets inspect the category's domain there, leadership left out.
    covering = {d.pk for d in departments_covering(_RoutingProbe(complaint), Action.INSPECT)
                if d.kind.code != "district_government"}
    assert {d.pk for d in suggested} == covering
    assert suggested, category
    # District bureaus first: the complaint is handled where it happened.
    levels = [d.level for d in suggested]
    assert levels == sorted(levels, key=lambda level: level != "district")
    assert suggested[0].region.code == "120101"


@pytest.mark.parametrize("category, kind", [
    (Category.FOOD, "market_regulation"), (Category.MEDICAL, "health"), (Category.BUILDING, "housing_construction"),
    (Category.EQUIPMENT, "market_regulation"), (Category.MEDICAL_INSURANCE, "medical_security"),
    (Category.FIRE, "fire_rescue"),
])
def test_line_department_is_suggested(category, kind, submit):
    home = Institution.objects.get(name="天津市和平区康乐养老院")
    complaint, _secret = submit(category=category, institution=home)
    assert dept(kind) in routing_suggestions(complaint)[:2]


def test_urgent_categories_and_working_day_deadlines(submit):
    from agencies.calendar import add_working_days

    urgent, _s = submit(category=Category.ABUSE)
    normal, _s = submit(category=Category.FEES)
    assert urgent.priority == Priority.URGENT and normal.priority == Priority.NORMAL
    day = urgent.submitted_at.astimezone().date()
    assert urgent.acknowledge_due == add_working_days(day, 1)
    assert normal.acknowledge_due == add_working_days(day, 5)
    assert normal.answer_due == add_working_days(day, 30)


def test_intake_lands_with_the_district_civil_affairs_bureau(submit, users):
    complaint, _secret = submit(category=Category.FIRE)
    assert complaint.intake_department == dept("civil_affairs")
    assert complaint.state == ComplaintState.SUBMITTED
    # By duty: seed 000 task 26 for the district bureau, and the city bureau above it.
    assert visible(users["civil_heping"], complaint) and visible(users["civil_city"], complaint)
    assert "000任务26" in {r.reference for r in explain(users["civil_heping"], complaint)}
    assert not visible(users["civil_hexi"], complaint)


def test_a_department_never_sees_a_complaint_not_routed_to_it(submit, users, client):
    complaint, _secret = submit(category=Category.FIRE)
    url = reverse("complaint-detail", args=[complaint.pk])
    # The catalog gives 消防/市场监管/卫健/住建 `view` of the complaints domain (task 26 is joint): still 404.
    for name in ("fire_heping", "market_heping", "health_heping", "housing_heping", "medins_city", "civil_hexi"):
        assert not visible(users[name], complaint), name
        assert not users[name].has_perm("complaints.view_complaint", complaint), name
        client.force_login(users[name])
        assert client.get(url).status_code == 404, name

    complaint_route(users["civil_heping"], complaint, dept("fire_rescue"), [dept("housing_construction")])
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.ROUTED
    assert ComplaintGroupObjectPermission.objects.filter(content_object=complaint).count() == 4
    for name in ("fire_heping", "housing_heping"):
        assert visible(users[name], complaint) and visible(users[name], complaint, Action.HANDLE_COMPLAINT)
        assert users[name].has_perm("complaints.view_complaint", complaint)
        assert [r.kind for r in explain(users[name], complaint)] == ["grant"]
        client.force_login(users[name])
        assert client.get(url).status_code == 200
    for name in ("market_heping", "health_heping"):
        assert not visible(users[name], complaint)
        client.force_login(users[name])
        assert client.get(url).status_code == 404

    # Reassigned: the first department loses it at once.
    complaint_route(users["civil_heping"], complaint, dept("market_regulation"))
    assert not visible(users["fire_heping"], complaint) and not visible(users["housing_heping"], complaint)
    assert visible(users["market_heping"], complaint)
    assert AuditEvent.objects.filter(verb="complaint.route", object_id=str(complaint.pk)).count() == 2


def test_only_the_intake_bureau_routes(submit, users):
    complaint, _secret = submit(category=Category.FOOD)
    for name in ("market_heping", "civil_hexi", "leader_heping"):
        with pytest.raises(PermissionDenied):
            complaint_route(users[name], complaint, dept("market_regulation"))
    with pytest.raises(ValidationError) as err:
        complaint_route(users["civil_heping"], complaint, dept("market_regulation", "120103"))
    assert "lead_department" in err.value.message_dict


def test_returned_complaint_goes_back_to_intake(submit, users):
    complaint, _secret = submit(category=Category.FOOD)
    complaint_route(users["civil_heping"], complaint, dept("market_regulation"))
    complaint_acknowledge(users["market_heping"], complaint)
    complaint_return(users["market_heping"], complaint, "涉及医疗机构，不属本部门职责")
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.SUBMITTED
    assert not visible(users["market_heping"], complaint)


def test_merge_duplicates(submit, users):
    first, _s = submit(category=Category.FEES, description="收费标准未公示，多收取护理费三百元。")
    second, _s = submit(category=Category.FEES, description="同一机构多收护理费，另一位家属反映。")
    complaint_merge(users["civil_heping"], second, first)
    second.refresh_from_db()
    assert second.state == ComplaintState.MERGED and second.merged_into == first


def test_district_government_reads_but_does_not_route(submit, users):
    complaint, _secret = submit(category=Category.FOOD)
    assert visible(users["leader_heping"], complaint)
    assert not visible(users["leader_heping"], complaint, Action.HANDLE_COMPLAINT)


def test_unknown_operator_sits_with_its_district(users):
    from agencies.models import Region
    from complaints.services import complaint_submit

    complaint, _secret, created = complaint_submit(
        category=Category.UNLICENSED, region=Region.objects.get(code="120103"), operator_name="无名托老点",
        operator_address="河西区某小区3号楼底商", description="一处无牌的托老点收住了十几位老人，环境很差。")
    assert created and complaint.institution is None
    assert complaint.region_code == "120103"
    assert complaint.intake_department == dept("civil_affairs", "120103")
    assert visible(users["civil_hexi"], complaint) and not visible(users["civil_heping"], complaint)
