"""`publisher subscribers …`: exact messages, exit codes and what ends up in the database."""

from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO, Publication, run

from publisher.subscribers.store import SubscriberStore

EXPORTS = REPO / "tests" / "fixtures" / "exports"
SOURCES = {
    "email_list.my-newsletter.csv": "substack",
    "ghost-members.csv": "ghost",
    "unsubscribed_members_export_abc.csv": "mailchimp",
    "cleaned_members_export_abc.csv": "mailchimp",
    "buttondown-subscribers.csv": "buttondown",
    "listmonk-subscribers.csv": "listmonk",
}


def store_of(publication: Publication) -> SubscriberStore:
    return SubscriberStore.open(publication.root / ".publisher")


def subscribers(publication: Publication, *args: str):  # type: ignore[no-untyped-def]
    return run("subscribers", args[0], "--root", str(publication.root), *args[1:])


def test_add_list_count_and_remove(publication: Publication) -> None:
    added = subscribers(publication, "add", " Ada@Example.ORG ", "--name", "Ada Lovelace")
    assert (added.exit_code, added.stdout) == (0, "Added Ada@example.org (active, all sections).\n")
    added = subscribers(
        publication, "add", "bo@example.org", "--section", "Playbook", "--section", "insights"
    )
    assert added.stdout == "Added bo@example.org (active, insights, playbooks).\n"

    listed = subscribers(publication, "list")
    assert (
        listed.stdout
        == "Ada@example.org\tactive\t*\tAda Lovelace\nbo@example.org\tactive\tinsights,playbooks\t\n"
    )
    assert subscribers(publication, "list", "--section", "analyses").stdout.splitlines() == [
        "Ada@example.org\tactive\t*\tAda Lovelace"
    ]
    counted = subscribers(publication, "count")
    assert counted.stdout.splitlines() == [
        "0 pending",
        "2 active",
        "0 unsubscribed",
        "0 bounced",
        "0 complained",
        "Active by section: analyses 1, playbooks 2, insights 2",
    ]
    removed = subscribers(publication, "remove", "ADA@example.org")
    assert (removed.exit_code, removed.stdout) == (0, "Removed Ada@example.org.\n")
    assert store_of(publication).count() == 1


def test_add_and_remove_errors(publication: Publication) -> None:
    subscribers(publication, "add", "ada@example.org")
    again = subscribers(publication, "add", "ADA@example.org")
    assert (again.exit_code, again.stderr) == (1, "Error: ada@example.org is already on the list (active).\n")
    bad = subscribers(publication, "add", "ada.example.org")
    assert (bad.exit_code, bad.stderr) == (
        1,
        "Error: ada.example.org: an email address must have an @-sign.\n",
    )
    section = subscribers(publication, "add", "bo@example.org", "--section", "news")
    assert section.exit_code == 2
    assert section.stderr.endswith(
        "Error: Invalid value for --section: 'news' is not a section (one of analyses, playbooks, insights)\n"
    )
    missing = subscribers(publication, "remove", "nobody@example.org")
    assert (missing.exit_code, missing.stderr) == (1, "Error: nobody@example.org is not on the list.\n")


def test_data_dir_setting_moves_the_database_and_a_bad_one_is_refused(publication: Publication) -> None:
    config = publication.root / "publication.toml"
    config.write_text(config.read_text() + '\n[delivery]\ndata_dir = "private/list"\n')
    subscribers(publication, "add", "ada@example.org")
    assert (publication.root / "private/list/subscribers.sqlite3").is_file()
    config.write_text(config.read_text().replace('"private/list"', '"build/list"'))
    refused = subscribers(publication, "count")
    line = config.read_text().splitlines().index('data_dir = "build/list"') + 1
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[0] == (
        f"publication.toml:{line}: delivery.data_dir: must not be inside posts/, templates/ or the output: "
        "it would be published"
    )


