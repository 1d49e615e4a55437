"""The CSV and the PDF cover what the page covers: attributed learning under each model and
every A/B comparison in the CSV; every breakdown of the printable report and the numbers
over time in the PDF; rates rounded as the page rounds them. Each is checked against the
report object the viewer's page is made from, for an admin (exact numbers) and a manager
(the same cells hidden as on the manager's page)."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from pypdf import PdfReader

from inward.analytics.access import analytics_minimum
from inward.analytics.export import BOM, report_csv
from inward.analytics.models import EventKind
from inward.analytics.pdf import MAX_DAY_ROWS, report_pdf
from inward.analytics.report_types import (
    Breakdown,
    Count,
    FunnelReport,
    TimePoint,
    VariantComparison,
    VariantResult,
)
from inward.analytics.selectors import funnel_report
from inward.analytics.tests.funnel_fixtures import credit, deliveries, funnel_rows
from inward.analytics.tests.sample_reports import row, sample_report
from inward.analytics.views import printable_context, results_context
from inward.campaigns.models import Campaign, Variant
from inward.campaigns.tests.factories import make_campaign, make_channel, make_people, make_touch

pytestmark = pytest.mark.django_db

LEARNING = "Learning attributed to this campaign"
VARIANTS = "Variant comparisons"
LEARNING_HEADER = ["section", "model", "touch", "enrolled", "completed", "note"]
VARIANT_HEADER = [
    *("section", "touch", "variant", "reached", "engaged"),
    *("rate", "p-value", "verdict", "note"),
]
MODEL_LABELS = {"first": "First touch", "last": "Last touch", "linear": "Linear"}


def _ab_campaign() -> Campaign:
    """One touch in two variants (20 of 100 and 31 of 100 engaged) and two people it was
    not sent to, so a manager cannot see how many each variant reached; six enrolments
    credited to the touch and half a completion to a deleted one (hidden from a manager)."""
    campaign = make_campaign(slug="ab-test", name="Invite test")
    touch = make_touch(campaign, make_channel(), name="Invite")
    b = Variant.objects.create(touch=touch, language="nl", subject="Hoi", body="x")
    a_people, b_people, unsent = make_people(100), make_people(100), make_people(2)
    funnel_rows(campaign, [*a_people, *b_people, *unsent], [1] * 200 + [0, 0])
    deliveries(touch, a_people, opened=[i < 20 for i in range(100)])
    deliveries(touch, b_people, variant=b, opened=[i < 31 for i in range(100)])
    deliveries(touch, unsent, sent=False)
    for person in a_people[:6]:
        credit(campaign, touch, person, EventKind.ENROLLED)
    credit(campaign, None, b_people[0], EventKind.COMPLETED, weight=0.5)
    return campaign


def _download(user: Any, campaign: Campaign, tail: str) -> tuple[bytes, FunnelReport]:
    """What ``user`` downloads, and the report their results page is made from."""
    client = Client()
    client.force_login(user)
    response = client.get(f"/analytics/campaigns/{campaign.slug}/{tail}")
    assert response.status_code == 200
    return response.content, funnel_report(campaign, minimum=analytics_minimum(user))


def _csv_lines(content: bytes | str) -> list[list[str]]:
    text = content.decode() if isinstance(content, bytes) else content
    return list(csv.reader(io.StringIO(text.removeprefix(BOM))))


def _pdf_text(pdf: bytes) -> str:
    pages = PdfReader(io.BytesIO(pdf)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def _amount(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _count(value: Count, minimum: int) -> str:
    return f"< {minimum}" if value is None else f"{value:,}"


def _expected_learning(report: FunnelReport) -> list[list[str]]:
    lines = []
    for item in report.learning:
        rows = [("All touches", item.enrolled, item.completed), *item.by_touch]
        for touch, enrolled, completed in rows:
            hidden = enrolled is None or completed is None
            note = "hidden: fewer than 5 people" if hidden else ""
            model = MODEL_LABELS[item.model]
            lines.append([LEARNING, model, touch, _amount(enrolled), _amount(completed), note])
    return lines


def _expected_variants(report: FunnelReport) -> list[list[str]]:
    lines = []
    for comparison in report.variants:
        p_value = "" if comparison.p_value is None else f"{comparison.p_value:.3f}"
        for v in comparison.variants:
            hidden = v.reached is None or v.engaged is None
            rate = "" if v.rate is None else f"{100 * v.rate:.0f}%"
            counts = ["" if n is None else str(n) for n in (v.reached, v.engaged)]
            note = "hidden: fewer than 5 people" if hidden else ""
            name, verdict = comparison.touch_name, comparison.verdict
            lines.append([VARIANTS, name, v.label, *counts, rate, p_value, verdict, note])
    return lines


def _section(lines: list[list[str]], header: list[str]) -> list[list[str]]:
    """The lines after ``header`` whose first cell names the same section, with each note
    cut to its first words (the rest says why in full)."""
    start = lines.index(header) + 1
    name = lines[start][0]
    found = []
    for line in lines[start:]:
        if line[0] != name:
            break
        note = line[-1]
        found.append([*line[:-1], note[: len("hidden: fewer than 5 people")]])
    return found


@pytest.mark.parametrize("who", ["admin_user", "manager_user"])
def test_the_csv_adds_learning_per_model_and_each_ab_test_after_the_funnel(
    who: str, request: pytest.FixtureRequest
) -> None:
    campaign = _ab_campaign()
    content, report = _download(request.getfixturevalue(who), campaign, "export.csv")
    lines = _csv_lines(content)
    assert lines[0] == ["breakdown", "group", "stage", "count", "note"]
    first_section = lines.index(LEARNING_HEADER)
    assert lines.index(VARIANT_HEADER) > first_section
    assert all(len(line) == 5 for line in lines[:first_section]), "the old lines keep 5 cells"
    assert lines[first_section - 1][0] == "By day", "the new sections come after every old line"
    assert [] not in lines, "no empty line for a script reading each line's first cell"
    assert _section(lines, LEARNING_HEADER) == _expected_learning(report)
    assert _section(lines, VARIANT_HEADER) == _expected_variants(report)
    assert [item.model for item in report.learning] == ["last", "first", "linear"]


def test_an_admin_s_csv_has_every_number_and_the_test_s_p_value(admin_user: Any) -> None:
    content, report = _download(admin_user, _ab_campaign(), "export.csv")
    lines = _csv_lines(content)
    assert [LEARNING, "Linear", "All touches", "6", "0.5", ""] in lines
    assert [LEARNING, "Last touch", "(deleted touch)", "0", "0.5", ""] in lines
    ab = _section(lines, VARIANT_HEADER)
    assert [line[2] for line in ab] == [v.label for v in report.variants[0].variants]
    assert [line[3:7] for line in ab] == [
        ["100", "20", "20%", "0.074"],
        ["100", "31", "31%", "0.074"],
    ]
    assert ab[0][7].startswith("No clear winner yet")


def test_a_manager_s_csv_hides_what_the_manager_s_page_hides(manager_user: Any) -> None:
    lines = _csv_lines(_download(manager_user, _ab_campaign(), "export.csv")[0])
    total = next(line for line in lines if line[:3] == [LEARNING, "Last touch", "All touches"])
    assert total[3:5] == ["6", ""] and total[5].startswith("hidden: fewer than 5 people")
    ab = _section(lines, VARIANT_HEADER)
    assert "" in [line[3] for line in ab], "a variant's reached count is hidden"
    assert all(line[6] == "" for line in ab), "no p-value from hidden counts"
    assert all(line[8] for line in ab if "" in line[3:5])


def test_the_new_sections_keep_formulas_out_of_cells() -> None:
    report = sample_report()
    comparison = dataclasses.replace(
        report.variants[0],
        touch_name='=HYPERLINK("http://evil")',
        variants=[dataclasses.replace(v, label="-1+2") for v in report.variants[0].variants],
        verdict="@SUM(A1) won",
    )
    learning = [dataclasses.replace(report.learning[0], by_touch=[("+31 58", 1.0, 2.0)])]
    lines = _csv_lines(
        report_csv(dataclasses.replace(report, variants=[comparison], learning=learning))
    )
    assert [LEARNING, "First touch", "'+31 58", "1", "2", ""] in lines
    assert ['\'=HYPERLINK("http://evil")', "'-1+2", "'@SUM(A1) won"] in [
        [line[1], line[2], line[7]] for line in lines if line[0] == VARIANTS
    ]
    assert not any(cell.startswith(("=", "+", "-", "@")) for line in lines for cell in line)


@pytest.mark.parametrize("who", ["admin_user", "manager_user"])
def test_the_pdf_has_the_learning_and_each_ab_test_of_the_viewer_s_report(
    who: str, request: pytest.FixtureRequest
) -> None:
    content, report = _download(request.getfixturevalue(who), _ab_campaign(), "report.pdf")
    text = _pdf_text(content)
    minimum = report.minimum_group_size
    last = next(item for item in report.learning if item.model == "last")
    enrolled, completed = (
        f"< {minimum}" if n is None else _amount(n) for n in (last.enrolled, last.completed)
    )
    assert f"30-day window: {enrolled} enrolled, {completed} completed." in text
    for comparison in report.variants:
        assert comparison.verdict in text
        for v in comparison.variants:
            rate = "—" if v.rate is None else f"{100 * v.rate:.0f}%"
            cells = f"{v.label} {_count(v.reached, minimum)} {_count(v.engaged, minimum)} {rate}"
            assert cells in text
        if comparison.p_value is None:
            assert "p = " not in text
        else:
            assert f"p = {comparison.p_value:.3f} (the chance of a difference" in text


def test_an_admin_s_pdf_prints_the_exact_numbers(admin_user: Any) -> None:
    content, report = _download(admin_user, _ab_campaign(), "report.pdf")
    text = _pdf_text(content)
    a, b = (v.label for v in report.variants[0].variants)
    assert "6 enrolled, 0.5 completed." in text
    assert f"{a} 100 20 20%" in text
    assert f"{b} 100 31 31%" in text
    assert "p = 0.074 (the chance of a difference" in text


def test_a_manager_s_pdf_hides_the_manager_s_hidden_cells(manager_user: Any) -> None:
    content, report = _download(manager_user, _ab_campaign(), "report.pdf")
    text = _pdf_text(content)
    assert "6 enrolled, < 5 completed." in text
    assert "0.5" not in text
    assert "p = " not in text
    assert f"{report.variants[0].variants[0].label} 100 20" not in text


def _report_with_every_breakdown(days: int = 3) -> FunnelReport:
    report = sample_report()
    counts: tuple[Count, ...] = (240, 230, 140, 45, 28, None)
    extra = [
        Breakdown("stage", "Journey stage", [row("awareness", "Awareness", *counts)]),
        Breakdown("persona", "Persona", [row("3", "New managers", *counts)]),
        Breakdown("site", "Site", [row("4", "Leeuwarden", *counts)]),
    ]
    start = dt.date(2026, 9, 1)
    over_time = [
        TimePoint(start + dt.timedelta(days=i), [None, 10 * (i + 1), 5 * (i + 1), i, i, None])
        for i in range(days)
    ]
    return dataclasses.replace(report, breakdowns=[*report.breakdowns, *extra], over_time=over_time)


def _printable_headings(report: FunnelReport) -> list[str]:
    campaign = make_campaign(name=report.campaign_name)
    html = render_to_string("analytics/report.html", printable_context(campaign, report))
    return re.findall(r'<h2 id="r-(?!funnel|time|learning|variants|days)[^"]+">(.*?)</h2>', html)


def test_the_pdf_has_every_breakdown_the_printable_report_has() -> None:
    report = _report_with_every_breakdown()
    headings = _printable_headings(report)
    assert len(headings) == 7, headings
    text = _pdf_text(report_pdf(make_campaign(), report))
    for heading in headings:
        assert heading.lower() in text.lower(), heading
    for label in ("By journey stage", "By language", "By persona", "By site"):
        assert label in text
    assert "Awareness 240 230 (96%) 140 (58%) 45 (19%) 28 (12%) < 5" in text


def test_the_pdf_has_a_row_a_day_over_time_when_the_days_fit_on_a_page() -> None:
    report = _report_with_every_breakdown(days=MAX_DAY_ROWS)
    text = _pdf_text(report_pdf(make_campaign(), report))
    assert "Over time People at each stage by the end of each day, one row a day." in text
    assert "Day Reached Engaged Acted Completed Advocated" in text
    assert "Tue 1 Sep 2026 10 5 0 0 < 5" in text
    assert "Sat 10 Oct 2026 400 200 39 39 < 5" in text


def test_a_long_campaign_gets_a_row_a_week_and_says_so() -> None:
    report = _report_with_every_breakdown(days=MAX_DAY_ROWS + 1)  # 1 Sep to 11 Oct 2026
    text = _pdf_text(report_pdf(make_campaign(), report))
    assert "by the end of each week (Monday to Sunday), one row a week" in text
    assert "Week ending Reached Engaged Acted Completed Advocated" in text
    weeks = re.findall(r"(?:Sun|Sat) \d+ (?:Sep|Oct) 2026 [\d ]+< 5", text)
    assert weeks[0] == "Sun 6 Sep 2026 60 30 5 5 < 5", "the counts at the end of the week"
    assert weeks[-1] == "Sun 11 Oct 2026 410 205 40 40 < 5"
    assert len(weeks) == 6
    assert "Tue 1 Sep 2026" not in text


def _results_page(report: FunnelReport, user: Any) -> str:
    campaign = make_campaign(name=report.campaign_name)
    request = RequestFactory().get("/analytics/")
    request.user = user
    context = results_context(campaign, report, dimension="department", model="last")
    return render_to_string("analytics/campaign_results.html", context, request=request)


def _page_cells(html: str, first: str) -> list[str]:
    """The cells of the page's last table row headed ``first``, as text."""
    found = re.findall(rf'<th scope="row" class="fw-normal">{first}</th>(.*?)</tr>', html, re.S)
    assert found, first
    cells = re.findall(r"<td[^>]*>(.*?)</td>", found[-1], re.S)
    return [" ".join(re.sub(r"<[^>]+>", "", cell).split()) for cell in cells]


