"""Handling and answering, personal data (PIPL art. 6, 28), the hand-overs, deadlines and the API."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from agencies.models import AuditEvent, Department
from complaints import crypto
from complaints.choices import ComplaintState, NotificationKind
from complaints.models import Complaint, ComplaintNotification
from complaints.services import (
    complaint_acknowledge,
    complaint_answer,
    complaint_check_deadlines,
    complaint_open_lead,
    complaint_request_case_inspection,
    complaint_route,
    complaint_submit,
)
from complaints.signals import case_inspection_requested, complaint_substantiated
from institutions.choices import LeadSource

from .conftest import png_bytes, upload

pytestmark = pytest.mark.django_db
NAME, PHONE = "王某某", "13812345678"


def dept(kind, district="120101"):
    return Department.objects.get(kind__code=kind, region__code=district)


def routed(submit, users, category="food", kind="market_regulation"):
    complaint, secret = submit(category=category, files=[upload("p.png", png_bytes(), "image/png")])
    complaint_route(users["civil_heping"], complaint, dept(kind))
    return complaint, secret


def test_institution_never_sees_the_complaint_or_the_complainant(submit, users, client, api, heping_home):
    complaint, _secret = routed(submit, users)
    institution_account = next(u for u in (users[f"inst_{n}"] for n in range(1, 5))
                               if Complaint.objects.filter(institution=heping_home).exists()
                               and u.first_name == heping_home.name)
    assert not Complaint.objects.restrict(institution_account, "view").exists()
    assert not institution_account.has_perm("complaints.view_complaint", complaint)
    client.force_login(institution_account)
    for url in (reverse("complaint-detail", args=[complaint.pk]), reverse("complaint-list"),
                reverse("complaint-statistics"),
                reverse("complaint-attachment", args=[complaint.pk, complaint.attachments.get().pk])):
        response = client.get(url)
        assert response.status_code in (200, 404)
        assert NAME not in response.content.decode() and PHONE not in response.content.decode()
        assert complaint.code not in response.content.decode()
    response = api(institution_account.username).get("/api/v1/complaints/")
    assert response.status_code == 200 and response.json()["count"] == 0
    assert api(institution_account.username).get(f"/api/v1/complaints/{complaint.pk}/").status_code == 404
    # Notifications go to departments only, and never carry the complainant.
    notifications = ComplaintNotification.objects.filter(complaint=complaint)
    assert notifications.exists()
    for n in notifications:
        assert NAME not in n.subject + n.body and PHONE not in n.subject + n.body
        assert n.department.kind.code != "institution"


def test_complainant_shown_to_intake_and_handler_masked_elsewhere_every_read_logged(submit, users, client, api):
    complaint, _secret = routed(submit, users)
    url = reverse("complaint-detail", args=[complaint.pk])
    for name in ("civil_heping", "market_heping"):
        before = AuditEvent.objects.filter(verb="complaint.read_personal_data", object_id=str(complaint.pk)).count()
        client.force_login(users[name])
        html = client.get(url).content.decode()
        assert NAME in html and PHONE in html, name
        body = api(name).get(f"/api/v1/complaints/{complaint.pk}/").json()
        assert body["complainant"] == {"name": NAME, "phone": PHONE}
        assert body["institution"] == complaint.institution_id and body["domain"] == "complaints"
        after = AuditEvent.objects.filter(verb="complaint.read_personal_data", object_id=str(complaint.pk))
        assert after.count() == before + 2 and after.order_by("id").last().actor == users[name]
    # The city bureau and the district government read the complaint, masked; no audit row for them.
    for name in ("civil_city", "leader_heping"):
        client.force_login(users[name])
        html = client.get(url).content.decode()
        assert PHONE not in html and NAME not in html and "138****5678" in html and "王**" in html
        listed = api(name).get("/api/v1/complaints/").json()["results"]
        assert [c["complainant"] for c in listed if c["id"] == complaint.pk] == [{"name": "王**",
                                                                                  "phone": "138****5678"}]
        assert client.get(reverse("complaint-attachment",
                                  args=[complaint.pk, complaint.attachments.get().pk])).status_code == 404
    assert not AuditEvent.objects.filter(verb="complaint.read_personal_data",
                                         actor__username__in=["civil_city", "leader_heping"]).exists()
    # Attachments: served through the checked view to the handler, audited.
    client.force_login(users["market_heping"])
    response = client.get(reverse("complaint-attachment", args=[complaint.pk, complaint.attachments.get().pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert AuditEvent.objects.filter(verb="complaint.read_attachment", actor=users["market_heping"]).exists()


def test_phone_is_encrypted_at_rest(submit):
    complaint, _secret = submit()
    raw = Complaint.objects.filter(pk=complaint.pk).values_list("complainant_phone_encrypted", flat=True).get()
    assert PHONE not in raw and crypto.decrypt(raw) == PHONE


def test_substantiated_answer_sends_the_signal_after_commit(submit, users, django_capture_on_commit_callbacks):
    complaint, _secret = routed(submit, users)
    received = []

    def listener(sender, **kwargs):
        received.append(kwargs)

    complaint_substantiated.connect(listener)
    try:
        complaint_acknowledge(users["market_heping"], complaint)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            complaint_answer(users["market_heping"], complaint, "partly", "责令整改", "部分属实，已责令整改。")
        assert received == []  # not before commit
        for callback in callbacks:
            callback()
        # New information reopens it; the second answer does not count against the institution twice.
        from complaints.services import complaint_add_info

        complaint_add_info(complaint, "又发生了一次。")
        with django_capture_on_commit_callbacks(execute=True):
            complaint_answer(users["market_heping"], complaint, "substantiated", "再次整改", "属实，已再次责令整改。")
    finally:
        complaint_substantiated.disconnect(listener)
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.ANSWERED
    assert received == [{"signal": complaint_substantiated, "complaint_id": complaint.pk,
                         "institution_id": complaint.institution_id, "domain_code": "food_safety",
                         "decided_on": complaint.decided_on}]


def test_not_substantiated_sends_nothing_and_only_the_lead_answers(submit, users, django_capture_on_commit_callbacks):
    complaint, _secret = submit(category="food")
    complaint_route(users["civil_heping"], complaint, dept("market_regulation"), [dept("health")])
    with pytest.raises(PermissionDenied):
        complaint_answer(users["health_heping"], complaint, "not_substantiated", "", "经核查不属实。")
    with pytest.raises(ValidationError) as err:
        complaint_answer(users["market_heping"], complaint, "substantiated", "", "属实。")
    assert "measures" in err.value.message_dict
    received = []

    def listener(sender, **kwargs):
        received.append(kwargs)

    complaint_substantiated.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            complaint_answer(users["market_heping"], complaint, "not_substantiated", "", "经核查不属实。")
    finally:
        complaint_substantiated.disconnect(listener)
    assert received == []


def test_one_click_lead_for_an_unknown_operator(users, client):
    from agencies.models import Region

    complaint, _secret, _created = complaint_submit(
        category="unlicensed", region=Region.objects.get(code="120101"), operator_name="幸福托老点",
        operator_address="和平区某里5号", description="居民楼里开了托老点，收了七八位老人，没有任何牌照。")
    client.force_login(users["civil_heping"])
    assert client.post(reverse("complaint-open-lead", args=[complaint.pk])).status_code == 302
    complaint.refresh_from_db()
    lead = complaint.lead
    assert lead.operator_name == "幸福托老点" and lead.source == LeadSource.COMPLAINT and not lead.registered
    assert complaint.code in lead.description
    with pytest.raises(ValidationError):
        complaint_open_lead(users["civil_heping"], complaint)


def test_case_inspection_is_opened_recorded_and_signalled(submit, users, django_capture_on_commit_callbacks):
    complaint, _secret = routed(submit, users, category="fire", kind="fire_rescue")
    received = []

    def listener(sender, **kwargs):
        received.append(kwargs)

    case_inspection_requested.connect(listener)
    try:
        with pytest.raises(PermissionDenied):
            complaint_request_case_inspection(users["market_heping"], complaint)
        with django_capture_on_commit_callbacks(execute=True):
            complaint_request_case_inspection(users["fire_heping"], complaint)
    finally:
        case_inspection_requested.disconnect(listener)
    complaint.refresh_from_db()
    assert complaint.case_inspection_requested_at is not None
    assert AuditEvent.objects.filter(verb="complaint.request_case_inspection", actor=users["fire_heping"]).exists()
    assert received == [{"signal": case_inspection_requested, "complaint_id": complaint.pk}]
    # An unannounced case inspection by two of the fire department's inspectors, no notice.
    from inspections.choices import InspectionKind

    inspection = complaint.case_inspection
    assert inspection.kind == InspectionKind.CASE and inspection.institution_id == complaint.institution_id
    assert inspection.notice_due is None and complaint.code in inspection.origin
    assert inspection.lead_department == users["fire_heping"].staff_profile.department
    assert inspection.inspectors.count() == 2
    assert {i.department_id for i in inspection.inspectors.all()} == {inspection.lead_department_id}


def test_reminder_before_and_escalation_after_the_deadline(submit, users):
    complaint, _secret = routed(submit, users)
    ComplaintNotification.objects.all().delete()
    due = complaint.answer_due
    # The demo city's complaints fall due too: look at this one's notifications.
    mine = ComplaintNotification.objects.filter(complaint=complaint)
    complaint_check_deadlines(today=due - dt.timedelta(days=10))
    assert not mine.exists()  # too early for a reminder
    result = complaint_check_deadlines(today=due - dt.timedelta(days=1))
    assert result["reminded"] >= 1
    assert [(n.kind, n.department) for n in mine] == [(NotificationKind.REMINDER, dept("market_regulation"))]
    complaint_check_deadlines(today=due - dt.timedelta(days=1))
    assert mine.count() == 1  # once
    result = complaint_check_deadlines(today=due + dt.timedelta(days=1))
    assert result["escalated"] >= 1
    escalation = mine.get(kind=NotificationKind.ESCALATION)
    assert escalation.leaders_only and escalation.department == dept("market_regulation")


def _reset_pools(app):
    """Forget the app's cached pools, so the next publish connects to the broker URL now configured."""
    # Not force_close_all(): kombu's global registry keeps that pool for the next test using the same URL.
    app._pool = None
    app.amqp._producer_pool = None


