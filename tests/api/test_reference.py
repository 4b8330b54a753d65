"""Regions, departments, domains and the duty catalog through the API, checked against the CSV files.

The expected duty sets are computed from agencies/data/duties.csv with the csv module, not from the database
or the access engine, so a filter that drops or adds a row is caught.
"""

import csv
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from agencies.models import Duty

from .conftest import fetch_all

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[2] / "agencies" / "data"
SEED_000 = "000_213d2698732501f7.txt"
SEED_001 = "001_22f67871987645f0.txt"


def csv_rows(name):
    with open(DATA / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def cells(value):
    return {part.strip() for part in value.split(";") if part.strip()}


def csv_duties(predicate=lambda row: True) -> set[tuple[str, str]]:
    return {(row["source_seed"], row["task_no"]) for row in csv_rows("duties.csv") if predicate(row)}


def api_duties(client, url, params) -> set[tuple[str, str]]:
    return {(d["source_seed"], d["task_no"]) for d in fetch_all(client, url, params)}


DUTY_URLS = ["/api/v1/duties/", "/api/v1/public/duties/"]


@pytest.fixture(params=DUTY_URLS)
def duty_client(request, api):
    """(client, url): the staff catalog as a logged-in user, and the public one anonymously."""
    url = request.param
    return (api("civil_heping") if url == "/api/v1/duties/" else APIClient()), url


def test_fire_rescue_filter_is_exactly_the_csv_rows_naming_it(duty_client):
    client, url = duty_client
    expected = csv_duties(lambda row: "fire_rescue" in cells(row["departments"]))
    assert len(expected) >= 5  # seed 000 tasks 3, 19, 31, 38–40 and seed 001's 消防 measures
    assert api_duties(client, url, {"department_kind": "fire_rescue"}) == expected


@pytest.mark.parametrize("kind", ["civil_affairs", "medical_security", "housing_construction", "market_regulation"])
def test_department_kind_filter_matches_csv(duty_client, kind):
    client, url = duty_client
    expected = csv_duties(lambda row: kind in cells(row["departments"]))
    assert expected
    assert api_duties(client, url, {"department_kind": kind}) == expected


@pytest.mark.parametrize("domain", ["fire_safety", "food_safety", "credit", "medical_insurance"])
def test_domain_filter_matches_csv(duty_client, domain):
    client, url = duty_client
    expected = csv_duties(lambda row: domain in cells(row["domains"]))
    assert expected
    assert api_duties(client, url, {"domain": domain}) == expected


@pytest.mark.parametrize("action", ["record_penalty", "handle_complaint", "review_filing", "propose_list_entry"])
def test_action_filter_matches_csv(duty_client, action):
    client, url = duty_client
    expected = csv_duties(lambda row: action in cells(row["actions"]))
    assert expected
    assert api_duties(client, url, {"action": action}) == expected


def test_source_seed_and_combined_filters_match_csv(duty_client):
    client, url = duty_client
    assert api_duties(client, url, {"source_seed": SEED_000}) == csv_duties(lambda r: r["source_seed"] == SEED_000)
    assert len(api_duties(client, url, {"source_seed": SEED_001})) == 52
    expected = csv_duties(lambda r: r["source_seed"] == SEED_000 and "civil_affairs" in cells(r["departments"])
                          and "fire_safety" in cells(r["domains"]))
    assert expected
    got = api_duties(client, url, {"source_seed": SEED_000, "department_kind": "civil_affairs",
                                   "domain": "fire_safety"})
    assert got == expected


def test_text_search_matches_csv(duty_client):
    client, url = duty_client

    def hit(row):
        return any("消防" in row[c] for c in ("task_zh_clean", "requirement_zh", "responsible_units_zh"))

    expected = csv_duties(hit)
    assert expected
    assert api_duties(client, url, {"q": "消防"}) == expected


@pytest.mark.parametrize("params, field", [({"department_kind": "no_such_kind"}, "department_kind"),
                                           ({"domain": "no_such_domain"}, "domain"),
                                           ({"source_seed": "999.txt"}, "source_seed")])
def test_bad_filter_value_is_a_400_naming_the_field(duty_client, params, field):
    client, url = duty_client
    response = client.get(url, params)
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_duty_fields_as_in_the_csv(api):
    row = next(r for r in csv_rows("duties.csv") if r["source_seed"] == SEED_000 and r["task_no"] == "4")
    duty_id = Duty.objects.get(source_seed=SEED_000, task_no="4").id
    body = api("fire_heping").get(f"/api/v1/duties/{duty_id}/").json()
    assert body["reference"] == "000任务4"
    assert body["source_seed"] == SEED_000 and body["task_no"] == "4"
    assert body["text"] == row["task_zh"] and body["text_clean"] == row["task_zh_clean"]
    assert set(body["department_kinds"]) == cells(row["departments"])
    assert body["lead_kind"] == row["lead_department"]
    assert set(body["domains"]) == cells(row["domains"])
    assert body["actions"] == row["actions"].split(";")
    assert body["applies_if"] == ["provides_meals"]
    assert body["active"] is True


def test_whole_catalog_is_listed(api):
    assert api_duties(api("medins_city"), "/api/v1/duties/", {}) == csv_duties()
    assert len(csv_duties()) == 92


def test_public_catalog_hides_inactive_duties_staff_sees_them_flagged(api):
    duty = Duty.objects.get(source_seed=SEED_000, task_no="31")
    duty.active = False
    duty.save()
    key = (SEED_000, "31")
    assert key not in api_duties(APIClient(), "/api/v1/public/duties/", {})
    assert APIClient().get(f"/api/v1/public/duties/{duty.id}/").status_code == 404
    staff = api("civil_city").get(f"/api/v1/duties/{duty.id}/")
    assert staff.status_code == 200 and staff.json()["active"] is False


@pytest.mark.parametrize("url", ["/api/v1/domains/", "/api/v1/public/domains/"])
def test_domains_match_csv_and_resolve_by_code(api, url):
    client = api("fire_heping") if "public" not in url else APIClient()
    expected = {row["code"]: row for row in csv_rows("domains.csv")}
    listed = fetch_all(client, url)
    assert {d["code"] for d in listed} == set(expected)
    for domain in listed:
        assert domain["name"] == expected[domain["code"]]["name_zh"]
        assert domain["description"] == expected[domain["code"]]["description_zh"]
    detail = client.get(f"{url}fire_safety/").json()
    assert detail["code"] == "fire_safety" and detail["name"] == expected["fire_safety"]["name_zh"]


def test_regions_tree(api):
    client = api("civil_hexi")
    regions = fetch_all(client, "/api/v1/regions/")
    by_code = {r["code"]: r for r in regions}
    city = by_code["120000"]
    assert city["parent"] is None and city["level"] == "city" and city["name"] == "天津市"
    districts = {row["code"]: row["name_zh"] for row in csv_rows("districts_tianjin.csv")}
    assert len(districts) == 16
    for code, name in districts.items():
        assert by_code[code]["name"] == name
        assert by_code[code]["parent"] == city["id"] and by_code[code]["level"] == "district"
    children = fetch_all(client, "/api/v1/regions/", {"parent": city["id"]})
    assert {r["code"] for r in children} == set(districts)
    assert client.get(f"/api/v1/regions/{by_code['120101']['id']}/").json()["name"] == "和平区"


def test_departments(api):
    client = api("civil_city")
    heping = client.get("/api/v1/regions/", {"code": "120101"}).json()["results"][0]
    fire = fetch_all(client, "/api/v1/departments/", {"kind": "fire_rescue", "region": heping["id"]})
    assert len(fire) == 1
    assert fire[0]["kind"] == "fire_rescue" and fire[0]["level"] == "district" and fire[0]["region"] == heping["id"]
    assert "和平" in fire[0]["name"]
    city_level = fetch_all(client, "/api/v1/departments/", {"level": "city"})
    assert city_level and all(d["level"] == "city" for d in city_level)
    assert "medical_security" in {d["kind"] for d in city_level}
