"""Reliability: a fault matrix over every twin and every channel kind (browser, HTTP API, e-mail).

Each case turns one fault on, files the example case in-process and checks: the final state, a Chinese
message naming the problem, that retries happened where the fault is retryable (the twin counts the
faults it applied), that the twin holds 0 or exactly 1 complaint (never 2, no orphan upload) and that
the store's filing row agrees. Cases already in ``test_filing_faults.py`` (card_platform@a changed
labels / expired session / lost responses, API 5xx) are not repeated here.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from kameng_filer.config import save_config
from kameng_filer.demo import DemoAnswerer
from kameng_filer.filing.person import NoPerson, ScriptedPerson
from kameng_filer.secrets import env_name
from kameng_filer.store import Store
from tests.filing_support import file_now, twins_running

pytestmark = pytest.mark.browser

CASE_ID = "km-2026-0001"
MAIL_USER, MAIL_PASS = "kameng-mail", "mail-pass"

CHANNELS: dict[str, tuple[str, dict[str, Any]]] = {
    "card_platform@a": ("card_a", {"profile": "card-a-twin", "account": "demo"}),
    "card_platform@api": ("card_a", {"profile": "card-a-twin", "account": "demo", "mode": "http"}),
    "card_platform@b": ("card_b", {"profile": "card-b-twin"}),
    "12315": ("gov12315", {"account": "demo12315"}),
    "heimao": ("heimao", {}),
    "consumer_association": ("association", {}),
    "email": ("email", {"to": "kefu@xingchen-km.example.com", "username": MAIL_USER}),
}
FORM_UPLOADS = {"card_a", "card_b", "association"}
"""Twins whose files arrive with the submit itself (so an unstored submit leaves no file behind)."""


SMS_COOLDOWN_S = 3
"""card_b's SMS resend cooldown in this module (a retry waits it out; 60 s would only make the suite slow)."""


@dataclass
class Fault:
    """One matrix cell: channel × fault switches → expected outcome."""

    channel: str
    faults: dict[str, Any]
    state: str
    words: tuple[str, ...] = ()
    retryable: bool = False
    stored: int | tuple[int, ...] = 0
    """How many complaints the twin holds afterwards (a tuple: any of these)."""
    applied: dict[str, int] = field(default_factory=dict)
    """At least this many times the twin applied each fault (one per attempt: the retries happened)."""
    retries: int = 2
    warm: bool = False
    """Log in first with a dry run (a stored session), then turn the fault on."""
    person: str = "scripted"
    env: dict[str, str] = field(default_factory=dict)
    reconciled: bool = False

    @property
    def id(self) -> str:
        name = "+".join(f"{k}={v}" for k, v in self.faults.items())
        return (
            f"{self.channel}-{name}-{self.person}" if self.person != "scripted" else f"{self.channel}-{name}"
        )


SUBMITTED = "submitted"
FAILED = "failed"
MIDFLOW = ("安全验证",)
CHANGED = ("网页表单已变化",)
LABELS = {"KAMENG_FIELD_TIMEOUT_MS": "1500"}

