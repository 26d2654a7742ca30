"""Benchmark publisher against Pelican and Hugo on the same synthetic publication.

Absolute timings depend on the machine, so every figure is also given as a
ratio to Pelican's and Hugo's builds of the same posts, run in the same
invocation and interleaved with ours: the ratios hold on a noisy machine.

    python benchmarks/bench.py --posts 200
    python benchmarks/bench.py --posts 1000 --runs 5 --json results.json

Needs the `bench` extra (`pip install -e '.[bench]'`: Pelican, psutil);
Hugo is measured when a `hugo` binary is on the PATH. Every build runs as a
subprocess, and its peak memory is the largest summed RSS of its process tree.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
SECTIONS = ("analyses", "playbooks", "insights")
SECTION_WEIGHTS = (4, 3, 3)
TARGET_BYTES = 15_000  # about 15 KB of Markdown per post
LAST_DATE = datetime(2024, 12, 31, 7, 0)  # the newest post; the others one day apart before it
NAMES = {"publisher": "publisher", "pelican": "Pelican", "hugo": "Hugo"}
PLANNED_HEADINGS = 12
LINKABLE_HEADINGS = 3  # every post has at least this many sections, so fragments into them resolve

# --- word pools: synthetic civic-affairs prose, original and deterministic ---------------------------

BODIES = [
    "the permit office",
    "the transit authority",
    "the school board",
    "the water utility",
    "the parks department",
    "the housing authority",
    "the city council",
    "the budget office",
    "the county assessor",
    "the election board",
    "the library system",
    "the public works department",
    "the planning commission",
    "the police oversight board",
    "the procurement office",
]
THINGS = [
    "the capital plan",
    "the inspection backlog",
    "the fee schedule",
    "the overtime budget",
    "the vacancy rate",
    "the review queue",
    "the contract award",
    "the rate increase",
    "the ridership forecast",
    "the staffing plan",
    "the audit finding",
    "the bond measure",
    "the zoning map",
    "the maintenance backlog",
    "the hiring freeze",
    "the grant formula",
    "the service standard",
]
GROUPS = [
    "residents",
    "small landlords",
    "bus riders",
    "parents",
    "shop owners",
    "renters",
    "council staff",
    "inspectors",
    "union members",
    "neighborhood associations",
    "first-time applicants",
    "contractors",
    "retirees",
    "volunteer groups",
]
PLACES = [
    "the east side",
    "Harbor Point",
    "the Alder Street corridor",
    "downtown",
    "the river wards",
    "Northgate",
    "the old mill district",
    "Fairview",
    "the south shore",
    "Linden Heights",
]
CHANGES = [  # after "had"
    "doubled",
    "slipped by a season",
    "stalled",
    "grown by a third",
    "fallen by half",
    "quietly changed",
    "gone largely unreported",
    "been postponed twice",
    "been cut without a vote",
    "been rewritten late at night",
]
ROLES = ["plan reviewer", "bus driver", "parent", "shop owner", "former budget analyst", "tenant organizer"]
MONTHS = ["January", "March", "April", "June", "September", "October", "November"]
SENTENCES = [
    "In {year}, {body} reported that {thing} had {change}, a shift that {group} felt within months.",
    "Most of the delay comes from how {thing} is handled, not from anything {group} did wrong.",
    "Records from {body} show that {n} requests from {place} waited longer than {m} days.",
    "That figure matters because {group} in {place} depend on {thing} more than most.",
    "Nobody decided this should happen; it is the sum of small choices made by {body} over several "
    "budget cycles.",
    'When we asked {body} about {thing}, a spokesperson said the numbers were "under review" and '
    "declined to give a date.",
    "The pattern holds across {place}, {place2} and {place3}, though it is sharpest in {place}.",
    "Budget documents show {body} spent {money} million dollars on {thing} last year, up from {money2} "
    "million in {year}.",
    "{Group} told us the hardest part was not the cost but the uncertainty.",
    "A {pct} percent increase sounds modest until it is set against {thing}.",
    "Each step is ordinary on its own, and together they explain most of the wait.",
    "The {month} work session was the first time {body} put {thing} on a public agenda.",
    "Two things changed in {year}: {thing} had {change}, and {body} lost {n} positions it never refilled.",
    "None of this is secret, but it is spread across reports that few {group} have time to read.",
    "If {thing} keeps its current course, the gap will be wider by {year2} than it is today.",
    "Staff at {body} describe a system built for a smaller city, still running on rules written in {year}.",
    "It would be easy to blame individual employees; the records point instead to {thing}.",
    "For {group}, the practical effect is a longer wait and fewer people to ask about it.",
    "The council can change {thing} with a simple majority, and it has not tried since {year}.",
    "Several {group} in {place} said they had given up asking and simply planned around the delay.",
    "Comparable cities publish {thing} every quarter; {body} publishes it once a year, if at all.",
    "Our count is conservative: it leaves out {n} cases where the file was incomplete.",
    "The difference between the best and worst months was {m} days, far more than staffing alone explains.",
    "What looks like a single decision turns out to be {k} separate approvals, each with its own queue.",
]
HEADINGS = [
    "What the numbers show",
    "Why the queue grows",
    "How we got here",
    "Who pays",
    "What the council can do",
    "Where the money goes",
    "The staffing gap",
    "What residents can do now",
    "A short timeline",
    "What changed in the budget",
    "The view from the counter",
    "What other cities do",
    "What we still do not know",
    "Method and sources",
    "The rules behind the delay",
    "Who decides",
    "What it costs to wait",
    "Three fixes on the table",
    "The audit in brief",
    "How the vote went",
    "What to watch next",
    "The contract terms",
    "Where the data comes from",
    "Questions for the next hearing",
    "What the agency says",
    "Before and after",
    "The first step",
    "What to bring",
    "If nothing happens",
    "Who to contact",
    "The case for waiting",
    "The case against",
    "Reading the fine print",
    "How the fee works",
    "Neighborhood by neighborhood",
    "A closer look at overtime",
    "What the law requires",
    "The backlog in numbers",
    "Why it matters",
    "What comes next",
]
LEADS = [
    "Ask for the original reviewer",
    "Put every request in writing",
    "Read the agenda early",
    "Bring your own numbers",
    "Keep copies of everything",
    "Name the person responsible",
    "Check the published schedule",
    "Ask what is missing",
    "Go to the right office first",
    "Set a date to follow up",
    "Compare with last year",
    "Count the approvals",
]
TAGS = [
    "permits",
    "housing",
    "city-budget",
    "transit",
    "schools",
    "policing",
    "water",
    "zoning",
    "elections",
    "parks",
    "libraries",
    "taxes",
    "labor",
    "public-health",
    "climate",
    "courts",
    "procurement",
    "public-records",
    "council",
    "utilities",
]
AUTHORS = ["Maya Okafor", "Daniel Reyes", "Priya Natarajan", "Tom Ellison", "Grace Liu"]
TOPICS = [
    "Permit",
    "Transit",
    "School Bus",
    "Water Rate",
    "Parks",
    "Housing Voucher",
    "Budget",
    "Overtime",
    "Library Hours",
    "Zoning",
    "Ballot",
    "Contract",
    "Inspection",
    "Sidewalk",
    "Trash Pickup",
]
TITLE_PATTERNS = {
    "analyses": [
        "The {topic} Bottleneck",
        "Who Pays for the {topic} Backlog",
        "Inside the {topic} Queue",
        "Why the {topic} Plan Keeps Slipping",
        "The Hidden Cost of {topic} Delays",
    ],
    "playbooks": [
        "How to Get a Stuck {topic} Request Moving",
        "How to Testify About the {topic} Plan",
        "A Resident's Guide to the {topic} Process",
        "How to Read the {topic} Report",
    ],
    "insights": [
        "Council Moves on {topic} Fees",
        "What Tuesday's {topic} Vote Means",
        "{topic} Hearing Dates Announced",
        "A First Look at the New {topic} Numbers",
    ],
}


@dataclass(frozen=True)
class PlannedPost:
    """A post's metadata, decided before any body is written so bodies can link to each other."""

    index: int
    section: str
    slug: str
    title: str
    subtitle: str
    date: datetime
    tags: list[str]
    authors: list[str]
    summary: str
    headings: list[str]
    responds_to: str | None
    related: list[str]

    @property
    def path(self) -> str:
        return f"{self.section}/{self.slug}.md"


