"""Shared helpers of the workspace tests: a stored example case with filings and tracked deadlines."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kameng_filer.store import Store
from kameng_filer.timeutil import parse_iso
from kameng_filer.tracker.testing import record_submitted
from kameng_filer.tracker.tick import run_pass
from kameng_filer.ui import UiServer, create_app

ROOT = Path(__file__).resolve().parent.parent
CASE = "km-2026-0001"
NOW = parse_iso("2026-11-12T10:00:00")
"""The workspace's "now" in these tests: the 12315 filing's first deadline has passed, the
heimao one still runs."""


def seed_home(home: Path) -> Path:
    """A data folder holding the example case: 12315 filed long ago (a deadline overdue at ``NOW``; its
    receipt names a screenshot outside the data folder), heimao filed the day before ``NOW`` (receipt
    screenshot under ``artifacts``); one tracker pass computed the deadlines."""
    folder = home.parent / f"{home.name}-case"
    shutil.copytree(ROOT / "examples", folder)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KAMENG_HOME", str(home))
        store = Store.open()
        try:
            store.import_case(folder / "case.yaml")
            old = parse_iso("2026-11-02T18:00:00")
            outside = {
                "complaint_no": "3301102026110212345678901",
                "screenshot": str(folder / "evidence" / "chat.png"),
            }
            record_submitted(store, CASE, "12315", outside["complaint_no"], old, receipt=outside)
            recent = parse_iso("2026-11-11T10:00:00")
            shot = home / "artifacts" / CASE / "heimao-complaint-1" / "receipt-17358899.png"
            shot.parent.mkdir(parents=True)
            shutil.copyfile(folder / "evidence" / "order.png", shot)
            inside = {"complaint_no": "17358899", "screenshot": str(shot)}
            record_submitted(store, CASE, "heimao", "17358899", recent, receipt=inside)
            run_pass(store, recent)
        finally:
            store.close()
    return home


@contextmanager
def running() -> Iterator[UiServer]:
    """The workspace (its clock fixed at ``NOW``) on a free 127.0.0.1 port."""
    with UiServer(create_app(now=lambda: NOW)) as server:
        yield server
