"""Institutions through the API: restricted like every regulated record, each resolvable to its region."""

import pytest

from institutions.models import Institution

from .conftest import fetch_all

pytestmark = pytest.mark.django_db

FACTS = ["has_internal_medical_facility", "medical_insurance_designated", "provides_meals", "has_special_equipment",
         "receives_government_funds", "eldercare_facility_land", "nonprofit_on_allocated_land", "unregistered",
         "registered_not_filed", "home_community_service", "medical_institution_providing_eldercare",
         "major_fire_hazard"]


def test_every_institution_region_resolves_with_code_and_parent(api):
    client = api("civil_city")
    rows = fetch_all(client, "/api/v1/institutions/")
    assert len(rows) == Institution.objects.count()
    regions = {}
    for row in rows:
        if row["region"] not in regions:
            response = client.get(f"/api/v1/regions/{row['region']}/")
            assert response.status_code == 200
            regions[row["region"]] = response.json()
        region = regions[row["region"]]
        institution = Institution.objects.select_related("region__parent").get(id=row["id"])
        assert region["code"] == institution.region.code
        assert region["parent"] == institution.region.parent_id and region["parent"] is not None
        assert row["region_code"] == region["scope_code"]
    # The parents resolve as well: every district hangs under 天津市.
    parents = {region["parent"] for region in regions.values()}
    assert [client.get(f"/api/v1/regions/{p}/").json()["code"] for p in parents] == ["120000"]


def test_institution_fields(api):
    institution = Institution.objects.get(name="天津市和平区康乐养老院")
    body = api("civil_heping").get(f"/api/v1/institutions/{institution.id}/").json()
    assert body["name"] == institution.name and body["uscc"] == institution.uscc
    assert body["status"] == "operating" and body["region"] == institution.region_id
    assert {fact: body[fact] for fact in FACTS} == {fact: getattr(institution, fact) for fact in FACTS}
    assert body["medical_insurance_designated"] is True and body["unregistered"] is False


def test_district_bureau_sees_its_district_only(api):
    rows = fetch_all(api("fire_heping"), "/api/v1/institutions/")
    assert {r["region_code"] for r in rows} == {"120101"}
    assert len(rows) == Institution.objects.filter(region_code="120101").count()
    hexi = Institution.objects.filter(region_code="120103").first()
    assert api("fire_heping").get(f"/api/v1/institutions/{hexi.id}/").status_code == 404


def test_medical_insurance_sees_only_designated_institutions_city_wide(api):
    rows = fetch_all(api("medins_city"), "/api/v1/institutions/")
    expected = set(Institution.objects.filter(medical_insurance_designated=True).values_list("id", flat=True))
    assert len({r["region_code"] for r in rows}) == 16
    assert {r["id"] for r in rows} == expected
    assert all(r["medical_insurance_designated"] for r in rows)


def test_institution_account_sees_its_own_institution_only(api):
    rows = fetch_all(api("inst_1"), "/api/v1/institutions/")
    assert len(rows) == 1
    other = Institution.objects.exclude(id=rows[0]["id"]).first()
    assert api("inst_1").get(f"/api/v1/institutions/{other.id}/").status_code == 404


def test_filters(api):
    client = api("civil_city")
    heping = fetch_all(client, "/api/v1/institutions/", {"region_code": "120101"})
    assert {r["region_code"] for r in heping} == {"120101"} and len(heping) == 4
    assert len(fetch_all(client, "/api/v1/institutions/", {"region_code": "12"})) == Institution.objects.count()
    meals = fetch_all(client, "/api/v1/institutions/", {"provides_meals": "true", "region": heping[0]["region"]})
    assert meals and all(r["provides_meals"] and r["region_code"] == "120101" for r in meals)
    assert len(meals) == Institution.objects.filter(provides_meals=True, region_code="120101").count()
    by_name = fetch_all(client, "/api/v1/institutions/", {"q": "康乐"})
    assert len(by_name) == 16 and all("康乐" in r["name"] for r in by_name)
    by_uscc = fetch_all(client, "/api/v1/institutions/", {"q": heping[0]["uscc"].lower()})
    assert [r["id"] for r in by_uscc] == [heping[0]["id"]]
    response = client.get("/api/v1/institutions/", {"region_code": "12'; --"})
    assert response.status_code == 400 and list(response.json()) == ["region_code"]


def test_filters_do_not_widen_the_scope(api):
    # Asking for 河西区 as 和平区消防 gives nothing, not 河西区's institutions.
    assert fetch_all(api("fire_heping"), "/api/v1/institutions/", {"region_code": "120103"}) == []


def test_bad_action_is_a_400_naming_the_field(api):
    response = api("civil_city").get("/api/v1/institutions/", {"action": "approve"})
    assert response.status_code == 400 and list(response.json()) == ["action"]

