"""The browser driver of a profile site: a Playwright page and a ``FormRunner`` per call (log in, fill and
submit, read the list and the detail page, post a follow-up).

``ProfileAdapter.driver()`` chooses it once for a profile whose ``mode`` is ``browser`` (the default);
``kameng_filer.filing.http_api.HttpDriver`` is the other driver, for ``mode: http``.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from typing import Any
from urllib.parse import urlsplit

from kameng_filer.adapter import (
    DryRunComplete,
    FilingContext,
    FilingPlan,
    FollowUpResult,
    Receipt,
    StatusReport,
)
from kameng_filer.errors import ChannelRejected, FilingError, FormChanged
from kameng_filer.filing.form.session import NOT_FOUND_TEXT
from kameng_filer.filing.formfill import FormRunner
from kameng_filer.filing.profile import Profile
from kameng_filer.filing.site_driver import SiteAdapter, case_vars_from_plan, needs_secret
from kameng_filer.timeutil import now


class BrowserDriver:
    """Reaches a profile's site through Chromium, as a person would."""

    def __init__(self, adapter: SiteAdapter, prof: Profile) -> None:
        self.adapter = adapter
        self.prof = prof

    async def runner(self, plan: FilingPlan, ctx: FilingContext) -> FormRunner:
        prof = self.prof
        account = plan.target.get("account") or self.adapter.account()
        session_key = account or "default"  # QR/SMS logins have no account name but keep a session too
        had_session = ctx.session_file(session_key).exists()
        for old in list(getattr(ctx, "pages", [])):  # a page of an earlier attempt may still wait on
            with contextlib.suppress(Exception):  # a request that never ends (and hold Chromium's cache lock)
                if not old.is_closed():
                    await old.close()
        page = await ctx.new_page(session_key)
        if self.adapter.settings.get(
            "timeout"
        ):  # seconds a page may take to answer before it counts as a timeout
            page.set_default_navigation_timeout(float(self.adapter.settings["timeout"]) * 1000)
        values = {**case_vars_from_plan(plan), **plan.fields}
        runner = FormRunner(page, prof, values, plan.files, ctx)
        runner.file_kinds = dict(plan.target.get("file_kinds") or {})
        await runner.watch()  # on the blank page: nothing to evaluate, every page opened is watched
        if prof.login is None:
            return runner

        async def log_in() -> None:
            password = ctx.secret(account) if needs_secret(prof) else None
            await runner.login(account, password)
            await ctx.save_session()

        if not had_session:  # log in straight away instead of first visiting a page to find out
            await log_in()
        elif prof.login.check_url:  # the profile names a page that proves the session
            if not await runner.logged_in():
                await log_in()
            return runner
        else:  # proven on the first page the steps open (no extra page); renewed there if needed
            runner.relogin = log_in
        # the login marker is checked on the first page opened, before anything is filled
        runner.verify_login = not prof.login.check_url
        return runner

    async def submit(self, plan: FilingPlan, ctx: FilingContext) -> Receipt:
        """Fill the site's form from the profile and submit it; in a dry run stop before the final click."""
        prof = self.prof
        runner = await self.runner(plan, ctx)
        ctx.progress("填写表单")
        await runner.run(prof.steps)
        if ctx.dry_run:
            await runner.find(prof.submit, field="提交按钮")
            shot, _ = await runner.save_page("dry-run")
            raise DryRunComplete(shot, "已填写到最后一步，未点击提交")
        ctx.progress("提交")
        number, _where = await runner.submit(prof.receipt)
        # the number is kept whatever happens next; link and artifacts are best effort
        detail = await runner.receipt_link(prof.receipt)
        url = runner.page.url
        shot, html, note = await runner.save_receipt(f"receipt-{re.sub(r'[^A-Za-z0-9]', '_', number)}")
        extra: dict[str, Any] = {}
        if detail:
            extra["detail_url"] = detail
        if note:
            extra["note"] = note
            ctx.progress(note)
        return Receipt(complaint_no=number, filed_at=now(), url=url, screenshot=shot, html=html, extra=extra)

    async def rows(self, plan: FilingPlan, ctx: FilingContext, runner: FormRunner) -> list[tuple[str, str]]:
        prof = self.prof
        spec = prof.list_page
        assert spec is not None
        target = runner.url(spec.url)
        await runner.open(target)
        if spec.steps:
            await runner.run(spec.steps)
            # steps that verify first (an SMS code, a query form) end with a navigation back to the
            # list: read the rows only once it has arrived, not from the page the click left
            deadline = time.monotonic() + 10
            while urlsplit(runner.page.url).path != urlsplit(target).path and time.monotonic() < deadline:
                if await runner.page_errors():  # refused (a wrong code…): reported below
                    break
                await asyncio.sleep(0.05)
            with contextlib.suppress(Exception):
                await runner.page.wait_for_load_state("domcontentloaded")
        refused = await runner.page_errors()
        if refused:  # the list was not shown (e.g. a wrong or refused SMS code): unknown, not "not found"
            raise ChannelRejected(f"渠道拒绝了查询：{refused}", channel=ctx.channel)
        from kameng_filer.filing.profile import fmt

        match = fmt(spec.match, runner.values) if spec.match else ""
        rx = re.compile(spec.number)
        out = []
        rows = runner.page.locator(spec.row)
        count = await rows.count()
        if not count:  # an empty list, or a page that is no list at all (both often HTTP 200)
            await self.no_list_page(runner, ctx)
        for i in range(count):
            row = rows.nth(i)
            text = await row.inner_text()
            if match and match not in text:
                continue
            m = rx.search(text)
            if not m:
                continue
            status = ""
            if spec.status:
                cell = row.locator(spec.status)
                if await cell.count():
                    status = await visible_status(cell.first, spec.status_ignore)
            out.append((m.group(0), status))
        return out

    async def no_list_page(self, runner: FormRunner, ctx: FilingContext) -> None:
        """Raise when a list without rows is a logged-out page or a "页面不存在" page: reconciliation
        must then end "cannot check", never "not there" (which would file a second complaint)."""
        if await runner.login_lost():
            raise runner.expired("打开投诉列表时，")
        if await runner.page_missing():
            raise FormChanged(
                f"投诉列表页不存在：站点对 {runner.page.url} 回答了“页面不存在”",
                channel=ctx.channel,
                field="list.url",
                selector=self.prof.list_page.url if self.prof.list_page else "",
                hint="检查站点配置 list.url（站点可能换了“我的投诉”列表的地址）",
            )

    async def find_existing(self, plan: FilingPlan, ctx: FilingContext) -> Receipt | None:
        """Look for a complaint on this order in the site's list that we have not recorded yet and that is
        proven ours (``kameng_filer.filing.proof``)."""
        prof = self.prof
        if prof.list_page is None:
            return None
        from kameng_filer.filing.reconcile_web import find_ours_web

        return await find_ours_web(self, prof, plan, ctx)

    async def detail_vars(
        self, template: str, receipt: dict[str, Any], plan: FilingPlan, ctx: FilingContext, runner: FormRunner
    ) -> None:
        """Provide ``{detail_url}`` / ``{row_href}`` for a detail or follow-up URL: the link kept from the
        receipt, else (and always for ``{row_href}``) the href of the complaint's row in the list."""
        from kameng_filer.filing.lint import _placeholders

        names = set(_placeholders(template))
        if not names & {"detail_url", "row_href"}:
            return
        kept = (receipt.get("extra") or {}).get("detail_url")
        if kept and "row_href" not in names:
            runner.values["detail_url"] = kept
            return
        href = await self.row_href(receipt["complaint_no"], plan, ctx, runner)
        runner.values["detail_url"] = runner.values["row_href"] = href

    async def detail_element(self, runner: FormRunner, css: str, template: str) -> Any:
        """The status element on a detail page; a page that is not the detail (a logged-out page or a
        "页面不存在" page, both often HTTP 200) is reported as what it is, not as a changed form."""
        try:
            return await runner.find(_css(css), field="状态")
        except FormChanged as exc:
            if await runner.login_lost():
                raise runner.expired("打开详情页时，") from exc
            text = ""
            with contextlib.suppress(Exception):
                text = await asyncio.wait_for(runner.page.inner_text("body"), 2)
            if NOT_FOUND_TEXT.search(text[:2000]):
                raise FormChanged(
                    f"详情页不存在：站点对 {runner.page.url} 回答了“页面不存在”",
                    channel=self.adapter.name,
                    field="list.detail_url",
                    selector=template,
                    hint="站点的详情页若按它自己的 id 访问,detail_url 写 {detail_url}（见 docs/adapters.md §9）",
                ) from exc
            raise

    async def row_href(self, number: str, plan: FilingPlan, ctx: FilingContext, runner: FormRunner) -> str:
        """The absolute link of complaint ``number``'s row in the site's list (``list.link``)."""
        spec = self.prof.list_page
        assert spec is not None
        await self.rows(plan, ctx, runner)  # opens the list (with its steps) and waits for it
        rx = re.compile(spec.number)
        rows = runner.page.locator(spec.row)
        for i in range(await rows.count()):
            row = rows.nth(i)
            m = rx.search(await row.inner_text())
            if m is None or m.group(0) != number:
                continue
            link = row.locator(spec.link or "a[href]")
            if await link.count():
                from kameng_filer.filing.reconcile_web import absolute_href

                href = await absolute_href(link.first, runner.page.url)
                if href:
                    return href
        raise FormChanged(
            f"在渠道的列表里找不到投诉 {number} 的详情链接",
            channel=self.adapter.name,
            field="list.link",
            selector=f"{spec.row} {spec.link or 'a[href]'}",
            hint="检查站点配置 list.row / list.link，或确认这条投诉还在列表中",
        )

    def can_search(self) -> bool:
        """True when the site's list can be searched without knowing the complaint number."""
        spec = self.prof.list_page
        return spec is not None and "{complaint_no}" not in spec.url

    async def status(self, receipt: dict[str, Any], ctx: FilingContext) -> StatusReport:
        """Read the complaint's status from its detail page (or the list)."""
        prof = self.prof
        if prof.list_page is None:
            raise FilingError(f"站点配置 {prof.name} 没有 list 段，无法查询状态", channel=self.adapter.name)
        plan = FilingPlan(
            self.adapter.name,
            "",
            "status",
            {"complaint_no": receipt["complaint_no"], **receipt.get("vars", {})},
            target={"account": self.adapter.account()},
        )
        runner = await self.runner(plan, ctx)
        runner.values["complaint_no"] = receipt["complaint_no"]
        spec = prof.list_page
        replies: list[dict[str, Any]] = []
        raw = ""
        if spec.detail_url and spec.detail_status:
            await self.detail_vars(spec.detail_url, receipt, plan, ctx, runner)
            await runner.open(runner.url(spec.detail_url))
            el = await self.detail_element(runner, spec.detail_status, spec.detail_url)
            raw = await visible_status(el, spec.status_ignore)
            if spec.replies:
                items = runner.page.locator(spec.replies)
                for i in range(await items.count()):
                    replies.append({"text": (await items.nth(i).inner_text()).strip()})
        else:
            for number, status in await self.rows(plan, ctx, runner):
                if number == receipt["complaint_no"]:
                    raw = status
        if not raw:
            raise FormChanged(
                "在渠道上找不到这条投诉的状态",
                channel=self.adapter.name,
                field="status",
                selector=spec.detail_status or spec.row,
            )
        return StatusReport(raw=raw, state=self.adapter.normalise(raw), checked_at=now(), replies=replies)

    async def follow_up(self, receipt: dict[str, Any], text: str, ctx: FilingContext) -> FollowUpResult:
        """Post a polite follow-up in the complaint's reply box."""
        prof = self.prof
        spec = prof.follow_up
        if spec is None:
            return FollowUpResult(sent=False, needs_person=True, instructions=text)
        plan = FilingPlan(
            self.adapter.name,
            "",
            "follow_up",
            {"complaint_no": receipt["complaint_no"], "text": text, **receipt.get("vars", {})},
            target={"account": self.adapter.account()},
        )
        runner = await self.runner(plan, ctx)
        await self.detail_vars(spec.url, receipt, plan, ctx, runner)
        await runner.open(runner.url(spec.url))
        if spec.closed_text and spec.closed_text in await runner.page.inner_text("body"):
            raise ChannelRejected(f"渠道提示：{spec.closed_text}", channel=self.adapter.name)
        await runner.run(spec.steps)
        await runner.fill("text", spec.text.model_copy(update={"field": "text"}))
        button = await runner.find(spec.submit, field="发送按钮")
        await button.click()
        if spec.success is not None:
            await runner.find(spec.success, field="发送成功提示", timeout_ms=10000)
        else:
            errors = await runner.page_errors()
            if errors:
                raise ChannelRejected(f"渠道拒绝了追问：{errors}", channel=self.adapter.name)
        return FollowUpResult(sent=True, reference=receipt["complaint_no"])


