"""Faults while filing: unreachable, 5xx, changed form, validation/rate limit, expired session, lost response."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from kameng_filer.config import load_config, save_config
from kameng_filer.store import Store
from tests.filing_support import configure, file_now, scripted, twins_running

pytestmark = pytest.mark.browser


@pytest.fixture
def twins(tmp_path: Path):
    with twins_running(tmp_path, ["card_a", "email"]) as ts:
        yield ts


def _submissions(twin) -> list[dict]:
    return twin.snapshot()["submissions"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("channel", ["card_platform@a", "card_platform@api", "email"])
def test_unreachable_channel_fails_retryable_after_retries(twins, example_case: Path, channel: str) -> None:
    configure(twins, [channel])
    cfg = load_config()
    dead = _free_port()
    if channel == "email":
        cfg["channels"][channel]["smtp_port"] = dead
    else:
        cfg["channels"][channel]["base_url"] = f"http://127.0.0.1:{dead}/"
    save_config(cfg)
    out = file_now(example_case, [channel], scripted(twins, [channel]), retries=2)[0]
    assert out.state == "failed" and out.retryable
    assert "连接" in out.error
    rec = Store.open().get_filing("km-2026-0001", channel)
    assert rec.state == "failed" and rec.retryable
    filing_events = [e for e in Store.open().events("km-2026-0001") if e.kind == "filing_state"]
    assert filing_events, "state changes are recorded in the timeline"


def test_server_errors_are_retried_then_succeed(twins, example_case: Path) -> None:
    configure(twins, ["card_platform@api"])
    twins["card_a"].set_faults(http_500=2)
    out = file_now(example_case, ["card_platform@api"], scripted(twins, ["card_platform@api"]), retries=3)[0]
    assert out.state == "submitted", out
    assert len(_submissions(twins["card_a"])) == 1


def test_server_errors_exhaust_retries(twins, example_case: Path) -> None:
    configure(twins, ["card_platform@api"])
    twins["card_a"].set_faults(http_500=50)
    out = file_now(example_case, ["card_platform@api"], scripted(twins, ["card_platform@api"]), retries=1)[0]
    assert out.state == "failed" and out.retryable
    assert "HTTP 500" in out.error
    assert _submissions(twins["card_a"]) == []


def test_changed_form_names_field_and_selector_and_submits_nothing(
    twins, example_case: Path, monkeypatch
) -> None:
    monkeypatch.setenv("KAMENG_FIELD_TIMEOUT_MS", "1500")
    configure(twins, ["card_platform@a"])
    twins["card_a"].set_faults(labels="changed")
    out = file_now(example_case, ["card_platform@a"], scripted(twins, ["card_platform@a"]))[0]
    assert out.state == "failed" and not out.retryable
    assert "网页表单已变化" in out.error
    assert "label=用户名" in out.error  # the login form is the first thing that changed
    assert out.artifacts and Path(out.artifacts[0]).exists()
    assert _submissions(twins["card_a"]) == []


def test_changed_ticket_form_after_login(twins, example_case: Path, monkeypatch) -> None:
    monkeypatch.setenv("KAMENG_FIELD_TIMEOUT_MS", "1500")
    configure(twins, ["card_platform@a"])
    person = scripted(twins, ["card_platform@a"])
    # log in once (dry run keeps the session), then the site is redesigned
    assert file_now(example_case, ["card_platform@a"], person, dry_run=True)[0].state == "planned"
    twins["card_a"].set_faults(labels="changed")
    out = file_now(example_case, ["card_platform@a"], person)[0]
    assert out.state == "failed"
    assert "工单类型" in out.error and "label=" in out.error
    assert _submissions(twins["card_a"]) == []


def test_rate_limited_submit_is_retried_not_rejected(twins, example_case: Path) -> None:
    configure(twins, ["card_platform@a"])
    person = scripted(twins, ["card_platform@a"])
    assert file_now(example_case, ["card_platform@a"], person, dry_run=True)[0].state == "planned"
    twins["card_a"].set_faults(rate_limit=1)
    out = file_now(example_case, ["card_platform@a"], person)[0]
    assert out.state == "submitted", out  # 429 "操作过于频繁" is temporary: retried with backoff
    assert twins["card_a"].snapshot()["fault_stats"]["applied"]["rate_limit"] == 1
    assert len(_submissions(twins["card_a"])) == 1
    rec = Store.open().get_filing("km-2026-0001", "card_platform@a")
    assert rec.state == "submitted" and json.loads(rec.receipt_json).get("reconciled") is not True


def test_api_rate_limit_code_in_http_200_fails_retryable(twins, example_case: Path) -> None:
    configure(twins, ["card_platform@api"])
    twins["card_a"].set_faults(rate_limit=5)
    out = file_now(example_case, ["card_platform@api"], scripted(twins, ["card_platform@api"]))[0]
    assert out.state == "failed" and out.retryable, out
    assert "频繁" in (out.error or "")
    assert twins["card_a"].snapshot()["fault_stats"]["applied"]["rate_limit"] == 3  # 1 + 2 retries
    assert _submissions(twins["card_a"]) == []
    rec = Store.open().get_filing("km-2026-0001", "card_platform@api")
    assert rec.state == "failed" and rec.submitting_at is None  # a definite refusal: nothing to reconcile


def test_expired_session_logs_in_again(twins, example_case: Path) -> None:
    configure(twins, ["card_platform@a"])
    person = scripted(twins, ["card_platform@a"])
    assert file_now(example_case, ["card_platform@a"], person, dry_run=True)[0].state == "planned"
    logins_before = len([x for x in twins["card_a"].snapshot()["logins"] if x.get("ok")])
    twins["card_a"].set_faults(expire_sessions=True)
    out = file_now(example_case, ["card_platform@a"], person)[0]
    assert out.state == "submitted", out
    logins_after = len([x for x in twins["card_a"].snapshot()["logins"] if x.get("ok")])
    assert logins_after == logins_before + 1


@pytest.mark.parametrize(
    ("channel", "fault"),
    [
        ("card_platform@a", "hang_after_submit"),
        ("card_platform@api", "hang_after_submit"),
        ("card_platform@api", "drop_after_submit"),
    ],
)
def test_lost_response_is_reconciled_not_resubmitted(
    twins, example_case: Path, channel: str, fault: str, monkeypatch
) -> None:
    monkeypatch.setenv("KAMENG_RECEIPT_TIMEOUT_MS", "4000")
    configure(twins, [channel], **{channel: {"timeout": 3}})
    twins["card_a"].set_faults(**{fault: 1})
    out = file_now(example_case, [channel], scripted(twins, [channel]), retries=2)[0]
    assert out.state == "submitted", out
    subs = _submissions(twins["card_a"])
    assert out.receipt["reconciled"] is True
    assert len(subs) == 1, "the complaint must not be filed twice"
    assert out.receipt["complaint_no"] == subs[0]["number"]
    rec = Store.open().get_filing("km-2026-0001", channel)
    assert json.loads(rec.receipt_json)["reconciled"] is True
