"""Tracker passes on a simulated clock: exact due dates through the 2026 Spring Festival and National Day,
provisional 2027 deadlines that are recomputed when the holiday data arrives, the change feed."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from kameng_filer import paths
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
    assert (
        due(store, wechat.id, "merchant_first_reply") == "2026-02-14T23:59:59+08:00"
    )  # 次日 24:00, not moved
    assert due(store, wechat.id, "merchant_resolution") == "2026-02-16T23:59:59+08:00"  # day 3, not moved
    assert due(store, card.id, "review") == "2026-02-14T10:00:00+08:00"  # 24 h exactly
    assert due(store, card.id, "processing") == "2026-02-27T23:59:59+08:00"  # 5 wd, like the e-mail
    rows = deadlines(store, gov.id)
    assert not rows["acceptance"].provisional
    assert (
        rows["limitation"].due_at.isoformat() == "2029-11-02T23:59:59+08:00"
        and rows["limitation"].provisional
    )


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
        CASE,
        "status",
        {"channel": "12315", "raw": "已受理", "state": "open", "event": "accepted", "reported_by": "person"},
        filing_id=accepted.id,
        at=at("2026-09-01T11:00:00"),
    )
    run_pass(store, at("2026-09-30T15:02:00"))
    rows = deadlines(store, accepted.id)
    assert rows["acceptance"].state == "fulfilled"
    # 60 days after 9/1 is Sat 10/31: moved to Monday 11/2 (办法 art. 45)
    assert rows["mediation"].due_at.isoformat() == "2026-11-02T23:59:59+08:00"
    assert rows["mediation"].state == "due"


def test_provisional_2027_deadline_is_recomputed_when_the_holidays_arrive(example_case: Path) -> None:
    store = Store.open()
    store.import_case(example_case)
    mail = record_submitted(store, CASE, "email", "<m27@example.com>", at("2027-02-03T10:00:00"))
    report = run_pass(store, at("2027-02-03T10:05:00"))
    row = deadlines(store, mail.id)["reply"]
    # 2027 is not in chinese-calendar yet: statutory 春节 (除夕 2/5 + 3 days) and weekends only
    assert row.due_at.isoformat() == "2027-02-12T23:59:59+08:00" and row.provisional
    assert any("2027" in w for w in report.warnings)
    first_calendar = row.calendar

    override = paths.holidays_override_path()
    override.write_text(
        "complete_years: [2027]\n2027:\n  holidays:\n    - 2027-01-01\n    - 2027-02-05..2027-02-11\n"
        "    - 2027-04-05\n    - 2027-05-01..2027-05-05\n    - 2027-06-09\n    - 2027-09-15\n"
        "    - 2027-10-01..2027-10-07\n  workdays:\n    - 2027-02-13\n",
        encoding="utf-8",
    )
    run_pass(store, at("2027-02-03T10:10:00"))
    row = deadlines(store, mail.id)["reply"]
    # 2/4, then 2/12, Sat 2/13 (make-up day), 2/15, 2/16
    assert row.due_at.isoformat() == "2027-02-16T23:59:59+08:00" and not row.provisional
    assert row.calendar != first_calendar


def test_tracking_starts_from_the_feed_and_terminal_status_stops_polling(example_case: Path) -> None:
    store = Store.open()
    store.import_case(example_case)
    filing = record_submitted(store, CASE, "alipay", "2026111000001234", at("2026-11-10T10:00:00"))
    run_pass(store, at("2026-11-10T10:01:00"))
    with store.session() as s:
        track = s.get(DbTracking, filing.id)
        assert (
            track.open and not track.can_poll and track.next_poll_at is None
        )  # assisted: the person reports
    store.add_event(
        CASE,
        "status",
        {
            "channel": "alipay",
            "raw": "已完成",
            "state": "resolved",
            "event": "resolved",
            "reported_by": "person",
        },
        filing_id=filing.id,
        at=at("2026-11-12T09:00:00"),
    )
    run_pass(store, at("2026-11-12T09:05:00"))
    rows = deadlines(store, filing.id)
    assert rows["processing"].state == "fulfilled" and rows["merchant_overdue"].state == "fulfilled"
    with store.session() as s:
        assert not s.get(DbTracking, filing.id).open


def test_a_case_can_override_a_channel_policy(example_case: Path) -> None:
    """``policies:`` in the case file changes that case's clocks only (here: the site promised 2 working days)."""
    import yaml

    data = yaml.safe_load(example_case.read_text(encoding="utf-8"))
    data["policies"] = {"card_platform": {"clocks": {"processing": {"duration": {"working_days": 2}}}}}
    example_case.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    store = Store.open()
    store.import_case(example_case)
    filed = at("2026-02-13T10:00:00")
    card = record_submitted(store, CASE, "card_platform@a", "TK260213100000ABCDEF01", filed)
    email = record_submitted(store, CASE, "email", "<m1@example.com>", filed)
    run_pass(store, at("2026-02-13T10:05:00"))
    assert due(store, card.id, "processing") == "2026-02-24T23:59:59+08:00"  # 2 wd: Sat 2/14, Tue 2/24
    assert due(store, email.id, "reply") == "2026-02-27T23:59:59+08:00"  # other channels unchanged