def heading_id(heading: str) -> str:
    """The id Python-Markdown's toc (and Hugo, and Pelican) give a plain ASCII heading."""
    return "-".join(heading.lower().split())


def slugify(text: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))


class Writer:
    """Assembles sentences, paragraphs and Markdown blocks from the pools with one RNG."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def sentence(self) -> str:
        rng = self.rng
        places = rng.sample(PLACES, 3)
        group = rng.choice(GROUPS)
        year = rng.randint(2009, 2022)
        money = rng.randint(3, 90)
        return rng.choice(SENTENCES).format(
            body=rng.choice(BODIES),
            thing=rng.choice(THINGS),
            group=group,
            Group=group[0].upper() + group[1:],
            place=places[0],
            place2=places[1],
            place3=places[2],
            change=rng.choice(CHANGES),
            year=year,
            year2=year + rng.randint(4, 9),
            n=rng.randint(40, 4000),
            m=rng.randint(20, 200),
            k=rng.randint(3, 9),
            money=money,
            money2=rng.randint(2, money - 1),
            pct=rng.randint(3, 45),
            month=rng.choice(MONTHS),
        )

    def paragraph(self, extra: str = "") -> str:
        sentences = [self.sentence() for _ in range(self.rng.randint(4, 7))]
        if extra:
            sentences.insert(self.rng.randint(1, len(sentences)), extra)
        return " ".join(sentences)

    def bullets(self) -> str:
        leads = self.rng.sample(LEADS, self.rng.randint(4, 6))
        return "\n".join(f"- **{lead}.** {self.sentence()} {self.sentence()}" for lead in leads)

    def tasks(self) -> str:
        return "\n".join(
            f"- [{'x' if i == 0 else ' '}] {lead}" for i, lead in enumerate(self.rng.sample(LEADS, 4))
        )

    def table(self) -> str:
        rows = ["| Measure | 2019 | 2022 | 2025 |", "|---|---:|---:|---:|"]
        for thing in self.rng.sample(THINGS, 5):
            start = self.rng.randint(10, 90)
            values = [start, start + self.rng.randint(0, 60), start + self.rng.randint(20, 140)]
            rows.append(f"| {thing[4:].capitalize()} | " + " | ".join(map(str, values)) + " |")
        return "\n".join(rows)

    def quote(self) -> str:
        role, place = self.rng.choice(ROLES), self.rng.choice(PLACES)
        return f'> "{self.sentence()} {self.sentence()}"\n>\n> — a {role} in {place}'


def plan(posts: int, seed: int) -> list[PlannedPost]:
    """Decide every post's section, slug, date, tags and cross-references."""
    rng = random.Random(seed)
    planned: list[PlannedPost] = []
    analyses: list[str] = []
    for index in range(posts):
        # the first three cover every section (the first is an analysis for playbooks to answer)
        section = SECTIONS[index] if index < len(SECTIONS) else rng.choices(SECTIONS, SECTION_WEIGHTS)[0]
        topic = rng.choice(TOPICS)
        title = rng.choice(TITLE_PATTERNS[section]).format(topic=topic)
        slug = f"{slugify(title)}-{index + 1}"
        summary = Writer(rng).sentence()
        planned.append(
            PlannedPost(
                index=index,
                section=section,
                slug=slug,
                title=title,
                subtitle=f"What {rng.choice(GROUPS)} in {rng.choice(PLACES)} should know about "
                f"{topic.lower()}",
                date=LAST_DATE - timedelta(days=posts - 1 - index),
                tags=rng.sample(TAGS, rng.randint(1, 4)),
                authors=rng.sample(AUTHORS, rng.randint(1, 2)) if rng.random() < 0.6 else [],
                summary=summary,
                headings=rng.sample(HEADINGS, PLANNED_HEADINGS),
                responds_to=rng.choice(analyses) if section == "playbooks" else None,
                related=[planned[i].slug for i in rng.sample(range(index), min(2, index))],
            )
        )
        if section == "analyses":
            analyses.append(slug)
    return planned


