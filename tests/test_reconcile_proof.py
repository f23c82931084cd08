"""Reconciliation never adopts a complaint it did not send (issue 12 §1).

The person often opens a complaint about the same order by other means before using the tool. Here
the person files one through the site's own form (an in-process ``kameng`` run from the person's own
data folder, with their own problem type, so their text is not ours), then real ``kameng file``
processes are SIGKILLed at every crash point and rerun (card A web and HTTP, 12315 and 黑猫
run this inside tests/test_reliability_crash.py, whose rounds start with the person's complaint):

* filed well before (the twin's clock set back 10 minutes): the rerun files exactly one new
  complaint (or adopts the one the killed run sent), and the person's number is never recorded;
* filed just now (inside the clock-skew allowance, text not ours): nothing can prove it either way,
  so the rerun ends ``needs_person`` naming both numbers with a link and sends nothing; ``--again``
  (the person checked) then files a new one.

Plus the proof rules themselves (site times to the second / minute / day, text normalisation).
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from kameng_filer.filing.proof import (
    CLOCK_SKEW,
    EARLIER,
    OURS,
    UNPROVEN,
    Candidate,
    parse_site_time,
    probes,
    verdict,
)
from kameng_filer.store import Store
from kameng_filer.timeutil import parse_iso
from tests.test_reliability_crash import (
    FILING_POINTS,
    KINDS,
    Kind,
    Lab,
    db_consistent,
    lab_for,
    one_round,
    person_files_first,
    recorded_numbers,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _kind(kind_id: str, points: tuple[str, ...], **change: Any) -> Any:
    base = next(k for k in KINDS if k.id == kind_id)
    return dataclasses.replace(base, points=points, **change)


PROOF_KINDS = (
    _kind("card_a-web", ("before_submit", "after_click")),  # the other points: the HTTP mode below
    _kind("card_a-http", FILING_POINTS),
    _kind(
        "card_b-sms",
        ("after_click",),
        cooldown=False,
        twin_options={"sms_cooldown": timedelta(0)},
    ),
    Kind(
        "card_c-web",
        "card_platform@c",
        "card_c",
        {"profile": "card-c-twin", "account": "demo"},
        FILING_POINTS,
        account="demo",
        login=True,
        hang=True,
        twin_options={"list_delay_s": 0.2},  # the slow list is family C's own test's subject
    ),
)
"""Card A (web and HTTP) and family C (the real PHP 发卡 system's habits: site ids in detail links,
times to the second, one upload)."""

EARLIER_KINDS = (
    *(k for k in PROOF_KINDS if k.id in ("card_b-sms", "card_c-web")),
    next(k for k in KINDS if k.id == "card_b-sms" and k.cooldown),
)
"""The person's earlier complaint + SIGKILL at crash points: the other reconciling channels run the same
scenario inside tests/test_reliability_crash.py (its rounds start with the person's complaint on the
twin); card B without and with an SMS cooldown and family C (no crash-safety kind there) run it here.
With the cooldown the person's code was sent on the twin's clock ten minutes back, so its cooldown is
long over (nothing depends on timing); the rerun at once after a kill cannot get a code for the lookup
(unknown, nothing sent), the one after the cooldown adopts what the killed run sent
(``test_reliability_crash.one_round``)."""


def crash_then_rerun(lab: Lab, n: int, point: str, theirs: str) -> None:
    """Round ``n``: SIGKILL at ``point``, rerun → exactly one new complaint, the person's never ours."""
    before = lab.numbers()
    if n and lab.kind.settle:
        lab.twin.operator(before[-1], lab.kind.settle, "已处理完毕")
    lab.crash(point, *(["--again"] if n else []))
    db_consistent()
    sent = [x for x in lab.numbers() if x not in before]
    assert len(sent) == (0 if point == "before_submit" else 1), sent
    out = lab.file()
    assert out["state"] == "submitted", out
    fresh = [x for x in lab.numbers() if x not in before]
    assert len(fresh) == 1, f"exactly one new complaint, got {fresh}"
    assert out["receipt"]["complaint_no"] == fresh[0] != theirs
    assert bool(out["receipt"].get("reconciled")) is bool(sent), "adopted only what the killed run sent"
    assert theirs not in recorded_numbers(lab)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("kind", EARLIER_KINDS, ids=[k.id + "-cooldown" * k.cooldown for k in EARLIER_KINDS])
