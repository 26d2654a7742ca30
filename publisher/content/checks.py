"""Editorial checks beyond what a build must reject.

`publisher build` prints these as warnings (`--strict` makes them fatal);
`publisher check` treats broken anchors as errors, since a link into a
heading that was renamed is a broken link.
"""

from __future__ import annotations

from publisher.content.markup import SUMMARY_LENGTH
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
            warnings.append(ContentError(post.source, 1, "tags", "the post has no tags"))
    return warnings
