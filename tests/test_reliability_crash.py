"""Crash safety: SIGKILL the filing / tracking process at every step, rerun — exactly one complaint, one receipt.

Every channel kind (browser, HTTP API, e-mail, assisted app) is filed by a real ``kameng file``
process that dies by SIGKILL at a crash point (``KAMENG_CRASH_AT``; for browser adapters
``after_click`` is the twin's ``hang_after_submit`` plus an external SIGKILL once the twin stored the
complaint). After each kill the SQLite file passes ``integrity_check`` and ``foreign_key_check`` and
the filing is still ``submitting``; a rerun ends with exactly one complaint on the twin and one
``submitted`` filing whose receipt carries the twin's number; a third run answers ``already_filed``.
On every channel that reconciles (but card B's SMS-cooldown kind), the person filed a complaint on the
same order through the site's own form ten minutes before the first run (issue 12 §1): it is never
adopted or recorded as ours.
Channels that cannot look a complaint up (e-mail, the association's web form) stop at
``needs_person`` after an unclear crash and send nothing; the test then does what the person is told
(``kameng report --number`` when it arrived, ``kameng file --again`` when it did not).

Rounds chain on one data folder (round n files generation n with ``--again``). Normal mode: each
kind's listed points once (≈3–4 minutes on 2 cores). ``pytest --long``: 50 rounds per channel at
random points (``KAMENG_CRASH_SEED`` replays a run; the seed is in every failure message).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from kameng_filer import paths
from kameng_filer.config import save_config
from kameng_filer.crashpoints import ENV as CRASH_ENV
from kameng_filer.demo import DemoAnswerer
from kameng_filer.filing.person import NoPerson, ScriptedPerson
from kameng_filer.secrets import env_name
from kameng_filer.store import Store
from kameng_filer.timeutil import parse_iso
from kameng_filer.tracker import actions as act
from kameng_filer.tracker.tick import run_pass
from tests.crash_child import ENV as PERSON_ENV
from tests.crash_child import FakeApp
from tests.filing_support import file_now, twins_running
from tests.modes import LONG, runs

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
KAMENG = str(Path(sys.executable).parent / "kameng")
FILING_POINTS = ("before_submit", "after_click", "after_receipt", "db_write")
LONG_ROUNDS = 50
SECOND = "second"
SMS_COOLDOWN_S = 200
"""card_b's resend cooldown here: longer than the filer waits out by itself (``SMS_MAX_WAIT_S``)."""


@dataclass(frozen=True)
class Kind:
    """One channel kind under test and how it is driven."""

    id: str
    channel: str
    twin: str | None
    settings: dict[str, Any]
    points: tuple[str, ...]
    case: str = ""  # "" the canonical example, "second" the WeChat Pay dispute
    account: str | None = None
    person: bool = False  # a (scripted) person answers in every run → ``python -m tests.crash_child``
    login: bool = False  # log in once (scripted person, dry run) so the runs need nobody
    hang: bool = False  # after_click = twin's hang_after_submit + external SIGKILL
    reconcile: bool = True  # the engine finds the complaint on the channel after a crash
    cooldown: bool = False  # every visit needs a new SMS code (SMS_COOLDOWN_S apart): the lookup waits for it
    long_points: tuple[str, ...] = FILING_POINTS
    settle: str | None = None  # operator action that ends the previous complaint before ``--again``
    twin_options: dict[str, Any] = field(default_factory=dict)

    @property
    def case_id(self) -> str:
        return "km-2026-0002" if self.case == SECOND else "km-2026-0001"


