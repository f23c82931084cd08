"""Escalating from the dispute page: ``kameng escalate`` on a worker thread, its human steps in the page.

An ``EscalationRun`` is a ``FilingRun`` whose work is ``tracker.manual.escalate_prepared`` with a
``WebPerson``: a captcha, SMS code or QR login of the escalation's channel appears in the run page
(enlarged, answered there), exactly as when filing. The escalation itself is the tracker's (the same
action, claimed once; the same filing engine and exactly-once rules).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kameng_filer import wording
from kameng_filer.errors import KamengError
from kameng_filer.ui.runs import FilingRun

_STATES = {"done": "submitted", "pending_person": "needs_person", "failed": "failed"}


def escalation_problem(case_id: str, channel: str) -> str:
    """"" when ``channel`` has a prepared escalation this tool can file, else the Chinese reason."""
    from kameng_filer.store import Store
    from kameng_filer.tracker.manual import filable_escalation

    try:
        store = Store.open()
    except KamengError as exc:
        return exc.message + (f"（{exc.hint}）" if exc.hint else "")
    try:
        filable_escalation(store, case_id, channel)
    except KamengError as exc:
        return exc.message + (f"（{exc.hint}）" if exc.hint else "")
    finally:
        store.close()
    return ""


@dataclass
class EscalationRun(FilingRun):
    """The prepared escalation of one channel, filed from the page."""

    kind: str = "escalation"
    actions: list[dict[str, Any]] = field(default_factory=list)
    numbers: dict[str, str] = field(default_factory=dict)

    def _work(self, now: Callable[[], datetime]) -> None:
        from kameng_filer.store import Store
        from kameng_filer.tracker.manual import escalate_prepared
        from kameng_filer.ui.webperson import WebPerson

        channel = self.channels[0]
        try:
            store = Store.open()
        except KamengError as exc:
            self.fail(exc, "提交升级")
            return
        try:
            self.emit({"type": "progress", "channel": channel, "text": "正在提交升级……"})
            report = escalate_prepared(store, self.case_id, channel, now(), person=WebPerson(self))
            self.actions = list(report.actions)
            for a in self.actions:
                target = str(a.get("channel") or channel)
                if a.get("status") == "done":
                    self.numbers[target] = _latest_number(store, self.case_id, target)
            for text in report.errors:
                self.emit({"type": "error", "message": text, "hint": ""})
        except Exception as exc:
            self.fail(exc, "提交升级")
        finally:
            store.close()

    def outcome_views(self) -> list[dict[str, Any]]:
        """Each escalation action as a channel result of the run page."""
        views = []
        for a in self.actions:
            status = str(a.get("status") or "")
            target = str(a.get("channel") or self.channels[0])
            done = status == "done"
            views.append(
                {
                    "channel": target,
                    "state": _STATES.get(status, status),
                    "label": f"升级{wording.action_status(status)}",
                    "complaint_no": self.numbers.get(target, "") if done else "",
                    "reason": "" if done else str(a.get("summary") or ""),
                    "hint": "" if done else "回到“记录结果 / 不接受 / 升级”页可以再提交一次。",
                    "shots": 0,
                }
            )
        return views


def _latest_number(store: Any, case_id: str, channel: str) -> str:
    """The complaint number of the newest submitted escalation (or complaint) filed on ``channel``."""
    found = [f for f in store.filings(case_id, channel=channel, states=["submitted"]) if f.complaint_no]
    found.sort(key=lambda f: (f.purpose == "escalation", f.id))
    return str(found[-1].complaint_no) if found else ""
