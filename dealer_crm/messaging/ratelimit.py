"""A per-gateway rate limit (SMS_RATE_LIMIT messages a second; 0 for none), shared by every
worker through Redis when there is one, else kept by each process for itself."""

import threading
import time

from django.conf import settings

_local = threading.local()


def _redis():
    if not settings.REDIS_URL:
        return None
    if not hasattr(_local, "client"):
        import redis

        _local.client = redis.Redis.from_url(settings.REDIS_URL)
    return _local.client


def throttle(gateway_name: str, count: int) -> None:
    """Wait until `count` more messages fit in the current second's allowance."""
    limit = settings.SMS_RATE_LIMIT
    if not limit or count <= 0:
        return
    while True:
        second = int(time.time())
        used = _take(f"dealer_crm:sms-rate:{gateway_name}:{second}", count)
        if used <= max(limit, count):  # a batch larger than the limit still goes, alone in its second
            return
        _take(f"dealer_crm:sms-rate:{gateway_name}:{second}", -count)
        time.sleep(max(0.0, second + 1 - time.time()) + 0.001)


def _take(key: str, count: int) -> int:
    client = _redis()
    if client is not None:
        pipe = client.pipeline()
        pipe.incrby(key, count)
        pipe.expire(key, 5)
        return pipe.execute()[0]
    counts = getattr(_local, "counts", None)
    if counts is None or counts[0] != key:
        counts = _local.counts = [key, 0]
    counts[1] += count
    return counts[1]
