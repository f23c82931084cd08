"""The vocabularies are defined once (``kameng_filer.vocab``) and every table follows them; status events
are written with one key (``by``) and older data with ``reported_by`` still reads; receipts and status
events have typed views; ``FilingContext`` declares what ``ChannelRun`` gives adapters."""

from __future__ import annotations

import inspect
from pathlib import Path

from typer.testing import CliRunner

from kameng_filer import wording
from kameng_filer.adapter import FilingContext
from kameng_filer.cli import app
from kameng_filer.filing import profile, status_words
from kameng_filer.filing.channel_run import ChannelRun
from kameng_filer.store import Store
from kameng_filer.store.records import EVENT_KINDS, FILING_STATES, StatusEvent, StoredReceipt
from kameng_filer.vocab import (
    COMPLAINT_STATE_MEANINGS,
    RECORD_STATES,
    ComplaintState,
    EventKind,
    FilingState,
    Reporter,
    reported_by,
)

CASE_ID = "km-2026-0001"
ALIPAY_NO = "2026110300000000001234567"


def test_complaint_states_are_one_vocabulary() -> None:
    """Profiles, ``kameng report --state`` and the Chinese meanings accept the same complaint states."""
    every = set(ComplaintState)
    assert set(profile.STATES) == every
    assert set(status_words.STATES) == every
    assert set(COMPLAINT_STATE_MEANINGS) == every
    for state in ComplaintState:
        assert "「" not in wording.channel_status(state)  # a real Chinese word, not the fallback


def test_filing_states_and_event_kinds_have_words() -> None:
    """Every filing state and event kind has its Chinese word; the store checks against the same states."""
    assert set(FILING_STATES) == set(RECORD_STATES) < set(FilingState)
    for state in FilingState:
        assert "「" not in wording.outcome_state(state)
    assert set(EVENT_KINDS) == set(EventKind)
    for kind in EventKind:
        assert "「" not in wording.event_kind(kind)


def test_status_events_are_written_with_one_key_and_old_data_still_reads(example_case: Path) -> None:
    """``kameng report --status`` writes ``by: person`` like the tracker writes ``by: tracker``; an event
    stored earlier with ``reported_by`` is still the person's."""
    runner = CliRunner()
    res = runner.invoke(app, ["report", str(example_case), "-c", "alipay", "--number", ALIPAY_NO])
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        app, ["report", CASE_ID, "-c", "alipay", "--status", "商家已回复", "--note", "看到了"]
    )
    assert res.exit_code == 0, res.output
    with Store.open() as store:
        [event] = store.events(CASE_ID, kinds=["status"])
        filing = store.get_filing(CASE_ID, "alipay")
    assert event.data["by"] == "person" and "reported_by" not in event.data
    typed = StatusEvent.from_data(event.data)
    assert (typed.by, typed.state, typed.note) == (Reporter.PERSON, "replied", "看到了")
    assert StatusEvent.from_data(typed.to_data()) == typed
    assert reported_by({"reported_by": "person"}) is Reporter.PERSON
    assert reported_by({"by": "tracker"}) is Reporter.TRACKER
    receipt = filing.stored_receipt
    assert isinstance(receipt, StoredReceipt) and receipt.complaint_no == ALIPAY_NO
    assert receipt.filed_at is not None
    assert StoredReceipt.from_data(None) is None


def test_filing_context_declares_what_channel_run_offers() -> None:
    """Adapters can rely on every member the protocol names, and ``ChannelRun`` has each of them."""
    declared = set(FilingContext.__annotations__) | {
        name for name, value in vars(FilingContext).items() if inspect.isfunction(value)
    }
    for name in ("new_page", "save_session", "not_delivered", "filing_id", "known_numbers", "submit_mark"):
        assert name in declared
    run_members = set(vars(ChannelRun)) | set(
        inspect.signature(ChannelRun.__init__).parameters
    )  # attributes set in __init__ are checked on an instance below
    run = ChannelRun(
        "x", None, Path("."), store=None, person=None, browsers=None, dry_run=True, known_numbers=set()
    )  # type: ignore[arg-type]
    for name in declared:
        assert name in run_members or hasattr(run, name), name
