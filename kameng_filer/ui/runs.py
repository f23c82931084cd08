"""Filing runs started from the page: the CLI's engine in a worker thread, its progress as events.

A run is ``filing.run.prepare_and_execute`` (what ``kameng file --yes`` / ``--dry-run`` runs) on its own
thread and event loop, with a ``WebPerson`` for the human steps and a reporter that turns progress into
events. Pages follow a run by server-sent events (``events_since``); any tab may answer its questions.
Exactly once is the engine's: each channel is claimed (``FilingClaim``) by one run at a time, so a
second tab filing the same channel ends at once with ``in_progress``.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from kameng_filer import wording
from kameng_filer.errors import CaseInvalid, KamengError
from kameng_filer.filing.engine import FileOptions, Outcome

MAX_RUNS = 50
"""Finished runs kept in memory (for pages reopened later); older ones are forgotten."""


@dataclass
class Question:
    """One human step waiting for an answer in the page."""

    id: str
    channel: str
    kind: str
    prompt: str
    image: Path | None
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[str | None]
    open: bool = True


@dataclass
class FilingRun:
    """One filing (or dry run) of a case on some channels, started from the page."""

    case_id: str
    channels: list[str]
    dry_run: bool
    again: bool = False
    kind: str = "file"
    """``file`` (a filing or dry run) or ``escalation`` (``ui.escalaterun.EscalationRun``)."""
    id: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    events: list[dict[str, Any]] = field(default_factory=list)
    questions: dict[str, Question] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)
    finished: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def emit(self, event: dict[str, Any]) -> None:
        """Append an event (numbered) for every page following this run."""
        with self._lock:
            self.events.append({**event, "seq": len(self.events)})

    def events_since(self, seq: int) -> list[dict[str, Any]]:
        """Events numbered ``seq`` and later."""
        with self._lock:
            return list(self.events[max(seq, 0) :])

    async def ask(
        self, channel: str, kind: str, prompt: str, *, image: Path | None, error: str, timeout_s: float
    ) -> str | None:
        """Publish a question and wait (on the engine's loop) for the page's answer; None on timeout."""
        loop = asyncio.get_running_loop()
        q = Question(secrets.token_urlsafe(8), channel, kind, prompt, image, loop, loop.create_future())
        with self._lock:
            self.questions[q.id] = q
        self.emit(
            {
                "type": "ask",
                "id": q.id,
                "channel": channel,
                "kind": kind,
                "prompt": prompt,
                "image": image is not None,
                "error": error,
            }
        )
        try:
            return await asyncio.wait_for(q.future, timeout_s)
        except TimeoutError:
            return None
        finally:
            q.open = False
            self.emit({"type": "answered", "id": q.id, "channel": channel})

    def answer(self, question_id: str, value: str | None) -> bool:
        """Answer an open question (from any tab); False when it is unknown or already answered."""
        with self._lock:
            q = self.questions.get(question_id)
            if q is None or not q.open:
                return False
            q.open = False

        def settle() -> None:
            if not q.future.done():
                q.future.set_result(value)

        q.loop.call_soon_threadsafe(settle)
        return True

    def question_image(self, question_id: str) -> Path | None:
        """The image of a question when it is a file inside the data folder's artifacts, else None."""
        q = self.questions.get(question_id)
        return None if q is None or q.image is None else artifact_file(q.image)

    def cancel_questions(self) -> None:
        """Answer every open question with "nobody" (the run is being given up)."""
        for qid in list(self.questions):
            self.answer(qid, None)

    def start(self, now: Callable[[], datetime]) -> FilingRun:
        """Run the filing on a worker thread."""
        self._thread = threading.Thread(
            target=self._main, args=(now,), name=f"kameng-ui-run-{self.id}", daemon=True
        )
        self._thread.start()
        return self

    def join(self, timeout: float | None = None) -> None:
        """Wait for the worker thread (tests)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _main(self, now: Callable[[], datetime]) -> None:
        try:
            self._work(now)
        finally:
            self.finished = True
            self.emit({"type": "done", "outcomes": self.outcome_views()})

    def _work(self, now: Callable[[], datetime]) -> None:
        """What the worker thread does (a filing here; subclasses do other engine work)."""
        asyncio.run(self._file(now()))

    def outcome_views(self) -> list[dict[str, Any]]:
        """How each channel ended, for the ``done`` event."""
        return [outcome_view(o) for o in self.outcomes]

    async def _file(self, at: datetime) -> None:
        from kameng_filer.filing.preflight import check_prepared, raise_if_any
        from kameng_filer.filing.run import Prepared, prepare_and_execute
        from kameng_filer.store import Store
        from kameng_filer.ui.webperson import WebPerson

        def reporter(channel: str, text: str) -> None:
            self.emit({"type": "progress", "channel": channel, "text": text})

        def on_prepared(prepared: Prepared) -> None:
            raise_if_any(check_prepared(prepared))  # accounts and passwords, as the CLI checks them
            self.emit({"type": "plans", "plans": [plan_view(a, p) for a, p in prepared.work]})
            for o in prepared.failed:
                self.emit({"type": "progress", "channel": o.channel, "text": o.error or ""})

        options = FileOptions(dry_run=self.dry_run, again=self.again)
        try:
            store = Store.open()
        except KamengError as exc:
            self.emit({"type": "error", "message": exc.message, "hint": exc.hint or ""})
            return
        try:
            _, self.outcomes = await prepare_and_execute(
                store,
                self.case_id,
                list(self.channels),
                WebPerson(self),
                options,
                now=at,
                on_prepared=on_prepared,
                reporter=reporter,
            )
        except CaseInvalid as exc:
            problems = [f"{f.path}:{f.message}" for f in exc.issues if f.severity == "error"]
            self.emit({"type": "error", "message": exc.message, "hint": ";".join(problems[:5])})
        except Exception as exc:
            self.fail(exc, "提交")
        finally:
            store.close()

    def fail(self, exc: Exception, what: str) -> None:
        """The error event of a run that stopped: the Chinese message of a ``KamengError``, else a plain
        "unexpected problem" with where to look (never the exception's own text)."""
        if isinstance(exc, KamengError):
            self.emit({"type": "error", "message": exc.message, "hint": exc.hint or ""})
            return
        self.emit(
            {
                "type": "error",
                "message": f"{what}时出现意外问题，没有完成。",
                "hint": f"在终端运行 kameng status {self.case_id} 查看各渠道的记录，再决定是否重试。",
            }
        )


def plan_view(adapter: Any, plan: Any) -> dict[str, Any]:
    """What will be entered on one channel (labels as ``kameng file`` prints them)."""
    from kameng_filer.filing.run import field_labels

    labels = field_labels(adapter)
    rows = []
    for key, value in plan.fields.items():
        text = "、".join(map(str, value)) if isinstance(value, list) else str(value)
        rows.append({"label": labels.get(key, key), "text": text})
    for f in plan.files:
        rows.append({"label": "证据", "text": f"{f.upload_name}（{f.size // 1024} KB）"})
    return {"channel": plan.channel, "title": adapter.spec.title, "rows": rows, "notes": list(plan.notes)}


def outcome_view(o: Outcome) -> dict[str, Any]:
    """How one channel ended, in Chinese, with the screenshots the page may show."""
    reason, _detail = wording.split_technical(o.error or "")
    receipt = o.receipt if isinstance(o.receipt, dict) else {}
    return {
        "channel": o.channel,
        "state": o.state,
        "label": wording.OUTCOME_STATES.get(o.state, o.state),
        "complaint_no": receipt.get("complaint_no") or "",
        "reason": reason if o.state != "submitted" else "",
        "hint": (o.hint or "") if o.state != "submitted" else "",
        "shots": len(outcome_shots(o)),
    }


def outcome_shots(o: Outcome) -> list[Path]:
    """The screenshots of an outcome that may be served (inside the data folder's artifacts)."""
    found: list[Path] = []
    receipt = o.receipt if isinstance(o.receipt, dict) else {}
    for p in [receipt.get("screenshot"), *o.artifacts]:
        real = artifact_file(Path(p)) if p else None
        if real is not None and real not in found:
            found.append(real)
    return found


def artifact_file(path: Path) -> Path | None:
    """``path`` resolved when it is an image file under the data folder's artifacts, else None."""
    from kameng_filer.ui.files import receipt_screenshot

    return receipt_screenshot({"screenshot": str(path)})


class Runs:
    """The runs of this workspace, by id."""

    def __init__(self) -> None:
        self._runs: dict[str, FilingRun] = {}
        self._lock = threading.Lock()

    def add(self, run: FilingRun) -> FilingRun:
        """Keep a run (forgetting the oldest finished ones beyond ``MAX_RUNS``)."""
        with self._lock:
            self._runs[run.id] = run
            finished = [k for k, r in self._runs.items() if r.finished]
            for k in finished[: max(0, len(self._runs) - MAX_RUNS)]:
                del self._runs[k]
        return run

    def get(self, run_id: str) -> FilingRun | None:
        """The run with this id, or None."""
        with self._lock:
            return self._runs.get(run_id)

    def all(self) -> list[FilingRun]:
        """Every run kept."""
        with self._lock:
            return list(self._runs.values())
