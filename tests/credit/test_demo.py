"""The demo city has institutions in every grade and on every list (issue 6, "Must show"); rebuilding is a no-op."""

import pytest

from credit.demo import build_credit_demo
from credit.models import CreditEvent, ListEntry
from institutions.models import Institution

pytestmark = pytest.mark.django_db


def test_every_grade_and_every_list():
    grades = set(Institution.objects.exclude(credit_grade="").values_list("credit_grade", flat=True))
    assert grades == {"A", "B", "C", "D"}, list(Institution.objects.filter(region__code="120102").values_list(
        "name", "credit_grade", "risk_level", "credit_list"))
    assert set(Institution.objects.exclude(credit_list="").values_list("credit_list", flat=True)) == {
        "black", "watch", "red"}
    assert set(Institution.objects.values_list("risk_level", flat=True)) >= {"low", "high"}
    events, entries = CreditEvent.objects.count(), ListEntry.objects.count()
    assert build_credit_demo()["created"] is False
    assert (CreditEvent.objects.count(), ListEntry.objects.count()) == (events, entries)
