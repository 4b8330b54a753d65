"""Disclosure ("十一个上墙", seed 001 row 9/41): the institution edits its own items; stale ones are listed."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from institutions.choices import DisclosureKind
from institutions.models import DisclosureItem, Institution
from institutions.services.records import disclosure_stale, disclosure_update, months_before, own_institutions

pytestmark = pytest.mark.django_db


def own(users, name):
    return own_institutions(users[name]).get()


def fill_all(user, inst):
    for kind in DisclosureKind.values:
        disclosure_update(user, inst, kind, f"{kind} 内容")


def test_months_before():
    assert months_before(dt.date(2026, 3, 31), 1) == dt.date(2026, 2, 28)
    assert months_before(dt.date(2026, 1, 15), 12) == dt.date(2025, 1, 15)
    assert months_before(dt.date(2026, 8, 31), 6) == dt.date(2026, 2, 28)


def test_institution_edits_its_own_items_only(users, client):
    mine, theirs = own(users, "inst_1"), own(users, "inst_2")
    item = disclosure_update(users["inst_1"], mine, DisclosureKind.MENU, "周一：米饭、青菜、鱼")
    assert item.domain.code == "information_disclosure" and item.updated_by == users["inst_1"]
    with pytest.raises(PermissionDenied):
        disclosure_update(users["inst_1"], theirs, DisclosureKind.MENU, "x")
    with pytest.raises(PermissionDenied):
        disclosure_update(users["civil_heping"], mine, DisclosureKind.MENU, "staff do not publish for them")
    client.force_login(users["inst_1"])
    assert client.get(reverse("records-disclosure-edit", args=[mine.pk])).status_code == 200
    assert client.get(reverse("records-disclosure-edit", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("records-disclosure-edit", args=[theirs.pk]),
                       {"kind": DisclosureKind.MENU, "content": "x"}).status_code == 404
    response = client.post(reverse("records-disclosure-edit", args=[mine.pk]),
                           {"kind": DisclosureKind.FEES, "content": "床位费每月2000元"})
    assert response.status_code == 302
    assert DisclosureItem.objects.get(institution=mine, kind=DisclosureKind.FEES).content == "床位费每月2000元"
    # Staff may view an institution's items but not edit them.
    client.force_login(users["civil_heping"])
    assert "床位费每月2000元" in client.get(reverse("records-disclosure-view", args=[mine.pk])).content.decode()
    assert client.get(reverse("records-disclosure-edit", args=[mine.pk])).status_code == 404
    client.force_login(users["civil_hexi"])
    assert client.get(reverse("records-disclosure-view", args=[mine.pk])).status_code == 404


def test_stale_list(users, client):
    old, fresh = own(users, "inst_1"), own(users, "inst_2")
    Institution.objects.filter(pk__in=[old.pk, fresh.pk]).update(status="operating")
    fill_all(users["inst_1"], old)
    fill_all(users["inst_2"], fresh)
    now = timezone.now()
    DisclosureItem.objects.filter(institution=old).update(updated_at=now - dt.timedelta(days=13 * 31))
    DisclosureItem.objects.filter(institution=fresh).update(updated_at=now - dt.timedelta(days=31))
    stale = set(disclosure_stale(users["civil_heping"]).values_list("pk", flat=True))
    assert old.pk in stale and fresh.pk not in stale
    # Missing items count too.
    DisclosureItem.objects.filter(institution=fresh, kind=DisclosureKind.MENU).delete()
    assert fresh.pk in set(disclosure_stale(users["civil_heping"]).values_list("pk", flat=True))
    # 河西区 staff do not see 和平区 institutions.
    assert old.pk not in set(disclosure_stale(users["civil_hexi"]).values_list("pk", flat=True))
    client.force_login(users["civil_heping"])
    page = client.get(reverse("records-disclosure-stale")).content.decode()
    assert old.name in page


@pytest.mark.parametrize("stale_rows", [1, 4])
def test_stale_page_constant_queries(users, client, django_assert_max_num_queries, stale_rows):
    insts = list(Institution.objects.filter(region_code="120101").order_by("id"))
    for inst in insts[stale_rows:]:
        for kind in DisclosureKind.values:
            DisclosureItem.objects.update_or_create(
                institution=inst, kind=kind, defaults={"content": "x", "domain_id": _domain_id()})
    client.force_login(users["civil_heping"])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("records-disclosure-stale"))
    assert response.status_code == 200


def _domain_id():
    from agencies.models import Domain

    return Domain.objects.get(code="information_disclosure").pk
