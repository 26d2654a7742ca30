"""Rate limits against sign-up bots: per client address and per subscriber address.

Moving windows from the `limits` library, kept in memory: one service process holds them, and a
restart forgets them, which at worst lets one more confirmation through. The per-address limit
is what stops a "confirmation storm": however often a form is posted with someone's address, that
inbox gets at most one message an hour.
"""

from __future__ import annotations

from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


@dataclass(frozen=True)
class Limits:
    """The limits, in the `limits` notation (`5/minute`, `1/hour`)."""

    per_client: str = "10/minute"  # sign-up POSTs from one IP address
    per_address: str = "1/hour"  # confirmation or notice emails to one subscriber address


class RateLimiter:
    """Answers "may this happen now?" and counts it when it may."""

    def __init__(self, limits: Limits | None = None) -> None:
        limits = limits or Limits()
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._client: RateLimitItem = parse(limits.per_client)
        self._address: RateLimitItem = parse(limits.per_address)

    def client_allowed(self, client: str) -> bool:
        """Count one sign-up from `client`; false once it is over the limit."""
        return self._limiter.hit(self._client, "client", client)

    def address_allowed(self, address: str) -> bool:
        """Count one email to `address`; false when one was sent within the window."""
        return self._limiter.hit(self._address, "address", address.lower())
