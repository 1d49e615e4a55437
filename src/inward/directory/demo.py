"""A realistic, deterministic demo organisation, loaded through the importer.

The same ``seed`` (on the same day: hire dates count back from today) gives the same
people. Rows are generated twice, lazily, never all held in memory: once for the
importer's validation pass and once for writing, so a million people load like a
million-row file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import random
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from inward.directory.importing import DEFAULT_COLUMNS, import_people

DOMAIN = "acme.example"
ATTRIBUTES = ("cost_center", "employment_type")
TEAM_SIZE = 8


@dataclass(frozen=True)
class SiteInfo:
    name: str
    country: str
    time_zone: str
    languages: tuple[tuple[str, int], ...]  # (language, weight)


SITES = (
    SiteInfo("Leeuwarden", "NL", "Europe/Amsterdam", (("nl", 50), ("fy", 40), ("en", 10))),
    SiteInfo("Groningen", "NL", "Europe/Amsterdam", (("nl", 65), ("fy", 20), ("en", 15))),
    SiteInfo("Amsterdam", "NL", "Europe/Amsterdam", (("nl", 60), ("en", 38), ("fy", 2))),
    SiteInfo("Antwerp", "BE", "Europe/Brussels", (("nl", 75), ("en", 25))),
    SiteInfo("Berlin", "DE", "Europe/Berlin", (("de", 85), ("en", 15))),
    SiteInfo("London", "GB", "Europe/London", (("en", 100),)),
    SiteInfo("Dublin", "IE", "Europe/Dublin", (("en", 100),)),
)
SITE_WEIGHTS = (30, 15, 20, 8, 12, 10, 5)
# Leaf teams: (path, weight, cost centre, job title)
TEAMS = (
    ("Sales/Inside Sales", 10, "CC-1110", "Account Executive"),
    ("Sales/Field Sales", 7, "CC-1120", "Field Sales Manager"),
    ("Sales/Customer Success", 6, "CC-1130", "Customer Success Manager"),
    ("Engineering/Platform", 10, "CC-2110", "Software Engineer"),
    ("Engineering/Mobile", 6, "CC-2120", "Mobile Developer"),
    ("Engineering/Data", 5, "CC-2130", "Data Engineer"),
    ("Support", 10, "CC-3100", "Support Specialist"),
    ("Marketing/Brand", 4, "CC-4110", "Brand Marketer"),
    ("Marketing/Content", 4, "CC-4120", "Content Writer"),
    ("People & Culture/Recruitment", 3, "CC-5110", "Recruiter"),
    ("People & Culture/Learning & Development", 2, "CC-5120", "Learning Specialist"),
    ("Finance", 4, "CC-6100", "Financial Controller"),
    ("Operations/Facilities", 3, "CC-7110", "Facility Coordinator"),
    ("Operations/IT", 4, "CC-7120", "IT Administrator"),
)
TOP_LEVEL = tuple(dict.fromkeys(path.split("/")[0] for path, *_ in TEAMS))
FIRST_NAMES = {
    "nl": ("Anna", "Daan", "Sanne", "Bram", "Lotte", "Jeroen", "Femke", "Sem", "Eva", "Ruben",
           "Lieke", "Thijs", "Noor", "Joris", "Maud", "Niels", "Iris", "Wouter", "Floor", "Koen"),
    "fy": ("Sjoerd", "Baukje", "Wytse", "Sytske", "Jelle", "Froukje", "Auke", "Tsjitske",
           "Hylke", "Geartsje", "Tjeerd", "Aukje", "Durk", "Ytsje", "Wiebe", "Sieuwke"),
    "de": ("Lena", "Jonas", "Mia", "Lukas", "Hannah", "Felix", "Lea", "Paul", "Sophie",
           "Maximilian", "Marie", "Leon", "Johanna", "Tobias", "Clara", "Moritz"),
    "en": ("Oliver", "Amelia", "Jack", "Isla", "Harry", "Grace", "George", "Emily", "Noah",
           "Ava", "Charlie", "Sophia", "Liam", "Aoife", "Sean", "Niamh", "Thomas", "Ella"),
}  # fmt: skip
LAST_NAMES = {
    "nl": ("de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder",
           "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Dijk", "Dekker", "Brouwer"),
    "fy": ("Hoekstra", "Dijkstra", "Postma", "Visser", "Wijnja", "Terpstra", "Zijlstra",
           "Bergsma", "Hettinga", "de Jong", "Kingma", "Sijbesma", "Tjalma", "Algra"),
    "de": ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
           "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf"),
    "en": ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Murphy", "Kelly",
           "O'Brien", "Walsh", "Evans", "Thomas", "Roberts", "Walker", "Byrne"),
}  # fmt: skip
TAGS = ("remote", "hybrid", "first-aider", "mentor", "works-council", "bhv", "ambassador")
EMPLOYMENT_TYPES = (("permanent", 80), ("fixed-term", 10), ("contractor", 6), ("intern", 4))


def demo_build(
    *,
    people: int = 2000,
    seed: int = 1,
    progress: Callable[[int], None] | None = None,
    today: dt.date | None = None,
) -> int:
    """Build (or rebuild, matching by external id) the demo company; return how many people.

    Hire dates count back from ``today`` (default: the current date).
    """
    if people < 1:
        raise ValueError("people must be at least 1")
    today = today or timezone.localdate()  # the date the app shows, not the system's
    with tempfile.TemporaryFile() as source:
        _write_csv(source, _Generator(people=people, seed=seed, today=today).rows())
        source.seek(0)
        with transaction.atomic():
            report = import_people(source=source, filename="demo.csv", progress=progress)
            _create_demo_audiences()
            _create_demo_campaign(today)
            _create_finished_campaign(seed=seed, today=today)
    assert report.ok, report.errors[:5]
    return report.total_rows


def _write_csv(target: object, rows: Iterator[list[str]]) -> None:
    text = io.TextIOWrapper(target, encoding="utf-8", newline="")  # type: ignore[type-var]
    writer = csv.writer(text)
    writer.writerow([*DEFAULT_COLUMNS, *ATTRIBUTES])
    writer.writerows(rows)
    text.flush()
    text.detach()


class _Generator:
    """Streams people top-down: the CEO, department heads, team leads, then everyone else;
    so every manager comes before their reports."""

    def __init__(self, *, people: int, seed: int, today: dt.date) -> None:
        self.total = people
        self.rng = random.Random(seed)
        self.today = today
        self.count = 0
        self.email_counts: dict[str, int] = {}
        self.members: dict[str, int] = {}
        self.team_lead: dict[str, str] = {}

    def rows(self) -> Iterator[list[str]]:
        ceo = self._person("Chief Executive Officer", "", "", leader=True)
        yield ceo
        heads: dict[str, str] = {}
        for name in TOP_LEVEL:
            if self.count < self.total:
                row = self._person(f"Head of {name}", name, ceo[1], leader=True)
                heads[name] = row[1]
                yield row
        leads: dict[str, str] = {}
        for path, _, _, title in TEAMS:
            if "/" in path and self.count < self.total:
                manager = heads.get(path.split("/")[0], ceo[1])
                row = self._person(f"Lead {title}", path, manager, leader=True)
                leads[path] = row[1]
                yield row
        weights = [weight for _, weight, _, _ in TEAMS]
        while self.count < self.total:
            path, _, _, title = self.rng.choices(TEAMS, weights)[0]
            lead = leads.get(path) or heads.get(path.split("/")[0], ceo[1])
            yield self._member(path, title, lead)

    def _member(self, path: str, title: str, lead: str) -> list[str]:
        seat = self.members.get(path, 0)
        self.members[path] = seat + 1
        if seat % TEAM_SIZE == 0:
            row = self._person(f"Team Lead {title}", path, lead, leader=True)
            self.team_lead[path] = row[1]
            return row
        return self._person(title, path, self.team_lead[path], leader=False)

    def _person(self, title: str, path: str, manager: str, *, leader: bool) -> list[str]:
        rng = self.rng
        self.count += 1
        site = rng.choices(SITES, SITE_WEIGHTS)[0]
        languages, language_weights = zip(*site.languages, strict=True)
        language = rng.choices(languages, language_weights)[0]
        first = rng.choice(FIRST_NAMES[language])
        last = rng.choice(LAST_NAMES[language])
        days = rng.randrange(15 * 365) if rng.random() > 0.03 else rng.randrange(90)
        status = "active" if leader else rng.choices(("active", "on_leave", "left"), (92, 4, 4))[0]
        tags = ";".join(sorted(set(rng.sample(TAGS, rng.choice((0, 0, 1, 1, 2))))))
        cost_center = next(cc for team, _, cc, _ in TEAMS if team.startswith(path or "Finance"))
        employment = rng.choices(
            [kind for kind, _ in EMPLOYMENT_TYPES], [w for _, w in EMPLOYMENT_TYPES]
        )[0]
        preferred = first[:3] if rng.random() < 0.05 and len(first) > 4 else ""
        return [
            f"D{self.count:07d}",
            self._email(first, last),
            first,
            last,
            preferred,
            title,
            path,
            site.name,
            site.country,
            site.time_zone,
            language,
            manager,
            (self.today - dt.timedelta(days=days)).isoformat(),
            status,
            tags,
            cost_center,
            "permanent" if leader else employment,
        ]

    def _email(self, first: str, last: str) -> str:
        base = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
        base = base.replace("ü", "ue").replace("ö", "oe").replace("ä", "ae")
        count = self.email_counts.get(base, 0) + 1
        self.email_counts[base] = count
        return f"{base}@{DOMAIN}" if count == 1 else f"{base}{count}@{DOMAIN}"


DEMO_AUDIENCES = (
    ("new-starters", "New starters", "tenure < 90d", "Joined in the last 90 days."),
    ("frisian-speakers", "Frisian speakers", 'language = "fy"', "People whose language is fy."),
    (
        "sales-leeuwarden",
        "Sales in Leeuwarden",
        'department = "Sales" and site = "Leeuwarden"',
        "The Sales department at the Leeuwarden site.",
    ),
)


DEMO_PERSONAS = (
    (
        "Frontline Frieda",
        "frisian-speakers",
        "News in her own language, on her phone, between shifts.",
        "Messages written for office workers; too many channels.",
        "Knowing what changes for her team before it happens.",
    ),
    (
        "New starter Noah",
        "new-starters",
        "Who is who, where things are, what is expected in the first weeks.",
        "Drowning in onboarding e-mail.",
        "Feeling at home quickly.",
    ),
)


def _create_demo_audiences() -> None:
    """Saved audiences and personas for the demo, through the audiences app's services.

    Skipped quietly when that app does not offer them (it is built alongside), and one
    whose rule the app refuses is left out rather than failing the demo.
    """
    try:
        from inward.audiences import services
        from inward.audiences.models import Audience, Persona
    except ImportError:
        return
    from django.core.exceptions import ValidationError

    for slug, name, rule, description in DEMO_AUDIENCES:
        if Audience.objects.filter(slug=slug).exists():
            continue
        try:
            with transaction.atomic():
                services.audience_create(
                    slug=slug, name=name, rule=rule, description=description, actor=None
                )
        except ValidationError:
            continue
    for name, slug, needs, pain_points, wiifm in DEMO_PERSONAS:
        if not Persona.objects.filter(name=name).exists():
            services.persona_create(
                name=name,
                needs=needs,
                pain_points=pain_points,
                wiifm=wiifm,
                audience=Audience.objects.filter(slug=slug).first(),
                actor=None,
            )


DEMO_CAMPAIGN_FILE = Path(__file__).resolve().parents[3] / "docs/examples/onboarding-campaign.yaml"
DEMO_CHANNELS = (
    ("demo-email", "E-mail", "email"),  # no server set: it uses EMAIL_URL
    ("demo-feed", "Intranet feed", "intranet"),
)


def _create_demo_campaign(today: dt.date) -> None:
    """Demo channels and the example campaign file (docs/campaign-files.md), its dates
    moved to start next Monday. Skipped when the file is not there (an installed
    package without the docs)."""
    if not DEMO_CAMPAIGN_FILE.is_file():
        return
    from inward.campaigns.errors import CampaignError
    from inward.campaigns.files import campaign_apply_file
    from inward.delivery.channel_services import channel_create
    from inward.delivery.models import Channel

    for slug, name, kind in DEMO_CHANNELS:
        if not Channel.objects.filter(slug=slug).exists():
            channel_create(actor=None, kind=kind, slug=slug, name=name)
    monday = today + dt.timedelta(days=7 - today.weekday())
    text = DEMO_CAMPAIGN_FILE.read_text("utf-8")
    text = re.sub(r"(?m)^starts: .*$", f"starts: {monday.isoformat()}T09:00:00", text)
    ends = monday + dt.timedelta(days=7)
    text = re.sub(r"(?m)^ends: .*$", f"ends: {ends.isoformat()}T17:00:00", text)
    try:
        campaign_apply_file(path_or_text=text, actor=None)
    except CampaignError as error:
        # The people are the demo; a campaign the file cannot make is reported, not fatal
        # (campaigns/tests/test_files.py applies the same file and must pass).
        logging.getLogger("inward.demo").warning("demo campaign skipped: %s", error)


def _create_finished_campaign(*, seed: int, today: dt.date) -> None:
    """A campaign that ran two months ago, with its results (analytics/demo.py)."""
    from inward.analytics.demo import build_finished_campaign

    build_finished_campaign(seed=seed, today=today)
