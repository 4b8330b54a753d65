"""The Redis cache backend, reusing its redis-py client.

Django's `RedisCacheClient.get_client` builds a new `redis.Redis` for every cache operation, and building one
copies redis-py's ~170 response callbacks: ~80 µs, as long as the round trip to Redis itself. A complaint
submission makes two cache operations (the rate limit, the CAPTCHA's one use). One client per connection pool
does the same work: a redis-py client holds no connection of its own and is safe to share between threads.
"""

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))  # pools live as long as this object: their ids are stable
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient

    def count_hit(self, key, window: int, version=None) -> int:
        """One more hit in a window of `window` seconds opened by the first hit; the hits so far in it.

        One round trip (MULTI, SET NX EX, INCR, EXEC) where `incr()` takes two (EXISTS, INCR) and needs `add()`
        to open the window; atomic, so the window always expires."""
        key = self.make_and_validate_key(key, version=version)
        with self._cache.get_client(key, write=True).pipeline(transaction=True) as pipe:
            pipe.set(key, 0, ex=window, nx=True)
            pipe.incr(key)
            return pipe.execute()[1]
