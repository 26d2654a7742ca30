"""`publisher check`: everything the build rejects, plus broken anchors; warnings; --strict."""

from __future__ import annotations

from conftest import Publication, run


def check(publication: Publication, *args: str) -> object:
    return run("check", "--root", str(publication.root), *args)


def test_a_clean_publication_checks_out_and_nothing_is_written(publication: Publication) -> None:
    publication.post("analyses/one.md", title="One", tags="[a]", body="## Why\n\nText.")
    result = check(publication)
    assert result.exit_code == 0
    assert result.stdout == "Checked 1 posts: no errors, 0 warnings.\n"
    assert not publication.out.exists()


def test_broken_anchor_and_missing_image_are_errors_with_lines(publication: Publication) -> None:
    publication.post("analyses/target.md", title="Target", tags="[a]", body="## The real heading\n\nText.")
    publication.post(
        "insights/source.md",
        title="Source",
        tags="[a]",
        body="""
        Intro.

        See [the part](../analyses/target.md#the-heading) and [below](#nowhere).

        ![A chart](missing.png)
        """,
    )
    result = check(publication)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "posts/insights/source.md:9: link: links to '#nowhere', but this post has no heading or element "
        "with the id 'nowhere'",
        "posts/insights/source.md:9: link: links to '../analyses/target.md#the-heading', but "
        "posts/analyses/target.md has no heading or element with the id 'the-heading'",
        "posts/insights/source.md:11: image: 'missing.png' does not exist next to the post",
        "Check failed: 3 errors.",
    ]
    assert not publication.out.exists()


def test_build_only_warns_about_a_broken_anchor(publication: Publication) -> None:
    publication.post("analyses/target.md", title="Target", tags="[a]", body="## Real\n\nText.")
    publication.post("insights/source.md", title="Source", tags="[a]", body="[x](../analyses/target.md#fake)")
    result = publication.build()
    assert result.exit_code == 0
    assert result.stderr == (
        "warning: posts/insights/source.md:7: link: links to '../analyses/target.md#fake', but "
        "posts/analyses/target.md has no heading or element with the id 'fake'\n"
    )
    assert check(publication).exit_code == 1


def test_strict_fails_on_missing_alt_text(publication: Publication) -> None:
    (publication.root / "posts/insights").mkdir(parents=True, exist_ok=True)
    (publication.root / "posts/insights/chart.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    publication.post("insights/pic.md", title="Pic", tags="[a]", body="Intro.\n\n![](chart.png)")
    relaxed = check(publication)
    assert relaxed.exit_code == 0
    assert relaxed.stderr == "warning: posts/insights/pic.md:9: image: 'chart.png' has no alt text\n"
    assert relaxed.stdout == "Checked 1 posts: no errors, 1 warning.\n"
    strict = check(publication, "--strict")
    assert strict.exit_code == 1
    assert strict.stderr == (
        "warning: posts/insights/pic.md:9: image: 'chart.png' has no alt text\n"
        "Check failed: 1 warning with --strict; nothing was written.\n"
    )
    assert publication.build("--strict").exit_code == 1
    assert not (publication.out / "site").exists(), "a strict failure writes nothing"


def test_other_warnings(publication: Publication) -> None:
    publication.post("insights/untagged.md", title="Untagged", summary="'" + "Long summary. " * 20 + "'")
    result = check(publication)
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        "warning: posts/insights/untagged.md:4: summary: is 280 characters; keep it under 200 "
        "(inbox previews and search results cut it)",
        "warning: posts/insights/untagged.md:5: tags: the post has no tags",
    ]
