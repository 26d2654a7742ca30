"""publication.toml: validated on load, every error with its line and key."""

from __future__ import annotations

from conftest import Publication

from publisher.content.config import Publication as Settings

TOP_KEYS = ", ".join(Settings.model_fields)


def set_config(publication: Publication, old: str, new: str) -> None:
    path = publication.root / "publication.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def line_of(publication: Publication, needle: str, after: str = "") -> int:
    """1-based line of the first line equal to `needle` after the line `after`."""
    lines = (publication.root / "publication.toml").read_text().splitlines()
    start = lines.index(after) if after else 0
    return lines.index(needle, start) + 1


def test_unknown_key_and_wrong_type_are_reported_with_lines(publication: Publication) -> None:
    set_config(publication, 'language = "en"', 'langauge = "en"')
    set_config(publication, "posts_per_page = 10", 'posts_per_page = "ten"')
    result = publication.build()
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    typo = line_of(publication, 'langauge = "en"')
    assert lines[0] == f"publication.toml:{typo}: langauge: unknown field (allowed: {TOP_KEYS})"
    ppp = line_of(publication, 'posts_per_page = "ten"')
    assert f"publication.toml:{ppp}: posts_per_page: must be a whole number" in lines
    assert lines[-1] == "Build failed: 2 errors; nothing was written."


def test_errors_inside_tables_name_the_key_and_line(publication: Publication) -> None:
    set_config(publication, 'singular = "Playbook"', 'singlar = "Playbook"')
    set_config(publication, "[support]\n", "[support]\ncolour = 1\n")
    result = publication.build()
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    second_section = line_of(publication, "[[sections]]", after='singular = "Analysis"')
    typo = line_of(publication, 'singlar = "Playbook"')
    colour = line_of(publication, "colour = 1")
    assert lines[:3] == [
        f"publication.toml:{second_section}: sections[1].singular: required field is missing",
        f"publication.toml:{typo}: sections[1].singlar: unknown field (allowed: folder, name, singular, "
        "description, subject_prefix)",
        f"publication.toml:{colour}: support.colour: unknown field (allowed: text, link, link_text)",
    ]


def test_bad_time_zone_and_invalid_toml(publication: Publication) -> None:
    set_config(publication, 'timezone = "America/New_York"', 'timezone = "Mars/Olympus"')
    zone_line = line_of(publication, 'timezone = "Mars/Olympus"')
    result = publication.build()
    assert result.exit_code == 1
    assert result.stderr == (
        f"publication.toml:{zone_line}: timezone: unknown IANA time zone 'Mars/Olympus'\n"
        "Build failed: 1 error; nothing was written.\n"
    )
    set_config(publication, 'timezone = "Mars/Olympus"', "timezone = ")
    result = publication.build()
    assert result.exit_code == 1
    assert result.stderr.startswith(f"publication.toml:{zone_line}: (file): invalid TOML: ")


def test_sections_are_configurable(publication: Publication) -> None:
    path = publication.root / "publication.toml"
    text = path.read_text()
    notes = (
        '[[sections]]\nfolder = "notes"\nname = "Notes"\nsingular = "Note"\ndescription = "Quick notes."\n\n'
    )
    path.write_text(text.replace("[support]", notes + "[support]", 1))
    publication.post("notes/first.md", title="First note")
    result = publication.build()
    assert result.exit_code == 0, result.stderr
    assert (publication.out / "site/notes/index.html").is_file()
    page = (publication.out / "site/p/first/index.html").read_text()
    assert '<p class="label"><a href="/notes/">Note</a></p>' in page
