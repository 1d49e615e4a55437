"""A campaign with results, written as rows (funnel state, deliveries, attributions):
the arrangement shared by the page tests and the browser tests."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from itertools import count

from django.utils import timezone

from inward.analytics.models import Attribution, EventKind, FunnelStage, RecipientFunnel
from inward.campaigns.models import Campaign, CampaignStatus, Touch
from inward.campaigns.tests.factories import make_campaign, make_channel, make_people, make_touch
from inward.delivery.models import Delivery, DeliveryStatus
from inward.directory.models import Person
from inward.xapi.clients import create_client
from inward.xapi.models import LrsClient, Statement

_statement_seq = count(1)


@dataclass
class World:
    campaign: Campaign
    touch: Touch
    sales: list[Person]
    finance: list[Person]

    def url(self, tail: str = "") -> str:
        return f"/analytics/campaigns/{self.campaign.slug}/{tail}"


def add_recipient(
    campaign: Campaign, touch: Touch, person: Person, stage: int, when: dt.datetime
) -> None:
    stamps = {
        f"{name}_at": when + dt.timedelta(days=i)
        for i, name in enumerate(("reached", "engaged", "acted", "completed", "advocated"), 1)
        if i <= stage
    }
    Delivery.objects.create(
        touch=touch,
        person=person,
        channel=touch.channel,
        status=DeliveryStatus.SENT,
        due_at=when,
        sent_at=when,
        message_id=f"<{touch.pk}.{person.pk}@test>",
    )
    RecipientFunnel.objects.create(
        campaign=campaign,
        person=person,
        stage=stage,
        first_touch=touch,
        last_touch=touch,
        channel=touch.channel,
        language=person.language,
        department=person.department,
        site=person.site,
        **stamps,
    )


def results_world() -> World:
    """Twelve people in Sales and three in Finance reached by one e-mail touch; Finance's
    three are a group under the minimum of five."""
    start = timezone.now() - dt.timedelta(days=20)
    campaign = make_campaign(name="Leading at Acme", status=CampaignStatus.RUNNING, starts_at=start)
    touch = make_touch(campaign, make_channel(name="Company e-mail"), name="Welcome", send_at=start)
    sales = make_people(12, department="Sales")
    finance = make_people(3, department="Finance")
    for i, person in enumerate(sales):
        add_recipient(campaign, touch, person, [1, 2, 2, 3, 3, 4, 4, 4, 4, 4, 5, 5][i], start)
    for person in finance:
        add_recipient(campaign, touch, person, FunnelStage.ENGAGED, start)
    for person in sales[3:]:
        for model in ("first", "last", "linear"):
            Attribution.objects.create(
                campaign=campaign,
                touch=touch,
                person=person,
                kind=EventKind.ENROLLED,
                occurred_at=start + dt.timedelta(days=3),
                model=model,
                weight=1.0,
            )
    return World(campaign, touch, sales, finance)


def stored_statement(
    person: Person | None, name: str, *, voided: bool = False, lms: LrsClient | None = None
) -> Statement:
    """A "completed" statement about ``person`` and a course called ``name``, as the LRS
    stores it, sent by ``lms`` (a new client called Moodle when not given)."""
    client = lms or create_client(name="Moodle")[0]
    now = timezone.now()
    verb = "http://adlnet.gov/expapi/verbs/completed"
    data = {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": f"mailto:{person.email if person else 'someone@example.com'}"},
        "verb": {"id": verb, "display": {"en-US": "completed"}},
        "object": {
            "id": "https://lms.example.com/course/7",
            "definition": {"name": {"en-US": name}},
        },
    }
    return Statement.objects.create(
        seq=next(_statement_seq),
        client=client,
        stored=now,
        timestamp=now,
        data=data,
        verb_id=verb,
        voided=voided,
        person=person,
    )
