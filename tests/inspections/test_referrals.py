"""Referrals (移送/抄告): to the competent department only, within 7 working days, accepted by an explicit grant on
the finding, answered; the clocks at both ends."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from agencies.models import DepartmentKind, Domain, Duty
from inspections.choices import FindingState, ReferralKind, ReferralState
from inspections.models import Finding, Referral
from inspections.services import (
    findings_needing_referral,
    rectification_submit,
    rectification_verify,
    referral_accept,
    referral_answer,
    referral_decline,
    referral_send,
    referrals_overdue,
)
from inspections.services.referrals import refer_due_for

from .conftest import department

pytestmark = pytest.mark.django_db


def visible(user, finding) -> bool:
    return Finding.objects.restrict(user, "view").filter(pk=finding.pk).exists()


@pytest.fixture
def fire_takes_health_referrals():
    """A duty that lets fire rescue take referrals of medical-health matters without seeing them otherwise:
    the case where only the hand-off can open the finding to the receiver."""
    duty = Duty.objects.create(source_seed="test", task_no="T1", requirement="测试", text="接收移送的医疗卫生事项",
                               text_clean="接收移送的医疗卫生事项", actions=["accept_referral"])
    duty.department_kinds.set([DepartmentKind.objects.get(code="fire_rescue")])
    duty.domains.set([Domain.objects.get(code="medical_health")])
    return duty


def test_refer_due_is_seven_working_days_across_national_day(make_finding):
    finding = make_finding(domain="medical_health", by="civil_affairs", found_on=dt.date(2026, 9, 29))
    assert refer_due_for(finding) == dt.date(2026, 10, 14)  # 9-30, 10-08, 10-09, 10-10 (调休), 10-12, 10-13, 10-14


def test_refer_due_across_new_year(make_finding):
    finding = make_finding(domain="medical_health", by="civil_affairs", found_on=dt.date(2026, 12, 28))
    # 12-29, 12-30, 12-31, then 2027 Mon–Fri (beyond the holiday package, nothing entered): 1-1, 1-4, 1-5, 1-6.
    assert refer_due_for(finding) == dt.date(2027, 1, 6)


def test_only_a_competent_department_receives(make_finding, users):
    finding = make_finding(domain="medical_health", by="civil_affairs")
    for kind in ("fire_rescue", "market_regulation"):
        with pytest.raises(ValidationError) as exc:
            referral_send(users["civil_heping"], finding, department(kind), ReferralKind.TRANSFER, "医疗问题")
        assert "to_department" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        referral_send(users["civil_heping"], finding, department("health"), ReferralKind.TRANSFER, "")
    assert "reason" in exc.value.error_dict
    with pytest.raises(PermissionDenied):  # only the finding department sends
        referral_send(users["market_heping"], finding, department("health"), ReferralKind.TRANSFER, "医疗问题")
    assert not finding.referrals.exists()


def test_send_accept_answer(make_finding, users, fire_takes_health_referrals):
    finding = make_finding(domain="medical_health", by="civil_affairs", found_on=timezone.localdate())
    fire = users["fire_heping"]
    assert not visible(fire, finding)
    referral = referral_send(users["civil_heping"], finding, department("fire_rescue"), ReferralKind.TRANSFER,
                             "内设医务室药品管理不规范，属卫生健康部门职责（测试中由消防接收）")
    assert referral.institution_id == finding.institution_id and referral.domain_id == finding.domain_id
    assert referral.refer_due == refer_due_for(finding)
    # Both ends see the referral (its own grant); the receiver does not see the finding before accepting.
    assert Referral.objects.restrict(fire).filter(pk=referral.pk).exists()
    assert Referral.objects.restrict(users["civil_heping"]).filter(pk=referral.pk).exists()
    assert not Referral.objects.restrict(users["market_heping"]).filter(pk=referral.pk).exists()
    assert not visible(fire, finding)
    assert not fire.has_perm("inspections.view_finding", finding)

    with pytest.raises(PermissionDenied):
        referral_accept(users["civil_heping"], referral)  # the sender cannot accept for the receiver
    referral_accept(fire, referral)
    fire = type(fire).objects.get(pk=fire.pk)  # guardian caches permissions per user object
    assert visible(fire, finding)
    assert fire.has_perm("inspections.verify_rectification_finding", finding)
    finding.refresh_from_db()
    # 和平区民政局 holds medical_health for verification, so it stays the verifier (谁检查谁验收).
    assert finding.verifying_department == department("civil_affairs")

    with pytest.raises(ValidationError):
        referral_accept(fire, referral)
    with pytest.raises(ValidationError) as exc:
        referral_answer(fire, referral, "")
    assert "feedback" in exc.value.error_dict
    referral_answer(fire, referral, "已责令整改，并通报卫生健康部门。")
    referral.refresh_from_db()
    assert referral.state == ReferralState.ANSWERED and referral.answered_at


def test_accepting_moves_verification_when_the_finder_does_not_hold_the_domain(make_finding, users, media):
    # 和平区市场监管局 found a medical-health matter: outside its competence, so the receiver verifies.
    finding = make_finding(domain="medical_health", by="market_regulation", verifying_department=None)
    referral = referral_send(users["market_heping"], finding, department("health"), ReferralKind.TRANSFER,
                             "内设医疗机构执业问题")
    referral_accept(users["health_heping"], referral)
    finding.refresh_from_db()
    assert finding.verifying_department == department("health")
    rectification = rectification_submit(users["inst_1"], finding, "已整改", [])
    with pytest.raises(PermissionDenied):
        rectification_verify(users["market_heping"], rectification, True)
    rectification_verify(users["health_heping"], rectification, True)
    finding.refresh_from_db()
    assert finding.state == FindingState.CLOSED


def test_a_copy_grants_view_only(make_finding, users, fire_takes_health_referrals):
    finding = make_finding(domain="medical_health", by="civil_affairs")
    referral = referral_send(users["civil_heping"], finding, department("fire_rescue"), ReferralKind.NOTIFY, "抄告")
    referral_accept(users["fire_heping"], referral)
    fire = type(users["fire_heping"]).objects.get(pk=users["fire_heping"].pk)
    assert visible(fire, finding)
    assert not fire.has_perm("inspections.verify_rectification_finding", finding)


def test_decline_then_send_elsewhere(make_finding, users):
    finding = make_finding(domain="medical_health", by="civil_affairs")
    referral = referral_send(users["civil_heping"], finding, department("health"), ReferralKind.TRANSFER, "医疗")
    with pytest.raises(ValidationError):  # one open referral per receiver
        referral_send(users["civil_heping"], finding, department("health"), ReferralKind.TRANSFER, "医疗")
    with pytest.raises(ValidationError) as exc:
        referral_decline(users["health_heping"], referral, "")
    assert "reason" in exc.value.error_dict
    referral_decline(users["health_heping"], referral, "不属于本部门职责")
    with pytest.raises(ValidationError):  # declined is final
        referral_answer(users["health_heping"], referral, "办理")
    referral_send(users["civil_heping"], finding, department("health"), ReferralKind.TRANSFER, "请再研究")


def test_overdue_referrals_count_against_who_owes_them(make_finding, users):
    late = make_finding(domain="medical_health", by="civil_affairs", found_on=dt.date(2026, 10, 20))
    referral = referral_send(users["civil_heping"], late, department("health"), ReferralKind.TRANSFER, "医疗")
    assert referral.refer_due < timezone.localdate()  # sent after its 7 working days: civil affairs owes it

    def owed(username):
        return {(r.owed_by.name, r.late_for) for r in referrals_overdue(users[username]) if r.pk == referral.pk}

    assert owed("civil_heping") == owed("health_heping") == {("和平区民政局", "send")}
    # Not answered by its answer date either: now the receiver owes its part too.
    Referral.objects.filter(pk=referral.pk).update(answer_due=dt.date(2026, 11, 1))
    assert owed("health_heping") == {("和平区民政局", "send"), ("和平区卫生健康委员会", "answer")}
    referral_accept(users["health_heping"], referral)
    referral_answer(users["health_heping"], referral, "已处理")
    assert owed("health_heping") == {("和平区民政局", "send")}  # answered: only the late sending remains
    assert owed("market_heping") == set()


def test_findings_needing_referral(make_finding, users):
    today = timezone.localdate()
    # market regulation does not hold medical_health; it holds food safety.
    outside = make_finding(domain="medical_health", by="market_regulation", found_on=today)
    make_finding(domain="food_safety", by="market_regulation", found_on=today)
    rows = findings_needing_referral(users["market_heping"])
    assert [f.pk for f in rows] == [outside.pk]
    assert rows[0].refer_due == refer_due_for(outside) and rows[0].working_days_left == 7
    referral_send(users["market_heping"], outside, department("health"), ReferralKind.TRANSFER, "医疗")
    assert findings_needing_referral(users["market_heping"]) == []
