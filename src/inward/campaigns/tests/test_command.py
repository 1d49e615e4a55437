from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from inward.audit.models import AuditEntry
from inward.campaigns.models import Campaign, CampaignStatus
from inward.campaigns.tests.briefs import complete_brief
from inward.campaigns.tests.factories import make_channel
from inward.campaigns.tests.test_files import SMALL
from inward.delivery.models import ChannelKind

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("campaign", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def spring_file(tmp_path: Path) -> Path:
    make_channel(ChannelKind.EMAIL, slug="mail")
    path = tmp_path / "spring.yaml"
    path.write_text(SMALL)
    return path


def test_it_applies_a_file_and_says_unchanged_the_second_time(spring_file: Path) -> None:
    assert run("apply", str(spring_file)).startswith("campaign spring: created")
    assert run("apply", str(spring_file)).strip() == "campaign spring: unchanged"


def test_it_exits_with_the_problems_of_a_bad_file(spring_file: Path) -> None:
    spring_file.write_text(SMALL.replace("channel: mail", "channel: gone", 1))
    with pytest.raises(CommandError) as caught:
        run("apply", str(spring_file))
    assert caught.value.returncode == 1
    assert 'touches[0].channel: no channel with slug "gone" (line 10)' in str(caught.value)


def test_it_refuses_to_launch_without_approval_unless_asked(
    spring_file: Path, admin_user: Any
) -> None:
    run("apply", str(spring_file))
    campaign = complete_brief(Campaign.objects.get(slug="spring"))
    campaign.ends_at = campaign.starts_at + dt.timedelta(days=7)  # type: ignore[operator]
    campaign.save()
    with pytest.raises(CommandError, match="draft cannot be launched"):
        run("launch", "spring")
    out = run("launch", "spring", "--approve")
    assert out.startswith("campaign spring: scheduled; first touch 2031-03-03")
    approvals = AuditEntry.objects.filter(action="touch.approve", actor=admin_user)
    assert approvals.count() == 2


def test_it_launches_only_as_an_admin(spring_file: Path, manager_user: Any) -> None:
    run("apply", str(spring_file))
    with pytest.raises(CommandError, match="needs an admin"):
        run("launch", "spring", "--as", "mona")


def test_it_prints_delivery_counts_as_json(spring_file: Path) -> None:
    run("apply", str(spring_file))
    data = json.loads(run("status", "spring", "--json"))
    assert data["status"] == CampaignStatus.DRAFT
    assert data["deliveries"]["sent"] == 0
    assert "pending" in run("status", "spring")
    with pytest.raises(CommandError, match="no campaign"):
        run("status", "autumn")
