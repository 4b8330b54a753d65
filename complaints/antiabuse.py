"""Anti-abuse without any outside service: an arithmetic CAPTCHA signed by the server, a per-client rate limit
in the cache, and the duplicate key the services compare.

Each fails open when the cache (Redis) is down: a complaint must still be accepted then (issue 5), and the
CAPTCHA needs no cache at all.
"""

import hashlib
import logging
import random
import re
import secrets

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

CAPTCHA_SALT = "complaints.captcha"
CAPTCHA_MAX_AGE = 30 * 60
# Per client address: this many submissions (or tracking look-ups) per window.
RATE_LIMITS = {"submit": (5, 3600), "track": (20, 600)}


def new_captcha() -> tuple[str, str]:
    """(question, token): the token carries the answer, signed, so the server keeps no state for it."""
    a, b = random.randint(2, 19), random.randint(1, 9)
    if random.random() < 0.5:
        question, answer = _("%(a)d 加 %(b)d 等于几？") % {"a": a, "b": b}, a + b
    else:
        question, answer = _("%(a)d 减 %(b)d 等于几？") % {"a": a + b, "b": b}, a
    token = signing.dumps({"a": answer, "n": secrets.token_hex(4)}, salt=CAPTCHA_SALT)
    return question, token


def check_captcha(token: str, answer) -> bool:
    try:
        data = signing.loads(token or "", salt=CAPTCHA_SALT, max_age=CAPTCHA_MAX_AGE)
    except signing.BadSignature:
        return False
    try:
        if int(str(answer).strip()) != data["a"]:
            return False
    except (TypeError, ValueError):
        return False
    # One use per token, where the cache allows it (best effort: without a cache the signature still holds).
    try:
        return cache.add(f"captcha-used:{data['n']}", 1, CAPTCHA_MAX_AGE)
    except Exception:  # Redis down: accept rather than refuse a complaint
        logger.warning("captcha: cache unavailable, one-time use not enforced")
        return True


def client_key(request) -> str:
    """The client's address (REMOTE_ADDR; the proxy in front sets it). Hashed: the cache keeps no raw IPs."""
    address = request.META.get("REMOTE_ADDR", "") or "unknown"
    return hashlib.sha256(f"{settings.SECRET_KEY}:{address}".encode()).hexdigest()[:32]


def rate_limited(kind: str, key: str) -> bool:
    """Count one more hit of `kind` from `key`; True when it is over the limit."""
    limit, window = getattr(settings, "COMPLAINT_RATE_LIMITS", {}).get(kind, RATE_LIMITS[kind])
    cache_key = f"complaints-rate:{kind}:{key}"
    try:
        count_hit = getattr(cache, "count_hit", None)  # agencies.cache.RedisCache: one round trip
        if count_hit is not None:
            return count_hit(cache_key, window) > limit
        cache.add(cache_key, 0, window)  # other caches (development's in-memory one): open the window if none
        return cache.incr(cache_key) > limit
    except Exception:  # Redis down: fail open, the complaint matters more
        logger.warning("rate limit: cache unavailable, not enforced")
        return False


def duplicate_key(description: str, institution_id, operator_name: str) -> str:
    text = re.sub(r"\s+", "", description or "")
    operator = re.sub(r"\s+", "", operator_name or "")
    subject = f"i{institution_id}" if institution_id else f"o{operator}"
    return hashlib.sha256(f"{subject}|{text}".encode()).hexdigest()