KINDS = (
    Kind(
        "card_a-web",
        "card_platform@a",
        "card_a",
        {"profile": "card-a-twin", "account": "demo"},
        FILING_POINTS,
        account="demo",
        login=True,
        hang=True,
        twin_options={"rate_limit": 1000},  # long mode files 50 tickets on one order in minutes
    ),
    Kind(
        "card_a-http",
        "card_platform@a",
        "card_a",
        {"profile": "card-a-twin", "account": "demo", "mode": "http", "timeout": 5},
        FILING_POINTS,
        account="demo",
        login=True,
        twin_options={"rate_limit": 1000},
    ),
    Kind(
        "card_b-sms",
        "card_platform@b",
        "card_b",
        {"profile": "card-b-twin"},
        ("after_click",),
        person=True,
        hang=True,
        cooldown=True,
        settle="resolve",  # one open complaint per order: the platform resolves it before a new one
        # a resend cooldown longer than the filer waits out by itself (formfill.SMS_MAX_WAIT_S): the
        # rerun's lookup cannot get a code, so nothing may be sent blind; shorter cooldowns are waited
        # out (tests/test_filing_person.py), which would only make this loop slow
        twin_options={"sms_cooldown": timedelta(seconds=SMS_COOLDOWN_S)},
        long_points=("after_click", "after_receipt", "db_write"),
    ),
    Kind(
        "12315",
        "12315",
        "gov12315",
        {"account": "demo12315"},
        ("after_click",),
        account="demo12315",
        login=True,
        hang=True,
    ),
    Kind("heimao", "heimao", "heimao", {}, ("after_receipt",), login=True, hang=True),
    Kind(
        "association",
        "consumer_association",
        "association",
        {},
        ("after_click",),  # before_submit → --again: the same path as e-mail's
        case=SECOND,
        hang=True,
        reconcile=False,
    ),
    Kind(
        "email",
        "email",
        "email",
        {"to": "kefu@xingchen-km.example.com", "timeout": 5},
        FILING_POINTS,
        reconcile=False,
    ),
    Kind("alipay", "alipay", None, {}, FILING_POINTS, person=True),
)