def test_a_data_folder_tracked_by_git_is_warned_about(publication: Publication) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    subscribers(publication, "add", "ada@example.org")
    git = ["git", "-C", str(publication.root)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-f", ".publisher/subscribers.sqlite3"], check=True)
    result = subscribers(publication, "count")
    assert result.stderr == (
        "warning: .publisher/ is tracked by git: subscriber addresses would be published with the "
        "repository; run `git rm -r --cached .publisher/` and keep it in .gitignore\n"
    )


def test_the_repository_ignores_the_data_folder() -> None:
    assert ".publisher/" in (REPO / ".gitignore").read_text().splitlines()


@pytest.mark.parametrize(
    ("file", "summary", "expected"),
    [
        (
            "email_list.my-newsletter.csv",
            [
                "Imported {file} as a Substack subscriber export: 3 addresses, 3 new, 0 updated, 0 unchanged "
                "(2 active, 1 unsubscribed).",
                "Skipped 1 row: a Substack deletion request.",
            ],
            {
                "reader.one@example.com": ("active", None, "2018-08-27T15:06:27Z"),
                "Reader.Two@example.com": ("unsubscribed", None, "2018-12-19T08:03:04Z"),
                "reader.three@example.com": ("active", None, "2020-08-06T10:21:25Z"),
            },
        ),
        (
            "ghost-members.csv",
            [
                "Imported {file} as a Ghost members export: 2 addresses, 2 new, 0 updated, 0 unchanged "
                "(1 active, 1 unsubscribed)."
            ],
            {
                "reader.one@example.com": ("active", "Reader One", "2023-01-02T03:04:05Z"),
                "reader.two@example.com": ("unsubscribed", "Two, Reader", "2023-02-02T03:04:05Z"),
            },
        ),
        (
            "unsubscribed_members_export_abc.csv",
            [
                "Imported {file} as a Mailchimp audience export: 1 addresses, 1 new, 0 updated, 0 unchanged "
                "(1 unsubscribed)."
            ],
            {"reader.two@example.com": ("unsubscribed", "Two", "2018-02-12T10:54:26Z")},
        ),
        (
            "cleaned_members_export_abc.csv",
            [
                "Imported {file} as a Mailchimp audience export: 1 addresses, 1 new, 0 updated, 0 unchanged "
                "(1 bounced)."
            ],
            {"reader.three@example.com": ("bounced", "Lorem Ipsum", "2020-06-04T15:28:08Z")},
        ),
        (
            "buttondown-subscribers.csv",
            [
                "Imported {file} as a Buttondown subscriber export: 3 addresses, 3 new, 0 updated, "
                "0 unchanged (1 pending, 1 active, 1 unsubscribed)."
            ],
            {
                "reader.one@example.com": ("active", None, "2022-03-04T05:06:07Z"),
                "reader.two@example.com": ("unsubscribed", None, "2022-03-05T05:06:07Z"),
                "reader.three@example.com": ("pending", None, "2022-03-06T05:06:07Z"),
            },
        ),
        (
            "listmonk-subscribers.csv",
            [
                "Imported {file} as a listmonk subscriber export: 2 addresses, 2 new, 0 updated, 0 unchanged "
                "(1 active, 1 unsubscribed)."
            ],
            {
                "reader.one@example.com": ("active", "Reader One", "2021-01-01T10:00:00Z"),
                "reader.two@example.com": ("unsubscribed", "Reader Two", "2021-01-03T10:00:00Z"),
            },
        ),
    ],
)
def test_each_service_export_is_recognised_by_its_headers(
    publication: Publication, file: str, summary: list[str], expected: dict[str, tuple]
) -> None:
    path = EXPORTS / file
    result = subscribers(publication, "import", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [line.format(file=path.as_posix()) for line in summary]
    store = store_of(publication)
    found = {s.email: (s.status, s.name, s.created_at) for s in store.all()}
    assert found == expected
    assert {s.source for s in store.all()} == {SOURCES[file]}


def test_merging_never_resubscribes_and_never_duplicates(publication: Publication) -> None:
    subscribers(publication, "import", str(EXPORTS / "subscribed_members_export_abc.csv"))
    subscribers(publication, "import", str(EXPORTS / "unsubscribed_members_export_abc.csv"))
    subscribers(publication, "import", str(EXPORTS / "cleaned_members_export_abc.csv"))
    again = subscribers(publication, "import", str(EXPORTS / "buttondown-subscribers.csv"))
    assert again.stdout.splitlines() == [
        f"Imported {(EXPORTS / 'buttondown-subscribers.csv').as_posix()} as a Buttondown subscriber export: "
        "3 addresses, 0 new, 0 updated, 3 unchanged (1 active, 1 unsubscribed, 1 bounced)."
    ]
    store = store_of(publication)
    assert {s.email: s.status for s in store.all()} == {
        "reader.one@example.com": "active",
        "reader.two@example.com": "unsubscribed",
        "reader.three@example.com": "bounced",
    }


def test_bad_rows_are_all_reported_and_nothing_is_imported(publication: Publication, tmp_path: Path) -> None:
    file = tmp_path / "list.csv"
    file.write_text(
        "Email,Name\nfine@example.com,Fine\nnot-an-address,Bad\n\n,Empty\nFINE@example.com,Twice\n",
        encoding="utf-8",
    )
    result = subscribers(publication, "import", str(file))
    shown = file.as_posix()
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{shown}:3: email: not-an-address: an email address must have an @-sign.",
        f"{shown}:5: email: (empty): is empty",
        "Import failed: 2 errors; nothing was imported (--skip-invalid imports the other rows).",
    ]
    assert store_of(publication).count() == 0
    skipped = subscribers(publication, "import", str(file), "--skip-invalid")
    assert skipped.exit_code == 0
    assert skipped.stdout.splitlines() == [
        f"Imported {shown} as a CSV file with an email column: 1 addresses, 1 new, 0 updated, 0 unchanged "
        "(1 active).",
        "Skipped 2 invalid rows (listed above).",
    ]
    assert [(s.email, s.name) for s in store_of(publication).all()] == [("fine@example.com", "Fine")]


def test_a_file_without_an_email_column_is_refused(publication: Publication, tmp_path: Path) -> None:
    file = tmp_path / "names.csv"
    file.write_text("Name,Phone\nAda,1\n", encoding="utf-8")
    result = subscribers(publication, "import", str(file))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{file.as_posix()}:1: (header): has no email column; recognised exports: publisher export, "
        "Ghost members export, Substack subscriber export, Mailchimp audience export, "
        "Buttondown subscriber export, listmonk subscriber export",
        "Import failed: 1 error; nothing was imported.",
    ]


