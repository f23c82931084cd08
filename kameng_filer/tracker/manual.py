"""``kameng escalate``: the person confirms a prepared escalation and it is filed (with them at hand)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from sqlalchemy import select

from kameng_filer.errors import KamengError
from kameng_filer.store import Store
from kameng_filer.tracker import actions as act
from kameng_filer.tracker import escalation
from kameng_filer.tracker.context import Pass, PassReport
from kameng_filer.tracker.models import DbAction
from kameng_filer.tracker.tick import deliver


def prepared_escalation(store: Store, case_id: str, channel: str) -> act.Action | None:
    """The newest escalation of a filing on ``channel`` that waits for the person."""
    ids = [f.id for f in store.filings(case_id, channel=channel)]
    if not ids:
        return None
    with store.session() as s:
        row = s.scalars(
            select(DbAction)
            .where(
                DbAction.filing_id.in_(ids),
                DbAction.kind == "escalation",
                DbAction.status == "pending_person",
            )
            .order_by(DbAction.id.desc())
            .limit(1)
        ).first()
        return act.Action.of(row) if row else None


def filable_escalation(store: Store, case_id: str, channel: str) -> act.Action:
    """The prepared escalation of ``channel`` that this tool can file, or ``KamengError`` saying why not."""
    action = prepared_escalation(store, case_id, channel)
    if action is None:
        raise KamengError(
            f"案件 {case_id} 在渠道 {channel} 没有等待确认的升级",
            hint=(
                "跟踪器准备好升级后会通知你；也可以先不接受处理结果："
                f"kameng reject {case_id} --channel {channel}，再跟踪一次：kameng tick"
            ),
        )
    step = action.detail.get("step") or {}
    if step.get("kind") not in ("internal", "channel"):
        raise KamengError("这项升级不需要在本工具里提交", hint=str(step.get("reason") or ""))
    return action


def escalate_prepared(store: Store, case_id: str, channel: str, now: datetime, *, person: Any) -> PassReport:
    """File the prepared escalation of ``channel`` now, with ``person`` answering captchas and codes."""
    action = filable_escalation(store, case_id, channel)

    async def go() -> PassReport:
        p = Pass(store, now, person=person)
        try:
            await escalation.run(p, action, person=person, auto=True)
            deliver(p)
        finally:
            await p.channels.aclose()
        return p.report

    return asyncio.run(go())
