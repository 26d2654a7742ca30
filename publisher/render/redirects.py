"""Redirects from `redirects.txt`: a `_redirects` file and a page at each old path.

Netlify and Cloudflare Pages read `_redirects` and answer with a real 301; every other static
host serves the small page at the old path, which sends browsers on with `<meta
http-equiv="refresh">` and tells search engines the new address with `rel="canonical"`. A
redirect to a post that this build leaves out (a draft, a scheduled post) is left out too, until
the post is published.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from publisher.content.redirects import REDIRECTS_NAME, Redirect
from publisher.content.resolve import Site
from publisher.errors import ContentError
from publisher.incremental.fingerprint import digest
from publisher.render.site import Job

NETLIFY_FILE = "_redirects"


def page_name(source: str) -> str:
    """`/2019/05/hello/` -> `2019/05/hello/index.html`; `/old.html` stays `old.html`."""
    path = source.strip("/")
    last = path.rsplit("/", 1)[-1]
    return path if "." in last and not source.endswith("/") else f"{path}/index.html"


def redirect_page(site: Site, target: str, title: str) -> bytes:
    """A page that sends the reader to `target` at once, with a link for when it does not."""
    url = escape(target)
    language = escape(site.publication.language)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{language}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>Moved: {escape(title)}</title>\n"
        '<meta name="robots" content="noindex">\n'
        f'<link rel="canonical" href="{url}">\n'
        f'<meta http-equiv="refresh" content="0; url={url}">\n'
        "</head>\n<body>\n"
        f'<p>This page has moved to <a href="{url}">{escape(title)}</a>.</p>\n'
        "</body>\n</html>\n"
    ).encode()


def redirect_jobs(
    site: Site, redirects: list[Redirect], taken: set[str], web_digest: str
) -> tuple[list[Job], list[ContentError]]:
    """The pages and `_redirects` for this build; an old path over a page of the site is an error."""
    entries = {entry.slug: entry for entry in site.entries}
    jobs: list[Job] = []
    errors: list[ContentError] = []
    lines: list[str] = []
    for redirect in redirects:
        slug = redirect.post_slug
        if slug is not None and slug not in entries:
            continue  # a draft or scheduled post: its redirect comes with it
        name = page_name(redirect.source)
        if name in taken or name == NETLIFY_FILE:
            errors.append(
                ContentError(
                    REDIRECTS_NAME, redirect.line, "redirect", f"{redirect.source!r} is a page of this site"
                )
            )
            continue
        if redirect.target.startswith("/"):
            target = site.absolute(site.url(redirect.target.lstrip("/")))
            local = site.url(redirect.target.lstrip("/"))
        else:
            target = local = redirect.target
        title = entries[slug].title if slug is not None else target
        data = redirect_page(site, target, title)
        jobs.append(Job(name, digest(web_digest, "redirect", name, data.decode()), lambda data=data: data))
        source = site.url(redirect.source.lstrip("/"))
        lines.append(f"{quote(source, safe='/%')} {quote(local, safe='/%:?=&#')} 301\n")
        taken.add(name)
    if lines:
        text = "".join(lines).encode("utf-8")
        jobs.append(Job(NETLIFY_FILE, digest(web_digest, "redirects", text.decode()), lambda: text))
    return jobs, errors
