"""Inspections on site: team rules, notice, execution, findings with photos, sign-off, publication, scope."""

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from agencies.access import get_access_context
from agencies.calendar import add_working_days, is_working_day, working_days_between
from agencies.models import AuditEvent, Department, Domain
from inspections import signals
from inspections.choices import InspectionKind, InspectionState, ItemResultValue, Severity
from inspections.demo import ensure_demo_inspectors
from inspections.models import ChecklistItem, Finding, Inspection, InspectorConflict, ItemResult
from inspections.selectors import plan_candidates
from inspections.services import (
    conflict_declare,
    finding_record,
    inspection_cancel,
    inspection_create,
    inspection_notify,
    inspection_publish,
    inspection_sign,
    inspection_start,
    item_results_record,
    plan_create,
    publish_overdue_inspections,
)
from inspections.services.inspections import latest_notice_day
from institutions.models import Institution

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def png(name="现场.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


@pytest.fixture
def heping(db):
    return {
        "civil": Department.objects.get(kind__code="civil_affairs", region__code="120101"),
        "fire": Department.objects.get(kind__code="fire_rescue", region__code="120101"),
        "market": Department.objects.get(kind__code="market_regulation", region__code="120101"),
        "institution": Institution.objects.get(name="天津市和平区康乐养老院"),
    }


@pytest.fixture
def inspectors(db):
    return ensure_demo_inspectors()


def items_of(*codes):
    return list(ChecklistItem.objects.filter(version__active=True, code__in=codes).order_by("position"))


def make(users, heping, inspectors, kind=InspectionKind.SPECIAL, items=("KEY-SVC-01", "KEY-FIRE-03"), **extra):
    kwargs = dict(institution=heping["institution"], kind=kind, lead_department=heping["civil"],
                  departments=[heping["fire"]], inspector_ids=[inspectors["inspector_1"].pk,
                                                              inspectors["inspector_2"].pk],
                  scheduled_for=add_working_days(timezone.localdate(), 10),
                  items=None if items is None else items_of(*items))
    kwargs.update(extra)
    return inspection_create(users["civil_heping"], **kwargs)


def run_to_in_progress(users, inspection):
    if inspection.kind != InspectionKind.CASE:
        inspection_notify(users["civil_heping"], inspection)
    return inspection_start(users["inspector_1"], inspection)


def test_civil_affairs_and_partners_hold_view_and_inspect_in_the_inspection_domain(users):
    """The domain Inspection lives in: the duty catalog gives civil affairs (and the partner departments of a joint
    team) view and inspect in 协同监管机制 over their region."""
    domain = Domain.objects.get(code="supervision_mechanism").pk
    for username in ("civil_heping", "civil_city", "fire_heping", "market_heping", "health_heping"):
        clauses = get_access_context(users[username]).clauses
        for action in ("view", "inspect"):
            assert any(domain in c.domain_ids for c in clauses.get(action, ())), (username, action)


def test_create_grants_the_team_and_sets_the_notice_deadline(users, heping, inspectors):
    inspection = make(users, heping, inspectors)
    assert inspection.state == InspectionState.SCHEDULED
    assert inspection.domain.code == "supervision_mechanism"
    assert set(inspection.departments.all()) == {heping["civil"], heping["fire"]}
    assert working_days_between(inspection.notice_due, inspection.scheduled_for) >= 3
    assert is_working_day(inspection.notice_due)
    for username in ("inspector_1", "inspector_2"):
        user = users[username]
        for perm in ("view_inspection", "inspect_inspection", "record_finding_inspection"):
            assert user.has_perm(f"inspections.{perm}", inspection)
        assert Inspection.objects.restrict(user, "record_finding").filter(pk=inspection.pk).exists()
    assert Inspection.objects.restrict(users["fire_heping"], "inspect").filter(pk=inspection.pk).exists()
    assert not Inspection.objects.restrict(users["civil_hexi"]).filter(pk=inspection.pk).exists()
    assert AuditEvent.objects.filter(verb="inspection.create", object_id=str(inspection.pk)).exists()


def test_case_inspection_is_unannounced(users, heping, inspectors):
    inspection = make(users, heping, inspectors, kind=InspectionKind.CASE, origin="投诉 T-1",
                      scheduled_for=timezone.localdate())
    assert inspection.notice_due is None
    with pytest.raises(ValidationError) as err:
        inspection_notify(users["civil_heping"], inspection)
    assert "kind" in err.value.message_dict
    assert inspection_start(users["inspector_1"], inspection).state == InspectionState.IN_PROGRESS


def test_announced_inspection_cannot_start_before_notice(users, heping, inspectors):
    inspection = make(users, heping, inspectors)
    with pytest.raises(ValidationError):
        inspection_start(users["inspector_1"], inspection)


def test_latest_notice_day_counts_the_national_day_holiday_and_its_make_up_saturday():
    # Mon 12 Oct 2026: the working days before it are Sat 10 (调休), Fri 9, Thu 8 — then the National Day week.
    assert latest_notice_day(dt.date(2026, 10, 12)) == dt.date(2026, 10, 8)
    # Thu 8 Oct: three working days back crosses the holiday to Mon 28 Sep.
    assert latest_notice_day(dt.date(2026, 10, 8)) == dt.date(2026, 9, 28)
    # A Monday inspection in an ordinary week is announced by the Wednesday before, never on a weekend.
    assert latest_notice_day(dt.date(2026, 11, 30)) == dt.date(2026, 11, 25)


def test_team_rules(users, heping, inspectors):
    existing = Inspection.objects.count()
    one, two, three = inspectors["inspector_1"], inspectors["inspector_2"], inspectors["inspector_3"]
    with pytest.raises(ValidationError) as err:
        make(users, heping, inspectors, inspector_ids=[one.pk])
    assert "inspector_ids" in err.value.message_dict
    # The market department is on the team but none of its inspectors is.
    with pytest.raises(ValidationError) as err:
        make(users, heping, inspectors, departments=[heping["fire"], heping["market"]],
             inspector_ids=[one.pk, two.pk])
    assert "市场监督管理局" in err.value.message_dict["inspector_ids"][0]
    # An inspector from a department not on the team.
    with pytest.raises(ValidationError) as err:
        make(users, heping, inspectors, inspector_ids=[one.pk, two.pk, three.pk])
    assert "不属于参检部门" in err.value.message_dict["inspector_ids"][0]
    conflict_declare(users["inspector_2"], two, heping["institution"], "亲属在该机构任职")
    with pytest.raises(ValidationError) as err:
        make(users, heping, inspectors)
    assert "回避" in err.value.message_dict["inspector_ids"][0]
    assert InspectorConflict.objects.count() == 1
    assert Inspection.objects.count() == existing


def test_only_civil_affairs_or_the_lead_itself_organises(users, heping, inspectors):
    with pytest.raises(PermissionDenied):
        inspection_create(
            users["civil_hexi"], institution=heping["institution"], kind=InspectionKind.SPECIAL,
            lead_department=heping["civil"], departments=[heping["fire"]],
            inspector_ids=[inspectors["inspector_1"].pk, inspectors["inspector_2"].pk],
            scheduled_for=add_working_days(timezone.localdate(), 10))


def test_default_items_are_the_teams_own(users, heping, inspectors):
    inspection = make(users, heping, inspectors, items=None)
    kinds = set(inspection.items.values_list("responsible_kind__code", flat=True))
    assert kinds <= {"civil_affairs", "fire_rescue"}
    assert "fire_rescue" in kinds and "market_regulation" not in kinds


def test_full_run_records_a_fire_finding_and_publishes(users, heping, inspectors, django_capture_on_commit_callbacks):
    inspection = make(users, heping, inspectors)
    run_to_in_progress(users, inspection)
    general, fire_item = items_of("KEY-SVC-01", "KEY-FIRE-03")
    received = []

    def on_finding(sender, finding_id, **kw):
        received.append(("finding", finding_id))

    def on_completed(sender, inspection_id, **kw):
        received.append(("completed", inspection_id))

    signals.finding_recorded.connect(on_finding)
    signals.inspection_completed.connect(on_completed)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            item_results_record(users["inspector_1"], inspection, {general.pk: (ItemResultValue.PASS, "")})
            finding = finding_record(
                users["inspector_1"], inspection, domain="fire_safety", checklist_item=fire_item,
                severity=Severity.GENERAL, text="疏散通道堆放杂物", basis="《消防法》第二十八条",
                rectification_working_days=10, photos=[png()])
        assert ItemResult.objects.get(inspection=inspection, item=fire_item).result == ItemResultValue.FAIL
        assert finding.verifying_department == heping["fire"]  # 谁检查谁验收: the competent team department
        assert finding.found_by == heping["civil"]
        assert finding.rectification_due == add_working_days(finding.found_on, 10)
        assert finding.photos.get().content_type == "image/png"
        inspection_sign(users["inspector_1"], inspection)
        with pytest.raises(ValidationError) as err:
            inspection_sign(users["inspector_1"], inspection)
        assert "signature" in err.value.message_dict
        inspection.refresh_from_db()  # one signature does not complete it
        assert inspection.state == InspectionState.IN_PROGRESS
        with django_capture_on_commit_callbacks(execute=True):
            inspection_sign(users["inspector_2"], inspection)
    finally:
        signals.finding_recorded.disconnect(on_finding)
        signals.inspection_completed.disconnect(on_completed)
    assert received == [("finding", finding.pk), ("completed", inspection.pk)]
    inspection.refresh_from_db()
    assert inspection.state == InspectionState.COMPLETED
    assert inspection.publish_due == add_working_days(timezone.localdate(inspection.completed_at), 20)
    with pytest.raises(PermissionDenied):
        inspection_publish(users["fire_heping"], inspection)
    inspection_publish(users["civil_heping"], inspection)
    inspection.refresh_from_db()
    assert inspection.state == InspectionState.PUBLISHED
    assert "发现问题隐患1处" in inspection.public_summary
    assert "何平" not in inspection.public_summary and "疏散通道" not in inspection.public_summary


def test_sign_needs_every_item_and_a_team_member(users, heping, inspectors):
    inspection = make(users, heping, inspectors)
    run_to_in_progress(users, inspection)
    with pytest.raises(ValidationError) as err:
        inspection_sign(users["inspector_1"], inspection)
    assert "items" in err.value.message_dict
    with pytest.raises(PermissionDenied):
        inspection_sign(users["fire_heping"], inspection)  # on the team's department, not an inspector of it


def test_bad_finding_input_names_the_field_and_keeps_nothing(users, heping, inspectors):
    inspection = make(users, heping, inspectors)
    run_to_in_progress(users, inspection)
    fire_item = items_of("KEY-FIRE-03")[0]
    with pytest.raises(ValidationError) as err:
        finding_record(users["inspector_1"], inspection, domain="food_safety", checklist_item=fire_item,
                       severity="huge", text=" ", rectification_working_days=0)
    assert {"domain", "severity", "text", "rectification_working_days"} <= set(err.value.message_dict)
    exe = SimpleUploadedFile("photo.png", b"MZ\x90\x00" + b"\x00" * 40, content_type="image/png")
    with pytest.raises(ValidationError) as err:
        finding_record(users["inspector_1"], inspection, checklist_item=fire_item, text="问题",
                       rectification_working_days=5, photos=[exe])
    assert "photos" in err.value.message_dict
    pdf = SimpleUploadedFile("a.pdf", b"%PDF-1.4" + b"\x00" * 40)
    with pytest.raises(ValidationError):
        finding_record(users["inspector_1"], inspection, checklist_item=fire_item, text="问题",
                       rectification_working_days=5, photos=[pdf])
    assert not Finding.objects.filter(inspection=inspection).exists()


def test_outsiders_cannot_record(users, heping, inspectors):
    inspection = make(users, heping, inspectors)
    run_to_in_progress(users, inspection)
    with pytest.raises(PermissionDenied):
        finding_record(users["inspector_4"], inspection, domain="fire_safety", text="x",
                       rectification_working_days=5)
    with pytest.raises(PermissionDenied):
        finding_record(users["inst_2"], inspection, domain="fire_safety", text="x", rectification_working_days=5)
    # 卫健 reads every inspection of its district by duty, but acts only in those its department is on.
    assert Inspection.objects.restrict(users["health_heping"], "inspect").filter(pk=inspection.pk).exists()
    with pytest.raises(PermissionDenied):
        finding_record(users["health_heping"], inspection, domain="medical_health", text="x",
                       rectification_working_days=5)
    # fire_heping's department is on the team: its staff may record (a finding in its own domain).
    assert finding_record(users["fire_heping"], inspection, domain="fire_safety", text="消火栓无水",
                          rectification_working_days=5).found_by.kind.code == "fire_rescue"


def test_fire_user_sees_the_fire_finding_not_the_health_finding_of_the_same_inspection(users, heping, inspectors,
                                                                                        client):
    inspection = make(users, heping, inspectors)
    run_to_in_progress(users, inspection)
    fire = finding_record(users["inspector_1"], inspection, domain="fire_safety", text="灭火器过期",
                          rectification_working_days=5)
    health = finding_record(users["inspector_1"], inspection, domain="medical_health", text="医务室药品过期",
                            rectification_working_days=5)
    client.force_login(users["fire_heping"])
    assert client.get(f"/findings/{fire.pk}/").status_code == 200
    assert client.get(f"/findings/{health.pk}/").status_code == 404
    assert client.get(f"/api/v1/findings/{health.pk}/").status_code == 404
    # The inspection itself (team grant and duty) is visible, and its page lists only the fire finding.
    page = client.get(f"/inspections/{inspection.pk}/")
    assert page.status_code == 200
    assert "灭火器过期" in page.content.decode() and "医务室药品过期" not in page.content.decode()


def test_institution_sees_only_notified_inspections(users, heping, inspectors, client):
    inspection = make(users, heping, inspectors)
    client.force_login(users["inst_2"])  # 和平区康乐养老院
    assert inspection.pk not in [i.pk for i in client.get("/institution/inspections/").context["inspections"]]
    inspection_notify(users["civil_heping"], inspection)
    page = client.get("/institution/inspections/")
    assert inspection.pk in [i.pk for i in page.context["inspections"]]
    assert "何平" not in page.content.decode()


def test_cancel_and_auto_publish(users, heping, inspectors):
    inspection = make(users, heping, inspectors)
    with pytest.raises(ValidationError):
        inspection_cancel(users["civil_heping"], inspection, "")
    assert inspection_cancel(users["civil_heping"], inspection, "机构停业").state == InspectionState.CANCELLED
    other = make(users, heping, inspectors, kind=InspectionKind.CASE, scheduled_for=timezone.localdate())
    inspection_start(users["inspector_1"], other)
    item_results_record(users["inspector_1"], other, {i.pk: (ItemResultValue.PASS, "") for i in other.items.all()})
    inspection_sign(users["inspector_1"], other)
    inspection_sign(users["inspector_2"], other)
    other.refresh_from_db()
    assert other.pk not in publish_overdue_inspections(other.publish_due)
    assert other.pk in publish_overdue_inspections(other.publish_due + dt.timedelta(days=1))
    other.refresh_from_db()
    assert other.state == InspectionState.PUBLISHED and "未发现问题隐患" in other.public_summary


@override_settings(INSPECTION_PUBLISH_WORKING_DAYS=5)
def test_publish_deadline_is_configurable(users, heping, inspectors):
    inspection = make(users, heping, inspectors, kind=InspectionKind.CASE, scheduled_for=timezone.localdate())
    inspection_start(users["inspector_1"], inspection)
    item_results_record(users["inspector_1"], inspection,
                        {i.pk: (ItemResultValue.NOT_APPLICABLE, "") for i in inspection.items.all()})
    inspection_sign(users["inspector_2"], inspection)
    inspection = inspection_sign(users["inspector_1"], inspection)
    assert inspection.publish_due == add_working_days(timezone.localdate(inspection.completed_at), 5)


def test_plan_candidates_know_who_was_inspected_this_year(users, heping, inspectors, django_assert_max_num_queries):
    # One query for the candidates and the inspected-this-year fact, whatever their number.
    plan = plan_create(users["civil_heping"], year=timezone.localdate().year, title="测试计划")
    before = {c.institution.pk: c.inspected_this_year for c in plan_candidates(plan)}
    assert not before[heping["institution"].pk]
    inspection = make(users, heping, inspectors, kind=InspectionKind.CASE, scheduled_for=timezone.localdate())
    inspection_start(users["inspector_1"], inspection)
    assert not {c.institution.pk: c.inspected_this_year for c in plan_candidates(plan)}[heping["institution"].pk]
    item_results_record(users["inspector_1"], inspection,
                        {i.pk: (ItemResultValue.PASS, "") for i in inspection.items.all()})
    inspection_sign(users["inspector_1"], inspection)
    inspection_sign(users["inspector_2"], inspection)
    plan = type(plan).objects.select_related("lead_department__region", "created_by").get(pk=plan.pk)
    plan_candidates(plan)  # warm the creator's access context
    with django_assert_max_num_queries(1):
        after = {c.institution.pk: c.inspected_this_year for c in plan_candidates(plan)}
    assert after[heping["institution"].pk]
    assert sum(after.values()) == sum(before.values()) + 1


def test_the_beat_task_and_the_command_publish_overdue_results(users, heping, inspectors):
    from django.conf import settings
    from django.core.management import call_command

    from inspections.tasks.inspections import publish_overdue_inspections_task

    assert settings.CELERY_BEAT_SCHEDULE["inspections-publish-overdue"]["task"] == publish_overdue_inspections_task.name
    inspection = make(users, heping, inspectors, kind=InspectionKind.CASE, scheduled_for=timezone.localdate())
    inspection_start(users["inspector_1"], inspection)
    item_results_record(users["inspector_1"], inspection,
                        {i.pk: (ItemResultValue.PASS, "") for i in inspection.items.all()})
    inspection_sign(users["inspector_1"], inspection)
    inspection_sign(users["inspector_2"], inspection)
    assert inspection.pk not in publish_overdue_inspections_task.delay().get()  # not due yet
    Inspection.objects.filter(pk=inspection.pk).update(publish_due=timezone.localdate() - dt.timedelta(days=1))
    out = io.StringIO()
    call_command("publish_overdue_inspections", stdout=out)
    assert str(inspection.pk) in out.getvalue()
    inspection.refresh_from_db()
    assert inspection.state == InspectionState.PUBLISHED
    assert AuditEvent.objects.filter(verb="inspection.publish", object_id=str(inspection.pk), actor=None).exists()
