"""List endpoints cost a fixed number of queries whatever the page size (no N+1).

Each endpoint is read once to warm the caches a real server would have warm (the caller's access context
is cached per catalog version; the first request of a process computes it), then read with a page of
1 row and a page of 50 rows: both must stay within the stated count, and must be equal.
Counts are for token authentication, the way partner systems call the API.
"""

import pytest

pytestmark = pytest.mark.django_db


def _measure(client, url, page_size, limit, django_assert_max_num_queries):
    with django_assert_max_num_queries(limit) as captured:
        response = client.get(url, {"page_size": page_size})
    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size, "the test needs that many visible rows"
    return len(captured.captured_queries)


@pytest.mark.parametrize("username, url, limit", [
    # 4 = the token (joined with its user) + the user's hand-offs + COUNT(*) + the page. The scope is a WHERE
    # clause on the findings table; the hand-offs are read once per request, for every record type
    # (agencies.access.handoffs), and inlined as ids; `domain` comes from the page's join. civil_city: a city
    # bureau, so more than 50 findings are visible.
    ("civil_city", "/api/v1/findings/", 4),
    # 4 = the token + hand-offs + COUNT(*) + the page; `region` is the row's own foreign-key column.
    ("civil_city", "/api/v1/institutions/", 4),
    # 5 = the token + COUNT(*) + the page (lead kind joined) + one prefetch for department kinds + one
    # for domains. Reference data: not restricted.
    ("fire_heping", "/api/v1/duties/", 5),
])
def test_list_queries_do_not_grow_with_the_page(token_api, django_assert_max_num_queries, username, url, limit):
    client = token_api(username)
    client.get(url)  # warm-up: computes and caches the caller's access context
    one = _measure(client, url, 1, limit, django_assert_max_num_queries)
    fifty = _measure(client, url, 50, limit, django_assert_max_num_queries)
    assert one == fifty


def test_public_duties_cost_the_same_without_a_token(django_assert_max_num_queries):
    from rest_framework.test import APIClient

    client = APIClient()
    # 4 = COUNT(*) + the page + the two prefetches; no authentication query for an anonymous caller.
    one = _measure(client, "/api/v1/public/duties/", 1, 4, django_assert_max_num_queries)
    fifty = _measure(client, "/api/v1/public/duties/", 50, 4, django_assert_max_num_queries)
    assert one == fifty


def test_findings_with_a_hand_off_in_scope_cost_the_same(token_api, django_assert_max_num_queries):
    # fire_heping's scope ORs the statutory clause with its group's hand-offs; about twenty rows visible,
    # so the comparison is 1 row against all of them. 4 = the token + hand-offs + COUNT(*) + the page.
    client = token_api("fire_heping")
    client.get("/api/v1/findings/")
    with django_assert_max_num_queries(4) as one:
        assert len(client.get("/api/v1/findings/", {"page_size": 1}).json()["results"]) == 1
    with django_assert_max_num_queries(4) as many:
        assert len(client.get("/api/v1/findings/", {"page_size": 50}).json()["results"]) > 10
    assert len(one.captured_queries) == len(many.captured_queries)
