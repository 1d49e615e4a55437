"""Telling people from machines in open and click hits.

Mail security gateways open every image and follow every link of a message before (or
while) it lands, link checkers and chat previews fetch links, and HTTP libraries fetch
whatever they are pointed at. Counting those would report engagement nobody showed, so a
hit is a robot's when:

- its user agent names a known scanner, crawler, link checker, preview fetcher or HTTP
  library (``AGENT_MARKERS``), or it is Apple Mail Privacy Protection's proxy (the bare
  ``Mozilla/5.0``, see docs/analytics.md);
- it is a HEAD request (browsers and mail clients GET; checkers ask HEAD);
- it comes within ``PREFETCH_SECONDS`` of the message being sent (no person opens a
  message that fast; a gateway scanning it on arrival does);
- it is one of the clicks of a message in which every link (two or more) was clicked
  within ``BURST_SECONDS``.

Robot hits are stored with ``robot=True`` and the reason in ``detail["robot"]``, and
never move a funnel or set a delivery's ``opened_at``/``clicked_at``. A hit without a
user agent is not taken for a robot: some privacy proxies strip it.
"""

from __future__ import annotations

import datetime as dt

PREFETCH_SECONDS = 5.0
BURST_SECONDS = 1.5

# Lower-case substrings of user agents that are never a person reading.
AGENT_MARKERS = (
    "bot",
    "crawl",
    "spider",
    "slurp",
    "scanner",
    "preview",
    "linkcheck",
    "link-check",
    "checklink",
    "validator",
    "monitor",
    "headless",
    "phantomjs",
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "python-httpx",
    "aiohttp",
    "go-http-client",
    "okhttp",
    "java/",
    "apache-httpclient",
    "libwww-perl",
    "node-fetch",
    "axios/",
    "barracuda",
    "mimecast",
    "proofpoint",
    "messagelabs",
    "symantec",
    "trendmicro",
    "trend micro",
    "forcepoint",
    "fortiguard",
    "sophos",
    "cisco",
    "ironport",
    "zscaler",
    "safelinks",
    "facebookexternalhit",
    "whatsapp",
    "skypeuripreview",
    "existence discovery",
    "protocol discovery",
)
# Apple Mail Privacy Protection fetches images through a proxy that says only this.
APPLE_PROXY_AGENT = "mozilla/5.0"


class Reason:
    AGENT = "user_agent"
    APPLE_PROXY = "apple_privacy_proxy"
    HEAD = "head_request"
    TOO_SOON = "soon_after_sending"
    EVERY_LINK = "every_link_clicked"


def robot_by_request(*, method: str, user_agent: str) -> str:
    """Why the request itself looks like a robot's ("" when it does not)."""
    if method == "HEAD":
        return Reason.HEAD
    agent = user_agent.strip().lower()
    if not agent:
        return ""
    if agent == APPLE_PROXY_AGENT:
        return Reason.APPLE_PROXY
    if any(marker in agent for marker in AGENT_MARKERS):
        return Reason.AGENT
    return ""


def too_soon(*, sent_at: dt.datetime | None, at: dt.datetime) -> bool:
    """A hit this close after sending is the receiving gateway, not a person."""
    return sent_at is not None and (at - sent_at).total_seconds() < PREFETCH_SECONDS


def every_link_clicked(clicks: list[tuple[dt.datetime, int]], links: int) -> bool:
    """Whether ``clicks`` (time, link index) of one message include every one of its
    ``links`` (two or more) within ``BURST_SECONDS`` of each other."""
    if links < 2 or len(clicks) < links:
        return False
    ordered = sorted(clicks)
    start = 0
    for end in range(len(ordered)):
        while (ordered[end][0] - ordered[start][0]).total_seconds() > BURST_SECONDS:
            start += 1
        if len({index for _, index in ordered[start : end + 1]}) >= links:
            return True
    return False