def test_notifications_survive_an_unreachable_broker(submit, users, settings, django_capture_on_commit_callbacks):
    """Redis stopped: the complaint is accepted, its announcement waits in the outbox; once the broker is back
    the sweep delivers it, and the intake bureau's notification follows."""
    from agencies.choices import OutboxState
    from agencies.models import OutboxMessage
    from complaints.tasks import announce_complaint_received
    from portal.celery import app

    users["civil_heping"].email = "civil_heping@example.org"
    users["civil_heping"].save()
    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url", "broker_connection_timeout",
                                              "broker_connection_retry", "broker_connection_max_retries")}
    app.conf.update(task_always_eager=False, broker_url="redis://127.0.0.1:1/0", broker_connection_timeout=1,
                    broker_connection_retry=False, broker_connection_max_retries=0)
    _reset_pools(app)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            complaint, _secret = submit(category="fire")
    finally:
        app.conf.update(**saved)
        _reset_pools(app)
    assert Complaint.objects.filter(pk=complaint.pk).exists()
    announcement = OutboxMessage.objects.get(task=announce_complaint_received.name, args=[complaint.pk])
    assert (announcement.state, announcement.attempts) == (OutboxState.PENDING, 0)
    assert not ComplaintNotification.objects.filter(complaint=complaint).exists()
    assert mail.outbox == []
    # The broker is back: the periodic sweep delivers the announcement; the notification it writes is queued after
    # that delivery commits.
    from agencies.broker import resume
    from agencies.tasks import sweep_outbox

    resume()  # the sweep runs on a worker, which has not met the broker down as this process has
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_outbox.apply().get()["sent"] == 1  # as the beat-scheduled run on a worker
    announcement.refresh_from_db()
    assert (announcement.state, announcement.attempts) == (OutboxState.SENT, 1)
    pending = ComplaintNotification.objects.get(complaint=complaint)
    assert pending.department == dept("civil_affairs")
    assert pending.sent_at is not None and pending.attempts == 1
    sent = [m for m in mail.outbox if m.subject == pending.subject]  # (the portal's new-work e-mail aside)
    assert [m.to for m in sent] == [["civil_heping@example.org"]]
    assert complaint.code in sent[0].subject and NAME not in sent[0].body
    assert sweep_outbox.apply().get()["sent"] == 0  # nothing twice


