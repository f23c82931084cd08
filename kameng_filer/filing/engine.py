"""File one case on several channels concurrently, exactly once, with receipts and the person in the loop.

Exactly once: a run first claims the (case, channel, purpose) filing (``FilingClaim``, an OS lock
that dies with its process) before it reads the record or touches the channel; a second run at the
same time ends at once with ``in_progress``. A filing record per (case, channel, purpose, generation)
exists before anything is sent and is marked ``submitting`` durably right before the final click — a
compare-and-set that never starts from ``submitted``, which is final. A run that finds a record left
in ``submitting`` (crash, timeout, lost response) first looks the complaint up on the channel's own
list and records it only when the row is proven ours (``proof``); rows filed earlier by someone else
are never adopted, and rows it cannot prove either way stop the run at ``needs_person``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kameng_filer import paths
from kameng_filer.adapter import Adapter, DryRunComplete, FilingPlan, Receipt
from kameng_filer.case.model import Case
from kameng_filer.crashpoints import crash_point
from kameng_filer.errors import (
    AlreadyFiled,
    HumanActionRequired,
    KamengError,
    SessionExpired,
)
from kameng_filer.filing.boundary import adapter_call, handling
from kameng_filer.filing.browser_pool import BrowserPool
from kameng_filer.filing.channel_run import ChannelRun, safe_name
from kameng_filer.filing.claim import ClaimBusy, FilingClaim
from kameng_filer.filing.proof import UnprovenMatch
from kameng_filer.store.records import FilingStateConflict
from kameng_filer.vocab import REUSABLE, FilingState

__all__ = ["REUSABLE", "ChannelRun", "FileOptions", "FilingEngine", "Outcome"]

log = logging.getLogger("kameng_filer.filing")


@dataclass
class FileOptions:
    """How to run a filing."""

    dry_run: bool = False
    again: bool = False
    retries: int = 2
    backoff_s: float = 1.0
    headed: bool = False
    purpose: str = "complaint"
    force_reason: str | None = None


@dataclass
class Outcome:
    """How one channel ended."""

    channel: str
    state: FilingState
    receipt: dict[str, Any] | None = None
    error: str | None = None
    retryable: bool = False
    filing_id: int | None = None
    artifacts: list[str] = field(default_factory=list)
    hint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``{"channel", "state", "receipt", "error"}`` shape (+ retryable, artifacts, hint)."""
        return {
            "channel": self.channel,
            "state": self.state,
            "receipt": self.receipt,
            "error": self.error,
            "retryable": self.retryable,
            "artifacts": self.artifacts,
            "hint": self.hint,
        }


