"""Credit pages and API: scope (404 out of scope, 403 for a refused write), and query counts that do not grow."""

import datetime as dt

import pytest

from credit.choices import BlacklistGround, EventKind, ListKind
from credit.models import CreditEvent, ListEntry
from credit.services.events import credit_event_record
from credit.services.lists import list_entry_decide, list_entry_notify, list_entry_propose, list_entry_publish

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 10, 12)


def _published(users, inst, domains):
    fire = users["fire_heping"]
    entry = list_entry_propose(fire, institution=inst, list_kind=ListKind.BLACK,
                               ground=BlacklistGround.FIRE_HAZARD_UNRECTIFIED, domain_obj=domains["fire_safety"],
                               facts="拒不整改", on=DAY,
                               persons=[{"role": "legal_rep", "name": "王大明", "id_number": "120101198001011234"}])
    entry = list_entry_notify(fire, entry, on=DAY)
    after = entry.objection_due + dt.timedelta(days=1)
    return list_entry_publish(fire, list_entry_decide(fire, entry, on=after), on=after)


def _events(users, inst, domains, n):
    for _ in range(n):
        credit_event_record(users["fire_heping"], institution=inst, domain=domains["fire_safety"],
                            kind=EventKind.PENALTY, occurred_on=DAY, summary="罚款")


def test_api_records_events_only_in_scope(api, heping, domains):
    inst = heping["福寿老年公寓"]
    body = {"institution": inst.pk, "domain": "fire_safety", "kind": "penalty", "occurred_on": "2026-10-12",
            "summary": "罚款五千元", "legal_basis": "《消防法》第六十条"}
    response = api("fire_heping").post("/api/v1/credit-events/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["institution"] == inst.pk and response.json()["domain"] == "fire_safety"
    assert api("fire_heping").post("/api/v1/credit-events/", {**body, "domain": "food_safety"},
                                   format="json").status_code == 403
    hexi = inst.__class__.objects.get(name="天津市河西区福寿老年公寓")
    assert api("fire_heping").post("/api/v1/credit-events/", {**body, "institution": hexi.pk},
                                   format="json").status_code == 403
    event = CreditEvent.objects.get(institution=inst, pk=response.json()["id"])
    assert api("civil_hexi").get(f"/api/v1/credit-events/{event.pk}/").status_code == 404
    assert api("inst_3").get(f"/api/v1/credit-events/{event.pk}/").status_code == 200
    assert api("inst_1").get(f"/api/v1/credit-events/{event.pk}/").status_code == 404


def test_api_list_procedure_and_public_list(api, users, heping, domains):
    inst = heping["福寿老年公寓"]
    response = api("fire_heping").post("/api/v1/list-entries/", {
        "institution": inst.pk, "domain": "fire_safety", "list_kind": "black", "ground": "fire_hazard",
        "facts": "拒不整改"}, format="json")
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert api("fire_heping").post(f"/api/v1/list-entries/{pk}/decide/", {}, format="json").status_code == 400
    assert api("fire_heping").post(f"/api/v1/list-entries/{pk}/notify/", {}, format="json").status_code == 200
    assert api("civil_hexi").post(f"/api/v1/list-entries/{pk}/notify/", {}, format="json").status_code == 404
    assert api("inst_3").post(f"/api/v1/list-entries/{pk}/object/", {"note": "已整改"},
                              format="json").json()["state"] == "objected"
    # market supervises no fire safety: it may not propose the blacklist there.
    assert api("market_heping").post("/api/v1/list-entries/", {
        "institution": heping["康乐养老院"].pk, "domain": "fire_safety", "list_kind": "black",
        "ground": "fire_hazard", "facts": "x"}, format="json").status_code == 403

    _published(users, heping["康乐养老院"], domains)
    public = api().get("/api/v1/public/credit-lists/").json()
    rows = public["results"] if isinstance(public, dict) else public
    heping_rows = [r["institution_name"] for r in rows if r["institution_name"].startswith("天津市和平区")]
    assert heping_rows == ["天津市和平区康乐养老院"]
    assert {r["list_kind"] for r in rows} == {"black", "watch", "red"}  # the demo city's 河东区 entries too
    assert "王大明" not in str(rows) and "1234" not in str(rows)


def test_list_pages_query_counts_do_not_grow(client, users, heping, domains, django_assert_max_num_queries):
    inst = heping["福寿老年公寓"]
    _published(users, inst, domains)
    _events(users, inst, domains, 1)
    client.force_login(users["fire_heping"])
    counts = {}
    for n in (1, 6):
        if n > 1:
            _events(users, inst, domains, n - 1)
            for other in ("康乐养老院", "夕阳红养护中心"):
                if not ListEntry.objects.filter(institution=heping[other]).exists():
                    _published(users, heping[other], domains)
        for url in ("/credit/", f"/credit/institutions/{inst.pk}/", "/public/credit/", "/api/v1/credit-events/",
                    "/api/v1/list-entries/", "/api/v1/public/credit-lists/"):
            with django_assert_max_num_queries(30) as captured:
                assert client.get(url).status_code == 200, url
            counts.setdefault(url, []).append(len(captured))
    for url, (one, many) in counts.items():
        assert many <= one, (url, counts[url])


def test_institution_page_is_404_out_of_scope(client, users, heping):
    hexi = heping["颐养院"].__class__.objects.get(name="天津市河西区颐养院")
    client.force_login(users["fire_heping"])
    assert client.get(f"/credit/institutions/{hexi.pk}/").status_code == 404
    client.force_login(users["inst_1"])
    assert client.get(f"/credit/institutions/{heping['康乐养老院'].pk}/").status_code == 404
    assert client.get("/credit/mine/").status_code == 302


def test_repair_proof_is_served_only_to_who_may_read_the_repair(client, users, heping, domains):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from credit.models import CreditDocument
    from credit.services.lists import credit_repair_apply

    entry = _published(users, heping["福寿老年公寓"], domains)
    proof = SimpleUploadedFile("复查合格证明.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    credit_repair_apply(users["inst_3"], entry, "已整改", files=[proof], on=entry.published_on)
    document = CreditDocument.objects.get(repair__list_entry=entry)
    for username, expected in (("fire_heping", 200), ("inst_3", 200), ("civil_hexi", 404), ("inst_1", 404)):
        client.force_login(users[username])
        assert client.get(f"/credit/documents/{document.pk}/").status_code == expected, username
    client.force_login(users["fire_heping"])
    assert "复查合格证明.pdf" in client.get(f"/credit/entries/{entry.pk}/").content.decode()
