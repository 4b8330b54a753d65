"""Publishing to the broker from a request, when the broker may be away.

Every caller has somewhere else to put the work when publishing fails (an outbox row the sweep delivers, or the
work done in-process), so a request must not wait for a broker that is down. `publish` tries once (Celery's
publish retry policy, about a quarter of a second); after a failure this process does not try again for
BROKER_PAUSE_SECONDS, and answers False at once: two hundred complaints submitted while Redis is stopped cost
one timeout, not two hundred.
"""

import logging
import time

from django.conf import settings

logger = logging.getLogger(__name__)
_paused_until = 0.0


def publish(task, *args, **kwargs) -> bool:
    """`task.delay(*args, **kwargs)`; False (and a warning) when the broker cannot take it or was just found down."""
    global _paused_until
    if time.monotonic() < _paused_until:
        return False
    try:
        task.delay(*args, **kwargs)
    except Exception:  # kombu raises many kinds when Redis is away
        if not task.app.conf.task_always_eager:  # eager: the task's own error, not the broker's
            _paused_until = time.monotonic() + settings.BROKER_PAUSE_SECONDS
        logger.warning("broker unavailable for %s; left for its sweep", task.name, exc_info=True)
        return False
    return True


def resume() -> None:
    """Forget a failure (tests; a process that knows the broker is back)."""
    global _paused_until
    _paused_until = 0.0