# ---------------------------------------------------------------------------------------- processes


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        args,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL what is left of a process group we started (Playwright's driver, Chromium)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _finish(proc: subprocess.Popen[bytes], timeout: float = 180) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, err = proc.communicate()
        raise AssertionError(f"process timed out: {err.decode(errors='replace')[-2000:]}") from None
    if proc.returncode < 0:  # died by a signal: its children may still be shutting down
        _kill_group(proc)
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def db_consistent() -> None:
    """``PRAGMA integrity_check`` is ok and ``foreign_key_check`` empty (opening replays the WAL)."""
    con = sqlite3.connect(paths.db_path())
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        con.close()


def one_outcome(code: int, out: str, err: str) -> dict[str, Any]:
    """The one channel outcome of a ``kameng file --json`` run."""
    try:
        [outcome] = json.loads(out)["filings"]
    except (ValueError, KeyError) as exc:
        raise AssertionError(f"no JSON from kameng file (exit {code}): {out[-500:]} {err[-2000:]}") from exc
    return outcome


# ---------------------------------------------------------------------------------------- the lab


@dataclass
class Lab:
    """One kind's twin, data folder, case and commands."""

    kind: Kind
    case: Path
    twin: Any
    app: FakeApp | None
    env: dict[str, str]
    log: list[str] = field(default_factory=list)

    # -- what the channel has
    def numbers(self) -> list[str]:
        """Complaint numbers the channel holds, oldest first (Message-IDs for e-mail)."""
        if self.app is not None:
            return self.app.numbers()
        if self.kind.twin == "email":
            return [m["message_id"] for m in self.twin.messages()]
        subs = self.twin.snapshot()["submissions"]
        return [s["number"] for s in subs if s["kind"] in ("ticket", "complaint")]

    # -- commands
    def file_cmd(self, *extra: str) -> list[str]:
        base = [sys.executable, "-m", "tests.crash_child"] if self.kind.person else [KAMENG]
        return [*base, "file", str(self.case), "--channels", self.kind.channel, "--yes", "--json", *extra]

    def file(self, *extra: str) -> dict[str, Any]:
        """Run ``kameng file`` to the end; its one outcome."""
        code, out, err = _finish(_spawn(self.file_cmd(*extra), self.env))
        self.log.append(f"file {' '.join(extra)} → {code}")
        return one_outcome(code, out, err)

    def file_together(self, n: int, *extra: str) -> list[tuple[int, dict[str, Any]]]:
        """Start ``n`` ``kameng file`` processes at once; (exit code, outcome) of each."""
        procs = [_spawn(self.file_cmd(*extra), self.env) for _ in range(n)]
        results = []
        for proc in procs:
            code, out, err = _finish(proc)
            self.log.append(f"file {' '.join(extra)} (×{n}) → {code}")
            results.append((code, one_outcome(code, out, err)))
        return results

    def report(self, number: str, env: dict[str, str] | None = None) -> tuple[int, str]:
        """``kameng report CASE --channel … --number N`` (what the person runs after checking)."""
        args = [KAMENG, "report", self.kind.case_id, "--channel", self.kind.channel, "--number", number]
        code, out, err = _finish(_spawn(args, env or self.env), timeout=60)
        return code, out + err

    def wait_sms_cooldown(self) -> None:
        """The person waits out the resend cooldown before the next SMS code (the twin's clock moves)."""
        if self.kind.cooldown:
            self.twin.clock.advance(SMS_COOLDOWN_S + 1)

    def crash(self, point: str, *extra: str) -> None:
        """Run ``kameng file`` and SIGKILL it at ``point``."""
        self.wait_sms_cooldown()
        before = len(self.numbers())
        if point == "after_click" and self.kind.hang:
            self.twin.set_faults(hang_after_submit=1)
            proc = _spawn(self.file_cmd(*extra), self.env)
            deadline = time.monotonic() + 120
            try:
                while len(self.numbers()) == before:
                    if proc.poll() is not None:
                        _, err = proc.communicate()
                        raise AssertionError(f"ended before submitting: {err.decode()[-2000:]}")
                    assert time.monotonic() < deadline, "the submit never reached the twin"
                    time.sleep(0.05)
            finally:
                _kill_group(proc)
                self.twin.set_faults(hang_after_submit=0)
            code, _, err = _finish(proc)
        else:
            code, out, err = _finish(_spawn(self.file_cmd(*extra), {**self.env, CRASH_ENV: point}))
            err = out[-1500:] + err
        self.log.append(f"crash at {point} → {code}")
        assert code == -signal.SIGKILL, f"expected death by SIGKILL at {point}, got {code}: {err[-3000:]}"


@contextlib.contextmanager
def lab_for(kind: Kind, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lab]:
    """Twin running, config written, case copied, logged in once when the channel keeps a session."""
    src = ROOT / "examples"
    shutil.copytree(
        src / kind.case if kind.case else src, tmp / "case", ignore=shutil.ignore_patterns(SECOND)
    )
    case = tmp / "case" / "case.yaml"
    if kind.account:
        monkeypatch.setenv(env_name(kind.channel, kind.account), "demo-pass")
    schedules = paths.user_schedules_dir()
    (schedules / "_common.yaml").write_text(yaml.safe_dump({"polling": {"min_gap_seconds": 0}}), "utf-8")
    options = {kind.twin: kind.twin_options} if kind.twin and kind.twin_options else {}
    with twins_running(tmp, [kind.twin] if kind.twin else [], options) as ts:
        twin = ts[kind.twin] if kind.twin else None
        settings = dict(kind.settings)
        urls: dict[str, str] = {}
        if kind.twin == "email":
            settings.update(smtp_host=twin.host, smtp_port=twin.port)
        elif twin is not None:
            settings["base_url"] = urls[kind.channel] = twin.url
        save_config({"channels": {kind.channel: settings}})
        app = FakeApp(tmp / "app.json") if kind.twin is None else None
        spec = {"urls": urls, "app": str(app.path) if app else None}
        env = {**os.environ, PERSON_ENV: json.dumps(spec)}
        env.pop(CRASH_ENV, None)
        if kind.login:
            person = ScriptedPerson(DemoAnswerer(urls), quiet=True)
            [dry] = file_now(case, [kind.channel], person, dry_run=True)
            assert dry.state == "planned", dry
        yield Lab(kind, case, twin, app, env)


def person_files_first(lab: Lab, tmp: Path, *, minutes_ago: float) -> str:
    """The person's own complaint on the same order, through the site's form, from their own data
    folder (the tool's store never hears of it); returns its number."""
    src = yaml.safe_load(lab.case.read_text(encoding="utf-8"))
    src["id"] = "km-2026-0099"
    src["problem"]["type"] = "delayed_delivery" if src["problem"]["type"] != "delayed_delivery" else "other"
    src["problem"]["summary"] = "我自己先在网站上提交的投诉:订单一直没有处理,请尽快回复"
    folder = tmp / "person-case"
    shutil.copytree(lab.case.parent, folder)
    (folder / "case.yaml").write_text(yaml.safe_dump(src, allow_unicode=True), encoding="utf-8")
    old_home = os.environ["KAMENG_HOME"]
    os.environ["KAMENG_HOME"] = str(tmp / "person-home")
    before = lab.numbers()
    if minutes_ago:
        lab.twin.clock.advance(-60 * minutes_ago)
    try:
        settings = dict(lab.kind.settings)
        settings["base_url"] = lab.twin.url
        save_config({"channels": {lab.kind.channel: settings}})
        person = ScriptedPerson(DemoAnswerer({lab.kind.channel: lab.twin.url}), quiet=True)
        [out] = file_now(folder / "case.yaml", [lab.kind.channel], person)
    finally:
        if minutes_ago:
            lab.twin.clock.advance(60 * minutes_ago)
        os.environ["KAMENG_HOME"] = old_home
    assert out.state == "submitted", out
    [number] = [x for x in lab.numbers() if x not in before]
    if lab.kind.settle:  # one open complaint per order: the platform closes the person's first
        lab.twin.operator(number, lab.kind.settle, "已处理完毕")
    return number


def recorded_numbers(lab: Lab) -> list[str | None]:
    """Every complaint number the tool's store holds for this channel."""
    with Store.open() as store:
        return [f.complaint_no for f in store.filings(lab.kind.case_id, channel=lab.kind.channel)]


def store_matches(lab: Lab, numbers: list[str]) -> None:
    """Every filing of the channel is ``submitted``, one per complaint, each with its own receipt."""
    with Store.open() as store:
        filings = store.filings(lab.kind.case_id, channel=lab.kind.channel)
    states = [(f.generation, f.state) for f in filings]
    assert all(state == "submitted" for _, state in states), states
    assert sorted(f.complaint_no for f in filings) == sorted(numbers), "one filing per complaint"
    assert [f.generation for f in filings] == list(range(1, len(numbers) + 1))
    for f in filings:
        assert f.receipt is not None and f.receipt["complaint_no"] == f.complaint_no
        assert f.submitted_at is not None


def one_round(lab: Lab, n: int, point: str, theirs: str | None = None) -> None:
    """Round ``n`` (0-based): crash at ``point``, rerun, resolve like the person, third run; the
    person's own earlier complaint ``theirs`` is never adopted."""
    kind = lab.kind
    before = lab.numbers()
    ours = [x for x in before if x != theirs]
    if n and kind.settle:
        lab.twin.operator(before[-1], kind.settle, "已处理完毕")
    lab.crash(point, *(["--again"] if n else []))
    db_consistent()
    sent = [x for x in lab.numbers() if x not in before]
    assert len(sent) == (0 if point == "before_submit" else 1), f"the kill left {sent} on the channel"
    with Store.open() as store:
        latest = store.get_filing(kind.case_id, kind.channel)
    assert latest is not None and latest.generation == n + 1
    assert latest.state == "submitting" and latest.complaint_no is None, "kill must leave it submitting"

    out = lab.file()
    if kind.cooldown and (out["state"] != "submitted" or (n == 0 and point == "after_click")):
        # at once, without a verified session (none is kept before a first success): the lookup
        # cannot get a new SMS code yet — unknown, so nothing is sent blind; a minute later it is found
        assert out["state"] == "failed" and out["retryable"], out
        assert "无法在渠道上核对" in out["error"], out
        assert [x for x in lab.numbers() if x not in before] == sent, "nothing sent while unverified"
        with Store.open() as store:
            assert store.get_filing(kind.case_id, kind.channel).state == "submitting"
        lab.wait_sms_cooldown()
        out = lab.file()
    if kind.reconcile:
        assert out["state"] == "submitted", out
        fresh = [x for x in lab.numbers() if x not in before]
        assert len(fresh) == 1, f"exactly one complaint, got {fresh}"
        assert out["receipt"]["complaint_no"] == fresh[0]
        assert bool(out["receipt"].get("reconciled")) is bool(sent), "found on the channel, not sent again"
    else:
        assert out["state"] == "needs_person", out
        assert "kameng report" in (out["hint"] or "") and "--again" in (out["hint"] or "")
        assert [x for x in lab.numbers() if x not in before] == sent, "an unclear crash sends nothing"
        if sent:  # the person finds it (the mail in the sent folder, the SMS receipt) and records it
            code, text = lab.report(sent[0])
            assert code == 0, text
        else:  # the person checked: it never arrived — send it now, on the same record
            again = lab.file("--again")
            assert again["state"] == "submitted", again
        fresh = [x for x in lab.numbers() if x not in before]
        assert len(fresh) == 1, f"exactly one complaint, got {fresh}"
    assert theirs is None or (fresh[0] != theirs and theirs not in recorded_numbers(lab))
    store_matches(lab, ours + fresh)
    db_consistent()

    third = lab.file()
    assert third["state"] == "already_filed", third
    assert third["receipt"]["complaint_no"] == fresh[0]
    assert lab.numbers() == before + fresh, "the third run sent nothing"


def schedule(kind: Kind, seed: int) -> list[str]:
    """Normal mode: the kind's listed points in order; long mode: 50 random ones (seeded)."""
    if not LONG:
        return list(kind.points)
    rng = random.Random(f"{seed}:{kind.id}")
    return [rng.choice(kind.long_points) for _ in range(LONG_ROUNDS)]


SEED = int(os.environ.get("KAMENG_CRASH_SEED") or random.SystemRandom().randrange(1, 2**31))


@pytest.mark.timeout(runs(300, 3 * 3600))
@pytest.mark.parametrize("kind", KINDS, ids=[k.id for k in KINDS])
def test_sigkill_at_each_step_then_rerun_files_exactly_once(
    kind: Kind, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = schedule(kind, SEED)
    with lab_for(kind, tmp_path, monkeypatch) as lab:
        # card B's cooldown kind is left out: its SMS cooldown alone decides its rounds (the person's
        # earlier complaint on card B: tests/test_reconcile_proof.py)
        planted = kind.reconcile and kind.twin and not kind.cooldown
        theirs = person_files_first(lab, tmp_path, minutes_ago=10) if planted else None
        for n, point in enumerate(plan):
            try:
                one_round(lab, n, point, theirs)
            except AssertionError as exc:
                raise AssertionError(
                    f"[{kind.id} round {n + 1}/{len(plan)} at {point}; KAMENG_CRASH_SEED={SEED}; "
                    f"points {plan[: n + 1]}; runs {lab.log[-6:]}] {exc}"
                ) from exc


@pytest.mark.timeout(300)
@pytest.mark.parametrize("point", ["before_submit", "after_click"])
def test_sigkill_then_three_reruns_at_once_file_exactly_once(
    point: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Overlapping reruns after a crash: one claims the filing (reconciles or files), the others stand
    aside (``in_progress``, exit 4) or find it filed — one complaint, one receipt, never moved back."""
    kind = next(k for k in KINDS if k.id == "card_a-http")
    with lab_for(kind, tmp_path, monkeypatch) as lab:
        lab.crash(point)
        sent = lab.numbers()
        results = lab.file_together(3)
        states = sorted(o["state"] for _, o in results)
        assert states.count("submitted") == 1, results
        assert set(states) <= {"submitted", "in_progress", "already_filed"}, results
        assert all(code == (4 if o["state"] == "in_progress" else 0) for code, o in results), results
        [number] = lab.numbers()
        [winner] = [o for _, o in results if o["state"] == "submitted"]
        assert winner["receipt"]["complaint_no"] == number
        assert bool(winner["receipt"].get("reconciled")) is bool(sent)
        store_matches(lab, [number])
        db_consistent()


def test_sigkill_while_recording_a_reported_number(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Assisted channel without a person: the guide, then ``kameng report --number`` killed mid-commit."""
    kind = next(k for k in KINDS if k.id == "alipay")
    with lab_for(kind, tmp_path, monkeypatch) as lab:
        args = [KAMENG, "file", str(lab.case), "--channels", "alipay", "--yes", "--json"]
        code, out, err = _finish(_spawn(args, lab.env))
        assert code == 3 and json.loads(out)["filings"][0]["state"] == "needs_person", err
        number = "2026112200012345678"
        code, text = lab.report(number, {**lab.env, CRASH_ENV: "db_write"})
        assert code == -signal.SIGKILL, text
        db_consistent()
        with Store.open() as store:
            assert store.get_filing(kind.case_id, "alipay").state == "needs_person", "rolled back"
        code, text = lab.report(number)
        assert code == 0, text
        code, text = lab.report(number)
        assert code == 0 and "此前已记录" in text, text
        store_matches(lab, [number])
        third = lab.file()
        assert third["state"] == "already_filed" and third["receipt"]["complaint_no"] == number


# ---------------------------------------------------------------------------------------- the tracker


def at(text: str) -> datetime:
    return parse_iso(text)


def tick_process(now: str, env: dict[str, str], point: str | None = None) -> tuple[int, str]:
    args = [KAMENG, "tick", "--now", now, "--json"]
    code, out, err = _finish(_spawn(args, {**env, CRASH_ENV: point} if point else env), timeout=120)
    return code, out + err


def _file_and_track(lab: Lab) -> int:
    """File in-process, place the filing on Tuesday 2026-11-10 10:00 and start tracking it at 10:05."""
    person = (
        NoPerson()
        if lab.kind.twin == "email"
        else ScriptedPerson(DemoAnswerer({lab.kind.channel: lab.twin.url}), quiet=True)
    )
    [out] = file_now(lab.case, [lab.kind.channel], person)
    assert out.state == "submitted", out
    with Store.open() as store:
        store.update_filing(out.filing_id, submitted_at=at("2026-11-10T10:00:00"))
        run_pass(store, at("2026-11-10T10:05:00"))
    return out.filing_id


def _card_replies(lab: Lab) -> list[str]:
    return [r["text"] for r in lab.twin.records()[0]["replies"] if r["by"] == "user"]


def _follow_up_mails(lab: Lab) -> list[dict[str, Any]]:
    return [m for m in lab.twin.messages() if m["subject"].startswith("Re:")]


@pytest.mark.parametrize(
    ("point", "kind_id"), [("tick_claimed", "card_a-http"), ("tick_follow_up_sent", "card_a-http")]
)  # the browser path of the same reconciliation: tests/test_tracker_twins.py
def test_sigkill_during_a_pass_never_duplicates_or_drops_a_ticket_follow_up(
    point: str, kind_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Claimed but unsent → sent once by the next pass; sent but unrecorded → found among the ticket's
    replies (status read) and recorded, not sent again."""
    kind = next(k for k in KINDS if k.id == kind_id)
    with lab_for(kind, tmp_path, monkeypatch) as lab:
        filing_id = _file_and_track(lab)
        key = f"follow_up:{filing_id}:1"
        code, text = tick_process("2026-11-11T10:30:00", lab.env, point)  # review lapsed, quiet hours ok
        assert code == -signal.SIGKILL, text
        db_consistent()
        assert len(_card_replies(lab)) == (1 if point == "tick_follow_up_sent" else 0)
        with Store.open() as store:
            assert act.get(store, key).status == "pending", "claimed, outcome not recorded"
        code, text = tick_process("2026-11-11T10:35:00", lab.env)
        assert code == 0, text
        replies = _card_replies(lab)
        assert len(replies) == 1 and "想了解进展是否有更新" in replies[0], replies
        with Store.open() as store:
            action = act.get(store, key)
        assert action.status == "done"
        assert bool(action.detail.get("reconciled")) is (point == "tick_follow_up_sent")
        code, text = tick_process("2026-11-11T10:40:00", lab.env)
        assert code == 0 and len(_card_replies(lab)) == 1, text
        db_consistent()


@pytest.mark.parametrize("point", ["tick_claimed", "tick_follow_up_sent"])
def test_sigkill_during_a_pass_mail_follow_up_is_never_dropped_and_resent_as_the_same_mail(
    point: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SMTP cannot be asked what arrived: a follow-up sent just before the kill goes out once more, with
    the same Message-ID (mail clients show one message); one claimed but unsent goes out exactly once."""
    kind = next(k for k in KINDS if k.id == "email")
    with lab_for(kind, tmp_path, monkeypatch) as lab:
        filing_id = _file_and_track(lab)  # reply clock: 5 working days → first follow-up Wed 11/18 09:00
        key = f"follow_up:{filing_id}:1"
        code, text = tick_process("2026-11-18T09:00:00", lab.env, point)
        assert code == -signal.SIGKILL, text
        db_consistent()
        assert len(_follow_up_mails(lab)) == (1 if point == "tick_follow_up_sent" else 0)
        code, text = tick_process("2026-11-18T09:05:00", lab.env)
        assert code == 0, text
        mails = _follow_up_mails(lab)
        if point == "tick_claimed":
            assert len(mails) == 1, mails
        else:
            assert len(mails) == 2, mails
            assert mails[0]["message_id"] == mails[1]["message_id"] and mails[0]["body"] == mails[1]["body"]
        with Store.open() as store:
            assert act.get(store, key).status == "done"
        code, text = tick_process("2026-11-18T15:00:00", lab.env)
        assert code == 0 and len(_follow_up_mails(lab)) == len(mails), text
        db_consistent()
