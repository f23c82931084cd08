"""Issue 12 §1–§2, adversarial variants the first tests did not cover.

* The site's own creation time in other shapes (a server left on UTC, a 12-hour clock, 下午3:30, no
  year, 昨天, 3分钟前, an API's Unix timestamp): read at the right instant, never earlier than it may
  be — a time read too early makes the tool take its own complaint for someone else's and file twice.
* A list row whose time reads "earlier" is still opened when the row itself does not show our text:
  a misread time then ends at ``needs_person``, never at a second complaint.
"""

from __future__ import annotations

import os
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from kameng_filer.filing.proof import EARLIER, UNPROVEN, Candidate, probes, verdict
from kameng_filer.filing.sitetime import parse_site_time
from kameng_filer.store import Store
from kameng_filer.timeutil import parse_iso
from tests.filing_support import configure, file_now, scripted, twins_running

CH = "card_platform@c"
REF = parse_iso("2026-11-03T10:05:00")
""""Now" for times shown relative to the moment they are read."""


@pytest.mark.parametrize(
    ("shown", "instant", "precision"),
    [
        ("2026-11-03 02:00:05 UTC", "2026-11-03T10:00:05", "s"),  # a server left on UTC
        ("2026-11-03 02:00:05 +00:00", "2026-11-03T10:00:05", "s"),
        ("2026-11-03 02:00:05Z", "2026-11-03T10:00:05", "s"),
        ("2026-11-03 10:00:05 GMT+8", "2026-11-03T10:00:05", "s"),
        ("2026-11-03 09:00 (UTC+07:00)", "2026-11-03T10:00:00", "m"),
        ("2026-11-03 03:30 PM", "2026-11-03T15:30:00", "m"),
        ("2026/11/03 12:10:00 AM", "2026-11-03T00:10:00", "s"),
        ("2026年11月3日 下午3:30", "2026-11-03T15:30:00", "m"),
        ("2026-11-03 中午1:10", "2026-11-03T13:10:00", "m"),
        ("11-03 10:00", "2026-11-03T10:00:00", "m"),  # this year
        ("12-31 23:00", "2025-12-31T23:00:00", "m"),  # would be ahead of now: last year
        ("昨天 09:58", "2026-11-02T09:58:00", "m"),
        ("3分钟前", "2026-11-03T10:01:00", "m"),  # between 3 and 4 minutes ago
        ("刚刚", "2026-11-03T10:04:00", "m"),
        ("1793692805", "2026-11-03T16:00:05", "s"),  # an API's Unix seconds
        ("1793692805123", "2026-11-03T16:00:05.123", "ms"),
        ("1793692805.0", "2026-11-03T16:00:05", "s"),  # a JSON float
        ("2026-11-03 10:00:05.123", "2026-11-03T10:00:05", "s"),
    ],
)
def test_site_times_in_other_shapes_and_zones(shown: str, instant: str, precision: str) -> None:
    got = parse_site_time(shown, today=REF)
    assert got is not None, shown
    assert got.at == parse_iso(instant), (shown, got.at)
    span = {"s": timedelta(seconds=1), "m": timedelta(minutes=1), "ms": timedelta(milliseconds=1)}[precision]
    assert span - timedelta(microseconds=1) <= got.span <= span


@pytest.mark.parametrize("shown", ["状态 待处理", "2026-13-40 10:00", "第1-2项", "上午 15:30", "42"])
def test_no_time_is_made_up(shown: str) -> None:
    assert parse_site_time(shown, today=REF) is None


def test_our_row_shown_in_utc_is_not_someone_elses() -> None:
    """Before, ``… 02:00:05 UTC`` was read as 02:00 Beijing time: our own row looked 8 hours old."""
    text = "您好,我对订单KM20261102150012发起售后投诉,问题类型:充值/商品未到账。一、事实经过:2026年11月2日"
    wanted = probes({"content": text}, {"content"})
    mark = parse_iso("2026-11-03T10:00:00")
    ours = Candidate("GD1", text=text, created=parse_site_time("2026-11-03 02:00:07 UTC"))
    assert verdict(ours, wanted, mark) == "ours"
    lagging = Candidate("GD2", text=text, created=parse_site_time("2026-11-03 01:50:00 UTC"))
    assert verdict(lagging, wanted, mark) == UNPROVEN  # our words on an earlier row: the person decides
    theirs = Candidate("GD3", text="我自己写的投诉", created=parse_site_time("2026-11-03 01:50:00 UTC"))
    assert verdict(theirs, wanted, mark) == EARLIER


