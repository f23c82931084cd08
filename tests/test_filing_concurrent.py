"""Overlapping runs file exactly once: N ``kameng file`` processes started together → one complaint.

Every channel kind (browser 卡盟 family A, its HTTP-API mode, e-mail over SMTP, 黑猫, the assisted
Alipay record) is filed by three real ``kameng file … --yes --json`` processes at the same time
against its twin: the twin holds exactly one new complaint, the store one ``submitted`` filing with
its number, and every other run ends ``in_progress`` (exit code 4: another run was filing it) or
``already_filed`` (it started after the winner had recorded its receipt). Also: after an earlier
``needs_person`` run the same holds, and a ``submitted`` record never moves back.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kameng_filer.adapter import FilingPlan, Receipt
from kameng_filer.errors import AlreadyFiled
from kameng_filer.filing.claim import ClaimBusy, FilingClaim
from kameng_filer.filing.engine import FilingEngine
from kameng_filer.filing.person import NoPerson
from kameng_filer.store import Store
from kameng_filer.store.records import FilingStateConflict
from kameng_filer.timeutil import now
from tests.filing_support import file_now
from tests.test_reliability_crash import KAMENG, KINDS, Lab, _finish, _spawn, lab_for, one_outcome

pytestmark = [pytest.mark.browser, pytest.mark.slow]

N = 3
PARALLEL_KINDS = ("card_a-web", "card_a-http", "email", "heimao", "alipay")


def kind(kind_id: str) -> Any:
    """The crash suite's description of a channel kind."""
    return next(k for k in KINDS if k.id == kind_id)


def exactly_one(lab: Lab, before: list[str], results: list[tuple[int, dict[str, Any]]]) -> str:
    """One new complaint on the channel, one submitted record with its number; the rest stood aside."""
    fresh = [x for x in lab.numbers() if x not in before]
    assert len(fresh) == 1, f"exactly one complaint on the channel, got {fresh}: {results}"
    states = sorted(o["state"] for _, o in results)
    assert states.count("submitted") == 1, results
    for code, o in results:
        if o["state"] == "in_progress":
            assert code == 4 and "另一个运行正在提交此渠道" in o["error"], (code, o)
            assert "kameng status" in (o["hint"] or "")
        elif o["state"] == "already_filed":
            assert code == 0 and o["receipt"]["complaint_no"] == fresh[0], (code, o)
        else:
            assert o["state"] == "submitted" and code == 0, (code, o)
    with Store.open() as store:
        filings = store.filings(lab.kind.case_id, channel=lab.kind.channel)
        events = store.events(lab.kind.case_id, kinds=["filing_state"])
    assert [(f.state, f.complaint_no) for f in filings] == [("submitted", fresh[0])], filings
    moves = [(e.data["from"], e.data["to"]) for e in events if e.filing_id == filings[0].id]
    assert all(frm != "submitted" for frm, _ in moves), f"a submitted record moved back: {moves}"
    return fresh[0]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("kind_id", PARALLEL_KINDS)
