"""Editorial checks beyond what a build must reject.

`publisher build` prints these as warnings (`--strict` makes them fatal);
`publisher check` treats broken anchors as errors, since a link into a
heading that was renamed is a broken link.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from publisher.content.markup import SUMMARY_LENGTH
from publisher.content.posts import Post
from publisher.content.resolve import Site, body_line
from publisher.errors import ContentError


def broken_anchors(site: Site) -> list[ContentError]:
    """Links to `#fragment`s that name no heading or element in their target."""
    by_file = {str(entry.post.resolved): entry for entry in site.entries}
    errors = []
    for entry in site.entries:
        for href, target_file, fragment in entry.anchors:
            target = entry if target_file is None else by_file.get(target_file)
            if target is None or fragment in target.ids:
                continue
            where = "this post" if target is entry else target.post.source
            errors.append(
                ContentError(
                    entry.post.source,
                    body_line(entry.post, href),
                    "link",
                    f"links to {href!r}, but {where} has no heading or element with the id {fragment!r}",
                )
            )
    return errors


def editorial_warnings(site: Site) -> list[ContentError]:
    """Things a careful editor would fix: missing alt text, long summaries, no tags."""
    warnings = []
    for entry in site.entries:
        post = entry.post
        for src in entry.images_without_alt:
            warnings.append(
                ContentError(post.source, body_line(post, src), "image", f"{src!r} has no alt text")
            )
        if post.meta.cover and not (post.meta.cover_alt or "").strip():
            warnings.append(
                ContentError(post.source, post.line_of("cover"), "cover_alt", "the cover has no alt text")
            )
        if post.meta.summary is not None and len(post.meta.summary) > SUMMARY_LENGTH:
            warnings.append(
                ContentError(
                    post.source,
                    post.line_of("summary"),
                    "summary",
                    f"is {len(post.meta.summary)} characters; keep it under {SUMMARY_LENGTH} "
                    "(inbox previews and search results cut it)",
                )
            )
        if not post.meta.tags:
            # at its `tags:` line, or at the `---` that closes the front matter
            line = post.line_of("tags") if ("tags",) in post.field_lines else post.body_line - 1
            warnings.append(ContentError(post.source, line, "tags", "the post has no tags"))
    return warnings


HTML_FINDINGS_MAX = 20  # per post; a pasted page can hold thousands


def raw_html_findings(site: Site) -> tuple[list[ContentError], list[ContentError], list[ContentError]]:
    """What the raw-HTML policy found, as (invalid, dropped in email and feeds, fatal).

    Invalid HTML was written as text: a warning in `build`, an error in `check`.
    What email and feeds drop is a warning. Nesting too deep stops the build.
    """
    invalid: list[ContentError] = []
    dropped: list[ContentError] = []
    fatal: list[ContentError] = []
    for entry in site.entries:
        if entry.body is None:
            continue
        post = entry.post
        problems = entry.body.html_problems
        for problem in problems[:HTML_FINDINGS_MAX]:
            found = ContentError(post.source, body_line(post, problem.snippet), "html", problem.message)
            {"invalid": invalid, "unsafe": dropped, "depth": fatal}[problem.kind].append(found)
        if len(problems) > HTML_FINDINGS_MAX:  # each line is looked up in the body: keep it linear
            more = f"and {len(problems) - HTML_FINDINGS_MAX:,} more raw-HTML problems like these"
            invalid.append(ContentError(post.source, post.body_line, "html", more))
    return invalid, dropped, fatal


def held_back_findings(
    resolve_all: Callable[[], tuple[Site, list[ContentError]]], posts: list[Post], now: datetime
) -> tuple[list[ContentError], list[ContentError]]:
    """`check`'s errors and warnings in drafts and scheduled posts, each marked as such.

    `resolve_all` resolves the publication with drafts and scheduled posts in;
    only what concerns those posts is kept, so the published ones are checked
    exactly as `build` checks them.
    """
    held = {
        p.source: "draft" if p.meta.draft else "scheduled" for p in posts if p.meta.draft or p.meta.date > now
    }
    if not held:
        return [], []
    site, errors = resolve_all()
    invalid, dropped, fatal = raw_html_findings(site)
    errors = errors + broken_anchors(site) + invalid + fatal
    warnings = editorial_warnings(site) + dropped

    def marked(found: list[ContentError]) -> list[ContentError]:
        return [replace(e, message=f"{e.message} ({held[e.path]})") for e in found if e.path in held]

    return marked(errors), marked(warnings)
