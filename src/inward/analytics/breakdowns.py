"""The parts of a funnel report: one aggregate query each, then the hiding rules.

Groups by language, persona, department and site split the recipients (each recipient in
exactly one group, "Not known" included), so their rows add up to the total: small groups
are folded into "Other" and columns are protected against "total minus the shown rows".
Groups by touch, touch stage and channel overlap (one person gets several touches), so a
small group is shown as a row of hidden counts instead.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _

from inward.analytics.models import Attribution, AttributionModel, EventKind, RecipientFunnel
from inward.analytics.report_types import (
    AttributedLearning,
    FunnelRow,
    TimePoint,
    VariantComparison,
    VariantResult,
)
from inward.analytics.stats import Arm, compare, not_enough_evidence
from inward.analytics.suppression import (
    Cell,
    allowed,
    protect_column,
    protect_column_without_total,
    row_bounds,
    shown_in_row,
    shown_in_series,
)
from inward.campaigns.models import Campaign, Stage
from inward.delivery.models import DeliveryStatus

STAGES = range(6)
STAGE_COLUMNS = ("reached_at", "engaged_at", "acted_at", "completed_at", "advocated_at")
ACTED_KINDS = (EventKind.ENROLLED, EventKind.STARTED)
COMPLETED_KINDS = (EventKind.COMPLETED, EventKind.PASSED)

DIMENSION_LABELS: dict[str, Callable[[], str]] = {
    "touch": lambda: _("Touch"),
    "stage": lambda: _("Journey stage"),
    "channel": lambda: _("Channel"),
    "language": lambda: _("Language"),
    "persona": lambda: _("Persona"),
    "department": lambda: _("Department"),
    "site": lambda: _("Site"),
}
# Dimension: (RecipientFunnel column, the column its label comes from).
PARTITIONS: dict[str, tuple[str, str]] = {
    "language": ("language", "language"),
    "persona": ("persona_id", "persona__name"),
    "department": ("department_id", "department__path"),
    "site": ("site_id", "site__name"),
}


# Memory for the hash aggregates of one report (one row per recipient in the per-person
# steps): a million recipients need tens of megabytes, and spilling to disk doubles the
# time. Set for the report's own transaction only.
REPORT_WORK_MEM = "64MB"


@contextmanager
def report_transaction() -> Iterator[None]:
    """One transaction for a report's queries, with room for its aggregates on
    PostgreSQL (``SET LOCAL`` ends with the transaction)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
        yield


@dataclass
class Group:
    key: str
    label: str
    counts: list[int]


def _stage_aggregates() -> dict[str, Any]:
    # COUNT(stage), not COUNT(id): the total then needs only the (campaign, stage) index.
    return {f"s{k}": Count("stage", filter=Q(stage__gte=k)) for k in STAGES}


def total_counts(campaign: Campaign) -> list[int]:
    """Recipients at each stage or further: one query."""
    row = RecipientFunnel.objects.filter(campaign=campaign).aggregate(**_stage_aggregates())
    return [row[f"s{k}"] or 0 for k in STAGES]


def partition_groups(campaign: Campaign, dimension: str) -> list[Group]:
    """Stage counts per value of a RecipientFunnel column: one query."""
    column, label_column = PARTITIONS[dimension]
    rows = (
        RecipientFunnel.objects.filter(campaign=campaign)
        .order_by()
        .values(column, label_column)
        .annotate(**_stage_aggregates())
    )
    groups = []
    for row in rows:
        key = row[column]
        known = key not in (None, "")
        label = str(row[label_column]) if known else _("Not known")
        if known and dimension == "language":
            label = language_name(label)
        groups.append(
            Group(
                key=str(key) if known else "unknown",
                label=label,
                counts=[row[f"s{k}"] for k in STAGES],
            )
        )
    return groups


def language_name(code: str) -> str:
    """A language code's name in the viewer's language ("nl" is "Dutch" to an English
    reader, "Nederlands" to a Dutch one); the code itself when Django does not know it."""
    try:
        info = get_language_info(code)
    except KeyError:
        try:
            info = get_language_info(code.split("-")[0].split("_")[0].lower())
        except KeyError:
            return code
    return str(info["name_translated"])


