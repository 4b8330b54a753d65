"""The inspections API: restricted list and detail, actions through the services, the public results."""


import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.calendar import add_working_days
from agencies.models import Department
from inspections.choices import InspectionKind
from inspections.demo import ensure_demo_inspectors
from inspections.models import ChecklistItem, Inspection
from inspections.services import inspection_create
from institutions.models import Institution

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def inspection(users):
    inspectors = ensure_demo_inspectors()
    return inspection_create(
        users["civil_heping"], institution=Institution.objects.get(name="天津市和平区康乐养老院"),
        kind=InspectionKind.SPECIAL,
        lead_department=Department.objects.get(kind__code="civil_affairs", region__code="120101"),
        departments=[Department.objects.get(kind__code="fire_rescue", region__code="120101")],
        inspector_ids=[inspectors["inspector_1"].pk, inspectors["inspector_2"].pk],
        scheduled_for=add_working_days(timezone.localdate(), 10),
        items=ChecklistItem.objects.filter(version__active=True, code__in=["KEY-SVC-01", "KEY-FIRE-03"]))


def test_every_inspection_carries_institution_and_domain(api, inspection):
    body = api("civil_heping").get("/api/v1/inspections/").json()
    row = next(r for r in body["results"] if r["id"] == inspection.pk)
    assert row["institution"] == inspection.institution_id and row["domain"] == "supervision_mechanism"
    detail = api("inspector_2").get(f"/api/v1/inspections/{inspection.pk}/").json()
    assert {m["name"] for m in detail["team"]} == {"何平", "马骏"} and len(detail["items"]) == 2
    assert api("civil_hexi").get(f"/api/v1/inspections/{inspection.pk}/").status_code == 404


def test_the_whole_run_through_the_api(api, inspection):
    civil, one, two = api("civil_heping"), api("inspector_1"), api("inspector_2")
    base = f"/api/v1/inspections/{inspection.pk}"
    assert one.post(f"{base}/start/").status_code == 400  # announced: the notice comes first
    assert api("inst_2").post(f"{base}/notify/").status_code == 404  # not even visible before the notice
    assert civil.post(f"{base}/notify/").json()["state"] == "notified"
    # The institution sees its notice now, without the team.
    seen = api("inst_2").get("/api/v1/inspections/").json()["results"]
    assert [r["id"] for r in seen if r["id"] == inspection.pk] == [inspection.pk]
    assert one.post(f"{base}/start/").json()["state"] == "in_progress"
    svc, fire = (ChecklistItem.objects.get(version__active=True, code=c) for c in ("KEY-SVC-01", "KEY-FIRE-03"))
    bad = one.post(f"{base}/item-results/", [{"item": svc.pk, "result": "maybe"}], format="json")
    assert bad.status_code == 400
    ok = one.post(f"{base}/item-results/", [{"item": svc.pk, "result": "pass", "note": ""}], format="json")
    assert ok.status_code == 200 and ok.json()[0]["code"] == "KEY-SVC-01"
    missing = one.post(f"{base}/findings/", {"checklist_item": fire.pk, "rectification_working_days": 10},
                       format="json")
    assert missing.status_code == 400 and "text" in missing.json()
    wrong_domain = one.post(f"{base}/findings/", {"checklist_item": fire.pk, "domain": "food_safety", "text": "x",
                                                  "rectification_working_days": 10}, format="json")
    assert wrong_domain.status_code == 400 and "domain" in wrong_domain.json()
    created = one.post(f"{base}/findings/", {
        "checklist_item": fire.pk, "text": "消防控制室无人值守", "rectification_working_days": 10,
        "photos": [SimpleUploadedFile("a.png", PNG, content_type="image/png")]}, format="multipart")
    assert created.status_code == 201, created.content
    assert created.json()["institution"] == inspection.institution_id and created.json()["domain"] == "fire_safety"
    assert civil.post(f"{base}/sign/").status_code == 403  # not an inspector of the team
    assert one.post(f"{base}/sign/").json()["state"] == "in_progress"
    assert two.post(f"{base}/sign/").json()["state"] == "completed"
    assert api("fire_heping").post(f"{base}/publish/").status_code == 403
    published = civil.post(f"{base}/publish/").json()
    assert published["state"] == "published" and "发现问题隐患1处" in published["public_summary"]

    public = api().get("/api/v1/public/inspection-results/", {"institution": inspection.institution_id}).json()
    row = next(r for r in public["results"] if r["id"] == inspection.pk)
    assert row["findings"] == 1 and row["items_checked"] == 2 and row["domain"] == "supervision_mechanism"
    assert row["departments"] == ["和平区民政局", "和平区消防救援支队"]
    detail = api().get(f"/api/v1/public/inspection-results/{inspection.pk}/")
    text = detail.content.decode()
    assert detail.json()["findings_by_domain"] == [{"domain": "消防安全", "general": 1, "major": 0}]
    for private in ("何平", "马骏", "消防控制室无人值守", "created_by", "team"):
        assert private not in text


def test_unpublished_results_are_not_public(api, inspection):
    assert api().get(f"/api/v1/public/inspection-results/{inspection.pk}/").status_code == 404
    assert inspection.pk not in [r["id"] for r in api().get("/api/v1/public/inspection-results/").json()["results"]]


def test_list_queries_do_not_grow_with_the_page(token_api, django_assert_max_num_queries):
    assert Inspection.objects.filter(region_code__startswith="12").count() >= 4  # the demo's
    for username, url, limit in (
            # token + hand-offs + COUNT(*) + page (domain joined) + departments prefetch
            ("civil_city", "/api/v1/inspections/", 5),
            # no token: COUNT(*) + page (institution and region joined, counts annotated) + departments
            (None, "/api/v1/public/inspection-results/", 3)):
        client = token_api(username) if username else APIClient()
        client.get(url)
        with django_assert_max_num_queries(limit) as one:
            assert len(client.get(url, {"page_size": 1}).json()["results"]) == 1
        with django_assert_max_num_queries(limit) as many:
            assert len(client.get(url, {"page_size": 50}).json()["results"]) >= 2
        assert len(one.captured_queries) == len(many.captured_queries), url


def test_create_through_the_api(api, users):
    inspectors = ensure_demo_inspectors()
    civil = Department.objects.get(kind__code="civil_affairs", region__code="120101")
    fire = Department.objects.get(kind__code="fire_rescue", region__code="120101")
    institution = Institution.objects.get(name="天津市和平区福寿老年公寓")
    payload = {"institution": institution.pk, "kind": "case", "lead_department": civil.pk,
               "departments": [fire.pk], "inspector_ids": [inspectors["inspector_1"].pk],
               "scheduled_for": timezone.localdate().isoformat(), "origin": "投诉 TS-2026-001"}
    one_inspector = api("civil_heping").post("/api/v1/inspections/", payload, format="json")
    assert one_inspector.status_code == 400 and "inspector_ids" in one_inspector.json()
    payload["inspector_ids"].append(inspectors["inspector_2"].pk)
    assert api("civil_hexi").post("/api/v1/inspections/", payload, format="json").status_code == 400  # not in scope
    created = api("civil_heping").post("/api/v1/inspections/", payload, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["institution"] == institution.pk and body["domain"] == "supervision_mechanism"
    assert body["state"] == "scheduled" and body["notice_due"] is None
    assert api("inspector_2").get(f"/api/v1/inspections/{body['id']}/").status_code == 200
