"""Filing pages and API: who may read a filing and its materials (404 otherwise), uploads refused by content,
the receipt download, and query counts on the review queue."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from institutions.choices import FilingState, FilingStatus, MaterialKind
from institutions.models import Filing, FilingMaterial
from institutions.services.filing import filing_approve, filing_submit
from institutions.services.records import own_institutions
from tests.institutions.test_filing_services import HEPING, HEXI, PDF, account, ready_filing


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def filed(users, media):
    """An approved filing of a 和平区 account, with its materials, and that account."""
    owner = account(users, HEPING)
    filing = ready_filing(owner)
    filing_submit(owner, filing)
    filing_approve(users["civil_heping"], filing)
    return owner, Filing.objects.get(pk=filing.pk)


def test_material_served_only_through_the_permission_checked_view(users, filed):
    owner, filing = filed
    material = filing.materials.get(kind=MaterialKind.REGISTRATION_CERTIFICATE)
    url = reverse("filing-material", args=[material.pk])
    ok = client_for(owner).get(url)
    assert ok.status_code == 200
    assert ok["Content-Disposition"].startswith("attachment")
    assert b"".join(ok.streaming_content) == PDF
    assert client_for(users["civil_heping"]).get(url).status_code == 200
    neighbour = next(users[f"inst_{n}"] for n in range(1, 5) if users[f"inst_{n}"] != owner)
    assert client_for(neighbour).get(url).status_code == 404  # another institution of the same district
    assert client_for(users["civil_hexi"]).get(url).status_code == 404  # another district
    assert client_for(users["fire_heping"]).get(url).status_code == 404  # no duty over filings
    anonymous = client_for().get(url)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    # Nothing maps the storage to a URL: MEDIA_ROOT is not under STATIC and no /media/ route answers.
    assert not str(settings.MEDIA_ROOT).startswith(str(settings.STATIC_ROOT or "/nonexistent"))
    assert client_for(owner).get("/media/" + material.file.name).status_code == 404
    assert client_for(owner).get(settings.STATIC_URL + material.file.name).status_code == 404


def test_institution_cannot_read_another_institutions_filing(users, filed, api):
    owner, filing = filed
    other = account(users, HEXI, FilingStatus.FILED)
    neighbour = next(users[f"inst_{n}"] for n in range(1, 5) if users[f"inst_{n}"] != owner)
    for user in (other, neighbour):
        c = client_for(user)
        assert c.get(reverse("filing-detail", args=[filing.pk])).status_code == 404
        assert c.get(reverse("filing-receipt", args=[filing.pk])).status_code == 404
        assert c.post(reverse("filing-mine-submit", args=[filing.pk])).status_code == 404
        assert api(user.username).get(f"/api/v1/filings/{filing.pk}/").status_code == 404
        ids = [row["id"] for row in api(user.username).get("/api/v1/filings/").json()["results"]]
        assert filing.pk not in ids
    assert client_for(owner).get(reverse("filing-detail", args=[filing.pk])).status_code == 200
    body = api(owner.username).get(f"/api/v1/filings/{filing.pk}/").json()
    assert body["institution"] == filing.institution_id and body["domain"] == "registration_filing"
    assert "file" not in body["materials"][0]


def test_receipt_download(users, filed):
    owner, filing = filed
    response = client_for(users["civil_heping"]).get(reverse("filing-receipt", args=[filing.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert response.content.startswith(b"%PDF")
    assert client_for(owner).get(reverse("filing-receipt", args=[filing.pk])).status_code == 200
    assert client_for(users["civil_hexi"]).get(reverse("filing-receipt", args=[filing.pk])).status_code == 404


def test_no_receipt_for_a_filing_not_approved(users, media):
    pending = Filing.objects.filter(region_code=HEPING, state=FilingState.SUBMITTED).first()
    assert client_for(users["civil_heping"]).get(reverse("filing-receipt", args=[pending.pk])).status_code == 404


def test_exe_renamed_pdf_is_refused_on_the_page(users, media):
    owner = account(users, HEPING)
    c = client_for(owner)
    form = {"kind": "initial", "name": "测试养老院", "address": "天津市和平区测试路1号",
            "legal_representative": "赵志强", "property_type": "owned", "beds": "50", "building_area": "900",
            "contact_person": "孙丽",
            "contact_phone": "022-1"}
    bad = c.post(reverse("filing-mine-start"), {**form, "beds": "很多"})
    assert bad.status_code == 400
    assert "床位数" in bad.content.decode() and "天津市和平区测试路1号" in bad.content.decode()  # nothing lost
    assert c.post(reverse("filing-mine-start"), form).status_code == 302
    filing = Filing.objects.get(institution__in=own_institutions(owner), state=FilingState.DRAFT)
    exe = SimpleUploadedFile("消防验收.pdf", b"MZ\x90\x00" + b"\x00" * 64, content_type="application/pdf")
    response = c.post(reverse("filing-mine-material", args=[filing.pk]), {"kind": MaterialKind.FIRE, "file": exe})
    assert response.status_code == 400
    assert "不是 PDF、JPEG 或 PNG" in response.content.decode()
    assert not FilingMaterial.objects.filter(filing=filing).exists()


def test_api_review_actions(users, media, api):
    owner = account(users, HEPING)
    filing = ready_filing(owner)
    assert api(owner.username).post(f"/api/v1/filings/{filing.pk}/submit/").status_code == 200
    # Another district's reviewer cannot even find it; the institution cannot approve its own filing.
    assert api("civil_hexi").post(f"/api/v1/filings/{filing.pk}/approve/").status_code == 404
    assert api(owner.username).post(f"/api/v1/filings/{filing.pk}/approve/").status_code == 404
    assert api("civil_heping").post(f"/api/v1/filings/{filing.pk}/return/", {"missing_items": []},
                                    format="json").status_code == 400
    r = api("civil_heping").post(f"/api/v1/filings/{filing.pk}/return/", {"missing_items": ["消防材料"]},
                                 format="json")
    assert r.status_code == 200 and r.json()["state"] == "returned" and r.json()["missing_items"] == ["消防材料"]
    assert api(owner.username).post(f"/api/v1/filings/{filing.pk}/submit/").status_code == 200
    r = api("civil_heping").post(f"/api/v1/filings/{filing.pk}/approve/", {}, format="json")
    assert r.status_code == 200 and r.json()["number"].startswith("津民养备〔")
    again = api("civil_heping").post(f"/api/v1/filings/{filing.pk}/approve/", {}, format="json")
    assert again.status_code == 400 and "已于" in str(again.json())
    checks = api("civil_heping").get("/api/v1/onsite-checks/").json()["results"]
    assert any(c["filing"] == filing.pk and c["domain"] == "registration_filing" for c in checks)


def test_review_queue_query_count_does_not_grow_with_rows(users, media, django_assert_max_num_queries):
    c = client_for(users["civil_heping"])
    c.get(reverse("filing-queue"))  # warm the scope cache
    Filing.objects.filter(region_code=HEPING).update(state=FilingState.SUBMITTED)
    with django_assert_max_num_queries(12) as few:
        assert c.get(reverse("filing-queue") + "?state=approved").status_code == 200
    with django_assert_max_num_queries(len(few.captured_queries) + 1):
        response = c.get(reverse("filing-queue"))
    assert response.status_code == 200
    assert response.content.decode().count("data-filing=") == Filing.objects.filter(region_code=HEPING).count() > 1


def test_onsite_list_highlights_overdue(users, filed):
    _owner, filing = filed
    check = filing.onsite_checks.get()
    type(check).objects.filter(pk=check.pk).update(due_date="2020-01-02")
    page = client_for(users["civil_heping"]).get(reverse("filing-onsite-list")).content.decode()
    assert f'data-check="{check.pk}" class="table-danger" data-overdue="1"' in page
    assert client_for(users["civil_hexi"]).get(reverse("filing-onsite-record", args=[check.pk])).status_code == 404
    r = client_for(users["civil_heping"]).post(reverse("filing-onsite-record", args=[check.pk]),
                                               {"result": "consistent", "checked_on": "2026-01-05", "notes": "一致"})
    assert r.status_code == 302


def test_institution_page_shows_returned_items(users, media):
    owner = account(users, HEPING)
    filing = ready_filing(owner)
    filing_submit(owner, filing)
    from institutions.services.filing import filing_return

    filing_return(users["civil_heping"], filing, ["服务场所权属证明未盖章"], "请补正")
    page = client_for(owner).get(reverse("filing-mine")).content.decode()
    assert 'data-testid="missing-items"' in page and "服务场所权属证明未盖章" in page and "重新提交备案" in page
