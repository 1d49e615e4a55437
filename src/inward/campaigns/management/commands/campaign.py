from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from inward.accounts.models import Role, User
from inward.analytics.export import amount_text
from inward.analytics.report_types import FunnelReport
from inward.campaigns import services
from inward.campaigns.errors import CampaignError, CampaignFileError
from inward.campaigns.files import campaign_apply_file
from inward.campaigns.models import ApprovalStatus, Campaign, CampaignStatus
from inward.delivery.selectors import delivery_counts


def first_admin() -> User | None:
    return (
        User.objects.filter(is_active=True).filter(role=Role.ADMIN).order_by("pk").first()
        or User.objects.filter(is_active=True, is_superuser=True).order_by("pk").first()
    )


class Command(BaseCommand):
    help = (
        "Campaigns from the console: `inward campaign apply FILE.yaml`, "
        "`inward campaign launch SLUG [--approve] [--as USERNAME]`, "
        "`inward campaign status SLUG [--json]`, "
        "`inward campaign funnel SLUG [--json] [--model first|last|linear] [--exact]`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        apply = sub.add_parser("apply", help="Create or update a campaign from a YAML file.")
        apply.add_argument("file", type=Path)
        apply.add_argument("--as", dest="username", help="Act as this user (default: none).")
        launch = sub.add_parser("launch", help="Schedule an approved campaign.")
        launch.add_argument("slug")
        launch.add_argument(
            "--as", dest="username", help="Act as this admin (default: the first admin)."
        )
        launch.add_argument(
            "--approve",
            action="store_true",
            help="Submit a draft and approve its waiting touches first, as the admin.",
        )
        status = sub.add_parser("status", help="Delivery counts per state.")
        status.add_argument("slug")
        status.add_argument("--json", action="store_true", help="Print JSON.")
        funnel = sub.add_parser(
            "funnel",
            help="The campaign's funnel, with counts under INWARD_MIN_GROUP_SIZE hidden "
            "as on the results page (--exact: every count, as an admin sees them).",
        )
        funnel.add_argument("slug")
        funnel.add_argument("--json", action="store_true", help="Print JSON (as the API).")
        funnel.add_argument(
            "--model", choices=["first", "last", "linear"], default="last",
            help="Attribution model listed first (default: last).",
        )  # fmt: skip
        funnel.add_argument("--exact", action="store_true", help="Hide nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        handler = getattr(self, f"handle_{options['action']}")
        handler(**options)

    def handle_apply(self, *, file: Path, username: str | None, **options: Any) -> None:
        if not file.is_file():
            raise CommandError(f"no such file: {file}")
        actor = self._user(username) if username else None
        try:
            report = campaign_apply_file(path_or_text=file, actor=actor)
        except CampaignFileError as error:
            raise CommandError(f"{file}:\n" + "\n".join(f"  {p}" for p in error.problems)) from None
        self.stdout.write(report.summary())

    def handle_launch(
        self, *, slug: str, username: str | None, approve: bool, **options: Any
    ) -> None:
        actor = self._user(username) if username else first_admin()
        if actor is None or not actor.is_admin:
            raise CommandError("launching from the console needs an admin; create one first")
        campaign = self._campaign(slug)
        try:
            if approve:
                self._approve(campaign, actor)
            services.campaign_launch(actor=actor, campaign=campaign)
        except CampaignError as error:
            raise CommandError(error.message) from None
        campaign.refresh_from_db()
        first = campaign.touches.exclude(scheduled_at=None).order_by("scheduled_at").first()
        when = f"; first touch {first.scheduled_at:%Y-%m-%d %H:%M %Z}" if first else ""
        self.stdout.write(f"campaign {slug}: {campaign.status}{when}")

    def _approve(self, campaign: Campaign, actor: User) -> None:
        """An admin's shortcut through review: submit a draft, approve what waits."""
        if campaign.status == CampaignStatus.DRAFT:
            services.campaign_submit(actor=actor, campaign=campaign)
        waiting = campaign.touches.exclude(approval_status=ApprovalStatus.APPROVED)
        for touch in waiting.select_related("campaign", "channel"):
            services.touch_approve(actor=actor, touch=touch, comment="approved from the console")
        campaign.refresh_from_db()

    def handle_status(self, *, slug: str, json: bool, **options: Any) -> None:
        campaign = self._campaign(slug)
        counts = delivery_counts(campaign=campaign)
        if json:
            self.stdout.write(
                _dumps({"slug": slug, "status": campaign.status, "deliveries": counts})
            )
            return
        self.stdout.write(f"campaign {slug}: {campaign.status}")
        for state, count in counts.items():
            self.stdout.write(f"  {state:<11}{count:>8}")

    def handle_funnel(
        self, *, slug: str, json: bool, model: str, exact: bool, **options: Any
    ) -> None:
        from inward.analytics.export import report_data
        from inward.analytics.selectors import funnel_report

        campaign = self._campaign(slug)
        minimum = 1 if exact else settings.INWARD_MIN_GROUP_SIZE
        report = funnel_report(campaign, minimum=minimum, model=model)
        if json:
            self.stdout.write(_dumps(report_data(report)))
            return
        for line in funnel_lines(report):
            self.stdout.write(line)

    def _campaign(self, slug: str) -> Campaign:
        campaign = Campaign.objects.filter(slug=slug).first()
        if campaign is None:
            raise CommandError(f"no campaign with slug {slug}")
        return campaign

    def _user(self, username: str) -> User:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user called {username}")
        return user


def funnel_lines(report: FunnelReport) -> list[str]:
    """The report as a console table: stages across, groups down; "-" is hidden."""
    cut = "exact" if report.minimum_group_size == 1 else f"min {report.minimum_group_size}"
    lines = [f"campaign {report.campaign_slug}: funnel ({cut})"]
    header = "".join(f"{s.key:>11}" for s in report.stages)
    for title, rows in [("", [report.total])] + [(b.label, b.rows) for b in report.breakdowns]:
        lines.append(f"{title:<28}{header}" if title else f"{'':<28}{header}")
        for row in rows:
            cells = "".join(f"{'-' if c is None else c:>11}" for c in row.counts)
            lines.append(f"  {row.label[:26]:<26}{cells}")
    for item in report.learning[:1]:
        enrolled, completed = (amount_text(v) or "-" for v in (item.enrolled, item.completed))
        lines.append(f"learning ({item.model} touch): {enrolled} enrolled, {completed} completed")
    for comparison in report.variants:
        lines.append(f"{comparison.touch_name}: {comparison.verdict}")
    return lines


def _dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True)