Touches = list[tuple[int, str, str, int, str]]  # id, name, stage, channel id, channel name


def campaign_touches(campaign: Campaign) -> Touches:
    """The campaign's touches in journey order, with what the breakdowns label them by."""
    return list(
        campaign.touches.order_by("position", "id").values_list(
            "id", "name", "stage", "channel_id", "channel__name"
        )
    )


# Up to this many touches, one query gives every person's touches as a bit mask.
MASK_BITS = 62
# touches, sent touches, engaged touches, campaign stage, people
Profile = list[tuple[int, int, int, int | None, int]]

# A delivery someone engaged with: opened (a feed read sets ``opened_at`` too, and an
# acknowledgement is a read first) or clicked. Both are set when the event is recorded.
_SENT = "d.status = %s"
_ENGAGED = "d.status = %s AND (d.opened_at IS NOT NULL OR d.clicked_at IS NOT NULL)"


def touch_profile(campaign: Campaign, touches: Touches) -> Profile | None:
    """How many people got which touches, had which of them sent, engaged with which of
    them, and are at which campaign stage: one aggregate over the campaign's first sends
    (generation 0: calendar updates go to the same people again). Touch ``i`` is bit
    ``i``. The touch, journey-stage and channel breakdowns are all read from it. None
    beyond ``MASK_BITS`` touches."""
    if not touches or len(touches) > MASK_BITS:
        return None
    ids = [t[0] for t in touches]
    bit = "CASE d.touch_id " + " ".join(f"WHEN %s THEN {1 << i}" for i in range(len(ids)))
    bit += " ELSE 0 END"
    marks = ", ".join(["%s"] * len(ids))
    query = f"""
        SELECT m.touches, m.sent, m.engaged, f.stage, COUNT(*)
          FROM (SELECT d.person_id, SUM({bit}) AS touches,
                       SUM(CASE WHEN {_SENT} THEN {bit} ELSE 0 END) AS sent,
                       SUM(CASE WHEN {_ENGAGED} THEN {bit} ELSE 0 END) AS engaged
                  FROM delivery_delivery d
                 WHERE d.touch_id IN ({marks}) AND d.generation = 0
                   AND d.person_id IS NOT NULL
                 GROUP BY d.person_id) m
          LEFT JOIN analytics_recipientfunnel f
            ON f.campaign_id = %s AND f.person_id = m.person_id
         GROUP BY m.touches, m.sent, m.engaged, f.stage
    """  # noqa: S608 - only placeholders and powers of two are formatted in
    sent = DeliveryStatus.SENT
    params: list[Any] = [*ids, sent, *ids, sent, *ids, *ids, campaign.pk]
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return [(int(t), int(s), int(e), stage, int(n)) for t, s, e, stage, n in cursor.fetchall()]


DELIVERY_NOTES: dict[str, Callable[[], str]] = {
    "touch": lambda: _(
        "Each row counts the people who got that touch: reached means it was sent to them, "
        "engaged means they opened, read or clicked it, and acted, completed and advocated "
        "count those who engaged with it and went that far in the campaign."
    ),
    "stage": lambda: _(
        "Each row counts the people who got a touch of that journey stage: reached means "
        "one was sent to them, engaged means they opened, read or clicked one, and acted, "
        "completed and advocated count those who engaged with one and went that far in "
        "the campaign."
    ),
    "channel": lambda: _(
        "Each row counts the people who got a message on that channel: reached means one "
        "was sent to them, engaged means they opened, read or clicked one, and acted, "
        "completed and advocated count those who engaged with one and went that far in "
        "the campaign."
    ),
}