def test_export_then_import_gives_the_same_list(make_publication, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = make_publication("first")
    subscribers(first, "import", str(EXPORTS / "listmonk-subscribers.csv"))
    subscribers(first, "add", "Ada@example.org", "--name", 'Ada, "the" Countess', "--section", "analyses")
    store = store_of(first)
    store.set_sections(store.find("reader.one@example.com").id, [])  # type: ignore[union-attr]
    file = tmp_path / "export.csv"
    exported = subscribers(first, "export", str(file))
    assert exported.stdout == f"Exported 3 subscribers to {file.as_posix()}.\n"
    assert file.stat().st_mode & 0o077 == 0
    rows = list(csv.DictReader(file.open(encoding="utf-8")))
    assert list(rows[0]) == [
        "email",
        "name",
        "status",
        "sections",
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
        "updated_at",
        "source",
    ]
    second = make_publication("second")
    imported = subscribers(second, "import", str(file))
    assert imported.stdout.startswith(f"Imported {file.as_posix()} as a publisher export: 3 addresses, 3 new")

    def columns(publication: Publication) -> list[tuple]:
        return [
            (s.email, s.name, s.status, s.sections, s.created_at, s.confirmed_at, s.unsubscribed_at)
            for s in store_of(publication).all()
        ]

    assert columns(second) == columns(first)


def test_an_absolute_data_dir_works_and_one_inside_posts_is_refused(
    publication: Publication, tmp_path: Path
) -> None:
    config = publication.root / "publication.toml"
    elsewhere = tmp_path / "var" / "lib" / "civic-ledger"
    config.write_text(config.read_text() + f'\n[delivery]\ndata_dir = "{elsewhere.as_posix()}"\n')
    assert subscribers(publication, "add", "ada@example.org").exit_code == 0
    assert (elsewhere / "subscribers.sqlite3").is_file()
    config.write_text(
        config.read_text().replace(elsewhere.as_posix(), (publication.root / "posts" / "x").as_posix())
    )
    refused = subscribers(publication, "count")
    line = len(config.read_text().splitlines())
    assert (refused.exit_code, refused.stderr.splitlines()[0]) == (
        1,
        f"publication.toml:{line}: delivery.data_dir: must not be inside posts/: it would be published",
    )


def test_subscriber_addresses_never_reach_the_build_output(publication: Publication) -> None:
    publication.post("analyses/hello.md", title="Hello")
    subscribers(publication, "add", "secret.reader@example.org", "--name", "Secret Reader")
    result = publication.build()
    assert result.exit_code == 0, result.stderr
    assert "secret.reader" not in result.output
    files = [p for p in publication.out.rglob("*") if p.is_file()]
    assert files
    assert not [p for p in files if b"secret.reader" in p.read_bytes() or b"Secret Reader" in p.read_bytes()]
    assert not [p for p in files if "subscribers" in p.name or ".publisher" in p.parts]
