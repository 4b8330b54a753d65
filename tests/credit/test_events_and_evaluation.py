"""Credit events (who may record them), the receivers of the inspections and complaints signals, the evaluation
(reproducible from events + model version) and the risk grading that the inspection draw reads."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from agencies.models import Department
from complaints.signals import complaint_substantiated
from credit.choices import EventKind, EventState, ListKind, ListState, WatchGround
from credit.models import CreditEvaluation, CreditEvent, ListEntry, RiskAssessment, ScoringModel
from credit.services.evaluation import (
    compute_evaluation,
    evaluate_institutions,
    recompute,
    scoring_model_create,
    scoring_model_publish,
)
from credit.services.events import credit_event_confirm, credit_event_dismiss, credit_event_record
from inspections.choices import Severity
from inspections.models import ChecklistItem, ChecklistVersion, Finding, InspectionPlan
from inspections.selectors import plan_candidates
from inspections.signals import finding_recorded, rectification_overdue

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 10, 12)


def _record(user, inst, domain, kind=EventKind.PENALTY, on=DAY):
    return credit_event_record(user, institution=inst, domain=domain, kind=kind, occurred_on=on,
                               summary="消防设施不能正常使用，罚款", legal_basis="《消防法》第六十条",
                               document_number="和消行罚决字〔2026〕12号")


def test_a_department_records_events_only_in_its_own_domains_and_region(users, heping, domains):
    event = _record(users["fire_heping"], heping["福寿老年公寓"], domains["fire_safety"])
    assert event.department.name == "和平区消防救援支队" and event.state == EventState.IN_FORCE
    with pytest.raises(PermissionDenied):
        _record(users["fire_heping"], heping["福寿老年公寓"], domains["food_safety"])
    hexi = heping["颐养院"].__class__.objects.get(name="天津市河西区颐养院")
    with pytest.raises(PermissionDenied):
        _record(users["fire_heping"], hexi, domains["fire_safety"])
    with pytest.raises(PermissionDenied):
        _record(users["inst_3"], heping["福寿老年公寓"], domains["fire_safety"])
    with pytest.raises(ValidationError) as err:
        _record(users["fire_heping"], heping["福寿老年公寓"], domains["fire_safety"], on=dt.date(2099, 1, 1))
    assert "occurred_on" in err.value.error_dict


def _finding(inst, domain, department, code=None, severity=Severity.GENERAL, **kw):
    item = None
    if code:
        item = ChecklistItem.objects.filter(code=code).order_by("-version__number").first()
    finding = Finding(institution=inst, domain=domain, found_by=department, text="疏散通道堵塞、防火门常开",
                      severity=severity, checklist_item=item, found_on=DAY, **kw)
    finding.save()
    return finding


def test_a_finding_on_a_pledged_item_proposes_a_broken_pledge_to_the_finding_department(
        users, heping, domains, django_capture_on_commit_callbacks):
    fire = Department.objects.get(name="和平区消防救援支队")
    inst = heping["康乐养老院"]  # filed, pledge signed
    if not ChecklistItem.objects.filter(code="KEY-FIRE-03").exists():
        pytest.skip("checklist catalog not loaded")
    finding = _finding(inst, domains["fire_safety"], fire, code="KEY-FIRE-03", severity=Severity.MAJOR)
    with django_capture_on_commit_callbacks(execute=True):
        finding_recorded.send(sender=Finding, finding_id=finding.pk)
        finding_recorded.send(sender=Finding, finding_id=finding.pk)  # a re-sent signal counts once
    events = CreditEvent.objects.filter(source_finding=finding)
    assert set(events.values_list("kind", "state")) == {
        (EventKind.SERIOUS_FINDING, EventState.IN_FORCE), (EventKind.BROKEN_PLEDGE, EventState.PROPOSED)}
    proposal = events.get(kind=EventKind.BROKEN_PLEDGE)
    assert "第二条" in proposal.summary or "二" in proposal.summary
    assert CreditEvent.objects.restrict(users["fire_heping"], "record_penalty").filter(pk=proposal.pk).exists()
    with pytest.raises(PermissionDenied):
        credit_event_confirm(users["market_heping"], proposal)
    with pytest.raises(ValidationError):
        credit_event_dismiss(users["fire_heping"], proposal, note="")
    with django_capture_on_commit_callbacks(execute=True):
        credit_event_confirm(users["fire_heping"], proposal, note="确认违反承诺")
    evaluation = CreditEvaluation.objects.filter(institution=inst).latest("id")
    assert {line["kind"] for line in evaluation.lines} == {EventKind.SERIOUS_FINDING, EventKind.BROKEN_PLEDGE}


def test_an_unpledged_institution_gets_no_broken_pledge(heping, domains, django_capture_on_commit_callbacks):
    fire = Department.objects.get(name="和平区消防救援支队")
    finding = _finding(heping["颐养院"], domains["fire_safety"], fire, code="KEY-FIRE-03")  # unfiled
    with django_capture_on_commit_callbacks(execute=True):
        finding_recorded.send(sender=Finding, finding_id=finding.pk)
    assert not CreditEvent.objects.filter(source_finding=finding).exists()


def test_overdue_rectification_and_many_complaints_propose_the_watch_list(
        heping, domains, django_capture_on_commit_callbacks):
    civil = Department.objects.get(name="和平区民政局")
    finding = _finding(heping["夕阳红养护中心"], domains["fire_safety"], civil, rectification_due=DAY)
    with django_capture_on_commit_callbacks(execute=True):
        rectification_overdue.send(sender=Finding, finding_id=finding.pk)
        rectification_overdue.send(sender=Finding, finding_id=finding.pk)
    entry = ListEntry.objects.get(institution=heping["夕阳红养护中心"])
    assert (entry.list_kind, entry.state, entry.ground, entry.auto_proposed) == (
        ListKind.WATCH, ListState.PROPOSED, WatchGround.RECTIFICATION_LATE, True)
    assert entry.department == civil

    inst = heping["康乐养老院"]
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            complaint_substantiated.send(sender=None, complaint_id=9000 + n, institution_id=inst.pk,
                                         domain_code="service_safety", decided_on=DAY - dt.timedelta(days=n))
    assert CreditEvent.objects.filter(institution=inst, kind=EventKind.SUBSTANTIATED_COMPLAINT).count() == 3
    watch = ListEntry.objects.get(institution=inst, list_kind=ListKind.WATCH)
    assert watch.ground == WatchGround.MANY_COMPLAINTS


def test_the_grade_is_reproducible_from_the_events_and_the_model_version(users, heping, domains):
    inst = heping["福寿老年公寓"]
    for on, kind in ((DAY - dt.timedelta(days=400), EventKind.PENALTY), (DAY, EventKind.PENALTY),
                     (DAY - dt.timedelta(days=30), EventKind.HONOUR)):
        credit_event_record(users["fire_heping"], institution=inst, domain=domains["fire_safety"], kind=kind,
                            occurred_on=on, summary="事项")
    evaluate_institutions([inst.pk], as_of=DAY)
    first = CreditEvaluation.objects.filter(institution=inst).latest("id")
    assert first.scoring_model.version == 1
    assert recompute(first) == (first.score, first.grade, first.lines)
    # 100 − 15 − 15·½^(400/730) + 5·½^(30/730)
    assert first.score == Decimal("100") - Decimal("15") - Decimal("10.26") + Decimal("4.86")
    inst.refresh_from_db()
    assert inst.credit_grade == first.grade == "C"

    # Civil affairs publishes a harsher model: the old evaluation still recomputes to what it said.
    v1 = ScoringModel.objects.get(version=1)
    with pytest.raises(PermissionDenied):
        scoring_model_create(users["fire_heping"], weights=v1.weights, half_life_days=v1.half_life_days,
                             thresholds=v1.thresholds)
    with pytest.raises(ValidationError):
        scoring_model_create(users["civil_city"], weights={}, half_life_days=v1.half_life_days,
                             thresholds=v1.thresholds)
    v2 = scoring_model_create(users["civil_city"], weights={**v1.weights, "penalty": -30},
                              half_life_days=v1.half_life_days, thresholds=v1.thresholds)
    scoring_model_publish(users["civil_city"], v2)
    evaluate_institutions([inst.pk], as_of=DAY)
    second = CreditEvaluation.objects.filter(institution=inst).latest("id")
    assert second.scoring_model == v2 and second.grade == "D"
    assert recompute(first) == (first.score, first.grade, first.lines)
    assert compute_evaluation([], v2, DAY)[:2] == (Decimal("100.00"), "A")


def test_risk_level_follows_the_data_and_drives_the_draw_weights(users, heping, domains):
    inst = heping["福寿老年公寓"]
    civil = Department.objects.get(name="和平区民政局")
    plan = InspectionPlan.objects.create(
        year=2026, title="风险测试", lead_department=civil, checklist_version=ChecklistVersion.objects.first(),
        risk_multipliers={"low": 0.5, "medium": 1.0, "high": 3.0},
        list_multipliers={"watch": 2.0, "black": 4.0, "red": 0.5})

    def weight():
        return next(c.weight for c in plan_candidates(plan) if c.institution.pk == inst.pk)

    # A clean record to start from: the demo's findings there put right, its credit events gone.
    Finding.objects.filter(institution=inst).update(state="closed")
    CreditEvent.objects.filter(institution=inst).delete()
    evaluate_institutions([inst.pk], as_of=DAY)
    inst.refresh_from_db()
    assert (inst.risk_level, inst.credit_grade) == ("low", "A")
    assert weight() == 0.5

    fire = Department.objects.get(name="和平区消防救援支队")
    _finding(inst, domains["fire_safety"], fire, severity=Severity.MAJOR, rectification_due=DAY - dt.timedelta(days=3))
    evaluate_institutions([inst.pk], as_of=DAY)
    inst.refresh_from_db()
    risk = RiskAssessment.objects.filter(institution=inst).latest("id")
    assert inst.risk_level == risk.level == "high"
    assert {r["code"] for r in risk.reasons} >= {"open_major", "overdue"}
    assert weight() == 3.0

    ListEntry.objects.create(institution=inst, domain=domains["credit"], list_kind=ListKind.WATCH,
                             state=ListState.PUBLISHED, ground=WatchGround.RECTIFICATION_LATE, legal_basis="x",
                             facts="x", department=civil, proposed_on=DAY, published_on=DAY,
                             listed_until=DAY + dt.timedelta(days=365))
    evaluate_institutions([inst.pk], as_of=DAY)
    inst.refresh_from_db()
    assert inst.credit_list == "watch"
    assert weight() == 6.0


def test_nightly_bulk_run_has_a_fixed_number_of_queries(django_assert_max_num_queries):
    from institutions.models import Institution

    ids = list(Institution.objects.values_list("pk", flat=True))
    evaluate_institutions(ids[:2], as_of=DAY)
    with django_assert_max_num_queries(20):
        evaluate_institutions(ids, as_of=DAY)