def test_a_rate_prints_the_same_on_the_page_and_in_the_pdf(manager_user: Any) -> None:
    report = sample_report()
    comparison = VariantComparison(
        touch_id=11,
        touch_name="Welcome",
        metric="engaged",
        variants=[
            VariantResult("a", "Subject A", 700, 240, 240 / 700),  # 34.29%
            VariantResult("b", "Subject B", 700, 279, 279 / 700),  # 39.86%
        ],
        p_value=0.03,
        significant=True,
        verdict="Subject B engaged more people.",
    )
    legal = row("9", "Legal", 8, 1, 1, 0, 0, 0)  # 1 of 8 reached: 12.5%, a half
    departments = dataclasses.replace(
        report.breakdowns[0], rows=[*report.breakdowns[0].rows, legal]
    )
    report = dataclasses.replace(
        report, variants=[comparison], breakdowns=[departments, *report.breakdowns[1:]]
    )
    page = _results_page(report, manager_user)
    text = _pdf_text(report_pdf(make_campaign(), report))
    assert _page_cells(page, "Subject A") == ["700", "240", "34%"]
    assert _page_cells(page, "Subject B") == ["700", "279", "40%"]
    assert "Subject A 700 240 34%" in text and "Subject B 700 279 40%" in text
    assert "34.3" not in text and "39.9" not in text
    assert _page_cells(page, "Legal")[1] == "1 (13%)"
    assert "Legal 8 1 (13%) 1 (13%) 0 (0%) 0 (0%) 0 (0%)" in text
    funnel = [cell.removesuffix("%") for cell in _page_cells(page, "Engaged")[1:2]]
    assert f"151 ({funnel[0]}%)" in text, "the funnel bars' shares as in the page's table"
