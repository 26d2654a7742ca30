"""An archive imported from Substack, Ghost and WordPress passes the Nu checker like any other."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Publication
from test_import import import_all

from .checks import email_merge_tags, listing, vnu_messages, vnu_problems

pytestmark = pytest.mark.browser


def test_imported_pages_redirects_and_emails_are_valid_html(java: str, tmp_path: Path) -> None:
    publication = Publication(tmp_path / "pub")
    import_all(publication)
    assert publication.build("--quiet", "--drafts").exit_code == 0
    site = publication.out / "site"
    files = sorted((site / "p").rglob("*.html"))  # every imported post, and Substack's changed slugs
    files += [
        site / "reading-the-budget-book/index.html",
        site / "2019/05/03/ferry-schedules-explained/index.html",
    ]
    emails = sorted((publication.out / "email").glob("*.html"))
    assert len(files) > 15 and len(emails) == 16
    report = vnu_messages(files + emails, java)
    tags = email_merge_tags(publication.root)
    found = {str(f.relative_to(site)): vnu_problems(report[f.resolve()]) for f in files}
    found.update({f.name: vnu_problems(report[f.resolve()], email=True, merge_tags=tags) for f in emails})
    found = {name: lines for name, lines in found.items() if lines}
    assert not found, listing(found)