def body(post: PlannedPost, planned: Sequence[PlannedPost], rng: random.Random) -> str:
    """About TARGET_BYTES of Markdown: sections with lists, a table, a quote, footnotes and links."""
    write = Writer(rng)

    def link() -> str:
        target = rng.choice(planned)
        while target is post and len(planned) > 1:
            target = rng.choice(planned)
        if rng.random() < 0.4:
            heading = rng.choice(target.headings[:LINKABLE_HEADINGS])
            return (
                f"The section on [{heading.lower()}](../{target.path}#{heading_id(heading)}) "
                f"in *{target.title}* covers this in more detail."
            )
        sentence = write.sentence()
        return f"As [{target.title}](../{target.path}) showed, {sentence[0].lower()}{sentence[1:]}"

    blocks: list[str] = []
    intro = write.paragraph(f"This piece draws on public records and interviews.[^1] {link()}")
    if post.responds_to:
        intro = (
            f"This playbook responds to [the analysis](../analyses/{post.responds_to}.md); "
            f"it turns its findings into steps. {intro}"
        )
    blocks += [intro, write.paragraph(link())]
    extras: list[Callable[[], str]] = [
        write.bullets,
        write.table,
        write.quote,
        write.tasks if post.section == "playbooks" else write.bullets,
    ]
    own = post.headings[LINKABLE_HEADINGS]
    blocks.append(write.paragraph(f"We come back to this [further down](#{heading_id(own)})."))
    size = sum(len(b) for b in blocks)
    for number, heading in enumerate(post.headings):
        if number >= LINKABLE_HEADINGS + 1 and size >= TARGET_BYTES - 400:
            break
        section = [f"## {heading}", write.paragraph(link() if number % 2 else "")]
        if number < len(extras):
            section.append(extras[number]())
        section.append(write.paragraph("A second source agrees.[^2]" if number == 1 else ""))
        blocks += section
        size += sum(len(b) + 2 for b in section)
    while size < TARGET_BYTES - 400:
        blocks.append(write.paragraph())
        size += len(blocks[-1]) + 2
    blocks.append(f"[^1]: Records obtained from {rng.choice(BODIES)} under the public records ordinance.")
    blocks.append(f"[^2]: Testimony at the {rng.choice(MONTHS)} work session of {rng.choice(BODIES)}.")
    return "\n\n".join(blocks) + "\n"