MATRIX = [
    # ---- 5xx: retried with backoff; a lasting outage ends failed + retryable with nothing stored
    *(
        Fault(ch, {"http_500": 2}, SUBMITTED, stored=1, applied={"http_500": 2}, retries=3)
        for ch in ("card_platform@b", "heimao")
    ),
    *(
        Fault(ch, {"http_500": 99}, FAILED, ("HTTP 500",), True, applied={"http_500": 2}, retries=1)
        for ch in ("card_platform@a", "12315", "consumer_association")
    ),
    Fault("email", {"tempfail": 1}, SUBMITTED, stored=1, applied={"tempfail": 1}),
    Fault("email", {"reject": 1}, "rejected", ("SMTP 554",), applied={"reject": 1}),
    # ---- timeout (no answer at all): retried, then failed + retryable
    Fault("card_platform@a", {"hang": 1}, SUBMITTED, stored=1, applied={"hang": 1}),
    Fault("card_platform@api", {"hang": 1}, SUBMITTED, stored=1, applied={"hang": 1}),
    *(
        Fault(ch, {"hang": 99}, FAILED, ("超时",), True, applied={"hang": 2}, retries=1)
        for ch in ("card_platform@api", "12315", "heimao", "consumer_association")
    ),
    # the mail server answers after the client gave up: it may have the mail, so the person checks
    Fault("email", {"delay": 3}, "needs_person", ("可能已经送达",), stored=(0, 1)),
    # ---- slow but within the timeout: just works
    *(
        Fault(ch, {"delay": 0.3}, SUBMITTED, stored=1)
        for ch in ("card_platform@api", "heimao", "consumer_association")
    ),
    Fault("email", {"delay": 0.5}, SUBMITTED, stored=1),
    # ---- dropped connection before anything was sent: retried
    *(
        Fault(ch, {"drop": 1}, SUBMITTED, stored=1, applied={"drop": 1})
        for ch in ("card_platform@a", "card_platform@b", "consumer_association")
    ),
    Fault("email", {"drop": 1}, SUBMITTED, stored=1, applied={"drop": 1}),
    # ---- the answer to the final click is lost: reconciled from the list, never a blind re-submit
    *(
        Fault(
            ch,
            {"hang_after_submit": 1},
            SUBMITTED,
            stored=1,
            applied={"hang_after_submit": 1},
            reconciled=True,
        )
        for ch in ("card_platform@b", "12315", "heimao")
    ),
    # no list to look it up in: the person is asked to check, nothing is sent twice
    Fault(
        "consumer_association",
        {"hang_after_submit": 1},
        "needs_person",
        ("可能已经送达",),
        stored=1,
        applied={"hang_after_submit": 1},
    ),
    Fault(
        "email",
        {"drop_after_data": 1},
        "needs_person",
        ("可能已经送达",),
        stored=1,
        applied={"drop_after_data": 1},
    ),
    # ---- changed labels / selectors: failed, not retryable, the field named, nothing stored
    *(
        Fault(ch, {"labels": "changed"}, FAILED, CHANGED, env=LABELS)
        for ch in ("card_platform@b", "12315", "heimao", "consumer_association")
    ),
    # ---- expired session: logged in again
    Fault("card_platform@api", {"expire_sessions": True}, SUBMITTED, stored=1, warm=True),
    Fault("heimao", {"expire_sessions": True}, SUBMITTED, stored=1, warm=True),
    Fault("email", {"auth_fail": 9}, "rejected", ("拒绝登录",), applied={"auth_fail": 1}),
    # ---- rate limit: a definite refusal, retried with backoff; a lasting one is failed + retryable
    *(
        Fault(ch, {"rate_limit": 1}, SUBMITTED, stored=1, applied={"rate_limit": 1})
        for ch in ("heimao", "consumer_association")
    ),
    # the retry meets the site's own SMS resend limit ("请 N 秒后再获取"): waited out like a person, then filed
    Fault("card_platform@b", {"rate_limit": 1}, SUBMITTED, stored=1, applied={"rate_limit": 1}, retries=1),
    *(
        Fault(ch, {"rate_limit": 99}, FAILED, ("频繁",), True, applied={"rate_limit": 2}, retries=1)
        for ch in ("card_platform@api", "consumer_association")
    ),
    # ---- a captcha appearing mid-flow: handed to the person, then the same submit goes through
    *(
        Fault(ch, {"captcha_midflow": 1}, SUBMITTED, stored=1, applied={"captcha_midflow": 1})
        for ch in (
            "card_platform@a",
            "card_platform@api",
            "card_platform@b",
            "12315",
            "heimao",
            "consumer_association",
        )
    ),
    # nobody to read it (stdin closed): needs_person, nothing stored, not even a half-held submit
    Fault("consumer_association", {"captcha_midflow": 1}, "needs_person", MIDFLOW, person="nobody"),
    Fault("card_platform@a", {"captcha_midflow": 1}, "needs_person", MIDFLOW, person="nobody", warm=True),
    Fault("card_platform@api", {"captcha_midflow": 1}, "needs_person", MIDFLOW, person="nobody", warm=True),
]


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory):
    names = sorted({twin for twin, _ in CHANNELS.values()})
    options = {
        "email": {"username": MAIL_USER, "password": MAIL_PASS},
        "card_b": {"sms_cooldown": timedelta(seconds=SMS_COOLDOWN_S)},  # 60 s on the real-like default
    }
    with twins_running(tmp_path_factory.mktemp("reliability"), names, options) as ts:
        yield ts


