"""Database-backed sliding-window rate limits."""

import pytest

from fanloop.core import ratelimit
from fanloop.core.errors import RateLimited


def test_limit_then_window_passes(session, clock):
    for _ in range(3):
        ratelimit.hit(session, bucket="post", key="7", limit=3, window_seconds=60)
    with pytest.raises(RateLimited) as raised:
        ratelimit.hit(session, bucket="post", key="7", limit=3, window_seconds=60)
    assert raised.value.retry_after == 61
    ratelimit.hit(session, bucket="post", key="8", limit=3, window_seconds=60)  # other key unaffected
    clock.advance(seconds=30)
    with pytest.raises(RateLimited) as raised:
        ratelimit.hit(session, bucket="post", key="7", limit=3, window_seconds=60)
    assert raised.value.retry_after == 31
    clock.advance(seconds=31)
    ratelimit.hit(session, bucket="post", key="7", limit=3, window_seconds=60)