def test_staff_list_query_count_is_flat(submit, users, client, django_assert_max_num_queries):
    """The same bound for one row and for many (the lead department and the institution come in the page's query)."""
    for n in range(10):
        submit(category="fees", description=f"第{n}件：收费不透明，额外收取费用。")
    client.force_login(users["civil_heping"])
    url = reverse("complaint-list")
    client.get(url)  # warm the access context, as a running server has it
    counts = []
    for query in ("?q=第0件", "?q=收费不透明"):
        with django_assert_max_num_queries(12) as captured:
            response = client.get(url + query)
        counts.append(len(captured.captured_queries))
        rows = response.content.decode().count('data-testid="complaint-row"')
        assert rows == (1 if query == "?q=第0件" else 10)
    assert counts[0] == counts[1]
    for view in ("intake", "mine", "overdue"):
        assert client.get(url + f"?view={view}").status_code == 200


def test_api_list_query_count_is_flat(submit, api, django_assert_max_num_queries):
    for n in range(10):
        submit(category="fees", description=f"第{n}件：收费不透明，额外收取费用。")
    client = api("civil_heping")
    client.get("/api/v1/complaints/")
    counts = []
    for size in (1, 10):
        # 5: the token, the user's hand-offs, COUNT(*), the page and its prefetch.
        with django_assert_max_num_queries(5) as captured:
            body = client.get("/api/v1/complaints/", {"page_size": size}).json()
        counts.append(len(captured.captured_queries))
        assert len(body["results"]) == size
        assert all(row["domain"] == "complaints" and "institution" in row for row in body["results"])
    assert counts[0] == counts[1]


