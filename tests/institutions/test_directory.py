"""The public directory: what the disclosure rule lists, what a public page shows, and what it never shows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.models import Region
from institutions.choices import FilingStatus, InstitutionStatus
from institutions.models import Institution
from institutions.selectors import public_institutions

pytestmark = pytest.mark.django_db

HEPING = "120101"


def test_every_district_has_filed_pending_returned_and_unfiled_institutions():
    districts = Region.objects.filter(parent__code="120000", level="district")
    assert districts.count() == 16
    for district in districts:
        statuses = set(Institution.objects.filter(region=district).values_list("filing_status", flat=True))
        assert {FilingStatus.FILED, FilingStatus.PENDING, FilingStatus.RETURNED, FilingStatus.UNFILED} <= statuses, \
            district.name


def test_demo_filed_institutions_have_pledge_onsite_check_and_rating():
    from institutions.models import Filing, OnSiteCheck, StarRating

    filed = Institution.objects.filter(filing_status=FilingStatus.FILED)
    assert filed.count() == 16
    for inst in filed:
        approved = Filing.objects.get(institution=inst, state="approved")
        assert approved.number and approved.pledge.text
        assert OnSiteCheck.objects.filter(filing=approved).exists()
        assert StarRating.objects.get(institution=inst).level == inst.star_level


def test_build_demo_city_is_idempotent():
    from institutions.models import Filing, PledgeSignature
    from portal.demo import build_demo_city

    before = (Filing.objects.count(), PledgeSignature.objects.count(), Institution.objects.count())
    build_demo_city()
    assert (Filing.objects.count(), PledgeSignature.objects.count(), Institution.objects.count()) == before


def test_closed_and_cancelled_institutions_are_not_public():
    a, b, c = Institution.objects.order_by("id")[:3]
    Institution.objects.filter(pk=a.pk).update(status=InstitutionStatus.CLOSED)
    Institution.objects.filter(pk=b.pk).update(filing_status=FilingStatus.CANCELLED)
    ids = set(public_institutions().values_list("id", flat=True))
    assert a.pk not in ids and b.pk not in ids and c.pk in ids


def test_search_by_name_district_and_filing_status(client):
    heping = Region.objects.get(code=HEPING)
    page = client.get("/public/institutions/", {"q": "康乐", "district": heping.pk})
    assert page.status_code == 200
    assert page.context["page"].object_list[0].name == "天津市和平区康乐养老院"
    assert len(page.context["page"].object_list) == 1

    page = client.get("/public/institutions/", {"district": heping.pk, "filing_status": "returned"})
    assert [i.name for i in page.context["page"].object_list] == ["天津市和平区夕阳红养护中心"]

    page = client.get("/public/institutions/", {"legal_form": "public_institution", "star_level": ""})
    assert {i.legal_form for i in page.context["page"].object_list} == {"public_institution"}


@pytest.fixture
def private_heping():
    """和平区康乐养老院 (filed) with distinctive private data, to prove none of it is published."""
    inst = Institution.objects.get(name="天津市和平区康乐养老院")
    Institution.objects.filter(pk=inst.pk).update(
        contact_person="联系人秦晓燕", contact_phone="13900001111", legal_representative="法代欧阳建",
        person_in_charge="负责人司马青")
    return inst


PRIVATE = ["联系人秦晓燕", "13900001111", "法代欧阳建", "负责人司马青", "022-2345678", "王丽", "张建国"]


def test_public_page_shows_filing_pledge_disclosures_rating(client, private_heping):
    page = client.get(f"/public/institutions/{private_heping.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "天津市和平区康乐养老院" in html and private_heping.uscc in html
    assert "已备案" in html and "本机构郑重承诺" in html and "入住/退住流程" in html
    assert "星级" in html and "和平区" in html
    # Disclosure items in the order of the "十一个上墙" list.
    assert html.index("服务项目") < html.index("入住/退住流程") < html.index("投诉方式")


def test_public_page_and_api_publish_nothing_private(client, private_heping):
    for url in (f"/public/institutions/{private_heping.pk}/", "/public/institutions/?q=和平区康乐",
                f"/api/v1/public/institutions/{private_heping.pk}/", "/api/v1/public/institutions/?q=和平区康乐"):
        body = client.get(url).content.decode()
        assert "天津市和平区康乐养老院" in body, url
        for value in PRIVATE:
            assert value not in body, (url, value)


def test_public_api_fields(client, private_heping):
    data = client.get(f"/api/v1/public/institutions/{private_heping.pk}/").json()
    assert set(data) == {"id", "name", "uscc", "legal_form", "legal_form_display", "profit_nature",
                         "profit_nature_display", "district", "address", "beds", "filing_status",
                         "filing_status_display", "star_level", "pledge", "disclosures"}
    assert data["pledge"]["signer_title"] == "法定代表人" and "signer_name" not in data["pledge"]
    assert data["filing_status"] == "filed"


def test_closed_institution_page_is_404(client):
    inst = Institution.objects.get(name="天津市和平区颐养院")
    Institution.objects.filter(pk=inst.pk).update(status=InstitutionStatus.CLOSED)
    assert client.get(f"/public/institutions/{inst.pk}/").status_code == 404
    assert client.get(f"/api/v1/public/institutions/{inst.pk}/").status_code == 404


def _queries(client, url, rows):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    shown = body.count('data-testid="directory-row"') if url.startswith("/public") else len(response.json()["results"])
    assert shown == rows
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ["/public/institutions/", "/api/v1/public/institutions/"])
def test_list_query_count_is_constant_for_1_and_50_rows(client, url):
    one = _queries(client, url + "?q=和平区颐养院", 1)
    fifty = _queries(client, url + "?page_size=50", 50)
    assert one == fifty
    assert one <= 4