def test_a_detail_page_counts_only_when_it_is_that_complaints() -> None:
    """A row link to the list itself, to the order's page or to a 200 "页面不存在" page shows other
    numbers or none: what it says proves nothing about the row."""
    from kameng_filer.filing.reconcile_web import about_only

    assert about_only("工单编号 GD1 …您好,我对订单…", "GD1", {"GD2"})
    assert not about_only("GD2 我自己写的 GD1 您好,我对订单…", "GD1", {"GD2"})  # the list itself
    assert not about_only("页面不存在或已被删除。", "GD1", set())


def _person_files_first(tmp: Path, twin: object, case: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The person's own ticket on the same order, 10 minutes ago, through the site's own form from
    their own data folder (their own problem type and words, so the text is not ours)."""
    src = yaml.safe_load(case.read_text(encoding="utf-8"))
    src["id"] = "km-2026-0099"
    src["problem"]["type"] = "delayed_delivery" if src["problem"]["type"] != "delayed_delivery" else "other"
    src["problem"]["summary"] = "我自己先在网站上提交的投诉:订单一直没有处理,请尽快回复"
    folder = tmp / "person-case"
    shutil.copytree(case.parent, folder)
    (folder / "case.yaml").write_text(yaml.safe_dump(src, allow_unicode=True), encoding="utf-8")
    ours = os.environ["KAMENG_HOME"]
    monkeypatch.setenv("KAMENG_HOME", str(tmp / "person-home"))
    twin.clock.advance(-600)  # type: ignore[attr-defined]
    try:
        configure({"card_c": twin}, [CH])  # type: ignore[arg-type]
        [out] = file_now(folder / "case.yaml", [CH], scripted({"card_c": twin}, [CH]))  # type: ignore[arg-type]
    finally:
        twin.clock.advance(600)  # type: ignore[attr-defined]
        monkeypatch.setenv("KAMENG_HOME", ours)
    assert out.state == "submitted", out
    return str(out.receipt["complaint_no"])


@pytest.mark.browser
@pytest.mark.parametrize(("style", "relative"), [("utc", True)])  # 12h etc.: the parse tests above
def test_lost_answer_adopts_ours_when_the_site_shows_times_in_another_zone_or_clock(
    tmp_path: Path, example_case: Path, monkeypatch: pytest.MonkeyPatch, style: str, relative: bool
) -> None:
    """Family C shows its list times in UTC (or on a 12-hour clock); the person filed on the same order
    10 minutes before; the answer to our final click is lost. The rerun's lookup must adopt the ticket
    we sent — before, it read ours as hours old ("someone else's") and filed a second one. With the
    row links relative to a ``<base href>``, the detail is the one the browser opens, not a 200 404."""
    monkeypatch.setenv("KAMENG_RECEIPT_TIMEOUT_MS", "3000")  # the lost answer is given up on sooner
    options = {"date_style": style, "list_delay_s": 0, "relative_links": relative}
    with twins_running(tmp_path, ["card_c"], {"card_c": options}) as ts:
        twin = ts["card_c"]
        theirs = _person_files_first(tmp_path, twin, example_case, monkeypatch)
        configure(ts, [CH])
        twin.set_faults(hang_after_submit=1)
        out = file_now(example_case, [CH], scripted(ts, [CH]))[0]
        numbers = [t["ticket_no"] for t in twin.records()]
        assert len(numbers) == 2, numbers  # the person's and exactly one of ours
        assert out.state == "submitted", out
        assert out.receipt["reconciled"] and out.receipt["complaint_no"] != theirs
        [mine] = [t for t in twin.records() if t["ticket_no"] == out.receipt["complaint_no"]]
        assert out.receipt["url"] == f"{twin.url}/user/ticket/detail?id={mine['id']}"
        recorded = [f.complaint_no for f in Store.open().filings("km-2026-0001", channel=CH)]
        assert theirs not in recorded and recorded == [out.receipt["complaint_no"]]


# ---- profile keys that are accepted must act (adapter check) -------------------------------------

PROFILE = Path(__file__).resolve().parent.parent / "adapters" / "profiles" / "card-c-twin.yaml"


def _variant(tmp: Path, change: Any, name: str = "card-c-variant") -> Path:
    data = yaml.safe_load(PROFILE.read_text(encoding="utf-8"))
    data["name"] = name
    change(data)
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ({"nonsense": 1}, "nonsense 是未知的键"),  # an unknown key one level down
        ({"clocks": {"review": {"duration": {"hours": 12}, "sorce": "本站公告"}}}, "sorce"),  # deeper
        ({"clocks": {"review": {"duration": {"hourz": 12}}}}, "hourz"),  # deeper still
    ],
)
def test_check_rejects_unknown_keys_nested_in_schedule(tmp_path: Path, schedule: dict, expected: str) -> None:
    """``schedule`` was a free mapping: any key at any depth passed ``adapter check`` and was ignored
    (or broke the tracker later). It is now checked as the channel's deadline-policy change."""
    from kameng_filer.filing.lint import check

    result = check(str(_variant(tmp_path, lambda d: d.update(schedule=schedule))))
    assert not result.ok and any(e.startswith("schedule:") and expected in e for e in result.errors), (
        result.errors
    )


def test_check_accepts_a_valid_schedule_change(tmp_path: Path) -> None:
    from kameng_filer.filing.lint import check

    good = {"clocks": {"review": {"duration": {"hours": 12}, "source": "本站“12 小时内审核”的公告"}}}
    result = check(str(_variant(tmp_path, lambda d: d.update(schedule=good))))
    assert result.ok, result.errors


def test_check_rejects_fixed_options_no_field_fills(tmp_path: Path) -> None:
    """A top-level ``options`` value no field (or ``{name}``) uses was planned and never sent."""
    from kameng_filer.filing.lint import check

    unused = check(str(_variant(tmp_path, lambda d: d.update(options={"priority": "高"}))))
    assert any(e.startswith("options.priority：") for e in unused.errors), unused.errors

    def used(d: dict) -> None:
        d["options"] = {"priority": "高"}
        d["fields"]["title"]["value"] = "【{priority}】{title}"

    assert check(str(_variant(tmp_path, used, "card-c-used"))).ok


# ---- several upload boxes: each file goes into one of them, and the plan says which ---------------


def _two_boxes(d: dict) -> None:
    d["fields"]["others"] = {"label": "其他截图", "widget": "upload"}
    d["steps"][1]["fill"].append("others")


def test_two_upload_boxes_never_get_the_same_file(tmp_path: Path, example_case: Path) -> None:
    """购买凭证 takes one picked file, 其他截图 (no ``pick``) the rest. Before, the plan ignored the pick
    (one box had none) and the second box was given every file again: the payment proof went up twice."""
    from kameng_filer import registry
    from kameng_filer.case import load_case
    from kameng_filer.filing.formfill import FormRunner

    path = _variant(tmp_path, _two_boxes)
    case = load_case(example_case).case
    adapter = registry.adapter_class("card_platform")({"profile": str(path)})
    plan = adapter.plan(case)
    assert sorted(f.evidence_id for f in plan.files) == ["balance", "chat", "order", "payment"]
    assert "购买凭证：上传 1 个文件（payment）" in plan.notes, plan.notes
    assert any(n.startswith("其他截图：上传 3 个文件（") for n in plan.notes), plan.notes

    runner = FormRunner.__new__(FormRunner)  # only what choosing files reads: profile, files, kinds
    runner.profile, runner.files = adapter.profile(), list(plan.files)
    runner.file_kinds = dict(plan.target["file_kinds"])
    fields = runner.profile.fields
    proof, others = runner.files_for(fields["proof"]), runner.files_for(fields["others"])
    assert [f.evidence_id for f in proof] == ["payment"]
    assert sorted(f.evidence_id for f in others) == ["balance", "chat", "order"]


# ---- 12315: the company is not found and the site offers no manual entry ---------------------------


@pytest.mark.browser
def test_12315_unknown_company_without_a_manual_entry_says_so_and_sends_nothing(
    tmp_path: Path, example_case: Path
) -> None:
    """The search finds nothing and this page has no "找不到企业?手工填写": not "网页表单已变化 … 站点改版
    了?" but what happened and what the person can do; nothing reaches the site."""
    from tests.test_gov12315_notfound import _configure, _unknown_company

    case = _unknown_company(example_case)
    with twins_running(tmp_path, ["gov12315"], {"gov12315": {"manual_entry": False}}) as ts:
        twin = ts["gov12315"]
        out = file_now(case, ["12315"], _configure(twin))[0]
        assert twin.snapshot()["submissions"] == []
    assert out.state == "needs_person", out
    assert "杭州小鹿数字科技有限公司" in out.error and "手工填写" in out.error, out.error
    assert "网页表单已变化" not in out.error and "改版" not in out.error
    assert "legal_name" in (out.hint or "") and "12315" in (out.hint or ""), out.hint


# ---- the form page itself answers 200 with "页面不存在" -------------------------------------------


@pytest.mark.browser
def test_a_form_page_that_is_a_200_not_found_page_is_said_as_such(tmp_path: Path, example_case: Path) -> None:
    """The site moved its form: the old address answers HTTP 200 with "页面不存在" (logged in, so the
    login marker is there). Not "找不到「工单标题」…站点改版了?" but the page that is missing."""
    path = _variant(tmp_path, lambda d: d["steps"][0].update(goto="/user/ticket/create"))
    with twins_running(tmp_path, ["card_c"]) as ts:
        configure(ts, [CH], **{CH: {"profile": str(path)}})
        out = file_now(example_case, [CH], scripted(ts, [CH]), dry_run=True)[0]
        assert ts["card_c"].records() == []
    assert out.state == "failed", out
    assert "页面不存在" in out.error and "/user/ticket/create" in out.error, out.error
    assert "goto" in (out.hint or ""), out.hint


# ---- adapter record: the account box of a login form ----------------------------------------------


@pytest.mark.parametrize(
    ("box", "why"),
    [
        ({"type": "email", "autocomplete": "email"}, "登录表单"),  # log in with an e-mail address
        ({"type": "tel", "autocomplete": "tel", "label": "手机号"}, "登录表单"),  # or a phone number
        ({"type": "text", "autocomplete": "username"}, "autocomplete=username"),
    ],
)
def test_record_takes_the_box_before_the_password_as_the_account(box: dict, why: str) -> None:
    """Before, ``autocomplete=email`` / ``tel`` won over the login form's shape: the account box was
    guessed as ``contact`` and the profile could not log in."""
    from kameng_filer.filing.record_guess import guess

    got = guess({**box, "before_password": True})
    assert got.field == "username" and why in got.why, got
    # outside a login form the same box is a contact
    if box["autocomplete"] != "username":
        assert guess(dict(box)).field == "contact"


# ---- the list page itself answers 200 with "页面不存在" during reconciliation ---------------------


@pytest.mark.browser
def test_a_200_not_found_list_is_not_an_empty_list(
    tmp_path: Path, example_case: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer to the final click is lost and the list address answers 200 "页面不存在": that is
    "cannot check", not "no complaint there". Before, the empty page counted as an empty list and the
    retry sent a second ticket."""
    monkeypatch.setenv("KAMENG_RECEIPT_TIMEOUT_MS", "3000")
    path = _variant(tmp_path, lambda d: d["list"].update(url="/user/tickets"))
    with twins_running(tmp_path, ["card_c"], {"card_c": {"list_delay_s": 0}}) as ts:
        twin = ts["card_c"]
        configure(ts, [CH], **{CH: {"profile": str(path)}})
        twin.set_faults(hang_after_submit=1)
        out = file_now(example_case, [CH], scripted(ts, [CH]))[0]
        assert len(twin.records()) == 1, twin.records()  # never a second one
    assert out.state in ("failed", "needs_person"), out
    assert "页面不存在" in out.error and "没有再提交" in out.error, out.error


# ---- HTTP mode: the list answers 200 with an error code during reconciliation ---------------------


@pytest.mark.browser
def test_http_list_answering_busy_is_not_an_empty_list(tmp_path: Path, example_case: Path) -> None:
    """The answer to the create call is lost; the list API then answers HTTP 200 ``{"code": 5030,
    "msg": "系统繁忙"}`` with no items. Before, that counted as "no ticket there" and the retry created
    a second one; now the lookup failed (retryable), nothing is sent again."""
    import threading
    import time

    ch = "card_platform@a"
    with twins_running(tmp_path, ["card_a"]) as ts:
        twin = ts["card_a"]
        configure(ts, [ch], **{ch: {"mode": "http", "timeout": 3}})
        twin.set_faults(hang_after_submit=1)

        def busy_once_sent() -> None:  # the list turns busy once the ticket is stored
            deadline = time.monotonic() + 60
            while not twin.snapshot()["submissions"] and time.monotonic() < deadline:
                time.sleep(0.05)
            twin.list_busy = 2  # the session probe and the lookup itself

        watcher = threading.Thread(target=busy_once_sent, daemon=True)
        watcher.start()
        out = file_now(example_case, [ch], scripted(ts, [ch]))[0]
        watcher.join(5)
        assert len(twin.snapshot()["submissions"]) == 1, twin.snapshot()["submissions"]
    assert out.state == "failed" and "系统繁忙" in out.error and "没有再提交" in out.error, out


@pytest.mark.parametrize(
    "locator",
    [{"css": "#ticket-title", "exact": True}, {"role": "textbox", "exact": True}],
)
def test_exact_without_any_text_to_match_is_refused(tmp_path: Path, locator: dict) -> None:
    """``exact`` compares a label / name / placeholder / text: on a CSS or bare-role locator it was
    accepted and did nothing."""
    from kameng_filer.filing.lint import check

    result = check(str(_variant(tmp_path, lambda d: d["fields"].update(title=locator))))
    assert any("exact" in e and "fields.title" in e for e in result.errors), result.errors
    kept = {"label": "工单标题", "exact": True}
    assert check(str(_variant(tmp_path, lambda d: d["fields"].update(title=kept), "card-c-ok"))).ok


@pytest.mark.browser
def test_try_names_a_form_page_that_is_a_200_not_found_page(tmp_path: Path, example_case: Path) -> None:
    """``kameng adapter try`` on the moved form: every field is reported, and the report says the page
    is a "页面不存在" page (check the goto) rather than leaving the author with N unfound fields."""
    import asyncio

    from kameng_filer.case import load_case
    from kameng_filer.filing.probe import try_profile
    from kameng_filer.secrets import env_name
    from tests import canaries

    path = _variant(tmp_path, lambda d: d["steps"][0].update(goto="/user/ticket/create"))
    case = load_case(example_case).case
    with twins_running(tmp_path, ["card_c"]) as ts:
        twin = ts["card_c"]
        channel = "card_platform@card-c-variant"
        os.environ[env_name(channel, "demo")] = canaries.TWIN_PASSWORD
        person = scripted(ts, [CH])
        result = asyncio.run(
            try_profile(str(path), case, person=person, settings={"base_url": twin.url, "account": "demo"})
        )
        assert twin.records() == [] and twin.upload_posts == 0
    assert not result.ok
    assert result.error and "页面不存在" in result.error and "/user/ticket/create" in result.error, (
        result.error
    )
    assert "goto" in (result.hint or "")
    assert {i.key for i in result.items if i.kind == "field"} >= {"title", "content", "order_no"}
