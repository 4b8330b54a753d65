"""Rectification and verification (谁检查谁验收), the overdue scan and its escalation, suspension orders and
supervised cases (挂牌督办)."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from agencies.calendar import add_working_days
from agencies.models import AuditEvent, CalendarDay
from inspections import signals
from inspections.choices import (
    FINDING_TRANSITIONS,
    FindingState,
    RectificationDecision,
    Severity,
    SupervisedCaseState,
    SuspensionState,
)
from inspections.models import Finding, Rectification, SupervisedCase, SuspensionOrder
from inspections.services import (
    rectification_submit,
    rectification_verify,
    scan_overdue_findings,
    supervised_case_lift,
    supervised_case_open,
    suspension_order_issue,
    suspension_order_lift,
)
from inspections.services.findings import (
    finding_transition,
    set_rectification_deadline,
    supervised_cases_public,
    supervising_department_for,
)

from .conftest import PNG, department, photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def received(monkeypatch):
    """Signals the inspections app sent, as (signal name, finding id)."""
    got = []

    def listen(name):
        def receiver(sender, finding_id, **kwargs):
            got.append((name, finding_id))
        return receiver

    receivers = {name: listen(name) for name in ("finding_closed", "rectification_overdue")}
    for name, receiver in receivers.items():
        getattr(signals, name).connect(receiver, weak=False)
    yield got
    for name, receiver in receivers.items():
        getattr(signals, name).disconnect(receiver)


# ----------------------------------------------------------------------------------------------- deadlines


def test_rectification_due_counts_working_days_across_national_day(make_finding):
    # 2026-09-29 (Tue) + 7 working days: 9-30, then 10-01…10-07 off, 10-08, 10-09, 10-10 (Saturday, 调休 working),
    # 10-12, 10-13, 10-14.
    finding = make_finding(found_on=dt.date(2026, 9, 29), working_days=7)
    assert finding.rectification_due == dt.date(2026, 10, 14)
    assert finding.rectification_working_days == 7


def test_rectification_due_across_new_year_follows_the_administrators_calendar(make_finding):
    finding = make_finding(found_on=dt.date(2026, 12, 29), working_days=5)
    # 2027 is beyond the holiday package: Mon–Fri until an administrator enters it.
    assert finding.rectification_due == dt.date(2027, 1, 5)
    CalendarDay.objects.create(date=dt.date(2027, 1, 1), is_working_day=False, name="元旦")
    assert set_rectification_deadline(finding, 5) == dt.date(2027, 1, 6)


# ----------------------------------------------------------------------------------------------- transitions


def test_the_transition_table_allows_no_jump():
    finding = Finding(state=FindingState.OPEN)
    for target in (FindingState.CLOSED, FindingState.RETURNED):
        with pytest.raises(ValidationError) as exc:
            finding_transition(finding, target)
        assert "state" in exc.value.error_dict
    assert FINDING_TRANSITIONS[FindingState.CLOSED] == frozenset()


def test_submit_then_close(make_finding, users, media, received, django_capture_on_commit_callbacks):
    finding = make_finding()
    rectification = rectification_submit(users["inst_1"], finding, "已清理疏散通道，设专人巡查。", [photo()])
    finding.refresh_from_db()
    assert finding.state == FindingState.SUBMITTED
    evidence = rectification.evidence.get()
    assert evidence.content_type == "image/png" and evidence.original_name == "整改后.png"
    assert evidence.file.read() == PNG and evidence.file.name.endswith(".png")
    assert "整改后" not in evidence.file.name  # the uploader's name is data, never a path

    with django_capture_on_commit_callbacks(execute=True):
        rectification_verify(users["fire_heping"], rectification, True, "现场复查，通道畅通。")
    finding.refresh_from_db()
    rectification.refresh_from_db()
    assert finding.state == FindingState.CLOSED and finding.closed_at is not None
    assert rectification.decision == RectificationDecision.ACCEPTED
    assert rectification.reviewed_by == users["fire_heping"]
    assert ("finding_closed", finding.pk) in received
    verbs = list(AuditEvent.objects.filter(object_type="inspections.finding", object_id=str(finding.pk))
                 .values_list("verb", flat=True))
    assert {"rectification.submit", "rectification.verify"} <= set(verbs)


def test_return_needs_a_reason_then_resubmit(make_finding, users, media, received):
    finding = make_finding()
    first = rectification_submit(users["inst_1"], finding, "已整改。", [])
    with pytest.raises(ValidationError) as exc:
        rectification_verify(users["fire_heping"], first, False, "")
    assert "note" in exc.value.error_dict
    rectification_verify(users["fire_heping"], first, False, "灭火器仍过期，请更换后重新提交。")
    finding.refresh_from_db()
    assert finding.state == FindingState.RETURNED
    assert not received  # returned is not closed
    second = rectification_submit(users["inst_1"], finding, "已更换全部灭火器。", [photo()])
    rectification_verify(users["fire_heping"], second, True, "")
    finding.refresh_from_db()
    assert finding.state == FindingState.CLOSED
    assert list(finding.rectifications.values_list("decision", flat=True)) == [
        RectificationDecision.ACCEPTED, RectificationDecision.RETURNED]


def test_bad_input_names_the_field_and_changes_nothing(make_finding, users, media):
    finding = make_finding()
    with pytest.raises(ValidationError) as exc:
        rectification_submit(users["inst_1"], finding, "  ", [])
    assert "measures" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        rectification_submit(users["inst_1"], finding, "已整改",
                             [SimpleUploadedFile("照片.png", b"MZ this is an exe", content_type="image/png")])
    assert "evidence" in exc.value.error_dict and "照片.png" in exc.value.messages[0]
    finding.refresh_from_db()
    assert finding.state == FindingState.OPEN and not finding.rectifications.exists()


def test_only_the_own_institution_submits(make_finding, users, media):
    finding = make_finding(account="inst_1")
    for username in ("inst_2", "inst_5", "fire_heping"):
        with pytest.raises(PermissionDenied):
            rectification_submit(users[username], finding, "已整改", [])
    assert not finding.rectifications.exists()


def test_only_the_verifying_department_verifies(make_finding, users, media):
    finding = make_finding()  # found and verified by 和平区消防救援支队
    rectification = rectification_submit(users["inst_1"], finding, "已整改", [])
    # civil affairs' duty covers fire safety too, but 谁检查谁验收: it did not find this one.
    for username in ("civil_heping", "civil_city", "leader_heping", "inspector_3", "inst_1", "market_heping"):
        with pytest.raises(PermissionDenied):
            rectification_verify(users[username], rectification, True, "")
    rectification.refresh_from_db()
    assert rectification.decision == RectificationDecision.PENDING


def test_a_second_decision_is_refused(make_finding, users, media):
    finding = make_finding()
    rectification = rectification_submit(users["inst_1"], finding, "已整改", [])
    stale = Rectification.objects.get(pk=rectification.pk)
    rectification_verify(users["fire_heping"], rectification, True, "")
    with pytest.raises(ValidationError) as exc:
        rectification_verify(users["inspector_2"], stale, False, "再看看")
    assert "已于" in exc.value.messages[0]
    finding.refresh_from_db()
    assert finding.state == FindingState.CLOSED


def test_submitting_to_a_closed_finding_is_refused(make_finding, users, media):
    finding = make_finding()
    rectification_verify(users["fire_heping"], rectification_submit(users["inst_1"], finding, "已整改", []), True)
    with pytest.raises(ValidationError):
        rectification_submit(users["inst_1"], finding, "再次提交", [])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a real row-lock race needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_verifiers_racing_make_one_decision(make_finding, users, media, rebuild_demo_after):
    from django.db import close_old_connections

    finding = make_finding()
    rectification = rectification_submit(users["inst_1"], finding, "已整改", [])
    barrier = threading.Barrier(2)
    outcomes = []

    def verify(username, accepted):
        try:
            barrier.wait()
            rectification_verify(users[username], rectification, accepted, "" if accepted else "不通过")
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(" ".join(exc.messages))
        finally:
            close_old_connections()

    threads = [threading.Thread(target=verify, args=args) for args in (("fire_heping", True),
                                                                        ("inspector_2", False))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1, outcomes
    finding.refresh_from_db()
    rectification.refresh_from_db()
    assert finding.state == {RectificationDecision.ACCEPTED: FindingState.CLOSED,
                             RectificationDecision.RETURNED: FindingState.RETURNED}[rectification.decision]


# ----------------------------------------------------------------------------------------------- overdue scan


def test_overdue_scan_reminds_then_escalates_once(make_finding, users, mailoutbox, received, settings,
                                                  django_capture_on_commit_callbacks):
    def scan(day):
        with django_capture_on_commit_callbacks(execute=True):
            return scan_overdue_findings(day)

    settings.FINDING_ESCALATION_WORKING_DAYS = 3
    users["fire_heping"].email = "fire@example.org"
    users["fire_heping"].save()
    users["inst_3"].email = "inst3@example.org"
    users["inst_3"].save()
    major = make_finding(account="inst_3", severity=Severity.MAJOR, found_on=dt.date(2026, 11, 2), working_days=5)
    general = make_finding(account="inst_1", found_on=dt.date(2026, 11, 2), working_days=5)
    not_due = make_finding(account="inst_1", found_on=dt.date(2026, 11, 20), working_days=10)
    assert major.rectification_due == dt.date(2026, 11, 9)

    day_after = dt.date(2026, 11, 10)
    assert scan(day_after) == {"reminded": 2, "escalated": 0}
    assert scan(day_after) == {"reminded": 0, "escalated": 0}  # idempotent
    assert {m.to[0] for m in mailoutbox} == {"fire@example.org", "inst3@example.org"}
    major.refresh_from_db()
    assert major.reminded_at is not None and major.escalated_at is None

    # 3 working days after the due date (11-09): 11-12. Not yet on 11-11.
    assert scan(dt.date(2026, 11, 11))["escalated"] == 0
    assert scan(dt.date(2026, 11, 12)) == {"reminded": 0, "escalated": 2}
    assert scan(dt.date(2026, 11, 13)) == {"reminded": 0, "escalated": 0}
    assert sorted(fid for name, fid in received if name == "rectification_overdue") == sorted([major.pk, general.pk])

    orders = SuspensionOrder.objects.filter(finding__in=[major, general])
    assert orders.count() == 2 and set(orders.values_list("state", flat=True)) == {SuspensionState.PROPOSED}
    assert set(orders.values_list("issued_by", flat=True)) == {department("fire_rescue").pk}
    case = SupervisedCase.objects.get(finding=major)  # only the major hazard is put under supervision
    assert not SupervisedCase.objects.filter(finding=general).exists()
    assert case.supervising_department == department("district_government")
    assert case.institution_id == major.institution_id and case.domain_id == major.domain_id
    assert case.deadline == add_working_days(dt.date(2026, 11, 12), 30)
    not_due.refresh_from_db()
    assert not_due.reminded_at is None


def test_a_finding_rectified_in_time_is_never_reminded(make_finding, users, media):
    finding = make_finding(found_on=dt.date(2026, 11, 2), working_days=5)
    rectification_verify(users["fire_heping"], rectification_submit(users["inst_1"], finding, "已整改", []), True)
    scan_overdue_findings(dt.date(2026, 12, 31))
    finding.refresh_from_db()
    assert finding.reminded_at is None and finding.escalated_at is None


def test_scan_command(make_finding):
    from io import StringIO

    from django.core.management import call_command

    make_finding(found_on=dt.date(2026, 11, 2), working_days=5)
    out = StringIO()
    call_command("scan_overdue_findings", "--today", "2026-11-10", stdout=out)
    assert "reminded 1" in out.getvalue()


# ----------------------------------------------------------------------------------------------- escalation records


def test_suspension_order_issue_and_lift(make_finding, users):
    finding = make_finding()
    with pytest.raises(PermissionDenied):
        suspension_order_issue(users["civil_heping"], finding, "逾期未整改")
    with pytest.raises(ValidationError) as exc:
        suspension_order_issue(users["fire_heping"], finding, "")
    assert "reason" in exc.value.error_dict
    order = suspension_order_issue(users["fire_heping"], finding, "逾期未整改，存在重大火灾隐患", "消防法第六十条")
    assert order.state == SuspensionState.IN_FORCE and order.issued_by == department("fire_rescue")
    assert order.institution_id == finding.institution_id and order.domain_id == finding.domain_id
    with pytest.raises(ValidationError):
        suspension_order_issue(users["fire_heping"], finding, "再次")
    suspension_order_lift(users["fire_heping"], order, "已整改完毕，恢复营业。")
    order.refresh_from_db()
    assert order.state == SuspensionState.LIFTED and order.lifted_on is not None
    with pytest.raises(ValidationError):
        suspension_order_lift(users["fire_heping"], order, "再解除")


def test_a_proposal_is_decided_by_the_verifying_department(make_finding, users, settings):
    settings.FINDING_ESCALATION_WORKING_DAYS = 1
    finding = make_finding(found_on=dt.date(2026, 11, 2), working_days=5)
    scan_overdue_findings(dt.date(2026, 11, 10))
    scan_overdue_findings(dt.date(2026, 11, 11))
    proposal = SuspensionOrder.objects.get(finding=finding)
    assert proposal.state == SuspensionState.PROPOSED
    order = suspension_order_issue(users["fire_heping"], finding, "经研究，责令停业整顿", order=proposal)
    assert order.pk == proposal.pk and order.state == SuspensionState.IN_FORCE


def test_supervised_case_open_and_lift(make_finding, users, media):
    today = timezone.localdate()
    finding = make_finding(account="inst_3", severity=Severity.MAJOR)
    government = supervising_department_for(finding)
    assert government == department("district_government")
    with pytest.raises(ValidationError) as exc:
        supervised_case_open(users["fire_heping"], finding, department("civil_affairs"), "限期整改",
                             add_working_days(today, 20))
    assert "supervising_department" in exc.value.error_dict
    with pytest.raises(PermissionDenied):
        supervised_case_open(users["market_heping"], finding, government, "限期整改", add_working_days(today, 20))
    case = supervised_case_open(users["fire_heping"], finding, government, "30日内消除重大火灾隐患",
                                add_working_days(today, 20))
    assert case.state == SupervisedCaseState.OPEN
    assert case in supervised_cases_public()
    with pytest.raises(ValidationError):  # not before the hazard is rectified and verified
        supervised_case_lift(users["leader_heping"], case, "已整改")
    with pytest.raises(PermissionDenied):
        supervised_case_lift(users["fire_heping"], case, "已整改")
    rectification_verify(users["fire_heping"], rectification_submit(users["inst_3"], finding, "已整改", []), True)
    supervised_case_lift(users["leader_heping"], case, "隐患已消除，予以销号。")
    case.refresh_from_db()
    assert case.state == SupervisedCaseState.LIFTED and case.lifted_on == today
    assert not supervised_cases_public().filter(pk=case.pk).exists()  # off the public list the day it is lifted


def test_only_major_hazards_are_supervised(make_finding, users):
    finding = make_finding()
    with pytest.raises(ValidationError):
        supervised_case_open(users["fire_heping"], finding, supervising_department_for(finding), "督办",
                             add_working_days(timezone.localdate(), 20))
