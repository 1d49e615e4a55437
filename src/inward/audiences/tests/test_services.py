from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from inward.audiences.models import Audience, Persona
from inward.audiences.rules import RuleError, RuleSyntaxError
from inward.audiences.services import (
    audience_create,
    audience_delete,
    audience_update,
    persona_create,
    persona_delete,
    persona_update,
)

pytestmark = pytest.mark.django_db


def test_it_stores_a_new_audience_in_canonical_text(admin_user: Any) -> None:
    audience = audience_create(
        slug="frisians", name="Frisians", rule='LANGUAGE = "fy"  AND  tenure<90D', actor=admin_user
    )
    audience.refresh_from_db()
    assert audience.rule == 'language = "fy" and tenure < 90d'
    assert audience.created_by == admin_user


def test_it_refuses_a_rule_with_a_syntax_error(admin_user: Any) -> None:
    with pytest.raises(RuleSyntaxError, match="line 1, column 12"):
        audience_create(slug="x", name="X", rule="language = ", actor=admin_user)
    assert not Audience.objects.exists()


def test_it_refuses_a_rule_naming_an_unknown_audience(admin_user: Any) -> None:
    with pytest.raises(RuleError, match='no saved audience "ghosts"'):
        audience_create(slug="x", name="X", rule='in_audience("ghosts")', actor=admin_user)


def test_it_refuses_a_taken_or_malformed_slug(admin_user: Any) -> None:
    audience_create(slug="all", name="All", rule='status = "active"', actor=admin_user)
    with pytest.raises(ValidationError) as caught:
        audience_create(slug="all", name="Again", rule='status = "active"', actor=admin_user)
    assert caught.value.code == "slug_taken"
    with pytest.raises(ValidationError):
        audience_create(slug="not a slug", name="X", rule='status = "left"', actor=None)


def test_it_refuses_an_update_that_makes_audiences_refer_to_themselves(admin_user: Any) -> None:
    a = audience_create(slug="a", name="A", rule='site = "x"', actor=admin_user)
    audience_create(slug="b", name="B", rule='in_audience("a")', actor=admin_user)
    with pytest.raises(RuleError, match="audience a refers to itself through b"):
        audience_update(
            audience=a, name="A", rule='in_audience("b")', description="", actor=admin_user
        )
    with pytest.raises(RuleError, match=r"audience a refers to itself$"):
        audience_update(
            audience=a, name="A", rule='in_audience("a")', description="", actor=admin_user
        )
    a.refresh_from_db()
    assert a.rule == 'site = "x"'


def test_it_updates_name_rule_and_description(admin_user: Any) -> None:
    audience = audience_create(slug="a", name="A", rule='site = "x"', actor=admin_user)
    audience_update(
        audience=audience, name="B", rule="tags IS EMPTY", description="d", actor=admin_user
    )
    audience.refresh_from_db()
    assert (audience.name, audience.rule, audience.description) == ("B", "tags is empty", "d")


def test_it_refuses_to_delete_an_audience_others_use(admin_user: Any) -> None:
    a = audience_create(slug="a", name="A", rule='site = "x"', actor=admin_user)
    b = audience_create(slug="b", name="B", rule='not in_audience("a")', actor=admin_user)
    with pytest.raises(ValidationError, match="audience a is used by b"):
        audience_delete(audience=a, actor=admin_user)
    audience_delete(audience=b, actor=admin_user)
    audience_delete(audience=a, actor=admin_user)
    assert not Audience.objects.exists()


def test_it_creates_updates_and_deletes_personas(admin_user: Any) -> None:
    audience = audience_create(slug="a", name="A", rule='site = "x"', actor=admin_user)
    persona = persona_create(
        name="Field engineer",
        needs="offline",
        pain_points="email",
        wiifm="time",
        audience=audience,
        actor=admin_user,
    )
    persona_update(
        persona=persona,
        name="Engineer",
        needs="n",
        pain_points="p",
        wiifm="w",
        audience=None,
        actor=admin_user,
    )
    persona.refresh_from_db()
    assert (persona.name, persona.audience) == ("Engineer", None)
    persona_delete(persona=persona, actor=admin_user)
    assert not Persona.objects.exists()


@pytest.mark.django_db
def test_rules_count_counts_every_rule_in_one_query(django_assert_num_queries: Any) -> None:
    from inward.audiences.selectors import rule_count, rules_count
    from inward.directory.models import Person, Site

    leeuwarden = Site.objects.create(name="Leeuwarden")
    for index in range(7):
        Person.objects.create(
            email=f"p{index}@example.com",
            language="fy" if index % 2 else "nl",
            site=leeuwarden if index < 3 else None,
        )
    rules = ['language = "fy"', 'site = "Leeuwarden"', 'nonsense = "x"', 'status = "left"']
    with django_assert_num_queries(1):
        counts = rules_count(rules=rules)
    assert counts == [3, 3, None, 0]
    assert counts[:2] == [rule_count(rule=rules[0]), rule_count(rule=rules[1])]
