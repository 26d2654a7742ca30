"""What "valid output" means for the hostile-input tests, as functions over a build folder.

Pages and email HTML must parse with no error under the HTML5 parsing
algorithm (html5lib); feeds must parse as XML with feedparser reporting no
problem; every `.eml` must parse back with exactly the headers publisher
writes, and no header may hold a line break.
"""

from __future__ import annotations

import json
from email import policy
from email.parser import BytesParser
from pathlib import Path

import feedparser
import html5lib
import lxml.etree

EML_HEADERS = [
    "Subject",
    "From",
    "Reply-To",
    "Date",
    "Message-ID",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "MIME-Version",
    "Content-Type",
]


def html5_errors(html: bytes | str) -> list[str]:
    """Every parse error of the HTML5 algorithm, as `line:column: code`; [] for a clean page."""
    parser = html5lib.HTMLParser(strict=False)
    parser.parse(html)
    return [f"{line}:{column}: {code} {data or ''}" for (line, column), code, data in parser.errors]


def page_problems(out: Path) -> dict[str, list[str]]:
    """html5lib's errors for every page and email HTML of a build; {} when all are clean."""
    found = {}
    for file in sorted([*(out / "site").rglob("*.html"), *(out / "email").glob("*.html")]):
        errors = html5_errors(file.read_bytes())
        if errors:
            found[str(file.relative_to(out))] = errors
    return found


def eml_problems(out: Path, headers: list[str] = EML_HEADERS) -> dict[str, list[str]]:
    """For each `.eml`: header names other than `headers`, defects, line breaks in values."""
    found = {}
    for file in sorted((out / "email").glob("*.eml")):
        message = BytesParser(policy=policy.default).parsebytes(file.read_bytes())
        problems = []
        if list(message.keys()) != headers:
            problems.append(f"headers {list(message.keys())}")
        problems += [f"defect {defect!r}" for defect in message.defects]
        for name, value in message.items():
            if "\n" in str(value) or "\r" in str(value):
                problems.append(f"{name} holds a line break")
        for part in message.walk():
            problems += [f"part defect {defect!r}" for defect in part.defects]
        if problems:
            found[file.name] = problems
    return found


def feed_problems(out: Path) -> dict[str, list[str]]:
    """XML well-formedness and feedparser's complaints for every RSS and Atom file, and feed.json."""
    found = {}
    for file in sorted([*(out / "site").rglob("feed.xml"), *(out / "site").rglob("atom.xml")]):
        problems = []
        try:
            lxml.etree.fromstring(file.read_bytes())
        except lxml.etree.XMLSyntaxError as exc:
            problems.append(f"XML: {exc}")
        parsed = feedparser.parse(file.read_bytes())
        if parsed.bozo:
            problems.append(f"feedparser: {parsed.bozo_exception}")
        for entry in parsed.entries:
            for content in entry.get("content", []):
                errors = html5_errors(f"<!DOCTYPE html><title>x</title><body>{content.value}")
                problems += [f"content of {entry.link}: {e}" for e in errors]
        if problems:
            found[str(file.relative_to(out))] = problems
    json_file = out / "site" / "feed.json"
    if json_file.exists():
        items = json.loads(json_file.read_text(encoding="utf-8"))["items"]
        for item in items:
            errors = html5_errors(f"<!DOCTYPE html><title>x</title><body>{item['content_html']}")
            if errors:
                found.setdefault("site/feed.json", []).extend(errors)
    return found


def output_problems(out: Path, headers: list[str] = EML_HEADERS) -> dict[str, list[str]]:
    """Everything above for one build: {} when every output is valid."""
    return {**page_problems(out), **eml_problems(out, headers), **feed_problems(out)}
