from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from inward.campaigns.models import Campaign
from inward.directory.demo import demo_build
from inward.directory.exporting import export_people_csv
from inward.directory.models import Person

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 6, 1)


def _snapshot() -> list[tuple]:
    return list(
        Person.objects.order_by("external_id").values_list(
            "external_id", "email", "first_name", "last_name", "department__path",
            "site__name", "language", "manager__email", "hire_date", "status", "tags",
            "attributes",
        )
    )  # fmt: skip


def _start_over() -> None:
    """Remove the demo: its finished campaign's outbox keeps people (PROTECT) first."""
    Campaign.objects.all().delete()
    Person.objects.all().delete()


def test_the_same_seed_builds_the_same_company():
    demo_build(people=300, seed=5, today=TODAY)
    first = _snapshot()
    _start_over()

    demo_build(people=300, seed=5, today=TODAY)

    assert _snapshot() == first


def test_another_seed_builds_another_company():
    demo_build(people=300, seed=5, today=TODAY)
    first = _snapshot()
    _start_over()

    demo_build(people=300, seed=6, today=TODAY)

    assert _snapshot() != first


def test_it_builds_one_management_tree():
    count = demo_build(people=500, seed=1, today=TODAY)

    assert count == Person.objects.count() == 500
    assert Person.objects.filter(manager=None).count() == 1
    assert Person.objects.filter(language="fy", site__name="Leeuwarden").exists()
    assert Person.objects.filter(department__path="Sales/Inside Sales").exists()
    assert set(Person.objects.values_list("status", flat=True)) == {"active", "on_leave", "left"}


def test_it_loads_only_into_an_empty_directory():
    Person.objects.create(email="someone@example.com")

    out = io.StringIO()
    call_command("demo", "--if-empty", "--no-progress", stdout=out)  # what `make run` does
    assert "no demo loaded" in out.getvalue()
    assert Person.objects.count() == 1


def test_building_again_changes_nothing():
    demo_build(people=100, seed=2, today=TODAY)
    before = _snapshot()

    demo_build(people=100, seed=2, today=TODAY)

    assert _snapshot() == before


def test_demo_data_exports(tmp_path):
    demo_build(people=50, seed=3, today=TODAY)

    with (tmp_path / "demo.csv").open("w", newline="") as out:
        assert export_people_csv(out=out) == 50


def test_it_builds_a_finished_campaign_with_results():
    from inward.analytics.models import Attribution, RecipientFunnel
    from inward.highlights.models import Highlight, Stakeholder

    demo_build(people=300, seed=1, today=TODAY)

    campaign = Campaign.objects.get(slug="leading-at-acme")
    assert campaign.status == "completed"
    stages = list(RecipientFunnel.objects.filter(campaign=campaign).values_list("stage", flat=True))
    assert stages and {1, 2, 3, 4} <= set(stages)  # reached, engaged, acted and completed
    assert Attribution.objects.filter(campaign=campaign).exists()
    assert Highlight.objects.filter(campaign=campaign).count() == 2
    assert Stakeholder.objects.count() == 2
