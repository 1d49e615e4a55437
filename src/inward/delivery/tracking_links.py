"""The links a click token may redirect to, held in memory so a click rarely reads the
database.

A click token names a delivery and a link number; the target is link ``index`` of the
delivery's variant. Two per-process caches answer that:

- delivery → variant, loaded a block of ``BLOCK`` consecutive delivery ids at a time (one
  query; a touch's deliveries are written together, so one block serves many recipients);
- variant → its compiled http(s) links, checked against the variant's ``updated_at`` at
  most every ``VARIANT_CHECK_SECONDS`` and dropped at once when the variant is saved or
  deleted in this process (``forget_variant``, connected to the model's signals).

A cold cache reads the database once per block and once per variant; an edit made in
another server process is seen within ``VARIANT_CHECK_SECONDS``.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from typing import Any

from django.db.models.signals import post_delete, post_save

from inward.campaigns.models import Variant
from inward.campaigns.rendering import TemplateProblem, compile_variant
from inward.delivery.models import Delivery

BLOCK = 4096
BLOCKS_KEPT = 32
VARIANT_CHECK_SECONDS = 10.0
MISSING = -1  # a delivery id known not to exist (deleted)

_lock = threading.Lock()
_blocks: OrderedDict[int, dict[int, int | None]] = OrderedDict()
# variant id → (updated_at, links, monotonic time last checked)
_variants: dict[int, tuple[dt.datetime, tuple[str, ...], float]] = {}


def delivery_links(delivery_id: int) -> tuple[str, ...] | None:
    """The links of the delivery's variant, in order; None for an unknown delivery or
    one without a variant."""
    variant_id = delivery_variant_id(delivery_id)
    if variant_id is None:
        return None
    return variant_links(variant_id)


def delivery_variant_id(delivery_id: int) -> int | None:
    number = delivery_id // BLOCK
    with _lock:
        block = _blocks.get(number)
        if block is not None:
            _blocks.move_to_end(number)
            found = block.get(delivery_id)
            if found is not None or delivery_id in block:
                return None if found == MISSING else found
    block = _load_block(number)
    if delivery_id not in block:
        block[delivery_id] = MISSING
    with _lock:
        _blocks[number] = block
        _blocks.move_to_end(number)
        while len(_blocks) > BLOCKS_KEPT:
            _blocks.popitem(last=False)
    found = block[delivery_id]
    return None if found == MISSING else found


def _load_block(number: int) -> dict[int, int | None]:
    rows = Delivery.objects.filter(id__gte=number * BLOCK, id__lt=(number + 1) * BLOCK)
    return dict(rows.order_by().values_list("id", "variant_id"))


def variant_links(variant_id: int) -> tuple[str, ...]:
    """The http(s) links of a variant, in order (empty when it is gone or no longer
    compiles). Compiled once per version of the variant."""
    now = time.monotonic()
    with _lock:
        cached = _variants.get(variant_id)
    if cached is not None and now - cached[2] < VARIANT_CHECK_SECONDS:
        return cached[1]
    if cached is not None:
        updated_at = Variant.objects.filter(pk=variant_id).values_list("updated_at", flat=True)
        if list(updated_at) == [cached[0]]:
            with _lock:
                _variants[variant_id] = (cached[0], cached[1], now)
            return cached[1]
    row = Variant.objects.filter(pk=variant_id).values("subject", "body", "updated_at").first()
    if row is None:
        forget_variant(variant_id)
        return ()
    links = _compiled_links(row["subject"], row["body"])
    with _lock:
        _variants[variant_id] = (row["updated_at"], links, now)
    return links


def _compiled_links(subject: str, body: str) -> tuple[str, ...]:
    try:
        compiled = compile_variant(subject=subject, body=body)
    except TemplateProblem:
        return ()
    return tuple(link for link in compiled.links if link.startswith(("https://", "http://")))


def forget_variant(variant_id: int) -> None:
    """Drop a variant's links, so the next click compiles its current words."""
    with _lock:
        _variants.pop(variant_id, None)


def forget_delivery(delivery_id: int) -> None:
    """Drop the cached block holding a delivery (one written through the ORM). Not on
    delete: a signal there would make every bulk delete of deliveries row by row, and a
    deleted delivery's old links are harmless (its token was genuine)."""
    with _lock:
        _blocks.pop(delivery_id // BLOCK, None)


def _variant_changed(sender: Any, instance: Variant, **kwargs: Any) -> None:
    forget_variant(instance.pk)


def _delivery_changed(sender: Any, instance: Delivery, **kwargs: Any) -> None:
    forget_delivery(instance.pk)


# Cache upkeep only (no business logic): an edited variant is never served stale here.
post_save.connect(_variant_changed, sender=Variant, dispatch_uid="tracking_links_variant_saved")
post_delete.connect(_variant_changed, sender=Variant, dispatch_uid="tracking_links_variant_deleted")
post_save.connect(_delivery_changed, sender=Delivery, dispatch_uid="tracking_links_delivery_saved")


def forget_all() -> None:
    """Empty both caches (tests; a restored database)."""
    with _lock:
        _blocks.clear()
        _variants.clear()
