"""A small directory for rule tests: a department tree, two sites, a reporting chain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from inward.directory.models import Department, Person, Site, tags_to_column

TODAY = date(2025, 6, 15)


def department_tree() -> dict[str, Department]:
    made: dict[str, Department] = {}
    for path in ("Sales", "Sales/Inside Sales", "Support", "EMEA", "EMEA/Sales", "Sales_x"):
        parent_path, _, name = path.rpartition("/")
        made[path] = Department.objects.create(name=name, path=path, parent=made.get(parent_path))
    return made


def sites() -> dict[str, Site]:
    return {name: Site.objects.create(name=name) for name in ("Leeuwarden", "Amsterdam")}


def person(email: str, **fields: Any) -> Person:
    tags = fields.pop("tag_list", [])
    return Person.objects.create(email=email, tags=tags_to_column(tags), **fields)


@dataclass
class Directory:
    departments: dict[str, Department]
    sites: dict[str, Site]
    people: dict[str, Person]


@pytest.fixture
def directory(db: None) -> Directory:
    """anna (Sales) <- bob (Inside Sales) <- carl (Support); dora on leave, eve left."""
    departments, places = department_tree(), sites()
    anna = person(
        "anna@example.com",
        first_name="Anna",
        last_name="Akker",
        department=departments["Sales"],
        site=places["Leeuwarden"],
        language="fy",
        country="NL",
        hire_date=TODAY - timedelta(days=400),
        attributes={"cost_center": "4100", "level": 7},
        tag_list=["mentor", "remote"],
    )
    bob = person(
        "bob@example.com",
        first_name="Bob",
        last_name="Bakker",
        job_title="Sales Engineer",
        department=departments["Sales/Inside Sales"],
        site=places["Amsterdam"],
        language="nl-NL",
        country="NL",
        manager=anna,
        hire_date=TODAY - timedelta(days=30),
        attributes={"cost_center": "4200"},
        tag_list=["new"],
        external_id="E-2",
    )
    carl = person(
        "carl@example.com",
        first_name="Carl",
        department=departments["Support"],
        language="en-GB",
        manager=bob,
        hire_date=TODAY - timedelta(days=90),
    )
    dora = person(
        "dora@example.com",
        first_name="Dora",
        department=departments["EMEA/Sales"],
        site=places["Leeuwarden"],
        language="nl",
        status="on_leave",
        manager=anna,
    )
    eve = person("eve@example.com", first_name="Eve", status="left", language="NL-be")
    people = {p.email.split("@")[0]: p for p in (anna, bob, carl, dora, eve)}
    return Directory(departments, places, people)
