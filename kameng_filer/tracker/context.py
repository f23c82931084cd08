"""One tracker pass's context: the store, the (possibly simulated) time, caches and the report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kameng_filer.case.model import Case
from kameng_filer.config import load_config
from kameng_filer.errors import KamengError
from kameng_filer.store import Store
from kameng_filer.store.records import FilingRecord
from kameng_filer.timeutil import as_shanghai
from kameng_filer.tracker.channel_io import ChannelSession, base_channel
from kameng_filer.tracker.policy import Policy, load_policy
from kameng_filer.workdays import WorkCalendar, default_calendar


@dataclass
class PassReport:
    """What one pass did (``kameng tick`` prints it; ``--json`` prints ``to_dict()``)."""

    now: datetime
    polled: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    refreshed: int = 0
    events: int = 0
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def action(self, key: str, kind: str, status: str, summary: str, **extra: Any) -> None:
        """Note an action."""
        self.actions.append({"key": key, "kind": kind, "status": status, "summary": summary, **extra})

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "now": self.now.isoformat(),
            "polled": self.polled,
            "actions": self.actions,
            "deadlines_refreshed": self.refreshed,
            "events_read": self.events,
            "warnings": self.warnings,
            "errors": self.errors,
        }


class Pass:
    """State shared by the steps of one pass. ``now`` is the pass's clock (``--now`` in tests)."""

    def __init__(
        self,
        store: Store,
        now: datetime,
        *,
        person: Any = None,
        config: dict[str, Any] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> None:
        self.store = store
        self._stop = stop
        self.now = as_shanghai(now)
        self.calendar: WorkCalendar = default_calendar()
        self.config = load_config() if config is None else config
        self.channels = ChannelSession(store, person=person, config=self.config)
        self.report = PassReport(self.now)
        self._cases: dict[str, Case] = {}
        self._policies: dict[tuple[str, str | None], Policy] = {}

    def stopping(self) -> bool:
        """True when the daemon was asked to stop (finish the current action, start no new one)."""
        return bool(self._stop and self._stop())

    def case(self, case_id: str) -> Case:
        """The current version of a stored case (cached for the pass)."""
        if case_id not in self._cases:
            self._cases[case_id] = self.store.get_case(case_id)
        return self._cases[case_id]

    def forget_case(self, case_id: str) -> None:
        """Drop a cached case (it was re-imported)."""
        self._cases.pop(case_id, None)

    def filing(self, filing_id: int) -> FilingRecord | None:
        """A fresh filing record."""
        return self.store.get_filing_by_id(filing_id)

    def policy(self, channel: str, case_id: str | None = None) -> Policy:
        """The effective policy of a channel token: site profile ``schedule`` and the case's ``policies`` applied."""
        case_patch: dict[str, Any] | None = None
        if case_id is not None:
            policies = self.case(case_id).policies
            case_patch = policies.get(channel) or policies.get(base_channel(channel))
        key = (channel, case_id if case_patch else None)
        if key not in self._policies:
            profile: dict[str, Any] | None = None
            try:
                profile = self.channels.instance(channel).adapter.schedule_overrides()
            except KamengError:
                profile = None
            self._policies[key] = load_policy(
                base_channel(channel), profile_overrides=profile, case_overrides=case_patch
            )
        return self._policies[key]

    def quiet_allows(self, channel: str) -> bool:
        """Whether automatic actions may go out to ``channel`` now."""
        return self.policy(channel).quiet_hours.allows(self.now, self.calendar)