class FilingEngine:
    """Runs adapters for one case concurrently and records every outcome in the store."""

    def __init__(
        self,
        store: Any,
        person: Any,
        *,
        options: FileOptions | None = None,
        reporter: Any = None,
        browsers: BrowserPool | None = None,
    ) -> None:
        self.store = store
        self.person = person
        self.options = options or FileOptions()
        self.browsers = browsers or BrowserPool(headed=self.options.headed)
        self._reporter = reporter

    def channel_run(
        self,
        channel: str,
        filing_id: int | None,
        artifacts: Path,
        *,
        dry_run: bool,
        known_numbers: set[str],
        submit_mark: Any = None,
    ) -> ChannelRun:
        """The context this engine gives one channel's adapter."""
        return ChannelRun(
            channel,
            filing_id,
            artifacts,
            store=self.store,
            person=self.person,
            browsers=self.browsers,
            dry_run=dry_run,
            known_numbers=known_numbers,
            submit_mark=submit_mark,
            report=self.report,
        )

    def report(self, channel: str, text: str) -> None:
        """Forward progress to the display (if any)."""
        if self._reporter is not None:
            self._reporter(channel, text)

    async def run(
        self, case: Case, case_version: int, work: list[tuple[Adapter, FilingPlan]]
    ) -> list[Outcome]:
        """File every (adapter, plan) concurrently; always returns one outcome per channel."""
        try:
            return list(await asyncio.gather(*(self._guarded(case, case_version, a, p) for a, p in work)))
        finally:
            await self.browsers.close()

    async def _guarded(self, case: Case, version: int, adapter: Adapter, plan: FilingPlan) -> Outcome:
        try:
            if self.options.dry_run:
                return await self._one(case, version, adapter, plan)
            with FilingClaim(case.id, plan.channel, self.options.purpose):
                return await self._one(case, version, adapter, plan)
        except ClaimBusy as exc:  # another run files this channel right now: nothing done, nothing changed
            self.report(plan.channel, exc.message)
            return Outcome(plan.channel, FilingState.IN_PROGRESS, error=exc.message, hint=exc.hint)
        except AlreadyFiled as exc:  # another process created the record between our read and our write
            return Outcome(plan.channel, FilingState.ALREADY_FILED, error=exc.message, hint=exc.hint)
        except KamengError as exc:
            return Outcome(plan.channel, FilingState.FAILED, error=exc.message, hint=exc.hint)
        except Exception as exc:  # the engine's own bug (adapter errors are translated at the boundary)
            log.exception("unexpected error on %s", plan.channel)
            return Outcome(
                plan.channel,
                FilingState.FAILED,
                error="提交过程中出现意外错误",
                hint=f"请把这条信息告诉维护者：{type(exc).__name__}",
            )

    def _artifacts(self, case: Case, channel: str, generation: int) -> Path:
        p = (
            paths.artifacts_dir()
            / safe_name(case.id)
            / f"{safe_name(channel)}-{self.options.purpose}-{generation}"
        )
        p.mkdir(parents=True, exist_ok=True)
        return p

    async def _one(self, case: Case, version: int, adapter: Adapter, plan: FilingPlan) -> Outcome:
        opts = self.options
        ch = plan.channel
        store = self.store
        existing = store.get_filing(case.id, ch, purpose=opts.purpose)
        known = {f.complaint_no for f in store.filings(case_id=case.id) if f.channel == ch and f.complaint_no}
        reconcile = False

        if opts.dry_run:
            ctx = self.channel_run(ch, None, self._artifacts(case, ch, 0), dry_run=True, known_numbers=known)
            return await self._attempts(adapter, plan, ctx, None)

        if existing is not None and existing.state == FilingState.SUBMITTED:
            if not opts.again:
                receipt = json.loads(existing.receipt_json) if existing.receipt_json else None
                exc = AlreadyFiled(
                    f"该案件已在「{adapter.spec.title}」提交过（投诉编号 {existing.complaint_no}），不会重复提交",
                    channel=ch,
                    hint="确需再次提交（例如对方要求重新投诉）时加 --again",
                )
                return Outcome(
                    ch,
                    FilingState.ALREADY_FILED,
                    receipt=receipt,
                    error=exc.message,
                    filing_id=existing.id,
                    hint=exc.hint,
                )
            filing = store.create_filing(
                case_id=case.id,
                case_version=version,
                channel=ch,
                purpose=opts.purpose,
                generation=existing.generation + 1,
                plan_json=json.dumps(plan.to_dict(), ensure_ascii=False),
                force_reason=opts.force_reason,
            )
        elif existing is not None:
            filing = existing
            reconcile = existing.state == FilingState.SUBMITTING or existing.submitting_at is not None
            store.update_filing(
                filing.id, plan_json=json.dumps(plan.to_dict(), ensure_ascii=False), error=None
            )
        else:
            filing = store.create_filing(
                case_id=case.id,
                case_version=version,
                channel=ch,
                purpose=opts.purpose,
                generation=1,
                plan_json=json.dumps(plan.to_dict(), ensure_ascii=False),
                force_reason=opts.force_reason,
            )
        ctx = self.channel_run(
            ch,
            filing.id,
            self._artifacts(case, ch, filing.generation),
            dry_run=False,
            known_numbers=known,
            submit_mark=filing.submitting_at,
        )
        # --again on an unfinished record: the person checked the rows we could not prove ours
        ctx.person_says_new = opts.again and existing is not None and existing.state != FilingState.SUBMITTED
        if reconcile:
            self.report(ch, "上次提交结果不明，先在渠道上查找已提交的投诉")
            found, problem = await self._reconcile(adapter, plan, ctx)
            if found is not None:
                return self._record_success(filing.id, ch, found, plan)
            if problem is not None:  # could not look: never submit blind
                return self._unverified(filing.id, ch, problem)
            if not adapter.can_reconcile() and opts.again:
                # the person checked and says it did not arrive: send again on the same record
                # (an e-mail keeps its Message-ID, so a copy that did arrive is recognisably the same)
                self.report(ch, "本人确认上次未送达，重新提交")
            elif not adapter.can_reconcile():
                msg = "上次提交在最后一步中断，该渠道无法自动核对是否已送达"
                store.update_filing(filing.id, state=FilingState.NEEDS_PERSON, error=msg)
                return Outcome(
                    ch,
                    FilingState.NEEDS_PERSON,
                    error=msg,
                    filing_id=filing.id,
                    hint=(
                        "请检查是否已送达（如邮件的已发送文件夹、渠道的短信回执）。已送达就记录投诉编号："
                        f"kameng report {case.id} --channel {ch} --number 投诉编号；"
                        f"确认未送达后重新提交：kameng file {case.id} --channels {ch} --again"
                    ),
                )
        return await self._attempts(adapter, plan, ctx, filing.id)

    async def _reconcile(
        self, adapter: Adapter, plan: FilingPlan, ctx: ChannelRun
    ) -> tuple[Receipt | None, KamengError | None]:
        """Look for the complaint on the channel: (receipt, None) found; (None, None) the channel shows
        nothing new (or cannot be searched); (None, error) the lookup itself failed — unknown."""
        if not adapter.can_reconcile():
            return None, None
        try:
            with adapter_call(ctx.channel):
                found = await adapter.find_existing(plan, ctx)
        except KamengError as exc:
            log.info("reconciliation failed on %s: %s", ctx.channel, exc)
            return None, exc
        if found is None or found.complaint_no in ctx.known_numbers:
            return None, None
        found.reconciled = True
        return found, None

    def _unverified(self, filing_id: int, ch: str, problem: KamengError, cause: str = "") -> Outcome:
        """The complaint may be on the channel and the lookup failed: end without sending anything."""
        if isinstance(problem, UnprovenMatch):  # a row for the order, neither ours nor ruled out
            return self._fail(filing_id, ch, FilingState.NEEDS_PERSON, problem.message, hint=problem.hint)
        msg = f"{cause or '上次提交结果不明'}，且暂时无法在渠道上核对（{problem.message}），为免重复投诉，本次没有再提交"
        if isinstance(problem, HumanActionRequired):
            return self._fail(filing_id, ch, FilingState.NEEDS_PERSON, msg, hint=problem.hint)
        return self._fail(
            filing_id,
            ch,
            FilingState.FAILED,
            msg,
            retryable=True,
            detail=problem.detail,
            hint="稍后重新运行同一命令：会先到渠道上核对，确认没有提交过才会再提交",
        )

    async def _attempts(
        self, adapter: Adapter, plan: FilingPlan, ctx: ChannelRun, filing_id: int | None
    ) -> Outcome:
        opts = self.options
        ch = plan.channel
        attempt = 0
        session_retry = True
        while True:
            self.report(ch, "开始提交" if attempt == 0 else f"第 {attempt + 1} 次尝试")
            try:
                with adapter_call(ch):
                    receipt = await adapter.submit(plan, ctx)
            except DryRunComplete as done:
                shots = [str(done.screenshot)] if done.screenshot else []
                self.report(ch, "演练完成（未提交）")
                return Outcome(ch, FilingState.PLANNED, artifacts=shots, error=None, hint=done.note or None)
            except SessionExpired:
                ctx.forget_session()
                if session_retry:
                    session_retry = False
                    continue
                return self._fail(filing_id, ch, FilingState.FAILED, "登录状态反复失效", retryable=True)
            except AlreadyFiled:
                raise  # recorded as submitted meanwhile: the outcome says so, the record stays
            except KamengError as exc:
                how = handling(exc)
                if how.retry:
                    if ctx.submit_started and filing_id is not None:
                        ended = await self._after_lost_submit(adapter, plan, ctx, filing_id, exc)
                        if ended is not None:
                            return ended
                    if attempt < opts.retries:
                        delay = opts.backoff_s * (2**attempt)
                        self.report(ch, f"{exc.message},{delay:.0f} 秒后重试")
                        await asyncio.sleep(delay)
                        attempt += 1
                        ctx.submit_started = False
                        continue
                shot = await ctx.failure_screenshot(how.screenshot) if how.screenshot else None
                return self._fail(
                    filing_id,
                    ch,
                    how.state,
                    exc.message,
                    retryable=how.retry,
                    hint=exc.hint,
                    detail=exc.detail if how.detail else None,
                    shots=[shot],
                )
            if filing_id is None:
                return Outcome(ch, FilingState.PLANNED)
            await ctx.save_session(final=True)
            return self._record_success(filing_id, ch, receipt, plan)

    async def _after_lost_submit(
        self, adapter: Adapter, plan: FilingPlan, ctx: ChannelRun, filing_id: int, exc: KamengError
    ) -> Outcome | None:
        """The channel became unreachable after the final click: the outcome when the complaint was found
        or cannot be checked; None when it is proven not there (then a retry may send it)."""
        found, problem = await self._reconcile(adapter, plan, ctx)
        if found is not None:
            return self._record_success(filing_id, plan.channel, found, plan)
        if problem is not None:
            return self._unverified(filing_id, plan.channel, problem, f"{exc.message}；投诉可能已经送达")
        if not adapter.can_reconcile():
            return self._fail(
                filing_id,
                plan.channel,
                FilingState.NEEDS_PERSON,
                f"{exc.message}；投诉可能已经送达，该渠道无法自动核对",
                hint="请确认是否已送达（如邮件的已发送文件夹、渠道的回执）；确认未送达后用 --again 重新提交",
            )
        return None

    def _record_success(self, filing_id: int, ch: str, receipt: Receipt, plan: FilingPlan) -> Outcome:
        crash_point("after_receipt")  # fault injection: the receipt is known, nothing written yet
        hashes = {f.evidence_id: f.sha256 for f in plan.files}
        data = receipt.to_dict()
        try:
            self.store.update_filing(
                filing_id,
                expect_state=REUSABLE,
                state=FilingState.SUBMITTED,
                complaint_no=receipt.complaint_no,
                receipt_json=json.dumps(data, ensure_ascii=False),
                evidence_hashes_json=json.dumps(hashes, ensure_ascii=False),
                submitted_at=receipt.filed_at,
                error=None,
                retryable=False,
            )
        except FilingStateConflict:  # recorded meanwhile (kameng report --number): keep that, say both
            current = self.store.get_filing_by_id(filing_id)
            other = current.complaint_no if current is not None else None
            if other == receipt.complaint_no:
                return Outcome(ch, FilingState.SUBMITTED, receipt=data, filing_id=filing_id)
            msg = (
                f"渠道已受理本次投诉（投诉编号 {receipt.complaint_no}），但这条记录在此期间已被记为投诉编号 {other}，"
                "没有覆盖它"
            )
            self.report(ch, msg)
            return Outcome(
                ch,
                FilingState.NEEDS_PERSON,
                receipt=data,
                error=msg,
                hint=f"请在渠道上核对这两条投诉：多出的 {receipt.complaint_no} 可以在渠道上撤回或补充说明",
            )
        self.report(ch, f"已提交：{receipt.complaint_no}" + ("（核对补记）" if receipt.reconciled else ""))
        arts = [str(p) for p in (receipt.screenshot, receipt.html) if p]
        return Outcome(ch, FilingState.SUBMITTED, receipt=data, filing_id=filing_id, artifacts=arts)

    def _fail(
        self,
        filing_id: int | None,
        ch: str,
        state: FilingState,
        message: str,
        *,
        retryable: bool = False,
        hint: str | None = None,
        detail: str | None = None,
        shots: list[str | None] | None = None,
    ) -> Outcome:
        arts = [s for s in (shots or []) if s]
        current = self.store.get_filing_by_id(filing_id) if filing_id is not None else None
        if current is not None and current.state == FilingState.SUBMITTED:
            filing_id = None  # final: a late failure never moves a submitted record back
        if filing_id is not None:
            keep_submitting = (
                current is not None
                and current.state == FilingState.SUBMITTING
                and state == FilingState.FAILED
                and retryable
            )
            self.store.update_filing(
                filing_id,
                expect_state=REUSABLE,
                state=FilingState.SUBMITTING if keep_submitting else state,
                error=message if not detail else f"{message}({detail})",
                retryable=retryable,
            )
        self.report(
            ch,
            {FilingState.NEEDS_PERSON: "需要本人操作", FilingState.REJECTED: "被渠道拒绝"}.get(state, "失败")
            + f":{message}",
        )
        return Outcome(
            ch, state, error=message, retryable=retryable, filing_id=filing_id, artifacts=arts, hint=hint
        )
