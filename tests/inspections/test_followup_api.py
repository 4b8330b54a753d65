"""The API of what follows a finding: the same services and the same restrict() as the pages."""

import pytest
from django.utils import timezone

from agencies.calendar import add_working_days
from inspections.choices import FindingState, ReferralState, Severity, SuspensionState
from inspections.models import SuspensionOrder
from inspections.services import rectification_submit, supervised_case_open, suspension_order_issue
from inspections.services.findings import supervising_department_for

from .conftest import department, photo

pytestmark = pytest.mark.django_db


def test_institution_submits_and_the_verifier_verifies(api, make_finding, media):
    finding = make_finding(account="inst_1")
    # Another institution's finding does not exist for this account.
    other = make_finding(account="inst_2")
    response = api("inst_1").post("/api/v1/rectifications/", {"finding": other.pk, "measures": "x"},
                                  format="multipart")
    assert response.status_code == 400 and "finding" in response.json()

    response = api("inst_1").post("/api/v1/rectifications/", {
        "finding": finding.pk, "measures": "已清理通道", "evidence": [photo("a.png"), photo("b.png")]},
        format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["institution"] == finding.institution_id and body["domain"] == "fire_safety"
    assert len(body["evidence"]) == 2 and body["finding_state"] == FindingState.SUBMITTED
    assert "file" not in body["evidence"][0]

    url = f"/api/v1/rectifications/{body['id']}/verify/"
    assert api("civil_heping").post(url, {"accepted": True}, format="json").status_code == 403
    assert api("market_heping").post(url, {"accepted": True}, format="json").status_code == 404
    response = api("fire_heping").post(url, {"accepted": False}, format="json")
    assert response.status_code == 400 and "note" in response.json()
    response = api("fire_heping").post(url, {"accepted": True, "note": "合格"}, format="json")
    assert response.status_code == 200 and response.json()["finding_state"] == FindingState.CLOSED
    # A second decision is refused, naming why.
    response = api("fire_heping").post(url, {"accepted": False, "note": "再看"}, format="json")
    assert response.status_code == 400


def test_rectifications_follow_their_findings_scope(api, make_finding, users, media):
    finding = make_finding(account="inst_1")
    rectification = rectification_submit(users["inst_1"], finding, "已整改", [])
    for username, visible in (("inst_1", True), ("fire_heping", True), ("inst_2", False), ("civil_hexi", False)):
        ids = [r["id"] for r in api(username).get("/api/v1/rectifications/", {"page_size": 200}).json()["results"]]
        assert (rectification.pk in ids) is visible, username
        status = api(username).get(f"/api/v1/rectifications/{rectification.pk}/").status_code
        assert status == (200 if visible else 404)


def test_referral_actions(api, make_finding):
    finding = make_finding(domain="medical_health", by="civil_affairs")
    response = api("civil_heping").post("/api/v1/referrals/", {
        "finding": finding.pk, "to_department": department("fire_rescue").pk, "reason": "医疗"}, format="json")
    assert response.status_code == 400 and "to_department" in response.json()
    response = api("civil_heping").post("/api/v1/referrals/", {
        "finding": finding.pk, "to_department": department("health").pk, "kind": "transfer",
        "reason": "内设医务室问题"}, format="json")
    assert response.status_code == 201, response.content
    referral = response.json()
    assert referral["institution"] == finding.institution_id and referral["domain"] == "medical_health"
    base = f"/api/v1/referrals/{referral['id']}/"
    assert api("civil_heping").post(base + "accept/").status_code == 403
    assert api("civil_hexi").post(base + "accept/").status_code == 404
    assert api("health_heping").post(base + "accept/").json()["state"] == ReferralState.ACCEPTED
    assert api("health_heping").post(base + "answer/", {"text": ""}, format="json").status_code == 400
    assert api("health_heping").post(base + "answer/", {"text": "已处理"}, format="json").json()["state"] == \
        ReferralState.ANSWERED


def test_supervised_cases_and_public_list(api, make_finding, users):
    finding = make_finding(account="inst_3", severity=Severity.MAJOR)
    deadline = add_working_days(timezone.localdate(), 20)
    response = api("fire_heping").post("/api/v1/supervised-cases/", {
        "finding": finding.pk, "supervising_department": supervising_department_for(finding).pk,
        "requirements": "限期整改", "deadline": deadline.isoformat()}, format="json")
    assert response.status_code == 201, response.content
    case = response.json()
    assert case["institution"] == finding.institution_id and case["domain"] == "fire_safety"
    public = api().get("/api/v1/public/supervised-cases/").json()["results"]
    row = next(r for r in public if r["id"] == case["id"])
    assert set(row) == {"id", "institution", "institution_name", "district", "domain", "hazard",
                        "supervising_department", "listed_on", "deadline"}
    assert row["supervising_department"] == "和平区人民政府" and "重大隐患" in row["hazard"]
    assert api("civil_hexi").get(f"/api/v1/supervised-cases/{case['id']}/").status_code == 404


def test_suspension_order_actions(api, make_finding, users):
    finding = make_finding()
    order = suspension_order_issue(users["fire_heping"], finding, "逾期未整改")
    url = f"/api/v1/suspension-orders/{order.pk}/lift/"
    assert api("civil_heping").post(url, {"text": "解除"}, format="json").status_code == 403
    response = api("fire_heping").post(url, {"text": "已整改，解除"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == SuspensionState.LIFTED
    assert response.json()["institution"] == finding.institution_id
    assert SuspensionOrder.objects.get(pk=order.pk).state == SuspensionState.LIFTED


def test_three_list_endpoints_match_the_lists(api, make_finding, users, media):
    from inspections import lists

    finding = make_finding(account="inst_3")
    for kind in (lists.PROBLEMS, lists.RECTIFICATION, lists.RESPONSIBILITY):
        body = api("fire_heping").get(f"/api/v1/finding-lists/{kind}/",
                                      {"institution": finding.institution_id, "page_size": 200}).json()
        expected = list(lists.list_queryset(users["fire_heping"], kind, institution=finding.institution_id)
                        .values_list("pk", flat=True))
        assert [r["finding"] for r in body["results"]] == expected and finding.pk in expected
        row = next(r for r in body["results"] if r["finding"] == finding.pk)
        assert row["institution"] == finding.institution_id and row["domain"] == "fire_safety"
        assert list(row["cells"]) == [c.header for c in lists.columns(kind)]
    assert api("fire_heping").get("/api/v1/finding-lists/nonsense/").status_code == 404


@pytest.mark.parametrize("url", ["/api/v1/rectifications/", "/api/v1/referrals/", "/api/v1/supervised-cases/",
                                 "/api/v1/suspension-orders/", "/api/v1/finding-lists/responsibility/",
                                 "/api/v1/public/supervised-cases/"])
def test_list_endpoints_cost_the_same_for_one_row_and_many(api, make_finding, users, media, url,
                                                            django_assert_max_num_queries):
    client = api(None if "/public/" in url else "fire_heping")
    for _ in range(3):
        finding = make_finding(account="inst_3", severity=Severity.MAJOR)
        rectification_submit(users["inst_3"], finding, "已整改", [photo()])
        supervised_case_open(users["fire_heping"], finding, supervising_department_for(finding), "督办",
                             add_working_days(timezone.localdate(), 20))
        suspension_order_issue(users["fire_heping"], finding, "停业整顿")
        from inspections.services import referral_send

        referral_send(users["fire_heping"], finding, department("civil_affairs"), "notify", "抄告")
    client.get(url)  # warm the access context
    counts = []
    for size in (1, 3):
        # session + user + COUNT + page + at most two prefetches (evidence; supervised cases of the rows).
        with django_assert_max_num_queries(7) as captured:
            response = client.get(url, {"page_size": size})
        assert response.status_code == 200 and len(response.json()["results"]) == size
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]
