"""What keeps the service's forms honest: CSRF tokens, origin checks, the honeypot and page headers.

The service's own forms carry a signed double-submit token: a random value in an HttpOnly,
SameSite=Strict cookie, and the same value signed with `PUBLISHER_SECRET` in a hidden field.
The sign-up form lives on the static site, another origin, where no token can be baked into
the HTML; for it (and for every other browser POST) the `Origin` header, or `Referer` when a
browser withholds `Origin`, must name the site or the service. The RFC 8058 one-click POST is
exempt by design: mail providers send it with no cookie, no token and no origin.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

CSRF_COOKIE = "publisher_csrf"
CSRF_FIELD = "csrf"
CSRF_MAX_AGE = 24 * 3600  # a form left open for a day must be reloaded
HONEYPOT_FIELD = "website"  # people never see it; sign-up bots fill every field

# Pages hold no script, no frame, no third-party anything; forms post only to the service.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; font-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # Token URLs must not leak to other sites; same-origin keeps `Origin` on the service's own POSTs.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def origin_of(url: str) -> str:
    """`https://example.org` for `https://example.org/a/b?c`: scheme, host and port."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class Csrf:
    """Issue and check the service's double-submit tokens."""

    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="publisher-csrf")

    @staticmethod
    def new_cookie() -> str:
        return secrets.token_urlsafe(32)

    def field_for(self, cookie: str) -> str:
        """The hidden field's value that goes with `cookie`."""
        return str(self._serializer.dumps(cookie))

    def valid(self, cookie: str | None, field: str | None) -> bool:
        """True when `field` is our signature of exactly this browser's `cookie`, not too old."""
        if not cookie or not field:
            return False
        try:
            signed = self._serializer.loads(field, max_age=CSRF_MAX_AGE)
        except (BadSignature, SignatureExpired):
            return False
        return isinstance(signed, str) and hmac.compare_digest(signed.encode(), cookie.encode())


def same_origin(origin: str | None, referer: str | None, allowed: frozenset[str]) -> bool:
    """True when the request's `Origin` (or, without it, `Referer`) is one of `allowed`.

    Browsers send `Origin` with every form POST; a request with neither header is not a
    browser's form submission and is refused.
    """
    if origin and origin != "null":
        return origin.lower() in allowed
    if referer:
        return origin_of(referer) in allowed
    return False