def delivery_groups(
    campaign: Campaign, dimension: str, touches: Touches, profile: Profile | None = None
) -> list[Group]:
    """People with a delivery of the campaign grouped by touch, touch stage or channel:
    audience = with a delivery in the group, reached = with a sent one, engaged = who
    opened, read or clicked a sent one, acted, completed and advocated = engaged in the
    group and that far in the campaign. Each person once per group, and each stage a
    subset of the one before. Read from ``profile`` when given, else one aggregate query
    of its own."""
    if not touches:
        return []
    labels = dict(Stage.choices)

    def key_of(t: tuple[int, str, str, int, str]) -> tuple[str, str]:
        if dimension == "touch":
            return str(t[0]), t[1]
        if dimension == "stage":
            return t[2], str(labels.get(t[2], t[2]))
        return str(t[3]), t[4]

    names = dict(key_of(t) for t in touches)
    if profile is not None:
        counted = _from_profile(profile, [key_of(t)[0] for t in touches])
    elif dimension == "touch":
        counted = _per_touch([t[0] for t in touches], campaign.pk)
    else:
        column = "t.stage" if dimension == "stage" else "d.channel_id"
        counted = _per_person_group(column, campaign.pk)
    return [Group(key, names[key], counted[key]) for key in names if key in counted]


def _group_row(row: list[int], sent: bool, engaged: bool, stage: int | None, n: int) -> None:
    """Count ``n`` people of one group: everyone in the audience, the sent ones reached,
    the engaged (and sent) ones engaged and as far as they went in the campaign."""
    row[0] += n
    if not sent:
        return
    row[1] += n
    if engaged:
        for k in range(2, max(2, stage or 0) + 1):
            row[k] += n


def _from_profile(profile: Profile, key_of_bit: list[str]) -> dict[str, list[int]]:
    masks: dict[str, int] = defaultdict(int)
    for i, key in enumerate(key_of_bit):
        masks[key] |= 1 << i
    counts: dict[str, list[int]] = {}
    for key, mask in masks.items():
        row = [0] * len(STAGES)
        for touched, sent, engaged, stage, n in profile:
            if touched & mask:
                _group_row(row, bool(sent & mask), bool(engaged & sent & mask), stage, n)
        if row[0]:
            counts[key] = row
    return counts


def _per_touch(touch_ids: list[int], campaign_id: int) -> dict[str, list[int]]:
    marks = ", ".join(["%s"] * len(touch_ids))
    sent = f"CASE WHEN {_SENT} THEN 1 ELSE 0 END"
    engaged = f"CASE WHEN {_ENGAGED} THEN 1 ELSE 0 END"
    status = DeliveryStatus.SENT
    return _cumulate(
        f"""SELECT d.touch_id, {sent}, {engaged}, f.stage, COUNT(*)
              FROM delivery_delivery d
              LEFT JOIN analytics_recipientfunnel f
                ON f.campaign_id = %s AND f.person_id = d.person_id
             WHERE d.touch_id IN ({marks}) AND d.generation = 0 AND d.person_id IS NOT NULL
             GROUP BY d.touch_id, {sent}, {engaged}, f.stage""",  # noqa: S608
        [status, status, campaign_id, *touch_ids, status, status],
    )


def _per_person_group(column: str, campaign_id: int) -> dict[str, list[int]]:
    """Each person once per group (they may have several touches in one stage or on one
    channel): a per-person aggregate first, then the counts."""
    status = DeliveryStatus.SENT
    return _cumulate(
        f"""SELECT g.key, g.sent, g.engaged, f.stage, COUNT(*)
              FROM (SELECT {column} AS key, d.person_id,
                           MAX(CASE WHEN {_SENT} THEN 1 ELSE 0 END) AS sent,
                           MAX(CASE WHEN {_ENGAGED} THEN 1 ELSE 0 END) AS engaged
                      FROM delivery_delivery d JOIN campaigns_touch t ON t.id = d.touch_id
                     WHERE t.campaign_id = %s AND d.generation = 0 AND d.person_id IS NOT NULL
                     GROUP BY {column}, d.person_id) g
              LEFT JOIN analytics_recipientfunnel f
                ON f.campaign_id = %s AND f.person_id = g.person_id
             GROUP BY g.key, g.sent, g.engaged, f.stage""",  # noqa: S608
        [status, status, campaign_id, campaign_id],
    )


