"""DKIM signatures with dkimpy, covering both List-Unsubscribe headers as RFC 8058 requires.

dkimpy's default list of headers to sign leaves out `List-Unsubscribe-Post`, and a receiver only
honours one-click unsubscribing when the signature covers both, so the list is given explicitly.
The private key is a secret: it comes from `PUBLISHER_DKIM_KEY` (the PEM text), never a file in
the repository; the selector and domain are settings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import dkim
from dkim.crypto import parse_pem_private_key

KEY_VARIABLE = "PUBLISHER_DKIM_KEY"
SIGNED_HEADERS = (
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"reply-to",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
    b"mime-version",
    b"content-type",
)


class DkimConfigError(ValueError):
    """A selector without a key, or a key dkimpy cannot read."""


class Signer:
    """Signs each message for one selector and domain."""

    def __init__(self, selector: str, domain: str, private_key: bytes) -> None:
        try:
            parse_pem_private_key(private_key)
        except Exception as exc:  # dkimpy raises its own and ASN.1 errors for a bad key
            raise DkimConfigError(f"{KEY_VARIABLE} is not a PEM RSA private key ({exc})") from None
        self.selector = selector.encode("ascii")
        self.domain = domain.encode("ascii")
        self._key = private_key

    def sign(self, message: bytes) -> bytes:
        """The message with its `DKIM-Signature` header first (relaxed/relaxed canonicalisation)."""
        signature = dkim.sign(
            message,
            self.selector,
            self.domain,
            self._key,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=list(SIGNED_HEADERS),
        )
        return signature + message


def signer_from_settings(
    selector: str | None, domain: str | None, sender_domain: str, environ: Mapping[str, str] = os.environ
) -> Signer | None:
    """A signer when `dkim_selector` is set (the key must then be in the environment), else None."""
    key = environ.get(KEY_VARIABLE, "")
    if selector is None:
        return None
    if not key.strip():
        raise DkimConfigError(
            f"[delivery] dkim_selector is set, but {KEY_VARIABLE} is not: set it to the PEM private key"
        )
    return Signer(selector, domain or sender_domain, key.encode("ascii", "replace"))
