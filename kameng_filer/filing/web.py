"""``ProfileAdapter``: the browser/HTTP adapter driven by a site profile (submit, reconcile, status, follow-up).

Channel adapters subclass it and supply the planned values; everything about the web site itself lives
in the profile, so a new site is a new profile file, not code.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from typing import Any
from urllib.parse import urljoin, urlsplit

from kameng_filer import paths
from kameng_filer.adapter import (
    Adapter,
    DryRunComplete,
    FilingContext,
    FilingPlan,
    FollowUpResult,
    PlannedFile,
    Receipt,
    StatusReport,
)
from kameng_filer.case.model import Case
from kameng_filer.errors import ChannelRejected, ConfigError, FilingError, FormChanged, RenderError
from kameng_filer.filing.evidence import prepare_files
from kameng_filer.filing.filepick import describe_choice, pick_files
from kameng_filer.filing.formfill import FormRunner
from kameng_filer.filing.profile import STATES, Profile, load_profile
from kameng_filer.timeutil import now

NORMAL_STATES = STATES


def case_vars(case: Case) -> dict[str, Any]:
    """Flat values a profile may reference as ``{name}``."""
    r, o, c = case.respondent, case.order, case.complainant
    return {
        "case_id": case.id,
        "order_no": o.order_no,
        "product": o.product,
        "amount": f"{o.amount:.2f}",
        "quantity": str(o.quantity),
        "paid_date": o.paid_at.strftime("%Y-%m-%d")
        if o.paid_at
        else (o.ordered_at.strftime("%Y-%m-%d") if o.ordered_at else ""),
        "transaction_no": (o.payment.transaction_no if o.payment else None) or "",
        "name": c.name,
        "phone": c.phone,
        "email": c.email or "",
        "address": c.address or "",
        "platform": r.platform,
        "legal_name": r.legal_name or r.platform,
        "respondent_address": r.address or "",
        "merchant": (r.merchant.name if r.merchant else None) or "",
        "shop_id": (r.merchant.shop_id if r.merchant else None) or "",
    }


class ProfileAdapter(Adapter):
    """An adapter whose web flow is a site profile; subclasses implement ``values``."""

    default_profile: str = ""
    file_field: str | None = None

    def profile(self) -> Profile:
        """The site profile from settings (``profile``) or the built-in default; ``base_url`` may be overridden."""
        name = self.settings.get("profile") or self.default_profile
        if not name:
            raise ConfigError(
                f"渠道「{self.spec.title}」需要站点配置",
                hint=f"在配置文件的 channels.{self.name}.profile 中填写站点配置名称",
            )
        prof = load_profile(name)
        update = {k: self.settings[k] for k in ("base_url", "mode") if self.settings.get(k)}
        if update.get("mode") == "http" and prof.api is None:
            raise ConfigError(f"站点配置 {prof.name} 没有 api 段,不能用 mode: http")
        return prof.model_copy(update=update) if update else prof

    def account(self) -> str:
        """The login account for this channel (settings ``account``)."""
        return str(self.settings.get("account") or "")

    def values(self, case: Case, purpose: str, context: dict[str, Any] | None) -> dict[str, Any]:
        """Channel field values for this case (rendered texts + mapped options)."""
        raise NotImplementedError

    def limits_check(self, values: dict[str, Any], prof: Profile) -> None:
        """Every text value within its declared limits (with the profile's overrides)."""
        for f in self.spec.fields:
            if f.kind in ("file", "multiselect", "money") or f.name not in values or values[f.name] is None:
                continue
            value = str(values[f.name])
            override = prof.limits.get(f.name)
            spec = f
            if override is not None:
                from dataclasses import replace

                spec = replace(
                    f,
                    **{
                        k: getattr(override, k)
                        for k in ("min_len", "max_len")
                        if getattr(override, k) is not None
                    },
                )
            problem = spec.check_text(value) if (value or spec.required) else None
            if problem and not (f.kind == "select" and not f.options):
                raise RenderError(f"渠道「{self.spec.title}」的字段不符合要求:{problem}", field=f.name)

    def plan(
        self, case: Case, *, purpose: str = "complaint", context: dict[str, Any] | None = None
    ) -> FilingPlan:
        """Exact values per field and the evidence files as they will be uploaded."""
        prof = self.profile()
        files: list[PlannedFile] = []
        kinds = {ev.id: str(getattr(ev.kind, "value", ev.kind)) for ev in case.evidence}
        choice_notes: list[str] = []
        if self.file_field:
            fspec = self.spec.field(self.file_field)
            redaction_notes: list[str] = []
            files = prepare_files(
                case,
                fspec,
                paths.sub(f"cache/files/{self.name}"),
                anonymous_names=self.spec.public,
                notes=redaction_notes,
            )
            files, choice_notes = self.choose_files(prof, files, kinds)
            choice_notes = redaction_notes + choice_notes
        # the texts are rendered after the file choice: they list and count only what is sent
        values = self.values(sent_evidence_only(case, files, choice_notes), purpose, context)
        values.update({k: v for k, v in prof.options.items() if k not in ("_",)})
        if self.spec.public:
            from kameng_filer.render.mask import mask_fields

            values = mask_fields(case, self.spec, values)
        self.limits_check(values, prof)
        account = self.account()
        return FilingPlan(
            channel=self.name,
            case_id=case.id,
            purpose=purpose,
            fields=values,
            files=files,
            target={
                "profile": prof.name,
                "site": prof.title,
                "base_url": prof.base_url,
                "mode": prof.mode,
                "account": account,
                "vars": case_vars(case),
                "file_kinds": {f.evidence_id: kinds.get(f.evidence_id, "") for f in files},
            },
            notes=self.notes(prof) + choice_notes,
            lookup_key=case.order.order_no,
        )

    def choose_files(
        self, prof: Profile, files: list[PlannedFile], kinds: dict[str, str]
    ) -> tuple[list[PlannedFile], list[str]]:
        """The files the site takes (``limits.<file field>.max_files``, upload fields' ``pick`` /
        ``max_files``), and plan notes naming the choice."""
        limit = prof.limits.get(self.file_field or "")
        cap = limit.max_files if limit is not None else None
        uploads = [(k, b) for k, b in prof.fields.items() if b.widget == "upload"]
        if uploads and all(b.pick or b.max_files for _, b in uploads):
            chosen: list[PlannedFile] = []
            for _, b in uploads:
                for f in pick_files(files, kinds, pick=b.pick, max_files=b.max_files):
                    if f not in chosen:
                        chosen.append(f)
        else:
            chosen = list(files)
        chosen = chosen[:cap] if cap is not None else chosen
        if len(chosen) == len(files):
            return chosen, []
        left = [f for f in files if f not in chosen]
        label = (uploads[0][1].label or uploads[0][0]) if uploads else (self.file_field or "附件")
        return chosen, [describe_choice(label, chosen, left)]

    def notes(self, prof: Profile) -> list[str]:
        """What the person will be asked to do on this site."""
        notes = []
        steps = list(prof.steps) + (list(prof.login.steps) if prof.login else [])
        if any(s.captcha for s in steps):
            notes.append("需要本人输入图片验证码")
        if any(s.sms for s in steps):
            notes.append("需要本人输入短信验证码")
        if any(s.qr for s in steps):
            notes.append("需要本人扫码登录")
        return notes

    # ------------------------------------------------------------------ I/O
    async def _runner(self, plan: FilingPlan, ctx: FilingContext) -> FormRunner:
        prof = self.profile()
        account = plan.target.get("account") or self.account()
        session_key = account or "default"  # QR/SMS logins have no account name but keep a session too
        had_session = ctx.session_file(session_key).exists()
        for old in list(getattr(ctx, "pages", [])):  # a page of an earlier attempt may still wait on
            with contextlib.suppress(Exception):  # a request that never ends (and hold Chromium's cache lock)
                if not old.is_closed():
                    await old.close()
        page = await ctx.new_page(session_key)  # type: ignore[attr-defined]
        if self.settings.get("timeout"):  # seconds a page may take to answer before it counts as a timeout
            page.set_default_navigation_timeout(float(self.settings["timeout"]) * 1000)
        values = {**case_vars_from_plan(plan), **plan.fields}
        runner = FormRunner(page, prof, values, plan.files, ctx)
        runner.file_kinds = dict(plan.target.get("file_kinds") or {})
        if prof.login is None:
            return runner

        async def log_in() -> None:
            password = ctx.secret(account) if needs_secret(prof) else None
            await runner.login(account, password)
            await ctx.save_session()  # type: ignore[attr-defined]

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
        prof = self.profile()
        if prof.mode == "http":
            from kameng_filer.filing.http_api import submit_http

            return await submit_http(self, prof, plan, ctx)
        runner = await self._runner(plan, ctx)
        ctx.progress("填写表单")
        await runner.run(prof.steps)
        if ctx.dry_run:
            await runner.find(prof.submit, field="提交按钮")
            shot, _ = await runner.save_page("dry-run")
            raise DryRunComplete(shot, "已填写到最后一步,未点击提交")
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

    async def _rows(self, plan: FilingPlan, ctx: FilingContext, runner: FormRunner) -> list[tuple[str, str]]:
        prof = self.profile()
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
            raise ChannelRejected(f"渠道拒绝了查询:{refused}", channel=ctx.channel)
        from kameng_filer.filing.profile import fmt

        match = fmt(spec.match, runner.values) if spec.match else ""
        rx = re.compile(spec.number)
        out = []
        rows = runner.page.locator(spec.row)
        for i in range(await rows.count()):
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

    async def find_existing(self, plan: FilingPlan, ctx: FilingContext) -> Receipt | None:
        """Look for a complaint on this order in the site's list that we have not recorded yet and that is
        proven ours (``kameng_filer.filing.proof``)."""
        prof = self.profile()
        if prof.mode == "http":
            from kameng_filer.filing.http_api import find_existing_http

            return await find_existing_http(self, prof, plan, ctx)
        if prof.list_page is None:
            return None
        from kameng_filer.filing.reconcile_web import find_ours_web

        return await find_ours_web(self, prof, plan, ctx)

    async def _detail_vars(
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

    async def _detail_element(self, runner: FormRunner, css: str, template: str) -> Any:
        """The status element on a detail page; a page that is not the detail (a logged-out page or a
        "页面不存在" page, both often HTTP 200) is reported as what it is, not as a changed form."""
        try:
            return await runner.find(_css(css), field="状态")
        except FormChanged as exc:
            if await runner.login_lost():
                raise runner.expired("打开详情页时,") from exc
            text = ""
            with contextlib.suppress(Exception):
                text = await asyncio.wait_for(runner.page.inner_text("body"), 2)
            if NOT_FOUND_TEXT.search(text[:2000]):
                raise FormChanged(
                    f"详情页不存在:站点对 {runner.page.url} 回答了“页面不存在”",
                    channel=self.name,
                    field="list.detail_url",
                    selector=template,
                    hint="站点的详情页若按它自己的 id 访问,detail_url 写 {detail_url}(见 docs/adapters.md §9)",
                ) from exc
            raise

    async def row_href(self, number: str, plan: FilingPlan, ctx: FilingContext, runner: FormRunner) -> str:
        """The absolute link of complaint ``number``'s row in the site's list (``list.link``)."""
        spec = self.profile().list_page
        assert spec is not None
        await self._rows(plan, ctx, runner)  # opens the list (with its steps) and waits for it
        rx = re.compile(spec.number)
        rows = runner.page.locator(spec.row)
        for i in range(await rows.count()):
            row = rows.nth(i)
            m = rx.search(await row.inner_text())
            if m is None or m.group(0) != number:
                continue
            link = row.locator(spec.link or "a[href]")
            if await link.count():
                href = await link.first.get_attribute("href")
                if href:
                    return urljoin(runner.page.url, href)
        raise FormChanged(
            f"在渠道的列表里找不到投诉 {number} 的详情链接",
            channel=self.name,
            field="list.link",
            selector=f"{spec.row} {spec.link or 'a[href]'}",
            hint="检查站点配置 list.row / list.link,或确认这条投诉还在列表中",
        )

    def can_reconcile(self) -> bool:
        """True when the site has a list that can be searched without knowing the complaint number."""
        prof = self.profile()
        if prof.mode == "http":
            return bool(prof.api and prof.api.list_url and "{complaint_no}" not in prof.api.list_url)
        return prof.list_page is not None and "{complaint_no}" not in prof.list_page.url

    def normalise(self, raw: str) -> str:
        """Map the site's status words to the toolkit's states (longest match wins)."""
        words = self.profile().status_words
        for word in sorted(words, key=len, reverse=True):
            if word in raw:
                return words[word]
        return "open"

    async def status(self, receipt: dict[str, Any], ctx: FilingContext) -> StatusReport:
        """Read the complaint's status from its detail page (or the list)."""
        prof = self.profile()
        if prof.mode == "http":
            from kameng_filer.filing.http_api import status_http

            return await status_http(self, prof, receipt, ctx)
        if prof.list_page is None:
            raise FilingError(f"站点配置 {prof.name} 没有 list 段,无法查询状态", channel=self.name)
        plan = FilingPlan(
            self.name,
            "",
            "status",
            {"complaint_no": receipt["complaint_no"], **receipt.get("vars", {})},
            target={"account": self.account()},
        )
        runner = await self._runner(plan, ctx)
        runner.values["complaint_no"] = receipt["complaint_no"]
        spec = prof.list_page
        replies: list[dict[str, Any]] = []
        raw = ""
        if spec.detail_url and spec.detail_status:
            await self._detail_vars(spec.detail_url, receipt, plan, ctx, runner)
            await runner.open(runner.url(spec.detail_url))
            el = await self._detail_element(runner, spec.detail_status, spec.detail_url)
            raw = await visible_status(el, spec.status_ignore)
            if spec.replies:
                items = runner.page.locator(spec.replies)
                for i in range(await items.count()):
                    replies.append({"text": (await items.nth(i).inner_text()).strip()})
        else:
            for number, status in await self._rows(plan, ctx, runner):
                if number == receipt["complaint_no"]:
                    raw = status
        if not raw:
            raise FormChanged(
                "在渠道上找不到这条投诉的状态",
                channel=self.name,
                field="status",
                selector=spec.detail_status or spec.row,
            )
        return StatusReport(raw=raw, state=self.normalise(raw), checked_at=now(), replies=replies)

    async def follow_up(self, receipt: dict[str, Any], text: str, ctx: FilingContext) -> FollowUpResult:
        """Post a polite follow-up in the complaint's reply box."""
        prof = self.profile()
        if prof.mode == "http":
            from kameng_filer.filing.http_api import follow_up_http

            return await follow_up_http(self, prof, receipt, text, ctx)
        spec = prof.follow_up
        if spec is None:
            return FollowUpResult(sent=False, needs_person=True, instructions=text)
        plan = FilingPlan(
            self.name,
            "",
            "follow_up",
            {"complaint_no": receipt["complaint_no"], "text": text, **receipt.get("vars", {})},
            target={"account": self.account()},
        )
        runner = await self._runner(plan, ctx)
        await self._detail_vars(spec.url, receipt, plan, ctx, runner)
        await runner.open(runner.url(spec.url))
        if spec.closed_text and spec.closed_text in await runner.page.inner_text("body"):
            raise ChannelRejected(f"渠道提示:{spec.closed_text}", channel=self.name)
        await runner.run(spec.steps)
        await runner.fill("text", spec.text.model_copy(update={"field": "text"}))
        button = await runner.find(spec.submit, field="发送按钮")
        await button.click()
        if spec.success is not None:
            await runner.find(spec.success, field="发送成功提示", timeout_ms=10000)
        else:
            errors = await runner.page_errors()
            if errors:
                raise ChannelRejected(f"渠道拒绝了追问:{errors}", channel=self.name)
        return FollowUpResult(sent=True, reference=receipt["complaint_no"])


NOT_FOUND_TEXT = re.compile(r"页面不存在|找不到(该|此)?页面|不存在或已被?删除|\b404\b|Not Found", re.I)
"""Texts of "no such page" pages (often answered with HTTP 200)."""

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


def sent_evidence_only(case: Case, files: list[PlannedFile], choice_notes: list[str]) -> Case:
    """``case`` with only the evidence that goes up when the site takes fewer files (``max_files`` /
    ``pick``), so that titles and texts count and list what is actually sent."""
    if not choice_notes or not files:
        return case
    sent = {f.evidence_id for f in files}
    if all(ev.id in sent for ev in case.evidence):
        return case
    return case.model_copy(update={"evidence": [ev for ev in case.evidence if ev.id in sent]})


def needs_secret(prof: Profile) -> bool:
    """True when the login steps type the account's password (QR / SMS logins need none)."""
    login = prof.login
    if login is None:
        return False
    for step in login.steps:
        keys = [step.fill] if isinstance(step.fill, str) else (step.fill or [])
        for key in keys:
            binding = prof.fields.get(key)
            if key == login.secret_field or (binding is not None and binding.field == login.secret_field):
                return True
    return False


def _css(selector: str) -> Any:
    from kameng_filer.filing.profile import Locator

    return Locator(css=selector)


def case_vars_from_plan(plan: FilingPlan) -> dict[str, Any]:
    """Vars carried in the plan target (set by subclasses via ``plan.target['vars']``)."""
    return dict(plan.target.get("vars", {}))
