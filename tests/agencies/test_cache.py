"""agencies.cache.RedisCache: Django's Redis cache, with one redis-py client per connection pool instead of one per
operation. On a real Redis (REDIS_URL, as in CI); skipped without one."""

import os
import uuid

import pytest

from agencies.cache import RedisCache

pytestmark = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (REDIS_URL)")


@pytest.fixture
def redis_cache():
    cache = RedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": f"test-cache-{uuid.uuid4().hex}"})
    yield cache
    cache.delete_many(["a", "n", "once"])


def test_reuses_one_client_and_still_behaves_as_a_cache(redis_cache):
    assert redis_cache._cache.get_client() is redis_cache._cache.get_client(write=True)
    redis_cache.set("a", {"x": 1}, 30)
    assert redis_cache.get("a") == {"x": 1}
    assert redis_cache.add("once", 1, 30) is True and redis_cache.add("once", 1, 30) is False
    redis_cache.set("n", 1, 30)
    assert redis_cache.incr("n") == 2
    redis_cache.delete("a")
    assert redis_cache.get("a") is None


def test_count_hit_opens_a_window_with_the_first_hit_and_counts_in_it(redis_cache):
    key = redis_cache.make_and_validate_key("hits")
    client = redis_cache._cache.get_client(key, write=True)
    try:
        assert [redis_cache.count_hit("hits", 30) for _ in range(3)] == [1, 2, 3]
        assert 0 < client.ttl(key) <= 30  # the first hit opened it; later hits do not extend it
        assert redis_cache.get("hits") == 3  # the same integer the cache reads
        client.delete(key)  # the window ends: the next hit opens a new one
        assert redis_cache.count_hit("hits", 30) == 1
    finally:
        client.delete(key)