def test_api_route_and_answer(submit, users, api):
    complaint, _secret = submit(category="food")
    market = dept("market_regulation")
    assert api("market_heping").post(f"/api/v1/complaints/{complaint.pk}/answer/", {
        "outcome": "substantiated", "measures": "x", "reply": "y"}).status_code == 404
    response = api("civil_heping").post(f"/api/v1/complaints/{complaint.pk}/route/",
                                        {"lead_department": market.pk}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "routed"
    response = api("market_heping").post(f"/api/v1/complaints/{complaint.pk}/answer/", {
        "outcome": "substantiated", "measures": "责令整改", "reply": "已核实并责令整改。"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "answered"


def test_public_api_submit_and_track(api, heping_home):
    client = api()
    captcha = client.get("/api/v1/public/complaints/captcha/").json()
    import re

    a, op, b = re.search(r"(\d+) (加|减) (\d+)", captcha["question"]).groups()
    answer = int(a) + int(b) if op == "加" else int(a) - int(b)
    response = client.post("/api/v1/public/complaints/", {
        "category": "fees", "institution": heping_home.pk, "description": "收费项目与合同不一致，多收了费用。",
        "captcha_token": captcha["token"], "captcha_answer": str(answer)}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    tracked = client.post("/api/v1/public/complaints/track/", {"code": body["code"], "secret": body["secret"]},
                          format="json")
    assert tracked.status_code == 200 and tracked.json()["state"] == "submitted"
    assert client.post("/api/v1/public/complaints/track/", {"code": body["code"], "secret": "X"},
                       format="json").status_code == 404
    bad = client.post("/api/v1/public/complaints/", {"category": "fees", "description": "短",
                                                     "captcha_token": "x", "captcha_answer": "1"}, format="json")
    assert bad.status_code == 400


def test_admin_is_read_only_and_never_shows_the_complainant(submit, users, client):
    complaint, _secret = submit(category="fees")
    client.force_login(users["admin"])
    listing = client.get(reverse("admin:complaints_complaint_changelist"))
    assert listing.status_code == 200 and complaint.code in listing.content.decode()
    detail = client.get(reverse("admin:complaints_complaint_change", args=[complaint.pk])).content.decode()
    assert complaint.code in detail and NAME not in detail and PHONE not in detail
    assert client.get(reverse("admin:complaints_complaint_add")).status_code == 403
    outbox = client.get(reverse("admin:complaints_complaintnotification_changelist"))
    assert outbox.status_code == 200 and NAME not in outbox.content.decode()


def test_statistics_count_only_what_the_department_may_see(submit, users, client):
    from complaints.selectors import statistics

    submit(category="fire")
    heping = statistics(users["civil_heping"])
    hexi = statistics(users["civil_hexi"])
    city = statistics(users["civil_city"])
    assert {row["region__code"] for row in heping["by_district"]} == {"120101"}
    assert {row["region__code"] for row in hexi["by_district"]} == {"120103"}
    assert city["total"] == heping["total"] + hexi["total"]
    assert statistics(users["fire_heping"])["total"] == 0  # nothing routed to it
    client.force_login(users["civil_heping"])
    html = client.get(reverse("complaint-statistics")).content.decode()
    assert "消防隐患" in html and "和平区" in html and "河西区" not in html
