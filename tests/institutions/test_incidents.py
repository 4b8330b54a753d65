"""Incident reports (seed 000 tasks 22, 24) and emergency drills (seed 001 row 38)."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from agencies.access import explain
from agencies.choices import StaffRole
from agencies.models import Department
from agencies.services import staff_create
from institutions.choices import IncidentType
from institutions.models import EmergencyDrill, IncidentReport, Institution
from institutions.services.records import drill_record, drills_overdue, incident_report, own_institutions

pytestmark = pytest.mark.django_db


@pytest.fixture
def emergency_heping(db):
    return staff_create("emergency_heping", "pw", Department.objects.get(kind__code="emergency", region__code="120101"),
                        StaffRole.STAFF, "和平区应急管理局", email="emergency@heping.example")


def meals_account(users):
    """An 和平区 institution account whose institution provides meals."""
    for n in range(1, 5):
        inst = own_institutions(users[f"inst_{n}"]).get()
        if inst.provides_meals:
            return users[f"inst_{n}"], inst
    pytest.fail("the demo has no 和平区 institution with a canteen")


def report(user, inst, type_):
    return incident_report(user, inst, type_, timezone.now(), 5, 1, 0, "午餐后多名老人腹泻", "已送医并封存留样")


def visible(user, obj):
    return IncidentReport.objects.restrict(user, "view").filter(pk=obj.pk).exists()


def test_food_poisoning_routes_to_market_and_civil(users, emergency_heping):
    account, inst = meals_account(users)
    food = report(account, inst, IncidentType.FOOD_POISONING)
    assert food.domain.code == "food_safety"
    # What the engine says, checked against what restrict() answers.
    for name, user in [("civil_heping", users["civil_heping"]), ("market_heping", users["market_heping"])]:
        assert explain(user, food), name
        assert visible(user, food), name
    assert not explain(emergency_heping, food) and not visible(emergency_heping, food)
    assert not visible(users["civil_hexi"], food)


def test_accident_routes_to_civil_and_emergency_not_market(users, emergency_heping):
    account, inst = meals_account(users)
    accident = report(account, inst, IncidentType.ACCIDENT)
    assert accident.domain.code == "emergency_response"
    civil_refs = {r.reference for r in explain(users["civil_heping"], accident)}
    emergency_refs = {r.reference for r in explain(emergency_heping, accident)}
    assert "000任务22" in civil_refs and emergency_refs  # 000任务22: report to 区应急管理部门和民政部门
    assert visible(users["civil_heping"], accident) and visible(emergency_heping, accident)
    assert explain(users["market_heping"], accident) == [] and not visible(users["market_heping"], accident)
    # The reporting institution sees its own report.
    assert visible(account, accident)


def test_report_notifies_departments_that_may_view(users, emergency_heping, django_capture_on_commit_callbacks):
    users["civil_heping"].email = "civil@heping.example"
    users["civil_heping"].save()
    users["market_heping"].email = "market@heping.example"
    users["market_heping"].save()
    account, inst = meals_account(users)
    with django_capture_on_commit_callbacks(execute=True):
        report(account, inst, IncidentType.ACCIDENT)
    recipients = {r for m in mail.outbox for r in m.to}
    assert {"civil@heping.example", "emergency@heping.example"} <= recipients
    assert "market@heping.example" not in recipients
    assert "突发事件报告" in mail.outbox[0].subject


def test_only_own_institution(users):
    _account, inst = meals_account(users)
    other = own_institutions(users["inst_5"]).get()
    with pytest.raises(PermissionDenied):
        report(users["inst_5"], inst, IncidentType.FIRE)
    with pytest.raises(PermissionDenied):
        drill_record(users["inst_1"], other, dt.date(2026, 1, 5), "消防疏散演练", 30, "")


def test_drill_overdue(users):
    today = timezone.localdate()
    insts = [own_institutions(users[f"inst_{n}"]).get() for n in (1, 2, 3)]
    Institution.objects.filter(pk__in=[i.pk for i in insts]).update(status="operating")
    EmergencyDrill.objects.filter(institution__in=insts).delete()
    drill_record(users["inst_1"], insts[0], today - dt.timedelta(days=30), "消防疏散演练", 30, "顺利")
    drill_record(users["inst_2"], insts[1], today - dt.timedelta(days=200), "防汛演练", 20, "")
    overdue = set(drills_overdue(users["civil_heping"]).values_list("pk", flat=True))
    assert insts[0].pk not in overdue
    assert insts[1].pk in overdue and insts[2].pk in overdue  # more than six months ago, and never
    assert not set(drills_overdue(users["civil_hexi"]).values_list("pk", flat=True)) & overdue


def test_institution_pages(users, client):
    account, inst = meals_account(users)
    client.force_login(account)
    response = client.post(reverse("records-incident-report"), {
        "type": IncidentType.FIRE, "occurred_at": "2026-03-02 10:30", "people_affected": 3, "injuries": 0,
        "deaths": 0, "description": "厨房油锅起火", "measures": "已扑灭"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert IncidentReport.objects.get(description="厨房油锅起火").domain.code == "fire_safety"
    response = client.post(reverse("records-drill-create"), {
        "held_on": "2026-01-10", "topic": "夜间疏散演练", "participants": 25, "summary": ""})
    assert response.status_code == 302
    client.force_login(users["fire_heping"])
    assert "厨房油锅起火" in client.get(reverse("records-incident-list")).content.decode()


@pytest.mark.parametrize("rows", [1, 8])
def test_lists_constant_queries(users, client, django_assert_max_num_queries, rows):
    account, inst = meals_account(users)
    for n in range(rows):
        report(account, inst, IncidentType.ACCIDENT)
        drill_record(account, inst, dt.date(2026, 1, 1) + dt.timedelta(days=n), f"演练{n}", 10, "")
    client.force_login(users["civil_heping"])
    for name in ("records-incident-list", "records-drill-list", "records-drill-overdue"):
        with django_assert_max_num_queries(12):
            assert client.get(reverse(name)).status_code == 200


def test_api_records_carry_institution_and_domain(users, api, emergency_heping):
    account, inst = meals_account(users)
    accident = report(account, inst, IncidentType.ACCIDENT)
    drill = drill_record(account, inst, dt.date(2026, 2, 1), "消防疏散演练", 30, "")
    body = api("civil_heping").get(f"/api/v1/incident-reports/{accident.pk}/").json()
    assert body["institution"] == inst.pk and body["domain"] == "emergency_response"
    assert api("market_heping").get(f"/api/v1/incident-reports/{accident.pk}/").status_code == 404
    body = api("civil_heping").get(f"/api/v1/emergency-drills/{drill.pk}/").json()
    assert body["institution"] == inst.pk and body["domain"] == "emergency_response"
    listed = api(account.username).get("/api/v1/incident-reports/").json()
    assert accident.pk in {r["id"] for r in listed["results"]}
    assert api("inst_5").get(f"/api/v1/incident-reports/{accident.pk}/").status_code == 404
    for url in ("/api/v1/disclosure-items/", "/api/v1/star-ratings/"):
        rows = api("civil_heping").get(url).json()["results"]
        assert rows and {"institution", "domain"} <= set(rows[0])
