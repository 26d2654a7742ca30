"""Signed tokens in per-subscriber links: unsubscribe, preferences, confirm.

A token is the subscriber's id signed with HMAC (itsdangerous' `URLSafeTimedSerializer`) under
the secret from `PUBLISHER_SECRET`, with a salt per purpose, so an unsubscribe token cannot
confirm anyone and nobody can make a token for another subscriber. Unsubscribe and preferences
links never expire (they sit in old emails); confirmation links do.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache

from itsdangerous import BadData, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from itsdangerous.url_safe import URLSafeSerializerMixin

SECRET_VARIABLE = "PUBLISHER_SECRET"
MIN_SECRET_LENGTH = 16
CONFIRM_MAX_AGE = 7 * 24 * 3600  # seconds a confirmation link stays valid
# purpose -> how long its tokens stay valid when `read_token` is not told (None: forever)
PURPOSES: dict[str, int | None] = {"unsubscribe": None, "preferences": None, "confirm": CONFIRM_MAX_AGE}


class BadToken(Exception):
    """A token that is forged, tampered with, of another purpose or expired."""


class MissingSecret(Exception):
    """`PUBLISHER_SECRET` is not set, or too short to sign anything."""


def secret_from_environment(environ: Mapping[str, str] = os.environ) -> str:
    """The signing secret; raise `MissingSecret` with what to do when it is unset or short."""
    secret = environ.get(SECRET_VARIABLE, "")
    if len(secret) < MIN_SECRET_LENGTH:
        problem = "is not set" if not secret else f"is shorter than {MIN_SECRET_LENGTH} characters"
        raise MissingSecret(
            f"{SECRET_VARIABLE} {problem}: set it to a long random value, e.g. the output of "
            "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`, and keep it: "
            "links in emails already sent stop working when it changes"
        )
    return secret


def make_token(secret: str, purpose: str, subscriber_id: int) -> str:
    """A URL-safe token that `read_token` turns back into `subscriber_id` for `purpose` only."""
    return _serializer(secret, purpose).dumps(subscriber_id)


def read_token(secret: str, purpose: str, token: str, max_age: int | None = None) -> int:
    """The subscriber id in `token`; raise `BadToken` unless it is genuine, of `purpose` and fresh.

    `max_age` (seconds) defaults to the purpose's own: seven days for `confirm`, no limit otherwise.
    """
    if max_age is None:
        max_age = PURPOSES[_known(purpose)]
    try:
        value = _serializer(secret, purpose).loads(token, max_age=max_age)
    except BadData:
        raise BadToken("the link is not valid or has expired") from None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise BadToken("the link is not valid")
    return value


class _TokenSerializer(URLSafeTimedSerializer):
    """`URLSafeTimedSerializer` that does not try zlib on the payload.

    An id never compresses, and the attempt costs about half a millisecond a token, a third of
    the time a message takes to send. The tokens are the same format: any
    `URLSafeTimedSerializer` with the same secret and salt reads them.
    """

    def dump_payload(self, obj: object) -> bytes:
        return base64_encode(super(URLSafeSerializerMixin, self).dump_payload(obj))


@lru_cache(maxsize=16)
def _serializer(secret: str, purpose: str) -> URLSafeTimedSerializer:
    return _TokenSerializer(secret, salt=f"publisher.subscribers.{_known(purpose)}")


def _known(purpose: str) -> str:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r} (one of {', '.join(PURPOSES)})")
    return purpose
