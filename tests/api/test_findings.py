"""Findings through the API: what 和平区消防救援支队 sees, the record contract, and the `action` parameter."""

import pytest

from inspections.models import Finding, FindingGroupObjectPermission

from .conftest import fetch_all

pytestmark = pytest.mark.django_db

# Fire rescue's own competence (reference/competence.csv); joint duties give it no more than these.
FIRE_DOMAINS = {"fire_safety", "complaints", "credit", "supervision_mechanism", "emergency_response"}


def handed_to_fire_heping():
    """The special-equipment finding a joint team handed to 和平区消防救援支队 (portal/demo.py)."""
    grant = FindingGroupObjectPermission.objects.get(group__department__name__contains="和平区消防",
                                                     permission__codename="view_finding")
    return grant.content_object


def test_fire_heping_sees_only_heping_findings_of_its_domains_plus_the_hand_off(api):
    handed = handed_to_fire_heping()
    assert handed.domain.code == "special_equipment" and handed.region_code == "120101"

    rows = fetch_all(api("fire_heping"), "/api/v1/findings/")
    for row in rows:
        assert row["region_code"].startswith("120101"), row
        assert row["domain"] in FIRE_DOMAINS or row["id"] == handed.id, row
    ids = {row["id"] for row in rows}
    assert handed.id in ids
    # Not vacuous: every 消防 finding of a 和平区 institution is there (seed 000 task 3 is unconditional).
    fire_at_heping = set(Finding.objects.filter(region_code="120101", domain__code="fire_safety")
                         .values_list("id", flat=True))
    assert fire_at_heping and fire_at_heping <= ids
    # And nothing of the other domains at 和平区 comes along with the hand-off.
    other = Finding.objects.filter(region_code="120101").exclude(domain__code__in=FIRE_DOMAINS).exclude(id=handed.id)
    assert other.exists() and not ids & set(other.values_list("id", flat=True))


def test_hexi_finding_is_404_for_fire_heping_even_in_fire_safety(api):
    client = api("fire_heping")
    hexi = Finding.objects.filter(region_code="120103", domain__code="fire_safety").first()
    assert hexi is not None
    assert client.get(f"/api/v1/findings/{hexi.id}/").status_code == 404
    assert client.get(f"/api/v1/findings/{hexi.id}/explain/").status_code == 404
    # The same record is there for the 河西区 civil-affairs bureau, so the 404 is about scope, not existence.
    assert api("civil_hexi").get(f"/api/v1/findings/{hexi.id}/").status_code == 200


def test_other_domain_at_heping_is_404_for_fire_heping(api):
    food = Finding.objects.get(region_code="120101", domain__code="food_safety",
                               institution__name__endswith="康乐养老院")
    assert api("fire_heping").get(f"/api/v1/findings/{food.id}/").status_code == 404
    assert api("market_heping").get(f"/api/v1/findings/{food.id}/").status_code == 200


def test_explain_names_the_duty(api):
    finding = Finding.objects.filter(region_code="120101", domain__code="fire_safety").first()
    body = api("fire_heping").get(f"/api/v1/findings/{finding.id}/explain/").json()
    assert body["action"] == "view"
    assert "000任务3" in {r["reference"] for r in body["reasons"] if r["kind"] == "duty"}


def test_every_finding_carries_institution_id_and_domain_code(api):
    rows = fetch_all(api("admin"), "/api/v1/findings/")
    expected = {f.id: (f.institution_id, f.domain.code, f.region_code)
                for f in Finding.objects.select_related("domain")}
    assert len(rows) == len(expected)
    for row in rows:
        assert (row["institution"], row["domain"], row["region_code"]) == expected[row["id"]]
        assert isinstance(row["institution"], int)


@pytest.mark.parametrize("url", ["/api/v1/findings/", "/api/v1/findings/{id}/", "/api/v1/findings/{id}/explain/"])
def test_bad_action_is_a_400_naming_the_field(api, url):
    finding = Finding.objects.filter(region_code="120101", domain__code="fire_safety").first()
    response = api("fire_heping").get(url.format(id=finding.id), {"action": "delete_everything"})
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["action"]
    assert "delete_everything" in body["action"][0] and "record_finding" in body["action"][0]


def test_action_narrows_what_is_listed(api):
    # 和平区消防 may view the special-equipment hand-off but was given no other action on it.
    handed = handed_to_fire_heping()
    client = api("fire_heping")
    inspectable = {row["id"] for row in fetch_all(client, "/api/v1/findings/", {"action": "inspect"})}
    assert handed.id not in inspectable
    assert inspectable <= {row["id"] for row in fetch_all(client, "/api/v1/findings/")}
    assert client.get(f"/api/v1/findings/{handed.id}/", {"action": "inspect"}).status_code == 404
