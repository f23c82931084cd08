"""Reconciliation on a web list: find the row for this order that is proven ours (``proof``).

The adapter's ``_rows`` opens the list (running its steps: SMS verification, a query form) and
reads the numbers; here each unrecorded row is read once more for its text, its creation time
(``list.created``) and its link, and — when the row alone proves neither way — its detail page is
opened for the complaint's text and time (``list.detail_created``).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urljoin

from kameng_filer.adapter import FilingContext, FilingPlan, Receipt
from kameng_filer.filing.profile import Profile
from kameng_filer.filing.proof import (
    EARLIER,
    OURS,
    Candidate,
    UnprovenMatch,
    needs_detail,
    parse_site_time,
    probes,
    verdict,
)
from kameng_filer.timeutil import now


def about_only(text: str, number: str, others: set[str]) -> bool:
    """True when a page's ``text`` shows complaint ``number`` and none of the ``others``."""
    return number in text and not any(o in text for o in others)


def wanted_texts(adapter: Any, plan: FilingPlan) -> list[str]:
    """The starts of the rendered texts this plan sends (what a row must show to be ours)."""
    rendered = {f.name for f in adapter.spec.fields if f.rendered}
    return probes(plan.fields, rendered)


async def _read_row(runner: Any, spec: Any, number: str, status: str) -> Candidate:
    row = runner.page.locator(spec.row).filter(has_text=number).first
    c = Candidate(number, status=status, text=await row.inner_text())
    if spec.created:
        cell = row.locator(spec.created)
        if await cell.count():
            c.created = parse_site_time(await cell.first.inner_text())
    link = row.locator(spec.link or "a[href]")
    if await link.count():
        c.link = await absolute_href(link.first, runner.page.url)
    return c


async def absolute_href(el: Any, page_url: str) -> str | None:
    """A link's target as the browser resolves it (relative, absolute, or under a ``<base href>``);
    None for a link that goes nowhere (``#``, ``javascript:``)."""
    raw = (await el.get_attribute("href") or "").strip()
    if not raw or raw.startswith("#") or raw.lower().startswith("javascript:"):
        return None
    resolved = await el.evaluate("e => (typeof e.href === 'string' ? e.href : '')")
    return resolved if str(resolved).startswith(("http://", "https://")) else urljoin(page_url, raw)


async def _read_detail(runner: Any, spec: Any, c: Candidate, others: set[str]) -> None:
    """Add the detail page's text and time to ``c``. A page that does not show ``c``'s number, or shows
    another unrecorded complaint's number too (a row link to the list itself, to the order's page or to
    a "页面不存在" page answered 200), is not its detail: what it shows proves nothing about ``c``."""
    if (
        not c.link
        and spec.detail_url
        and not {"{detail_url}", "{row_href}"} & set(re.findall(r"\{\w+\}", spec.detail_url))
    ):
        runner.values["complaint_no"] = c.number
        c.link = runner.url(spec.detail_url)
    if not c.link:
        return
    await runner.open(c.link)
    body = await runner.page.inner_text("body")
    if not about_only(body, c.number, others):
        return
    c.text += "\n" + body
    if spec.detail_created:
        cell = runner.page.locator(spec.detail_created)
        if await cell.count():
            shown = parse_site_time(await cell.first.inner_text())
            if shown is not None and (c.created is None or shown.span < c.created.span):
                c.created = shown


async def find_ours_web(driver: Any, prof: Profile, plan: FilingPlan, ctx: FilingContext) -> Receipt | None:
    """The row proven ours as a reconciled receipt; None when every row is someone else's (or there is
    none); ``UnprovenMatch`` when a row can be neither adopted nor ruled out."""
    spec = prof.list_page
    assert spec is not None
    runner = await driver.runner(plan, ctx)
    known = getattr(ctx, "known_numbers", set())
    rows = [(n, s) for n, s in await driver.rows(plan, ctx, runner) if n not in known]
    if not rows:
        return None
    wanted = wanted_texts(driver.adapter, plan)
    mark = getattr(ctx, "submit_mark", None)
    found = [await _read_row(runner, spec, n, s) for n, s in rows]
    unproven: list[Candidate] = []
    numbers = {c.number for c in found}
    for c in found:
        # opened even when the row's time reads earlier: a site time misread (another zone, another
        # clock) must end at needs_person when the detail shows our text, never at a second complaint
        if needs_detail(c, wanted):
            await _read_detail(runner, spec, c, numbers - {c.number})
        judged = verdict(c, wanted, mark)
        if judged == OURS:
            if c.link and runner.page.url != c.link:
                await runner.open(c.link)
            shot, html = await runner.save_page(f"reconciled-{re.sub(r'[^A-Za-z0-9]', '_', c.number)}")
            return Receipt(
                complaint_no=c.number,
                filed_at=c.created.at if c.created and c.created.span < timedelta(days=1) else now(),
                status=c.status or None,
                url=c.link or runner.page.url,
                screenshot=shot,
                html=html,
                reconciled=True,
            )
        if judged != EARLIER:
            unproven.append(c)
    if unproven and not getattr(ctx, "person_says_new", False):
        raise UnprovenMatch(
            unproven, channel=ctx.channel, order_no=plan.lookup_key or "", case_id=plan.case_id
        )
    return None