ICON_CSS = (
    "i, svg, [aria-hidden=true], .material-icons, .material-icons-outlined, .material-icons-round, "
    ".material-symbols-outlined, .material-symbols-rounded, .iconfont, .glyphicon, .fa, .fas, .far, "
    "[class^='icon-'], [class*=' icon-'], [class^='el-icon'], [class*=' el-icon'], .anticon, .layui-icon"
)
"""Icon elements whose text (an icon-font ligature like ``schedule``) is not part of a status."""

_STATUS_TEXT_JS = """
(el, ignore) => {
  const out = [];
  const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walk.nextNode())) {
    const parent = node.parentElement;
    if (!parent) continue;
    let skip = null;
    try { skip = parent.closest(ignore); } catch (e) {}
    if (skip && skip !== el && el.contains(skip)) continue;
    const style = getComputedStyle(parent);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    out.push(node.textContent);
  }
  return out.join(' ');
}
"""


async def visible_status(el: Any, ignore: str | None = None) -> str:
    """A status element's words as a person reads them: icon elements (``ICON_CSS`` and the profile's
    ``status_ignore``) and hidden text left out, icon-font ligature words stripped, spaces collapsed."""
    from kameng_filer.filing.status_words import strip_ligatures

    css = ICON_CSS + (f", {ignore}" if ignore else "")
    try:
        text = await el.evaluate(_STATUS_TEXT_JS, css)
    except Exception:
        text = await el.inner_text()
    return strip_ligatures(str(text or ""))


def _css(selector: str) -> Any:
    from kameng_filer.filing.profile import Locator

    return Locator(css=selector)