def front_matter(post: PlannedPost) -> str:
    """YAML front matter with only the keys publisher allows; JSON strings are valid YAML."""
    lines = [
        "---",
        f"title: {json.dumps(post.title)}",
        f"subtitle: {json.dumps(post.subtitle)}",
        f"date: {post.date.isoformat()}",
        f"summary: {json.dumps(post.summary)}",
        f"tags: [{', '.join(post.tags)}]",
    ]
    if post.authors:
        lines.append(f"authors: [{', '.join(post.authors)}]")
    if post.responds_to:
        lines.append(f"responds_to: {post.responds_to}")
    if post.related:
        lines.append(f"related: [{', '.join(post.related)}]")
    return "\n".join([*lines, "---", ""])


def generate(root: Path, posts: int, seed: int = 1) -> list[Path]:
    """Write a publication of `posts` synthetic posts under `root`; return the post files.

    Deterministic from `seed`. Uses the repository's publication.toml and its
    three sections; dates are one day apart, all in the past.
    """
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "publication.toml", root / "publication.toml")
    for section in SECTIONS:
        (root / "posts" / section).mkdir(parents=True, exist_ok=True)
    planned = plan(posts, seed)
    files = []
    for post in planned:
        rng = random.Random(f"{seed}:{post.index}")
        file = root / "posts" / post.path
        file.write_text(front_matter(post) + "\n" + body(post, planned, rng), encoding="utf-8")
        files.append(file)
    return files


# --- converters: the same posts for Pelican and Hugo -------------------------------------------------

LINK_RE = re.compile(r"\]\(\.\./([a-z0-9-]+)/([a-z0-9-]+\.md)(#[a-z0-9-]+)?\)")


def read_post(file: Path) -> tuple[dict[str, Any], str]:
    """(front matter, body) of one of our post files."""
    _, header, text = file.read_text(encoding="utf-8").split("---\n", 2)
    return yaml.safe_load(header), text.lstrip("\n")


def read_publication(root: Path) -> dict[str, Any]:
    return tomllib.loads((root / "publication.toml").read_text(encoding="utf-8"))


PELICANCONF = """\
# Generated by benchmarks/bench.py: web + feeds, default theme, no cache (a cold build).
AUTHOR = {author!r}
SITENAME = {title!r}
SITEURL = {base_url!r}
PATH = "content"
TIMEZONE = {timezone!r}
DEFAULT_LANG = {language!r}
RELATIVE_URLS = False
DEFAULT_PAGINATION = {per_page}
ARTICLE_URL = "p/{{slug}}/"
ARTICLE_SAVE_AS = "p/{{slug}}/index.html"
CATEGORY_URL = "{{slug}}/"
CATEGORY_SAVE_AS = "{{slug}}/index.html"
TAG_URL = "tags/{{slug}}/"
TAG_SAVE_AS = "tags/{{slug}}/index.html"
FEED_DOMAIN = SITEURL
FEED_ALL_ATOM = "feeds/all.atom.xml"
FEED_ALL_RSS = "feeds/all.rss.xml"
CATEGORY_FEED_ATOM = "feeds/{{slug}}.atom.xml"
CATEGORY_FEED_RSS = "feeds/{{slug}}.rss.xml"
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TRANSLATION_FEED_ATOM = None
FEED_MAX_ITEMS = {max_items}
CACHE_CONTENT = False
LOAD_CONTENT_CACHE = False
MARKDOWN = {{
    "extension_configs": {{
        "markdown.extensions.codehilite": {{"css_class": "highlight", "guess_lang": False}},
        "markdown.extensions.extra": {{}},
        "markdown.extensions.meta": {{}},
        "markdown.extensions.toc": {{}},
    }},
    "output_format": "html5",
}}
"""


def to_pelican(root: Path, dest: Path) -> Path:
    """Write a Pelican site for the publication at `root`; links become `{filename}` links."""
    config = read_publication(root)
    names = {s["folder"]: s["name"] for s in config["sections"]}
    for file in sorted((root / "posts").glob("*/*.md")):
        meta, text = read_post(file)
        lines = [
            f"Title: {meta['title']}",
            f"Date: {meta['date']:%Y-%m-%d %H:%M}",
            f"Category: {names[file.parent.name]}",
            f"Tags: {', '.join(meta.get('tags', []))}",
            f"Slug: {file.stem}",
            f"Summary: {meta['summary']}",
        ]
        if meta.get("authors"):
            lines.append(f"Authors: {', '.join(meta['authors'])}")
        out = dest / "content" / file.parent.name / file.name
        out.parent.mkdir(parents=True, exist_ok=True)
        text = LINK_RE.sub(lambda m: f"]({{filename}}/{m[1]}/{m[2]}{m[3] or ''})", text)
        out.write_text("\n".join(lines) + "\n\n" + text, encoding="utf-8")
    (dest / "pelicanconf.py").write_text(
        PELICANCONF.format(
            author=config.get("author", ""),
            title=config["title"],
            base_url=config["base_url"].rstrip("/"),
            timezone=config.get("timezone", "UTC"),
            language=config.get("language", "en"),
            per_page=config.get("posts_per_page", 10),
            max_items=config.get("feeds", {}).get("max_items", 50),
        ),
        encoding="utf-8",
    )
    return dest


