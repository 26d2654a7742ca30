"""A synthetic publication shaped like the sample: posts, links, images, front matter.

Seeded, so two runs generate the same bytes.
"""

from __future__ import annotations

import json
import random
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

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


LIST_HEADINGS = 7  # the list-heavy shape: seven sections, each mostly a bulleted list


def list_body(post: PlannedPost, planned: Sequence[PlannedPost], rng: random.Random) -> str:
    """About TARGET_BYTES shaped like a civic-affairs newsletter: seven headings, short paragraphs
    and bulleted lists whose items start with a bold lead (twenty-one items)."""
    write = Writer(rng)
    target = rng.choice([p for p in planned if p is not post] or [post])
    blocks = [
        f"{write.sentence()} {write.sentence()} See [{target.title}](../{target.path}) for the background.",
    ]
    if post.responds_to:
        blocks.insert(0, f"This playbook responds to [the analysis](../analyses/{post.responds_to}.md).")
    for heading in post.headings[:LIST_HEADINGS]:
        blocks += [f"## {heading}", " ".join(write.sentence() for _ in range(rng.randint(2, 4)))]
        blocks.append(
            "\n".join(
                f"- **{lead}.** " + " ".join(write.sentence() for _ in range(rng.randint(2, 4)))
                for lead in rng.sample(LEADS, 3)
            )
        )
    while sum(len(b) + 2 for b in blocks) < TARGET_BYTES - 300:
        blocks.append(" ".join(write.sentence() for _ in range(rng.randint(2, 3))))
    return "\n\n".join(blocks) + "\n"


SHAPES = {"mixed": body, "lists": list_body}


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


def generate(root: Path, posts: int, seed: int = 1, shape: str = "mixed") -> list[Path]:
    """Write a publication of `posts` synthetic posts under `root`; return the post files.

    Deterministic from `seed`. Uses the repository's publication.toml and its
    three sections; dates are one day apart, all in the past. `shape` is a key of
    SHAPES: "mixed" (lists, a table, a quote, footnotes) or "lists" (list-heavy).
    """
    write_body = SHAPES[shape]
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "publication.toml", root / "publication.toml")
    for section in SECTIONS:
        (root / "posts" / section).mkdir(parents=True, exist_ok=True)
    planned = plan(posts, seed)
    files = []
    for post in planned:
        rng = random.Random(f"{seed}:{post.index}")
        file = root / "posts" / post.path
        file.write_text(front_matter(post) + "\n" + write_body(post, planned, rng), encoding="utf-8")
        files.append(file)
    return files


# --- converters: the same posts for Pelican and Hugo -------------------------------------------------
