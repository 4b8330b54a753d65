"""The duty catalog pages: the staff page, the public page (seed 001 row 7) and a page per duty."""

import csv
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies.models import Duty
from agencies.reference import DATA_DIR

pytestmark = pytest.mark.django_db


def csv_references(predicate) -> set[str]:
    """Duty references straight from the reference data, not through the code under test."""
    with open(DATA_DIR / "duties.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return {row["task_no"] if row["task_no"].startswith("001-") else f"000任务{row['task_no']}"
            for row in rows if predicate(row)}


def references(html: str) -> list[str]:
    return re.findall(r'<tr data-reference="([^"]+)">', html)


def get(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def staff(client, users):
    client.force_login(users["civil_heping"])
    return client


def test_public_catalog_needs_no_login_and_pages_all_duties(client):
    url = reverse("public-duty-catalog")
    first = get(client, url)
    second = get(client, url, page=2)
    assert "共 92 项职责" in first
    assert len(references(first)) == 50
    assert set(references(first)) | set(references(second)) == csv_references(lambda row: True)
    assert 'href="?page=2"' in first


def test_staff_catalog_needs_login(client):
    response = client.get(reverse("duty-catalog"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_staff_catalog_filters_by_department_kind(staff):
    html = get(staff, reverse("duty-catalog"), department_kind="fire_rescue")
    expected = csv_references(lambda row: "fire_rescue" in row["departments"].split(";"))
    assert len(expected) == 11
    assert set(references(html)) == expected
    assert len(references(html)) == len(expected)


def test_public_catalog_filters_by_domain_and_source(client):
    url = reverse("public-duty-catalog")
    html = get(client, url, domain="fire_safety")
    assert set(references(html)) == csv_references(lambda row: "fire_safety" in row["domains"].split(";"))
    html = get(client, url, domain="fire_safety", source_seed="001_22f67871987645f0.txt")
    assert set(references(html)) == csv_references(
        lambda row: "fire_safety" in row["domains"].split(";") and row["source_seed"].startswith("001"))


def test_keyword_and_action_filters(client):
    url = reverse("public-duty-catalog")
    assert references(get(client, url, q="001-7")) == ["001-7"]
    html = get(client, url, q="老人家食堂")
    assert "000任务4" in references(html)
    assert all("老人家食堂" in Duty.objects.get(pk=pk).text_clean + Duty.objects.get(pk=pk).requirement
               + Duty.objects.get(pk=pk).responsible_units for pk in re.findall(r'/public/catalog/(\d+)/', html))
    html = get(client, url, action="record_penalty")
    assert set(references(html)) == csv_references(lambda row: "record_penalty" in row["actions"].split(";"))


def test_row_shows_text_units_domains_actions_and_conditions(client):
    html = get(client, reverse("public-duty-catalog"), q="4", source_seed="000_213d2698732501f7.txt")
    duty = Duty.objects.get(source_seed="000_213d2698732501f7.txt", task_no="4")
    row = html.split('<tr data-reference="000任务4">', 1)[1].split("</tr>", 1)[0]
    assert duty.text[:30] in row
    assert duty.requirement in row
    assert duty.responsible_units in row
    assert '<span class="badge portal-domain me-1 mb-1">食品安全</span>' in row
    assert "查看" in row and "检查" in row  # actions as Chinese labels, not codes
    assert "record_finding" not in row
    assert "设有食堂/老年餐桌" in row  # applies_if as its Chinese label
    assert "provides_meals" not in row


def test_unconditional_duty_says_all_institutions(client):
    html = get(client, reverse("public-duty-catalog"), q="001-3")
    assert "所有机构" in html


def test_filter_form_offers_chinese_choices(client):
    html = get(client, reverse("public-duty-catalog"))
    for label in ("责任部门", "监管领域", "来源", "关键词"):
        assert f">{label}</label>" in html
    assert '<option value="fire_rescue">消防救援机构</option>' in html
    assert '<option value="fire_safety">消防安全</option>' in html
    assert html.count('<option value="" selected>全部</option>') == 4
    assert "---------" not in html
    # Collective units are not departments: no filter by them.
    assert "leading_group_members" not in html


def test_unknown_code_is_reported_not_a_crash(client):
    html = get(client, reverse("public-duty-catalog"), department_kind="no_such_kind")
    assert "text-danger" in html
    assert "共 92 项职责" in html


def test_pagination_keeps_the_filters(client):
    html = get(client, reverse("public-duty-catalog"), source_seed="001_22f67871987645f0.txt")
    assert "共 52 项职责" in html
    assert 'href="?source_seed=001_22f67871987645f0.txt&amp;page=2"' in html


def test_htmx_request_gets_only_the_results(client):
    url = reverse("public-duty-catalog")
    response = client.get(url, {"domain": "fire_safety"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="duty-results"')
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]
    # A history restore after htmx's cache missed needs the whole page again.
    restore = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true").content.decode()
    assert "<html" in restore


def test_detail_pages(client, staff):
    duty = Duty.objects.get(source_seed="000_213d2698732501f7.txt", task_no="4")
    public = get(client, reverse("public-duty-detail", args=[duty.pk]))
    assert "000任务4" in public and duty.text[:30] in public
    assert "牵头" in public
    assert "天津市养老服务综合监管任务清单" in public
    assert get(staff, reverse("duty-detail", args=[duty.pk])).count("000任务4") >= 1
    assert client.get(reverse("public-duty-detail", args=[999999])).status_code == 404


def test_catalog_rows_link_to_their_own_detail_page(client, staff):
    public = get(client, reverse("public-duty-catalog"), q="001-7")
    duty = Duty.objects.get(task_no="001-7")
    assert f'href="{reverse("public-duty-detail", args=[duty.pk])}"' in public
    assert f'href="{reverse("duty-detail", args=[duty.pk])}"' in get(staff, reverse("duty-catalog"), q="001-7")


@pytest.mark.parametrize("url_name", ["public-duty-catalog", "duty-catalog"])
def test_query_count_does_not_grow_with_the_page(staff, django_assert_max_num_queries, url_name):
    url = reverse(url_name)
    counts = {}
    for params, rows in (({"q": "001-7"}, 1), ({}, 50)):
        with CaptureQueriesContext(connection) as ctx, django_assert_max_num_queries(10):
            html = get(staff, url, **params)
        assert len(references(html)) == rows
        counts[rows] = len(ctx.captured_queries)
    assert counts[1] == counts[50], counts
