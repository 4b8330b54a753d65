"""A paginator for lists over millions of rows (issue 9): it counts at most COUNT_CAP rows.

A city's COUNT(*) over 100k findings costs far more than the page itself (DESIGN §3), and nobody pages past
the twentieth page — they filter instead. The count runs without the list's ORDER BY: "are there more than
1,000?" needs no order, and without it PostgreSQL ORs the scope's index and the hand-off ids in a bitmap
instead of walking the primary key backwards through a district's 1% of the table (210 → 80 ms at 1M rows).

Deep pages of a small scope are sliced from their sort keys (`_keyed_page`). For page 20 of a district's
findings PostgreSQL walks the primary key backwards through 110,000 rows of other districts to skip the first
950 of its own (50 ms at 1M rows): it cannot know that the district's 9,000 rows, fetched by the scope's
index, sorted and sliced, cost 8. So a deep page of a scope the planner estimates at no more than
SMALL_SCOPE rows fetches the scope's sort keys (in the query that would have counted it), sorts them the way
the database would, and reads just the page's rows by primary key. A larger scope (a province, a superuser)
keeps the plain slice, where the walk finds its rows early.
"""

import datetime as dt
import json
from decimal import Decimal
from functools import cached_property

from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import InvalidPage, Paginator
from django.db import connections
from django.db.models.constants import LOOKUP_SEP

COUNT_CAP = 1000
SMALL_SCOPE = 20_000
KEYED_FROM_PAGE = 5  # shallower pages: the walk reaches them sooner than the keys can be fetched

# Values that sort in Python exactly as in SQL (text does not: it sorts by the database's collation).
_SORTS_LIKE_SQL = (int, float, Decimal, dt.date, dt.datetime, dt.time, bool)


class CappedPaginator(Paginator):
    cap = COUNT_CAP
    small_scope = SMALL_SCOPE
    keyed_from_page = KEYED_FROM_PAGE

    @cached_property
    def _counted(self) -> int:
        return self.object_list.order_by()[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self._counted > self.cap

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    def get_page(self, number):
        # Django's get_page() validates (counts) before page(): the keyed path goes first so that it counts.
        page = self._keyed_page(number)
        return super().get_page(number) if page is None else page

    def page(self, number):
        page = self._keyed_page(number)
        return super().page(number) if page is None else page

    def _keyed_page(self, number):
        """The page from the scope's sort keys, or None: a shallow page, a scope too large, an order not keyable."""
        number = _as_int(number)
        if number is None or number < self.keyed_from_page or self.__dict__.get("_keys_tried"):
            return None
        self._keys_tried = True  # once per paginator: get_page() falls back to page(), which must not retry
        ordering = _key_ordering(self.object_list)
        if ordering is None or _estimated_rows(self.object_list) > self.small_scope:
            return None  # the estimate spares a large scope fetching keys only to be told it is too large
        fields = [name for name, _descending in ordering if name != "pk"]
        keys = list(self.object_list.order_by().values_list("pk", *fields)[: self.small_scope + 1])
        if len(keys) <= self.small_scope or self.small_scope >= self.cap:  # the keys counted the scope
            self._counted = min(len(keys), self.cap + 1)
        if len(keys) > self.small_scope:
            return None
        if any(value is not None and not isinstance(value, _SORTS_LIKE_SQL) for row in keys for value in row[1:]):
            return None
        try:
            number = self.validate_number(number)
        except InvalidPage:
            return None  # the plain path raises the same error, and get_page() turns it into the last page
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        columns = {name: position for position, name in enumerate(fields, start=1)} | {"pk": 0}
        # NULL sorts as the largest value on PostgreSQL (last ascending, first descending), the smallest on SQLite.
        nulls_largest = connections[self.object_list.db].features.nulls_order_largest
        for name, descending in reversed(ordering):  # stable sorts, least significant key first
            position = columns[name]
            keys.sort(key=lambda row, i=position: ((row[i] is None) == nulls_largest, 0 if row[i] is None else row[i]),
                      reverse=descending)
        page_pks = [row[0] for row in keys[bottom:top]]
        rank = {pk: i for i, pk in enumerate(page_pks)}
        rows = sorted(self.object_list.filter(pk__in=page_pks), key=lambda obj: rank[obj.pk])
        return self._get_page(rows, number, self)


def _estimated_rows(queryset) -> float:
    """The planner's estimate of the scope's rows (PostgreSQL; 0, "small", elsewhere): one EXPLAIN, no scan."""
    if connections[queryset.db].vendor != "postgresql":
        return 0
    return json.loads(queryset.order_by().values("pk").explain(format="json"))[0]["Plan"]["Plan Rows"]


def _as_int(number) -> int | None:
    try:
        return int(number)
    except (TypeError, ValueError):
        return None


def _key_ordering(queryset) -> list[tuple[str, bool]] | None:
    """The queryset's ORDER BY as (field, descending) on the model's own columns, ending in the primary key
    (a total order, as SQL's is when it ends in the key), or None when it holds anything else."""
    query = queryset.query
    if query.distinct or query.combinator or query.extra_order_by:
        return None
    terms = list(query.order_by) or (list(query.get_meta().ordering) if query.default_ordering else [])
    opts = queryset.model._meta
    ordering = []
    for term in terms:
        if not isinstance(term, str) or LOOKUP_SEP in term or term == "?":
            return None
        descending = term.startswith("-")
        name = term.lstrip("-+")
        if name in query.annotations:
            return None
        try:
            field = opts.pk if name == "pk" else opts.get_field(name)
        except FieldDoesNotExist:  # let the database path raise as it always has
            return None
        if not field.concrete or field.is_relation:
            return None
        ordering.append((field.attname if field is not opts.pk else "pk", descending))
        if field is opts.pk:
            return ordering
    return ordering + [("pk", False)]
