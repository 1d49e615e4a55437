"""The results page, the printable report and their pieces rendered from hand-made
reports: hidden counts read "fewer than N", charts get their data through json_script,
every chart has a table, and nothing the CSP forbids is in the HTML."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from inward.analytics import charts
from inward.analytics.tests.sample_reports import sample_report
from inward.analytics.views import printable_context, results_context
from inward.campaigns.tests.factories import make_campaign

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"\sstyle\s*=", re.I)
COUNT_CELL = re.compile(r'<td class="[^"]*\bcount\b[^"]*">(.*?)</td>', re.S)


def _request(user: Any) -> Any:
    request = RequestFactory().get("/analytics/")
    request.user = user
    return request


def _results_html(user: Any, **report_args: Any) -> str:
    campaign = make_campaign(name="Leading at Acme")
    report = sample_report(slug=campaign.slug, **report_args)
    context = results_context(campaign, report, dimension="department", model="last")
    return render_to_string("analytics/campaign_results.html", context, request=_request(user))


def _json(html: str, element_id: str) -> Any:
    found = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S
    )
    assert found, f"no json_script {element_id}"
    return json.loads(found.group(1))


def test_it_shows_hidden_counts_as_fewer_than_the_minimum(manager_user: Any) -> None:
    html = _results_html(manager_user)
    assert "fewer than 5" in html
    assert "To protect people" in html
    for cell in COUNT_CELL.findall(html):
        text = re.sub(r"<[^>]+>", "", cell).strip()
        number = re.match(r"[\d,]+", text)
        assert not number or int(number.group(0).replace(",", "")) >= 5, cell


def test_it_passes_each_chart_its_data_with_hidden_counts_as_null(manager_user: Any) -> None:
    html = _results_html(manager_user)
    funnel = _json(html, "funnel-data")
    assert funnel["values"] == [240, 230, 151, 47, 29, None]
    assert funnel["labels"][-1] == "fewer than 5"
    heatmap = _json(html, "heatmap-data")
    assert heatmap["rows"] == ["Sales", "Support", "Other"]
    assert [4, 1, -1, "hidden"] in heatmap["cells"], "Support's advocated cell is hidden"
    assert [0, 1, 94.4, "94%"] in heatmap["cells"]
    lines = _json(html, "time-data")
    assert [s["name"] for s in lines["series"]] == [
        "Reached",
        "Engaged",
        "Acted",
        "Completed",
        "Advocated",
    ]


def test_every_chart_is_an_image_with_a_label_and_a_table(manager_user: Any) -> None:
    html = _results_html(manager_user)
    charts_found = re.findall(
        r'<div class="chart[^"]*" role="img" data-chart="([a-z-]+)"\s+aria-label="[^"]+"', html
    )
    assert charts_found == ["funnel-data", "time-data", "heatmap-data"]
    assert 'id="funnel-table"' in html
    assert html.count("<details") == 2


def test_the_page_has_nothing_the_csp_forbids(admin_user: Any) -> None:
    html = _results_html(admin_user, hidden=False)
    assert not INLINE_SCRIPT.search(html)
    assert not INLINE_HANDLER.search(html)
    assert not INLINE_STYLE.search(html)


def test_it_shows_the_verdict_and_the_attributed_learning(admin_user: Any) -> None:
    html = _results_html(admin_user)
    assert "Subject A engaged more people than Subject B" in html
    assert "p = 0.008" in html
    assert "Last touch: each enrolment" in html
    assert re.search(
        r"<th scope=\"row\" class=\"fw-normal\">Reminder</th><td class=\"text-end\">17</td>", html
    )


def test_it_says_so_when_nobody_is_in_the_funnel_yet(manager_user: Any) -> None:
    html = _results_html(manager_user, empty=True)
    assert "No results yet" in html
    assert "funnel-data" not in html


def test_the_breakdown_partial_is_just_the_table(manager_user: Any) -> None:
    campaign = make_campaign()
    report = sample_report(slug=campaign.slug)
    context = results_context(campaign, report, dimension="language", model="last")
    html = render_to_string(
        "analytics/campaign_results.html#breakdown", context, request=_request(manager_user)
    )
    assert "<html" not in html and "<form" not in html
    assert 'data-dimension="language"' in html
    assert "Frysk" in html and "By Language: 2 groups." in html


def test_the_learning_partial_follows_the_model(manager_user: Any) -> None:
    campaign = make_campaign()
    report = sample_report(slug=campaign.slug)
    context = results_context(campaign, report, dimension="touch", model="linear")
    html = render_to_string(
        "analytics/campaign_results.html#learning", context, request=_request(manager_user)
    )
    assert "Linear: the credit is shared" in html
    assert ">35.5<" in html and ">11.5<" in html


def test_the_printable_report_is_table_first_with_static_bars(manager_user: Any) -> None:
    campaign = make_campaign(name="Leading at Acme")
    report = sample_report(slug=campaign.slug)
    html = render_to_string(
        "analytics/report.html", printable_context(campaign, report), request=_request(manager_user)
    )
    assert "inward/report.css" in html and "echarts" not in html
    assert re.search(r'<rect class="bar-fill" x="0" y="0" width="95.8"', html), "230 of 240 reached"
    assert html.count("<polyline") == 5
    for heading in (
        "By Department",
        "By Channel",
        "By Touch",
        "By Language",
        "Variant comparisons",
    ):
        assert heading in html
    assert "fewer than 5" in html and "no number points at a person" in html
    assert not INLINE_SCRIPT.search(html) and not INLINE_STYLE.search(html)


def test_the_bar_widths_stay_decimal_points_in_dutch(manager_user: Any) -> None:
    from django.utils import translation

    campaign = make_campaign()
    report = sample_report(slug=campaign.slug)
    with translation.override("nl"):
        html = render_to_string(
            "analytics/report.html",
            printable_context(campaign, report),
            request=_request(manager_user),
        )
    assert 'width="95.8"' in html


def test_shares_are_none_when_a_count_is_hidden() -> None:
    report = sample_report()
    cells = charts.table_row(report.total, report.stages).cells
    assert [c.percent is None for c in cells] == [False] * 5 + [True]
    assert cells[2].step == pytest.approx(100 * 151 / 230)
    assert charts.has_hidden(report)
    assert not charts.has_hidden(sample_report(hidden=False))
