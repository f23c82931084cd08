"""Fault injection for crash tests: ``crash_point(name)`` SIGKILLs this process when asked to.

Set ``KAMENG_CRASH_AT=<name>`` (or ``<name>:<n>`` for the n-th time the point is reached in this
process) and the process kills itself with SIGKILL at that point — no ``finally`` blocks, no
flushing, no rollback: exactly what a power cut, the OOM killer or ``kill -9`` does. Without the
variable a crash point costs one dictionary lookup. For tests and adapter authors' sandboxes only
(docs/filing.md, "故障注入 / crash points"); never set it in real use.

The built-in points, in the order a filing reaches them:

``before_submit``  the filing record is durably ``submitting``; the final click / POST / SMTP DATA /
                   app tap has not happened yet (``ChannelRun.about_to_submit``);
``after_click``    the complaint was sent (HTTP API: the create response arrived; e-mail: the server
                   accepted DATA; assisted: the person confirmed the final tap) and the answer is not
                   read yet — browser adapters get this state from the twins' ``hang_after_submit``;
``after_receipt``  the receipt (complaint number) is known, nothing is written to the database yet;
``db_write``       inside the transaction that marks a filing ``submitted`` with its receipt, after
                   the row update and before the commit (engine and ``kameng report --number``);
``tick_claimed``   the tracker claimed a follow-up / escalation (idempotency key held), nothing sent;
``tick_follow_up_sent``  a follow-up was sent, its outcome is not recorded yet.
"""

from __future__ import annotations

import os
import signal

ENV = "KAMENG_CRASH_AT"
POINTS = (
    "before_submit",
    "after_click",
    "after_receipt",
    "db_write",
    "tick_claimed",
    "tick_follow_up_sent",
)
"""The points the product defines (a test may still name any point it adds itself)."""

_hits: dict[str, int] = {}


def parse(spec: str) -> tuple[str, int]:
    """``"name"`` → ``("name", 1)``; ``"name:3"`` → ``("name", 3)`` (a bad count counts as 1)."""
    name, _, count = spec.strip().partition(":")
    try:
        n = int(count) if count else 1
    except ValueError:
        n = 1
    return name, max(n, 1)


def crash_point(name: str) -> None:
    """SIGKILL this process here when ``KAMENG_CRASH_AT`` names this point (and this is its n-th hit)."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    wanted, nth = parse(spec)
    if wanted != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] < nth:
        return
    kill_now()


def kill_now() -> None:
    """Die at once, like ``kill -9`` (no cleanup handlers run)."""
    sig = getattr(signal, "SIGKILL", None)
    if sig is not None:
        os.kill(os.getpid(), sig)
    os._exit(137)  # Windows (no SIGKILL): end without cleanup all the same
