"""The capped paginator: deep pages sliced from sort keys in Python are the pages the database would slice."""

import datetime as dt
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.pagination import CappedPaginator
from inspections.models import Finding

pytestmark = pytest.mark.django_db

PER_PAGE = 7


@pytest.fixture
def findings(users):
    """The demo city's findings, with due dates that tie and are missing (NULLs sort differently by direction)."""
    rng = random.Random(9)
    rows = list(Finding.objects.order_by("pk"))
    for finding in rows:
        finding.rectification_due = rng.choice([None, dt.date(2026, 1, 5), dt.date(2026, 3, 1), dt.date(2026, 3, 2)])
    Finding.objects.bulk_update(rows, ["rectification_due"])
    assert len(rows) > PER_PAGE * 6
    return rows


def pages(queryset, *, keyed: bool) -> list[list[int]]:
    first = CappedPaginator(queryset, PER_PAGE)
    out = []
    for number in first.page_range:
        paginator = CappedPaginator(queryset, PER_PAGE)
        paginator.keyed_from_page = 1 if keyed else 10**9
        page = paginator.get_page(number)
        assert page.number == number
        out.append([row.pk for row in page.object_list])
    return out


ORDERINGS = [
    None,  # Meta.ordering: -id
    ["rectification_due", "id"],
    ["-rectification_due", "id"],
    ["-rectification_due", "-id"],
    ["rectification_due"],  # not total: the key path ends it in the primary key
    ["state", "-id"],  # text sorts by the database's collation: the database slices it
    ["institution__name", "id"],  # a related column: the database slices it
]


@pytest.mark.parametrize("ordering", ORDERINGS, ids=str)
def test_every_page_is_the_page_the_database_slices(findings, ordering):
    queryset = Finding.objects.select_related("institution")
    if ordering:
        queryset = queryset.order_by(*ordering)
    keyed, plain = pages(queryset, keyed=True), pages(queryset, keyed=False)
    if ordering == ["rectification_due"]:  # SQL leaves ties in any order: compare the sets and the due dates
        assert sorted(sum(keyed, [])) == sorted(sum(plain, []))
        due = dict(Finding.objects.values_list("pk", "rectification_due"))
        assert [[due[pk] for pk in page] for page in keyed] == [[due[pk] for pk in page] for page in plain]
    else:
        assert keyed == plain
    assert sorted(sum(keyed, [])) == sorted(f.pk for f in findings)  # every row once, none twice


def test_a_restricted_scope_pages_the_same_both_ways(findings, users):
    queryset = Finding.objects.restrict(users["civil_heping"], "view").order_by("-rectification_due", "-id")
    assert queryset.count() > PER_PAGE
    assert pages(queryset, keyed=True) == pages(queryset, keyed=False)


def test_a_deep_page_counts_with_its_keys(findings):
    """Page 5 costs what a page always cost: the keys query takes the COUNT's place (plus an EXPLAIN on
    PostgreSQL for the estimate); the page's rows come by primary key."""
    paginator = CappedPaginator(Finding.objects.all(), PER_PAGE)
    with CaptureQueriesContext(connection) as queries:
        page = paginator.get_page(5)
        rows = list(page.object_list)
    sql = [q["sql"] for q in queries]
    assert not any("COUNT(" in s for s in sql)
    assert len(sql) == (3 if connection.vendor == "postgresql" else 2)
    assert [r.pk for r in rows] == list(Finding.objects.order_by("-id").values_list("pk", flat=True)[28:35])
    assert paginator.count == min(len(findings), paginator.cap)


def test_a_scope_larger_than_small_is_sliced_by_the_database(findings, monkeypatch):
    monkeypatch.setattr(CappedPaginator, "small_scope", 10)
    paginator = CappedPaginator(Finding.objects.all(), PER_PAGE)
    with CaptureQueriesContext(connection) as queries:
        page = paginator.get_page(5)
    assert any("COUNT(" in q["sql"] for q in queries) or connection.vendor != "postgresql"
    assert [r.pk for r in page.object_list] == list(
        Finding.objects.order_by("-id").values_list("pk", flat=True)[28:35])


def test_beyond_the_last_page_gives_the_last_page(findings):
    paginator = CappedPaginator(Finding.objects.all(), PER_PAGE)
    page = paginator.get_page(10**6)
    assert page.number == paginator.num_pages
    assert [r.pk for r in page.object_list] == list(
        Finding.objects.order_by("-id").values_list("pk", flat=True)[(page.number - 1) * PER_PAGE:len(findings)])