def _cumulate(query: str, params: list[Any]) -> dict[str, list[int]]:
    """Lines of (group, sent 0/1, engaged 0/1, campaign stage or NULL, count) as funnel
    counts."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(STAGES))
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        for key, sent, engaged, stage, n in cursor.fetchall():
            _group_row(counts[str(key)], bool(sent), bool(engaged), stage, n)
    return counts


def touch_rows(groups: Sequence[Group], *, minimum: int) -> list[FunnelRow]:
    """Rows of an overlapping breakdown: a group under ``minimum`` shows no counts."""
    rows = []
    for group in groups:
        shown = shown_in_row(group.counts, minimum=minimum)
        if not allowed(group.counts[0], minimum=minimum) or group.counts[0] == 0:
            shown = [False] * len(group.counts)
        rows.append(FunnelRow(group.key, group.label, _masked(group.counts, shown)))
    return rows


def partition_rows(
    groups: Sequence[Group], total: list[int], total_shown: list[bool], *, minimum: int
) -> list[FunnelRow]:
    """Rows of a breakdown that splits the recipients: small groups folded into "Other"
    (each shown group and "Other" at least ``minimum``), small or telling counts hidden
    in each row, then each column protected against the total. May hide more of
    ``total_shown`` (changed in place) when a column cannot be protected otherwise."""
    kept = _fold(groups, minimum=minimum)
    masks = [shown_in_row(g.counts, minimum=minimum) for g in kept]
    for k in STAGES:
        cells = [_cell(g.counts, mask, k) for g, mask in zip(kept, masks, strict=True)]
        if total_shown[k] and not protect_column(cells, total[k], minimum=minimum):
            total_shown[k] = False
        if not total_shown[k] and cells:
            # The rows must not add up to the hidden total either.
            lower, upper = row_bounds(total, total_shown, k)
            protect_column_without_total(cells, lower, upper, minimum=minimum)
        for mask, cell in zip(masks, cells, strict=True):
            mask[k] = cell.shown
    return [
        FunnelRow(g.key, g.label, _masked(g.counts, mask))
        for g, mask in zip(kept, masks, strict=True)
    ]


def _cell(counts: list[int], mask: list[bool], k: int) -> Cell:
    lower, upper = row_bounds(counts, mask, k)
    return Cell(value=counts[k], shown=mask[k], lower=lower, upper=upper)


def _fold(groups: Sequence[Group], *, minimum: int) -> list[Group]:
    """Groups of at least ``minimum`` (largest first), then "Other": the small groups,
    with more folded in, smallest first, until "Other" is large enough too. When even
    all of them together are too few, there are no rows at all."""
    ordered = sorted(groups, key=lambda g: (-g.counts[0], g.label))
    shown = [g for g in ordered if g.counts[0] >= minimum]
    folded = [g for g in ordered if g.counts[0] < minimum]
    while folded and sum(g.counts[0] for g in folded) < minimum and shown:
        folded.append(shown.pop())
    if not folded:
        return shown
    if sum(g.counts[0] for g in folded) < minimum:
        return []
    other = [sum(g.counts[k] for g in folded) for k in STAGES]
    return [*shown, Group("other", _("Other"), other)]


def _masked(values: Sequence[int], shown: Sequence[bool]) -> list[int | None]:
    return [value if ok else None for value, ok in zip(values, shown, strict=True)]


def over_time(
    campaign: Campaign,
    *,
    exact: list[int],
    total: list[int | None],
    minimum: int,
    tz: ZoneInfo,
) -> list[TimePoint]:
    """Per day (in the campaign's time zone), how many had reached each stage or further
    by the end of it. One query (a UNION of one aggregate per stage)."""
    per_stage = _first_days(campaign, tz)
    days = sorted({day for counts in per_stage.values() for day in counts})
    if not days:
        return []
    calendar = [days[0] + dt.timedelta(n) for n in range((days[-1] - days[0]).days + 1)]
    series: dict[int, list[int]] = {}
    for k in STAGES[1:]:
        running, values = 0, []
        for day in calendar:
            running += per_stage[k].get(day, 0)
            values.append(running)
        series[k] = values
    return _hide_series(calendar, series, exact=exact, total=total, minimum=minimum)


def _first_days(campaign: Campaign, tz: ZoneInfo) -> dict[int, dict[dt.date, int]]:
    """For each stage, how many recipients first got that far on each day. Ingest keeps
    each ``*_at`` as the first time at that stage *or further* (reaching a stage is
    reaching every stage before it), so each column alone says when. One scan, grouped by
    the five days together: few combinations in practice (people move in waves after each
    touch), and three times cheaper than five scans."""
    days = {f"d{k}": TruncDate(STAGE_COLUMNS[k - 1], tzinfo=tz) for k in STAGES[1:]}
    rows = (
        RecipientFunnel.objects.filter(campaign=campaign, stage__gte=1)
        .order_by()
        .values(**days)
        .annotate(n=Count("stage"))
        .values_list(*days, "n")
    )
    found: dict[int, dict[dt.date, int]] = defaultdict(dict)
    for *firsts, n in rows:
        for k, day in zip(STAGES[1:], firsts, strict=True):
            if day is not None:
                found[k][day] = found[k].get(day, 0) + n
    return found


def _hide_series(
    calendar: list[dt.date],
    series: dict[int, list[int]],
    *,
    exact: list[int],
    total: list[int | None],
    minimum: int,
) -> list[TimePoint]:
    """Hide along each stage's series (a day's increase is a group of people, and so is
    what the shown total adds to a shown day), across the stages of each day, and
    wherever a value equals a total the report hides. Each point also carries, per
    stage, the last value shown up to that day (what a hidden day is at least)."""
    shown = {
        k: shown_in_series(values, minimum=minimum, end=exact[k] if total[k] is not None else None)
        for k, values in series.items()
    }
    for k, values in series.items():
        if total[k] is None:
            shown[k] = [ok and v != exact[k] for ok, v in zip(shown[k], values, strict=True)]
    points = []
    floor: list[int | None] = [None] * len(STAGES)
    for i, day in enumerate(calendar):
        values = [series[k][i] for k in STAGES[1:]]
        visible = [shown[k][i] for k in STAGES[1:]]
        across = shown_in_row(
            [v for v, ok in zip(values, visible, strict=True) if ok], minimum=minimum
        )
        flags = iter(across)
        final = [ok and next(flags) for ok in visible]
        counts: list[int | None] = [None, *_masked(values, final)]
        floor = [n if n is not None else before for n, before in zip(counts, floor, strict=True)]
        points.append(TimePoint(day=day, counts=counts, at_least=list(floor)))
    return points


# A touch's credit for one kind of learning: its weights' sum, and how many people the
# credit is for (what decides whether it may be shown).
Credit = tuple[float, int]


def learning(campaign: Campaign, *, model: str, minimum: int) -> list[AttributedLearning]:
    """Credited enrolments (enrolled, started) and completions (completed, passed) per
    attribution model, in total and by touch; ``model`` first. Whether a credit is shown
    depends on how many people it is for, not on its (fractional) weight: a linear
    credit of 2.8 spread over 9 people points at no one. Two queries (per touch; the
    people in total, as one person may be credited to several touches)."""
    credited = Attribution.objects.filter(campaign=campaign, weight__gt=0).order_by()
    acted, completed = Q(kind__in=ACTED_KINDS), Q(kind__in=COMPLETED_KINDS)
    rows = credited.values("model", "touch_id", "touch__name", "touch__position").annotate(
        acted=Sum("weight", filter=acted, default=0.0),
        completed=Sum("weight", filter=completed, default=0.0),
        acted_people=Count("person", filter=acted, distinct=True),
        completed_people=Count("person", filter=completed, distinct=True),
    )
    people = {
        row["model"]: (row["acted_people"], row["completed_people"])
        for row in credited.values("model").annotate(
            acted_people=Count("person", filter=acted, distinct=True),
            completed_people=Count("person", filter=completed, distinct=True),
        )
    }
    by_model: dict[str, list[tuple[tuple[int, str], str, Credit, Credit]]] = defaultdict(list)
    for row in rows:
        name = row["touch__name"] or _("(deleted touch)")
        order = (row["touch__position"] if row["touch_id"] else 10**9, name)
        by_model[row["model"]].append(
            (
                order,
                name,
                (row["acted"], row["acted_people"]),
                (row["completed"], row["completed_people"]),
            )
        )
    models = sorted(AttributionModel.values, key=lambda m: m != model)
    return [
        _learning_of(m, sorted(by_model.get(m, [])), people.get(m, (0, 0)), minimum=minimum)
        for m in models
    ]


def _learning_of(
    model: str,
    touches: list[tuple[tuple[int, str], str, Credit, Credit]],
    people: tuple[int, int],
    *,
    minimum: int,
) -> AttributedLearning:
    acted = _hidden_parts([t[2] for t in touches], people[0], minimum=minimum)
    completed = _hidden_parts([t[3] for t in touches], people[1], minimum=minimum)
    return AttributedLearning(
        model=model,
        enrolled=acted[0],
        completed=completed[0],
        by_touch=[(t[1], a, c) for t, a, c in zip(touches, acted[1], completed[1], strict=True)],
    )


def _protect_touch_reached(cells: list[Cell], audience: int, *, minimum: int) -> None:
    """The variants' reached add up to the touch's reached, which the touch breakdown
    shows or hides by its own rule (against the touch's audience): protect the cells
    against it either way."""
    reached = sum(c.value for c in cells)
    audience_shown = allowed(audience, minimum=minimum) and audience > 0
    row = shown_in_row([audience, reached], minimum=minimum)
    if audience_shown and row[1]:
        protect_column(cells, reached, minimum=minimum)
    else:
        upper = audience if audience_shown else math.inf
        protect_column_without_total(cells, 0, upper, minimum=minimum)


def _hidden_parts(
    credits: list[Credit], people: int, *, minimum: int
) -> tuple[float | None, list[float | None]]:
    """A total credit and its parts (credit per touch) with those for too few people
    hidden, and the parts protected against the total: at least two hidden, for at least
    ``minimum`` people together, so "total minus the shown parts" is no small group.
    ``people`` is how many the total is for. Weights are rounded to one decimal (whole
    when they add up to whole events)."""
    values = [round(weight, 1) for weight, _n in credits]
    total = round(sum(weight for weight, _n in credits), 1)
    if not allowed(people, minimum=minimum):
        return None, [None if n else 0.0 for _w, n in credits]
    cells = [Cell(value=n, shown=allowed(n, minimum=minimum)) for _w, n in credits]
    if not protect_column(cells, sum(n for _w, n in credits), minimum=minimum):
        return None, [None if n else 0.0 for _w, n in credits]
    return total, [v if c.shown else None for v, c in zip(values, cells, strict=True)]


def variants(campaign: Campaign, *, minimum: int) -> list[VariantComparison]:
    """A/B comparison for each touch sent in more than one variant: reached (a sent
    delivery) and engaged (that delivery opened or clicked, or the recipient's first
    engagement with the campaign came after it was sent). One or two queries. What is
    hidden does not depend on what else the report holds, so no two reports can be
    combined to undo it."""
    from inward.analytics.variants import variant_counts

    return [
        _comparison(touch_id, name, audience, arms, minimum)
        for touch_id, (name, audience, arms) in variant_counts(campaign).items()
    ]


def _comparison(
    touch_id: int,
    touch_name: str,
    audience: int,
    arms: list[tuple[str, str, Arm]],
    minimum: int,
) -> VariantComparison:
    masks = [shown_in_row([arm.reached, arm.engaged], minimum=minimum) for _k, _l, arm in arms]
    cells = [
        Cell(value=arm.reached, shown=mask[0], lower=arm.engaged if mask[1] else 0)
        for (_k, _l, arm), mask in zip(arms, masks, strict=True)
    ]
    _protect_touch_reached(cells, audience, minimum=minimum)
    results = []
    for (key, label, arm), mask, cell in zip(arms, masks, cells, strict=True):
        mask[0] = cell.shown
        mask[1] = mask[1] and mask[0]
        rate = arm.rate if all(mask) and arm.reached else None
        results.append(
            VariantResult(
                key=key, label=label,
                reached=arm.reached if mask[0] else None,
                engaged=arm.engaged if mask[1] else None,
                rate=rate,
            )
        )  # fmt: skip
    if any(r.rate is None for r in results):
        outcome_p, significant = None, False
        verdict = not_enough_evidence(_("Some variants are too small to show."))
    else:
        outcome = compare([arm for _k, _l, arm in arms])
        outcome_p, significant, verdict = outcome.p_value, outcome.significant, outcome.verdict
    return VariantComparison(
        touch_id=touch_id, touch_name=touch_name, metric="engaged", variants=results,
        p_value=outcome_p, significant=significant, verdict=verdict,
    )  # fmt: skip
