"""The demo city shows what follows a finding (issue 4): open, submitted, returned and closed findings, an overdue
referral and a supervised major hazard; building it again changes nothing."""

import pytest

from inspections.choices import FindingState, Severity, SupervisedCaseState
from inspections.demo_findings import build_findings_demo
from inspections.models import Finding, Referral, SupervisedCase
from inspections.services import referrals_overdue
from inspections.services.findings import supervised_cases_public

pytestmark = pytest.mark.django_db


def test_every_state_an_overdue_referral_and_a_supervised_major_hazard(users):
    demo = Finding.objects.filter(text__startswith="【演示】")
    assert set(demo.values_list("state", flat=True)) == set(FindingState.values)
    case = SupervisedCase.objects.get(finding__in=demo, state=SupervisedCaseState.OPEN)
    assert case.finding.severity == Severity.MAJOR and case.supervising_department.name == "和平区人民政府"
    assert case in supervised_cases_public()
    late = referrals_overdue(users["health_heping"])
    assert {r.referral.finding.text for r in late} == {"【演示】内设医务室过期药品未及时清理，药品管理台账缺失。"}
    assert {(r.owed_by.name, r.late_for) for r in late} == {("和平区民政局", "send"),
                                                           ("和平区卫生健康委员会", "answer")}


def test_building_again_changes_nothing():
    before = (Finding.objects.count(), Referral.objects.count(), SupervisedCase.objects.count())
    build_findings_demo()
    assert (Finding.objects.count(), Referral.objects.count(), SupervisedCase.objects.count()) == before