HUGO_LAYOUTS = {
    "_default/baseof.html": """<!doctype html>
<html lang="{{ .Site.LanguageCode }}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ if not .IsHome }}{{ .Title }} · {{ end }}{{ .Site.Title }}</title>
<link rel="canonical" href="{{ .Permalink }}">
{{ range .AlternativeOutputFormats }}<link rel="{{ .Rel }}" type="{{ .MediaType.Type }}" \
href="{{ .Permalink }}">{{ end }}
</head>
<body><header><a href="{{ "/" | relURL }}">{{ .Site.Title }}</a>
<nav>{{ range .Site.Sections }}<a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ end }}\
<a href="{{ "tags/" | relURL }}">Tags</a></nav></header>
<main>{{ block "main" . }}{{ end }}</main></body></html>
""",
    "_default/single.html": """{{ define "main" }}<article><h1>{{ .Title }}</h1>
{{ with .Params.subtitle }}<p>{{ . }}</p>{{ end }}
<p><time datetime="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">{{ .Date.Format "January 2, 2006" }}\
</time> · {{ .ReadingTime }} min read</p>
{{ .Content }}
<p>{{ range .Params.tags }}<a href="{{ (printf "tags/%s/" (. | urlize)) | relURL }}">{{ . }}</a> {{ end }}</p>
<nav>{{ with .PrevInSection }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}
{{ with .NextInSection }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}</nav>
</article>{{ end }}
""",
    "_default/list.html": """{{ define "main" }}<h1>{{ .Title }}</h1>
{{ range (.Paginate .Pages).Pages }}<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<p>{{ .Summary }}</p></article>{{ end }}
{{ template "_internal/pagination.html" . }}{{ end }}
""",
    "index.html": """{{ define "main" }}<h1>{{ .Site.Title }}</h1>
{{ range (.Paginate .Site.RegularPages).Pages }}<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a>\
</h2><p>{{ .Summary }}</p></article>{{ end }}
{{ template "_internal/pagination.html" . }}{{ end }}
""",
}


def to_hugo(root: Path, dest: Path) -> Path:
    """Write a theme-less Hugo site for the publication at `root`; links become `relref`s."""
    config = read_publication(root)
    permalinks = "\n".join(f'{s["folder"]} = "/p/:slug/"' for s in config["sections"])
    (dest / "content").mkdir(parents=True, exist_ok=True)
    (dest / "config.toml").write_text(
        f"""baseURL = {json.dumps(config["base_url"].rstrip("/") + "/")}
title = {json.dumps(config["title"])}
languageCode = {json.dumps(config.get("language", "en"))}
timeZone = {json.dumps(config.get("timezone", "UTC"))}
paginate = {config.get("posts_per_page", 10)}
enableRobotsTXT = true
[permalinks]
{permalinks}
[taxonomies]
tag = "tags"
[outputs]
home = ["HTML", "RSS"]
section = ["HTML", "RSS"]
taxonomy = ["HTML"]
term = ["HTML"]
[services.rss]
limit = {config.get("feeds", {}).get("max_items", 50)}
""",
        encoding="utf-8",
    )
    for section in config["sections"]:
        index = dest / "content" / section["folder"] / "_index.md"
        index.parent.mkdir(parents=True, exist_ok=True)
        index.write_text(f"---\ntitle: {json.dumps(section['name'])}\n---\n", encoding="utf-8")
    for file in sorted((root / "posts").glob("*/*.md")):
        header, text = file.read_text(encoding="utf-8").split("---\n", 2)[1:]
        text = LINK_RE.sub(lambda m: f']({{{{< relref "/{m[1]}/{m[2]}{m[3] or ""}" >}}}})', text)
        out = dest / "content" / file.parent.name / file.name
        out.write_text(f"---\n{header}slug: {file.stem}\n---\n{text}", encoding="utf-8")
    for name, text in HUGO_LAYOUTS.items():
        layout = dest / "layouts" / name
        layout.parent.mkdir(parents=True, exist_ok=True)
        layout.write_text(text, encoding="utf-8")
    return dest


# --- measuring -------------------------------------------------------------------------------------


@dataclass
class Run:
    """One timed build: wall seconds, CPU seconds (user + system, all threads and waited-for
    children: steadier than wall time on a busy machine) and peak summed RSS of the tree in MB."""

    seconds: float
    cpu_seconds: float
    peak_mb: float


