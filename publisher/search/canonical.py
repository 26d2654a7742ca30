"""Make Pagefind's output the same bytes for the same posts.

Pagefind (1.5) writes the values of each filter, and the list of filters in
its metadata file, in hash-map order, which changes from run to run (its
issue 638: "other files will still change, such as the filter/metadata
indexes"). Everything else it writes is stable. So the filter files and the
metadata file are decoded (gzip around a signature and CBOR), sorted, encoded
again and named by a hash of their new content, and `pagefind-entry.json`
points at the new metadata file. What they hold is unchanged: Pagefind looks
filters up by name and files by the names it is given.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import PurePosixPath

import cbor2

SIGNATURE = b"pagefind_dcd"  # what a decompressed Pagefind file starts with
ENTRY = "pagefind-entry.json"
# Fields of the metadata file (pagefind's MetaIndex): version, pages, index chunks,
# filters as [name, file hash] pairs, sorts, metadata field names.
META_FIELDS = 6
META_FILTERS = 3


class UnexpectedFormat(ValueError):
    """Pagefind wrote something this module does not know how to read."""


def canonical_bundle(files: dict[str, bytes]) -> dict[str, bytes]:
    """`files` (paths inside the bundle -> bytes) with filters and metadata in sorted order."""
    out = dict(files)
    renamed: dict[str, str] = {}
    for name in sorted(files):
        path = PurePosixPath(name)
        if path.parent.name != "filter" or path.suffix != ".pf_filter":
            continue
        filter_name, values = _filter(decode(files[name]), name)
        data = encode([filter_name, sorted(values, key=lambda value: value[0])])
        new = _name(path.stem, data, 7)
        renamed[path.stem] = new
        del out[name]
        out[str(path.with_name(f"{new}.pf_filter"))] = data
    try:
        entry = json.loads(files[ENTRY])
        languages = entry["languages"]
    except (KeyError, ValueError, TypeError) as error:
        raise UnexpectedFormat(f"{ENTRY} is missing or unreadable: {error}") from None
    for info in languages.values():
        meta_name = f"pagefind.{info['hash']}.pf_meta"
        if meta_name not in files:
            raise UnexpectedFormat(f"{ENTRY} names {meta_name}, which Pagefind did not write")
        meta = decode(files[meta_name])
        if not isinstance(meta, list) or len(meta) != META_FIELDS:
            raise UnexpectedFormat(f"{meta_name} does not hold the {META_FIELDS} fields expected")
        meta[META_FILTERS] = sorted([name, renamed.get(hash_, hash_)] for name, hash_ in meta[META_FILTERS])
        data = encode(meta)
        new = _name(info["hash"], data, 10)
        del out[meta_name]
        out[f"pagefind.{new}.pf_meta"] = data
        info["hash"] = new
    out[ENTRY] = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return out


def decode(data: bytes) -> object:
    """A Pagefind index file's content: gzip, then the signature, then CBOR."""
    try:
        raw = gzip.decompress(data)
    except (OSError, EOFError) as error:
        raise UnexpectedFormat(f"not gzip: {error}") from None
    if not raw.startswith(SIGNATURE):
        raise UnexpectedFormat("no Pagefind signature")
    return cbor2.loads(raw[len(SIGNATURE) :])


def encode(value: object) -> bytes:
    """The inverse of `decode`, with a fixed gzip header so equal values give equal bytes."""
    return gzip.compress(SIGNATURE + cbor2.dumps(value), compresslevel=9, mtime=0)


def _filter(value: object, name: str) -> tuple[str, list[list[object]]]:
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[1], list)):
        raise UnexpectedFormat(f"{name} is not a [filter, values] pair")
    return value[0], value[1]


def _name(old: str, data: bytes, length: int) -> str:
    """`en_1a2b3c4` style: Pagefind's language prefix, then a hash of the content."""
    language = old.rpartition("_")[0]
    return f"{language}_{hashlib.sha256(data).hexdigest()[:length]}"