def _configure(twins: Any, channel: str) -> ScriptedPerson:
    twin_name, settings = CHANNELS[channel]
    twin = twins[twin_name]
    settings = {**settings, "timeout": 2}
    if twin_name == "email":
        settings.update(smtp_host=twin.host, smtp_port=twin.port)
        os.environ[env_name(channel, MAIL_USER)] = MAIL_PASS
    else:
        settings["base_url"] = twin.url
    if settings.get("account"):
        os.environ[env_name(channel, settings["account"])] = "demo-pass"
    save_config({"channels": {channel: settings}})
    urls = {channel: twin.url} if twin_name != "email" else {}
    return ScriptedPerson(DemoAnswerer(urls), quiet=True)


def _stored(twin: Any) -> list[dict[str, Any]]:
    return twin.messages() if twin.name == "email" else twin.snapshot()["submissions"]


def _applied(twin: Any) -> dict[str, int]:
    return twin.stats()["applied"] if twin.name == "email" else twin.snapshot()["fault_stats"]["applied"]


@pytest.mark.parametrize("cell", MATRIX, ids=lambda c: c.id)
def test_fault(twins: Any, example_case: Path, cell: Fault, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAMENG_RECEIPT_TIMEOUT_MS", "3000")
    for key, value in cell.env.items():
        monkeypatch.setenv(key, value)
    twin = twins[CHANNELS[cell.channel][0]]
    twin.reset()
    person = _configure(twins, cell.channel)
    if cell.warm:
        assert file_now(example_case, [cell.channel], person, dry_run=True)[0].state == "planned"
    logins_before = len([x for x in twin.snapshot()["logins"] if x["ok"]]) if twin.name != "email" else 0
    twin.set_faults(**cell.faults)

    who = NoPerson() if cell.person == "nobody" else person
    out = file_now(example_case, [cell.channel], who, retries=cell.retries)[0]

    # the final state and a Chinese message that names the problem
    assert out.state == cell.state, out
    if cell.state != SUBMITTED:
        assert out.error and all(w in out.error for w in cell.words), out.error
        assert out.retryable is cell.retryable, out
    # retries happened (the twin applied the fault as often as there were attempts)
    applied = _applied(twin)
    for key, times in cell.applied.items():
        assert applied[key] >= times, (key, applied)
    # no partial submission: 0 or exactly 1 complaint, never 2
    stored = _stored(twin)
    allowed = cell.stored if isinstance(cell.stored, tuple) else (cell.stored,)
    for _ in range(30):  # a server that answers after the client gave up may still be storing
        if len(stored) >= max(allowed):
            break
        time.sleep(0.1)
        stored = _stored(twin)
    assert len(stored) in allowed and len(stored) <= 1, stored
    if twin.name != "email":
        assert twin.snapshot()["fault_stats"]["held_submits"] == 0 or cell.person == "nobody"
        if twin.name in FORM_UPLOADS:
            kept = {p.name for p in twin.uploads_dir.glob("*")} if twin.uploads_dir.exists() else set()
            assert kept == {Path(f["stored_as"]).name for s in stored for f in s["files"]}, (
                "no half-stored files"
            )
    # the store's filing row agrees with the outcome
    rec = Store.open().get_filing(CASE_ID, cell.channel)
    assert rec is not None
    if cell.state == SUBMITTED:
        assert len(stored) == 1
        assert rec.state == SUBMITTED and rec.complaint_no == out.receipt["complaint_no"]
        number = stored[0]["message_id"] if twin.name == "email" else stored[0]["number"]
        assert rec.complaint_no == number
        assert bool(out.receipt.get("reconciled")) is cell.reconciled
    else:
        assert rec.state == cell.state and rec.error and cell.words[0] in rec.error
        assert rec.complaint_no is None
    if cell.person == "nobody":
        # the site answered "not until the captcha is solved": nothing to reconcile on the next run
        assert rec.submitting_at is None
    if "captcha_midflow" in cell.faults and cell.person == "scripted":
        assert any("安全验证" in prompt for _, kind, prompt in person.log if kind == "code")
    if "expire_sessions" in cell.faults:
        assert len([x for x in twin.snapshot()["logins"] if x["ok"]]) == logins_before + 1


def test_midflow_captcha_is_answered_by_the_person_not_by_machine(
    twins: Any, example_case: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrong answer gets a new image and the person is asked again; the submit goes through once."""
    monkeypatch.setenv("KAMENG_RECEIPT_TIMEOUT_MS", "4000")
    twin = twins["association"]
    twin.reset()
    _configure(twins, "consumer_association")
    demo = DemoAnswerer({"consumer_association": twin.url})
    answers = iter(["WRONG"])
    seen: list[Path | None] = []

    async def answer(channel: str, prompt: str, image: Path | None) -> str:
        seen.append(image)
        wrong = next(answers, None)
        return wrong if wrong is not None else await demo(channel, prompt, image)

    twin.set_faults(captcha_midflow=1)
    out = file_now(example_case, ["consumer_association"], ScriptedPerson(answer, quiet=True))[0]
    assert out.state == SUBMITTED, out
    assert len(seen) == 2 and all(p is not None and p.exists() and p.stat().st_size > 0 for p in seen)
    assert len(_stored(twin)) == 1
    assert twin.snapshot()["fault_stats"]["held_submits"] == 0


def test_fault_switches_are_listed_for_the_operator(twins: Any) -> None:
    """Every switch is documented in the help the operator API shows, and unknown ones are refused."""
    import httpx

    from kameng_filer.twins.faults import FAULT_HELP

    for name in ("hang", "delay", "captcha_midflow", "rate_limit", "http_500", "drop", "labels"):
        assert name in FAULT_HELP
    body = httpx.get(f"{twins['card_b'].url}/_twin/faults").json()
    assert set(FAULT_HELP) <= set(body["help"]) and "stats" in body
    bad = httpx.post(f"{twins['card_b'].url}/_twin/faults", json={"captcha_midflow": -1})
    assert bad.status_code == 400 and "非负整数" in bad.json()["error"]
    with pytest.raises(ValueError, match="未知的故障开关"):
        twins["email"].set_faults(nonsense=1)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_slow_and_failing_site_with_three_overlapping_runs_files_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Faults and overlap together: every request slowed, the first answered 500 (retried) — three
    ``kameng file`` processes at once still leave exactly one complaint and one receipt."""
    from tests.test_reliability_crash import KINDS, lab_for, store_matches

    kind = next(k for k in KINDS if k.id == "card_a-http")
    with lab_for(kind, tmp_path, monkeypatch) as lab:
        lab.twin.set_faults(delay=0.3, http_500=1)
        try:
            results = lab.file_together(3)
        finally:
            lab.twin.set_faults(delay=0, http_500=0)
        states = sorted(o["state"] for _, o in results)
        assert states.count("submitted") == 1 and set(states) <= {"submitted", "in_progress", "already_filed"}
        [number] = lab.numbers()
        store_matches(lab, [number])
