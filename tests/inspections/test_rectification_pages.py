"""Pages after a finding is recorded: the institution rectifies, the verifying department verifies, referrals,
supervised cases (staff and public), the three lists and their Excel export — all through restrict()."""

import datetime as dt
import re
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from agencies.calendar import add_working_days
from inspections import lists
from inspections.choices import FindingState, ReferralKind, ReferralState, Severity
from inspections.models import Finding
from inspections.services import (
    rectification_submit,
    rectification_verify,
    supervised_case_lift,
    supervised_case_open,
)
from inspections.services.findings import supervising_department_for

from .conftest import PNG, department, photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(client, users):
    def _login(username):
        client.logout()
        client.force_login(users[username])
        return client
    return _login


def row_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr data-finding="(\d+)">', html)]


# ----------------------------------------------------------------------------------------------- institution side


def test_institution_sees_and_rectifies_only_its_own(as_user, make_finding, media):
    own = make_finding(account="inst_1")
    other = make_finding(account="inst_2")
    client = as_user("inst_1")
    html = client.get(reverse("finding-mine")).content.decode()
    assert own.pk in row_ids(html) and other.pk not in row_ids(html)
    for name in ("finding-detail", "finding-rectify"):
        assert client.get(reverse(name, args=[other.pk])).status_code == 404
    assert client.post(reverse("finding-rectify", args=[other.pk]), {"measures": "x"}).status_code == 404
    other.refresh_from_db()
    assert other.state == FindingState.OPEN

    response = client.post(reverse("finding-rectify", args=[own.pk]),
                           {"measures": "已清理通道", "evidence": [photo("现场.png"), photo("台账.png")]})
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.state == FindingState.SUBMITTED
    assert own.rectifications.get().evidence.count() == 2


