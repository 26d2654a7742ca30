"""Cache files as sealed JSON: data only, never code, checked before it is trusted.

A sealed file is one header line, `publisher-cache <format> <digest>`, then
JSON. The digest is a BLAKE2b of the JSON, keyed with `PUBLISHER_CACHE_KEY`
from the environment when it is set: without the key, the seal catches
corrupt, truncated, foreign and hand-edited files; with it, a cache that
someone else can write (a shared CI cache) is only trusted when it was
written with the same key. Anything that fails the check reads as no cache.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

FORMAT = 2
MAGIC = b"publisher-cache"
KEY_VARIABLE = "PUBLISHER_CACHE_KEY"


class Unsealed(ValueError):
    """A cache file that is missing, unreadable, foreign or fails its digest."""


def _seal(payload: bytes) -> str:
    secret = os.environ.get(KEY_VARIABLE, "").encode("utf-8", "surrogateescape")
    key = hashlib.blake2b(secret, digest_size=32).digest() if secret else b""
    return hashlib.blake2b(payload, key=key, digest_size=32).hexdigest()


def write_sealed(path: Path, data: object) -> None:
    """Write `data` as sealed JSON, atomically: readers see the old file or the new one."""
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    header = b"%s %d %s\n" % (MAGIC, FORMAT, _seal(payload).encode())
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(header + payload)
    os.replace(temporary, path)


def read_sealed(path: Path) -> object:
    """The data of a sealed file; `Unsealed` for anything else (FileNotFoundError if absent)."""
    raw = path.read_bytes()
    header, newline, payload = raw.partition(b"\n")
    parts = header.split(b" ")
    if not newline or len(parts) != 3 or parts[0] != MAGIC or parts[1] != b"%d" % FORMAT:
        raise Unsealed("not a publisher cache file of this version")
    if parts[2].decode("ascii", "replace") != _seal(payload):
        raise Unsealed("its digest does not match")
    try:
        return json.loads(payload.decode("utf-8"))
    except ValueError as exc:
        raise Unsealed(str(exc)) from None


def blob_digest(data: bytes) -> str:
    """The name a content-addressed cache file must have (and `Body.html_digest`)."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()
