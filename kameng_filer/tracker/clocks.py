"""Where each clock of a filing stands and when the tracker must next act on it (pure functions).

Two kinds of clocks:

- *channel clocks* (``on_lapse: follow_up | escalate``) measure the other side; when one lapses the
  filing gets a polite follow-up, at most ``follow_up.max``, spaced by ``follow_up.spacing``, and
  after the last one (one more spacing without an answer) an escalation — always inside quiet hours;
- *person clocks* (``on_lapse: remind | warn``) measure the person's own time (复核 window, checking
  the refund, the limitation): a notice when they start on a status (e.g. a result), one before the
  deadline (``remind_before``) and one when they lapse. Stages already handled are kept in
  ``stages_done`` (``s`` start, ``b`` before, ``l`` lapse) so each notice goes out once per cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from kameng_filer.tracker.events import History
from kameng_filer.tracker.policy import Clock, Duration, Policy, QuietHours, evaluate
from kameng_filer.workdays import Due, WorkCalendar

CHANNEL_LAPSE = ("follow_up", "escalate")
BASE_EVENTS = frozenset({"filed", "paid", "discovered", "escalated"})
ONE_SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class ClockCalc:
    """One clock of one filing at ``now``."""

    clock: Clock
    started_at: datetime
    due: Due
    state: str
    fulfilled_at: datetime | None
    remind_at: datetime | None

    @property
    def is_channel(self) -> bool:
        """Measures the other side (lapse → follow-up / escalation)."""
        return self.clock.on_lapse in CHANNEL_LAPSE

    @property
    def lapses_at(self) -> datetime:
        """The first moment the clock counts as lapsed."""
        return self.due.due + ONE_SECOND

    @property
    def notice_at_start(self) -> bool:
        """A person clock started by a status (e.g. a result) is announced when it starts."""
        return not self.is_channel and self.clock.starts_on not in BASE_EVENTS


def compute(policy: Policy, history: History, now: datetime, calendar: WorkCalendar) -> list[ClockCalc]:
    """Every enabled clock of ``policy`` that has started by ``now``, evaluated."""
    out = []
    for clock in policy.active_clocks():
        start = history.latest(clock.starts_on)
        if start is None:
            continue
        fulfilled = history.first_after(clock.ends_on, start, now)
        pauses = history.pauses(clock.pauses_on, now) if clock.pauses_on else []
        st = evaluate(
            clock, start=start, now=now, paused_intervals=pauses, fulfilled_at=fulfilled, calendar=calendar
        )
        out.append(ClockCalc(clock, start, st.due, st.state, fulfilled, st.remind_at))
    return out


def person_next(calc: ClockCalc, stages_done: str) -> tuple[datetime, str] | None:
    """The next notice of a person clock (time, stage letter), or None when nothing is left."""
    if calc.state in ("fulfilled", "paused"):
        return None
    pending: list[tuple[datetime, str]] = []
    if calc.notice_at_start and "s" not in stages_done:
        pending.append((calc.started_at, "s"))
    if (
        calc.state == "due"
        and calc.remind_at is not None
        and calc.remind_at > calc.started_at
        and "b" not in stages_done
    ):
        pending.append((calc.remind_at, "b"))
    if "l" not in stages_done:
        pending.append((calc.lapses_at, "l"))
    return min(pending) if pending else None


def after_spacing(last: datetime, spacing: Duration, calendar: WorkCalendar) -> datetime:
    """The earliest time of the next follow-up: hours exactly, else the start of the day ``spacing`` names."""
    if spacing.unit == "hours":
        return last + timedelta(hours=spacing.hours or 0)
    day = spacing.apply(last, calendar).due_date
    return datetime.combine(day, datetime.min.time(), last.tzinfo)


@dataclass(frozen=True)
class ChannelStep:
    """What the filing's lapsed channel clocks call for next, and from when (inside quiet hours)."""

    kind: str
    """``follow_up`` or ``escalation``."""
    at: datetime
    number: int = 0
    """The follow-up's number (1, 2, …); 0 for an escalation."""


def channel_next(
    policy: Policy,
    lapsed: list[ClockCalc],
    *,
    follow_ups: int,
    last_follow_up_at: datetime | None,
    escalated: bool,
    calendar: WorkCalendar,
) -> ChannelStep | None:
    """The next follow-up or escalation for a filing whose channel clocks ``lapsed`` (None: nothing)."""
    if escalated or not lapsed:
        return None
    first = min(c.lapses_at for c in lapsed)
    quiet: QuietHours = policy.quiet_hours
    fu = policy.follow_up
    if any(c.clock.on_lapse == "escalate" for c in lapsed):
        at = min(c.lapses_at for c in lapsed if c.clock.on_lapse == "escalate")
        return ChannelStep("escalation", quiet.next_allowed(at, calendar))
    spaced = after_spacing(last_follow_up_at, fu.spacing, calendar) if last_follow_up_at else first
    if follow_ups < fu.max:
        at = max(first, spaced)
        return ChannelStep("follow_up", quiet.next_allowed(at, calendar), follow_ups + 1)
    return ChannelStep("escalation", quiet.next_allowed(max(first, spaced), calendar))
