"""DKIM signatures with dkimpy, covering both List-Unsubscribe headers as RFC 8058 requires.

dkimpy's default list of headers to sign leaves out `List-Unsubscribe-Post`, and a receiver only
honours one-click unsubscribing when the signature covers both, so the list is given explicitly.
The private key is a secret: it comes from `PUBLISHER_DKIM_KEY` (the PEM text), never a file in
the repository; the selector and domain are settings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import SimpleNamespace

import dkim
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.serialization import load_pem_private_key
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
            self._openssl_key = load_pem_private_key(private_key, password=None)
        except Exception as exc:  # dkimpy raises its own and ASN.1 errors for a bad key
            raise DkimConfigError(f"{KEY_VARIABLE} is not a PEM RSA private key ({exc})") from None
        if not isinstance(self._openssl_key, rsa.RSAPrivateKey):
            raise DkimConfigError(f"{KEY_VARIABLE} is not an RSA private key")
        self.selector = selector.encode("ascii")
        self.domain = domain.encode("ascii")
        self._key = private_key

    def sign(self, message: bytes) -> bytes:
        """The message with its `DKIM-Signature` header first.

        Relaxed header and simple body canonicalisation, dkimpy's default: the body is ours and
        goes out as written, and relaxed body canonicalisation costs more than the RSA signature.
        """
        signer = _OpenSSLRsa(message, signature_algorithm=b"rsa-sha256")
        signer.openssl_key = self._openssl_key
        signature = signer.sign(
            self.selector,
            self.domain,
            self._key,
            canonicalize=(b"relaxed", b"simple"),
            include_headers=list(SIGNED_HEADERS),
        )
        return signature + message


class _OpenSSLRsa(dkim.DKIM):  # type: ignore[misc]
    """dkimpy's signing, with the RSA step done by OpenSSL (the `cryptography` package).

    dkimpy canonicalises, hashes and writes the header; only its RSA is replaced: it is pure
    Python, about 40 ms a signature on a small machine against about 1 ms, and would cap a
    DKIM-signed send at a few dozen messages a second. dkimpy signs with `pk.sign(digest)` on its
    Ed25519 path, and both algorithms hash with SHA-256, so while the header is made that path
    is taken with an object that signs the digest with RSA PKCS#1 v1.5; the `a=rsa-sha256` tag
    was already written. dkimpy's own `verify` checks the result in the tests.
    """

    openssl_key: rsa.RSAPrivateKey

    def gen_header(self, fields, include_headers, canon_policy, header_name, pk, standardize=False):  # type: ignore[no-untyped-def]
        if self.signature_algorithm != b"rsa-sha256":
            return super().gen_header(fields, include_headers, canon_policy, header_name, pk, standardize)
        self.signature_algorithm = b"ed25519-sha256"
        try:
            return super().gen_header(
                fields,
                include_headers,
                canon_policy,
                header_name,
                _DigestSigner(self.openssl_key),
                standardize,
            )
        finally:
            self.signature_algorithm = b"rsa-sha256"


class _DigestSigner:
    """`sign(digest).signature`: RSA PKCS#1 v1.5 over a SHA-256 digest."""

    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        self._key = key

    def sign(self, digest: bytes) -> SimpleNamespace:
        return SimpleNamespace(
            signature=self._key.sign(digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))
        )


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
