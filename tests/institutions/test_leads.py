"""Leads on operators running without filing or registration (seed 001; seed 003 一(二); seed 004 2.6)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from agencies.access import explain
from agencies.models import AuditEvent, Department, Region
from institutions.choices import LeadOutcome, LeadSource, LeadState
from institutions.models import Lead
from institutions.services.records import lead_close, lead_create, lead_record_check

pytestmark = pytest.mark.django_db


def make_lead(actor, district="120101", registered=False, discovered_on=dt.date(2026, 9, 28), name="无名托老所"):
    return lead_create(actor, operator_name=name, address="某路1号", region=Region.objects.get(code=district),
                       registered=registered, source=LeadSource.GRID, description="网格员发现收住老年人",
                       discovered_on=discovered_on)


def test_due_in_twenty_working_days_past_national_day(users):
    lead = make_lead(users["civil_heping"])
    # 2026-10-01..07 are the National Day holiday and 2026-10-10 (Saturday) a make-up working day.
    assert lead.due_date == dt.date(2026, 10, 30)
    assert lead.domain.code == "registration_filing"
    assert lead.state == LeadState.OPEN
    assert lead.department == Department.objects.get(kind__code="civil_affairs", region__code="120101")
    assert AuditEvent.objects.filter(verb="lead.create", object_id=str(lead.pk)).exists()



def test_who_sees_an_unregistered_lead(users, client):
    lead = make_lead(users["civil_heping"])
    # Read from the engine: 000任务17 (民政) and 000任务16 (市场监管) cover unregistered operators in 和平区.
    assert "000任务17" in {r.reference for r in explain(users["civil_heping"], lead)}
    assert "000任务16" in {r.reference for r in explain(users["market_heping"], lead)}
    assert explain(users["fire_heping"], lead) == []
    visible = lambda name: Lead.objects.restrict(users[name], "view").filter(pk=lead.pk).exists()  # noqa: E731
    assert visible("civil_heping") and visible("market_heping")
    assert not visible("fire_heping") and not visible("civil_hexi")
    url = reverse("records-lead-detail", args=[lead.pk])
    for name, status in [("civil_heping", 200), ("market_heping", 200), ("fire_heping", 404), ("civil_hexi", 404)]:
        client.force_login(users[name])
        assert client.get(url).status_code == status, name


def test_out_of_scope_department_cannot_create(users):
    with pytest.raises(PermissionDenied):
        make_lead(users["civil_hexi"], district="120101")
    assert not Lead.objects.filter(operator_name="无名托老所").exists()


def test_transitions(users):
    lead = make_lead(users["civil_heping"])
    with pytest.raises(PermissionDenied):
        lead_record_check(users["fire_heping"], lead, dt.date(2026, 10, 9), "x")
    lead = lead_record_check(users["civil_heping"], lead, dt.date(2026, 10, 9), "现场收住老人12名，无登记")
    assert lead.state == LeadState.CHECKED
    with pytest.raises(ValidationError):
        lead_record_check(users["civil_heping"], lead, dt.date(2026, 10, 10), "again")
    lead = lead_close(users["civil_heping"], lead, LeadOutcome.REFERRED_MARKET, "无证无照，移交市场监管")
    assert lead.state == LeadState.CLOSED and not lead.publicly_listed
    assert lead.referred_to == Department.objects.get(kind__code="market_regulation", region__code="120101")
    with pytest.raises(ValidationError):
        lead_close(users["civil_heping"], lead, LeadOutcome.CLOSED_DOWN, "again")
    with pytest.raises(ValidationError):
        lead_record_check(users["civil_heping"], lead, dt.date(2026, 10, 12), "after close")


def test_open_lead_may_close_directly_and_referral_goes_to_establishment_office(users):
    lead = make_lead(users["civil_heping"], name="某事业单位托老点")
    lead = lead_close(users["civil_heping"], lead, LeadOutcome.REFERRED_ESTABLISHMENT, "未登记事业单位")
    assert lead.referred_to.kind.code == "establishment_office"
    assert lead.referred_to.region.code == "120101"


def test_non_referral_outcome_takes_no_department(users):
    lead = make_lead(users["civil_heping"])
    other = Department.objects.get(kind__code="market_regulation", region__code="120101")
    with pytest.raises(ValidationError):
        lead_close(users["civil_heping"], lead, LeadOutcome.CLOSED_DOWN, "x", referred_to=other)
    lead.refresh_from_db()
    assert lead.state == LeadState.OPEN


def test_public_unfiled_list(users, client):
    open_lead = make_lead(users["civil_heping"], name="公开名单托老所")
    closed = make_lead(users["civil_heping"], name="已取缔托老所")
    lead_close(users["civil_heping"], closed, LeadOutcome.CLOSED_DOWN, "已取缔")
    hidden = make_lead(users["civil_heping"], name="不公开托老所")
    Lead.objects.filter(pk=hidden.pk).update(publicly_listed=False)
    page = client.get(reverse("public-unfiled")).content.decode()
    assert open_lead.operator_name in page and "和平区" in page
    assert closed.operator_name not in page and hidden.operator_name not in page
    assert "网格员发现收住老年人" not in page  # the lead's description stays internal


@pytest.mark.parametrize("rows", [1, 12])
def test_lead_list_constant_queries(users, client, django_assert_max_num_queries, rows):
    for n in range(rows):
        make_lead(users["civil_heping"], name=f"托老所{n}")
    client.force_login(users["civil_heping"])
    with django_assert_max_num_queries(6):  # session, user, hand-offs, count, page, filter choices
        response = client.get(reverse("records-lead-list"))
    assert response.status_code == 200
    assert "托老所0" in response.content.decode()


@pytest.mark.parametrize("rows", [1, 12])
def test_public_list_constant_queries(users, client, django_assert_max_num_queries, rows):
    for n in range(rows):
        make_lead(users["civil_heping"], name=f"公开托老所{n}")
    with django_assert_max_num_queries(2):
        response = client.get(reverse("public-unfiled"))
    assert "公开托老所0" in response.content.decode()


def test_overdue_lead_is_highlighted(users, client):
    lead = make_lead(users["civil_heping"], discovered_on=dt.date(2025, 1, 6), name="逾期托老所")
    client.force_login(users["civil_heping"])
    page = client.get(reverse("records-lead-list")).content.decode()
    assert f'data-lead="{lead.pk}" class="table-danger"' in page


def test_create_and_close_through_pages(users, client):
    client.force_login(users["civil_heping"])
    response = client.post(reverse("records-lead-create"), {
        "operator_name": "页面托老所", "address": "某路3号", "region": Region.objects.get(code="120101").pk,
        "registered": "", "source": LeadSource.COMPLAINT, "description": "投诉反映", "discovered_on": "2026-09-28",
        "uscc": ""})
    lead = Lead.objects.get(operator_name="页面托老所")
    assert response.status_code == 302 and lead.due_date == dt.date(2026, 10, 30)
    client.post(reverse("records-lead-check", args=[lead.pk]), {"checked_on": "2026-10-09", "notes": "已检查"})
    client.post(reverse("records-lead-close", args=[lead.pk]),
                {"outcome": LeadOutcome.REFERRED_MARKET, "note": "移交"})
    lead.refresh_from_db()
    assert lead.state == LeadState.CLOSED and lead.referred_to.kind.code == "market_regulation"


def test_api_leads_restricted_and_public_list(users, api):
    lead = make_lead(users["civil_heping"], name="接口托老所")
    url = f"/api/v1/leads/{lead.pk}/"
    body = api("market_heping").get(url).json()
    assert body["domain"] == "registration_filing" and body["operator_name"] == "接口托老所"
    assert api("fire_heping").get(url).status_code == 404
    assert api("civil_hexi").get(url).status_code == 404
    public = api().get("/api/v1/public/unfiled-operators/").json()
    rows = public["results"] if isinstance(public, dict) else public
    row = next(r for r in rows if r["id"] == lead.pk)
    assert set(row) == {"id", "operator_name", "district", "address", "state"} and row["district"] == "和平区"


def test_admin_lists_leads_read_only(users, client):
    lead = make_lead(users["civil_heping"], name="后台托老所")
    client.force_login(users["admin"])
    page = client.get(reverse("admin:institutions_lead_changelist")).content.decode()
    assert "后台托老所" in page
    assert client.get(reverse("admin:institutions_lead_add")).status_code == 403
    assert client.get(reverse("admin:institutions_lead_change", args=[lead.pk])).status_code == 200
