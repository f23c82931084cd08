"""Tracker passes on a simulated clock: exact due dates through the 2026 Spring Festival and National Day,
provisional 2027 deadlines that are recomputed when the holiday data arrives, the change feed."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from kameng_filer.store import Store
from kameng_filer.timeutil import parse_iso
from kameng_filer.tracker.models import DbDeadline, DbTracking
from kameng_filer.tracker.testing import record_submitted
from kameng_filer.tracker.tick import run_pass

CASE = "km-2026-0001"


def at(text: str) -> datetime:
    return parse_iso(text)


def deadlines(store: Store, filing_id: int) -> dict[str, DbDeadline]:
    with store.session() as s:
        rows = s.scalars(select(DbDeadline).where(DbDeadline.filing_id == filing_id))
        return {r.clock: r for r in rows}


def due(store: Store, filing_id: int, clock: str) -> str:
    return deadlines(store, filing_id)[clock].due_at.isoformat()


def test_spring_festival_2026_exact_due_dates(example_case: Path) -> None:
    store = Store.open()
    store.import_case(example_case)
    filed = at("2026-02-13T10:00:00")  # Friday before 春节; 2/14 (Sat) works, 2/15–2/23 off, 2/28 (Sat) works
    email = record_submitted(store, CASE, "email", "<m1@example.com>", filed)
    gov = record_submitted(store, CASE, "12315", "3301102026021312345678901", filed)
    wechat = record_submitted(store, CASE, "wechat_pay", "200201820260213080076610000", filed)
    card = record_submitted(store, CASE, "card_platform@a", "TK260213100000ABCDEF01", filed)
    report = run_pass(store, at("2026-02-13T10:05:00"))
    assert report.refreshed >= 4

    assert due(store, email.id, "reply") == "2026-02-27T23:59:59+08:00"  # 5 wd: 2/14, 2/24, 2/25, 2/26, 2/27
    assert due(store, gov.id, "acceptance") == "2026-03-02T23:59:59+08:00"  # 7 wd incl. Sat 2/14 and Sat 2/28
    assert due(store, wechat.id, "merchant_first_reply") == "2026-02-14T23:59:59+08:00"  # 次日 24:00, not moved
    assert due(store, wechat.id, "merchant_resolution") == "2026-02-16T23:59:59+08:00"  # day 3, not moved
    assert due(store, card.id, "review") == "2026-02-14T10:00:00+08:00"  # 24 h exactly
    assert due(store, card.id, "processing") == "2026-02-27T23:59:59+08:00"  # 5 wd, like the e-mail
    assert all(not d.provisional for d in deadlines(store, gov.id).values())


def test_national_day_2026_and_mediation_rolls_to_a_working_day(example_case: Path) -> None:
    store = Store.open()
    store.import_case(example_case)
    filed = at("2026-09-30T15:00:00")  # 10/1–10/7 off, 10/10 (Sat) works
    card = record_submitted(store, CASE, "card_platform@a", "TK260930150000ABCDEF01", filed)
    gov = record_submitted(store, CASE, "12315", "3301102026093012345678901", filed)
    run_pass(store, at("2026-09-30T15:01:00"))
    assert due(store, card.id, "processing") == "2026-10-13T23:59:59+08:00"  # 10/8, 10/9, 10/10, 10/12, 10/13
    assert due(store, card.id, "review") == "2026-10-01T15:00:00+08:00"
    assert due(store, gov.id, "acceptance") == "2026-10-15T23:59:59+08:00"  # 10/8, 9, 10, 12, 13, 14, 15

    accepted = record_submitted(store, CASE, "12315", "3301102026082512345678901", at("2026-08-25T09:00:00"))
    store.add_event(
        CASE, "status", {"channel": "12315", "raw": "已受理", "state": "open", "event": "accepted",
                         "reported_by": "person"},
        filing_id=accepted.id, at=at("2026-09-01T11:00:00"),
    )
    run_pass(store, at("2026-09-30T15:02:00"))
    rows = deadlines(store, accepted.id)
    assert rows["acceptance"].state == "fulfilled"
    # 60 days after 9/1 is Sat 10/31: moved to Monday 11/2 (办法 art. 45)
    assert rows["mediation"].due_at.isoformat() == "2026-11-02T23:59:59+08:00"
    assert rows["mediation"].state == "due"