def test_parallel_runs_file_exactly_once(
    kind_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with lab_for(kind(kind_id), tmp_path, monkeypatch) as lab:
        before = lab.numbers()
        number = exactly_one(lab, before, lab.file_together(N))
        third = lab.file()  # afterwards: already filed, nothing sent
        assert third["state"] == "already_filed" and third["receipt"]["complaint_no"] == number
        assert [x for x in lab.numbers() if x not in before] == [number]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("kind_id", ["card_a-http", "alipay"])
def test_parallel_runs_after_a_needs_person_run_file_once(
    kind_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An earlier run stopped at ``needs_person`` (its record is reusable): three runs still file once.
    Alipay: a real run with nobody at the terminal stops there; card A: the record is left so."""
    with lab_for(kind(kind_id), tmp_path, monkeypatch) as lab:
        if lab.kind.person:
            args = [KAMENG, "file", str(lab.case), "--channels", lab.kind.channel, "--yes", "--json"]
            code, out, err = _finish(_spawn(args, lab.env))
            assert code == 3 and one_outcome(code, out, err)["state"] == "needs_person", err
        else:
            with Store.open() as store:
                store.create_filing(lab.kind.case_id, lab.kind.channel, state="needs_person")
        before = lab.numbers()
        exactly_one(lab, before, lab.file_together(N))


@pytest.mark.timeout(120)
def test_a_held_claim_makes_the_second_run_stand_aside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While another run holds the claim, ``kameng file`` sends nothing, creates no record and says who
    is filing; once released, the same command files."""
    with lab_for(kind("email"), tmp_path, monkeypatch) as lab:
        claim = FilingClaim(lab.kind.case_id, lab.kind.channel)
        with claim:
            [out] = file_now(lab.case, [lab.kind.channel], NoPerson())
            assert out.state == "in_progress" and "另一个运行正在提交此渠道" in (out.error or ""), out
            assert "进程" in (out.error or "")
            assert lab.numbers() == []
            with Store.open() as store:
                assert store.get_filing(lab.kind.case_id, lab.kind.channel) is None
        [out] = file_now(lab.case, [lab.kind.channel], NoPerson())
        assert out.state == "submitted", out
        assert len(lab.numbers()) == 1


def test_submitted_is_final_in_the_store_and_the_engine(kameng_home: Path, example_case: Path) -> None:
    """No writer moves a submitted filing back; the engine's pre-click mark refuses and changes nothing."""
    with Store.open() as store:
        store.import_case(example_case)
        case_id = store.list_cases()[0].id
        f = store.create_filing(case_id, "card_platform@a")
        engine = FilingEngine(store, NoPerson())
        early = engine.channel_run("card_platform@a", f.id, kameng_home, dry_run=False, known_numbers=set())
        early.not_delivered()  # a refusal before the mark (a login challenge): nothing to undo, no error
        assert store.get_filing_by_id(f.id).state == "planned"
        store.update_filing(f.id, expect_state="planned", state="submitting")
        store.update_filing(f.id, state="submitted", complaint_no="TK1")
        for state in ("submitting", "planned", "failed", "needs_person"):
            with pytest.raises(FilingStateConflict):
                store.update_filing(f.id, state=state, error="late")
        ctx = engine.channel_run("card_platform@a", f.id, kameng_home, dry_run=False, known_numbers=set())
        with pytest.raises(AlreadyFiled):
            asyncio.run(ctx.about_to_submit({"title": "x"}))
        outcome = engine._fail(f.id, "card_platform@a", "failed", "超时", retryable=True)
        assert outcome.state == "failed"
        after = store.get_filing_by_id(f.id)
        assert (after.state, after.complaint_no, after.error) == ("submitted", "TK1", None)
        moves = [(e.data["from"], e.data["to"]) for e in store.events(case_id, kinds=["filing_state"])]
        assert moves == [(None, "planned"), ("planned", "submitting"), ("submitting", "submitted")]
        # a run that got its receipt after someone recorded another number keeps that one and says so
        plan = FilingPlan("card_platform@a", case_id, "complaint", {})
        late = engine._record_success(f.id, "card_platform@a", Receipt("TK2", filed_at=now()), plan)
        assert late.state == "needs_person" and "TK2" in (late.error or "") and "TK1" in (late.error or "")
        assert store.get_filing_by_id(f.id).complaint_no == "TK1"


def test_a_killed_holder_frees_the_claim_at_once(kameng_home: Path) -> None:
    """The claim is an OS lock: SIGKILL the process holding it and the next run takes it over at once
    (no expiry to wait out); while it lives, a second claim is refused with its process id."""
    code = (
        "import sys, time\n"
        "from kameng_filer.filing.claim import ClaimBusy, FilingClaim\n"
        "claim = FilingClaim('km-2026-0001', 'email')\n"
        "claim.acquire()\n"
        "print('held', flush=True)\n"
        "time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        with pytest.raises(ClaimBusy) as busy:
            FilingClaim("km-2026-0001", "email").acquire()
        assert busy.value.owner.get("pid") == child.pid and f"进程 {child.pid}" in busy.value.message
        with FilingClaim("km-2026-0001", "heimao"):  # other channels are not blocked
            pass
    finally:
        child.kill()
        child.communicate()
    with FilingClaim("km-2026-0001", "email") as claim:
        assert claim.path.exists()