def test_a_wrong_file_is_named_and_the_measures_kept(as_user, make_finding, media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    finding = make_finding(account="inst_1")
    response = as_user("inst_1").post(reverse("finding-rectify", args=[finding.pk]), {
        "measures": "已更换灭火器并建立巡查台账",
        "evidence": SimpleUploadedFile("发票.png", b"GIF89a not really", content_type="image/png")})
    html = response.content.decode()
    assert response.status_code == 200
    assert "发票.png" in html and "不是 PDF、JPEG 或 PNG" in html
    assert "已更换灭火器并建立巡查台账" in html
    finding.refresh_from_db()
    assert finding.state == FindingState.OPEN


def test_evidence_is_served_only_to_who_may_see_the_finding(as_user, make_finding, users, media):
    finding = make_finding(account="inst_1")
    evidence = rectification_submit(users["inst_1"], finding, "已整改", [photo()]).evidence.get()
    url = reverse("rectification-evidence", args=[evidence.pk])
    for username in ("inst_1", "fire_heping", "civil_heping"):
        response = as_user(username).get(url)
        assert response.status_code == 200 and b"".join(response.streaming_content) == PNG
    for username in ("inst_2", "market_heping", "civil_hexi"):
        assert as_user(username).get(url).status_code == 404


# ----------------------------------------------------------------------------------------------- verification


def test_only_the_verifying_department_gets_the_form_and_may_post(as_user, make_finding, users, media):
    finding = make_finding(account="inst_1")
    rectification = rectification_submit(users["inst_1"], finding, "已整改", [photo()])
    detail = reverse("finding-detail", args=[finding.pk])
    fire = as_user("fire_heping").get(detail).content.decode()
    assert 'data-testid="verify-form"' in fire and "已整改" in fire
    assert finding.pk in row_ids(as_user("fire_heping").get(reverse("finding-verify-queue")).content.decode())

    civil = as_user("civil_heping")
    assert 'data-testid="verify-form"' not in civil.get(detail).content.decode()
    assert finding.pk not in row_ids(civil.get(reverse("finding-verify-queue")).content.decode())
    civil.post(reverse("finding-verify", args=[finding.pk]), {"rectification": rectification.pk, "accepted": "1"})
    finding.refresh_from_db()
    assert finding.state == FindingState.SUBMITTED
    # 市场监管 has no duty in fire safety: the finding does not exist for it.
    assert as_user("market_heping").post(reverse("finding-verify", args=[finding.pk]),
                                         {"rectification": rectification.pk, "accepted": "1"}).status_code == 404

    as_user("fire_heping").post(reverse("finding-verify", args=[finding.pk]),
                                {"rectification": rectification.pk, "accepted": "1", "note": "复查合格"})
    finding.refresh_from_db()
    assert finding.state == FindingState.CLOSED


# ----------------------------------------------------------------------------------------------- referrals


def test_referral_pages(as_user, make_finding, users):
    finding = make_finding(domain="medical_health", by="market_regulation", verifying_department=None,
                           found_on=timezone.localdate())
    client = as_user("market_heping")
    html = client.get(reverse("referral-list")).content.decode()
    assert 'data-testid="to-refer"' in html and f"#{finding.pk}" in html
    form = client.get(reverse("finding-refer", args=[finding.pk])).content.decode()
    assert "和平区卫生健康委员会" in form and "和平区消防救援支队" not in form  # only the competent
    # A department that is not competent is refused, naming the field, even if posted by hand.
    response = client.post(reverse("finding-refer", args=[finding.pk]), {
        "to_department": department("fire_rescue").pk, "kind": ReferralKind.TRANSFER, "reason": "医疗"})
    assert response.status_code == 200 and not finding.referrals.exists()
    response = client.post(reverse("finding-refer", args=[finding.pk]), {
        "to_department": department("health").pk, "kind": ReferralKind.TRANSFER, "reason": "内设医务室问题"})
    assert response.status_code == 302
    referral = finding.referrals.get()

    health = as_user("health_heping")
    html = health.get(reverse("referral-list")).content.decode()
    assert f'data-referral="{referral.pk}"' in html
    health.post(reverse("referral-action", args=[referral.pk, "accept"]))
    health.post(reverse("referral-action", args=[referral.pk, "answer"]), {"text": "已督促整改"})
    referral.refresh_from_db()
    assert referral.state == ReferralState.ANSWERED
    assert as_user("civil_hexi").get(reverse("referral-detail", args=[referral.pk])).status_code == 404


# ----------------------------------------------------------------------------------------------- supervised cases


def test_public_supervised_cases_show_no_personal_data_and_drop_when_lifted(client, make_finding, users, media):
    # inst_1 (颐养院): the demo city's supervised hazard is at another institution.
    finding = make_finding(account="inst_1", severity=Severity.MAJOR, text="消防控制室无人值守，自动报警系统故障")
    case = supervised_case_open(users["fire_heping"], finding, supervising_department_for(finding),
                                "限期消除重大火灾隐患", add_working_days(timezone.localdate(), 20))
    html = client.get(reverse("public-supervised-cases")).content.decode()
    assert finding.institution.name in html and "和平区人民政府" in html
    for private in ("陈刚", "fire_heping", "限期消除重大火灾隐患", finding.text):
        assert private not in html
    rectification_verify(users["fire_heping"], rectification_submit(users["inst_1"], finding, "已修复", []), True)
    supervised_case_lift(users["leader_heping"], case, "已销号")
    assert finding.institution.name not in client.get(reverse("public-supervised-cases")).content.decode()


def test_staff_supervised_case_list_is_restricted(as_user, make_finding, users):
    finding = make_finding(account="inst_3", severity=Severity.MAJOR)
    case = supervised_case_open(users["fire_heping"], finding, supervising_department_for(finding), "督办",
                                add_working_days(timezone.localdate(), 20))
    assert f'data-case="{case.pk}"' in as_user("leader_heping").get(reverse("supervised-case-list")).content.decode()
    assert f'data-case="{case.pk}"' not in as_user("civil_hexi").get(reverse("supervised-case-list")).content.decode()


# ----------------------------------------------------------------------------------------------- three lists


def _sheet(content: bytes) -> list[list]:
    wb = load_workbook(BytesIO(content), read_only=True)
    return [["" if v is None else v for v in row] for row in wb.worksheets[0].iter_rows(values_only=True)]


@pytest.mark.parametrize("kind", [lists.PROBLEMS, lists.RECTIFICATION, lists.RESPONSIBILITY])
def test_excel_opens_and_matches_the_page(as_user, make_finding, users, media, kind):
    finding = make_finding(account="inst_3", severity=Severity.MAJOR)
    rectification_submit(users["inst_3"], finding, "整改措施：已更换", [])
    supervised_case_open(users["fire_heping"], finding, supervising_department_for(finding), "督办",
                         add_working_days(timezone.localdate(), 20))
    client = as_user("fire_heping")
    query = {"institution": finding.institution_id, "domain": "fire_safety"}
    html = client.get(reverse("finding-lists", args=[kind]), query).content.decode()
    response = client.get(reverse("finding-lists-export", args=[kind]), query)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = _sheet(response.content)
    expected_ids = list(lists.list_queryset(users["fire_heping"], kind, institution=finding.institution_id,
                                            domain=finding.domain).values_list("pk", flat=True))
    assert row_ids(html) == expected_ids == [row[0] for row in sheet[1:]]
    assert finding.pk in expected_ids
    assert sheet[0] == [c.header for c in lists.columns(kind)]
    for header in sheet[0]:
        assert f">{header}<" in html
    mine = next(row for row in sheet[1:] if row[0] == finding.pk)
    for cell in mine[1:]:
        if cell != "":
            assert str(cell) in html.replace("&quot;", '"').replace("&#x27;", "'")
    if kind == lists.RESPONSIBILITY:
        assert "整改措施：已更换" in mine and "和平区人民政府" in mine and "和平区消防救援支队" in mine


def test_lists_follow_restrict(as_user, make_finding, users):
    finding = make_finding(account="inst_1")
    assert finding.pk in row_ids(as_user("civil_heping").get(reverse("finding-lists", args=["problems"]),
                                                              {"institution": finding.institution_id}).content.decode())
    for username in ("civil_hexi", "market_heping"):
        client = as_user(username)
        html = client.get(reverse("finding-lists", args=["problems"]), {"institution": finding.institution_id})
        assert finding.pk not in row_ids(html.content.decode())
        sheet = _sheet(client.get(reverse("finding-lists-export", args=["problems"])).content)
        assert finding.pk not in [row[0] for row in sheet[1:]]
        assert set(r[0] for r in sheet[1:]) <= set(Finding.objects.restrict(users[username]).values_list(
            "pk", flat=True))


def test_rectification_list_holds_only_unresolved(as_user, make_finding, users, media):
    closed = make_finding(account="inst_1")
    rectification_verify(users["fire_heping"], rectification_submit(users["inst_1"], closed, "已整改", []), True)
    open_ = make_finding(account="inst_1", found_on=dt.date(2026, 11, 2), working_days=5)
    ids = row_ids(as_user("fire_heping").get(reverse("finding-lists", args=["rectification"]),
                                             {"institution": open_.institution_id}).content.decode())
    assert open_.pk in ids and closed.pk not in ids


# ----------------------------------------------------------------------------------------------- query counts


def _counted_finding(make_finding, users):
    """A major hazard with a rectification and its evidence, a supervised case and a suspension order: every
    relation the list pages read."""
    from inspections.services import suspension_order_issue

    finding = make_finding(account="inst_3", severity=Severity.MAJOR, text="计数用问题")
    rectification_submit(users["inst_3"], finding, "已整改", [photo()])
    supervised_case_open(users["fire_heping"], finding, supervising_department_for(finding), "督办",
                         add_working_days(timezone.localdate(), 20))
    suspension_order_issue(users["fire_heping"], finding, "停业整顿")
    return finding


@pytest.mark.parametrize("url_name, args", [
    ("finding-lists", ["problems"]), ("finding-lists", ["responsibility"]), ("finding-verify-queue", []),
    ("supervised-case-list", []), ("suspension-order-list", []), ("finding-mine", []), ("referral-list", []),
])
def test_list_pages_cost_the_same_for_one_row_and_many(as_user, make_finding, users, media, url_name, args,
                                                       django_assert_max_num_queries):
    client = as_user("inst_3" if url_name == "finding-mine" else "fire_heping")
    url = reverse(url_name, args=args)
    counts = []
    for extra in (1, 5):
        for _ in range(extra):
            _counted_finding(make_finding, users)
        client.get(url)  # warm the caller's access context
        # At most 12 whatever the rows: session, user, identity, the login-session record, the restricted page
        # (and its count), its prefetches, the department's filter choices; never one per row. (The department's
        # own scope, which the referral list reads, is cached per kind: agencies.access.kind_clauses.)
        with django_assert_max_num_queries(12) as captured:
            assert client.get(url, {"institution": _inst(users["inst_3"]).pk}).status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1], counts


def _inst(user):
    from institutions.models import Institution

    return Institution.objects.restrict(user).get()