def test_an_earlier_complaint_by_the_person_is_never_adopted(
    kind: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with lab_for(kind, tmp_path, monkeypatch) as lab:
        theirs = person_files_first(lab, tmp_path, minutes_ago=10)
        rounds = one_round if kind.cooldown else crash_then_rerun
        for n, point in enumerate(kind.points):
            try:
                rounds(lab, n, point, theirs)
            except AssertionError as exc:
                raise AssertionError(
                    f"[{kind.id} round {n + 1} at {point}; runs {lab.log[-4:]}] {exc}"
                ) from exc
        assert theirs in lab.numbers() and theirs not in recorded_numbers(lab)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("kind_id", ["card_a-http", "card_a-web"])
def test_an_unprovable_row_stops_at_needs_person_and_sends_nothing(
    kind_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kind = next(k for k in PROOF_KINDS if k.id == kind_id)
    with lab_for(kind, tmp_path, monkeypatch) as lab:
        theirs = person_files_first(lab, tmp_path, minutes_ago=0)
        lab.crash("before_submit")
        out = lab.file()
        assert out["state"] == "needs_person", out
        assert theirs in out["error"] and "KM20261102150012" in out["error"], out
        assert "http://" in out["error"], "a link to the row"
        assert f"--number {theirs}" in out["hint"] and "--again" in out["hint"], out
        assert lab.numbers() == [theirs], "nothing sent while unproven"
        assert recorded_numbers(lab) == [None]
        again = lab.file("--again")  # the person checked: not ours
        assert again["state"] == "submitted", again
        assert again["receipt"]["complaint_no"] != theirs and not again["receipt"].get("reconciled")
        assert len(lab.numbers()) == 2 and recorded_numbers(lab) == [again["receipt"]["complaint_no"]]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("state", ["planned", "needs_person"])
def test_no_submitting_mark_means_nothing_was_sent_and_no_list_search(
    state: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record that never got the ``submitting`` mark (stopped before the final click, e.g. for a
    captcha) sent nothing: the rerun files at once — an unprovable row on the list does not stop it."""
    kind = next(k for k in PROOF_KINDS if k.id == "card_a-http")
    with lab_for(kind, tmp_path, monkeypatch) as lab:
        theirs = person_files_first(lab, tmp_path, minutes_ago=0)  # would be unprovable if searched
        with Store.open() as store:
            store.create_filing(lab.kind.case_id, lab.kind.channel, state=state)
        out = lab.file()
        assert out["state"] == "submitted" and not out["receipt"].get("reconciled"), out
        assert len(lab.numbers()) == 2 and recorded_numbers(lab) == [out["receipt"]["complaint_no"]]
        assert theirs != out["receipt"]["complaint_no"]


@pytest.mark.timeout(300)
def test_the_association_form_never_adopts_and_asks_the_person(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The association's web form has no list to search: after an unclear crash the rerun stops at
    ``needs_person`` whatever the site holds, and the person's earlier complaint is never recorded."""
    kind = next(k for k in KINDS if k.id == "association")
    with lab_for(kind, tmp_path, monkeypatch) as lab:
        theirs = person_files_first(lab, tmp_path, minutes_ago=10)
        lab.crash("after_click")
        out = lab.file()
        assert out["state"] == "needs_person" and "kameng report" in (out["hint"] or ""), out
        assert len(lab.numbers()) == 2 and theirs not in recorded_numbers(lab)


# ---------------------------------------------------------------------------------------- the rules

MARK = parse_iso("2026-11-03T10:00:00")
OUR_TEXT = "您好,我对订单KM20261102150012发起售后投诉,问题类型:充值/商品未到账。\n\n一、事实经过:2026年11月2日15:00购买"


@pytest.mark.parametrize(
    ("shown", "expected"),
    [
        ("2026-11-03 09:58:59", UNPROVEN),  # our text, beyond the allowance: the person decides
        ("2026-11-03 09:59:30", OURS),  # inside the allowance (the site's clock may lag)
        ("2026-11-03 09:58", UNPROVEN),  # to the minute: all of 09:58 is before mark − allowance (09:59)
        ("2026-11-03 09:59", OURS),  # 09:59:00–09:59:59 may be inside it
        ("2026/11/03 09:50", UNPROVEN),
        ("2026年11月2日", UNPROVEN),  # to the day, the day before
        ("2026-11-03", OURS),  # the same day: the text decides
        ("2026-11-03T10:00:05+08:00", OURS),
        ("", OURS),  # no time shown: the text decides
    ],
)
def test_site_times_with_their_precision(shown: str, expected: str) -> None:
    wanted = probes({"content": OUR_TEXT, "title": "订单KM20261102150012-未到账"}, {"content", "title"})
    c = Candidate("TK1", text=OUR_TEXT.replace("\n", " "), created=parse_site_time(shown))
    assert timedelta(seconds=60) == CLOCK_SKEW  # the documented allowance
    assert verdict(c, wanted, MARK) == expected


@pytest.mark.parametrize("shown", ["2026-11-03 09:58:59", "2026/11/03 09:50", "2026年11月2日"])
def test_an_earlier_row_with_another_text_is_someone_elses(shown: str) -> None:
    wanted = probes({"content": OUR_TEXT}, {"content"})
    c = Candidate("TK9", text="我自己写的:订单KM20261102150012没到账", created=parse_site_time(shown))
    assert verdict(c, wanted, MARK) == EARLIER


def test_the_text_must_be_ours_not_just_the_title() -> None:
    wanted = probes({"content": OUR_TEXT, "title": "订单KM20261102150012-未到账"}, {"content", "title"})
    assert len(wanted) == 1 and wanted[0].startswith("您好,我对订单")
    title_only = Candidate(
        "TK2", text="订单KM20261102150012-未到账 待客服回复", created=parse_site_time("2026-11-03 10:00:01")
    )
    assert verdict(title_only, wanted, MARK) == UNPROVEN
    other = Candidate("TK3", text="我自己写的:订单没到账", created=parse_site_time("2026-11-03 10:00:01"))
    assert verdict(other, wanted, MARK) == UNPROVEN
    spaced = Candidate("TK4", text=" ".join(OUR_TEXT).replace(",", ", "), created=None)  # the site re-spaces
    assert verdict(spaced, wanted, MARK) == OURS
    assert probes({"title": "短"}, {"title"}) == []
    assert parse_site_time("状态 待处理") is None and parse_site_time("2026-13-40 10:00") is None


def test_adapter_check_warns_when_a_profile_shows_no_site_time() -> None:
    """Without the site's own time only the text can prove a row: ``adapter check`` says so."""
    from kameng_filer.filing.lint import check

    bare = check(str(Path(__file__).parent / "profiles" / "jiguang.yaml"))
    assert any(w.startswith("list: 没有 created") for w in bare.warnings), bare.warnings
    has_api = bare.profile is not None and bare.profile.api is not None and bare.profile.api.list_url
    assert any(w.startswith("api.list_created_key") for w in bare.warnings) or not has_api
    for name in ("card-a-twin", "card-b-twin", "gov12315-twin", "heimao-twin"):
        assert not [w for w in check(name).warnings if "created" in w], name
