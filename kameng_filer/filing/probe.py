"""``kameng adapter try``: open a site's real page, fill every field from a case without submitting, report each field.

The values are exactly what a filing would enter (the channel adapter plans the case with this
profile). The run logs in when needed — the person answers captchas / SMS codes, the session is kept
like a filing's — walks the profile's steps in probe mode and stops before the final click. Nothing
else reaches the site: upload fields are located and reported, and only ``--upload`` sends files.
Every field is reported, even after one failed: matched (and by which strategy), skipped (no value,
or its step's condition did not hold), or not found (per strategy: how many elements matched, how many
were visible, and the labels on the page that look alike), plus a screenshot of the filled page.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kameng_filer import paths
from kameng_filer.case.model import Case
from kameng_filer.errors import FilingError, FormChanged, HumanActionRequired, KamengError
from kameng_filer.filing.boundary import adapter_call
from kameng_filer.filing.browser_pool import BrowserPool
from kameng_filer.filing.formfill import FieldReport, FormRunner, ProbeStop, _step_name
from kameng_filer.filing.locate import found_on_page, stuck_error
from kameng_filer.filing.profile import Action, Binding, Locator, Profile, load_profile
from kameng_filer.secrets import get_secret


@dataclass
class TryResult:
    """What ``kameng adapter try`` found."""

    profile: str
    channel: str
    url: str
    ok: bool = False
    login: str = ""
    items: list[FieldReport] = field(default_factory=list)
    screenshot: str | None = None
    error: str | None = None
    hint: str | None = None
    needs_person: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "profile": self.profile,
            "channel": self.channel,
            "url": self.url,
            "ok": self.ok,
            "login": self.login,
            "fields": [i.to_dict() for i in self.items],
            "screenshot": self.screenshot,
            "error": self.error,
            "hint": self.hint,
            "needs_person": self.needs_person,
        }


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)


class ProbeContext:
    """The ``FilingContext`` of a probe: a browser context, the person, secrets, artifacts; never submits."""

    dry_run = True

    def __init__(
        self, channel: str, person: Any, artifacts: Path, pool: BrowserPool, progress: Any = None
    ) -> None:
        self.channel = channel
        self.person = person
        self.artifacts = artifacts
        self.pool = pool
        self._progress = progress
        self._context: Any = None
        self._session: Path | None = None
        self.known_numbers: set[str] = set()

    async def browser_context(self, account: str | None = None) -> Any:
        """One browser context (restoring the account's stored session, shared with real filings)."""
        if self._context is None:
            self._session = self.session_file(account) if account else None
            self._context = await self.pool.context(self._session)
        return self._context

    async def new_page(self, account: str | None = None) -> Any:
        """A new page."""
        return await (await self.browser_context(account)).new_page()

    async def save_session(self) -> None:
        """Keep the login for the next try and for real filings."""
        if self._context is not None and self._session is not None:
            await BrowserPool.save_session(self._context, self._session)

    def secret(self, key: str) -> str:
        """The account's password from keyring or the environment."""
        return get_secret(self.channel, key)

    def session_file(self, account: str) -> Path:
        """The same storage-state file a filing on this channel uses."""
        return paths.sessions_dir() / f"{_safe(self.channel)}--{_safe(account)}.json"

    async def about_to_submit(self, values: dict[str, Any]) -> None:
        """Never: a probe does not submit."""
        raise FilingError("试填模式不会提交")

    def progress(self, text: str) -> None:
        """Forward progress to the caller."""
        if self._progress is not None:
            self._progress(text)


class ProbeRunner(FormRunner):
    """A ``FormRunner`` for ``adapter try``: no uploads unless asked, every field reported whatever fails."""

    def __init__(self, *args: Any, upload: bool = False, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.upload = upload
        self.not_uploaded: dict[str, int] = {}
        """Upload fields located but left alone (binding key → files a filing would send)."""

    async def _upload(self, el: Any, b: Binding, frame: Any) -> None:
        """Only with ``--upload``: otherwise the control is located (visible, enabled) and left alone."""
        if self.upload:
            await super()._upload(el, b, frame)
            return
        if b.chooser and not await el.is_enabled():
            raise FormChanged(
                f"网页表单已变化：上传按钮「{b.label or b.name or b.describe()}」不可用（disabled）",
                field=b.label or b.describe(),
                selector=b.describe(),
                channel=self.ctx.channel,
            )
        files_for = getattr(self, "files_for", None)
        files = files_for(b) if files_for is not None else self.files
        key = next((k for k, v in self.profile.fields.items() if v is b), b.describe())
        self.not_uploaded[key] = len(files)

    async def _fill_named(self, key: str, b: Binding, value: Any, frame: Any) -> None:
        """An input still disabled after ``--timeout`` is reported then (a filing waits the page timeout);
        cascading selects that a script enables a moment later are waited for."""
        if b.widget not in ("upload", "radio", "buttons", "dropdown"):
            el = await self.find(b, field=b.label or key, frame=frame)
            deadline = time.monotonic() + self._field_timeout() / 1000
            while not await el.is_enabled():
                if time.monotonic() >= deadline:
                    raise await stuck_error(self, key, b, None, frame)
                await asyncio.sleep(0.1)
        await super()._fill_named(key, b, value, frame)

    async def diagnose(self, loc: Locator, frame: Any = None) -> list[str]:
        """Per strategy: matches, visible ones, and whether they are hidden / disabled / several."""
        return await found_on_page(self, loc, frame)

    async def fill(self, key: str, b: Binding, *, frame: Any = None) -> None:
        """Fill one field; any failure is reported on the field and the probe goes on to the next."""
        try:
            with adapter_call(self.ctx.channel, passing=(ProbeStop,)):
                await super().fill(key, b, frame=frame)
        except (HumanActionRequired, ProbeStop):
            raise
        except KamengError as exc:
            reason = exc.message
            self.report.append(
                FieldReport(
                    key=key,
                    label=b.label or b.name or key,
                    kind="field",
                    ok=False,
                    required=b.required,
                    widget=b.widget,
                    reason=f"填写时出错：{reason}",
                    tried=await found_on_page(self, b, frame),
                )
            )

    async def step(self, a: Action) -> None:
        """A wait for upload results after uploads a probe left out is skipped, not a failure."""
        if a.wait is None or not self.not_uploaded or self.upload:
            await super().step(a)
            return
        mark = len(self.report)
        try:
            await super().step(a.model_copy(update={"timeout_ms": min(a.timeout_ms or 2000, 2000)}))
        except ProbeStop:
            del self.report[mark:]
            self.report.append(
                FieldReport(
                    key=_step_name(a),
                    label=a.wait.describe(),
                    kind="step",
                    ok=True,
                    skipped=True,
                    reason="试填没有上传文件，不等上传结果（加 --upload 才上传）",
                )
            )


def _adapter(prof_ref: str, channel: str, settings: dict[str, Any]) -> Any:
    from kameng_filer import registry
    from kameng_filer.filing.web import ProfileAdapter

    base = channel.split("@", 1)[0]
    cls = registry.adapter_class(base)
    if not issubclass(cls, ProfileAdapter):
        raise KamengError(
            f"渠道「{base}」不使用站点配置，不能试填",
            hint="站点配置的 channel 应是 card_platform 这类网页渠道",
        )
    return cls({**settings, "profile": prof_ref})


async def try_profile(
    prof_ref: str,
    case: Case,
    *,
    person: Any,
    channel: str | None = None,
    settings: dict[str, Any] | None = None,
    headed: bool = False,
    timeout_ms: int = 3000,
    progress: Any = None,
    upload: bool = False,
) -> TryResult:
    """Fill the profile's form for ``case`` without submitting and report every field (never raises for site trouble).

    Nothing is sent to the site beyond the login: upload fields are located, not used, unless ``upload``.
    """
    from kameng_filer.filing.lint import channel_of
    from kameng_filer.filing.web import case_vars_from_plan, needs_secret

    base_prof: Profile = load_profile(prof_ref)
    channel = channel or f"{channel_of(base_prof)}@{base_prof.name}"
    settings = dict(settings or {})
    adapter = _adapter(prof_ref, channel, settings)
    prof: Profile = adapter.profile()
    plan = adapter.plan(case)
    values = {**case_vars_from_plan(plan), **plan.fields}
    account = str(settings.get("account") or "")
    result = TryResult(profile=prof.name, channel=channel, url=prof.base_url)
    artifacts = paths.sub("artifacts/try") / f"{_safe(prof.name)}-{time.strftime('%Y%m%d-%H%M%S')}"
    artifacts.mkdir(parents=True, exist_ok=True)
    pool = BrowserPool(headed=headed)
    runner: ProbeRunner | None = None
    try:
        with adapter_call(channel):  # Playwright / network trouble: reported, never a traceback
            ctx = ProbeContext(channel, person, artifacts, pool, progress)
            page = await ctx.new_page(account or None)
            runner = ProbeRunner(
                page, prof, values, plan.files, ctx, probe=True, timeout_ms=timeout_ms, upload=upload
            )
            stored = bool(account) and ctx.session_file(account).exists()
            if prof.login is None:
                result.login = "不需要登录"
            elif stored and not prof.login.check_url:
                # proven by ``logged_in`` on the first page the steps open (no extra page), as in a filing
                result.login = "已登录（使用保存的登录状态）"

                async def relogin() -> None:
                    password = ctx.secret(account) if needs_secret(prof) else None
                    await runner.login(account, password)
                    await ctx.save_session()
                    result.login = f"已登录（{account}）"

                runner.verify_login, runner.relogin = True, relogin
            elif await runner.logged_in():
                result.login = "已登录（使用保存的登录状态）"
            elif not account:
                result.login = "需要登录"
                result.error = "站点需要登录，但没有指定账号"
                result.hint = f"加 --account 账号（密码用 kameng login {channel} --account 账号 保存）"
                return result
            else:
                password = ctx.secret(account) if needs_secret(prof) else None
                await runner.login(account, password)
                await ctx.save_session()
                result.login = f"已登录（{account}）"
            stopped = False
            try:
                await runner.run(prof.steps)
            except ProbeStop:
                stopped = True
            if not stopped:
                await _check_submit(runner, prof)
            _not_reached(runner, prof)
            if any(not i.ok for i in runner.report) and await runner.page_missing():
                result.error = (
                    f"页面不存在：站点对 {runner.page.url} 回答了“页面不存在”，上表没找到的项都在这一页上"
                )
                result.hint = "站点可能换了这一页的地址：检查站点配置 steps 里的 goto"
    except HumanActionRequired as exc:
        result.needs_person = True
        result.error, result.hint = exc.message, exc.hint
    except KamengError as exc:
        translated = exc.__cause__ is not None and not isinstance(exc.__cause__, KamengError)
        result.error, result.hint = exc.message, exc.hint or (exc.detail if translated else None)
    finally:
        if runner is not None:
            _note_uploads(runner)
            result.items = list(runner.report)
            shot = artifacts / "try.png"
            try:
                await runner.page.screenshot(path=str(shot), full_page=True)
                result.screenshot = str(shot)
            except Exception:
                result.screenshot = None
        await pool.close()
    required_ok = all(i.ok for i in result.items if i.kind != "field" or i.required)
    result.ok = (
        result.error is None and required_ok and any(i.kind == "submit" and i.ok for i in result.items)
    )
    return result


async def _check_submit(runner: FormRunner, prof: Profile) -> None:
    """Find (never click) the final button."""
    entry = FieldReport(key="submit", label=prof.submit.describe(), kind="submit", ok=False, reason="")
    try:
        await runner.find(prof.submit, field="提交按钮")
        entry.ok, entry.strategy, entry.reason = True, runner.last_strategy, "已找到（试填不会点击）"
    except FormChanged as exc:
        entry.reason = exc.message
        entry.tried = await runner.diagnose(prof.submit)
        entry.suggestions = await runner.suggest(prof.submit)
    runner.report.append(entry)


def _note_uploads(runner: ProbeRunner) -> None:
    """Say on each located upload field that nothing was uploaded (and how many files a filing sends)."""
    for item in runner.report:
        if item.kind == "field" and item.ok and item.key in runner.not_uploaded:
            n = runner.not_uploaded[item.key]
            item.reason = f"已找到上传控件，试填没有上传（提交时会上传 {n} 个文件；加 --upload 才会试传）"


def _not_reached(runner: FormRunner, prof: Profile) -> None:
    """Fields the steps would fill after the step that failed (or in a step whose condition did not hold)."""
    seen = {r.key for r in runner.report if r.kind == "field"}
    skipped = {r.key for r in runner.report if r.kind == "step" and r.skipped}
    for step in prof.steps:
        keys = [step.fill] if isinstance(step.fill, str) else (step.fill or [])
        by_condition = _step_name(step) in skipped
        for key in keys:
            if key in seen:
                continue
            b = prof.fields[key]
            runner.report.append(
                FieldReport(
                    key=key,
                    label=b.label or b.name or key,
                    kind="field",
                    ok=by_condition,
                    skipped=by_condition,
                    required=b.required,
                    widget=b.widget,
                    reason="这一步的条件不满足（if_visible / unless_visible），不用填"
                    if by_condition
                    else "没有执行到（前面的步骤失败）",
                )
            )
            seen.add(key)
