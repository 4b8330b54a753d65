"""Star ratings (等级评定, seed 004 2.9/4.5)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from agencies.models import AuditEvent
from institutions.models import Institution, StarRating
from institutions.services.records import rating_record

pytestmark = pytest.mark.django_db


def heping_institution():
    return Institution.objects.filter(region_code="120101").order_by("id").first()


def test_record_sets_current_level(users):
    inst = heping_institution()
    today = timezone.localdate()
    rating = rating_record(users["civil_heping"], inst, 4, today - dt.timedelta(days=10),
                           today + dt.timedelta(days=1000), "天津市养老机构等级评定委员会", "津养评-0001")
    inst.refresh_from_db()
    assert inst.star_level == 4 and rating.domain.code == "standards_rating"
    assert AuditEvent.objects.filter(verb="rating.record", object_id=str(rating.pk)).exists()
    # An expired rating recorded later does not replace the valid one.
    rating_record(users["civil_heping"], inst, 2, today - dt.timedelta(days=2000), today - dt.timedelta(days=1),
                  "某评定机构", "")
    inst.refresh_from_db()
    assert inst.star_level == 4


def test_only_civil_affairs_of_the_district(users):
    inst = heping_institution()
    args = (5, dt.date(2026, 1, 1), dt.date(2029, 1, 1), "评定委员会", "x")
    # market_heping may view ratings (001-26/46) but does not record them; 河西区民政 does not cover 和平区.
    for name in ("market_heping", "civil_hexi", "inst_1"):
        with pytest.raises(PermissionDenied):
            rating_record(users[name], inst, *args)
    with pytest.raises(ValidationError):
        rating_record(users["civil_heping"], inst, 5, dt.date(2026, 1, 1), dt.date(2025, 1, 1), "x", "")
    assert not StarRating.objects.filter(institution=inst, rating_body="评定委员会").exists()


def test_form_and_list(users, client):
    inst = heping_institution()
    client.force_login(users["civil_heping"])
    response = client.post(reverse("records-rating-create"), {
        "institution": inst.pk, "level": 3, "rated_on": "2026-01-05", "valid_until": "2029-01-04",
        "rating_body": "表单评定委员会", "certificate_no": "津养评-9"})
    assert response.status_code == 302
    assert "表单评定委员会" in client.get(reverse("records-rating-list")).content.decode()
    client.force_login(users["civil_hexi"])
    assert "表单评定委员会" not in client.get(reverse("records-rating-list")).content.decode()


@pytest.mark.parametrize("rows", [1, 10])
def test_list_constant_queries(users, client, django_assert_max_num_queries, rows):
    inst = heping_institution()
    for n in range(rows):
        rating_record(users["civil_heping"], inst, 3, dt.date(2026, 1, 1), dt.date(2029, 1, 1), f"评定{n}", "")
    client.force_login(users["civil_heping"])
    with django_assert_max_num_queries(6):  # session, user, hand-offs, count, page, filter choices
        assert client.get(reverse("records-rating-list")).status_code == 200
