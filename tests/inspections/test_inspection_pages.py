"""Inspection pages: lists with a fixed query count, the execution page's error handling, photos behind the
finding's permission, the record PDF, public results on the institution's page, coverage."""

import datetime as dt
import re
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfReader

from agencies.calendar import working_days_between
from agencies.models import Department
from inspections.choices import InspectionKind, InspectionState, ItemResultValue
from inspections.demo import ensure_demo_inspectors
from inspections.models import ChecklistItem, Finding, Inspection
from inspections.services import (
    finding_record,
    inspection_create,
    inspection_publish,
    inspection_sign,
    inspection_start,
    item_results_record,
)
from institutions.models import Institution

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def running(users):
    """A case inspection of 和平区康乐养老院 in progress, with a fire and a health finding, each photographed."""
    inspectors = ensure_demo_inspectors()
    inspection = inspection_create(
        users["civil_heping"], institution=Institution.objects.get(name="天津市和平区康乐养老院"),
        kind=InspectionKind.CASE, origin="投诉转办",
        lead_department=Department.objects.get(kind__code="civil_affairs", region__code="120101"),
        departments=[Department.objects.get(kind__code="fire_rescue", region__code="120101")],
        inspector_ids=[inspectors["inspector_1"].pk, inspectors["inspector_2"].pk], scheduled_for=timezone.localdate(),
        items=ChecklistItem.objects.filter(version__active=True, code__in=["KEY-SVC-01", "KEY-FIRE-03"]))
    inspection_start(users["inspector_1"], inspection)
    fire = finding_record(users["inspector_1"], inspection, domain="fire_safety", text="灭火器过期未更换",
                          rectification_working_days=5,
                          photos=[SimpleUploadedFile("灭火器.png", PNG, content_type="image/png")])
    health = finding_record(users["inspector_1"], inspection, domain="medical_health", text="医务室药品过期",
                            rectification_working_days=5,
                            photos=[SimpleUploadedFile("药品.png", PNG, content_type="image/png")])
    return inspection, fire, health


def _complete(users, inspection):
    item_results_record(users["inspector_1"], inspection,
                        {i.pk: (ItemResultValue.PASS, "") for i in inspection.items.all()})
    inspection_sign(users["inspector_1"], inspection)
    inspection_sign(users["inspector_2"], inspection)


def test_photos_are_served_only_to_who_may_see_the_finding(client, users, running):
    _inspection, fire, health = running
    client.force_login(users["fire_heping"])
    response = client.get(f"/findings/photos/{fire.photos.get().pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    assert client.get(f"/findings/photos/{health.photos.get().pk}/").status_code == 404
    client.logout()
    assert client.get(f"/findings/photos/{fire.photos.get().pk}/").status_code == 302  # to the login


def test_finding_detail_shows_its_photos(client, users, running):
    _inspection, fire, _health = running
    client.force_login(users["fire_heping"])
    html = client.get(f"/findings/{fire.pk}/").content.decode()
    assert f'/findings/photos/{fire.photos.get().pk}/' in html and "灭火器.png" in html


def test_finding_form_errors_name_the_field_and_keep_the_input(client, users, running):
    inspection, *_ = running
    client.force_login(users["inspector_1"])
    response = client.post(f"/inspections/{inspection.pk}/findings/", {
        "domain": "food_safety", "checklist_item": ChecklistItem.objects.get(version__active=True,
                                                                             code="KEY-FIRE-03").pk,
        "severity": "general", "text": "厨房问题", "rectification_working_days": "7"})
    assert response.status_code == 400
    form = response.context["form"]
    assert "domain" in form.errors
    assert form["text"].value() == "厨房问题" and form["rectification_working_days"].value() == "7"


def test_others_cannot_open_the_execution_page(client, users, running):
    inspection, *_ = running
    for username in ("civil_hexi", "inst_2", "health_heping"):
        client.force_login(users[username])
        assert client.get(f"/inspections/{inspection.pk}/execute/").status_code == 404, username


def test_item_results_from_the_page(client, users, running):
    inspection, *_ = running
    client.force_login(users["inspector_2"])
    svc = ChecklistItem.objects.get(version__active=True, code="KEY-SVC-01")
    response = client.post(f"/inspections/{inspection.pk}/execute/", {f"item-{svc.pk}": "na", f"note-{svc.pk}": "无"})
    assert response.status_code == 302
    assert inspection.item_results.get(item=svc).result == ItemResultValue.NOT_APPLICABLE


def test_record_pdf_in_chinese_with_only_the_visible_findings(client, users, running):
    inspection, *_ = running
    client.force_login(users["fire_heping"])
    response = client.get(f"/inspections/{inspection.pk}/record.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(BytesIO(response.content)).pages))
    assert "养老机构监督检查记录表" in text and "天津市和平区康乐养老院" in text
    assert "灭火器过期未更换" in text and "医务室药品过期" not in text
    client.force_login(users["civil_heping"])
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(
        client.get(f"/inspections/{inspection.pk}/record.pdf").content)).pages)
    assert "医务室药品过期" in re.sub(r"\s+", "", text)
    client.force_login(users["inst_2"])
    assert client.get(f"/inspections/{inspection.pk}/record.pdf").status_code == 404


