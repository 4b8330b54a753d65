"""Findings pages: list and detail read only through Finding.objects.restrict(); the detail says why."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from agencies.models import Duty
from inspections.models import Finding
from inspections.views import findings as views

pytestmark = pytest.mark.django_db


def rows(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr data-finding="(\d+)">', html)]


def main(html: str) -> str:
    """The page body without the header (whose CSRF tokens differ on every render)."""
    return html.split('<main id="main"', 1)[1].split("</main>", 1)[0]


def why_visible(html: str) -> str:
    return html.split('data-testid="why-visible"', 1)[1].split("</section>", 1)[0]


@pytest.fixture
def as_user(client, users):
    def _login(username):
        client.force_login(users[username])
        return client
    return _login


def test_list_needs_login(client):
    response = client.get(reverse("finding-list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_list_is_exactly_the_restricted_scope(as_user, users):
    client = as_user("fire_heping")
    expected = list(Finding.objects.restrict(users["fire_heping"], "view").values_list("pk", flat=True))
    assert 0 < len(expected) <= views.PAGE_SIZE
    html = client.get(reverse("finding-list")).content.decode()
    assert rows(html) == expected
    assert f"共 {len(expected)} 条" in html
    assert not Finding.objects.filter(pk__in=rows(html), region_code="120103").exists()


def test_filter_by_domain_and_institution(as_user, users):
    client = as_user("civil_heping")
    scope = Finding.objects.restrict(users["civil_heping"], "view")
    html = client.get(reverse("finding-list"), {"domain": "fire_safety"}).content.decode()
    assert rows(html) == list(scope.filter(domain__code="fire_safety").values_list("pk", flat=True))
    assert rows(html)
    institution = scope.first().institution_id
    html = client.get(reverse("finding-list"), {"institution": institution}).content.decode()
    assert set(rows(html)) == set(scope.filter(institution_id=institution).values_list("pk", flat=True))


def test_filter_by_district_stays_within_scope(as_user, users):
    client = as_user("civil_city")
    html = client.get(reverse("finding-list"), {"region": "120103"}).content.decode()
    assert rows(html)
    assert set(Finding.objects.filter(pk__in=rows(html)).values_list("region_code", flat=True)) == {"120103"}
    # A district bureau asking for another district gets nothing, not that district's records.
    html = as_user("civil_heping").get(reverse("finding-list"), {"region": "120103"}).content.decode()
    assert rows(html) == []


def test_out_of_scope_and_missing_answer_the_same_404(as_user, users):
    client = as_user("fire_heping")
    hidden = Finding.objects.filter(region_code="120103", domain__code="fire_safety").first()
    assert hidden is not None and not Finding.objects.restrict(users["fire_heping"], "view").filter(pk=hidden.pk)
    out_of_scope = client.get(reverse("finding-detail", args=[hidden.pk]))
    missing = client.get(reverse("finding-detail", args=[Finding.objects.order_by("-pk").first().pk + 1000]))
    assert out_of_scope.status_code == missing.status_code == 404
    assert main(out_of_scope.content.decode()) == main(missing.content.decode())
    assert hidden.institution.name not in out_of_scope.content.decode()


def test_detail_names_the_duty_that_grants_it(as_user, users):
    client = as_user("fire_heping")
    finding = Finding.objects.restrict(users["fire_heping"], "view").filter(domain__code="fire_safety").first()
    html = client.get(reverse("finding-detail", args=[finding.pk])).content.decode()
    assert finding.institution.name in html and finding.text in html
    why = why_visible(html)
    granting = Duty.objects.filter(department_kinds__code="fire_rescue", domains__code="fire_safety", active=True)
    named = re.findall(r'href="/catalog/(\d+)/">([^<]+)</a>', why)
    assert named
    for pk, reference in named:
        duty = granting.get(pk=pk)
        assert reference == duty.reference
        assert escape(duty.text_clean) in why


def test_detail_of_a_hand_off_says_so(as_user, users):
    client = as_user("fire_heping")
    handed = Finding.objects.restrict(users["fire_heping"], "view").get(domain__code="special_equipment")
    why = why_visible(client.get(reverse("finding-detail", args=[handed.pk])).content.decode())
    assert "移交授权" in why
    assert "/catalog/" not in why


def test_institution_account_sees_its_own_findings(as_user, users):
    client = as_user("inst_1")
    own = list(Finding.objects.restrict(users["inst_1"], "view").values_list("pk", flat=True))
    assert own and len(set(Finding.objects.filter(pk__in=own).values_list("institution_id", flat=True))) == 1
    assert rows(client.get(reverse("finding-list")).content.decode()) == own
    assert "本机构账号" in client.get(reverse("finding-detail", args=[own[0]])).content.decode()


def test_superuser_detail(as_user):
    html = as_user("admin").get(reverse("finding-detail", args=[Finding.objects.first().pk])).content.decode()
    assert "系统管理员可以查看全部记录" in html


def test_count_is_capped(as_user, monkeypatch):
    from agencies.pagination import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "cap", 5)
    html = as_user("admin").get(reverse("finding-list")).content.decode()
    assert "超过 5 条" in html
    assert len(rows(html)) == 5
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    html = as_user("admin").get(reverse("finding-list"), {"page": 3}).content.decode()
    assert len(rows(html)) == 1  # the last page within the cap; further pages are not offered
    assert "?page=4" not in html


@pytest.mark.parametrize("username", ["admin", "civil_city"])
def test_query_count_does_not_grow_with_the_page(as_user, users, username, monkeypatch,
                                                django_assert_max_num_queries):
    """The same request with a page of 1 and a page of 50 rows: any per-row query would show as a difference."""
    client = as_user(username)
    # This also warms the cached access context, so neither measured request pays for computing it.
    assert Finding.objects.restrict(users[username], "view").count() > 50
    counts = {}
    for size in (1, 50):
        monkeypatch.setattr(views, "PAGE_SIZE", size)
        with CaptureQueriesContext(connection) as ctx, django_assert_max_num_queries(8):
            html = client.get(reverse("finding-list")).content.decode()
        assert len(rows(html)) == size
        counts[size] = len(ctx.captured_queries)
    assert counts[1] == counts[50], counts


def test_detail_query_count_is_fixed(as_user, users, django_assert_max_num_queries):
    client = as_user("civil_heping")
    finding = Finding.objects.restrict(users["civil_heping"], "view").first()
    client.get(reverse("finding-detail", args=[finding.pk]))  # warm the access-context cache
    # 8 for the finding and why it is visible, + the user's department, the rectification history with its
    # evidence (one prefetch), its referrals, supervised cases and suspension orders (each through restrict()).
    with django_assert_max_num_queries(14):
        assert client.get(reverse("finding-detail", args=[finding.pk])).status_code == 200


def test_htmx_request_gets_only_the_results(as_user):
    response = as_user("civil_heping").get(reverse("finding-list"), {"domain": "fire_safety"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="finding-results"')
    assert "<html" not in html and rows(html)
    assert "HX-Request" in response["Vary"]