@dataclass
class Measure:
    """Repeated runs of one build, summarised by their medians."""

    runs: list[Run] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def cpu_seconds(self) -> float:
        return statistics.median(r.cpu_seconds for r in self.runs)

    @property
    def peak_mb(self) -> float:
        return statistics.median(r.peak_mb for r in self.runs)

    def as_json(self) -> dict[str, Any]:
        return {
            "median_seconds": self.seconds,
            "median_cpu_seconds": self.cpu_seconds,
            "median_peak_mb": self.peak_mb,
            "runs": [asdict(r) for r in self.runs],
        }


def timed(command: Sequence[str], cwd: Path | None = None) -> Run:
    """Run `command`, polling its process tree's RSS every 10 ms; raise if it fails.

    The polled peak can miss a spike shorter than the interval, so it is
    combined with the kernel's exact peak of the largest single process
    (`wait4`'s ru_maxrss), which is all of it for a one-process build.
    """
    import psutil

    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        peak = 0
        done = threading.Event()

        def poll() -> None:
            # Finding the children scans every process (milliseconds), so it runs every
            # 10th poll; reading a known process's RSS is cheap and runs every 10 ms.
            nonlocal peak
            try:
                root = psutil.Process(proc.pid)
            except psutil.Error:
                return
            members, tick = [root], 0
            while not done.is_set():
                if tick % 10 == 0:
                    with contextlib.suppress(psutil.Error):
                        members = [root, *root.children(recursive=True)]
                total = 0
                for member in members:
                    with contextlib.suppress(psutil.Error):
                        total += member.memory_info().rss
                peak, tick = max(peak, total), tick + 1
                done.wait(0.01)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        if hasattr(os, "wait4"):
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            single_peak = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
            cpu = usage.ru_utime + usage.ru_stime
        else:  # pragma: no cover (Windows)
            proc.wait()
            single_peak, cpu = 0, 0.0
        seconds = time.perf_counter() - started
        done.set()
        poller.join()
        if proc.returncode != 0:
            log.seek(0)
            output = log.read().decode("utf-8", "replace")[-3000:]
            raise RuntimeError(f"{' '.join(map(str, command))} exited {proc.returncode}:\n{output}")
    return Run(seconds, cpu, max(peak, single_peak) / 1_000_000)


def count_post_pages(site: Path) -> int:
    return sum(1 for _ in site.glob("p/*/index.html"))


class Bench:
    """The three tools' builds of one generated publication, under a work folder."""

    def __init__(self, work: Path, posts: int, seed: int, use_pelican: bool, use_hugo: bool) -> None:
        self.work = work
        self.posts = posts
        self.pub = work / "publisher"
        self.files = generate(self.pub, posts, seed)
        self.pelican = to_pelican(self.pub, work / "pelican") if use_pelican else None
        self.hugo = to_hugo(self.pub, work / "hugo") if use_hugo else None
        self.out = work / "out"

    def publisher(self) -> Run:
        command = [sys.executable, "-m", "publisher", "build", "--root", str(self.pub), "--out"]
        run = timed([*command, str(self.out / "publisher")])
        self.check("publisher", self.out / "publisher" / "site")
        return run

    def publisher_cold(self) -> Run:
        shutil.rmtree(self.out / "publisher", ignore_errors=True)  # the cache goes with it
        return self.publisher()

    def edit_one_post(self, number: int) -> None:
        """Append a sentence to the middle post, as an author fixing a typo would."""
        with self.files[len(self.files) // 2].open("a", encoding="utf-8") as file:
            file.write(f"\nEdited for the benchmark, pass {number}: one more sentence at the end.\n")

    def pelican_cold(self) -> Run:
        assert self.pelican is not None
        out = self.out / "pelican"
        shutil.rmtree(out, ignore_errors=True)
        command = [sys.executable, "-m", "pelican", "content", "-o", str(out), "-s", "pelicanconf.py"]
        run = timed(command, cwd=self.pelican)
        self.check("Pelican", out)
        return run

    def hugo_cold(self) -> Run:
        assert self.hugo is not None
        out = self.out / "hugo"
        shutil.rmtree(out, ignore_errors=True)
        hugo = shutil.which("hugo") or "hugo"
        run = timed([hugo, "--source", str(self.hugo), "--destination", str(out), "--quiet"])
        self.check("Hugo", out)
        return run

    def check(self, tool: str, site: Path) -> None:
        """Every tool must render one page per post, or the comparison is meaningless."""
        pages = count_post_pages(site)
        if pages != self.posts:
            raise RuntimeError(f"{tool} wrote {pages} post pages for {self.posts} posts, under {site}")


def progress(label: str, run: Run) -> None:
    print(
        f"  {label:<28} {run.seconds:8.2f} s {run.cpu_seconds:8.2f} s CPU {run.peak_mb:6.0f} MB",
        file=sys.stderr,
        flush=True,
    )


def measure(bench: Bench, runs: int) -> dict[str, dict[str, Measure]]:
    """Cold builds interleaved across tools (drift hits all alike), then publisher's rebuilds."""
    results: dict[str, dict[str, Measure]] = {"publisher": {"cold": Measure()}}
    tools: list[tuple[str, Callable[[], Run]]] = [("publisher", bench.publisher_cold)]
    if bench.pelican is not None:
        results["pelican"] = {"cold": Measure()}
        tools.append(("pelican", bench.pelican_cold))
    if bench.hugo is not None:
        results["hugo"] = {"cold": Measure()}
        tools.append(("hugo", bench.hugo_cold))
    for number in range(1, runs + 1):
        for name, build in tools:
            run = build()
            results[name]["cold"].runs.append(run)
            progress(f"{name} cold {number}/{runs}", run)
    results["publisher"]["no_change"] = Measure()
    for number in range(1, runs + 1):
        run = bench.publisher()
        results["publisher"]["no_change"].runs.append(run)
        progress(f"publisher no-change {number}/{runs}", run)
    results["publisher"]["one_edit"] = Measure()
    for number in range(1, runs + 1):
        bench.edit_one_post(number)
        run = bench.publisher()
        results["publisher"]["one_edit"].runs.append(run)
        progress(f"publisher one-post edit {number}/{runs}", run)
    return results


# --- reporting -------------------------------------------------------------------------------------


@dataclass
class Target:
    """One of the issue's performance targets, with the figures it was judged on."""

    name: str
    value: float
    limit: float | None  # None: the tool to compare with was not measured
    strict: bool = False  # "faster than" rather than "at most"

    @property
    def result(self) -> str:
        if self.limit is None:
            return "n/a"
        passed = self.value < self.limit if self.strict else self.value <= self.limit
        return "PASS" if passed else "FAIL"


def targets(results: dict[str, dict[str, Measure]]) -> list[Target]:
    pub = results["publisher"]
    pelican = results.get("pelican", {}).get("cold")
    hugo = results.get("hugo", {}).get("cold")
    pelican_s = None if pelican is None else pelican.seconds
    return [
        Target("cold ≤ 0.5 × Pelican cold", pub["cold"].seconds, pelican_s and 0.5 * pelican_s),
        Target("no-change ≤ 0.05 × Pelican cold", pub["no_change"].seconds, pelican_s and 0.05 * pelican_s),
        Target(
            "no-change < Hugo cold",
            pub["no_change"].seconds,
            None if hugo is None else hugo.seconds,
            strict=True,
        ),
        Target("one-edit ≤ 0.15 × publisher cold", pub["one_edit"].seconds, 0.15 * pub["cold"].seconds),
        Target("peak memory ≤ Pelican", pub["cold"].peak_mb, None if pelican is None else pelican.peak_mb),
    ]


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = re.findall(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.M)
        cpu = names[0] if names else cpu
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }


