"""The demo city's findings after they are recorded (issue 4, "Must show"): open, submitted, returned and closed
findings with working-day deadlines, an overdue referral, and a major hazard under supervision (挂牌督办) with the
suspension order the overdue scan proposed.

Rows are written directly, not through the services: the demo describes a city as it stands on fixed dates, and
replaying the workflow would stamp today's dates and audit rows by nobody (the same choice as portal.demo's
filings). Each demo finding is found by its text, which keeps this idempotent.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import transaction

from agencies.calendar import add_working_days
from agencies.models import Department, Domain
from institutions.models import Institution

from .choices import (
    REFERRAL_WORKING_DAYS,
    FindingState,
    RectificationDecision,
    ReferralKind,
    ReferralState,
    Severity,
    SupervisedCaseState,
    SuspensionState,
)
from .models import Finding, Rectification, Referral, SupervisedCase, SuspensionOrder
from .services.referrals import _grant_finding, _grant_referral

TZ = ZoneInfo("Asia/Shanghai")
HEPING = "120101"

# (institution name, domain, finding department kind, severity, text, found on, working days, state)
DEMO_FINDINGS = [
    ("天津市和平区颐养院", "fire_safety", "fire_rescue", Severity.GENERAL,
     "【演示】二层疏散通道堆放杂物，部分安全出口指示标志不亮。", dt.date(2026, 11, 24), 20, FindingState.OPEN),
    ("天津市和平区福寿老年公寓", "food_safety", "market_regulation", Severity.GENERAL,
     "【演示】食堂留样记录不全，部分食品未按规定留样48小时。", dt.date(2026, 11, 16), 15, FindingState.SUBMITTED),
    ("天津市和平区夕阳红养护中心", "building_safety", "civil_affairs", Severity.GENERAL,
     "【演示】活动室吊顶局部脱落，未设置警示隔离。", dt.date(2026, 11, 12), 20, FindingState.RETURNED),
    ("天津市和平区颐养院", "special_equipment", "market_regulation", Severity.GENERAL,
     "【演示】电梯年度检验标志过期。", dt.date(2026, 10, 12), 10, FindingState.CLOSED),
    ("天津市和平区福寿老年公寓", "fire_safety", "fire_rescue", Severity.MAJOR,
     "【演示】自动喷水灭火系统停用，消防控制室无人值班（重大火灾隐患）。", dt.date(2026, 10, 9), 10, FindingState.OPEN),
    ("天津市和平区康乐养老院", "medical_health", "civil_affairs", Severity.GENERAL,
     "【演示】内设医务室过期药品未及时清理，药品管理台账缺失。", dt.date(2026, 11, 2), 20, FindingState.OPEN),
]


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=TZ)


def _department(kind: str) -> Department:
    return Department.objects.get(kind__code=kind, region__code=HEPING)


@transaction.atomic
def build_findings_demo() -> dict:
    made = {}
    for name, domain, kind, severity, text, found_on, days, state in DEMO_FINDINGS:
        finding = Finding.objects.filter(text=text).first()
        if finding is None:
            finding = _finding(name, domain, kind, severity, text, found_on, days, state)
        made[text] = finding
    major = made[DEMO_FINDINGS[4][4]]
    _supervised(major)
    _overdue_referral(made[DEMO_FINDINGS[5][4]])
    return {"findings": len(made)}


def _finding(name, domain, kind, severity, text, found_on, days, state) -> Finding:
    department = _department(kind)
    finding = Finding(institution=Institution.objects.get(name=name), domain=Domain.objects.get(code=domain),
                      found_by=department, verifying_department=department, severity=severity, text=text,
                      basis="《养老机构管理办法》第四十七条", found_on=found_on, rectification_working_days=days,
                      rectification_due=add_working_days(found_on, days), state=state)
    finding.save()
    Finding.objects.filter(pk=finding.pk).update(created_at=_at(found_on))
    if state in (FindingState.SUBMITTED, FindingState.RETURNED, FindingState.CLOSED):
        submitted = _at(add_working_days(found_on, max(days - 3, 1)))
        rectification = Rectification.objects.create(finding=finding, measures="已按要求完成整改，建立日常巡查台账。")
        decision = {FindingState.SUBMITTED: RectificationDecision.PENDING,
                    FindingState.RETURNED: RectificationDecision.RETURNED,
                    FindingState.CLOSED: RectificationDecision.ACCEPTED}[state]
        reviewed = _at(add_working_days(submitted.date(), 2)) if decision != RectificationDecision.PENDING else None
        Rectification.objects.filter(pk=rectification.pk).update(
            submitted_at=submitted, decision=decision, reviewed_at=reviewed,
            review_note={RectificationDecision.RETURNED: "吊顶修复未完成，请修复后重新提交并附照片。",
                         RectificationDecision.ACCEPTED: "现场复查合格，予以销号。"}.get(decision, ""))
        if state == FindingState.CLOSED:
            Finding.objects.filter(pk=finding.pk).update(closed_at=reviewed)
    return finding


def _supervised(finding: Finding) -> None:
    """The major hazard ran past its deadline: reminded, escalated — a proposed suspension order and 挂牌督办."""
    due = finding.rectification_due
    reminded, escalated = add_working_days(due, 1), add_working_days(due, 10)
    Finding.objects.filter(pk=finding.pk, reminded_at__isnull=True).update(reminded_at=_at(reminded, 2),
                                                                          escalated_at=_at(escalated, 2))
    if not finding.suspension_orders.exists():
        SuspensionOrder(institution=finding.institution, domain=finding.domain, finding=finding,
                        issued_by=finding.verifying_department, state=SuspensionState.PROPOSED, issued_on=escalated,
                        reason=f"问题逾期未整改（整改期限{due}），依法拟责令停业整顿。", basis=finding.basis).save()
    if not finding.supervised_cases.exists():
        SupervisedCase(institution=finding.institution, domain=finding.domain, finding=finding,
                       supervising_department=_department("district_government"), state=SupervisedCaseState.OPEN,
                       requirements="消防控制室24小时双人值班；30个工作日内恢复自动喷水灭火系统并经验收。",
                       deadline=add_working_days(escalated, 30), listed_on=escalated).save()


def _overdue_referral(finding: Finding) -> None:
    """和平区民政局 referred a medical matter to 和平区卫生健康委员会 after its 7 working days; the answer is late."""
    if finding.referrals.exists():
        return
    refer_due = add_working_days(finding.found_on, REFERRAL_WORKING_DAYS)
    sent = add_working_days(refer_due, 2)
    health = _department("health")
    referral = Referral(institution=finding.institution, domain=finding.domain, finding=finding,
                        kind=ReferralKind.TRANSFER, state=ReferralState.ACCEPTED, from_department=finding.found_by,
                        to_department=health, reason="内设医务室药品管理属卫生健康部门职责，移送依法处理。",
                        refer_due=refer_due, answer_due=add_working_days(sent, 10), accepted_at=_at(sent, 15))
    referral.save()
    Referral.objects.filter(pk=referral.pk).update(sent_at=_at(sent))
    for department in (finding.found_by, health):
        _grant_referral(referral, department)
    _grant_finding(finding, health, ["view_finding", "verify_rectification_finding"])
