"""The filing workflow behind ``kameng file`` and ``kameng demo``: check → plan → confirm → file → report."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from kameng_filer.adapter import Adapter, FilingPlan
from kameng_filer.case.model import Case
from kameng_filer.errors import CaseInvalid, KamengError
from kameng_filer.filing.browser_pool import BrowserPool
from kameng_filer.filing.channels import ChannelInstance, exclusive_conflict, resolve
from kameng_filer.filing.engine import FileOptions, FilingEngine, Outcome
from kameng_filer.findings import Finding, has_errors


@dataclass
class Prepared:
    """A case ready to file: the stored case, its version, and a plan (or a planning error) per channel."""

    case: Case
    version: int
    work: list[tuple[Adapter, FilingPlan]] = field(default_factory=list)
    failed: list[Outcome] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def load_for_filing(
    store: Any,
    case_ref: str,
    *,
    now: datetime,
    channels: tuple[str, ...] | list[str] = (),
    override: str | None = None,
) -> tuple[Case, int, list[Finding]]:
    """A case file/folder (checked, then imported) or a stored case id → (case, version, findings).

    Text findings (emotional or vague wording) are errors for ``channels`` as ``channel_severity`` says.
    """
    from kameng_filer.case import load_case
    from kameng_filer.case.loader import find_case_file, unknown_case
    from kameng_filer.checks import check_case
    from kameng_filer.checks.channel_severity import for_channels, wording_findings

    path = Path(case_ref).expanduser()
    if path.exists():
        path = find_case_file(path)
        result = load_case(path)
        findings = for_channels(check_case(result, now=now), channels, override)
        if has_errors(findings) or result.case is None:
            raise CaseInvalid("案件有错误，先修正再提交（kameng check 查看详情）", issues=findings)
        imported = store.import_case(path)
        stored = store.get_case(imported.case_id, imported.version)
        for ev in stored.evidence:  # the plan shows where each stored copy came from
            original = result.case.evidence_by_id(ev.id)
            if original is not None:
                ev.came_from(original.real_path)
        return stored, imported.version, findings
    if not store.has_case(case_ref):
        raise unknown_case(case_ref)
    case = store.get_case(case_ref)
    findings = for_channels(wording_findings(case, now=now), channels, override)
    if has_errors(findings):
        raise CaseInvalid("案件有错误，先修正再提交（kameng check 查看详情）", issues=findings)
    return case, store.current_version(case_ref), findings


def prepare(
    store: Any,
    case_ref: str,
    tokens: list[str],
    *,
    now: datetime,
    purpose: str = "complaint",
    force_reason: str | None = None,
    config: dict[str, Any] | None = None,
) -> Prepared:
    """Check, import, resolve channels and plan each one (planning errors end that channel only)."""
    if exclusive_conflict(tokens) and not force_reason:
        raise KamengError(
            "同一纠纷不能同时向12315和消费者协会投诉：12315 不受理已被消协受理的纠纷（《市场监督管理投诉举报处理办法》第16条）",
            hint='二选一；确有理由同时提交时加 --force "理由"（理由会被记录）',
        )
    case, version, findings = load_for_filing(
        store, case_ref, now=now, channels=list(tokens), override=force_reason
    )
    prepared = Prepared(case, version, findings=findings)
    instances: list[ChannelInstance] = [resolve(t, config) for t in tokens]
    for inst in instances:
        try:
            plan = inst.adapter.plan(case, purpose=purpose)
        except KamengError as exc:
            prepared.failed.append(
                Outcome(inst.name, "failed", error=f"无法生成提交内容：{exc.message}", hint=exc.hint)
            )
            continue
        plan.channel = inst.name
        prepared.work.append((inst.adapter, plan))
    return prepared


def field_labels(adapter: Any) -> dict[str, str]:
    """Chinese labels of every field a filing may enter: the channel's own, then its site profile's.

    A site profile adds form fields of its own (e.g. 12315's 处理单位(省)/(市)); a confirmation table
    shows their labels, never the field ids.
    """
    from kameng_filer.render.punct import fullwidth_prose

    labels: dict[str, str] = {}
    try:
        prof = adapter.profile() if callable(getattr(adapter, "profile", None)) else None
    except KamengError:
        prof = None
    for key, binding in (getattr(prof, "fields", None) or {}).items():
        label = getattr(binding, "label", None) or getattr(binding, "name", None)
        if isinstance(label, str) and label:
            labels[key] = fullwidth_prose(label)
            target = getattr(binding, "field", None)  # a site field that enters a value of another name
            if isinstance(target, str) and target:
                labels.setdefault(target, labels[key])
    labels.update({f.name: f.label for f in adapter.spec.fields})
    return labels


def plan_table(adapter: Adapter, plan: FilingPlan) -> Table:
    """A rich table of what will be entered on one channel (case text shown literally, never as markup)."""
    t = Table(title=Text(f"{adapter.spec.title}({plan.channel})"), show_lines=False, expand=False)
    t.add_column("字段", style="bold", no_wrap=True)
    t.add_column("将填写的内容", overflow="fold")
    labels = field_labels(adapter)
    for key, value in plan.fields.items():
        text = "、".join(map(str, value)) if isinstance(value, list) else str(value)
        if len(text) > 160:
            text = text[:160] + f"…(共 {len(text)} 字)"
        t.add_row(Text(labels.get(key, key)), Text(text))
    for f in plan.files:
        source = f"\n来自 {f.source_path}" if f.source_path else ""
        t.add_row(
            "证据", Text(f"{f.upload_name}  {f.mime}  {f.size // 1024} KB  sha256:{f.sha256[:12]}{source}")
        )
    where = plan.target.get("site") or plan.target.get("smtp") or ""
    caption = f"目标：{where} {plan.target.get('base_url', '')}" if where else ""
    for note in plan.notes:
        caption += f"\n注意：{note}"
    if caption:
        t.caption = Text(caption.strip("\n"))
    return t


async def execute(
    store: Any,
    prepared: Prepared,
    person: Any,
    options: FileOptions,
    *,
    console: Console | None,
    show_progress: bool,
    browsers: BrowserPool | None = None,
    reporter: Callable[[str, str], None] | None = None,
) -> list[Outcome]:
    """Run the engine with a per-channel progress display (or ``reporter(channel, text)``, e.g. the web page)."""
    if not prepared.work:
        if browsers is not None:
            await browsers.close()
        return list(prepared.failed)
    progress = None
    tasks: dict[str, Any] = {}
    if reporter is None and show_progress and console is not None and not console.is_terminal:
        # piped or redirected: plain lines, no spinner frames or cursor codes
        def reporter(channel: str, text: str) -> None:
            console.print(escape(f"{channel}:{text}"), highlight=False, soft_wrap=True)

    elif reporter is None and show_progress and console is not None:
        progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.fields[channel]}[/]"),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        for _, plan in prepared.work:
            tasks[plan.channel] = progress.add_task("等待", channel=plan.channel, total=None)

        def reporter(channel: str, text: str) -> None:
            if channel in tasks:
                progress.update(tasks[channel], description=text)

        if hasattr(person, "pause"):
            person.pause = progress.stop
            person.resume = progress.start
        progress.start()
    engine = FilingEngine(store, person, options=options, reporter=reporter, browsers=browsers)
    try:
        outcomes = await engine.run(prepared.case, prepared.version, prepared.work)
    finally:
        if progress is not None:
            progress.stop()
    return list(prepared.failed) + outcomes


def needs_browser(tokens: list[str], config: dict[str, Any] | None = None) -> bool:
    """True when any of these channels files through the browser (so it is worth starting one early)."""
    for token in tokens:
        try:
            inst = resolve(token, config)
        except KamengError:
            continue
        if inst.adapter.spec.kind == "browser" and inst.adapter.settings.get("mode") != "http":
            return True
    return False


async def prepare_and_execute(
    store: Any,
    case_ref: str,
    tokens: list[str],
    person: Any,
    options: FileOptions,
    *,
    now: datetime,
    console: Console | None = None,
    show_progress: bool = False,
    config: dict[str, Any] | None = None,
    on_prepared: Callable[[Prepared], None] | None = None,
    reporter: Callable[[str, str], None] | None = None,
) -> tuple[Prepared, list[Outcome]]:
    """Check, plan and file without a confirmation step, launching Chromium while the case is checked.

    ``store`` may also be a function that opens it (``Store.open``): it is then opened while Chromium's
    driver starts (a new data folder creates its database first). ``on_prepared`` sees the plans before
    anything is sent (the CLI prints them there).
    """
    browsers = BrowserPool(headed=options.headed)
    if needs_browser(tokens, config):
        browsers.warm_up()
    try:
        if callable(store):
            # a few turns of the loop let the warm-up spawn Playwright's driver (on the second turn),
            # which then starts while the store opens here, in the thread that closes it (openstores)
            for _ in range(3):
                await asyncio.sleep(0)
            store = store()
        prepared = await asyncio.to_thread(
            prepare,
            store,
            case_ref,
            tokens,
            now=now,
            purpose=options.purpose,
            force_reason=options.force_reason,
            config=config,
        )
    except BaseException:
        await browsers.close()
        raise
    if on_prepared is not None:
        try:  # it may refuse (e.g. a channel lacks its password): nothing was sent, close the browser
            on_prepared(prepared)
        except BaseException:
            await browsers.close()
            raise
    outcomes = await execute(
        store,
        prepared,
        person,
        options,
        console=console,
        show_progress=show_progress,
        browsers=browsers,
        reporter=reporter,
    )
    return prepared, outcomes


def run_sync(coro: Any) -> Any:
    """Run a coroutine to completion from synchronous CLI code."""
    return asyncio.run(coro)
