"""The public site as one whole: the home page, its search, and the open data (开放数据) downloads.

Every dataset must hold exactly the rows its public page shows — compared with the rendered pages, not with a
query of our own — and nothing personal.
"""

import csv
import io
import json
import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from agencies.models import Region
from complaints.crypto import decrypt
from complaints.models import Complaint
from credit.models import ResponsiblePerson
from inspections.models import Inspector
from institutions.choices import LeadSource
from institutions.models import Filing, Institution
from institutions.services.records import lead_create
from institutions.uscc import build_uscc
from portal.open_data import DATASETS

pytestmark = pytest.mark.django_db

KANGLE = "天津市和平区康乐养老院"


def text(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode("utf-8")


def csv_rows(client, slug) -> list[dict]:
    response = client.get(reverse("public-open-data-file", args=[slug, "csv"]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(text(response).removeprefix("\ufeff"))))


def json_doc(client, slug) -> dict:
    response = client.get(reverse("public-open-data-file", args=[slug, "json"]))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    return json.loads(text(response))


def all_pages(client, url) -> list[str]:
    """The HTML of every page of a paginated public list."""
    pages, number = [], 1
    while True:
        html = client.get(url, {"page": number}).content.decode()
        pages.append(html)
        if f"page={number + 1}" not in html:
            return pages
        number += 1


def cells(html, label) -> list[str]:
    """The text of every table cell with this data-label (the stacked-table markup of the public lists)."""
    found = re.findall(rf'<td[^>]*data-label="{label}"[^>]*>(.*?)</td>', html, re.S)
    return [unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in found]


def make_public_lead(user, name, uscc=""):
    return lead_create(user, operator_name=name, address="和平区某路1号", region=Region.objects.get(code="120101"),
                       registered=bool(uscc), source=LeadSource.INSPECTION, description="收住老人未备案",
                       discovered_on=timezone.localdate(), uscc=uscc)


# ------------------------------------------------------------------------------------------------ home, search


def test_public_home_has_search_entry_cards_with_counts_and_latest(client):
    html = client.get("/").content.decode()
    assert 'action="/public/search/"' in html and 'name="q"' in html
    institutions = re.search(r'data-testid="section-institutions".*?data-testid="count">(\d+)<', html, re.S)
    assert int(institutions.group(1)) == len(csv_rows(client, "institutions"))
    for url_name in ("public-inspection-results", "public-supervised-cases", "public-credit-lists", "public-unfiled",
                     "public-draw-list", "public-duty-catalog", "complaint-public-form", "public-open-data"):
        assert f'href="{reverse(url_name)}"' in html
    assert 'data-testid="latest-results"' in html and "/public/inspection-results/" in html
    assert "主办：天津市民政局" in html  # the footer of a government site


def test_search_finds_by_name_with_published_results(client):
    html = client.get("/public/search/", {"q": "康乐养老"}).content.decode()
    results = re.findall(r'data-testid="search-result"', html)
    assert KANGLE in html and len(results) == Institution.objects.filter(name__contains="康乐养老").count()


def test_search_finds_by_uscc(client):
    kangle = Institution.objects.get(name=KANGLE)
    html = client.get("/public/search/", {"q": kangle.uscc.lower()}).content.decode()
    assert html.count('data-testid="search-result"') == 1
    assert f'href="{reverse("public-institution-detail", args=[kangle.pk])}"' in html


def test_search_by_district_lists_its_institutions(client):
    html = client.get("/public/search/", {"q": "和平"}).content.decode()
    heping = Institution.objects.filter(region_code__startswith="120101").exclude(status="closed").count()
    assert html.count('data-testid="search-result"') == heping >= 1


def test_search_shows_what_is_published_about_an_institution(client):
    results = json_doc(client, "inspection-results")["rows"]
    published = results[0]
    html = client.get("/public/search/", {"q": published["uscc"]}).content.decode()
    assert reverse("public-inspection-result", args=[published["id"]]) in html


def test_search_finds_nothing_and_says_so(client):
    html = client.get("/public/search/", {"q": "不存在的养老院"}).content.decode()
    assert "没有找到机构" in html


# ------------------------------------------------------------------------------------------------ open data


def test_open_data_page_lists_every_dataset_with_its_dictionary(client):
    html = client.get(reverse("public-open-data")).content.decode()
    for dataset in DATASETS:
        assert f'data-slug="{dataset.slug}"' in html
        assert reverse("public-open-data-file", args=[dataset.slug, "csv"]) in html
        assert reverse("public-open-data-file", args=[dataset.slug, "json"]) in html
        for column in dataset.columns:
            assert f">{column.name}<" in html and str(column.meaning) in unescape(html)


def test_csv_and_json_hold_the_same_rows_keyed_by_uscc(client):
    for dataset in DATASETS:
        rows = csv_rows(client, dataset.slug)
        doc = json_doc(client, dataset.slug)
        assert [f["name"] for f in doc["fields"]] == [c.name for c in dataset.columns]
        assert [{k: str(v) for k, v in row.items()} for row in doc["rows"]] == rows, dataset.slug
        if dataset.slug != "duty-catalog":
            assert "uscc" in rows[0] if rows else True


def test_downloads_stream_with_last_modified(client):
    response = client.get(reverse("public-open-data-file", args=["institutions", "csv"]))
    assert response.streaming
    assert response["Last-Modified"].endswith("GMT")
    assert 'attachment; filename="institutions-' in response["Content-Disposition"]
    assert client.get("/public/open-data/secrets.csv").status_code == 404
    assert client.get("/public/open-data/institutions.xml").status_code == 404


def test_institutions_dataset_equals_the_public_directory(client):
    names = []
    for html in all_pages(client, reverse("public-institution-list")):
        names += [unescape(n) for n in re.findall(
            r'data-testid="directory-row">\s*<div[^>]*>\s*<a[^>]*>([^<]+)</a>', html)]
    rows = csv_rows(client, "institutions")
    assert sorted(r["name"] for r in rows) == sorted(names) and len(names) > 50  # more than one page
    closed = Institution.objects.filter(status="closed").values_list("uscc", flat=True)
    assert not set(closed) & {r["uscc"] for r in rows}


def test_unfiled_dataset_equals_the_public_list(client, users):
    make_public_lead(users["civil_heping"], "某某托老所")
    make_public_lead(users["civil_heping"], "登记未备案养老公司", uscc=build_uscc("91", "120101", "77700001"))
    hidden = make_public_lead(users["civil_heping"], "不公开的线索")
    hidden.publicly_listed = False
    hidden.save(update_fields=["publicly_listed"])
    page = [html for html in all_pages(client, reverse("public-unfiled"))]
    shown = sorted(zip(sum((cells(h, "名称") for h in page), []), sum((cells(h, "统一社会信用代码") for h in page), []),
                       strict=True))
    rows = sorted((r["name"], r["uscc"] or "—") for r in csv_rows(client, "unfiled-operators"))
    assert rows == shown and len(rows) >= 2
    assert "不公开的线索" not in {r[0] for r in rows}


def test_inspection_results_dataset_equals_the_public_list(client):
    ids = []
    for html in all_pages(client, reverse("public-inspection-results")):
        ids += [int(i) for i in re.findall(r'href="/public/inspection-results/(\d+)/"', html)]
    rows = csv_rows(client, "inspection-results")
    assert sorted(int(r["id"]) for r in rows) == sorted(ids) and ids


def test_supervised_hazards_dataset_equals_the_public_list(client):
    html = client.get(reverse("public-supervised-cases")).content.decode()
    shown = sorted(zip(cells(html, "机构"), cells(html, "整改期限"), strict=True))
    rows = csv_rows(client, "supervised-hazards")
    assert sorted((r["institution"], r["deadline"]) for r in rows) == shown and shown


def test_credit_lists_dataset_equals_the_public_lists(client):
    shown = []
    for html in all_pages(client, reverse("public-credit-lists")):
        shown += list(zip(cells(html, "名单"), cells(html, "统一社会信用代码"), cells(html, "列入期限至"), strict=True))
    rows = csv_rows(client, "credit-lists")
    assert sorted((r["list"], r["uscc"], r["listed_until"]) for r in rows) == sorted(shown) and shown


def test_draw_results_dataset_equals_the_public_draw_pages(client):
    shown = []
    listing = client.get(reverse("public-draw-list")).content.decode()
    for draw_id in sorted(set(re.findall(r'href="/public/draws/(\d+)/"', listing))):
        html = client.get(reverse("public-draw-detail", args=[draw_id])).content.decode()
        shown += list(zip(cells(html, "顺序"), cells(html, "养老机构"), strict=True))
    rows = csv_rows(client, "draw-results")
    assert sorted((r["position"], r["institution"]) for r in rows) == sorted(shown) and shown
    assert all("检查人员" in r["team"] for r in rows)


def test_duty_catalog_dataset_equals_the_public_catalog(client):
    shown = []
    for html in all_pages(client, reverse("public-duty-catalog")):
        shown += re.findall(r'<tr data-reference="([^"]+)"', html)
    rows = csv_rows(client, "duty-catalog")
    assert sorted(r["reference"] for r in rows) == sorted(shown) and len(shown) > 50


def personal_strings() -> set[str]:
    """Everything personal the database holds: complainants, staff and inspectors, institutions' contacts and
    representatives, responsible persons on credit records."""
    strings = set()
    for complaint in Complaint.objects.all():
        strings.add(complaint.complainant_name)
        if complaint.complainant_phone_encrypted:
            strings.add(decrypt(complaint.complainant_phone_encrypted))
    for user in get_user_model().objects.all():
        strings |= {user.get_full_name(), user.username, user.email}
    strings |= set(Inspector.objects.values_list("name", flat=True))
    strings |= set(Inspector.objects.values_list("certificate_number", flat=True))
    for fields in (("legal_representative", "contact_person", "contact_phone"),):
        for model in (Institution, Filing):
            for row in model.objects.values_list(*fields):
                strings |= set(row)
    # Only the ID number's digest and last four characters are stored at all; the names are what could leak.
    strings |= set(ResponsiblePerson.objects.values_list("name", flat=True))
    # An institution's own account carries the institution's name, which is public, not personal.
    strings -= set(Institution.objects.values_list("name", flat=True))
    return {s for s in strings if s and len(s) >= 2}


def test_no_dataset_holds_personal_data(client):
    personal = personal_strings()
    # The demo city has complainants, contacts and staff names, so the test has something to miss.
    assert Complaint.objects.exclude(complainant_name="").exists()
    assert any(re.fullmatch(r"[\d-]{7,}", s) for s in personal)
    for dataset in DATASETS:
        for fmt in ("csv", "json"):
            body = text(client.get(reverse("public-open-data-file", args=[dataset.slug, fmt])))
            values = set()
            if fmt == "csv":
                for row in csv.reader(io.StringIO(body.removeprefix("\ufeff"))):
                    values |= set(row)
            else:
                for row in json.loads(body)["rows"]:
                    values |= {str(v) for v in row.values()}
            leaked = {s for s in personal if s in values or (len(s) >= 3 and any(s in v for v in values))}
            assert not leaked, (dataset.slug, fmt, leaked)


# ------------------------------------------------------------------------------------------------ query counts


def more_public_institutions(n: int) -> None:
    template = Institution.objects.filter(filing_status="filed").exclude(status="closed").first()
    clones = []
    for i in range(n):
        clone = Institution.objects.get(pk=template.pk)
        clone.pk = None
        clone.name = f"{template.name}分院{i}"
        clone.uscc = build_uscc("52", "120101", f"6{i:07d}")
        clones.append(clone)
    Institution.objects.bulk_create(clones)


@pytest.mark.parametrize("url", ["/", "/public/open-data/", "/public/search/?q=和平"])
def test_public_pages_keep_a_constant_query_count(client, url, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200
    more_public_institutions(50)
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200