def git_state() -> str:
    """The commit measured, and whether the code differed from it: figures are compared across commits."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True
        ).stdout

    try:
        commit = git("rev-parse", "--short", "HEAD").strip()
        changed = git("status", "--porcelain", "--", "publisher", "templates", "pyproject.toml").strip()
    except (OSError, subprocess.CalledProcessError):
        return ""
    return f" (git {commit}{', with uncommitted changes' if changed else ''})"


def versions(use_pelican: bool, use_hugo: bool) -> dict[str, str]:
    from importlib.metadata import version

    found = {"publisher": version("publisher") + git_state()}
    if use_pelican:
        found["pelican"] = version("pelican")
    if use_hugo:
        hugo = subprocess.run(["hugo", "version"], capture_output=True, text=True, check=False).stdout
        found["hugo"] = hugo.split()[1] if hugo.strip() else "?"
    return found


def table(results: dict[str, dict[str, Measure]], checks: list[Target]) -> str:
    """The Markdown table the README shows: figures, ratios, targets."""
    pub = results["publisher"]
    pelican = results.get("pelican", {}).get("cold")
    hugo = results.get("hugo", {}).get("cold")

    def secs(measure: Measure | None, note: str = "") -> str:
        return "–" if measure is None else f"{measure.seconds:.2f}{note}"

    def ratio(a: float, b: float | None) -> str:
        return "–" if not b else f"{a / b:.2f}"

    def verdicts(*indexes: int) -> tuple[str, str]:
        return "; ".join(checks[i].name for i in indexes), "; ".join(checks[i].result for i in indexes)

    rows = [
        [
            "measure",
            "publisher",
            "Pelican",
            "Hugo",
            "publisher/Pelican",
            "publisher/Hugo",
            "target",
            "result",
        ],
        [
            "cold build (s)",
            secs(pub["cold"]),
            secs(pelican),
            secs(hugo),
            ratio(pub["cold"].seconds, pelican and pelican.seconds),
            ratio(pub["cold"].seconds, hugo and hugo.seconds),
            *verdicts(0),
        ],
        [
            "no-change rebuild (s)",
            secs(pub["no_change"]),
            secs(pelican, " (cold)"),
            secs(hugo, " (cold)"),
            ratio(pub["no_change"].seconds, pelican and pelican.seconds),
            ratio(pub["no_change"].seconds, hugo and hugo.seconds),
            *verdicts(1, 2),
        ],
        ["one-post-edit rebuild (s)", secs(pub["one_edit"]), "–", "–", "–", "–", *verdicts(3)],
        [
            "peak memory, cold (MB)",
            f"{pub['cold'].peak_mb:.0f}",
            "–" if pelican is None else f"{pelican.peak_mb:.0f}",
            "–" if hugo is None else f"{hugo.peak_mb:.0f}",
            ratio(pub["cold"].peak_mb, pelican and pelican.peak_mb),
            ratio(pub["cold"].peak_mb, hugo and hugo.peak_mb),
            *verdicts(4),
        ],
    ]
    lines = ["| " + " | ".join(row) + " |" for row in rows]
    lines.insert(1, "|---|" + "---:|" * 5 + "---|---|")
    return "\n".join(lines)


def scaling(work: Path, posts: int, seed: int, runs: int, base: Measure) -> dict[str, Any]:
    """publisher's cold build at 10 × the posts, against the one just measured."""
    print(f"Scaling: generating {10 * posts:,} posts", file=sys.stderr, flush=True)
    big = Bench(work / "scaling", 10 * posts, seed, use_pelican=False, use_hugo=False)
    cold = Measure()
    for number in range(1, runs + 1):
        cold.runs.append(big.publisher_cold())
        progress(f"publisher cold ×10 {number}/{runs}", cold.runs[-1])
    return {
        "posts": 10 * posts,
        "cold": cold.as_json(),
        "time_ratio": cold.seconds / base.seconds,
        "memory_ratio": cold.peak_mb / base.peak_mb,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1000, help="posts to generate (default 1000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per measure; the median is reported")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated posts")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every run and median here")
    parser.add_argument("--skip", action="append", choices=["pelican", "hugo"], default=[], help="leave out")
    parser.add_argument("--workdir", type=Path, help="generate and build here, and keep it (default: temp)")
    parser.add_argument("--scaling", action="store_true", help="also time our cold build at 10 × --posts")
    args = parser.parse_args(argv)
    if args.posts < 1 or args.runs < 1:
        parser.error("--posts and --runs must be at least 1")

    use_pelican = "pelican" not in args.skip
    if use_pelican and importlib.util.find_spec("pelican") is None:
        parser.error("Pelican is not installed: pip install -e '.[bench]' (or pass --skip pelican)")
    if importlib.util.find_spec("psutil") is None:
        parser.error("psutil is not installed: pip install -e '.[bench]'")
    use_hugo = "hugo" not in args.skip and shutil.which("hugo") is not None

    with tempfile.TemporaryDirectory(prefix="publisher-bench-") as temp:
        work = args.workdir or Path(temp)
        if args.workdir:
            shutil.rmtree(work, ignore_errors=True)
        started = time.perf_counter()
        print(f"Generating {args.posts:,} posts in {work}", file=sys.stderr, flush=True)
        bench = Bench(work, args.posts, args.seed, use_pelican, use_hugo)
        markdown_mb = sum(f.stat().st_size for f in bench.files) / 1_000_000
        results = measure(bench, args.runs)
        checks = targets(results)
        scaled = (
            scaling(work, args.posts, args.seed, args.runs, results["publisher"]["cold"])
            if args.scaling
            else None
        )
        total = time.perf_counter() - started

    about = machine()
    found = versions(use_pelican, use_hugo)
    print()
    print(
        f"{args.posts:,} posts ({markdown_mb:.1f} MB of Markdown), median of {args.runs} runs; "
        f"{about['cpu']}, {about['cores']} cores, Python {about['python']}, {about['system']}"
    )
    print(
        ", ".join(f"{NAMES[tool]} {v}" for tool, v in found.items())
        + ("" if use_hugo else "; Hugo not measured")
    )
    print()
    print(table(results, checks))
    cpu = [
        f"{NAMES[tool]} {kind.replace('_', '-')} {m.cpu_seconds:.2f}"
        for tool, measures in results.items()
        for kind, m in measures.items()
    ]
    print(f"\nCPU seconds, user + system (medians; the targets judge wall time): {', '.join(cpu)}")
    if scaled:
        print(
            f"\nScaling, publisher cold build {scaled['posts']:,} vs {args.posts:,} posts: "
            f"time × {scaled['time_ratio']:.1f}, peak memory × {scaled['memory_ratio']:.1f}"
        )
    print(f"\nWhole benchmark: {total:.0f} s")
    if args.json:
        report = {
            "posts": args.posts,
            "runs": args.runs,
            "seed": args.seed,
            "markdown_mb": markdown_mb,
            "machine": about,
            "versions": found,
            "results": {tool: {k: m.as_json() for k, m in ms.items()} for tool, ms in results.items()},
            "targets": [
                {"name": t.name, "value": t.value, "limit": t.limit, "result": t.result} for t in checks
            ],
            "scaling": scaled,
            "total_seconds": total,
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
