"""Filing on the 卡盟 twins (family A and B in real Chromium, family A over HTTP) and by e-mail."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from kameng_filer.filing.person import NoPerson
from kameng_filer.store import Store
from tests.filing_support import by_channel, configure, file_now, scripted, twins_running

pytestmark = pytest.mark.browser


@pytest.fixture
def twins(tmp_path: Path):
    with twins_running(tmp_path, ["card_a", "card_b", "email"]) as ts:
        yield ts


ALL = ["card_platform@a", "card_platform@b", "email"]


def _tickets(twin) -> list[dict]:
    """What the twin stored: one submission record per ticket/complaint (number, fields, files, via)."""
    return twin.snapshot()["submissions"]


def test_files_on_both_families_and_email_concurrently(twins, example_case: Path) -> None:
    configure(twins, ALL)
    outcomes = by_channel(file_now(example_case, ALL, scripted(twins, ALL)))
    assert {c: o.state for c, o in outcomes.items()} == dict.fromkeys(ALL, "submitted"), outcomes

    # family A: the ticket arrived with the planned values and the proof images byte-identical
    a = outcomes["card_platform@a"]
    ticket = _tickets(twins["card_a"])[0]
    assert ticket["number"] == a.receipt["complaint_no"]
    assert ticket["fields"]["order_no"] == "KM20261102150012"
    assert ticket["fields"]["title"].startswith("订单KM20261102150012")
    assert "全额退款100.00元" in ticket["fields"]["content"]
    store = Store.open()
    rec = store.get_filing("km-2026-0001", "card_platform@a")
    assert rec.state == "submitted" and rec.complaint_no == ticket["number"]
    hashes = json.loads(rec.evidence_hashes_json)
    assert sorted(f["sha256"] for f in ticket["files"]) == sorted(hashes.values())
    assert Path(a.receipt["screenshot"]).stat().st_size > 10_000
    assert ticket["number"] in Path(a.receipt["html"]).read_text(encoding="utf-8")
    values = json.loads(rec.submitted_values_json)
    assert values["title"] == ticket["fields"]["title"] and "password" not in values

    # family B: guest complaint through the SMS step
    b = outcomes["card_platform@b"]
    complaint = _tickets(twins["card_b"])[0]
    assert complaint["number"] == b.receipt["complaint_no"]
    assert "未收到货" in json.dumps(complaint["fields"], ensure_ascii=False)

    # e-mail: one message with the evidence attached, Message-ID as the receipt
    mails = twins["email"].messages()
    assert len(mails) == 1
    mail = mails[0]
    assert mail["message_id"] == outcomes["email"].receipt["complaint_no"]
    assert "KM20261102150012" in mail["subject"]
    assert len(mail["attachments"]) == 4


def test_same_case_is_not_filed_twice_unless_again(twins, example_case: Path) -> None:
    configure(twins, ["card_platform@a"])
    person = scripted(twins, ["card_platform@a"])
    first = file_now(example_case, ["card_platform@a"], person)[0]
    assert first.state == "submitted"
    second = file_now(example_case, ["card_platform@a"], person)[0]
    assert second.state == "already_filed"
    assert first.receipt["complaint_no"] in second.error
    assert len(_tickets(twins["card_a"])) == 1
    third = file_now(example_case, ["card_platform@a"], person, again=True)[0]
    assert third.state == "submitted"
    assert third.receipt["complaint_no"] != first.receipt["complaint_no"]
    assert len(_tickets(twins["card_a"])) == 2
    assert Store.open().get_filing("km-2026-0001", "card_platform@a").generation == 2


def test_family_a_over_http_without_browser(twins, example_case: Path) -> None:
    configure(twins, ["card_platform@api"])
    out = file_now(example_case, ["card_platform@api"], scripted(twins, ["card_platform@api"]))[0]
    assert out.state == "submitted", out
    tickets = _tickets(twins["card_a"])
    assert len(tickets) == 1 and tickets[0]["number"] == out.receipt["complaint_no"]
    assert tickets[0]["via"] == "api"
    assert len(tickets[0]["files"]) == 4


def test_without_a_person_human_steps_end_needs_person_and_others_continue(twins, example_case: Path) -> None:
    configure(twins, ALL)
    outcomes = by_channel(file_now(example_case, ALL, NoPerson()))
    assert outcomes["card_platform@a"].state == "needs_person"
    assert "验证码" in outcomes["card_platform@a"].error
    assert outcomes["card_platform@b"].state == "needs_person"
    assert twins["card_b"].outbox.messages() == [], "no SMS code is sent when nobody can read it"
    assert outcomes["email"].state == "submitted"
    assert _tickets(twins["card_a"]) == [] and _tickets(twins["card_b"]) == []
    # the person comes back: the same command now files the waiting channels, and e-mail is not repeated
    again = by_channel(file_now(example_case, ALL, scripted(twins, ALL)))
    assert again["card_platform@a"].state == "submitted"
    assert again["card_platform@b"].state == "submitted"
    assert again["email"].state == "already_filed"
    assert len(twins["email"].messages()) == 1


def test_dry_run_fills_everything_but_submits_nothing(twins, example_case: Path) -> None:
    configure(twins, ALL)
    outcomes = by_channel(file_now(example_case, ALL, scripted(twins, ALL), dry_run=True))
    assert {o.state for o in outcomes.values()} == {"planned"}
    shot = Path(outcomes["card_platform@a"].artifacts[0])
    assert shot.exists() and shot.stat().st_size > 10_000
    assert _tickets(twins["card_a"]) == [] and _tickets(twins["card_b"]) == []
    assert twins["email"].messages() == []
    assert Store.open().filings(case_id="km-2026-0001") == []
    # the login is kept for next time, readable by the owner only, and holds no password
    from kameng_filer import paths

    session = paths.sessions_dir() / "card_platform_a--demo.json"
    assert session.exists() and (session.stat().st_mode & 0o777) == 0o600
    assert (paths.sessions_dir().stat().st_mode & 0o777) == 0o700
    assert "demo-pass" not in session.read_text(encoding="utf-8")


def test_evidence_hashes_match_what_the_twin_stored(twins, example_case: Path) -> None:
    configure(twins, ["card_platform@b"])
    out = file_now(example_case, ["card_platform@b"], scripted(twins, ["card_platform@b"]))[0]
    assert out.state == "submitted"
    stored = _tickets(twins["card_b"])[0]["files"]
    rec = Store.open().get_filing("km-2026-0001", "card_platform@b")
    plan = json.loads(rec.plan_json)
    for planned in plan["files"]:
        data = Path(planned["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() in {f["sha256"] for f in stored}
