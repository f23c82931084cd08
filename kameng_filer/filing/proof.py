"""Proof that a complaint found on a channel's list is the one this tool sent (reconciliation).

After a crash or a lost answer the engine looks the order up in the site's own list. A row found
there is adopted as this filing's receipt only when it is proven ours:

* **time** — the site's own creation time of the row (``list.created`` / ``list.detail_created`` /
  ``api.list_created_key``) is at or after the durable ``submitting`` mark minus ``CLOCK_SKEW``
  (``kameng_filer.filing.sitetime`` reads the site's shapes; Beijing time unless an offset is shown;
  shown to the minute or the day, the whole minute / day counts);
* **content** — the row or its detail page shows what we sent: the start of our main text (the longest
  rendered text: content, description, body…; ``PROBE_CHARS`` characters, whitespace and full-/half-width
  differences ignored). A title alone proves nothing: ours is built from the order number and the
  problem type, which a person's own complaint may repeat word for word.

A row whose site time is clearly before the mark and that does not show our text was filed by
someone else (often the person, before using the tool): it is never adopted and does not stop a new
filing. An earlier row that does show our text (a site clock lagging more than the allowance, or the
person's paste of a text the tool rendered) is neither adopted nor filed past: ``needs_person``. A row that is not
earlier but does not show our text (or shows it with no time at all and the list gives none) cannot
be proven either way: the run stops at ``needs_person`` with both numbers and a link
(``UnprovenMatch``) and sends nothing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kameng_filer.errors import HumanActionRequired
from kameng_filer.filing.sitetime import SiteTime, parse_site_time

__all__ = ["CLOCK_SKEW", "Candidate", "SiteTime", "UnprovenMatch", "parse_site_time", "probes", "verdict"]

CLOCK_SKEW = timedelta(seconds=60)
"""How far the site's clock may run behind ours and a row still count as filed after the mark."""
PROBE_CHARS = 48
"""Characters of the main text compared (its start, whitespace removed)."""
MIN_PROBE = 12
"""A main text shorter than this proves nothing (too likely to appear in anyone's complaint)."""

def norm(text: str) -> str:
    """Text for comparison: NFKC (full-width → half-width), without any whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def probes(fields: dict[str, Any], rendered: set[str]) -> list[str]:
    """What a row must show to be ours: the start of the longest rendered text we sent (``[]`` when
    there is none long enough)."""
    texts = [norm(v) for k, v in fields.items() if k in rendered and isinstance(v, str)]
    main = max(texts, key=len, default="")
    return [main[:PROBE_CHARS]] if len(main) >= MIN_PROBE else []


@dataclass
class Candidate:
    """One list row for the order that we have not recorded yet, as the site shows it."""

    number: str
    status: str = ""
    text: str = ""
    """Everything read about it: the row's text, and its detail page's when that was opened."""
    created: SiteTime | None = None
    link: str | None = None

    def shows(self, wanted: list[str]) -> bool:
        """True when the site shows one of our texts for it."""
        have = norm(self.text)
        return any(p in have for p in wanted)


OURS, EARLIER, UNPROVEN = "ours", "earlier", "unproven"


def verdict(c: Candidate, wanted: list[str], mark: datetime | None) -> str:
    """``ours`` (adopt), ``earlier`` (someone else's, filed before the mark) or ``unproven``."""
    shows = bool(wanted) and c.shows(wanted)
    if c.created is not None and mark is not None and c.created.latest < mark - CLOCK_SKEW:
        # Earlier than our mark. With our own words on it, it may still be ours (a site clock lagging
        # more than the allowance) or the person's paste of our text: the person decides, never a refile.
        return UNPROVEN if shows else EARLIER
    return OURS if shows else UNPROVEN


def needs_detail(c: Candidate, wanted: list[str]) -> bool:
    """True when the row alone proves neither way (no precise time, or our text is not on it)."""
    precise = c.created is not None and c.created.span < timedelta(days=1)
    return not precise or not (wanted and c.shows(wanted))


class UnprovenMatch(HumanActionRequired):
    """A row for the same order exists that can be neither adopted nor ruled out: the person decides."""

    def __init__(self, rows: list[Candidate], *, channel: str, order_no: str, case_id: str) -> None:
        first = rows[0]
        when = first.created.at.strftime("%Y-%m-%d %H:%M") if first.created else "网页未显示"
        others = f"（另有 {len(rows) - 1} 条）" if len(rows) > 1 else ""
        where = f"，链接：{first.link}" if first.link else ""
        super().__init__(
            f"渠道上有同一订单（订单号 {order_no}）的投诉 {first.number}{others}，提交时间 {when}，"
            f"但无法证明是本工具上次提交的那一份（内容或时间对不上）{where}。为免认错或重复投诉，本次没有提交",
            channel=channel,
            hint=(
                f"请打开链接核对：是上次提交的，用 kameng report {case_id} --channel {channel} --number "
                f"{first.number} 记录；不是，用 kameng file {case_id} --channels {channel} --again 提交新的投诉"
            ),
        )
        self.rows = rows