def test_published_result_on_the_public_pages(client, users, running):
    inspection, *_ = running
    _complete(users, inspection)
    assert client.get(f"/public/inspection-results/{inspection.pk}/").status_code == 404
    inspection_publish(users["civil_heping"], inspection)
    page = client.get(f"/public/inspection-results/{inspection.pk}/").content.decode()
    assert "消防安全" in page and "医疗卫生" in page and "发现问题隐患2处" in page
    for private in ("何平", "马骏", "灭火器过期", "投诉转办"):
        assert private not in page
    institution_page = client.get(f"/public/institutions/{inspection.institution_id}/").content.decode()
    assert "检查结果" in institution_page and f"/public/inspection-results/{inspection.pk}/" in institution_page


def test_coverage_counts_inspected_institutions_per_district(client, users, running):
    inspection, *_ = running
    client.force_login(users["civil_heping"])
    before = client.get("/inspections/coverage/").context["districts"]
    heping = next(d for d in before if d.code == "120101")
    assert [d.code for d in before] == ["120101"]  # a district bureau sees its district only
    _complete(users, inspection)
    response = client.get("/inspections/coverage/?district=120101")
    after = next(d for d in response.context["districts"] if d.code == "120101")
    assert after.inspected == heping.inspected + 1 and after.total == heping.total == 4
    assert inspection.institution not in list(response.context["pending"])
    today = timezone.localdate()
    assert response.context["working_days_left"] == working_days_between(today, dt.date(today.year, 12, 31))
    client.force_login(users["civil_city"])
    assert len(client.get("/inspections/coverage/").context["districts"]) == 16


def test_list_pages_cost_the_same_for_few_and_many_rows(client, users, django_assert_max_num_queries):
    """civil_hexi sees the 河西区 demo inspections, civil_city all of them; the public list every published one."""
    assert Inspection.objects.filter(region_code="120103").count() < Inspection.objects.count()
    counts = []
    for username in ("civil_hexi", "civil_city"):
        client.force_login(users[username])
        client.get("/inspections/")
        # session + user + identity (staff profile) + COUNT (capped) + the page (institution, region, lead joined)
        with django_assert_max_num_queries(6) as captured:
            assert client.get("/inspections/").status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]
    client.logout()
    public = []
    for _ in range(2):
        # COUNT + the page (counts annotated) + the departments, whatever the number of results
        with django_assert_max_num_queries(3) as captured:
            assert client.get("/public/inspection-results/").status_code == 200
        public.append(len(captured.captured_queries))
        inspection = Inspection.objects.filter(state=InspectionState.COMPLETED).first()
        if inspection is not None:
            inspection_publish(users["civil_hexi"], inspection)
    assert public[0] == public[1]


def test_the_institution_page_shows_its_inspection_without_findings_or_names(client, users, running):
    inspection, *_ = running
    client.force_login(users["inst_2"])
    page = client.get("/institution/inspections/").content.decode()
    assert "案件检查" in page  # in progress: the institution knows now
    assert "灭火器过期" not in page and "何平" not in page
    assert Finding.objects.restrict(users["inst_2"]).filter(inspection=inspection).count() == 2


def test_institution_and_coverage_pages_cost_the_same_for_few_and_many_rows(client, users,
                                                                           django_assert_max_num_queries):
    # inst_3 (福寿老年公寓) sees its one notified demo inspection; inst_1 (和平区颐养院) its published one and three
    # more (its scheduled one stays unseen until the notice).
    inspectors = ensure_demo_inspectors()
    for _ in range(3):
        inspection = inspection_create(
            users["civil_heping"], institution=Institution.objects.get(name="天津市和平区颐养院"),
            kind=InspectionKind.CASE, lead_department=Department.objects.get(kind__code="civil_affairs",
                                                                            region__code="120101"),
            inspector_ids=[inspectors["inspector_1"].pk, inspectors["inspector_2"].pk],
            departments=[Department.objects.get(kind__code="fire_rescue", region__code="120101")],
            scheduled_for=timezone.localdate())
        inspection_start(users["inspector_1"], inspection)
    counts = []
    for username in ("inst_3", "inst_1"):
        client.force_login(users[username])
        client.get("/institution/inspections/")
        # session + user + identity (profile, institution) + the inspections + their departments
        with django_assert_max_num_queries(7) as captured:
            response = client.get("/institution/inspections/")
        counts.append((len(captured.captured_queries), len(response.context["inspections"])))
    assert counts[0][1] == 1 and counts[1][1] == 4
    assert counts[0][0] == counts[1][0]
    # Coverage: one district (civil_hexi) or sixteen (civil_city), the same queries: the grouped count, the names.
    coverage = []
    for username in ("civil_hexi", "civil_city"):
        client.force_login(users[username])
        client.get("/inspections/coverage/")
        with django_assert_max_num_queries(6) as captured:
            client.get("/inspections/coverage/")
        coverage.append(len(captured.captured_queries))
    assert coverage[0] == coverage[1]


def test_demo_has_every_state_and_is_idempotent(users):
    from inspections.choices import FindingState
    from inspections.demo import build_inspection_demo

    states = set(Inspection.objects.values_list("state", flat=True))
    assert {s.value for s in InspectionState} <= states
    demo = Finding.objects.filter(inspection__isnull=False)
    assert demo.filter(state=FindingState.CLOSED).exists() and demo.filter(state=FindingState.OPEN).exists()
    assert set(Inspection.objects.values_list("region_code", flat=True)) >= {"120101", "120103"}
    count = Inspection.objects.count()
    assert build_inspection_demo() == {"inspections": 0}
    assert Inspection.objects.count() == count
